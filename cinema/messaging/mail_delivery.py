"""Delivering the outbox: SMTP when ``MAIL_SERVER`` is set, ``.eml`` files otherwise.

A backlog goes out at the speed the SMTP server accepts it: a run claims due rows in batches
of ``BATCH`` and sends a batch over one SMTP connection, batch after batch, until no due row is
left or the run has used its share (``RUN_LIMIT`` rows or ``RUN_SECONDS``); then, if rows may
remain, it enqueues itself again rather than waiting for the next minute's sweep.

A row is *claimed* before it is sent: ``locked_until`` is set to a lease of ``LEASE`` on rows
nobody else holds, picked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serialises
writers), so several workers claiming at once get different rows and none waits. A run starts
no new send once its rows may be near the end of their lease (``RUN_SECONDS`` plus one slow
SMTP conversation stays far below ``LEASE``), so two live workers never send the same row; a
worker that dies mid-batch leaves leases that run out, and its rows are sent again by another.
Each sent row is committed at once (waiting out a database restart, ``_patiently``), so such a
crash may duplicate one email, never lose one.

Failures are per row: the row gets its attempt counted, its error and its own next attempt
(exponential backoff, capped); after ``MAIL_MAX_ATTEMPTS`` or a permanent refusal (5xx) it is
FAILED and waits for an admin's retry. A refusal of one recipient leaves the connection in use
for the next row. When the server cannot be reached at all, the sweep counts that attempt
against the one row it was sending and stops at once, leaving every other row due and
unchanged: an outage costs one attempt per sweep, not one per row, and the first sweep after
the server is back sends the whole backlog. The quick-delivery job (``deliver_one``) counts no
attempt for an unreachable server at all: the sweep is the one that retries.
"""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
import time
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

import sqlalchemy as sa

from cinema import audit, jobs
from cinema.exceptions import InvalidState, NotFound
from cinema.extensions import db
from cinema.models import OutboxEmail, OutboxStatus, utcnow
from cinema.settings import Settings, settings

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
SMTP_TIMEOUT = 30  # seconds, per SMTP operation
BATCH = 100  # rows claimed at a time, sent over one connection
RUN_LIMIT = 5000  # rows one run sends at most before handing over to a fresh job
RUN_SECONDS = 60.0  # a run starts no new send after this; + a slow send (4 x SMTP_TIMEOUT) < LEASE
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
JOB_TTL = 3600  # a quick-delivery job not run within an hour is dropped: the sweep has it
WRITE_PATIENCE = 30.0  # seconds a sent row's bookkeeping waits out a database restart

