"""Refunds through the payment provider, each keyed so that a repeat never pays back twice.

A refund row is written PENDING in the transaction that decides it (a cancellation), then the
provider is called with no lock held; a call that did not complete is finished by the periodic
sweep (``retry_pending_refunds``).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from cinema.extensions import db
from cinema.models import Payment, PaymentKind, PaymentMethod, PaymentStatus, Reservation
from cinema.services import payments, scheduling

# Refund keys: "refund:<reservation id>" gives back a cancelled booking's payment (a revenue
# event); "refund-charge:<payment id>" gives back a charge that could not confirm (the hold
# expired or a promo code ran out while paying): never a sale, so not a refund in the reports.
COMPENSATION_PREFIX = "refund-charge:"


def open_refund(reservation: Reservation, actor_id: int | None) -> Payment | None:
    """A PENDING refund row for a card-paid booking, in the cancelling transaction."""
    if reservation.payment_method is not PaymentMethod.CARD or reservation.paid_at is None:
        return None
    refund = Payment(reservation_id=reservation.id, provider=current_app.config[
        "PAYMENT_PROVIDER"], kind=PaymentKind.REFUND, amount_cents=reservation.total_price_cents,
        idempotency_key=f"refund:{reservation.id}", created_by=actor_id)
    db.session.add(refund)
    return refund


def refund_payment(payment: Payment, now: datetime) -> None:
    """Refund a charge (or finish a PENDING refund row). Safe to repeat: keyed per charge
    (a charge that could not confirm) or per booking (a cancellation)."""
    if payment.kind is PaymentKind.CHARGE:
        # Keyed by the charge, not the booking: a hold refused at confirmation (a promo code
        # ran out) stays held, and may be paid, confirmed and refunded later under its own key.
        key = f"{COMPENSATION_PREFIX}{payment.id}"
        refund = db.session.scalar(sa.select(Payment).where(Payment.idempotency_key == key))
        if refund is None:
            refund = Payment(reservation_id=payment.reservation_id, provider=payment.provider,
                             kind=PaymentKind.REFUND, amount_cents=payment.amount_cents,
                             idempotency_key=key)
            db.session.add(refund)
            db.session.commit()
    else:
        refund = payment
    if refund.status is not PaymentStatus.PENDING:
        return
    charge_ref = db.session.scalar(sa.select(Payment.provider_ref).where(
        Payment.reservation_id == refund.reservation_id, Payment.kind == PaymentKind.CHARGE,
        Payment.status == PaymentStatus.SUCCEEDED).order_by(Payment.id.desc()).limit(1))
    result = payments.provider_for(refund.provider).refund(charge_ref or "", refund.amount_cents,
                                                           refund.idempotency_key)
    if result.ok:
        refund.status, refund.provider_ref = PaymentStatus.SUCCEEDED, result.reference
    else:
        refund.error_code, refund.error_message = result.error_code, result.message
    db.session.commit()


def retry_pending_refunds(now: datetime) -> int:
    """Finish refunds whose provider call did not complete (the periodic sweep runs this)."""
    pending = db.session.scalars(sa.select(Payment).where(
        Payment.kind == PaymentKind.REFUND, Payment.status == PaymentStatus.PENDING,
        Payment.created_at <= now - timedelta(minutes=1))).all()
    for refund in pending:
        refund_payment(refund, now)
    return len(pending)


def refund_cancelled_by_cinema(reservation: Reservation, now: datetime) -> None:
    """Refund a card-paid booking the cinema cancelled (a cancelled showtime). Runs after the
    cancelling commit; safe to run twice (one refund row per booking, keyed)."""
    refund = db.session.scalar(sa.select(Payment).where(
        Payment.idempotency_key == f"refund:{reservation.id}"))
    if refund is None:
        refund = open_refund(db.session.get(Reservation, reservation.id), actor_id=None)
        if refund is None:
            return  # not paid by card: nothing to give back
        db.session.commit()
    refund_payment(refund, now)


scheduling.ON_RESERVATION_CANCELLED_BY_CINEMA.append(refund_cancelled_by_cinema)
