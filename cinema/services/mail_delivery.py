"""Delivering the outbox: SMTP when ``MAIL_SERVER`` is set, ``.eml`` files otherwise.

A row is *claimed* before it is sent: one statement sets ``locked_until`` (a lease of
``LEASE``) on one due row that nobody else holds. On PostgreSQL the row is picked with
``FOR UPDATE SKIP LOCKED``, so several workers claiming at once each get a different row and
none waits; on SQLite the database serialises writers. Rows are claimed one at a time, each just
before it is sent, so the lease only has to outlast one SMTP conversation (``SMTP_TIMEOUT``).

A failed send records the attempt and the error and schedules the next attempt with
exponential backoff; after ``MAIL_MAX_ATTEMPTS`` the row is FAILED and waits for an admin's
retry. If a worker dies between the SMTP server accepting a message and the row being marked
SENT, the lease runs out and the message is sent again: a crash may duplicate one email,
but nothing ever loses one, and two live workers never send the same row.
"""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from cinema import jobs
from cinema.errors import InvalidState, NotFound
from cinema.extensions import db
from cinema.models import OutboxEmail, OutboxStatus, utcnow
from cinema.services import audit
from cinema.tasks import periodic

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
SMTP_TIMEOUT = 30  # seconds, per SMTP operation; far below LEASE
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
JOB_TTL = 3600  # a quick-delivery job not run within an hour is dropped: the sweep has it


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying would not help."""


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


def _claim(now: datetime, outbox_id: int | None = None) -> int | None:
    """Lease one due row (the given one, or the oldest) and commit; its id, or None."""
    pick = sa.select(OutboxEmail.id).where(_due(now))
    if outbox_id is not None:
        pick = pick.where(OutboxEmail.id == outbox_id)
    pick = pick.order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(1)
    pick = pick.with_for_update(skip_locked=True)  # ignored by SQLite, which has no row locks
    # "id = (scalar subquery)", not "id IN (subquery)": PostgreSQL runs a scalar subquery once,
    # while IN may become a join that re-runs the LIMIT 1 per row and claims every due row.
    claimed = db.session.scalar(
        sa.update(OutboxEmail)
        .where(OutboxEmail.id == pick.scalar_subquery(), _due(now))
        .values(locked_until=now + LEASE)
        .returning(OutboxEmail.id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed


# --- transports ------------------------------------------------------------------------------

class SmtpTransport:
    """One SMTP connection for a batch, opened on the first message."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                                  timeout=SMTP_TIMEOUT)
        try:
            if config["MAIL_USE_TLS"]:
                connection.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        except Exception:
            connection.close()
            raise
        return connection

    def send(self, row: OutboxEmail) -> None:
        if self.connection is None:
            self.connection = self._connect()
        sender = parseaddr(self.config["MAIL_FROM"])[1]
        try:
            self.connection.sendmail(sender, [row.to_address], row.message)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure(f"recipient refused: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
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

    def send(self, row: OutboxEmail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{row.id:06d}-{row.kind}.eml"
        partial = path.with_suffix(".eml.part")
        partial.write_bytes(row.message)
        os.replace(partial, path)  # readers never see half a file

    def close(self) -> None:
        pass


def transport():
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return SmtpTransport(config)
    return FolderTransport(Path(current_app.instance_path) / "mail")


# --- delivering ------------------------------------------------------------------------------

def _send_claimed(outbox_id: int, via, now: datetime) -> bool:
    """Send one claimed row and record the outcome; True if it was sent."""
    row = db.session.get(OutboxEmail, outbox_id)
    try:
        via.send(row)
    except Exception as error:  # noqa: BLE001 - recorded on the row, retried with backoff
        _record_failure(row, error, now)
        db.session.commit()
        log.warning("email %s to %s not sent (attempt %s): %s", row.id, row.to_address,
                    row.attempts, row.last_error)
        return False
    row.status = OutboxStatus.SENT
    row.sent_at = utcnow()
    row.attempts += 1
    row.locked_until = None
    db.session.commit()
    return True


def _record_failure(row: OutboxEmail, error: Exception, now: datetime) -> None:
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.locked_until = None
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    if isinstance(error, PermanentFailure) or row.attempts >= max_attempts:
        row.status = OutboxStatus.FAILED
    else:
        row.next_attempt_at = now + backoff(row.attempts)


def deliver_due(now: datetime, limit: int = 50) -> int:
    """Send up to ``limit`` due PENDING rows; returns how many were sent.

    Safe to run in several workers at once. A connection failure ends the round early (the
    server is down: the other rows wait for the next round rather than each timing out).
    """
    via = transport()
    sent = 0
    try:
        for _ in range(limit):
            outbox_id = _claim(now)
            if outbox_id is None:
                break
            if _send_claimed(outbox_id, via, now):
                sent += 1
            elif isinstance(via, SmtpTransport) and via.connection is None:
                break
    finally:
        via.close()
    return sent


def deliver_one(outbox_id: int) -> bool:
    """RQ job enqueued right after a row commits: send it now if it is still due."""
    now = utcnow()
    if _claim(now, outbox_id) is None:
        return False  # already sent, being sent, or waiting for its next attempt
    via = transport()
    try:
        return _send_claimed(outbox_id, via, now)
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


@periodic
def deliver_pending_email() -> int:
    """The sweep: whatever quick delivery missed (Redis down, SMTP down, a crash)."""
    return deliver_due(utcnow())


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
