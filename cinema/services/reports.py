"""Revenue and occupancy reports: one SQL aggregation per table, never a loop over bookings.

Definitions (also in README.md, "Reports"); every amount is integer cents:

- **Sale**: a reservation that was confirmed (CONFIRMED or COMPLETED at some point, so
  ``confirmed_at`` is set, whatever its status now). It counts on the local day of its
  ``confirmed_at``, for the sum of its stored line items (``reserved_seats.price_cents``, which
  equals ``total_price_cents``). A booking cancelled later is still a sale on its day; its
  refund is counted apart, on the refund's day.
- **Refund**: money given back, from two sources that never overlap:
  1. every ``payments`` row with kind REFUND and status SUCCEEDED: its ``amount_cents``, on the
     local day of its ``created_at``;
  2. a reservation CANCELLED after confirmation (``confirmed_at`` set) that has no such
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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import (
    Auditorium, Movie, Payment, PaymentKind, PaymentStatus, Reservation, ReservationStatus,
    ReservedSeat, Seat, SeatType, Showtime, utcnow,
)
from cinema.services.report_dates import DateRange, as_date, local_date

SOLD_STATUSES = (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED)
SEAT_TYPES = tuple(SeatType)


@dataclass(frozen=True)
class Filters:
    movie_id: int | None = None
    auditorium_id: int | None = None

    def apply(self, stmt):
        """Narrow a statement that joins ``Showtime``."""
        if self.movie_id:
            stmt = stmt.where(Showtime.movie_id == self.movie_id)
        if self.auditorium_id:
            stmt = stmt.where(Showtime.auditorium_id == self.auditorium_id)
        return stmt

    def as_dict(self) -> dict:
        return {k: v for k, v in (("movie_id", self.movie_id),
                                  ("auditorium_id", self.auditorium_id)) if v}


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


FILM = (Movie, Movie.id == Showtime.movie_id)
AUDITORIUM = (Auditorium, Auditorium.id == Showtime.auditorium_id)


def _sales(rng: DateRange, filters: Filters, keys: list, joins: tuple = ()) -> list:
    """Sales aggregated by ``keys`` (none: one total row); ``joins`` add (table, on) pairs."""
    start, end = rng.utc_bounds()
    stmt = (
        sa.select(
            *keys,
            sa.func.count(sa.distinct(Reservation.id)).label("bookings"),
            sa.func.count(ReservedSeat.id).label("seats"),
            sa.func.coalesce(sa.func.sum(ReservedSeat.base_price_cents), 0).label("base"),
            sa.func.coalesce(sa.func.sum(ReservedSeat.seat_type_adjustment_cents), 0)
            .label("seat_type"),
            sa.func.coalesce(sa.func.sum(ReservedSeat.time_adjustment_cents), 0).label("time"),
            sa.func.coalesce(sa.func.sum(ReservedSeat.discount_cents), 0).label("discount"),
            sa.func.coalesce(sa.func.sum(ReservedSeat.price_cents), 0).label("sales"),
        )
        .select_from(Reservation)
        .join(ReservedSeat, ReservedSeat.reservation_id == Reservation.id)
        .join(Showtime, Showtime.id == Reservation.showtime_id)
        .where(Reservation.confirmed_at >= start, Reservation.confirmed_at < end,
               Reservation.is_deleted.is_(False))
    )
    for target, on in joins:
        stmt = stmt.join(target, on)
    if keys:
        stmt = stmt.group_by(*keys)
    return db.session.execute(filters.apply(stmt)).all()


def refund_events(start: datetime, end: datetime):
    """Subquery (reservation_id, refunded_at, amount_cents): every refund in [start, end).

    See the module docstring for the rule: successful REFUND payments, plus reservations
    cancelled after confirmation that have none, refunded in full on their cancellation day.
    """
    paid = (
        sa.select(Payment.reservation_id.label("reservation_id"),
                  Payment.created_at.label("refunded_at"),
                  Payment.amount_cents.label("amount_cents"))
        .where(Payment.kind == PaymentKind.REFUND, Payment.status == PaymentStatus.SUCCEEDED,
               Payment.is_deleted.is_(False),
               Payment.created_at >= start, Payment.created_at < end)
    )
    has_paid_refund = (
        sa.select(Payment.id)
        .where(Payment.reservation_id == Reservation.id, Payment.kind == PaymentKind.REFUND,
               Payment.status == PaymentStatus.SUCCEEDED, Payment.is_deleted.is_(False))
        .exists()
    )
    line_total = (
        sa.select(sa.func.coalesce(sa.func.sum(ReservedSeat.price_cents), 0))
        .where(ReservedSeat.reservation_id == Reservation.id)
        .scalar_subquery()
    )
    cancelled_at = sa.func.coalesce(Reservation.cancelled_at, Reservation.updated_at)
    unpaid = (
        sa.select(Reservation.id, cancelled_at, line_total)
        .where(Reservation.status == ReservationStatus.CANCELLED,
               Reservation.confirmed_at.is_not(None), Reservation.is_deleted.is_(False),
               cancelled_at >= start, cancelled_at < end, ~has_paid_refund)
    )
    return sa.union_all(paid, unpaid).subquery("refund_events")


def _refunds(rng: DateRange, filters: Filters, keys_for, joins: tuple = ()) -> list:
    """Refunds aggregated by ``keys_for(events)`` (the events subquery is made here)."""
    start, end = rng.utc_bounds()
    events = refund_events(start, end)
    keys = keys_for(events)
    stmt = (
        sa.select(*keys, sa.func.count().label("refunds"),
                  sa.func.coalesce(sa.func.sum(events.c.amount_cents), 0).label("refunds_cents"))
        .select_from(events)
        .join(Reservation, Reservation.id == events.c.reservation_id)
        .join(Showtime, Showtime.id == Reservation.showtime_id)
    )
    for target, on in joins:
        stmt = stmt.join(target, on)
    if keys:
        stmt = stmt.group_by(*keys)
    return db.session.execute(filters.apply(stmt)).all()


def _money_rows(sales, refunds, key_of, label_of) -> dict:
    """Sales and refund rows of the same keys, merged (aggregates, not bookings)."""
    rows: dict = {}
    for r in sales:
        key = key_of(r)
        rows[key] = MoneyRow(key=key, label=label_of(r), bookings=r.bookings, seats=r.seats,
                             base_cents=r.base, seat_type_cents=r.seat_type, time_cents=r.time,
                             discount_cents=r.discount, sales_cents=r.sales)
    for r in refunds:
        key = key_of(r)
        row = rows.setdefault(key, MoneyRow(key=key, label=label_of(r)))
        row.refunds, row.refunds_cents = r.refunds, r.refunds_cents
    return rows


def revenue_by_day(rng: DateRange, filters: Filters) -> list[MoneyRow]:
    """Every day of the range (days without sales too), oldest first."""
    start, end = rng.utc_bounds()
    sales = _sales(rng, filters, [local_date(Reservation.confirmed_at, start, end).label("day")])
    refunds = _refunds(rng, filters,
                       lambda ev: [local_date(ev.c.refunded_at, start, end).label("day")])
    rows = _money_rows(sales, refunds, lambda r: as_date(r.day), lambda r: "")
    return [rows.get(day) or MoneyRow(key=day) for day in rng.each_day()]


def _revenue_by(rng: DateRange, filters: Filters, join) -> list[MoneyRow]:
    target = join[0]
    keys = [target.id.label("key_id"),
            (target.title if target is Movie else target.name).label("key_label")]
    sales = _sales(rng, filters, keys, (join,))
    refunds = _refunds(rng, filters, lambda ev: keys, (join,))
    rows = _money_rows(sales, refunds, lambda r: r.key_id, lambda r: r.key_label)
    return sorted(rows.values(), key=lambda row: (-row.net_cents, row.label))


def revenue_by_film(rng: DateRange, filters: Filters) -> list[MoneyRow]:
    """Films with sales or refunds in the range, highest net revenue first."""
    return _revenue_by(rng, filters, FILM)


def revenue_by_auditorium(rng: DateRange, filters: Filters) -> list[MoneyRow]:
    """Auditoriums with sales or refunds in the range, highest net revenue first."""
    return _revenue_by(rng, filters, AUDITORIUM)


def revenue_total(rng: DateRange, filters: Filters = Filters()) -> MoneyRow:
    """The range's totals, from their own SQL aggregate (not by adding up the other tables)."""
    rows = _money_rows(_sales(rng, filters, []), _refunds(rng, filters, lambda ev: []),
                       lambda r: "total", lambda r: "Total")
    return rows.get("total") or MoneyRow(key="total", label="Total")


