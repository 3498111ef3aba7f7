"""Revenue and occupancy reports: SQL aggregations, never a loop over bookings.

Definitions (also in README.md, "Reports"); every amount is integer cents:

- **Sale**: a reservation that was confirmed (CONFIRMED or COMPLETED at some point, so
  ``confirmed_at`` is set, whatever its status now) and, if it is to be paid at the box
  office, paid (``paid_at`` set). It counts on the local day of its ``confirmed_at`` (of its
  ``paid_at`` for a box-office booking: ``report_rows.SOLD_AT``), for the sum of its stored
  line items (``reserved_seats.price_cents``, which equals ``total_price_cents``). A booking
  cancelled later is still a sale on its day; its refund is counted apart, on the refund's day.
- **Refund**: money given back, from two sources that never overlap:
  1. every ``payments`` row with kind REFUND and status SUCCEEDED: its ``amount_cents``, on the
     local day of its ``created_at``;
  2. a reservation CANCELLED after its sale (see above) that has no such
     payment row (a box-office booking refunded at the desk, or a cancellation whose provider
     refund was not recorded): refunded in full (the sum of its line items) on the local day
     of its ``cancelled_at``.
  So a booking confirmed and later cancelled nets to zero, and no refund is counted twice.
- **Revenue** (net) = sales - refunds.
- A hold that expired or was cancelled before confirmation (``confirmed_at`` null) is never a
  sale nor a refund.
- **Occupancy**: seats of CONFIRMED or COMPLETED reservations (their ``is_active`` seat rows)
  against the capacity of the auditorium: its seats that are neither deleted nor blocked (as
  they are now; the seat table keeps no history of blocks). Cancelled and deleted showtimes
  are left out. A showtime counts in a range by the local day it starts.

Filters: ``movie_id`` and ``auditorium_id`` (of the showtime) narrow every table and total.

A report's tables come from one statement (``report_sql.grouped``: GROUPING SETS), over the
rows of ``report_rows`` (sales, refunds) or of ``showtime_occupancy``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import Auditorium, Movie, Seat, SeatType, Showtime, ShowtimeSales, utcnow
from cinema.reports import report_rollup
from cinema.reports.report_dates import DateRange, as_date
from cinema.reports.report_rows import (
    DAY_SUMS,
    SEAT_TYPES,
    SOLD_COLUMNS,
    SOLD_TYPE_COLUMNS,
    Filters,
    per_type,
    sold_seats,
)
from cinema.reports.report_sql import grouped, without_jit

# --- revenue ---------------------------------------------------------------------------------

@dataclass
class MoneyRow:
    """Sales (with their line items), refunds and net revenue of one day, film or auditorium."""

    key: object = None
    label: str = ""
    bookings: int = 0
    seats: int = 0
    base_cents: int = 0
    seat_type_cents: int = 0
    time_cents: int = 0
    discount_cents: int = 0
    sales_cents: int = 0
    refunds: int = 0
    refunds_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.sales_cents - self.refunds_cents


@dataclass
class RevenueReport:
    range: DateRange
    filters: Filters
    days: list[MoneyRow]
    films: list[MoneyRow]
    auditoriums: list[MoneyRow]
    total: MoneyRow
    generated_at: datetime = field(default_factory=utcnow)


# The revenue tables: the key columns each is grouped by, how a row's key and label read.
MONEY_TABLES = {
    "days": (("day",), lambda r: as_date(r.day), lambda r: ""),
    "films": (("movie_id", "title"), lambda r: r.movie_id, lambda r: r.title),
    "auditoriums": (("auditorium_id", "auditorium"), lambda r: r.auditorium_id,
                    lambda r: r.auditorium),
    "total": ((), lambda r: "total", lambda r: "Total"),
}


def _money_tables(rng: DateRange, filters: Filters, tables: tuple[str, ...],
                 now: datetime | None) -> dict:
    """{table: {key: MoneyRow}} for the named MONEY_TABLES, from one statement
    (report_sql.grouped) over the range's sums per day, film and auditorium: the rollup's for
    closed days, computed live for the others (report_rollup.day_rows)."""
    rows = report_rollup.day_rows(rng, filters, now or utcnow())
    without_jit()
    named = (sa.select(rows, Movie.title, Auditorium.name.label("auditorium"))
             .join(Movie, Movie.id == rows.c.movie_id)
             .join(Auditorium, Auditorium.id == rows.c.auditorium_id).subquery("money"))
    result = grouped(named, {t: [named.c[key] for key in MONEY_TABLES[t][0]] for t in tables},
                     [sa.func.coalesce(sa.func.sum(named.c[name]), 0).label(name)
                      for name in DAY_SUMS])
    return {t: _money_rows(result[t], *MONEY_TABLES[t][1:]) for t in tables}


def _money_rows(rows, key_of, label_of) -> dict:
    """{key: MoneyRow} of summed rows (aggregates, not bookings)."""
    return {key_of(r): MoneyRow(
        key=key_of(r), label=label_of(r), bookings=int(r.bookings), seats=int(r.seats),
        base_cents=int(r.base), seat_type_cents=int(r.seat_type), time_cents=int(r.time),
        discount_cents=int(r.discount), sales_cents=int(r.sales), refunds=int(r.refunds),
        refunds_cents=int(r.refunds_cents)) for r in rows}


def _days(rng: DateRange, rows: dict) -> list[MoneyRow]:
    return [rows.get(day) or MoneyRow(key=day) for day in rng.each_day()]


def _by_net(rows: dict) -> list[MoneyRow]:
    return sorted(rows.values(), key=lambda row: (-row.net_cents, row.label))


def _total(rows: dict) -> MoneyRow:
    return rows.get("total") or MoneyRow(key="total", label="Total")


def revenue_by_day(rng: DateRange, filters: Filters,
                   now: datetime | None = None) -> list[MoneyRow]:
    """Every day of the range (days without sales too), oldest first."""
    return _days(rng, _money_tables(rng, filters, ("days",), now)["days"])


def revenue_by_film(rng: DateRange, filters: Filters,
                    now: datetime | None = None) -> list[MoneyRow]:
    """Films with sales or refunds in the range, highest net revenue first."""
    return _by_net(_money_tables(rng, filters, ("films",), now)["films"])


def revenue_by_auditorium(rng: DateRange, filters: Filters,
                          now: datetime | None = None) -> list[MoneyRow]:
    """Auditoriums with sales or refunds in the range, highest net revenue first."""
    return _by_net(_money_tables(rng, filters, ("auditoriums",), now)["auditoriums"])


def revenue_total(rng: DateRange, filters: Filters = Filters(),
                  now: datetime | None = None) -> MoneyRow:
    """The range's totals, from their own SQL aggregate (not by adding up the other tables)."""
    return _total(_money_tables(rng, filters, ("total",), now)["total"])


