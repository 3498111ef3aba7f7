"""Helpers for the catalogue tests: local times in the cinema's zone, cancelled showtimes."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from cinema.extensions import db
from cinema.models import Showtime, utcnow

LONDON = ZoneInfo("Europe/London")


def local(day: date, hhmm: str, tz: ZoneInfo = LONDON) -> datetime:
    """The aware UTC instant of a wall-clock time on a local day."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tz).astimezone(timezone.utc)


def local_today(tz: ZoneInfo = LONDON) -> date:
    return utcnow().astimezone(tz).date()


def next_dst_change(tz: ZoneInfo = LONDON, after: date | None = None) -> date:
    """The next local day whose UTC offset at its end differs from its start (23 or 25 h)."""
    day = (after or local_today(tz)) + timedelta(days=1)
    for _ in range(400):
        start = datetime.combine(day, time(0, 0), tz)
        end = datetime.combine(day + timedelta(days=1), time(0, 0), tz)
        if start.utcoffset() != end.utcoffset():
            return day
        day += timedelta(days=1)
    raise AssertionError(f"{tz} has no DST change within a year")


def cancel(showtime: Showtime, note: str = "Projector fault") -> Showtime:
    showtime.cancelled_at = utcnow()
    showtime.cancel_note = note
    db.session.commit()
    return showtime


def soft_delete(row) -> None:
    row.is_deleted = True
    db.session.commit()
