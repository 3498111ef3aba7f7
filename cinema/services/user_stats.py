"""Patron statistics: signups, active bookers, repeat rate, top patrons, cancellation rate.

Same definitions as ``cinema.services.reports`` (sales on the local day of ``confirmed_at``,
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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import Reservation, ReservationStatus, User, UserRole, utcnow
from cinema.services.report_dates import DateRange, as_date, period_key, period_start
from cinema.services.report_rows import Filters, refund_events, sale_rows
from cinema.services.report_sql import without_jit


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
    return sa.and_(Reservation.confirmed_at >= start, Reservation.confirmed_at < end,
                   Reservation.is_deleted.is_(False))


def _periods(rng: DateRange, period: str, start: datetime, end: datetime) -> list[PeriodRow]:
    signup_period = period_start(User.created_at, start, end, period).label("period")
    signups = db.session.execute(
        sa.select(signup_period, sa.func.count().label("n"))
        .where(_patrons(), User.created_at >= start, User.created_at < end)
        .group_by(signup_period)).all()
    sale_period = period_start(Reservation.confirmed_at, start, end, period).label("period")
    bookers = db.session.execute(
        sa.select(sale_period, sa.func.count(sa.distinct(Reservation.user_id)).label("users"),
                  sa.func.count().label("bookings"))
        .where(_sales_in(start, end)).group_by(sale_period)).all()
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


def _top_patrons(start: datetime, end: datetime, limit: int) -> list[Patron]:
    events = refund_events(start, end)
    sold = sale_rows(start, end, Filters())
    lines = sa.union_all(
        sa.select(sold.c.user_id, sold.c.reservation_id.label("booking_id"),
                  sold.c.sales, sa.literal(0).label("refunds")),
        sa.select(Reservation.user_id, sa.null(), sa.literal(0), events.c.amount_cents)
        .join(events, events.c.reservation_id == Reservation.id),
    ).subquery("spend")
    sales = sa.func.sum(lines.c.sales)
    refunds = sa.func.sum(lines.c.refunds)
    per_user = (
        # One sale row per booking, so counting booking ids counts bookings.
        sa.select(lines.c.user_id, sa.func.count(lines.c.booking_id).label("bookings"),
                  sales.label("sales"), refunds.label("refunds"))
        .group_by(lines.c.user_id)
        .order_by((sales - refunds).desc(), lines.c.user_id)
        .limit(limit)
    ).subquery("per_user")
    rows = db.session.execute(
        sa.select(per_user, User.email, User.full_name)
        .join(User, User.id == per_user.c.user_id)
        .order_by((per_user.c.sales - per_user.c.refunds).desc(), per_user.c.user_id)).all()
    return [Patron(r.user_id, r.email, r.full_name, r.bookings, int(r.sales), int(r.refunds))
            for r in rows]


def user_stats(rng: DateRange, period: str, now: datetime, top: int = 10) -> UserStats:
    """The patron statistics of the range (see the module docstring)."""
    without_jit()
    start, end = rng.utc_bounds()
    per_user = (
        sa.select(Reservation.user_id, sa.func.count().label("n"))
        .where(_sales_in(start, end)).group_by(Reservation.user_id).subquery()
    )
    active, repeat = db.session.execute(sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((per_user.c.n >= 2, 1),
                                                              else_=0)), 0))).one()
    bookings, cancelled = db.session.execute(sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case(
            (Reservation.status == ReservationStatus.CANCELLED, 1), else_=0)), 0),
    ).where(_sales_in(start, end))).one()
    over = sa.or_(Reservation.status == ReservationStatus.CANCELLED,
                  sa.and_(Reservation.status == ReservationStatus.HELD,
                          Reservation.hold_expires_at <= now))
    holds, abandoned = db.session.execute(sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case(
            (sa.and_(Reservation.confirmed_at.is_(None), over), 1), else_=0)), 0),
    ).where(Reservation.created_at >= start, Reservation.created_at < end,
            Reservation.is_deleted.is_(False))).one()
    signups = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        _patrons(), User.created_at >= start, User.created_at < end))
    return UserStats(
        range=rng, period=period, periods=_periods(rng, period, start, end), signups=signups,
        active_bookers=active, repeat_bookers=int(repeat), bookings=bookings,
        cancelled_bookings=int(cancelled), holds=holds, abandoned_holds=int(abandoned),
        top_patrons=_top_patrons(start, end, top))
