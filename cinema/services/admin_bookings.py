"""Admin view of all bookings: search with filters, one booking's detail, admin cancel.

``cancel_booking`` here is a minimal stand-in with the signature of the booking service's
``cinema.services.booking.cancel_booking(reservation_id, actor_id, now, by_admin=True)``:
it cancels, frees the seats, audits and emails the patron, but calls no payment provider
(the reports then count the booking as refunded in full on its cancellation day; see
``cinema.services.reports``). Swap the route to the booking service's function once it exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.errors import InvalidState, NotFound, ValidationFailed
from cinema.extensions import db
from cinema.models import (
    AuditLog, CancelReason, Payment, Reservation, ReservationStatus, ReservedSeat, Showtime, User,
)
from cinema.services import audit, notifications
from cinema.services.report_dates import DateRange

PER_PAGE = 25


@dataclass(frozen=True)
class BookingFilters:
    movie_id: int | None = None
    showtime_id: int | None = None
    status: ReservationStatus | None = None
    day: date | None = None  # local day of the showtime
    email: str = ""

    @classmethod
    def parse(cls, args) -> "BookingFilters":
        status = args.get("status") or None
        if status and status not in ReservationStatus.__members__:
            raise ValidationFailed("Unknown status.", field_errors={"status": ["Unknown."]})
        day = args.get("date") or None
        try:
            day = date.fromisoformat(day) if day else None
        except ValueError:
            raise ValidationFailed("Use a date like 2030-06-12.",
                                   field_errors={"date": ["Use YYYY-MM-DD."]})
        return cls(movie_id=args.get("movie_id", type=int) or None,
                   showtime_id=args.get("showtime_id", type=int) or None,
                   status=ReservationStatus(status) if status else None, day=day,
                   email=(args.get("email") or "").strip().lower())


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


def cancel_booking(reservation_id: int, actor_id: int, now: datetime,
                   by_admin: bool = True) -> Reservation:
    """Cancel a held or confirmed booking, free its seats, audit it and email the patron.

    Raises NotFound, or InvalidState for a booking already cancelled or completed.
    """
    reservation = db.session.scalar(
        sa.select(Reservation).where(Reservation.id == reservation_id).with_for_update())
    if reservation is None or reservation.is_deleted:
        raise NotFound("No such booking.")
    if reservation.status not in (ReservationStatus.HELD, ReservationStatus.CONFIRMED):
        raise InvalidState(f"This booking is {reservation.status.value.lower()} and cannot be "
                           "cancelled.")
    before = audit.snapshot(reservation, ["status"])
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancel_reason = CancelReason.ADMIN if by_admin else CancelReason.PATRON
    reservation.cancelled_at = now
    db.session.execute(sa.update(ReservedSeat).where(
        ReservedSeat.reservation_id == reservation.id).values(is_active=False))
    audit.record(actor_id, "reservation.cancel", "reservation", reservation.id,
                 f"cancelled booking {reservation.code}", before=before,
                 after=audit.snapshot(reservation, ["status", "cancel_reason"]))
    showtime = reservation.showtime
    notifications.queue_email(
        "booking_cancelled", reservation.user.email,
        f"Your booking {reservation.code} has been cancelled",
        f"Hello {reservation.user.full_name},\n\nYour booking {reservation.code} for "
        f"{showtime.movie.title} has been cancelled by the cinema."
        + ("\nThe full amount will be refunded." if reservation.confirmed_at else "")
        + "\n", reservation_id=reservation.id, dedupe_key=f"cancelled:{reservation.id}")
    db.session.commit()
    return reservation
