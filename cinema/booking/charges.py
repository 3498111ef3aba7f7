"""One charge per booking: the charge attempt belongs to the reservation, not to a page load.

- At most one live charge per reservation (PENDING, or SUCCEEDED and not given back): the
  partial unique index ``uq_payments_live_charge`` refuses a second, so of two tabs, eight
  parallel submits or a reload, one charges and the others get ``PaymentInProgress`` (409) or,
  once it succeeded, its result.
- The provider's idempotency key is ``charge:<reservation id>:<attempt>``; the attempt number
  only moves on after an attempt is over (declined, or given back). A confirm that finds a
  PENDING attempt nobody has touched for ``PAYMENT_PENDING_STALE_SECONDS`` (its process died
  between the PENDING row and the provider's answer) takes it over and calls the provider again
  with the same key: the provider answers with the earlier charge if there was one, so a reload
  after a crash never charges twice.
- No lock is held while the provider is called; the PENDING row is committed first.
- An exchange to dearer seats (``exchanges``) charges the difference as a top-up: a charge of
  the booking naming the exchange's hold (``exchange_id``), keyed ``topup:<hold id>:<attempt>``,
  one live per exchange (``uq_payments_live_topup``), by the same steps.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema.booking import payments, refunds
from cinema.exceptions import PaymentInProgress
from cinema.extensions import db
from cinema.models import (
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Reservation,
    ReservationStatus,
)
from cinema.settings import settings

log = logging.getLogger(__name__)

ABANDONED = "abandoned"  # error_code of an attempt that never reached the provider


def charge_key(reservation_id: int, attempt: int) -> str:
    return f"charge:{reservation_id}:{attempt}"


def _attempts_of(reservation_id: int, exchange_id: int | None):
    """SQL: the charge attempts of a booking's own payment, or of one exchange's top-up."""
    return sa.and_(Payment.reservation_id == reservation_id, Payment.kind == PaymentKind.CHARGE,
                   Payment.exchange_id.is_(None) if exchange_id is None
                   else Payment.exchange_id == exchange_id)


def live_charge(reservation_id: int, exchange_id: int | None = None) -> Payment | None:
    """The reservation's charge that may take or has taken its money, if any (with
    ``exchange_id``: that exchange's top-up)."""
    return db.session.scalar(sa.select(Payment).where(
        _attempts_of(reservation_id, exchange_id),
        Payment.status.in_([PaymentStatus.PENDING, PaymentStatus.SUCCEEDED]),
        Payment.compensated_at.is_(None)).execution_options(populate_existing=True))


def pays_for(reservation: Reservation, charge: Payment) -> bool:
    """Whether ``charge`` is the payment of this confirmed card booking."""
    return (reservation.status in (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED)
            and reservation.payment_method is PaymentMethod.CARD
            and charge.provider_ref is not None and reservation.payment_id == charge.provider_ref)


def charge_reservation(reservation: Reservation, card: payments.Card, now: datetime) -> Payment:
    """Charge the booking's total once: the reservation's charge, SUCCEEDED or FAILED.

    Raises PaymentInProgress (409) while another request's attempt is under way.
    """
    return _charge(reservation, card, now, reservation.total_price_cents, exchange_id=None)


def charge_topup(booking: Reservation, exchange_id: int, amount_cents: int, card: payments.Card,
                 now: datetime) -> Payment:
    """Charge ``amount_cents`` once for the exchange whose hold is ``exchange_id``: the top-up,
    a charge of ``booking``, SUCCEEDED or FAILED. Raises PaymentInProgress (409) like
    ``charge_reservation``."""
    return _charge(booking, card, now, amount_cents, exchange_id)


def _charge(reservation: Reservation, card: payments.Card, now: datetime, amount_cents: int,
            exchange_id: int | None) -> Payment:
    payment = _claim_attempt(reservation, card, now, amount_cents, exchange_id)
    if payment.status is PaymentStatus.PENDING:
        provider = payments.provider_for(payment.provider)
        result = provider.charge(payment.amount_cents, card, payment.idempotency_key)
        payment = record_charge(payment.id, result, now)
    return payment


def _claim_attempt(reservation: Reservation, card: payments.Card, now: datetime,
                   amount_cents: int | None = None, exchange_id: int | None = None) -> Payment:
    """The attempt this request may carry out, committed PENDING before any money moves: a new
    one, an orphaned one taken over, or the live one if it already succeeded."""
    live = live_charge(reservation.id, exchange_id)
    if live is not None:
        if live.status is PaymentStatus.SUCCEEDED:
            return live
        stale_before = now - timedelta(seconds=settings().payment_pending_stale_seconds)
        # Claim the orphan with a conditional update, so of two reloads only one resumes it.
        taken = db.session.execute(
            sa.update(Payment).where(Payment.id == live.id,
                                     Payment.status == PaymentStatus.PENDING,
                                     Payment.updated_at <= stale_before)
            .values(updated_at=now).execution_options(synchronize_session=False))
        db.session.commit()
        if taken.rowcount != 1:
            raise PaymentInProgress()
        log.warning("resuming orphaned charge %s with its key %s", live.id, live.idempotency_key)
        return db.session.get(Payment, live.id, populate_existing=True)
    finished = db.session.scalar(sa.select(sa.func.count()).select_from(Payment).where(
        _attempts_of(reservation.id, exchange_id)))
    key = (charge_key(reservation.id, finished + 1) if exchange_id is None
           else f"topup:{exchange_id}:{finished + 1}")
    payment = Payment(reservation_id=reservation.id,
                      provider=settings().payment_provider, kind=PaymentKind.CHARGE,
                      amount_cents=reservation.total_price_cents if amount_cents is None
                      else amount_cents, idempotency_key=key, exchange_id=exchange_id,
                      card_last4=card.last4, created_by=reservation.user_id)
    db.session.add(payment)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as error:  # another request's attempt got there first
        db.session.rollback()
        raise PaymentInProgress() from error
    return payment


def record_charge(payment_id: int, result: payments.ProviderResult, now: datetime) -> Payment:
    """Write the provider's answer on a PENDING charge; commits. An answer that arrives after
    the attempt was given up as abandoned is the provider's truth: the money is recorded and
    given back (the patron was never told it was taken)."""
    payment = db.session.scalar(sa.select(Payment).where(Payment.id == payment_id)
                                .with_for_update().execution_options(populate_existing=True))
    if payment.status is PaymentStatus.PENDING:
        if result.ok:
            payment.status, payment.provider_ref = PaymentStatus.SUCCEEDED, result.reference
        else:
            payment.status = PaymentStatus.FAILED
            payment.error_code, payment.error_message = result.error_code, result.message
        db.session.commit()
        if result.ok and payment.compensated_at is not None:
            refunds.refund_payment(payment, now)  # a duplicate set aside before it settled
        return payment
    db.session.commit()
    if result.ok and payment.status is PaymentStatus.FAILED:
        log.warning("charge %s succeeded after it was abandoned: refunding it", payment.id)
        payment.status, payment.provider_ref = PaymentStatus.SUCCEEDED, result.reference
        refunds.refund_payment(payment, now)  # marks it given back in the same flush
    return payment
