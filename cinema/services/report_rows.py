"""The rows the reports aggregate, as SQL subqueries: sales (one row per booking, with the sums
of its line items), refunds (by the documented rule), and the film/auditorium filters.

The definitions are those of ``cinema.services.reports`` (its module docstring). Each
subquery starts from what bounds the range (``confirmed_at``, the refund instants), so its
cost follows the length of the range, not the size of the tables; docs/PERFORMANCE.md
("Reports") has the plans and the figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from cinema.models import (
    Auditorium, Movie, Payment, PaymentKind, PaymentStatus, Reservation, ReservationStatus,
    ReservedSeat, Showtime,
)
from cinema.services.refunds import COMPENSATION_PREFIX
from cinema.services.report_dates import dialect_name, local_date


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


def sale_rows(start: datetime, end: datetime, filters: Filters):
    """Subquery: one row per sale confirmed in [start, end) (filtered), with its local day,
    film, auditorium, patron and the sums of its line items.

    The sales are found first (by ``confirmed_at``), then their seat rows, sale by sale. On
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
            local_date(Reservation.confirmed_at, start, end).label("day"), Showtime.movie_id,
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
        .where(Reservation.confirmed_at >= start, Reservation.confirmed_at < end,
               Reservation.is_deleted.is_(False))
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
    cancellation_refund = sa.and_(
        Payment.kind == PaymentKind.REFUND, Payment.status == PaymentStatus.SUCCEEDED,
        Payment.is_deleted.is_(False), ~Payment.idempotency_key.startswith(COMPENSATION_PREFIX))
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
    # The same expression and conditions as the partial index ix_reservations_refund_due.
    cancelled_at = sa.func.coalesce(Reservation.cancelled_at, Reservation.updated_at)
    unpaid = (
        sa.select(Reservation.id, cancelled_at, line_total)
        .where(Reservation.status == ReservationStatus.CANCELLED,
               Reservation.confirmed_at.is_not(None), Reservation.is_deleted.is_(False),
               cancelled_at >= start, cancelled_at < end, ~has_paid_refund)
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