def revenue_report(rng: DateRange, filters: Filters = Filters(),
                   now: datetime | None = None) -> RevenueReport:
    """The four tables, from one statement. ``now`` (default: the clock) says which days are
    closed (report_rollup)."""
    tables = _money_tables(rng, filters, tuple(MONEY_TABLES), now)
    return RevenueReport(range=rng, filters=filters, days=_days(rng, tables["days"]),
                         films=_by_net(tables["films"]),
                         auditoriums=_by_net(tables["auditoriums"]),
                         total=_total(tables["total"]))


# --- occupancy -------------------------------------------------------------------------------

@dataclass
class OccupancyRow:
    """Seats sold against capacity for one showtime, film, auditorium, or the whole range."""

    key: object = None
    label: str = ""
    starts_at: datetime | None = None
    auditorium: str = ""
    showtimes: int = 0
    capacity: int = 0
    sold: int = 0
    capacity_by_type: dict = field(default_factory=dict)
    sold_by_type: dict = field(default_factory=dict)

    @property
    def percent(self) -> float:
        return 100.0 * self.sold / self.capacity if self.capacity else 0.0

    @property
    def fraction(self) -> float:
        return min(1.0, self.sold / self.capacity) if self.capacity else 0.0

    def type_percent(self, seat_type: SeatType) -> float | None:
        capacity = self.capacity_by_type.get(seat_type, 0)
        return 100.0 * self.sold_by_type.get(seat_type, 0) / capacity if capacity else None


@dataclass
class OccupancyReport:
    range: DateRange
    filters: Filters
    showtimes: list[OccupancyRow]
    showtime_count: int
    films: list[OccupancyRow]
    auditoriums: list[OccupancyRow]
    total: OccupancyRow
    seat_types: list[SeatType]
    generated_at: datetime = field(default_factory=utcnow)


# (seat type, column) of a row's capacity per type.
CAPACITY_COLUMNS = [(t, f"cap_{t.value.lower()}") for t in SEAT_TYPES]


def showtime_occupancy(start: datetime, end: datetime, filters: Filters = Filters()):
    """Subquery: one row per live showtime starting in [start, end), with its capacity and
    seats sold, in total and per seat type. The seats sold of a showtime that has ended come
    from the rollup when it has them (report_rollup.count_ended_showtimes), the others are
    counted live."""
    capacity = (
        sa.select(Seat.auditorium_id, sa.func.count().label("capacity"),
                  *per_type(Seat.seat_type, "cap"))
        .where(Seat.is_deleted.is_(False), Seat.is_blocked.is_(False))
        .group_by(Seat.auditorium_id)
        .subquery("capacity")
    )
    counted = ShowtimeSales.__table__
    sold, sold_on = sold_seats(start, end, only_if=counted.c.showtime_id.is_(None))
    stmt = (
        sa.select(
            Showtime.id.label("showtime_id"), Showtime.starts_at, Showtime.movie_id,
            Showtime.auditorium_id, Movie.title, Auditorium.name.label("auditorium"),
            sa.func.coalesce(capacity.c.capacity, 0).label("capacity"),
            *[sa.func.coalesce(capacity.c[column], 0).label(column)
              for _, column in CAPACITY_COLUMNS],
            *[sa.func.coalesce(counted.c[name], sold.c[name], 0).label(name)
              for name in SOLD_COLUMNS],
        )
        .join(Movie, Movie.id == Showtime.movie_id)
        .join(Auditorium, Auditorium.id == Showtime.auditorium_id)
        .outerjoin(capacity, capacity.c.auditorium_id == Showtime.auditorium_id)
        .outerjoin(counted, counted.c.showtime_id == Showtime.id)
        .outerjoin(sold, sold_on)
        .where(Showtime.starts_at >= start, Showtime.starts_at < end,
               Showtime.cancelled_at.is_(None), Showtime.is_deleted.is_(False))
    )
    return filters.apply(stmt).subquery("showtime_occupancy")


