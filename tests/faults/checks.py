"""What every fault scenario ends with: one reconciliation pass, then the checks (money,
seats, email, 5xx, the worker) and a summary line.

All checks are made and the summary printed before the scenario fails, so a failing scenario
still reports everything it found.
"""
from __future__ import annotations

import email
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import policy

import psycopg
import redis
import sqlalchemy as sa
from rq import Queue

from cinema import create_app
from cinema.extensions import db
from tests.faults.patrons import Journal
from tests.faults.services import REDIS_PREFIX, RQ_QUEUE, Stack
from tests.load_support import clear_rq_queue

# The pass runs as if this much later, so a charge a crash left PENDING a moment ago counts
# as stale (reconciliation looks those up at the provider once they are a minute old).
RECONCILE_LATER = timedelta(minutes=2)
DRAIN_SECONDS = 90  # how long the worker gets to empty the outbox before the check fails
NUDGE_SECONDS = 3  # how often the test enqueues the periodic tick while it waits
RESTART_MARGIN = 1.0  # seconds either side of a database restart where a 5xx is allowed
SUMMARY: list[str] = []  # one line per scenario, shown at the end of the run


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def stack_app(stack: Stack):
    """An app in the test process on the stack's database and Redis (for seeding, resetting
    and the reconciliation pass)."""
    return create_app(dict(
        SQLALCHEMY_DATABASE_URI=sqlalchemy_url(stack.database_url), REDIS_URL=stack.redis.url,
        REDIS_PREFIX=REDIS_PREFIX, RQ_QUEUE=RQ_QUEUE, SECRET_KEY="fault-suite-secret",
        INSTANCE_PATH=str(stack.folder / "instance"), MAIL_SERVER="127.0.0.1",
        MAIL_PORT=stack.smtp.port, SITE_URL="http://cinema.test", SEAT_GAP_RULE=False))


LOCK_WAIT = "10s"  # how long reset's TRUNCATE waits for a lock before it looks at who holds it
STUCK_SECONDS = 10  # a transaction idle this long between scenarios is one a crash left behind


def reset(stack: Stack, app) -> None:
    """Empty every table (ids keep counting, so nothing derived from an id repeats), the RQ
    queue and the SMTP sink: each scenario starts from nothing."""
    with app.app_context():
        tables = ", ".join(table.name for table in db.metadata.sorted_tables)
        # The worker's periodic jobs may hold row locks on some of these tables while TRUNCATE
        # waits for all of them: PostgreSQL can end that as a deadlock. Try again, briefly.
        for attempt in range(5):
            db.session.remove()
            try:
                db.session.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
                db.session.execute(sa.text(f"TRUNCATE {tables} CASCADE"))
                db.session.commit()
                break
            except sa.exc.DBAPIError:
                db.session.rollback()
                if attempt == 4:
                    raise
                _end_stuck_transactions()
                time.sleep(0.5)
        db.session.remove()
    clear_rq_queue(stack.redis.url, RQ_QUEUE)
    with stack.smtp.lock:
        stack.smtp.received.clear()


def _end_stuck_transactions() -> None:
    """Between scenarios nothing should sit in a transaction: one idle for STUCK_SECONDS was
    left by a process the last scenario killed (its backend did not notice yet). End it, so
    the next scenario starts now rather than when PostgreSQL notices, and say so at the end
    of the run (a line in the "fault suite" section)."""
    stuck = db.session.execute(sa.text(
        "SELECT pid, application_name, now() - xact_start AS age, left(query, 120) "
        "FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%' "
        f"AND xact_start < now() - interval '{STUCK_SECONDS} seconds'")).all()
    for pid, application, age, query in stuck:
        db.session.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        SUMMARY.append(f"(reset ended a transaction idle for {age}: pid {pid} "
                       f"{application!r}, last query {query!r})")
    db.session.commit()


@dataclass
class Verdict:
    name: str
    failures: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.failures.append(message)


