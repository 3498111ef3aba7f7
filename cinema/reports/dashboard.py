"""The admin dashboard's figures, each one SQL aggregation (definitions: reports/reports.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema.clock import local_today
from cinema.extensions import db
from cinema.models import (
    Movie,
    OutboxEmail,
    OutboxStatus,
    Reservation,
    ReservedSeat,
    Showtime,
    User,
)
from cinema.reports import reports
from cinema.reports.report_dates import DateRange

SELLING_OUT_FRACTION = 0.8
SELLING_OUT_DAYS = 7


@dataclass
class Holds:
    holds: int
    seats: int
    showtimes: int
    next_expiry: datetime | None


@dataclass
class Dashboard:
    today: DateRange
    showtimes_today: list[reports.OccupancyRow]
    holds: Holds
    revenue: list[tuple[str, DateRange, reports.MoneyRow]]
    selling_out: list[reports.OccupancyRow]
    failed_emails: int
    recent_failures: list
    unpaid_today: list = ()


def holds_in_progress(now: datetime) -> Holds:
    """HELD reservations not yet expired: how many, their seats, over how many showtimes."""
    row = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Reservation.id)), sa.func.count(ReservedSeat.id),
                  sa.func.count(sa.distinct(Reservation.showtime_id)),
                  sa.func.min(Reservation.hold_expires_at))
        .select_from(Reservation)
        .join(ReservedSeat, sa.and_(ReservedSeat.reservation_id == Reservation.id,
                                    ReservedSeat.is_active))
        .where(Reservation.live_hold(now))).one()
    return Holds(*row)


def revenue_periods(now: datetime) -> list[tuple[str, DateRange, reports.MoneyRow]]:
    """Net revenue of today, this week (from Monday) and this month (from the 1st)."""
    today = local_today(now)
    periods = [("Today", DateRange(today, today)),
               ("This week", DateRange(today - timedelta(days=today.weekday()), today)),
               ("This month", DateRange(today.replace(day=1), today))]
    return [(label, rng, reports.revenue_total(rng, now=now)) for label, rng in periods]


def unpaid_box_office(start: datetime, end: datetime) -> list:
    """Confirmed "pay at the box office" bookings not paid yet, of showtimes starting in
    [start, end), soonest first: (id, code, starts_at, title, patron, total_price_cents)."""
    return db.session.execute(
        sa.select(Reservation.id, Reservation.code, Showtime.starts_at, Movie.title,
                  User.full_name.label("patron"), Reservation.total_price_cents)
        .join(Showtime, Showtime.id == Reservation.showtime_id)
        .join(Movie, Movie.id == Showtime.movie_id)
        .join(User, User.id == Reservation.user_id)
        .where(Reservation.unpaid_at_box_office(), Reservation.is_deleted.is_(False),
               Showtime.starts_at >= start, Showtime.starts_at < end)
        .order_by(Showtime.starts_at, Reservation.id)).all()


def failed_emails(limit: int = 5) -> tuple[int, list]:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.status == OutboxStatus.FAILED))
    recent = db.session.execute(
        sa.select(OutboxEmail.id, OutboxEmail.to_address, OutboxEmail.subject,
                  OutboxEmail.last_error, OutboxEmail.updated_at)
        .where(OutboxEmail.status == OutboxStatus.FAILED)
        .order_by(OutboxEmail.updated_at.desc()).limit(limit)).all()
    return count, recent


def dashboard(now: datetime) -> Dashboard:
    today = local_today(now)
    rng = DateRange(today, today)
    start, end = rng.utc_bounds()
    count, recent = failed_emails()
    return Dashboard(
        today=rng,
        showtimes_today=reports.occupancy_showtimes(start, end),
        holds=holds_in_progress(now),
        revenue=revenue_periods(now),
        selling_out=reports.occupancy_showtimes(
            now, now + timedelta(days=SELLING_OUT_DAYS), limit=10,
            min_fraction=SELLING_OUT_FRACTION, order_by_fill=True),
        failed_emails=count, recent_failures=recent,
        unpaid_today=unpaid_box_office(start, end))
