"""Background tasks. Each runs inside an app context given by the worker; each is idempotent.

This module is wiring, above the domain packages: it lists the periodic work explicitly (no
module registers itself here on import) and calls into the domain packages.
"""
from __future__ import annotations

import logging

from cinema.booking import box_office, expiry, reconciliation
from cinema.messaging import mail_delivery, reminders
from cinema.models import utcnow
from cinema.reports import report_exports, report_rollup
from cinema.waitlist import offers
from cinema.wishlist import digest

log = logging.getLogger(__name__)


def sweep_expired_holds() -> int:
    """Tidy up holds past their expiry (availability never waits for this)."""
    return expiry.release_expired_holds(utcnow())


def release_unpaid_box_office() -> int:
    """Release "pay at the box office" bookings still unpaid shortly before the start."""
    return box_office.release_unpaid(utcnow())


def reconcile_payments() -> dict:
    """Settle payments left unfinished (crashes, lost answers) and refund charges that pay for
    no booking; retries pending refunds too (booking/reconciliation.py)."""
    return reconciliation.reconcile_payments(utcnow())


def keep_report_rollups() -> int:
    """Sum the days and showtimes that closed since the last tick, ahead of the reports."""
    return report_rollup.keep_up(utcnow())


def offer_waitlisted_seats() -> int:
    """Offer free seats down the waitlists (after the sweep, which frees expired holds), and
    pass on offers whose hold ran out; the seats-freed hook does this at once, this catches up."""
    return offers.process_waitlists(utcnow())


def queue_wishlist_digests() -> int:
    """Queue the day's email of new showtimes for each patron's saved films (batched)."""
    return digest.queue_digests(utcnow())


def queue_due_reminders() -> int:
    """Queue the reminders now due (before the delivery below, so they leave this tick)."""
    return reminders.queue_reminders(utcnow())


def deliver_pending_email() -> int:
    """The sweep: whatever quick delivery missed (Redis down, SMTP down, a crash)."""
    return mail_delivery.drain_outbox()


# Every periodic tick runs these, in this order.
PERIODIC_TASKS = (
    sweep_expired_holds,
    release_unpaid_box_office,
    reconcile_payments,
    keep_report_rollups,
    offer_waitlisted_seats,
    queue_wishlist_digests,
    queue_due_reminders,
    deliver_pending_email,
)


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


# Export jobs enqueued before the task moved into the reports package name this path.
export_report = report_exports.build_export_job