def revenue_report(rng: DateRange, filters: Filters = Filters()) -> RevenueReport:
    return RevenueReport(range=rng, filters=filters, days=revenue_by_day(rng, filters),
                         films=revenue_by_film(rng, filters),
                         auditoriums=revenue_by_auditorium(rng, filters),
                         total=revenue_total(rng, filters))


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


def _per_type(column, name: str):
    return [sa.func.coalesce(sa.func.sum(sa.case((column == t, 1), else_=0)), 0)
            .label(f"{name}_{t.value.lower()}") for t in SEAT_TYPES]


def showtime_occupancy(start: datetime, end: datetime, filters: Filters = Filters()):
    """Subquery: one row per live showtime starting in [start, end), with its capacity and
    seats sold, in total and per seat type."""
    capacity = (
        sa.select(Seat.auditorium_id, sa.func.count().label("capacity"),
                  *_per_type(Seat.seat_type, "cap"))
        .where(Seat.is_deleted.is_(False), Seat.is_blocked.is_(False))
        .group_by(Seat.auditorium_id)
        .subquery("capacity")
    )
    sold = filters.apply(
        sa.select(ReservedSeat.showtime_id, sa.func.count().label("sold"),
                  *_per_type(Seat.seat_type, "sold"))
        .join(Reservation, Reservation.id == ReservedSeat.reservation_id)
        .join(Seat, Seat.id == ReservedSeat.seat_id)
        .join(Showtime, Showtime.id == ReservedSeat.showtime_id)
        .where(ReservedSeat.is_active.is_(True), Reservation.status.in_(SOLD_STATUSES),
               Showtime.starts_at >= start, Showtime.starts_at < end)
        .group_by(ReservedSeat.showtime_id)
    ).subquery("sold")
    types = [t.value.lower() for t in SEAT_TYPES]
    stmt = (
        sa.select(
            Showtime.id.label("showtime_id"), Showtime.starts_at, Showtime.movie_id,
            Showtime.auditorium_id, Movie.title, Auditorium.name.label("auditorium"),
            sa.func.coalesce(capacity.c.capacity, 0).label("capacity"),
            sa.func.coalesce(sold.c.sold, 0).label("sold"),
            *[sa.func.coalesce(capacity.c[f"cap_{t}"], 0).label(f"cap_{t}") for t in types],
            *[sa.func.coalesce(sold.c[f"sold_{t}"], 0).label(f"sold_{t}") for t in types],
        )
        .join(Movie, Movie.id == Showtime.movie_id)
        .join(Auditorium, Auditorium.id == Showtime.auditorium_id)
        .outerjoin(capacity, capacity.c.auditorium_id == Showtime.auditorium_id)
        .outerjoin(sold, sold.c.showtime_id == Showtime.id)
        .where(Showtime.starts_at >= start, Showtime.starts_at < end,
               Showtime.cancelled_at.is_(None), Showtime.is_deleted.is_(False))
    )
    return filters.apply(stmt).subquery("showtime_occupancy")