def _occupancy_row(r, key=None, label="") -> OccupancyRow:
    # Through the row's mapping: a year's CSV builds 26,000 of these, and a Row's attribute
    # access by name costs about four times as much.
    m = r._mapping
    return OccupancyRow(
        key=key, label=label, showtimes=m.get("showtimes", 1), capacity=int(m["capacity"]),
        sold=int(m["sold"]),
        capacity_by_type={t: int(m[column]) for t, column in CAPACITY_COLUMNS},
        sold_by_type={t: int(m[column]) for t, column in SOLD_TYPE_COLUMNS})


def _occupancy_sums(st) -> list:
    return [sa.func.count().label("showtimes")] + [
        sa.func.coalesce(sa.func.sum(st.c[name]), 0).label(name)
        for name in ["capacity", *SOLD_COLUMNS, *[column for _, column in CAPACITY_COLUMNS]]]


def occupancy_showtimes(start: datetime, end: datetime, filters: Filters = Filters(),
                        limit: int | None = None, min_fraction: float | None = None,
                        order_by_fill: bool = False) -> list[OccupancyRow]:
    """Per-showtime rows in start order (or fullest first), optionally only those at least
    ``min_fraction`` full."""
    without_jit()
    st = showtime_occupancy(start, end, filters)
    stmt = sa.select(st)
    if min_fraction is not None:
        stmt = stmt.where(st.c.capacity > 0, st.c.sold >= min_fraction * st.c.capacity)
    if order_by_fill:
        fill = sa.cast(st.c.sold, sa.Float) / sa.func.nullif(st.c.capacity, 0)
        stmt = stmt.order_by(fill.desc().nulls_last(), st.c.starts_at)
    else:
        stmt = stmt.order_by(st.c.starts_at, st.c.auditorium)
    if limit:
        stmt = stmt.limit(limit)
    rows = []
    for r in db.session.execute(stmt):
        row = _occupancy_row(r, key=r.showtime_id, label=r.title)
        row.starts_at, row.auditorium = r.starts_at, r.auditorium
        rows.append(row)
    return rows


def occupancy_report(rng: DateRange, filters: Filters = Filters(),
                     showtime_limit: int | None = 400,
                     now: datetime | None = None) -> OccupancyReport:
    """Occupancy per film, per auditorium, in total (one statement), and per showtime: the
    first ``showtime_limit`` showtimes (None: all of them; 0: none). The showtimes of the
    range that ended before ``now`` (default: the clock) are counted into the rollup first."""
    start, end = rng.utc_bounds()
    report_rollup.count_ended_showtimes(start, end, now or utcnow())
    without_jit()
    st = showtime_occupancy(start, end, filters)
    tables = grouped(st, {"films": [st.c.movie_id, st.c.title],
                          "auditoriums": [st.c.auditorium_id, st.c.auditorium], "total": []},
                     _occupancy_sums(st), order_by=(st.c.title, st.c.auditorium))
    films = [_occupancy_row(r, r.movie_id, r.title) for r in tables["films"]]
    auditoriums = [_occupancy_row(r, r.auditorium_id, r.auditorium)
                   for r in tables["auditoriums"]]
    total = _occupancy_row(tables["total"][0], "total", "Total")
    seat_types = [t for t in SEAT_TYPES if total.capacity_by_type.get(t)]
    return OccupancyReport(
        range=rng, filters=filters, showtime_count=total.showtimes,
        showtimes=occupancy_showtimes(start, end, filters, limit=showtime_limit)
        if showtime_limit != 0 else [],
        films=sorted(films, key=lambda row: (-row.fraction, row.label)),
        auditoriums=auditoriums, total=total, seat_types=seat_types)


def choices() -> dict:
    """Films and auditoriums for the filter menus (live ones, by name)."""
    films = db.session.execute(sa.select(Movie.id, Movie.title).where(
        Movie.is_deleted.is_(False)).order_by(Movie.title)).all()
    auditoriums = db.session.execute(sa.select(Auditorium.id, Auditorium.name).where(
        Auditorium.is_deleted.is_(False)).order_by(Auditorium.name)).all()
    return {"films": films, "auditoriums": auditoriums}
