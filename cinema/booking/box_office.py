"""Selling at the box office: staff sell seats to a walk-in patron from the seat map, and take
payment at the counter for bookings made online with "pay at the box office".

A sale is a hold and a confirmation in one go, through the same booking service, so the same
database guarantee and the same line items apply. A walk-in who gives no email is booked on the
installation's walk-in account; one who gives an email gets the booking (and the ticket email)
on their account, created if needed (they can set a password later with "Forgot password").
"""
from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa

from cinema import audit
from cinema.accounts import accounts, contact_details
from cinema.booking import booking, expiry, promotions
from cinema.exceptions import InvalidState, NotFound, PromoExhausted
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import PaymentMethod, Reservation, ReservationStatus, User, UserRole

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


def _patron(email: str | None, full_name: str | None) -> User:
    if not (email or "").strip():
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
    if patron.email != WALK_IN_EMAIL:
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
