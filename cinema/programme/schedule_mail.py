"""The email about a moved showtime, queued in the caller's transaction (outbox).

A cancelled showtime's email is ``notifications.showtime_cancelled`` (templates/email/).
"""
from __future__ import annotations

from datetime import datetime

from cinema.clock import format_local
from cinema.messaging import notifications
from cinema.models import Reservation, Showtime
from cinema.settings import settings


def showtime_moved(reservation: Reservation, showtime: Showtime, old_start_iso: str) -> None:
    """Tell the patron their showtime moved (their seats are kept)."""
    old = format_local(datetime.fromisoformat(old_start_iso), "%A %d %B at %H:%M")
    new = format_local(showtime.starts_at, "%A %d %B %Y at %H:%M")
    text = (f"Hello {reservation.user.full_name},\n\n"
            f"The showing of {showtime.movie.title} you booked ({reservation.code}) has moved "
            f"from {old} to {new}, in {showtime.auditorium.name}. Your seats are kept.\n"
            "If the new time does not suit you, you can cancel your booking from "
            "My bookings.\n\n"
            f"{settings().cinema_name}\n")
    notifications.queue_email(
        kind="showtime_changed", to=reservation.user.email,
        subject=f"New time: {showtime.movie.title}, {format_local(showtime.starts_at, '%a %d %b %H:%M')}",
        text=text, reservation_id=reservation.id)
