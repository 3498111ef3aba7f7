"""Reconciliation: make every payment final and every booking's money agree with its status.

After one pass, for every reservation, money taken minus money refunded is its total if it is
CONFIRMED or COMPLETED (by card) and 0 otherwise. A pass:

1. settles PENDING charges untouched for a minute (their process died before or after the
   provider's answer): the provider is asked by the attempt's key; its answer is recorded, and
   an attempt it never saw is FAILED as abandoned;
2. asks again about attempts abandoned in the last day: a call that reached the provider late
   shows up here, and is refunded (the patron may have paid again since: a duplicate);
3. settles each SUCCEEDED charge that does not pay for its booking: a HELD booking whose seats
   are still its own is confirmed with it (its confirmation email goes to the outbox in the same
   transaction); otherwise it is refunded (booking replaced, expired and swept, cancelled,
   confirmed with another payment, showtime started);
   A top-up of an exchange to dearer seats is settled with its exchange instead
   (``exchanges.settle_topup``): the swap is finished if the exchange's hold still has its
   seats, and the top-up refunded otherwise;
4. finishes PENDING refunds (``refunds.retry_pending_refunds``);
5. reports (logs) card bookings confirmed recently without a charge that pays for them.

Idempotent, and safe on several workers at once without locks held over provider calls:
recording an answer is a conditional update of a PENDING row, settling a charge takes its row
lock (SKIP LOCKED: another worker moves on) and then the reservation's, and every refund has a
key of its own (``refund-charge:<charge id>``) both in ``payments`` and at the provider, so it
happens once whoever opens it.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema.booking import booking, charges, exchanges, payments, refunds
from cinema.exceptions import DomainError
from cinema.extensions import db
from cinema.models import (
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Reservation,
    ReservationStatus,
)

log = logging.getLogger(__name__)

STALE_PENDING = timedelta(minutes=1)
RECHECK_ABANDONED = timedelta(days=1)
REPORT_UNPAID_SINCE = timedelta(days=2)


def reconcile_payments(now: datetime) -> dict:
    """One reconciliation pass; returns counts of what it did."""
    counts = {"charges_settled": 0, "charges_abandoned": 0, "late_charges_refunded": 0,
              "bookings_confirmed": 0, "exchanges_completed": 0, "charges_refunded": 0,
              "refunds_retried": 0,
              "unpaid_confirmed": 0}

    def count(outcome: str) -> None:
        if outcome in counts:
            counts[outcome] += 1

    for charge in _stale_pending_charges(now):
        count(_settle_pending(charge, now))
    for charge in _recently_abandoned(now):
        count(_recheck_abandoned(charge, now))
    for charge_id in _charges_not_paying(now):
        count(settle_charge(charge_id, now))
    for charge_id in exchanges.topups_not_settled():
        count(exchanges.settle_topup(charge_id, now))
    counts["refunds_retried"] = refunds.retry_pending_refunds(now)
    counts["unpaid_confirmed"] = _report_unpaid_confirmed(now)
    db.session.commit()
    return counts


def _stale_pending_charges(now: datetime) -> list[Payment]:
    return db.session.scalars(sa.select(Payment).where(
        Payment.kind == PaymentKind.CHARGE, Payment.status == PaymentStatus.PENDING,
        Payment.updated_at <= now - STALE_PENDING).order_by(Payment.id)).all()


def _settle_pending(charge: Payment, now: datetime) -> str:
    result = payments.provider_for(charge.provider).lookup(charge.idempotency_key)
    if result is None:
        # Never reached the provider (or not yet: a request would have timed out by now).
        given_up = db.session.execute(
            sa.update(Payment).where(Payment.id == charge.id,
                                     Payment.status == PaymentStatus.PENDING)
            .values(status=PaymentStatus.FAILED, error_code=charges.ABANDONED,
                    error_message="The payment was interrupted before the card was charged.",
                    updated_at=now).execution_options(synchronize_session=False))
        db.session.commit()
        return "charges_abandoned" if given_up.rowcount == 1 else "already"
    charges.record_charge(charge.id, result, now)
    return "charges_settled"


def _recently_abandoned(now: datetime) -> list[Payment]:
    return db.session.scalars(sa.select(Payment).where(
        Payment.kind == PaymentKind.CHARGE, Payment.status == PaymentStatus.FAILED,
        Payment.error_code == charges.ABANDONED,
        Payment.updated_at >= now - RECHECK_ABANDONED).order_by(Payment.id)).all()


def _recheck_abandoned(charge: Payment, now: datetime) -> str:
    result = payments.provider_for(charge.provider).lookup(charge.idempotency_key)
    if result is None or not result.ok:
        return "already"
    charges.record_charge(charge.id, result, now)  # late success: recorded and refunded
    return "late_charges_refunded"


def _charges_not_paying(now: datetime) -> list[int]:
    """SUCCEEDED charges, not given back, that are not the payment of their booking (top-ups
    are the exchanges')."""
    pays = sa.and_(Reservation.status.in_([ReservationStatus.CONFIRMED,
                                           ReservationStatus.COMPLETED]),
                   Reservation.payment_method == PaymentMethod.CARD,
                   Reservation.payment_id == Payment.provider_ref)
    return db.session.scalars(
        sa.select(Payment.id).join(Reservation, Reservation.id == Payment.reservation_id)
        .where(Payment.kind == PaymentKind.CHARGE, Payment.status == PaymentStatus.SUCCEEDED,
               Payment.compensated_at.is_(None), Payment.exchange_id.is_(None), sa.not_(pays))
        .order_by(Payment.id)).all()


def settle_charge(charge_id: int, now: datetime) -> str:
    """Make one SUCCEEDED charge agree with its booking: confirm the booking with it if it is
    HELD with its seats still its own, otherwise refund it. Returns "bookings_confirmed",
    "charges_refunded" or "already" (nothing to do). Commits."""
    # The charge's row lock (held until the first commit below) makes one process settle it;
    # another reconciler skips it rather than wait and count it again.
    charge = db.session.scalar(sa.select(Payment).where(Payment.id == charge_id)
                               .with_for_update(skip_locked=True)
                               .execution_options(populate_existing=True))
    if charge is None:
        db.session.commit()
        return "already"
    reservation = db.session.get(Reservation, charge.reservation_id, populate_existing=True)
    if charge.exchange_id is not None:
        db.session.commit()
        return exchanges.settle_topup(charge_id, now)
    if charge.status is not PaymentStatus.SUCCEEDED or charge.compensated_at is not None or \
            charges.pays_for(reservation, charge):
        db.session.commit()
        return "already"
    if reservation.status is ReservationStatus.HELD:
        try:
            confirmed = booking.finalise(reservation.id, now, PaymentMethod.CARD, charge,
                                         hold_expired_ok=True)
        except DomainError as refusal:  # finalise refunded the charge
            log.info("charge %s could not confirm booking %s (%s): refunded", charge.id,
                     reservation.code, refusal.error_code)
            return "charges_refunded"
        except Exception:
            db.session.rollback()
            log.exception("confirming booking %s with charge %s failed: refunding it",
                          reservation.code, charge.id)
            charge = db.session.get(Payment, charge_id, populate_existing=True)
        else:
            if charges.pays_for(confirmed, charge):
                log.warning("reconciliation confirmed booking %s with charge %s",
                            confirmed.code, charge.id)
                return "bookings_confirmed"
            return "charges_refunded"  # confirmed otherwise meanwhile; finalise refunded it
    refunds.refund_payment(charge, now)
    log.warning("refunded charge %s of booking %s (%s)", charge.id, reservation.code,
                reservation.status.value)
    return "charges_refunded"


def _report_unpaid_confirmed(now: datetime) -> int:
    """Card bookings confirmed lately with no SUCCEEDED charge paying for them: logged for a
    person to look at (money cannot be taken again without the patron)."""
    paid = sa.select(Payment.id).where(
        Payment.reservation_id == Reservation.id, Payment.kind == PaymentKind.CHARGE,
        Payment.status == PaymentStatus.SUCCEEDED,
        Payment.provider_ref == Reservation.payment_id)
    unpaid = db.session.scalars(sa.select(Reservation.code).where(
        Reservation.status.in_([ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED]),
        Reservation.payment_method == PaymentMethod.CARD,
        Reservation.confirmed_at >= now - REPORT_UNPAID_SINCE, ~paid.exists())).all()
    for code in unpaid:
        log.error("booking %s is confirmed as paid by card but no charge pays for it", code)
    return len(unpaid)