def settle_and_check(name: str, stack: Stack, app, journal: Journal,
                     restarts: list[tuple[float, float]] = ()) -> Verdict:
    """Reconcile once, let the worker drain the outbox, check everything; print the summary
    line. The caller asserts ``not verdict.failures``."""
    verdict = Verdict(name)
    _reconcile(app, verdict)
    started = time.monotonic()
    drained = _drain(stack)
    verdict.facts.append(f"outbox drained in {time.monotonic() - started:.0f} s" if drained
                         else "outbox NOT drained")
    with psycopg.connect(stack.database_url) as conn:
        confirmed = dict(conn.execute(
            "SELECT id, code FROM reservations WHERE status IN ('CONFIRMED', 'COMPLETED')"
        ).fetchall())
        # Bookings the patrons cancelled were confirmed first, and emailed as such.
        sold = {**confirmed, **dict(conn.execute(
            "SELECT id, code FROM reservations WHERE id = ANY(%s)",
            (sorted(journal.cancelled),)).fetchall())}
        _check_money(stack, verdict)
        _check_seats(conn, verdict)
        _check_email(conn, stack, sold, drained, verdict)
        payments = conn.execute(
            "SELECT kind::text || ' ' || status::text, count(*) FROM payments GROUP BY 1 ORDER BY 1"
        ).fetchall()
    lost = journal.confirmed - set(confirmed) - journal.cancelled
    if lost:
        verdict.fail(f"bookings a patron saw confirmed are not confirmed: {sorted(lost)}")
    _check_5xx(journal, restarts, verdict)
    if not stack.worker.alive:
        verdict.fail(f"worker.py is not running (exit code {stack.worker.process.returncode}):\n"
                     f"{stack.worker.log_tail()}")
    statuses = Counter("broken" if e.status == 0 else f"{e.status // 100}xx"
                       for e in journal.entries)
    cancelled = f"{len(journal.cancelled)} cancelled; " if journal.cancelled else ""
    verdict.facts[:0] = [f"{len(confirmed)} confirmed", f"{cancelled}{len(journal.gave_up)} given up",
                         "answers " + " ".join(f"{k}={v}" for k, v in sorted(statuses.items())),
                         "payments " + ", ".join(f"{k}={v}" for k, v in payments)]
    worker = "up" if stack.worker.alive else "DOWN"
    line = (f"{name}: " + "; ".join(verdict.facts) + f"; worker {worker}; "
            + ("all checks OK" if not verdict.failures else f"{len(verdict.failures)} FAILED"))
    SUMMARY.append(line)
    print(f"\n[fault suite] {line}")
    for failure in verdict.failures:
        print(f"[fault suite]   - {failure[:500]}")
    return verdict


# --- the steps -------------------------------------------------------------------------------

def _reconcile(app, verdict: Verdict) -> None:
    try:
        from cinema.booking.reconciliation import reconcile_payments
    except ImportError as error:
        verdict.fail(f"no reconciliation pass to run ({error})")
        verdict.facts.append("reconciliation missing")
        return
    with app.app_context():
        result = reconcile_payments(datetime.now(timezone.utc) + RECONCILE_LATER)
        db.session.remove()
    verdict.facts.append(f"reconciled {result!r}")


def _pending_email(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM email_outbox WHERE status = 'PENDING'"
                            ).fetchone()[0]


def _drain(stack: Stack) -> bool:
    """Wait until the outbox has nothing PENDING. Instead of waiting up to a minute for the
    worker's own ticker, the test enqueues the periodic tick now and then: only a worker that
    is alive and connected runs it. True if drained within ``DRAIN_SECONDS``."""
    connection = redis.Redis.from_url(stack.redis.url, socket_connect_timeout=2,
                                      socket_timeout=5)
    queue = Queue(RQ_QUEUE, connection=connection)
    deadline = time.monotonic() + DRAIN_SECONDS
    nudged = None
    try:
        while time.monotonic() < deadline and stack.worker.alive:
            if _pending_email(stack.database_url) == 0:
                return True
            if nudged is None or time.monotonic() - nudged > NUDGE_SECONDS:
                queue.enqueue("cinema.tasks.periodic_tick", job_timeout=300, result_ttl=60)
                nudged = time.monotonic()
            time.sleep(0.5)
        return _pending_email(stack.database_url) == 0
    finally:
        connection.close()