assert timedelta(seconds=RUN_SECONDS + 4 * SMTP_TIMEOUT) < LEASE


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying would not help."""


class ServerUnreachable(Exception):
    """No connection to the SMTP server could be opened (down, refused, or login failed)."""


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, ... minutes, at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


# --- claiming --------------------------------------------------------------------------------

def _due(now: datetime):
    return sa.and_(
        OutboxEmail.status == OutboxStatus.PENDING,
        OutboxEmail.next_attempt_at <= now,
        sa.or_(OutboxEmail.locked_until.is_(None), OutboxEmail.locked_until <= now),
    )


def _claim(now: datetime, limit: int, outbox_id: int | None = None) -> list:
    """Lease up to ``limit`` due rows (oldest first, or just ``outbox_id``) and commit.

    Returns them as plain rows (id, kind, to_address, message, attempts), in sending order.
    """
    pick = sa.select(OutboxEmail.id).where(_due(now))
    if outbox_id is not None:
        pick = pick.where(OutboxEmail.id == outbox_id)
    pick = pick.order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(limit)
    # The rows stay locked until the commit below, and SKIP LOCKED passes over rows another
    # worker is claiming right now (ignored by SQLite, which serialises writers anyway).
    ids = db.session.scalars(pick.with_for_update(skip_locked=True)).all()
    if not ids:
        db.session.commit()
        return []
    db.session.execute(
        sa.update(OutboxEmail).where(OutboxEmail.id.in_(ids))
        .values(locked_until=now + LEASE).execution_options(synchronize_session=False))
    rows = db.session.execute(
        sa.select(OutboxEmail.id, OutboxEmail.kind, OutboxEmail.to_address, OutboxEmail.message,
                  OutboxEmail.attempts)
        .where(OutboxEmail.id.in_(ids))
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)).all()
    db.session.commit()
    return rows


def _release(ids: list[int]) -> None:
    """Give back claimed rows that were not tried: due again at once, no attempt counted."""
    if ids:
        db.session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids), OutboxEmail.status == OutboxStatus.PENDING)
            .values(locked_until=None).execution_options(synchronize_session=False))
    db.session.commit()


# --- transports ------------------------------------------------------------------------------

class SmtpTransport:
    """One SMTP connection, opened on the first message and reused for the ones after it."""

    def __init__(self, config: Settings):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        try:
            connection = smtplib.SMTP(config.mail_server, config.mail_port,
                                      timeout=SMTP_TIMEOUT)
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnreachable(f"{type(error).__name__}: {error}") from error
        try:
            if config.mail_use_tls:
                connection.starttls(context=ssl.create_default_context())
            if config.mail_username:
                connection.login(config.mail_username, config.mail_password or "")
        except (OSError, smtplib.SMTPException) as error:
            connection.close()
            raise ServerUnreachable(f"{type(error).__name__}: {error}") from error
        return connection

    def send(self, row) -> None:
        """Send one row; raises ServerUnreachable, PermanentFailure, or another error for a
        failure worth retrying. A refused message leaves the connection usable (smtplib
        resets the transaction); anything else closes it, and the next send reconnects."""
        if self.connection is None:
            self.connection = self._connect()
        sender = parseaddr(self.config.mail_from)[1]
        try:
            self.connection.sendmail(sender, [row.to_address], row.message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"recipient refused: {error.recipients}") from error
            raise
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
            if error.smtp_code == 421:  # the server is closing this connection
                self.close()
            raise
        except Exception:
            self.close()  # the connection is in an unknown state: start afresh next time
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except Exception:  # noqa: BLE001 - already broken; nothing to tidy up
                self.connection.close()
            self.connection = None


class FolderTransport:
    """Writes each message as ``instance/mail/<time>-<id>-<kind>.eml`` (development)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, row) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{row.id:06d}-{row.kind}.eml"
        partial = path.with_suffix(".eml.part")
        partial.write_bytes(row.message)
        os.replace(partial, path)  # readers never see half a file

    def close(self) -> None:
        pass


def transport():
    config = settings()
    if config.mail_server:
        return SmtpTransport(config)
    return FolderTransport(Path(config.instance_path) / "mail")


# --- delivering ------------------------------------------------------------------------------

def _patiently(write, *args) -> None:
    """Run a row's bookkeeping ``write``, riding out a database that is restarting.

    The email has already gone (or been tried) by then: if the write were simply lost, the row
    would stay claimed and be sent again once its lease ran out. So the write is retried for up
    to ``WRITE_PATIENCE`` seconds; only a longer outage leaves the row to be resent (a duplicate,
    never a loss).
    """
    delay, waited = 0.25, 0.0
    while True:
        try:
            write(*args)
            return
        except sa.exc.DBAPIError as error:
            db.session.rollback()
            transient = error.connection_invalidated or isinstance(error, sa.exc.OperationalError)
            if not transient or waited >= WRITE_PATIENCE:
                raise
            log.warning("outbox bookkeeping failed (%s); retrying in %.2f s", error.orig, delay)
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 4.0)


def _mark_sent(row) -> None:
    db.session.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.id == row.id, OutboxEmail.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENT, sent_at=utcnow(), attempts=OutboxEmail.attempts + 1,
                locked_until=None, last_error=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def _record_failure(row, error: Exception, now: datetime) -> None:
    """Count the attempt on this row alone: its error, and FAILED or its next attempt."""
    attempts = row.attempts + 1
    values = {"attempts": attempts, "locked_until": None,
              "last_error": f"{type(error).__name__}: {error}"[:2000]}
    if isinstance(error, PermanentFailure) or attempts >= settings().mail_max_attempts:
        values["status"] = OutboxStatus.FAILED
    else:
        values["next_attempt_at"] = now + backoff(attempts)
    db.session.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.id == row.id, OutboxEmail.status == OutboxStatus.PENDING)
        .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    log.warning("email %s to %s not sent (attempt %s): %s", row.id, row.to_address, attempts,
                values["last_error"])


def _send_batch(rows: list, via, now: datetime, deadline: float,
                count_unreachable: bool) -> tuple[int, bool]:
    """Send claimed rows in order; returns (sent, stopped early). Rows not tried are released.

    It stops early when the server cannot be reached (that row's attempt counted only if
    ``count_unreachable``) or when ``deadline`` (monotonic) has passed.
    """
    sent = 0
    for index, row in enumerate(rows):
        if time.monotonic() > deadline:
            _release([r.id for r in rows[index:]])
            return sent, True
        try:
            via.send(row)
        except ServerUnreachable as error:
            untried = rows[index + 1:] if count_unreachable else rows[index:]
            if count_unreachable:
                _patiently(_record_failure, row, error, now)
            else:
                log.warning("email %s not sent now (%s); the sweep retries it", row.id, error)
            _release([r.id for r in untried])
            return sent, True
        except Exception as error:  # noqa: BLE001 - recorded on the row, retried with backoff
            _patiently(_record_failure, row, error, now)
        else:
            _patiently(_mark_sent, row)
            sent += 1
    return sent, False


