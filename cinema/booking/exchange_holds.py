"""Moving a booking to another showtime, step 1: which bookings may move and to which
showtimes, and holding the new seats (``exchanges`` has the whole story and steps 2 and 3).

The new seats are a hold of their own naming the booking (``exchange_for_id``), priced now with
the booking's ticket types and its promo code's discount (the code was used once, when the
booking was paid): a hold like any other (the unique index, expiry by the clock). A new choice
replaces the booking's previous exchange hold; the patron's ordinary holds are left alone, and
the other way round (``hold_sql``'s replace clause skips exchange holds).

Online, a patron moves their own booking until the cancellation cutoff. At the counter
(``at_counter``: staff, for any patron) a booking moves until its film starts, and one paid in
cash moves too: the difference is taken or given back in cash there.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema.booking import freed_seats, hold_rules, holds, promotions, seat_stamps
from cinema.exceptions import (
    CancellationClosed,
    InvalidState,
    NotFound,
    ShowtimeStarted,
    ValidationFailed,
)
from cinema.extensions import db
from cinema.ids import parse_id
from cinema.models import (
    CancelReason,
    Movie,
    PaymentMethod,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Showtime,
)
from cinema.settings import settings

# --- what can be exchanged, and for what ---------------------------------------------------------

def booking_to_move(reservation_id, user_id: int, lock: bool = False,
                at_counter: bool = False) -> Reservation:
    """The booking to move: the patron's own (someone else's answers like a missing one:
    NotFound), or at the counter any patron's."""
    reservation_id = parse_id(reservation_id)
    stmt = sa.select(Reservation).where(Reservation.id == reservation_id,
                                        Reservation.is_deleted.is_(False))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    booking = db.session.scalar(stmt) if reservation_id is not None else None
    if booking is None or (booking.user_id != user_id and not at_counter):
        raise NotFound("We could not find that booking.")
    return booking


def check_exchangeable(booking: Reservation, now: datetime, at_counter: bool = False) -> None:
    """Raises unless the booking may move to another showtime now: confirmed, not yet
    admitted, and paid by card or at the box office (paid or not yet). Online, before the
    cancellation cutoff and not paid in cash (that is changed at the counter); at the counter,
    before the film starts."""
    if booking.status is not ReservationStatus.CONFIRMED or booking.admitted_at is not None:
        raise InvalidState("Only a confirmed booking can be moved to another showtime.")
    if at_counter:
        if now >= booking.showtime.starts_at:
            raise ShowtimeStarted("The film has started: this booking can no longer be moved.")
    else:
        cutoff = settings().cancellation_cutoff_minutes
        if now > booking.showtime.starts_at - timedelta(minutes=cutoff):
            raise CancellationClosed(
                f"Bookings can be changed online until {cutoff} minutes before the start. "
                "Please speak to the box office.")
        if booking.paid_at_counter:
            raise InvalidState("This booking was paid at the box office: please change it "
                               "there.")
    if booking.payment_method is PaymentMethod.CARD and booking.paid_at is None:
        raise InvalidState("This booking has no card payment to change.")


def other_showtimes(booking: Reservation, now: datetime) -> list[Showtime]:
    """The showtimes of the same film the booking could move to, soonest first."""
    return db.session.scalars(
        sa.select(Showtime).join(Movie, Movie.id == Showtime.movie_id)
        .where(Showtime.movie_id == booking.showtime.movie_id,
               Showtime.id != booking.showtime_id, Showtime.starts_at > now,
               Showtime.cancelled_at.is_(None), Showtime.is_deleted.is_(False),
               Movie.is_deleted.is_(False))
        .order_by(Showtime.starts_at).limit(60)).all()


def target_showtime(booking: Reservation, showtime_id, now: datetime) -> Showtime:
    """The showtime asked for, if the booking may move to it. Raises NotFound,
    ShowtimeUnavailable or ValidationFailed (another film, or the same showtime)."""
    showtime_id = parse_id(showtime_id)
    if showtime_id is None:
        raise ValidationFailed("Please choose a showtime.",
                               field_errors={"showtime_id": ["Missing or not a number."]})
    showtime = hold_rules.bookable_showtime(showtime_id, now)
    if showtime.movie_id != booking.showtime.movie_id:
        raise ValidationFailed("A booking can move to another showtime of the same film only.",
                               field_errors={"showtime_id": ["Another film's showtime."]})
    if showtime.id == booking.showtime_id:
        raise ValidationFailed("That is the booking's own showtime: choose another one.",
                               field_errors={"showtime_id": ["The booking's own showtime."]})
    return showtime


