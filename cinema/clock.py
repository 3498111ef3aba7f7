"""Time: the current instant in UTC, and the cinema's local days and times.

Every stored time is an aware UTC datetime; local time (``CINEMA_TIMEZONE``) exists only to
read a day ("today", "the showtimes of Saturday") or to show a time to people. A local day is
the half-open UTC interval between two local midnights, 23 or 25 hours long on daylight-saving
days. Functions take ``now`` rather than reading the clock, so tests can move it; those with a
``tz`` argument use the configured zone when it is not given.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    """The current instant, aware UTC."""
    return datetime.now(timezone.utc)


def cinema_tz(config: Mapping | None = None) -> ZoneInfo:
    """The cinema's timezone (``CINEMA_TIMEZONE`` of ``config``, else of the current app)."""
    return ZoneInfo((current_app.config if config is None else config)["CINEMA_TIMEZONE"])


def to_local(value: datetime, tz: ZoneInfo | None = None) -> datetime:
    """An aware datetime in the cinema's timezone."""
    return value.astimezone(tz or cinema_tz())


def local_today(now: datetime, tz: ZoneInfo | None = None) -> date:
    """The cinema's calendar day at ``now``."""
    return to_local(now, tz).date()


def local_midnight(day: date, tz: ZoneInfo | None = None) -> datetime:
    """The aware UTC instant at which the local ``day`` begins. A midnight skipped by a clock
    change (some zones move at 00:00) maps, with fold=0, to the first instant that does exist."""
    return datetime.combine(day, time(0), tz or cinema_tz()).astimezone(timezone.utc)


def local_day_bounds(day: date, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of a local day: 23 or 25 hours long on DST changes."""
    tz = tz or cinema_tz()
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)


def format_local(value: datetime | None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A time as people at the cinema read it ("" for None), e.g. "Sat 5 Jul 2030, 19:00": in
    a date with the month's name, days without a leading zero (``%d`` is read as ``%-d``); an
    all-numeric one ("%Y-%m-%d", for files) keeps it."""
    if value is None:
        return ""
    if "%m" not in fmt:
        fmt = fmt.replace("%d", "%-d")
    return to_local(value).strftime(fmt)
