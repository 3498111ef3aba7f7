"""Showtimes: end times, overlap checks, creation."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema.errors import NotFound, ShowtimeConflict, ValidationFailed
from cinema.extensions import db
from cinema.models import Auditorium, Movie, Showtime


def end_time(starts_at: datetime, duration_minutes: int, buffer_minutes: int) -> datetime:
    """When the auditorium is free again: start + film + cleaning buffer (aware UTC)."""
    return starts_at + timedelta(minutes=duration_minutes + buffer_minutes)


def find_conflict(auditorium_id: int, starts_at: datetime, ends_at: datetime,
                  exclude_id: int | None = None) -> Showtime | None:
    """A live showtime of the auditorium whose [start, end) overlaps the given one."""
    stmt = sa.select(Showtime).where(
        Showtime.auditorium_id == auditorium_id,
        Showtime.cancelled_at.is_(None),
        Showtime.is_deleted.is_(False),
        Showtime.starts_at < ends_at,
        Showtime.ends_at > starts_at,
    ).order_by(Showtime.starts_at).limit(1)
    if exclude_id is not None:
        stmt = stmt.where(Showtime.id != exclude_id)
    return db.session.scalar(stmt)


def conflict_error(conflict: Showtime) -> ShowtimeConflict:
    from cinema.templating import format_local

    message = (f"{conflict.auditorium.name} is busy then: {conflict.movie.title} runs "
               f"{format_local(conflict.starts_at, '%a %d %b %H:%M')}–"
               f"{format_local(conflict.ends_at, '%H:%M')} (showtime #{conflict.id}).")
    return ShowtimeConflict(message, field_errors={"starts_at": [message]},
                            conflicting_showtime_id=conflict.id)


def create_showtime(movie_id: int, auditorium_id: int, starts_at: datetime,
                    base_price_cents: int, buffer_minutes: int, now: datetime,
                    actor_id: int | None = None) -> Showtime:
    """Schedule one showtime (flushes; the caller commits). Raises ShowtimeConflict,
    ValidationFailed or NotFound."""
    movie = db.session.get(Movie, movie_id)
    auditorium = db.session.get(Auditorium, auditorium_id)
    if movie is None or movie.is_deleted:
        raise NotFound("No such film.")
    if auditorium is None or auditorium.is_deleted:
        raise NotFound("No such auditorium.")
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    if starts_at <= now:
        raise ValidationFailed("A showtime must start in the future.",
                               field_errors={"starts_at": ["Must be in the future."]})
    if base_price_cents <= 0:
        raise ValidationFailed("The base price must be more than zero.",
                               field_errors={"base_price": ["Must be more than zero."]})
    ends_at = end_time(starts_at, movie.duration_minutes, buffer_minutes)
    conflict = find_conflict(auditorium_id, starts_at, ends_at)
    if conflict is not None:
        raise conflict_error(conflict)
    showtime = Showtime(movie_id=movie_id, auditorium_id=auditorium_id, starts_at=starts_at,
                        ends_at=ends_at, base_price_cents=base_price_cents, created_by=actor_id)
    db.session.add(showtime)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # Another admin scheduled the same slot between our check and our insert: the
        # exclusion constraint decided. Same message as the check.
        conflict = find_conflict(auditorium_id, starts_at, ends_at)
        if conflict is not None:
            raise conflict_error(conflict)
        raise ShowtimeConflict()
    return showtime
