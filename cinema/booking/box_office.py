"""Selling at the box office: staff sell seats to a walk-in patron from the seat map, and take
payment at the counter for bookings made online with "pay at the box office".

A "pay at the box office" booking is CONFIRMED but unpaid (``paid_at`` null) until the counter
takes the money (``mark_paid``, or at the door: ``checkin.admit(..., take_payment=True)``); it
is not a sale until then (reports.report_rows.SOLD_AT), and one still unpaid
``BOX_OFFICE_RELEASE_MINUTES`` before the start is released by the periodic sweep
(``release_unpaid``), with an email.

A sale is a hold and a confirmation in one go, through the same booking service, so the same
database guarantee and the same line items apply. A walk-in who gives no email is booked on the
installation's walk-in account; one who gives an email gets the booking (and the ticket email)
on their account, created if needed (they can set a password later with "Forgot password").
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema import audit
from cinema.accounts import accounts, contact_details
from cinema.booking import booking, expiry, promotions, seat_stamps
from cinema.exceptions import InvalidState, NotFound, PromoExhausted, ValidationFailed
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import (
    CancelReason,
    PaymentMethod,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Showtime,
    User,
    UserRole,
)
from cinema.settings import settings

WALK_IN_EMAIL = "walk-in@box-office.invalid"


def _walk_in_account() -> User:
    user = accounts.find_by_email(WALK_IN_EMAIL)
    if user is None:
        user = User(email=WALK_IN_EMAIL, full_name="Box office walk-in", role=UserRole.USER,
                    password_hash=accounts.hash_password(secrets.token_urlsafe(32)))
        db.session.add(user)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # created by another sale at the same moment
            db.session.rollback()
            user = accounts.find_by_email(WALK_IN_EMAIL)
    return user


def is_walk_in(user: User) -> bool:
    """The shared account of walk-in sales (no email of its own: nothing is sent to it)."""
    return user.email == WALK_IN_EMAIL


def _patron(email: str | None, full_name: str | None) -> User:
    if not (email or "").strip():
        if (full_name or "").strip():
            # A walk-in sale goes to the shared walk-in account: a name alone would be lost.
            message = ("A name goes on the booking only with an email: add the customer's "
                       "email, or leave the name empty for a walk-in sale.")
            raise ValidationFailed(message, field_errors={"customer_name": [message]})
        return _walk_in_account()
    email = contact_details.clean_email(email, field="customer_email")
    full_name = contact_details.clean_name(full_name, field="customer_name") \
        if (full_name or "").strip() else email.split("@")[0]
    user = accounts.find_by_email(email)
    if user is not None:
        return user
    user = User(email=email, full_name=full_name,
                role=UserRole.USER,
                password_hash=accounts.hash_password(secrets.token_urlsafe(32)))
    db.session.add(user)
    db.session.commit()
    return user


def sell(staff_id: int, showtime_id: int, seat_ids, now: datetime,
         customer_email: str | None = None, customer_name: str | None = None,
         promo_code: str | None = None, allow_single_gaps: bool = False,
         tickets: dict | None = None) -> Reservation:
    """Sell seats paid at the counter: a CONFIRMED, paid booking sold by ``staff_id``, with
    ``promo_code``'s discount if one is given (one use counted), each seat of the ticket type
    ``tickets`` names (seat id -> ticket type id; default Adult). Commits.

    ``allow_single_gaps``: staff chose to skip the single-seat gap rule for this sale.
    Raises what ``booking.hold_seats`` raises (409 for taken seats, 422 for invalid ones),
    what ``promotions.usable_code`` raises, and ValidationFailed (422) for a customer name or
    email ``contact_details`` refuses; nothing is sold then.
    """
    promo = promotions.usable_code(promo_code, now)  # before anything is written
    patron = _patron(customer_email, customer_name)
    reservation = booking.hold_seats(patron.id, showtime_id, seat_ids, now, replace_previous=False,
                                     gap_rule=False if allow_single_gaps else None,
                                     tickets=tickets)
    reservation = db.session.scalar(sa.select(Reservation).where(
        Reservation.id == reservation.id).with_for_update())
    if promo is not None and not promotions.use_at_counter(reservation, promo):
        # Its last use went to another booking since the check: sell nothing, free the seats.
        reservation.hold_expires_at = now
        db.session.commit()
        expiry.release_expired_holds(now, reservation.id)
        refusal = PromoExhausted(
            f"The promo code {promo.code} has just been used up: nothing was sold.")
        refusal.field_errors = {"promo_code": [refusal.detail]}
        raise refusal
    reservation.status = ReservationStatus.CONFIRMED
    reservation.confirmed_at = reservation.paid_at = now
    reservation.payment_method = PaymentMethod.BOX_OFFICE
    reservation.sold_by = staff_id
    seats = ", ".join(line.seat.label for line in reservation.seats)
    audit.record(staff_id, "boxoffice.sell", "reservation", reservation.id,
                 f"sold {reservation.code} ({seats}) at the box office",
                 after={"status": "CONFIRMED", "total_cents": reservation.total_price_cents,
                        "promo_code": promo.code if promo is not None else None})
    if not is_walk_in(patron):
        notifications.booking_confirmed(reservation)
    db.session.commit()
    return reservation


def mark_paid(reservation_id: int, staff_id: int, now: datetime) -> Reservation:
    """Record that a "pay at the box office" booking has been paid at the counter. Commits."""
    reservation = db.session.scalar(sa.select(Reservation).where(
        Reservation.id == reservation_id).with_for_update())
    if reservation is None:
        raise NotFound("We could not find that booking.")
    if reservation.payment_method is not PaymentMethod.BOX_OFFICE or \
            reservation.status not in (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED):
        raise InvalidState("Only confirmed bookings to pay at the box office can be marked paid.")
    if reservation.paid_at is not None:
        raise InvalidState(f"Booking {reservation.code} is already paid.")
    reservation.paid_at = now
    reservation.sold_by = staff_id
    audit.record(staff_id, "boxoffice.paid", "reservation", reservation.id,
                 f"took payment for {reservation.code} at the counter",
                 before={"paid": False}, after={"paid": True,
                                                "total_cents": reservation.total_price_cents})
    db.session.commit()
    return reservation


def release_unpaid(now: datetime, minutes: int | None = None) -> int:
    """Cancel (reason EXPIRED) the unpaid box-office bookings of showtimes starting within
    ``minutes`` (default ``BOX_OFFICE_RELEASE_MINUTES``) of ``now``, free their seats and email
    each patron (the outbox row commits with the release). Idempotent; returns how many.
    """
    if minutes is None:
        minutes = settings().box_office_release_minutes
    due = db.session.scalars(
        sa.select(Reservation).join(Showtime, Showtime.id == Reservation.showtime_id)
        .where(Reservation.unpaid_at_box_office(), Reservation.is_deleted.is_(False),
               Showtime.starts_at <= now + timedelta(minutes=minutes),
               # Not a showtime that has started: its patron may be at the door paying (and
               # the first sweep after an upgrade must not email every old no-show).
               Showtime.starts_at > now)
        .order_by(Reservation.id)
        .with_for_update(of=Reservation, skip_locked=True)).all()
    for reservation in due:
        reservation.status = ReservationStatus.CANCELLED
        reservation.cancel_reason = CancelReason.EXPIRED
        reservation.cancelled_at = now
        db.session.execute(sa.update(ReservedSeat).where(
            ReservedSeat.reservation_id == reservation.id).values(is_active=False, updated_at=now))
        audit.record(None, "boxoffice.release_unpaid", "reservation", reservation.id,
                     f"released {reservation.code}: not paid {minutes} minutes before the start",
                     before={"status": "CONFIRMED", "paid": False},
                     after={"status": "CANCELLED", "cancel_reason": "EXPIRED"})
        notifications.unpaid_released(reservation, minutes)
    db.session.commit()
    for showtime_id in {reservation.showtime_id for reservation in due}:
        seat_stamps.bump(showtime_id)
    return len(due)
