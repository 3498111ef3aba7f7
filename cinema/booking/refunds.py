"""Refunds through the payment provider, each keyed so that a repeat never pays back twice.

A refund row is written PENDING in the transaction that decides it (a cancellation), then the
provider is called with no lock held; a call that did not complete is finished by the periodic
sweep (``retry_pending_refunds``).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema.booking import payments
from cinema.extensions import db
from cinema.models import (
    COMPENSATION_PREFIX,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Reservation,
    utcnow,
)
from cinema.settings import settings

log = logging.getLogger(__name__)

# Refund keys: see COMPENSATION_PREFIX in models/booking.py.


def _mark_given_back(reservation_id: int, now: datetime) -> None:
    """The booking's charges no longer pay for it: a refund of them is being opened. Not the
    top-up of a change that has not gone through (charged, its swap not yet run): the
    cancel's refund does not draw on it (``_paying_charges``), so it must stay open for the
    swap's refusal, or reconciliation, to give it back."""
    went_through = sa.select(Reservation.id).where(
        Reservation.id == Payment.exchange_id, Reservation.split_from_id == reservation_id)
    db.session.execute(sa.update(Payment).where(
        Payment.reservation_id == reservation_id, Payment.kind == PaymentKind.CHARGE,
        Payment.status == PaymentStatus.SUCCEEDED, Payment.compensated_at.is_(None),
        sa.or_(Payment.exchange_id.is_(None), went_through.exists()))
        .values(compensated_at=now).execution_options(synchronize_session=False))


def open_refund(reservation: Reservation, actor_id: int | None) -> list[Payment]:
    """The PENDING refund rows of a card-paid booking, in the cancelling transaction: its
    total, drawn on its charges (``open_refunds``; the first keyed ``refund:<booking id>``).
    Empty if there is nothing to give back."""
    if reservation.payment_method is not PaymentMethod.CARD or reservation.paid_at is None:
        return []
    _mark_given_back(reservation.id, reservation.cancelled_at or utcnow())
    return open_refunds(reservation, reservation.total_price_cents, f"refund:{reservation.id}",
                        actor_id)


def open_refunds(reservation: Reservation, amount_cents: int, key: str,
                 actor_id: int | None) -> list[Payment]:
    """PENDING refund rows giving back ``amount_cents`` of a card-paid booking, added to the
    session: drawn on its own charge first, then on the top-ups of its exchanges, never more
    from one than is left of it (a provider refunds a charge, not a booking). The first row has
    ``key``, each further one ``<key>:<charge id>``. Empty for an amount of 0."""
    rows, left = [], amount_cents
    sources = _paying_charges(reservation)
    for charge, remaining in sources:
        if left <= 0:
            break
        part = min(left, remaining)
        if part <= 0:
            continue
        rows.append(Payment(reservation_id=reservation.id, provider=charge.provider,
                            kind=PaymentKind.REFUND, amount_cents=part, refund_of_id=charge.id,
                            idempotency_key=key if not rows else f"{key}:{charge.id}",
                            created_by=actor_id))
        left -= part
    if left > 0:
        # More than its charges have left (data from before charges were recorded): one row
        # for the rest on the booking's payment; the provider's answer is logged if it refuses.
        log.error("refund %s: %s cents more than the charges of booking %s have left", key,
                  left, reservation.code)
        rows.append(Payment(reservation_id=reservation.id, provider=settings().payment_provider,
                            kind=PaymentKind.REFUND, amount_cents=left, created_by=actor_id,
                            idempotency_key=key if not rows else f"{key}:rest"))
    db.session.add_all(rows)
    return rows


def _paying_charges(reservation: Reservation) -> list[tuple[Payment, int]]:
    """(charge, amount not yet refunded) for each charge that paid for the booking: its own
    (``payment_id``), then each top-up of an exchange that went through, oldest first."""
    own = sa.and_(Payment.exchange_id.is_(None), Payment.provider_ref == reservation.payment_id)
    exchanged = sa.select(Reservation.id).where(
        Reservation.id == Payment.exchange_id, Reservation.split_from_id == reservation.id)
    charges = db.session.scalars(sa.select(Payment).where(
        Payment.reservation_id == reservation.id, Payment.kind == PaymentKind.CHARGE,
        Payment.status == PaymentStatus.SUCCEEDED, sa.or_(own, exchanged.exists()))
        .order_by(Payment.exchange_id.is_not(None), Payment.id)).all()
    refunds = db.session.execute(sa.select(Payment.refund_of_id, Payment.amount_cents).where(
        Payment.reservation_id == reservation.id, Payment.kind == PaymentKind.REFUND,
        ~Payment.idempotency_key.startswith(COMPENSATION_PREFIX))).all()
    drawn: dict[int | None, int] = {}
    for charge_id, amount in refunds:
        drawn[charge_id] = drawn.get(charge_id, 0) + amount
    result = []
    for charge in charges:
        given_back = drawn.get(charge.id, 0)
        if charge.exchange_id is None:
            given_back += drawn.get(None, 0)  # older rows drew on the booking's own charge
        result.append((charge, charge.amount_cents - given_back))
    return result