def _drain(now: datetime, limit: int, seconds: float) -> tuple[int, bool]:
    """Send due rows batch after batch; returns (sent, stopped by a bound with rows maybe left)."""
    deadline = time.monotonic() + seconds
    via = transport()
    sent = tried = 0
    try:
        while tried < limit:
            rows = _claim(now, min(BATCH, limit - tried))
            if not rows:
                return sent, False
            tried += len(rows)
            batch_sent, stopped = _send_batch(rows, via, now, deadline, count_unreachable=True)
            sent += batch_sent
            if stopped:
                # Out of time: more may be due. Server unreachable: nothing to hurry for.
                return sent, time.monotonic() > deadline
        return sent, True
    finally:
        via.close()


def deliver_due(now: datetime, limit: int = RUN_LIMIT, seconds: float = RUN_SECONDS) -> int:
    """Send due PENDING rows until none is left, ``limit`` rows were tried or ``seconds`` have
    passed; returns how many were sent. Safe to run in several workers at once."""
    return _drain(now, limit, seconds)[0]


def drain_outbox(limit: int = RUN_LIMIT, seconds: float = RUN_SECONDS) -> int:
    """The sweep (every minute, and as its own RQ job): send what is due; if the run's bound
    stopped it with rows left, enqueue a fresh run at once instead of waiting a minute."""
    sent, more = _drain(utcnow(), limit, seconds)
    if more and jobs.queue() is not None:  # without Redis, enqueue would run it right here
        jobs.enqueue(drain_outbox, job_timeout=int(RUN_SECONDS + 10 * SMTP_TIMEOUT),
                     ttl=JOB_TTL, result_ttl=600)
    return sent


def deliver_one(outbox_id: int) -> bool:
    """RQ job enqueued right after a row commits: send it now if it is still due."""
    now = utcnow()
    rows = _claim(now, 1, outbox_id)
    if not rows:
        return False  # already sent, being sent, or waiting for its next attempt
    via = transport()
    try:
        sent, _ = _send_batch(rows, via, now, time.monotonic() + RUN_SECONDS,
                              count_unreachable=False)
        return sent == 1
    finally:
        via.close()


def enqueue_delivery(outbox_ids: list[int]) -> None:
    """Ask the worker to deliver these rows now; harmless if Redis is down or absent.

    Without Redis (embedded mode) nothing is enqueued: the in-process sweep delivers within a
    minute, and a request never waits for an SMTP server.
    """
    if jobs.queue() is None:
        return
    for outbox_id in outbox_ids:
        jobs.enqueue(deliver_one, outbox_id, ttl=JOB_TTL, result_ttl=600,
                     failure_ttl=86400)


# --- admin -----------------------------------------------------------------------------------

def retry(outbox_id: int, actor_id: int, now: datetime) -> OutboxEmail:
    """Put a FAILED row back in the queue with a fresh set of attempts; audited."""
    row = db.session.get(OutboxEmail, outbox_id)
    if row is None:
        raise NotFound("No such email.")
    if row.status is not OutboxStatus.FAILED:
        raise InvalidState("Only a failed email can be retried.")
    audit.record(actor_id, "outbox.retry", "email_outbox", row.id,
                 f"retry email to {row.to_address}: {row.subject}",
                 before={"status": row.status.value, "attempts": row.attempts},
                 after={"status": OutboxStatus.PENDING.value, "attempts": 0})
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.locked_until = None
    db.session.commit()
    enqueue_delivery([row.id])
    return row


def list_outbox(status: OutboxStatus | None, page: int, per_page: int = 50):
    """Outbox rows, newest first, optionally of one status."""
    stmt = sa.select(OutboxEmail).order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    if status is not None:
        stmt = stmt.where(OutboxEmail.status == status)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def status_counts() -> dict[OutboxStatus, int]:
    rows = db.session.execute(
        sa.select(OutboxEmail.status, sa.func.count()).group_by(OutboxEmail.status))
    counts = {status: 0 for status in OutboxStatus}
    counts.update({status: count for status, count in rows})
    return counts
