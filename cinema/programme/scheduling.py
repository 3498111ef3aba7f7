"""Showtimes: end times, overlap checks, scheduling one or a series, editing (cancelling one is
``cancellation``).

Times come in as aware UTC datetimes; a series is given in the cinema's local wall-clock times
and turned into UTC day by day (``local_to_utc``), so 19:00 stays 19:00 across a daylight-saving
change. A local time that does not exist (the hour skipped in spring) is refused; one that
happens twice (the hour repeated in autumn) means its first occurrence.

Overlap is checked first, so the admin gets a message naming the conflicting showtime; the
PostgreSQL exclusion constraint is the backstop, and its violation is mapped to the same error.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cinema import audit
from cinema.exceptions import InvalidState, NotFound, Problems, ShowtimeConflict, ValidationFailed
from cinema.extensions import db
from cinema.models import (
    Auditorium,
    Movie,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Showtime,
)
from cinema.programme import schedule_mail
from cinema.wording import counted

MAX_SERIES_SHOWTIMES = 200
MAX_SERIES_DAYS = 92
SHOWTIME_FIELDS = ["movie_id", "auditorium_id", "starts_at", "ends_at", "base_price_cents",
                   "cancelled_at", "cancel_note"]

# --- time arithmetic ---------------------------------------------------------------------------

def end_time(starts_at: datetime, duration_minutes: int, buffer_minutes: int) -> datetime:
    """When the auditorium is free again: start + film + cleaning buffer (aware UTC)."""
    return starts_at + timedelta(minutes=duration_minutes + buffer_minutes)


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time. Raises ValidationFailed for a local time
    that does not exist (skipped by a daylight-saving change); a repeated one is its first
    occurrence."""
    local = datetime.combine(day, at).replace(tzinfo=tz, fold=0)
    utc = local.astimezone(timezone.utc)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        message = (f"{at:%H:%M} on {day:%a %d %b %Y} does not exist in {tz.key} "
                   "(the clocks go forward). Choose another time.")
        raise ValidationFailed(message, field_errors={"starts_at": [message]})
    return utc


# --- conflicts ---------------------------------------------------------------------------------

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


def describe_conflict(conflict: Showtime) -> str:
    from cinema.clock import format_local

    return (f"{conflict.auditorium.name} is busy then: {conflict.movie.title} runs "
            f"{format_local(conflict.starts_at, '%a %d %b %H:%M')}–"
            f"{format_local(conflict.ends_at, '%H:%M')} (showtime #{conflict.id}).")


def conflict_error(conflict: Showtime) -> ShowtimeConflict:
    message = describe_conflict(conflict)
    return ShowtimeConflict(message, field_errors={"starts_at": [message]},
                            conflicting_showtime_id=conflict.id)


def _write_or_conflict(write: Callable[[], None], auditorium_id: int,
                       slots: list[tuple[datetime, datetime]],
                       exclude_id: int | None = None) -> None:
    """Apply ``write`` and flush inside a savepoint. An exclusion-constraint violation (another
    admin took the slot between our check and our write) rolls back just the savepoint and
    becomes the same ShowtimeConflict as the check. ``write`` must make every change itself:
    opening a savepoint flushes what is pending, outside the savepoint's protection."""
    try:
        with db.session.begin_nested():
            write()
            db.session.flush()
    except sa.exc.IntegrityError:
        for starts_at, ends_at in slots:
            conflict = find_conflict(auditorium_id, starts_at, ends_at, exclude_id)
            if conflict is not None:
                raise conflict_error(conflict) from None
        raise ShowtimeConflict() from None


# --- checks shared by create and edit -------------------------------------------------------------

def _live_movie(movie_id: int) -> Movie:
    movie = db.session.get(Movie, movie_id)
    if movie is None or movie.is_deleted:
        raise NotFound("No such film.", field_errors={"movie_id": ["Choose a film."]})
    return movie


def _live_auditorium(auditorium_id: int) -> Auditorium:
    auditorium = db.session.get(Auditorium, auditorium_id)
    if auditorium is None or auditorium.is_deleted:
        raise NotFound("No such auditorium.",
                       field_errors={"auditorium_id": ["Choose an auditorium."]})
    return auditorium


