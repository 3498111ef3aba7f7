"""Read-only booking queries for pages."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.exceptions import NotFound
from cinema.extensions import db
from cinema.models import Reservation, ReservedSeat, Showtime, utcnow


def visible_to(reservation_id: int, viewer_id: int, viewer_is_staff: bool) -> Reservation:
    """The reservation if the viewer owns it or is STAFF/ADMIN; NotFound otherwise.

    Someone else's booking answers exactly like a missing one, so ids reveal nothing.
    """
    reservation = db.session.scalar(
        sa.select(Reservation)
        .where(Reservation.id == reservation_id, Reservation.is_deleted.is_(False))
        .options(so.selectinload(Reservation.seats).joinedload(ReservedSeat.seat),
                 so.joinedload(Reservation.showtime).joinedload(Showtime.movie),
                 so.joinedload(Reservation.user))
    )
    if reservation is None or (reservation.user_id != viewer_id and not viewer_is_staff):
        raise NotFound("We could not find that booking.")
    return reservation


def history_for(user_id: int):
    """(upcoming, past) reservations of one user; upcoming soonest first, past latest first."""
    now = utcnow()
    stmt = (
        sa.select(Reservation)
        .join(Reservation.showtime)
        .where(Reservation.user_id == user_id, Reservation.is_deleted.is_(False))
        .options(so.contains_eager(Reservation.showtime), so.selectinload(Reservation.seats))
    )
    upcoming = db.session.scalars(
        stmt.where(Showtime.starts_at >= now).order_by(Showtime.starts_at)
    ).unique().all()
    past = db.session.scalars(
        stmt.where(Showtime.starts_at < now).order_by(Showtime.starts_at.desc())
    ).unique().all()
    return upcoming, past


def was_a_booking(reservation: Reservation) -> bool:
    """Whether a cancelled reservation is a booking of its own to list: one that was confirmed,
    or seats cancelled from one; not a hold that ran out or was replaced, nor the record of the
    seats a booking left when it moved (the booking itself says where it moved from)."""
    if reservation.exchange_for_id is not None:
        return False
    return reservation.confirmed_at is not None or reservation.split_from_id is not None


def moves_of(booking: Reservation) -> list[Reservation]:
    """The records of the seats the booking left when it moved to another showtime, the
    latest first (each names the old showtime, its seats and when it moved)."""
    return db.session.scalars(
        sa.select(Reservation)
        .where(Reservation.split_from_id == booking.id,
               Reservation.exchange_for_id == booking.id)
        .options(so.joinedload(Reservation.showtime), so.selectinload(Reservation.seats))
        .order_by(Reservation.cancelled_at.desc(), Reservation.id.desc())).unique().all()