def _occupancy_row(r, key=None, label="") -> OccupancyRow:
    return OccupancyRow(
        key=key, label=label, showtimes=getattr(r, "showtimes", 1), capacity=int(r.capacity),
        sold=int(r.sold),
        capacity_by_type={t: int(getattr(r, f"cap_{t.value.lower()}")) for t in SEAT_TYPES},
        sold_by_type={t: int(getattr(r, f"sold_{t.value.lower()}")) for t in SEAT_TYPES})


def _grouped(st, keys: list):
    sums = [sa.func.coalesce(sa.func.sum(st.c[name]), 0).label(name)
            for name in ["capacity", "sold"]
            + [f"{kind}_{t.value.lower()}" for kind in ("cap", "sold") for t in SEAT_TYPES]]
    stmt = sa.select(*keys, sa.func.count().label("showtimes"), *sums).select_from(st)
    return stmt.group_by(*keys) if keys else stmt


def occupancy_showtimes(start: datetime, end: datetime, filters: Filters = Filters(),
                        limit: int | None = None, min_fraction: float | None = None,
                        order_by_fill: bool = False) -> list[OccupancyRow]:
    """Per-showtime rows in start order (or fullest first), optionally only those at least
    ``min_fraction`` full."""
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
                     showtime_limit: int | None = 400) -> OccupancyReport:
    """Occupancy per film, per auditorium, in total, and per showtime: the first
    ``showtime_limit`` showtimes (None: all of them; 0: none)."""
    start, end = rng.utc_bounds()
    st = showtime_occupancy(start, end, filters)
    films = [_occupancy_row(r, r.movie_id, r.title) for r in db.session.execute(
        _grouped(st, [st.c.movie_id, st.c.title]).order_by(st.c.title))]
    auditoriums = [_occupancy_row(r, r.auditorium_id, r.auditorium) for r in db.session.execute(
        _grouped(st, [st.c.auditorium_id, st.c.auditorium]).order_by(st.c.auditorium))]
    total = _occupancy_row(db.session.execute(_grouped(st, [])).one(), "total", "Total")
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
