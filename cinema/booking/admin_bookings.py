"""Admin view of all bookings: search with filters and one booking's detail.

Admin cancellation goes through ``cinema.booking.booking.cancel_booking(..., by_admin=True)``,
which frees the seats, refunds a card payment, audits and emails the patron.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.exceptions import NotFound
from cinema.extensions import db
from cinema.models import AuditLog, Payment, Reservation, ReservationStatus, Showtime, User
from cinema.reports.report_dates import DateRange

PER_PAGE = 25


@dataclass(frozen=True)
class BookingFilters:
    movie_id: int | None = None
    showtime_id: int | None = None
    status: ReservationStatus | None = None
    day: date | None = None  # local day of the showtime
    email: str = ""


def search(filters: BookingFilters, page: int = 1, per_page: int = PER_PAGE):
    """A page of bookings (newest first) matching ``filters``; a Flask-SQLAlchemy pagination."""
    stmt = (
        sa.select(Reservation)
        .join(Reservation.showtime).join(Reservation.user)
        .where(Reservation.is_deleted.is_(False))
        .options(so.contains_eager(Reservation.showtime), so.contains_eager(Reservation.user),
                 so.selectinload(Reservation.seats))
        .order_by(Reservation.created_at.desc(), Reservation.id.desc())
    )
    if filters.movie_id:
        stmt = stmt.where(Showtime.movie_id == filters.movie_id)
    if filters.showtime_id:
        stmt = stmt.where(Reservation.showtime_id == filters.showtime_id)
    if filters.status:
        stmt = stmt.where(Reservation.status == filters.status)
    if filters.day:
        start, end = DateRange(filters.day, filters.day).utc_bounds()
        stmt = stmt.where(Showtime.starts_at >= start, Showtime.starts_at < end)
    if filters.email:
        stmt = stmt.where(sa.func.lower(User.email).contains(filters.email, autoescape=True))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


@dataclass
class BookingDetail:
    reservation: Reservation
    payments: list[Payment]
    history: list[AuditLog]


def detail(reservation_id: int) -> BookingDetail:
    """One booking with its seats, payments and audit history. Raises NotFound."""
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None or reservation.is_deleted:
        raise NotFound("No such booking.")
    payments = db.session.scalars(sa.select(Payment).where(
        Payment.reservation_id == reservation_id).order_by(Payment.created_at)).all()
    history = db.session.scalars(sa.select(AuditLog).where(
        AuditLog.entity_type == "reservation", AuditLog.entity_id == reservation_id)
        .order_by(AuditLog.created_at)).all()
    return BookingDetail(reservation, list(payments), list(history))
