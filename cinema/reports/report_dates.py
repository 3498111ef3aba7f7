"""Date ranges of the cinema's local days, and "the local day of this timestamp" in SQL.

Reports work on local days of ``CINEMA_TIMEZONE``: a range is a first and a last local day,
both included. In SQL it becomes the half-open UTC interval ``[first day 00:00 local, day after
the last 00:00 local)``, which the indexes on the timestamp columns can serve.

Grouping by local day happens in the database:
- PostgreSQL: ``timezone(:tz, column)::date``; for the periods of a range (days, weeks,
  months), a binary search of the instants they begin at (``width_bucket``);
- SQLite (the zero-setup development mode) has no time zones: the UTC offsets in force over
  the range are worked out here, and the day is ``date(column, '+N minutes')`` with a ``CASE``
  on the instants where the offset changes (daylight saving). Still one SQL aggregation.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from cinema.clock import cinema_tz, local_midnight
from cinema.exceptions import ValidationFailed
from cinema.extensions import db

MAX_RANGE_DAYS = 3 * 366
PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class DateRange:
    """Local days ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def utc_bounds(self) -> tuple[datetime, datetime]:
        zone = cinema_tz()
        return local_midnight(self.first, zone), local_midnight(self.last + timedelta(days=1),
                                                                 zone)

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def months(self) -> list["DateRange"]:
        """The range cut at calendar month ends (the chunks of a background export)."""
        chunks, start = [], self.first
        while start <= self.last:
            next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
            end = min(self.last, next_month - timedelta(days=1))
            chunks.append(DateRange(start, end))
            start = end + timedelta(days=1)
        return chunks

    @property
    def label(self) -> str:
        if self.first == self.last:
            return self.first.strftime("%a %d %b %Y")
        return f"{self.first:%d %b %Y} – {self.last:%d %b %Y}"

    @property
    def slug(self) -> str:
        return f"{self.first.isoformat()}-to-{self.last.isoformat()}"


def parse_date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{value!r} is not a date (use YYYY-MM-DD).",
                               field_errors={field: ["Use YYYY-MM-DD."]}) from None


def parse_range(date_from: str | None, date_to: str | None, today: date,
                default_days: int = 7) -> DateRange:
    """The range asked for; by default the ``default_days`` local days up to today.

    Raises ValidationFailed for a malformed date, a reversed range or one over three years.
    """
    last = parse_date(date_to, "date_to") or today
    first = parse_date(date_from, "date_from") or last - timedelta(days=default_days - 1)
    if first > last:
        raise ValidationFailed("The range starts after it ends.",
                               field_errors={"date_from": ["Must be on or before the end."]})
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed("Ranges are limited to three years.",
                               field_errors={"date_from": ["At most three years."]})
    return DateRange(first, last)


def parse_period(value: str | None, rng: DateRange) -> str:
    """``day``, ``week`` or ``month``; by default what suits the range's length."""
    if value in PERIODS:
        return value
    if value:
        raise ValidationFailed("The period is day, week or month.",
                               field_errors={"period": ["Choose day, week or month."]})
    return "day" if rng.days <= 31 else "week" if rng.days <= 120 else "month"


# --- SQL -------------------------------------------------------------------------------------

def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(until, offset minutes)]: the UTC offset in force before each ``until`` in [start, end).

    The last segment's ``until`` is ``end``. Offset changes are found day by day, then to the
    microsecond by bisection (no zone changes its offset twice in one day).
    """
    def offset(at: datetime) -> int:
        return int(at.astimezone(zone).utcoffset().total_seconds() // 60)

    segments, cursor, current = [], start, offset(start)
    while cursor < end:
        step = min(cursor + timedelta(days=1), end)
        if offset(step) == current:
            cursor = step
            continue
        low, high = cursor, step  # offset(low) == current != offset(high)
        while high - low > timedelta(microseconds=1):
            middle = low + (high - low) / 2
            low, high = (middle, high) if offset(middle) == current else (low, middle)
        segments.append((high, current))
        cursor, current = high, offset(high)
    if not segments or segments[-1][0] < end:
        segments.append((end, current))
    return segments


def local_date(column, start: datetime, end: datetime):
    """SQL for the local day of ``column`` (a UTC timestamp known to lie in [start, end))."""
    zone = cinema_tz()
    if dialect_name() == "postgresql":
        return sa.cast(sa.func.timezone(zone.key, column), sa.Date)
    segments = offset_segments(zone, start, end)

    def shifted(minutes: int):
        return sa.func.date(column, f"{minutes:+d} minutes")

    if len(segments) == 1:
        return shifted(segments[0][1])
    return sa.case(*[(column < until, shifted(minutes)) for until, minutes in segments[:-1]],
                   else_=shifted(segments[-1][1]))


def period_start(column, start: datetime, end: datetime, period: str):
    """SQL for the first local day of the day, week (Monday) or month of ``column`` (a UTC
    timestamp known to lie in [start, end), local midnights both)."""
    if dialect_name() == "postgresql":
        return _period_start_by_search(column, start, end, period)
    if period == "day":
        return local_date(column, start, end)
    day = local_date(column, start, end)
    if period == "week":
        # SQLite: 'weekday 0' moves forward to the week's Sunday (or stays on it); six days
        # back is that week's Monday.
        return sa.func.date(day, "weekday 0", "-6 days")
    return sa.func.date(day, "start of month")


def _period_start_by_search(column, start: datetime, end: datetime, period: str):
    # The periods of the range are known here, and so are the instants they begin: the period
    # of a timestamp is found by a binary search of those (width_bucket: how many of them are
    # at or before it), then picked from the list of their first days. The same days as
    # ``date_trunc(period, timezone(:tz, column))``, without converting every timestamp to
    # local time, which was a quarter of the time of a year of sales grouped by month.
    firsts, begins, _ = zip(*period_bounds(start, end, period), strict=True)
    index = sa.func.width_bucket(
        column, sa.literal(list(begins[1:]), ARRAY(sa.DateTime(timezone=True))))
    # In parentheses: PostgreSQL subscripts ``:firsts::DATE[]`` only as ``(...)[i]``.
    return sa.Grouping(sa.literal(list(firsts), ARRAY(sa.Date)))[index + 1]


def period_bounds(start: datetime, end: datetime, period: str) -> list[tuple]:
    """The days, weeks (from Monday) or months of local days of [start, end) (local midnights
    both): ``(first local day, begins, ends)`` for each, the UTC instants cut to the range."""
    zone = cinema_tz()
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    firsts = sorted({period_key(first + timedelta(days=n), period)
                     for n in range((last - first).days + 1)})
    begins = [start] + [local_midnight(day, zone) for day in firsts[1:]]
    return list(zip(firsts, begins, begins[1:] + [end], strict=False))


def as_date(value) -> date:
    """A day from SQL: PostgreSQL gives ``date``, SQLite the ISO text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def period_key(day: date, period: str) -> date:
    """The first day of ``day``'s period, as ``period_start`` computes it in SQL."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day
