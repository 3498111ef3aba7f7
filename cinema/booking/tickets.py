"""Tickets: the signed booking code in the QR image, the QR image itself, the calendar entry,
and the one rule for who may look at a booking.

The QR code carries ``sign_code(code)``: the booking code plus an HMAC made with the app's
``SECRET_KEY``, so a code altered or made up outside the cinema fails ``verify_signed`` at the
door. A typed booking code is accepted at the door as it is: it is long and random enough that
guessing one is hopeless, and staff see the patron in front of them.
"""
from __future__ import annotations

import io
from datetime import datetime

import qrcode
from itsdangerous import BadSignature, Signer

from cinema.exceptions import NotFound
from cinema.models import Reservation, ReservationStatus
from cinema.settings import settings

TICKET_SALT = "ticket"
TICKET_STATUSES = (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED)


class InvalidTicketSignature(Exception):
    """The signed code was altered, or was not signed with this installation's secret."""


def _signer() -> Signer:
    return Signer(settings().secret_key, salt=TICKET_SALT)


def sign_code(code: str) -> str:
    """``CODE.signature``: what the QR code carries."""
    return _signer().sign(code).decode()


def verify_signed(token: str) -> str:
    """The booking code inside ``token``; raises InvalidTicketSignature if it was tampered."""
    try:
        return _signer().unsign(token.strip()).decode()
    except (BadSignature, UnicodeError) as error:
        raise InvalidTicketSignature(str(error)) from error


def qr_png(data: str) -> bytes:
    """A PNG of a QR code for ``data`` (medium error correction: survives a scuffed screen)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def ticket_qr_png(reservation: Reservation) -> bytes:
    return qr_png(sign_code(reservation.code))


def ticket_reservation(reservation_id: int, viewer_id: int, viewer_is_staff: bool
                       ) -> Reservation:
    """A booking the viewer may see (``bookings_query.visible_to``) that has a ticket:
    confirmed or admitted; NotFound otherwise."""
    from cinema.booking.bookings_query import visible_to

    reservation = visible_to(reservation_id, viewer_id, viewer_is_staff)
    if reservation.status not in TICKET_STATUSES:
        raise NotFound("This booking has no ticket.")
    return reservation


# --- calendar entry (RFC 5545) ---------------------------------------------------------------

def _ics_escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _ics_fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _ics_time(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def calendar_event(reservation: Reservation, now: datetime, ticket_url: str | None = None
                   ) -> bytes:
    """An ``.ics`` file with one event: the showtime, in UTC, with the seats and code."""
    showtime = reservation.showtime
    config = settings()
    seats = ", ".join(line.seat.label for line in reservation.seats)
    description = f"Booking {reservation.code}. Seats: {seats}."
    if ticket_url:
        description += f" Ticket: {ticket_url}"
    domain = (config.mail_from.rpartition("@")[2].strip(" >") or "cinema.invalid")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{_ics_escape(config.cinema_name)}//Tickets//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:booking-{reservation.code}@{domain}",
        f"DTSTAMP:{_ics_time(now)}",
        f"DTSTART:{_ics_time(showtime.starts_at)}",
        f"DTEND:{_ics_time(showtime.ends_at)}",
        f"SUMMARY:{_ics_escape(showtime.movie.title)}",
        f"LOCATION:{_ics_escape(config.cinema_name + ', ' + showtime.auditorium.name)}",
        f"DESCRIPTION:{_ics_escape(description)}",
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(_ics_fold(line) for line in lines) + "\r\n").encode()
