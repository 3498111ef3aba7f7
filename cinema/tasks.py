"""Background tasks. Each runs inside an app context given by the worker; each is idempotent."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# Other modules register their periodic work here (hold sweep, outbox delivery, reminders).
PERIODIC_TASKS: list = []


def periodic(func):
    """Mark ``func`` (no arguments) to run on every periodic tick."""
    PERIODIC_TASKS.append(func)
    return func


@periodic
def sweep_expired_holds() -> int:
    """Tidy up holds past their expiry (availability never waits for this)."""
    from cinema.booking import booking
    from cinema.models import utcnow

    return booking.release_expired_holds(utcnow())


@periodic
def reconcile_payments() -> dict:
    """Settle payments left unfinished (crashes, lost answers) and refund charges that pay for
    no booking; retries pending refunds too (services/reconciliation.py)."""
    from cinema.booking import reconciliation
    from cinema.models import utcnow

    return reconciliation.reconcile_payments(utcnow())


@periodic
def keep_report_rollups() -> int:
    """Sum the days and showtimes that closed since the last tick, ahead of the reports."""
    from cinema.models import utcnow
    from cinema.reports import report_rollup

    return report_rollup.keep_up(utcnow())


def periodic_tick() -> dict:
    """Run every periodic task once; one failing does not stop the others."""
    results = {}
    for func in PERIODIC_TASKS:
        try:
            results[func.__name__] = func()
        except Exception:  # noqa: BLE001 - logged, and re-run next tick
            log.exception("periodic task %s failed", func.__name__)
            results[func.__name__] = "error"
    return results


def export_report(export_id: str) -> str:
    """Build a report's CSV export under instance/exports/, with progress in the job's meta."""
    from rq import get_current_job

    from cinema.reports import report_exports

    job = get_current_job()

    def progress(done: int, total: int) -> None:
        if job is not None:
            job.meta.update(progress=done, total=total)
            job.save_meta()

    return report_exports.build_export(export_id, progress)


# Modules whose periodic work registers itself (with ``@periodic``) when imported.
from cinema.messaging import mail_delivery, reminders  # noqa: E402,F401,I001 - reminders first
