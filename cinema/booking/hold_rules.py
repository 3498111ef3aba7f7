"""What a hold is checked against, whichever path makes it, and how a refusal is worded: the
seats asked for (parsed, none twice, not too many), the showtime (bookable now), blocked seats,
and the 409 naming the seats someone else holds or owns (``taken_error``), also when another
hold wins the race at the unique index (``race_lost_as_taken``)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa

from cinema.booking import seat_pairs, seatmap
from cinema.exceptions import (
    NotFound,
    SeatAlreadyBooked,
    SeatAlreadyHeld,
    ShowtimeUnavailable,
    ValidationFailed,
)
from cinema.extensions import db
from cinema.ids import parse_id
from cinema.models import ReservationStatus, ReservedSeat, Seat, Showtime


def parse_seat_ids(seat_ids) -> list[int]:
    # One value alone (a string, a number) is a list of one; anything not an id is refused.
    values = seat_ids if isinstance(seat_ids, (list, tuple, set, frozenset)) else [seat_ids]
    ids = [parse_id(s) for s in values]
    if None in ids:
        raise ValidationFailed("Those seats are not valid.",
                               field_errors={"seat_ids": ["Not a seat."]})
    return ids


def check_seat_request(seat_ids, max_seats: int) -> list[int]:
    ids = parse_seat_ids(seat_ids)
    if not ids:
        raise ValidationFailed("Please choose at least one seat.",
                               field_errors={"seat_ids": ["Choose at least one seat."]})
    if len(set(ids)) != len(ids):
        raise ValidationFailed("The same seat was chosen twice.",
                               field_errors={"seat_ids": ["Each seat only once."]})
    if len(ids) > max_seats:
        raise ValidationFailed(f"You can hold at most {max_seats} seats at a time.",
                               field_errors={"seat_ids": [f"At most {max_seats} seats."]})
    return sorted(ids)


def bookable_showtime(showtime_id: int, now: datetime) -> Showtime:
    showtime = db.session.get(Showtime, showtime_id)
    if showtime is None or showtime.is_deleted or showtime.movie.is_deleted:
        raise NotFound("We could not find that showtime.")
    if showtime.is_cancelled:
        raise ShowtimeUnavailable("This showtime has been cancelled.")
    if showtime.starts_at <= now:
        raise ShowtimeUnavailable("This showtime has already started.")
    return showtime


def checked_seats(seats: list, ids: list[int]) -> list:
    """The wanted seats as found in the showtime's auditorium (each with ``id``, ``label``,
    ``is_blocked``, ``seat_type``, ``partner_seat_id``), checked: all found, none blocked, no
    pair split (``seat_pairs``)."""
    if len(seats) != len(ids):
        raise ValidationFailed("Some of those seats are not in this auditorium.",
                               field_errors={"seat_ids": ["Not a seat of this showtime."]})
    blocked = [seat.label for seat in seats if seat.is_blocked]
    if blocked:
        raise ValidationFailed(f"Seat {', '.join(blocked)} cannot be booked.",
                               field_errors={"seat_ids": ["Blocked seat."]})
    seat_pairs.check(seats, seat_label)
    return seats


def seat_label(seat_id: int) -> str:
    """A seat's label (asked only to name the partner of a seat in a refused hold)."""
    return db.session.get(Seat, seat_id).label


def taken_error(taken: list[tuple[str, ReservationStatus]]):
    """The 409 naming the seats (label, claim status) someone else holds or owns, or None."""
    if not taken:
        return None
    sold = sorted(label for label, status in taken if status is not ReservationStatus.HELD)
    held = sorted(label for label, status in taken if status is ReservationStatus.HELD)
    if sold:
        return SeatAlreadyBooked(f"Sorry, seat {', '.join(sold)} has just been sold. "
                                 "Please choose other seats.", seats=sold + held)
    return SeatAlreadyHeld(f"Sorry, seat {', '.join(held)} is being booked by someone else. "
                           "Please choose other seats.", seats=held)


@contextmanager
def race_lost_as_taken(showtime_id: int, ids: list[int], now: datetime):
    """Around a hold's insert and commit: another hold that won the race between our check and
    our insert meets us at uq_reserved_seats_active, and becomes the 409 naming the seats."""
    try:
        yield
    except sa.exc.IntegrityError as integrity:
        db.session.rollback()
        if "uq_reserved_seats_active" not in str(integrity.orig):
            raise
        raise (claim_error(showtime_id, ids, now) or SeatAlreadyHeld()) from integrity


def claim_error(showtime_id: int, ids: list[int], now: datetime):
    """The 409 naming the seats someone else holds or owns, or None if all are free."""
    claims = db.session.execute(
        seatmap.active_claims(showtime_id, now).where(ReservedSeat.seat_id.in_(ids))
        .add_columns(Seat.row_label, Seat.number)
        .join(Seat, Seat.id == ReservedSeat.seat_id)
    ).all()
    return taken_error([(f"{c.row_label}{c.number}", c.status) for c in claims])