def _check_start_and_price(starts_at: datetime, base_price_cents: int, now: datetime) -> None:
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    problems = Problems()  # both at once: the admin fixes them in one go
    if starts_at <= now:
        problems.add("A showtime must start in the future.", "starts_at", "Must be in the future.")
    _check_price(problems, base_price_cents)
    problems.check()


def _check_price(problems: Problems, base_price_cents: int) -> None:
    if base_price_cents <= 0:
        problems.add("The base price must be more than zero.", "base_price",
                     "Must be more than zero.")


@dataclass(frozen=True)
class SlotCheck:
    """What the form shows while the admin types: when it would end, and what it would hit."""

    ends_at: datetime
    conflict: Showtime | None


def check_slot(movie_id: int, auditorium_id: int, starts_at: datetime, buffer_minutes: int,
               now: datetime, exclude_id: int | None = None) -> SlotCheck:
    """The end time of a proposed showtime and the first live showtime it would overlap.
    Raises ValidationFailed for a start in the past (a slot there is never "free")."""
    movie = _live_movie(movie_id)
    _live_auditorium(auditorium_id)
    if starts_at <= now:
        raise ValidationFailed("A showtime must start in the future.",
                               field_errors={"starts_at": ["Must be in the future."]})
    ends_at = end_time(starts_at, movie.duration_minutes, buffer_minutes)
    return SlotCheck(ends_at, find_conflict(auditorium_id, starts_at, ends_at, exclude_id))


# --- create --------------------------------------------------------------------------------------

def create_showtime(movie_id: int, auditorium_id: int, starts_at: datetime,
                    base_price_cents: int, buffer_minutes: int, now: datetime,
                    actor_id: int | None = None) -> Showtime:
    """Schedule one showtime (flushes; the caller commits). Raises ShowtimeConflict,
    ValidationFailed or NotFound."""
    movie = _live_movie(movie_id)
    _live_auditorium(auditorium_id)
    _check_start_and_price(starts_at, base_price_cents, now)
    ends_at = end_time(starts_at, movie.duration_minutes, buffer_minutes)
    conflict = find_conflict(auditorium_id, starts_at, ends_at)
    if conflict is not None:
        raise conflict_error(conflict)
    showtime = Showtime(movie_id=movie_id, auditorium_id=auditorium_id, starts_at=starts_at,
                        ends_at=ends_at, base_price_cents=base_price_cents, created_by=actor_id)
    _write_or_conflict(lambda: db.session.add(showtime), auditorium_id, [(starts_at, ends_at)])
    return showtime


def schedule_showtime(movie_id: int, auditorium_id: int, starts_at: datetime,
                      base_price_cents: int, buffer_minutes: int, now: datetime,
                      actor_id: int) -> Showtime:
    """An admin schedules one showtime: created, audited, committed."""
    showtime = create_showtime(movie_id, auditorium_id, starts_at, base_price_cents,
                               buffer_minutes, now, actor_id)
    audit.record(actor_id, "showtime.create", "showtime", showtime.id,
                 f"scheduled {showtime.movie.title} in {showtime.auditorium.name}",
                 after=audit.snapshot(showtime, SHOWTIME_FIELDS))
    db.session.commit()
    return showtime


@dataclass
class SeriesSpec:
    """A film in an auditorium at ``times`` (local) on each day from ``first_day`` to
    ``last_day`` inclusive, on the given ``weekdays`` (0 = Monday; empty means every day)."""

    movie_id: int
    auditorium_id: int
    first_day: date
    last_day: date
    times: list[time]
    base_price_cents: int
    weekdays: set[int] = field(default_factory=set)


