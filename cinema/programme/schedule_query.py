"""Read-only schedule lookups for the admin pages."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cinema.clock import local_day_bounds
from cinema.extensions import db
from cinema.models import Auditorium, Movie, Reservation, ReservationStatus, Showtime


def live_movies() -> list[Movie]:
    return list(db.session.scalars(
        sa.select(Movie).where(Movie.is_deleted.is_(False)).order_by(Movie.title)))


def live_auditoriums() -> list[Auditorium]:
    return list(db.session.scalars(
        sa.select(Auditorium).where(Auditorium.is_deleted.is_(False)).order_by(Auditorium.name)))


def showtimes_between(first_day: date, last_day: date, tz: ZoneInfo,
                      auditorium_id: int | None = None, movie_id: int | None = None,
                      include_cancelled: bool = True) -> list[Showtime]:
    """Showtimes starting on the local days ``first_day``..``last_day``, by start time."""
    start, _ = local_day_bounds(first_day, tz)
    _, end = local_day_bounds(last_day, tz)
    stmt = (sa.select(Showtime)
            .where(Showtime.starts_at >= start, Showtime.starts_at < end,
                   Showtime.is_deleted.is_(False))
            .order_by(Showtime.starts_at, Showtime.auditorium_id))
    if auditorium_id:
        stmt = stmt.where(Showtime.auditorium_id == auditorium_id)
    if movie_id:
        stmt = stmt.where(Showtime.movie_id == movie_id)
    if not include_cancelled:
        stmt = stmt.where(Showtime.cancelled_at.is_(None))
    return list(db.session.scalars(stmt))


def bookings_of(showtime_id: int) -> list[Reservation]:
    """Every booking of a showtime except expired holds, newest first."""
    return list(db.session.scalars(
        sa.select(Reservation).where(Reservation.showtime_id == showtime_id,
                                     Reservation.status != ReservationStatus.HELD)
        .order_by(Reservation.created_at.desc())))