# --- hold the new seats -----------------------------------------------------------------------

def hold_exchange(reservation_id, user_id: int, showtime_id, seat_ids,
                  now: datetime, at_counter: bool = False) -> Reservation:
    """Hold the new seats for moving the booking to ``showtime_id``; commits. As many seats as
    the booking has, each priced with the ticket type of the booking's seat in the same place
    (in seat order). Replaces the booking's previous exchange hold. The hold is the patron's,
    also when staff (``user_id``, ``at_counter``) make it.

    Raises what ``check_exchangeable`` and ``target_showtime`` raise, ValidationFailed (not
    as many seats as the booking has), and whatever a hold raises (409 for taken seats, 422
    SINGLE_SEAT_GAP, SEAT_PAIR_SPLIT...).
    """
    booking = booking_to_move(reservation_id, user_id, at_counter=at_counter)
    check_exchangeable(booking, now, at_counter)
    showtime = target_showtime(booking, showtime_id, now)
    values = seat_ids if isinstance(seat_ids, (list, tuple)) else [seat_ids]
    wanted = sorted({parse_id(value) for value in values} - {None})
    count = len(booking.seats)
    if len(wanted) != count or len(values) != count:
        noun = "seat" if count == 1 else "seats"
        raise ValidationFailed(
            f"Choose {count} {noun}: as many as your booking has.",
            field_errors={"seat_ids": [f"Choose exactly {count} {noun}."]})
    ticket_types = [line.ticket_type_id for line in sorted(booking.seats,
                                                            key=lambda line: line.seat_id)]
    tickets = {seat_id: type_id for seat_id, type_id in zip(wanted, ticket_types, strict=True)
               if type_id is not None}
    release_exchange_holds([booking.id], now, CancelReason.REPLACED)
    db.session.commit()
    hold = holds.hold_seats(booking.user_id, showtime.id, wanted, now, replace_previous=False,
                            tickets=tickets)
    hold.exchange_for_id, hold.created_by = booking.id, user_id
    promo = promotions.applied_code(booking)
    if promo is not None:  # used once, when the booking was paid: the new seats keep its discount
        promotions.set_discounts(hold, promo)
    db.session.commit()
    return hold


def release_exchange_holds(booking_ids: list[int], now: datetime,
                           reason: CancelReason) -> list[int]:
    """Cancel the bookings' exchange holds still HELD, freeing their seats (in the session);
    their showtimes' ids back (for the caller to stamp once committed)."""
    if not booking_ids:
        return []
    released = db.session.scalars(
        sa.update(Reservation)
        .where(Reservation.exchange_for_id.in_(booking_ids),
               Reservation.status == ReservationStatus.HELD)
        .values(status=ReservationStatus.CANCELLED, cancel_reason=reason, cancelled_at=now,
                updated_at=now)
        .returning(Reservation.showtime_id)
        .execution_options(synchronize_session=False)).all()
    if released:
        db.session.execute(
            sa.update(ReservedSeat)
            .where(ReservedSeat.is_active, ReservedSeat.reservation_id.in_(
                sa.select(Reservation.id).where(Reservation.exchange_for_id.in_(booking_ids),
                                                Reservation.status
                                                == ReservationStatus.CANCELLED)))
            .values(is_active=False, updated_at=now)
            .execution_options(synchronize_session=False))
    return list(dict.fromkeys(released))


def exchange_hold(booking: Reservation, hold_id) -> Reservation:
    """The exchange hold ``hold_id`` of the booking (NotFound otherwise)."""
    hold_id = parse_id(hold_id)
    hold = db.session.get(Reservation, hold_id) if hold_id is not None else None
    if hold is None or hold.exchange_for_id != booking.id or hold.user_id != booking.user_id:
        raise NotFound("We could not find those new seats: please choose them again.")
    return hold



def release(reservation_id, hold_id, user_id: int, now: datetime,
            at_counter: bool = False) -> None:
    """The change is given up: the new seats are freed; commits. Nothing else changes."""
    booking = booking_to_move(reservation_id, user_id, at_counter=at_counter)
    hold = exchange_hold(booking, hold_id)
    if hold.status is ReservationStatus.HELD:
        release_exchange_holds([booking.id], now, CancelReason.PATRON)
        db.session.commit()
        seat_stamps.bump(hold.showtime_id)
        freed_seats.seats_freed([hold.showtime_id], now)