def plan_series(spec: SeriesSpec, tz: ZoneInfo, buffer_minutes: int,
                now: datetime) -> list[tuple[datetime, datetime]]:
    """The (start, end) UTC pairs of a series, checked against each other and the clock but not
    yet against the schedule. Raises ValidationFailed."""
    movie = _live_movie(spec.movie_id)
    _live_auditorium(spec.auditorium_id)
    problems = Problems()  # every mistake of the form at once, not one per try
    if spec.last_day < spec.first_day:
        problems.add("The last day is before the first day.", "last_day",
                     "Must be on or after the first day.")
    elif (spec.last_day - spec.first_day).days >= MAX_SERIES_DAYS:
        problems.add(f"A series covers at most {MAX_SERIES_DAYS} days.", "last_day",
                     f"At most {MAX_SERIES_DAYS} days.")
    if not spec.times:
        problems.add("Give at least one start time.", "times",
                     "At least one time, e.g. 14:00, 19:30.")
    _check_price(problems, spec.base_price_cents)
    problems.check()
    slots, missing, past = [], [], []
    day = spec.first_day
    while day <= spec.last_day:
        if not spec.weekdays or day.weekday() in spec.weekdays:
            for at in sorted(set(spec.times)):
                try:
                    starts_at = local_to_utc(day, at, tz)
                except ValidationFailed as error:
                    missing.append(error.detail)
                    continue
                if starts_at <= now:
                    past.append(f"{at:%H:%M} on {day:%a %d %b}")
                    continue
                slots.append((starts_at, end_time(starts_at, movie.duration_minutes,
                                                  buffer_minutes)))
        day += timedelta(days=1)
    for detail in missing:
        problems.add(detail, "times")
    if past:
        more = f" (and {counted(len(past) - 1, 'other start')})" if len(past) > 1 else ""
        problems.add(f"{past[0]}{more} is in the past.", "first_day")
    problems.check()
    if not slots:
        raise ValidationFailed("No day of that range falls on the chosen weekdays.",
                               field_errors={"weekdays": ["No day in the range matches."]})
    if len(slots) > MAX_SERIES_SHOWTIMES:
        raise ValidationFailed(f"That is {len(slots)} showtimes; a series has at most "
                               f"{MAX_SERIES_SHOWTIMES}.", field_errors={"last_day": ["Too many."]})
    slots.sort()
    for (start_a, end_a), (start_b, _) in zip(slots, slots[1:], strict=False):
        if start_b < end_a:
            from cinema.clock import format_local

            message = (f"The showtimes at {format_local(start_a, '%a %d %b %H:%M')} and "
                       f"{format_local(start_b, '%H:%M')} overlap: the film plus cleaning "
                       f"takes {movie.duration_minutes + buffer_minutes} minutes.")
            raise ValidationFailed(message, field_errors={"times": [message]})
    return slots


def schedule_series(spec: SeriesSpec, tz: ZoneInfo, buffer_minutes: int, now: datetime,
                    actor_id: int) -> list[Showtime]:
    """Schedule every showtime of a series, or none: any overlap with the schedule refuses
    the whole series with a message naming the conflicting showtimes. Audited, committed."""
    slots = plan_series(spec, tz, buffer_minutes, now)
    conflicts = []
    for starts_at, ends_at in slots:
        conflict = find_conflict(spec.auditorium_id, starts_at, ends_at)
        if conflict is not None and conflict not in conflicts:
            conflicts.append(conflict)
    if conflicts:
        shown = [describe_conflict(c) for c in conflicts[:5]]
        more = f" …and {len(conflicts) - 5} more." if len(conflicts) > 5 else ""
        message = (f"{counted(len(conflicts), 'showtime')} already in the way; nothing was scheduled. "
                   + " ".join(shown) + more)
        raise ShowtimeConflict(message, field_errors={"times": shown},
                               conflicting_showtime_id=conflicts[0].id)
    showtimes = [Showtime(movie_id=spec.movie_id, auditorium_id=spec.auditorium_id,
                          starts_at=starts_at, ends_at=ends_at,
                          base_price_cents=spec.base_price_cents, created_by=actor_id)
                 for starts_at, ends_at in slots]
    _write_or_conflict(lambda: db.session.add_all(showtimes), spec.auditorium_id, slots)
    first = showtimes[0]
    audit.record(actor_id, "showtime.create_series", "showtime", first.id,
                 f"scheduled {len(showtimes)} showtimes of {first.movie.title} in "
                 f"{first.auditorium.name}",
                 after={"showtime_ids": [s.id for s in showtimes],
                        "first_day": spec.first_day.isoformat(),
                        "last_day": spec.last_day.isoformat(),
                        "times": [t.strftime("%H:%M") for t in spec.times],
                        "weekdays": sorted(spec.weekdays),
                        "base_price_cents": spec.base_price_cents})
    db.session.commit()
    return showtimes


