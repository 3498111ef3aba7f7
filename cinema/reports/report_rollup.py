"""Rollups of what no longer changes, so that a year's report does not re-read a year of sales.

**Closed days.** A sale counts on the local day of its confirmation (its payment, for one paid
at the box office: report_rows.SOLD_AT) and a refund on the local
day it happens (``cinema.reports.reports``), always at the moment they are written: once a
local day is over, nothing new can fall on it. A day is *closed* ``GRACE`` after it ends (a
transaction that confirmed a booking at 23:59:59 is committed by then). The first report (or
the worker's periodic tick) that needs a closed day sums its sales and refunds per film and
auditorium into ``report_day_sales`` with the very statement a report runs live
(``report_rows.day_sums``), and marks the day in ``report_closed_days``; every later report
reads those few rows. Days are kept per time zone, so changing ``CINEMA_TIMEZONE`` only means
summing the days again in the new zone.

**Ended showtimes.** A showtime's seats sold stop changing once it has played (no booking,
cancellation or hold can start after it begins); ``GRACE`` after its end they are counted
once into ``report_showtime_sales``. Capacity is not stored: it follows the auditorium's
seats as they are now, as the live report does. (The split by seat type keeps the types the
seats had then; live, a seat retyped later would move its past sales to its new type.)

The rollups are a cache: reports give the same figures with or without them (the tests check
both ways). If past data is ever corrected by hand, ``forget`` drops the affected sums
(``flask forget-report-rollups``) and they are summed again on the next read.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cinema.clock import cinema_tz, local_today
from cinema.extensions import db
from cinema.models import ClosedReportDay, DaySales, Showtime, ShowtimeSales
from cinema.reports.report_dates import DateRange, dialect_name
from cinema.reports.report_rows import (
    DAY_SUMS,
    SOLD_COLUMNS,
    Filters,
    day_sums,
    sold_seats,
)

GRACE = timedelta(hours=1)
# What the worker keeps summed ahead of any report (older days are summed when first read).
KEEP_CLOSED_DAYS = 400

# DaySales columns, in the order of report_rows.DAY_SUMS.
DAY_SALES_COLUMNS = ("bookings", "seats", "base_cents", "seat_type_cents", "time_cents",
                     "discount_cents", "sales_cents", "refunds", "refunds_cents")


def zone_name() -> str:
    return cinema_tz().key


def last_closed_day(now: datetime) -> date:
    """The latest local day that ended at least ``GRACE`` before ``now``."""
    return local_today(now - GRACE) - timedelta(days=1)


# --- closed days -----------------------------------------------------------------------------

def close_days(first: date, last: date) -> int:
    """Sum every closed day of [first, last] not yet summed; returns how many were. Commits
    when it sums any. ``last`` must be a closed day (``last_closed_day``)."""
    if not _missing_days(first, last):
        return 0
    _lock("report_closed_days")
    missing = _missing_days(first, last)  # again: another process may have just summed them
    if not missing:
        db.session.rollback()  # ends the transaction, and the lock with it
        return 0
    zone = zone_name()
    for run in _runs(missing):
        start, end = run.utc_bounds()
        sums = day_sums(start, end, Filters()).subquery("sums")
        db.session.execute(sa.insert(DaySales).from_select(
            ["zone", "day", "movie_id", "auditorium_id", *DAY_SALES_COLUMNS],
            sa.select(sa.literal(zone), sums.c.day, sums.c.movie_id, sums.c.auditorium_id,
                      *[sums.c[name] for name in DAY_SUMS])))
    db.session.execute(sa.insert(ClosedReportDay), [{"zone": zone, "day": day}
                                                    for day in missing])
    db.session.commit()
    return len(missing)


def _missing_days(first: date, last: date) -> list[date]:
    summed = set(db.session.scalars(sa.select(ClosedReportDay.day).where(
        ClosedReportDay.zone == zone_name(), ClosedReportDay.day >= first,
        ClosedReportDay.day <= last)))
    return [day for day in DateRange(first, last).each_day() if day not in summed]


def _runs(days: list[date]) -> list[DateRange]:
    """Consecutive days as ranges of at most a month (each one statement)."""
    runs: list[DateRange] = []
    for day in days:
        if runs and runs[-1].last == day - timedelta(days=1) and runs[-1].days < 31:
            runs[-1] = DateRange(runs[-1].first, day)
        else:
            runs.append(DateRange(day, day))
    return runs


def day_rows(rng: DateRange, filters: Filters, now: datetime):
    """Subquery: the range's sales and refunds per local day, film and auditorium (columns
    ``day, movie_id, auditorium_id`` and ``report_rows.DAY_SUMS``): closed days from the
    rollup (summed first if they are not yet), the others computed live."""
    last_closed = min(rng.last, last_closed_day(now))
    parts = []
    if last_closed >= rng.first:
        close_days(rng.first, last_closed)
        parts.append(
            sa.select(DaySales.day, DaySales.movie_id, DaySales.auditorium_id,
                      *[DaySales.__table__.c[column].label(name)
                        for column, name in zip(DAY_SALES_COLUMNS, DAY_SUMS, strict=True)])
            .where(DaySales.zone == zone_name(), DaySales.day >= rng.first,
                   DaySales.day <= last_closed,
                   *filters.conditions(DaySales.movie_id, DaySales.auditorium_id)))
    if last_closed < rng.last:
        start, end = DateRange(max(rng.first, last_closed + timedelta(days=1)),
                               rng.last).utc_bounds()
        parts.append(day_sums(start, end, filters))
    return (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("day_rows")


# --- ended showtimes -------------------------------------------------------------------------

def count_ended_showtimes(start: datetime, end: datetime, now: datetime) -> None:
    """Store the seats sold of every showtime starting in [start, end) that has ended, is not
    cancelled and is not yet counted. Commits."""
    counted = sa.select(ShowtimeSales.showtime_id).where(
        ShowtimeSales.showtime_id == Showtime.id).exists()
    sold, sold_on = sold_seats(start, end)
    rows = (
        sa.select(Showtime.id, *[sa.func.coalesce(sold.c[name], 0) for name in SOLD_COLUMNS])
        .select_from(Showtime)
        .outerjoin(sold, sold_on)
        .where(Showtime.starts_at >= start, Showtime.starts_at < end,
               Showtime.ends_at < now - GRACE, Showtime.cancelled_at.is_(None),
               Showtime.is_deleted.is_(False), ~counted)
    )
    insert = (postgresql.insert if dialect_name() == "postgresql" else sqlite.insert)(
        ShowtimeSales)
    db.session.execute(insert.from_select(["showtime_id", *SOLD_COLUMNS], rows)
                       .on_conflict_do_nothing(index_elements=["showtime_id"]))
    db.session.commit()


# --- upkeep ----------------------------------------------------------------------------------

def forget(first: date | None = None, last: date | None = None) -> None:
    """Drop the rollups of local days [first, last] (every day by default; the days of every
    time zone) and the seat counts of the showtimes starting then; they are summed again when
    next needed. For corrections made to past data by hand. Commits."""
    days, closed, showtimes = [], [], sa.select(Showtime.id)
    if first is not None:
        days.append(DaySales.day >= first)
        closed.append(ClosedReportDay.day >= first)
        showtimes = showtimes.where(Showtime.starts_at >= DateRange(first, first).utc_bounds()[0])
    if last is not None:
        days.append(DaySales.day <= last)
        closed.append(ClosedReportDay.day <= last)
        showtimes = showtimes.where(Showtime.starts_at < DateRange(last, last).utc_bounds()[1])
    db.session.execute(sa.delete(DaySales).where(*days))
    db.session.execute(sa.delete(ClosedReportDay).where(*closed))
    db.session.execute(sa.delete(ShowtimeSales).where(ShowtimeSales.showtime_id.in_(showtimes)))
    db.session.commit()


def keep_up(now: datetime) -> int:
    """Sum the closed days and ended showtimes of the last ``KEEP_CLOSED_DAYS`` days that are
    not yet (the worker's periodic tick), so reports find them ready. Returns the days summed."""
    last = last_closed_day(now)
    first = last - timedelta(days=KEEP_CLOSED_DAYS - 1)
    summed = close_days(first, last)
    count_ended_showtimes(*DateRange(first, local_today(now)).utc_bounds(), now)
    return summed


def _lock(name: str) -> None:
    """Serialise summing across processes until the end of the transaction (PostgreSQL; SQLite
    has one writer at a time anyway)."""
    if dialect_name() == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(name))))
