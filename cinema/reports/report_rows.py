"""The rows the reports aggregate, as SQL subqueries: sales (one row per booking, with the sums
of its line items), refunds (by the documented rule), and the film/auditorium filters.

The definitions are those of ``cinema.reports.reports`` (its module docstring). Each
subquery starts from what bounds the range (``SOLD_AT``, the refund instants), so its
cost follows the length of the range, not the size of the tables; docs/PERFORMANCE.md
("Reports") has the plans and the figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from cinema.models import (
    COMPENSATION_PREFIX,
    EXCHANGE_REFUND_PREFIX,
    Auditorium,
    Movie,
    Payment,
    PaymentKind,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Seat,
    SeatType,
    Showtime,
)
from cinema.reports.report_dates import dialect_name, local_date

SOLD_STATUSES = (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED)

# When a booking counts as sold: when it is paid, for "pay at the box office" (``paid_at``,
# null until the counter takes the money), else when it is confirmed (a card payment and its
# confirmation are one step). The literal is inlined, not bound, so PostgreSQL matches it to
# the expression index ix_reservations_sold_at (migration 9b2d41c7e5a3).
SOLD_AT = sa.case((Reservation.payment_method == sa.literal_column("'BOX_OFFICE'"),
                   Reservation.paid_at), else_=Reservation.confirmed_at)
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

    def conditions(self, movie_id, auditorium_id) -> list:
        """The filters on other columns holding a film and an auditorium (a rollup's)."""
        return [column == value for column, value in ((movie_id, self.movie_id),
                                                      (auditorium_id, self.auditorium_id))
                if value]

    def as_dict(self) -> dict:
        return {k: v for k, v in (("movie_id", self.movie_id),
                                  ("auditorium_id", self.auditorium_id)) if v}


def sale_rows(start: datetime, end: datetime, filters: Filters):
    """Subquery: one row per sale made in [start, end) (filtered, by ``SOLD_AT``), with its
    local day, film, auditorium, patron and the sums of its line items.

    The sales are found first (by ``SOLD_AT``), then their seat rows, sale by sale. On
    PostgreSQL the sums come from a LATERAL subquery: each sale's seat rows are read from the
    covering index on ``reserved_seats.reservation_id`` (never the table), and the planner
    cannot turn it into a scan of every booked seat of the year, as it did with a plain join
    for ranges of a week or more (docs/PERFORMANCE.md, "Reports"). A sale without seat rows
    is left out, as by the plain join SQLite gets.
    """
    # count(*), not count(id): the index holds no ids (asking for one costs a heap fetch per
    # row), and every row counted has one.
    sums = [
        sa.func.count().label("seats"),
        sa.func.coalesce(sa.func.sum(ReservedSeat.base_price_cents), 0).label("base"),
        sa.func.coalesce(sa.func.sum(ReservedSeat.seat_type_adjustment_cents), 0)
        .label("seat_type"),
        sa.func.coalesce(sa.func.sum(ReservedSeat.time_adjustment_cents), 0).label("time"),
        sa.func.coalesce(sa.func.sum(ReservedSeat.discount_cents), 0).label("discount"),
        sa.func.coalesce(sa.func.sum(ReservedSeat.price_cents), 0).label("sales"),
    ]
    sale = [Reservation.id.label("reservation_id"), Reservation.user_id,
            local_date(SOLD_AT, start, end).label("day"), Showtime.movie_id,
            Movie.title, Showtime.auditorium_id, Auditorium.name.label("auditorium")]
    if dialect_name() == "postgresql":
        lines = sa.select(*sums).where(ReservedSeat.reservation_id == Reservation.id) \
            .lateral("lines")
        stmt = (sa.select(*sale, *[lines.c[column.name] for column in sums])
                .select_from(Reservation).join(lines, lines.c.seats > 0))
    else:
        stmt = (sa.select(*sale, *sums).select_from(Reservation)
                .join(ReservedSeat, ReservedSeat.reservation_id == Reservation.id)
                .group_by(*sale))
    stmt = (
        stmt.join(Showtime, Showtime.id == Reservation.showtime_id)
        .join(Movie, Movie.id == Showtime.movie_id)
        .join(Auditorium, Auditorium.id == Showtime.auditorium_id)
        .where(SOLD_AT >= start, SOLD_AT < end, Reservation.is_deleted.is_(False))
    )
    return filters.apply(stmt).subquery("sales")


def refund_events(start: datetime, end: datetime):
    """Subquery (reservation_id, refunded_at, amount_cents): every refund in [start, end).

    See the module docstring for the rule: successful REFUND payments, plus reservations
    cancelled after confirmation that have none, refunded in full on their cancellation day.
    """
    # A charge that could not confirm (the hold expired or a promo code ran out while paying)
    # is refunded at once under the key "refund-charge:<payment id>" (refunds.refund_payment):
    # it was never a sale, so its refund is not one either.
    # The difference refunded when a booking moves to cheaper seats ("refund-exchange:...") is
    # not one either: the old seats' record (below) counts their whole price as refunded.
    cancellation_refund = sa.and_(
        Payment.kind == PaymentKind.REFUND, Payment.status == PaymentStatus.SUCCEEDED,
        Payment.is_deleted.is_(False), ~Payment.idempotency_key.startswith(COMPENSATION_PREFIX),
        ~Payment.idempotency_key.startswith(EXCHANGE_REFUND_PREFIX))
    paid = (
        sa.select(Payment.reservation_id.label("reservation_id"),
                  Payment.created_at.label("refunded_at"),
                  Payment.amount_cents.label("amount_cents"))
        .where(cancellation_refund, Payment.created_at >= start, Payment.created_at < end)
    )
    has_paid_refund = (
        sa.select(Payment.id)
        .where(Payment.reservation_id == Reservation.id, cancellation_refund)
        .exists()
    )
    line_total = (
        sa.select(sa.func.coalesce(sa.func.sum(ReservedSeat.price_cents), 0))
        .where(ReservedSeat.reservation_id == Reservation.id)
        .scalar_subquery()
    )
    # The same expression and conditions as the partial index ix_reservations_refund_due;
    # a box-office booking released or cancelled before it was paid was never a sale
    # (``SOLD_AT`` null), so nothing is refunded.
    cancelled_at = sa.func.coalesce(Reservation.cancelled_at, Reservation.updated_at)
    # Seats cancelled from a card booking (booking_changes) are refunded by a REFUND payment
    # of the booking they left, counted above: their own split-off booking is not a refund too.
    # The old seats of an exchange (exchanges) are: the booking's new seats are a new sale.
    card_split = sa.and_(Reservation.split_from_id.is_not(None),
                         Reservation.exchange_for_id.is_(None),
                         Reservation.payment_method == sa.literal_column("'CARD'"))
    unpaid = (
        sa.select(Reservation.id, cancelled_at, line_total)
        .where(Reservation.status == ReservationStatus.CANCELLED,
               Reservation.confirmed_at.is_not(None), SOLD_AT.is_not(None),
               Reservation.is_deleted.is_(False),
               cancelled_at >= start, cancelled_at < end, ~has_paid_refund, ~card_split)
    )
    return sa.union_all(paid, unpaid).subquery("refund_events")


def refund_rows(start: datetime, end: datetime, filters: Filters):
    """Subquery: one row per refund in [start, end) (filtered), with its local day, and the
    film and auditorium of its booking."""
    events = refund_events(start, end)
    stmt = (
        sa.select(events.c.amount_cents,
                  local_date(events.c.refunded_at, start, end).label("day"),
                  Showtime.movie_id, Movie.title, Showtime.auditorium_id,
                  Auditorium.name.label("auditorium"))
        .select_from(events)
        .join(Reservation, Reservation.id == events.c.reservation_id)
        .join(Showtime, Showtime.id == Reservation.showtime_id)
        .join(Movie, Movie.id == Showtime.movie_id)
        .join(Auditorium, Auditorium.id == Showtime.auditorium_id)
    )
    return filters.apply(stmt).subquery("refunds")


# The sums per day, film and auditorium (the rollup's columns, cinema.models.rollup.DaySales).
DAY_SUMS = ("bookings", "seats", "base", "seat_type", "time", "discount", "sales", "refunds",
            "refunds_cents")


def day_sums(start: datetime, end: datetime, filters: Filters):
    """Select: the sales and refunds of [start, end) summed per local day, film and auditorium
    (columns ``day, movie_id, auditorium_id`` and ``DAY_SUMS``): one row per key that had any.

    What the rollup stores for a closed day, and what a report computes live for the others.
    """
    sales, refunds = sale_rows(start, end, filters), refund_rows(start, end, filters)

    def keyed(rows, sums: dict):
        keys = [rows.c.day, rows.c.movie_id, rows.c.auditorium_id]
        return sa.select(*keys, *[sums.get(name, sa.literal(0)).label(name)
                                  for name in DAY_SUMS]).group_by(*keys)

    def summed(column):
        return sa.func.coalesce(sa.func.sum(column), 0)

    both = sa.union_all(
        keyed(sales, {"bookings": sa.func.count(), "seats": summed(sales.c.seats),
                      "base": summed(sales.c.base), "seat_type": summed(sales.c.seat_type),
                      "time": summed(sales.c.time), "discount": summed(sales.c.discount),
                      "sales": summed(sales.c.sales)}),
        keyed(refunds, {"refunds": sa.func.count(),
                        "refunds_cents": summed(refunds.c.amount_cents)}),
    ).subquery("day_events")
    keys = [both.c.day, both.c.movie_id, both.c.auditorium_id]
    return sa.select(*keys, *[sa.func.sum(both.c[name]).label(name) for name in DAY_SUMS]) \
        .group_by(*keys)


def per_type(column, name: str) -> list:
    """``<name>_<type>``: how many rows have each seat type in ``column``."""
    return [sa.func.coalesce(sa.func.sum(sa.case((column == t, 1), else_=0)), 0)
            .label(f"{name}_{t.value.lower()}") for t in SEAT_TYPES]


# (seat type, column) of the seats sold per type, and every seats-sold column.
SOLD_TYPE_COLUMNS = [(t, f"sold_{t.value.lower()}") for t in SEAT_TYPES]
SOLD_COLUMNS = ("sold", *[column for _, column in SOLD_TYPE_COLUMNS])


def sold_seats(start: datetime, end: datetime, only_if=None):
    """The seats sold of each showtime starting in [start, end), to outer-join to ``Showtime``:
    ``(from clause, on clause)``, with columns ``SOLD_COLUMNS`` (null or zero for a showtime
    with none). ``only_if`` (PostgreSQL): a condition on the enclosing query's row; the seats
    are counted only where it holds (the rest have them from the rollup).

    On PostgreSQL it goes showtime by showtime (LATERAL): the sold bookings from a partial
    index that holds exactly those, then their seat rows from the covering index on
    ``reservation_id``: index reads only, in time proportional to the range. With a plain join
    the planner switched to reading every booked seat of the year for a month's report.
    """
    sold = (
        sa.select(sa.func.count().label("sold"), *per_type(Seat.seat_type, "sold"))
        .select_from(Reservation)
        .join(ReservedSeat, sa.and_(ReservedSeat.reservation_id == Reservation.id,
                                    ReservedSeat.is_active))
        .join(Seat, Seat.id == ReservedSeat.seat_id)
        .where(Reservation.status.in_(SOLD_STATUSES))
    )
    if dialect_name() == "postgresql":
        sold = sold.where(Reservation.showtime_id == Showtime.id)
        if only_if is not None:
            sold = sold.where(only_if)
        return sold.lateral("sold"), sa.true()
    sold = (sold.add_columns(Reservation.showtime_id)
            .join(Showtime, Showtime.id == Reservation.showtime_id)
            .where(Showtime.starts_at >= start, Showtime.starts_at < end)
            .group_by(Reservation.showtime_id).subquery("sold"))
    return sold, sold.c.showtime_id == Showtime.id
