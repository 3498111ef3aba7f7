"""Patron statistics: signups, active bookers, repeat rate, top patrons, cancellation rate.

Same definitions as ``cinema.reports.reports`` (sales on the local day of ``SOLD_AT``: when a
booking was paid, so a "pay at the box office" booking counts when the counter takes the money;
refunds by the documented rule), applied per patron:
- **signup**: a USER account created in the range (staff and admins are not patrons);
- **active booker**: a patron with at least one sale in the range; **repeat booker**: two or
  more. Repeat rate = repeat bookers / active bookers;
- **spend** of a patron: their sales minus their refunds in the range (top patrons by it);
- **cancellation rate**: of the bookings confirmed in the range, the share cancelled since;
- **abandoned holds**: holds started in the range (``created_at``) that were never confirmed
  and are over (cancelled or expired), against all holds started in the range.
Per period (day, week from Monday, or month, of local days) the report gives signups, active
bookers and bookings.

Four statements: the range's totals and top patrons (one pass over its sales grouped by
patron, with its refunds), its holds, its signups per period, its sales per period.
docs/PERFORMANCE.md ("Reports") has the plans and the figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import Reservation, ReservationStatus, ReservedSeat, User, UserRole, utcnow
from cinema.reports.report_dates import (
    DateRange,
    as_date,
    dialect_name,
    period_bounds,
    period_key,
    period_start,
)
from cinema.reports.report_rows import SOLD_AT, refund_events
from cinema.reports.report_sql import without_jit


@dataclass
class PeriodRow:
    start: date
    signups: int = 0
    active_bookers: int = 0
    bookings: int = 0


@dataclass
class Patron:
    user_id: int
    email: str
    full_name: str
    bookings: int
    sales_cents: int
    refunds_cents: int

    @property
    def spend_cents(self) -> int:
        return self.sales_cents - self.refunds_cents


@dataclass
class UserStats:
    range: DateRange
    period: str
    periods: list[PeriodRow]
    signups: int
    active_bookers: int
    repeat_bookers: int
    bookings: int
    cancelled_bookings: int
    holds: int
    abandoned_holds: int
    top_patrons: list[Patron]
    generated_at: datetime = field(default_factory=utcnow)

    @staticmethod
    def _rate(part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 0.0

    @property
    def repeat_rate(self) -> float:
        return self._rate(self.repeat_bookers, self.active_bookers)

    @property
    def cancellation_rate(self) -> float:
        return self._rate(self.cancelled_bookings, self.bookings)

    @property
    def abandonment_rate(self) -> float:
        return self._rate(self.abandoned_holds, self.holds)


def _patrons():
    return sa.and_(User.role == UserRole.USER, User.is_deleted.is_(False))


def _sales_in(start: datetime, end: datetime):
    return sa.and_(SOLD_AT >= start, SOLD_AT < end,
                   Reservation.is_deleted.is_(False))


def _periods(rng: DateRange, period: str, start: datetime, end: datetime) -> list[PeriodRow]:
    signup_period = period_start(User.created_at, start, end, period).label("period")
    signups = db.session.execute(
        sa.select(signup_period, sa.func.count().label("n"))
        .where(_patrons(), User.created_at >= start, User.created_at < end)
        .group_by(signup_period)).all()
    bookers = db.session.execute(_sales_per_period(start, end, period)).all()
    rows = {}
    for day in rng.each_day():
        key = period_key(day, period)
        rows.setdefault(key, PeriodRow(start=key))
    for r in signups:
        rows[as_date(r.period)].signups = r.n
    for r in bookers:
        row = rows[as_date(r.period)]
        row.active_bookers, row.bookings = r.users, r.bookings
    return sorted(rows.values(), key=lambda row: row.start)


def _sales_per_period(start: datetime, end: datetime, period: str):
    """Select (period, users, bookings): the distinct patrons and the sales of the periods of
    [start, end) (those without sales may be left out)."""
    users, bookings = (sa.func.count(sa.distinct(Reservation.user_id)).label("users"),
                       sa.func.count().label("bookings"))
    if dialect_name() != "postgresql":
        sale_period = period_start(SOLD_AT, start, end, period).label("period")
        return (sa.select(sale_period, users, bookings)
                .where(_sales_in(start, end)).group_by(sale_period))
    # Period by period (LATERAL): each period's sales are read in order of confirmation from
    # ix_reservations_sold_at alone (it carries the patron), and its distinct patrons
    # are counted in memory. A single GROUP BY period sorted the whole range's sales on disk
    # first: about 0.28 s for a year, against 0.14 s.
    instant = sa.DateTime(timezone=True)
    periods = sa.values(sa.column("period", sa.Date), sa.column("begins", instant),
                        sa.column("ends", instant), name="periods") \
        .data(period_bounds(start, end, period))
    sold = (sa.select(users, bookings)
            .where(SOLD_AT >= periods.c.begins,
                   SOLD_AT < periods.c.ends, Reservation.is_deleted.is_(False))
            .lateral("sold"))
    return (sa.select(periods.c.period, sold.c.users, sold.c.bookings)
            .select_from(periods).join(sold, sa.true()))


def _sales_by_patron(start: datetime, end: datetime):
    """CTE: per patron with a sale in [start, end), their bookings (sales), how many of those
    are cancelled since, and the sum of their totals."""
    return (
        sa.select(Reservation.user_id, sa.func.count().label("bookings"),
                  sa.func.count().filter(Reservation.status == ReservationStatus.CANCELLED)
                  .label("cancelled"),
                  sa.func.sum(Reservation.total_price_cents).label("sales"))
        .where(_sales_in(start, end)).group_by(Reservation.user_id)
    ).cte("sales_by_patron")


def _refunds_by_patron(start: datetime, end: datetime):
    """CTE: per patron with a refund in [start, end), the sum of their refunds."""
    events = refund_events(start, end)
    # The patron of each refund by primary key, refund by refund: a join lets the planner
    # hash every reservation of the table to find the few thousand refunded in a year.
    patron = (sa.select(Reservation.user_id).where(Reservation.id == events.c.reservation_id)
              .scalar_subquery().label("user_id"))
    # A sum of integers (a booking's refund is one): PostgreSQL sums bigints as numeric, which
    # is slower to add up and, for the ranking, to sort.
    amount = sa.cast(events.c.amount_cents, sa.Integer)
    refunds = sa.select(patron, amount.label("amount")).subquery("refunds")
    return (
        sa.select(refunds.c.user_id, sa.func.sum(refunds.c.amount).label("refunds"))
        .group_by(refunds.c.user_id)
    ).cte("refunds_by_patron")


def _by_spend(sales, refunds):
    """Subquery: every patron with a sale or a refund, with their sales, refunds (null if none)
    and spend."""
    # A full outer join, written so that SQLite before 3.39 (no FULL JOIN) runs it too.
    with_sales = (
        sa.select(sales.c.user_id, sales.c.sales, refunds.c.refunds,
                  (sales.c.sales - sa.func.coalesce(refunds.c.refunds, 0)).label("spend"))
        .select_from(sales).outerjoin(refunds, refunds.c.user_id == sales.c.user_id)
    )
    without_sales = (
        sa.select(refunds.c.user_id, sa.literal(0), refunds.c.refunds, -refunds.c.refunds)
        .where(~sa.exists().where(sales.c.user_id == refunds.c.user_id))
    )
    return sa.union_all(with_sales, without_sales).subquery("by_spend")


def _top_patrons(sales, refunds, start: datetime, end: datetime, limit: int):
    """Subquery: the ``limit`` patrons of highest spend (then lowest user id), with their
    bookings.

    A patron's sales are summed from ``reservations.total_price_cents``, not from the seat rows
    (``report_rows.sale_rows``): booking and promotions always set a booking's total to the sum
    of its line items, so the figures are the same without reading 1.3 million seat rows for
    a year. As in the revenue report, a sale without seat rows is left out: a patron is listed
    for a sale with seat rows or for a refund, and their bookings are those sales. By the same
    rule a sale without seat rows has a total of 0 (an empty sum), so a patron whose spend is
    not 0 has one or the other: only patrons at 0 without a refund are looked up before the
    ranking, and bookings are counted for the patrons listed. (The app never makes a sale
    without seat rows: a hold has at least one seat, and seat rows are never deleted.)
    """
    def seated_sales(user_id):
        return sa.and_(Reservation.user_id == user_id, _sales_in(start, end),
                       sa.exists().where(ReservedSeat.reservation_id == Reservation.id))

    ranked = _by_spend(sales, refunds)
    # The look-up last: PostgreSQL evaluates OR from left to right and stops at the first true.
    listed = sa.or_(ranked.c.spend != 0, ranked.c.refunds.is_not(None),
                    sa.exists().where(seated_sales(ranked.c.user_id)))
    top = (sa.select(ranked).where(listed)
           .order_by(ranked.c.spend.desc(), ranked.c.user_id).limit(limit).subquery("top"))
    bookings = (sa.select(sa.func.count()).select_from(Reservation)
                .where(seated_sales(top.c.user_id)).scalar_subquery())
    return sa.select(top, bookings.label("bookings")).subquery("top_patrons")


def _totals_and_top_patrons(start: datetime, end: datetime, limit: int):
    """The range's active and repeat bookers, bookings and cancelled bookings, and its top
    patrons: one statement, one pass over the sales of the range grouped by patron.

    Returns ``(totals row, [Patron])``.
    """
    sales, refunds = _sales_by_patron(start, end), _refunds_by_patron(start, end)
    totals = sa.select(
        sa.func.count().label("active"),
        sa.func.count().filter(sales.c.bookings >= 2).label("repeat"),
        sa.func.coalesce(sa.func.sum(sales.c.bookings), 0).label("bookings"),
        sa.func.coalesce(sa.func.sum(sales.c.cancelled), 0).label("cancelled"),
    ).subquery("totals")
    top = _top_patrons(sales, refunds, start, end, limit)
    # One row per top patron, each with the totals; one row of totals alone if none.
    rows = db.session.execute(
        sa.select(totals, top.c.user_id, top.c.bookings.label("patron_bookings"),
                  top.c.sales, top.c.refunds, User.email, User.full_name)
        .select_from(totals)
        .outerjoin(top.join(User, User.id == top.c.user_id), sa.true())
        .order_by(top.c.spend.desc(), top.c.user_id)).all()
    patrons = [Patron(r.user_id, r.email, r.full_name, r.patron_bookings, int(r.sales),
                      int(r.refunds or 0)) for r in rows if r.user_id is not None]
    return rows[0], patrons


def user_stats(rng: DateRange, period: str, now: datetime, top: int = 10) -> UserStats:
    """The patron statistics of the range (see the module docstring)."""
    without_jit()
    start, end = rng.utc_bounds()
    totals, top_patrons = _totals_and_top_patrons(start, end, top)
    over = sa.or_(Reservation.status == ReservationStatus.CANCELLED,
                  sa.and_(Reservation.status == ReservationStatus.HELD,
                          Reservation.hold_expires_at <= now))
    holds, abandoned = db.session.execute(sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case(
            (sa.and_(Reservation.confirmed_at.is_(None), over), 1), else_=0)), 0),
    ).where(Reservation.created_at >= start, Reservation.created_at < end,
            Reservation.is_deleted.is_(False))).one()
    periods = _periods(rng, period, start, end)
    return UserStats(
        # The periods cover the range, day for day: its signups are theirs.
        range=rng, period=period, periods=periods, signups=sum(row.signups for row in periods),
        active_bookers=totals.active, repeat_bookers=totals.repeat,
        bookings=int(totals.bookings), cancelled_bookings=int(totals.cancelled), holds=holds,
        abandoned_holds=int(abandoned), top_patrons=top_patrons)