def _open_compensation(charge: Payment, now: datetime) -> Payment:
    """The refund row of a charge that does not pay for its booking, opened (with the charge
    marked given back, in one commit) unless it already is. Two processes opening it at once
    meet at the key's unique index; the loser reads the winner's row."""
    if charge.compensated_at is None:
        # Before any query: the charge may carry unflushed changes (a late success), and must
        # leave the live-charge index in the same UPDATE.
        charge.compensated_at = now
    key = f"{COMPENSATION_PREFIX}{charge.id}"
    refund = db.session.scalar(sa.select(Payment).where(Payment.idempotency_key == key))
    if refund is not None:
        db.session.commit()
        return refund
    refund = Payment(reservation_id=charge.reservation_id, provider=charge.provider,
                     kind=PaymentKind.REFUND, amount_cents=charge.amount_cents,
                     idempotency_key=key, refund_of_id=charge.id)
    db.session.add(refund)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        refund = db.session.scalar(sa.select(Payment).where(Payment.idempotency_key == key))
        if refund is None:
            raise
    return refund


def _charge_reference(refund: Payment) -> str:
    """The provider reference of the charge a refund gives back."""
    if refund.refund_of_id is not None:
        return db.session.scalar(sa.select(Payment.provider_ref).where(
            Payment.id == refund.refund_of_id)) or ""
    if refund.idempotency_key.startswith(COMPENSATION_PREFIX):
        charge_id = int(refund.idempotency_key.removeprefix(COMPENSATION_PREFIX))
        return db.session.scalar(sa.select(Payment.provider_ref).where(
            Payment.id == charge_id)) or ""
    paid_with = db.session.scalar(sa.select(Reservation.payment_id).where(
        Reservation.id == refund.reservation_id))
    return paid_with or db.session.scalar(sa.select(Payment.provider_ref).where(
        Payment.reservation_id == refund.reservation_id, Payment.kind == PaymentKind.CHARGE,
        Payment.status == PaymentStatus.SUCCEEDED).order_by(Payment.id.desc()).limit(1)) or ""


def refund_payment(payment: Payment, now: datetime) -> None:
    """Refund a charge that does not pay for its booking (or finish a PENDING refund row).
    Safe to repeat and to run in several processes: keyed per charge (a charge that could not
    confirm, or duplicated another) or per booking (a cancellation)."""
    if payment.kind is PaymentKind.CHARGE:
        # Keyed by the charge, not the booking: a hold refused at confirmation (a promo code
        # ran out) stays held, and may be paid, confirmed and refunded later under its own key.
        refund = _open_compensation(payment, now)
    else:
        refund = payment
    if refund.status is not PaymentStatus.PENDING:
        return
    charge_ref = _charge_reference(refund)
    db.session.commit()  # no transaction open while the provider is called
    result = payments.provider_for(refund.provider).refund(charge_ref, refund.amount_cents,
                                                           refund.idempotency_key)
    refund = db.session.scalar(sa.select(Payment).where(Payment.id == refund.id)
                               .with_for_update().execution_options(populate_existing=True))
    if refund.status is PaymentStatus.PENDING:
        if result.ok:
            refund.status, refund.provider_ref = PaymentStatus.SUCCEEDED, result.reference
        else:
            refund.error_code, refund.error_message = result.error_code, result.message
            log.warning("refund %s refused by the provider: %s", refund.id, result.error_code)
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
    cancelling commit (create_app wires it into scheduling); safe to run twice (its refund rows
    are keyed ``refund:<booking id>``, and ``refund:<booking id>:<charge id>`` for a top-up)."""
    key = f"refund:{reservation.id}"
    rows = db.session.scalars(sa.select(Payment).where(sa.or_(
        Payment.idempotency_key == key, Payment.idempotency_key.startswith(f"{key}:")))
        .order_by(Payment.id)).all()
    if not rows:
        rows = open_refund(db.session.get(Reservation, reservation.id), actor_id=None)
        if not rows:
            return  # not paid by card: nothing to give back
        db.session.commit()
    for refund in rows:
        refund_payment(refund, now)
