"""Read-only booking queries for pages."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models import Reservation, Showtime, utcnow


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