# --- read -----------------------------------------------------------------------------------------

def get_showtime(showtime_id: int) -> Showtime:
    showtime = db.session.get(Showtime, showtime_id)
    if showtime is None or showtime.is_deleted:
        raise NotFound("No such showtime.")
    return showtime


def _live_reservations(showtime_id: int, now: datetime):
    """Reservations that hold or own seats of the showtime right now."""
    return sa.select(Reservation).where(
        Reservation.showtime_id == showtime_id, Reservation.claims_seats(now))


def booked_seat_counts(showtime_ids: list[int], now: datetime) -> dict[int, int]:
    """Seats sold or held right now, per showtime id."""
    if not showtime_ids:
        return {}
    rows = db.session.execute(
        sa.select(ReservedSeat.showtime_id, sa.func.count())
        .join(Reservation, Reservation.id == ReservedSeat.reservation_id)
        .where(ReservedSeat.showtime_id.in_(showtime_ids), ReservedSeat.is_active,
               Reservation.claims_seats(now))
        .group_by(ReservedSeat.showtime_id))
    return dict(rows.all())


# --- edit -----------------------------------------------------------------------------------------

def update_showtime(showtime_id: int, movie_id: int, auditorium_id: int, starts_at: datetime,
                    base_price_cents: int, buffer_minutes: int, now: datetime,
                    actor_id: int) -> Showtime:
    """Change a future showtime. With bookings, the film and auditorium stay (seats and tickets
    depend on them) and a new time is emailed to the patrons. The price applies to new
    bookings only. Audited, committed. Raises InvalidState, ValidationFailed, ShowtimeConflict."""
    showtime = get_showtime(showtime_id)
    if showtime.is_cancelled:
        raise InvalidState("This showtime has been cancelled and cannot be changed.")
    if showtime.starts_at <= now:
        raise InvalidState("This showtime has already started and cannot be changed.")
    movie = _live_movie(movie_id)
    _live_auditorium(auditorium_id)
    _check_start_and_price(starts_at, base_price_cents, now)
    bookings = db.session.scalars(_live_reservations(showtime.id, now)).all()
    if bookings and (movie_id != showtime.movie_id or auditorium_id != showtime.auditorium_id):
        message = (f"This showtime has {counted(len(bookings), 'booking')}: its film and auditorium "
                   "cannot change. Cancel it and schedule a new one instead.")
        raise ValidationFailed(message, field_errors={"movie_id": [message]})
    before = audit.snapshot(showtime, SHOWTIME_FIELDS)
    ends_at = end_time(starts_at, movie.duration_minutes, buffer_minutes)
    conflict = find_conflict(auditorium_id, starts_at, ends_at, exclude_id=showtime.id)
    if conflict is not None:
        raise conflict_error(conflict)
    moved = starts_at != showtime.starts_at

    def write():
        showtime.movie_id, showtime.auditorium_id = movie_id, auditorium_id
        showtime.starts_at, showtime.ends_at = starts_at, ends_at
        showtime.base_price_cents = base_price_cents

    _write_or_conflict(write, auditorium_id, [(starts_at, ends_at)], exclude_id=showtime.id)
    db.session.refresh(showtime)
    if moved:
        for reservation in bookings:
            if reservation.status is ReservationStatus.CONFIRMED:
                schedule_mail.showtime_moved(reservation, showtime, before["starts_at"])
    audit.record(actor_id, "showtime.update", "showtime", showtime.id,
                 f"changed showtime #{showtime.id} ({showtime.movie.title})",
                 before=before, after=audit.snapshot(showtime, SHOWTIME_FIELDS))
    db.session.commit()
    return showtime
