"""The expiry of holds: tidying up HELD reservations past ``hold_expires_at``.

Availability never waits for this (an expired hold is free by the clock, see
``Reservation.claims_seats``): the jobs scheduled at the holds' expiry and the periodic sweep
only mark the reservation CANCELLED (reason expired), free its seat rows and stamp the seat map
(so that a patron watching it sees the seats come free).

One job releases the expired holds of one showtime, scheduled at the end of a window of
``RELEASE_WINDOW_SECONDS``: every hold of that showtime expiring in the window is released by
the same job, at most that many seconds after its expiry (plus the scheduler's tick). When many
patrons hold seats of one showtime at once (a film's first night), that is one job per window
instead of one per hold; each process remembers the windows it has scheduled
(``ScheduledReleases``), and the job id names the showtime and the window, so that processes
scheduling the same window write the same job.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from cinema.booking import freed_seats, seat_stamps
from cinema.extensions import db
from cinema.models import CancelReason, Reservation, ReservationStatus, ReservedSeat, utcnow
from cinema.settings import settings

RELEASE_WINDOW_SECONDS = 5


def release_expired_holds(now: datetime, reservation_id: int | None = None,
                          showtime_id: int | None = None) -> int:
    """Mark HELD reservations past their expiry CANCELLED (reason expired) and free their seat
    rows (only ``reservation_id``, or only ``showtime_id``'s, if given); set-based and
    idempotent. Only tidies up: availability never waited for this."""
    condition = sa.and_(Reservation.status == ReservationStatus.HELD,
                        Reservation.hold_expires_at <= now)
    if reservation_id is not None:
        condition = sa.and_(condition, Reservation.id == reservation_id)
    if showtime_id is not None:
        condition = sa.and_(condition, Reservation.showtime_id == showtime_id)
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
    """RQ job: release one hold if it is still held and expired (what was scheduled for each
    hold before ``release_showtime_holds``; kept for the jobs already queued)."""
    return release_expired_holds(utcnow(), reservation_id)


def release_showtime_holds(showtime_id: int) -> int:
    """RQ job scheduled at the end of a release window (module docstring): release the
    showtime's expired holds."""
    return release_expired_holds(utcnow(), showtime_id=showtime_id)


def release_window(expires_at: datetime) -> datetime:
    """When the job releasing a hold that expires at ``expires_at`` runs: the end of its
    window, one second after the last expiry in it."""
    seconds = expires_at.timestamp()
    end = math.ceil(seconds / RELEASE_WINDOW_SECONDS) * RELEASE_WINDOW_SECONDS
    return datetime.fromtimestamp(end, timezone.utc) + timedelta(seconds=1)


def release_job_id(showtime_id: int, runs_at: datetime) -> str:
    """One job per showtime and window; RQ keeps it under ``rq:job:<id>``, so the id carries
    the installation's REDIS_PREFIX (two installations on one Redis have showtimes 1 too)."""
    return f"{settings().redis_prefix}-release-holds-{showtime_id}-{int(runs_at.timestamp())}"


class ScheduledReleases:
    """The release jobs this process has scheduled (queue, job id), so that the next hold of a
    showtime in the same window schedules nothing. Remembered only once Redis took the job;
    forgotten all at once past ``KEPT`` (a forgotten window is scheduled again: the same job)."""

    KEPT = 4096
    _ids: set = set()

    @classmethod
    def knows(cls, key: tuple) -> bool:
        return key in cls._ids

    @classmethod
    def forget(cls) -> None:
        cls._ids = set()

    @classmethod
    def remember(cls, key: tuple) -> None:
        if len(cls._ids) >= cls.KEPT:
            cls._ids = set()
        cls._ids.add(key)