# --- the checks ------------------------------------------------------------------------------

def _check_money(stack: Stack, verdict: Verdict) -> None:
    try:
        from tests.money_invariant import money_invariant_violations
    except ImportError as error:
        verdict.fail(f"no money invariant helper ({error})")
        verdict.facts.append("money invariant not checked")
        return
    engine = sa.create_engine(sqlalchemy_url(stack.database_url))
    try:
        violations = money_invariant_violations(engine)
    finally:
        engine.dispose()
    if violations:
        verdict.fail(f"money invariant broken for {len(violations)}: {violations[:5]}")
    verdict.facts.append("money invariant " + ("OK" if not violations else
                                               f"BROKEN x{len(violations)}"))


def _check_seats(conn, verdict: Verdict) -> None:
    """Two active rows for one seat of a showtime, or two confirmed bookings sharing a seat."""
    doubled = conn.execute("""
        SELECT rs.showtime_id, rs.seat_id FROM reserved_seats rs
        JOIN reservations r ON r.id = rs.reservation_id
        GROUP BY rs.showtime_id, rs.seat_id
        HAVING count(*) FILTER (WHERE rs.is_active) > 1
            OR count(DISTINCT r.id) FILTER (WHERE r.status IN ('CONFIRMED', 'COMPLETED')) > 1
    """).fetchall()
    if doubled:
        verdict.fail(f"double-booked (showtime, seat): {doubled[:10]}")
    verdict.facts.append(f"{len(doubled)} double-booked")


def _message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip()


def _check_email(conn, stack: Stack, confirmed: dict[int, str], drained: bool,
                 verdict: Verdict) -> None:
    """Every booking ever confirmed (``confirmed``: id -> code) has one confirmation in the
    outbox, received exactly once; no message was received twice."""
    if not drained:
        verdict.fail(f"the outbox still has {_pending_email(stack.database_url)} PENDING "
                     f"emails after the scenario (the worker had up to {DRAIN_SECONDS} s)")
    rows: dict[int, list[str]] = {}
    for reservation_id, raw in conn.execute(
            "SELECT reservation_id, message FROM email_outbox WHERE kind = 'booking_confirmed'"):
        rows.setdefault(reservation_id, []).append(_message_id(bytes(raw)))
    received = Counter(str(message["Message-ID"]).strip() for message in stack.smtp.messages)
    wrong = {}
    for reservation_id, code in confirmed.items():
        ids = rows.get(reservation_id, [])
        times = [received[mid] for mid in ids]
        if times != [1]:
            wrong[code] = times  # [] no email queued; [0] never arrived; [2] twice...
    if wrong:
        verdict.fail(f"{len(wrong)} confirmed bookings not emailed exactly once "
                     f"(code: times received per queued email): {dict(list(wrong.items())[:8])}")
    twice = {mid: n for mid, n in received.items() if n > 1}
    if twice:
        verdict.fail(f"{len(twice)} messages received more than once: {list(twice.items())[:5]}")
    verdict.facts.append(f"emails {len(confirmed) - len(wrong)}/{len(confirmed)} exactly once")


def _check_5xx(journal: Journal, restarts, verdict: Verdict) -> None:
    # A request counts as "during a restart" if it was in flight at any moment within the margin:
    # on a loaded machine one sent just before the restart can wait out its connect timeout and
    # answer 503 seconds after the database is back.
    stray = [entry for entry in journal.entries if entry.status >= 500 and not any(
        entry.sent <= end + RESTART_MARGIN and entry.at >= start - RESTART_MARGIN
        for start, end in restarts)]
    if stray:
        verdict.fail(f"{len(stray)} 5xx outside a database restart: "
                     f"{[(e.step, e.status, round(e.sent, 1), round(e.at, 1)) for e in stray[:10]]}; "
                     f"restarts {[(round(a, 1), round(b, 1)) for a, b in restarts]}")
