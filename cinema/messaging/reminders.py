"""Reminder emails a few hours (``REMINDER_HOURS``) before a confirmed booking's showtime."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import OutboxEmail, Reservation, ReservationStatus, Showtime
from cinema.settings import settings


def queue_reminders(now: datetime) -> int:
    """Queue one reminder per confirmed booking whose showtime starts within the window.

    A booking made after the window opened gets none: its confirmation, minutes old, already
    says everything a reminder would. Each reminder has the dedupe key
    ``reminder:<reservation id>``, so two workers running this at once queue it only once.
    Commits; returns how many were queued.
    """
    window = timedelta(hours=settings().reminder_hours)
    already = sa.select(OutboxEmail.id).where(
        OutboxEmail.reservation_id == Reservation.id, OutboxEmail.kind == "reminder")
    candidates = db.session.scalars(
        sa.select(Reservation)
        .join(Reservation.showtime)
        .where(Reservation.status == ReservationStatus.CONFIRMED,
               Reservation.is_deleted.is_(False),
               Showtime.cancelled_at.is_(None),
               Showtime.starts_at > now, Showtime.starts_at <= now + window,
               ~sa.exists(already))
        .options(so.contains_eager(Reservation.showtime), so.selectinload(Reservation.seats))
    ).unique().all()
    queued = 0
    for reservation in candidates:
        booked_at = reservation.confirmed_at or reservation.created_at
        if booked_at > reservation.showtime.starts_at - window:
            continue
        try:
            with db.session.begin_nested():
                notifications.reminder(reservation)
        except sa.exc.IntegrityError:
            continue  # another worker queued this one a moment ago
        queued += 1
    db.session.commit()
    return queued
