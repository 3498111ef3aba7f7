"""Emails to patrons about schedule changes, queued in the caller's transaction (outbox)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from cinema.clock import format_local
from cinema.messaging import notifications
from cinema.models import Reservation, Showtime


def showtime_cancelled(reservation: Reservation, showtime: Showtime) -> None:
    """Tell the patron their booking went with the cancelled showtime."""
    when = format_local(showtime.starts_at, "%A %d %B %Y at %H:%M")
    note = f"\nA note from the cinema: {showtime.cancel_note}\n" if showtime.cancel_note else ""
    paid = ("Your payment will be refunded to the way you paid; you do not need to do "
            "anything.\n" if reservation.paid_at else "")
    text = (f"Hello {reservation.user.full_name},\n\n"
            f"We are sorry: the showing of {showtime.movie.title} on {when} in "
            f"{showtime.auditorium.name} has been cancelled, and your booking "
            f"{reservation.code} with it.\n{note}{paid}\n"
            f"{current_app.config['CINEMA_NAME']}\n")
    notifications.queue_email(
        kind="showtime_cancelled", to=reservation.user.email,
        subject=f"Cancelled: {showtime.movie.title}, {format_local(showtime.starts_at, '%a %d %b %H:%M')}",
        text=text, reservation_id=reservation.id,
        dedupe_key=f"showtime-cancelled:{reservation.id}")


def showtime_moved(reservation: Reservation, showtime: Showtime, old_start_iso: str) -> None:
    """Tell the patron their showtime moved (their seats are kept)."""
    old = format_local(datetime.fromisoformat(old_start_iso), "%A %d %B at %H:%M")
    new = format_local(showtime.starts_at, "%A %d %B %Y at %H:%M")
    text = (f"Hello {reservation.user.full_name},\n\n"
            f"The showing of {showtime.movie.title} you booked ({reservation.code}) has moved "
            f"from {old} to {new}, in {showtime.auditorium.name}. Your seats are kept.\n"
            "If the new time does not suit you, you can cancel your booking from "
            "My bookings.\n\n"
            f"{current_app.config['CINEMA_NAME']}\n")
    notifications.queue_email(
        kind="showtime_changed", to=reservation.user.email,
        subject=f"New time: {showtime.movie.title}, {format_local(showtime.starts_at, '%a %d %b %H:%M')}",
        text=text, reservation_id=reservation.id)
