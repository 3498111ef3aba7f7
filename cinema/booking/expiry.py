"""The expiry of holds: tidying up HELD reservations past ``hold_expires_at``.

Availability never waits for this (an expired hold is free by the clock, see
``Reservation.claims_seats``): the job scheduled at each hold's expiry and the periodic sweep
only mark the reservation CANCELLED (reason expired) and free its seat rows.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from cinema.booking import freed_seats, seat_stamps
from cinema.extensions import db
from cinema.models import CancelReason, Reservation, ReservationStatus, ReservedSeat, utcnow


def release_expired_holds(now: datetime, reservation_id: int | None = None) -> int:
    """Mark HELD reservations past their expiry CANCELLED (reason expired) and free their seat
    rows; set-based and idempotent. Only tidies up: availability never waited for this."""
    condition = sa.and_(Reservation.status == ReservationStatus.HELD,
                        Reservation.hold_expires_at <= now)
    if reservation_id is not None:
        condition = sa.and_(condition, Reservation.id == reservation_id)
    released = db.session.execute(
        sa.update(Reservation).where(condition)
        .values(status=ReservationStatus.CANCELLED, cancel_reason=CancelReason.EXPIRED,
                cancelled_at=now, updated_at=now)
        .returning(Reservation.id, Reservation.showtime_id)
        .execution_options(synchronize_session=False)).all()
    if released:
        db.session.execute(
            sa.update(ReservedSeat)
            .where(ReservedSeat.reservation_id.in_([row.id for row in released]))
            .values(is_active=False, updated_at=now)
            .execution_options(synchronize_session=False))
    db.session.commit()
    for showtime_id in {row.showtime_id for row in released}:
        seat_stamps.bump(showtime_id)
    freed_seats.seats_freed({row.showtime_id for row in released}, now)
    return len(released)


def release_hold(reservation_id: int) -> int:
    """RQ job scheduled at a hold's expiry: release it if it is still held and expired."""
    return release_expired_holds(utcnow(), reservation_id)
