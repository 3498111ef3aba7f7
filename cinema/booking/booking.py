"""Holds, confirmation and cancellation: the rules that keep seats and money safe.

The guarantee against double booking is the database's: the partial unique index
``uq_reserved_seats_active`` allows one active ``reserved_seats`` row per (showtime, seat).
Everything here is about answering well around it:

- Holds (``holds``, re-exported here as ``hold_seats``): retire expired and replaced holds,
  check, insert against the index; its docstring says why that cannot double-book or deadlock.
- No lock is held while the payment provider is called: confirm commits a PENDING payment row,
  calls the provider, then re-checks the hold in a new transaction. One charge per booking
  (``charges``); a charge that cannot be confirmed is refunded, and what a crash leaves behind
  is settled by ``reconciliation``.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema.booking import (
    bookings_query,
    charges,
    exchange_holds,
    freed_seats,
    hold_rules,
    holds,
    payments,
    promotions,
    refunds,
    seat_stamps,
)
from cinema.exceptions import (
    CancellationClosed,
    DomainError,
    HoldExpired,
    InvalidState,
    NotFound,
    PaymentDeclined,
    PaymentInProgress,
    ShowtimeStarted,
    TotalChanged,
    ValidationFailed,
)
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import (
    CancelReason,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    ReservedSeat,
)
from cinema.settings import settings

log = logging.getLogger(__name__)

# An exchange's hold (``exchanges``) is paid and confirmed only by the exchange.
EXCHANGE_HOLD = ("These seats are held to change another booking: finish the change from that "
                 "booking's page.")
LIVE_STATUSES = (ReservationStatus.HELD, ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED)
DEADLOCK_RETRIES = 3


# --- holds (cinema/booking/holds.py) ---------------------------------------------------------

hold_seats = holds.hold_seats
bookable_showtime = hold_rules.bookable_showtime


def hold_is_live(reservation: Reservation, now: datetime) -> bool:
    return reservation.is_live_hold(now)


# --- confirmation ----------------------------------------------------------------------------

def confirm_booking(reservation_id: int, user_id: int, payment_method: str, now: datetime,
                    card_number: str | None = None, card_expiry: str | None = None,
                    card_cvc: str | None = None, idempotency_key: str | None = None
                    ) -> Reservation:
    """Pay for a held booking and confirm it; commits. However often and from however many tabs
    it is submitted, the booking is charged once (``charges``): ``idempotency_key``, the page's
    form key, is accepted for old pages but not used, the key comes from the reservation.

    Raises NotFound, HoldExpired (409), ShowtimeUnavailable (409, the showtime has started),
    ValidationFailed (422: method or card format), PaymentDeclined (402; the hold stays),
    PaymentInProgress (409), or a promo code refusal (its discount removed first, see
    ``promotions.check_before_payment``).
    """
    reservation = bookings_query.visible_to(reservation_id, user_id, viewer_is_staff=False)
    if reservation.status in (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED):
        return reservation  # a double submit after success: nothing more to do
    if reservation.exchange_for_id is not None:
        raise InvalidState(EXCHANGE_HOLD)
    if not reservation.is_live_hold(now):
        raise HoldExpired()
    if reservation.showtime.starts_at <= now:
        raise ShowtimeStarted()
    try:
        method = PaymentMethod(payment_method.upper())
    except (ValueError, AttributeError):
        raise ValidationFailed("Please choose how to pay.",
                               field_errors={"payment_method": ["Card or box office."]}) from None
    promotions.check_before_payment(reservation, now)  # before any money moves
    if method is PaymentMethod.BOX_OFFICE:
        if charges.live_charge(reservation.id) is not None:
            raise PaymentInProgress()  # a card payment of this booking is under way or done
        return finalise(reservation.id, now, method, payment=None)
    card = payments.parse_card(card_number, card_expiry, card_cvc, now)
    payment = charges.charge_reservation(reservation, card, now)
    if payment.status is PaymentStatus.FAILED:
        raise PaymentDeclined(payment.error_message or PaymentDeclined.default_detail,
                              decline_code=payment.error_code)
    try:
        return finalise(reservation.id, now, method, payment)
    except DomainError:
        raise
    except Exception:
        # Charged, then something unexpected: never leave the money orphaned. Settle it now
        # if the database lets us (confirm, or give it back); reconciliation does otherwise.
        db.session.rollback()
        from cinema.booking import reconciliation

        try:
            reconciliation.settle_charge(payment.id, now)
        except Exception:  # noqa: BLE001 - the original error is the one to report
            db.session.rollback()
            log.exception("could not settle charge %s at once; reconciliation will", payment.id)
        raise


def _seats_still_its_own(reservation: Reservation) -> bool:
    """A HELD reservation whose seat rows are all active: no one else can hold those seats (the
    unique index), even if its hold clock ran out. Reconciliation confirms such a booking."""
    return reservation.status is ReservationStatus.HELD and all(
        line.is_active for line in reservation.seats)


def finalise(reservation_id: int, now: datetime, method: PaymentMethod,
             payment: Payment | None, hold_expired_ok: bool = False) -> Reservation:
    """Confirm under a row lock, re-checking the hold (it may have expired during the call;
    with ``hold_expired_ok``, reconciliation's case, it is enough that the seats are still its
    own), the start time, and counting a use of the booking's promo code; if one fails, refund
    the charge and raise the refusal (HoldExpired, ShowtimeStarted, a promo refusal). A charge
    that arrives for a booking already confirmed otherwise (another tab, the box office) is
    refunded and the confirmed booking returned."""
    reservation = db.session.scalar(
        sa.select(Reservation).where(Reservation.id == reservation_id).with_for_update()
        .execution_options(populate_existing=True))
    if reservation.status in (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED):
        db.session.commit()
        if payment is not None and not charges.pays_for(reservation, payment):
            refunds.refund_payment(payment, now)
        return reservation
    refusal = None
    if reservation.exchange_for_id is not None:
        refusal = InvalidState(EXCHANGE_HOLD)
    elif not (hold_is_live(reservation, now) or
            (hold_expired_ok and _seats_still_its_own(reservation))):
        refusal = HoldExpired()
    elif reservation.showtime.starts_at <= now:
        refusal = ShowtimeStarted()
    elif payment is not None and payment.amount_cents != reservation.total_price_cents:
        refusal = TotalChanged()  # a promo code applied or removed during the charge
    elif reservation.promo_code_id is not None and \
            not promotions.consume_use(reservation.promo_code_id):
        refusal = promotions.used_up(reservation)  # the last use went to another booking
    if refusal is not None:
        db.session.commit()
        if payment is not None:
            # Charged, but it cannot be confirmed: give the money back.
            refunds.refund_payment(payment, now)
        raise refusal
    reservation.status = ReservationStatus.CONFIRMED
    reservation.confirmed_at = now
    reservation.payment_method = method
    if payment is not None:
        reservation.payment_id = payment.provider_ref
        reservation.paid_at = now
    # The email row commits with the confirmation; after the commit, notifications asks the
    # worker to send it at once (and the periodic sweep sends it if Redis is down).
    notifications.booking_confirmed(reservation)
    db.session.commit()
    seat_stamps.bump(reservation.showtime_id)
    return reservation


# --- cancellation -------------------------------------------------------------------------

def cancel_booking(reservation_id: int, actor_id: int, now: datetime,
                   by_admin: bool = False) -> Reservation:
    """Cancel a booking and refund its card payment; the seats are free at once. Commits.

    Patrons cancel their own HELD booking any time and a CONFIRMED one until
    ``CANCELLATION_CUTOFF_MINUTES`` before the start; admins cancel any live booking.
    Raises NotFound, CancellationClosed or InvalidState (409).
    """
    reservation = db.session.scalar(
        sa.select(Reservation).where(Reservation.id == reservation_id).with_for_update())
    if reservation is None or (not by_admin and reservation.user_id != actor_id):
        raise NotFound("We could not find that booking.")
    if reservation.status not in (ReservationStatus.HELD, ReservationStatus.CONFIRMED):
        raise InvalidState(f"This booking is {reservation.status.value.lower()} and cannot be "
                           "cancelled.")
    if reservation.status is ReservationStatus.CONFIRMED and not by_admin:
        cutoff = settings().cancellation_cutoff_minutes
        if now > reservation.showtime.starts_at - timedelta(minutes=cutoff):
            raise CancellationClosed(
                f"Bookings can be cancelled online until {cutoff} minutes before the start. "
                "Please speak to the box office.")
    was_confirmed = reservation.status is ReservationStatus.CONFIRMED
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancel_reason = CancelReason.ADMIN if by_admin else CancelReason.PATRON
    reservation.cancelled_at = now
    db.session.execute(sa.update(ReservedSeat).where(
        ReservedSeat.reservation_id == reservation.id).values(is_active=False, updated_at=now))
    # A change of showtime under way ends with the booking: its new seats are free at once
    # (the swap would refuse it anyway, and give back a top-up already taken).
    moved_from = exchange_holds.release_exchange_holds([reservation.id], now,
                                                       reservation.cancel_reason)
    refund_rows = refunds.open_refund(reservation, actor_id) if was_confirmed else []
    if was_confirmed:
        notifications.booking_cancelled(reservation,
                                        sum(row.amount_cents for row in refund_rows))
    if by_admin:
        from cinema import audit

        audit.record(actor_id, "reservation.cancel", "reservation", reservation.id,
                     f"cancelled booking {reservation.code}",
                     before={"status": "CONFIRMED" if was_confirmed else "HELD"},
                     after={"status": "CANCELLED"})
    db.session.commit()
    showtime_ids = list(dict.fromkeys([reservation.showtime_id, *moved_from]))
    for showtime_id in showtime_ids:
        seat_stamps.bump(showtime_id)
    for refund in refund_rows:
        refunds.refund_payment(refund, now)
    freed_seats.seats_freed(showtime_ids, now)
    return reservation
