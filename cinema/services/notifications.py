"""Emails caused by events, written to the outbox in the caller's transaction.

Each function adds an ``OutboxEmail`` row to the session and does not commit: the row commits
(or rolls back) together with the event that caused it. The worker delivers it later.
"""
from __future__ import annotations

from email.message import EmailMessage

from flask import current_app

from cinema.extensions import db
from cinema.models import OutboxEmail


def queue_email(kind: str, to: str, subject: str, text: str, html: str | None = None,
                reservation_id: int | None = None, dedupe_key: str | None = None,
                attachments: list[tuple[bytes, str, str, str]] = ()) -> OutboxEmail:
    """Render a MIME message and add it to the outbox (the caller commits).

    ``attachments`` are (data, maintype, subtype, filename).
    """
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for data, maintype, subtype, filename in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    row = OutboxEmail(kind=kind, to_address=to, subject=subject, message=message.as_bytes(),
                      reservation_id=reservation_id, dedupe_key=dedupe_key)
    db.session.add(row)
    return row


def _booking_summary(reservation) -> str:
    from cinema.templating import format_local, format_money

    showtime = reservation.showtime
    seats = ", ".join(line.seat.label for line in reservation.seats)
    return (f"Booking code: {reservation.code}\n"
            f"Film: {showtime.movie.title}\n"
            f"When: {format_local(showtime.starts_at)}\n"
            f"Where: {showtime.auditorium.name}\n"
            f"Seats: {seats}\n"
            f"Total: {format_money(reservation.total_price_cents)}\n")


def booking_confirmed(reservation) -> OutboxEmail:
    """The confirmation (ticket) email of a booking."""
    return queue_email("booking_confirmed", reservation.user.email,
                       f"Your tickets for {reservation.showtime.movie.title}",
                       "Thank you for your booking.\n\n" + _booking_summary(reservation),
                       reservation_id=reservation.id,
                       dedupe_key=f"booking_confirmed:{reservation.id}")


def booking_cancelled(reservation, refunded_cents: int) -> OutboxEmail:
    """Tells the patron the booking is cancelled and what is refunded."""
    from cinema.templating import format_money

    return queue_email("booking_cancelled", reservation.user.email,
                       f"Booking {reservation.code} cancelled",
                       "Your booking has been cancelled.\n\n" + _booking_summary(reservation)
                       + f"Refund: {format_money(refunded_cents)}\n",
                       reservation_id=reservation.id,
                       dedupe_key=f"booking_cancelled:{reservation.id}")
