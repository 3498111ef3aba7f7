"""Reminders a few hours before the showtime, queued once per booking by the periodic task."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from cinema.extensions import db
from cinema.messaging import reminders
from cinema.models import OutboxEmail, ReservationStatus
from tests.factories import gen_reservation, gen_showtime, gen_user, seats_of

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)


def booking(starts_in: timedelta, booked_before: timedelta = timedelta(days=2),
            status=ReservationStatus.CONFIRMED, cancelled=False):
    showtime = gen_showtime(starts_at=NOW + starts_in)
    if cancelled:
        showtime.cancelled_at = NOW - timedelta(hours=1)
    reservation = gen_reservation(gen_user(), showtime, seats_of(showtime.auditorium)[:1],
                                  status=status)
    reservation.confirmed_at = NOW - booked_before
    db.session.commit()
    return reservation


def reminder_rows():
    return db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == "reminder")).all()


def test_confirmed_bookings_starting_within_the_window_get_one_reminder(app_ctx):
    due = booking(timedelta(hours=2))
    booking(timedelta(hours=5))  # not yet
    booking(-timedelta(minutes=10))  # already started
    booking(timedelta(hours=2), status=ReservationStatus.CANCELLED)
    booking(timedelta(hours=1), status=ReservationStatus.HELD)

    assert reminders.queue_reminders(NOW) == 1
    [row] = reminder_rows()
    assert row.reservation_id == due.id and row.dedupe_key == f"reminder:{due.id}"
    assert due.showtime.movie.title in row.subject
    assert reminders.queue_reminders(NOW + timedelta(minutes=1)) == 0  # once per booking
    assert len(reminder_rows()) == 1


def test_no_reminder_for_a_booking_made_inside_the_window_or_a_cancelled_showtime(app_ctx):
    booking(timedelta(hours=2), booked_before=timedelta(minutes=30))
    booking(timedelta(hours=2), cancelled=True)
    assert reminders.queue_reminders(NOW) == 0


def test_the_window_comes_from_reminder_hours(app_ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_HOURS", 6)
    booking(timedelta(hours=5))
    assert reminders.queue_reminders(NOW) == 1
