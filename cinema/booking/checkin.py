"""Admitting patrons at the door by booking code or QR code.

Staff type the booking code or scan the QR code (which carries the code signed with the app's
secret, see ``tickets``). ``lookup`` finds the booking and says whether it may be admitted;
``admit`` marks it COMPLETED, once, and writes the audit log. Every refusal is a domain error
with its own ``error_code`` and a message staff can read out to the patron.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema import audit
from cinema.booking import tickets
from cinema.clock import format_local, to_local
from cinema.exceptions import (
    AlreadyAdmitted,
    BookingCancelled,
    BookingHeld,
    CodeForged,
    CodeUnknown,
    DomainError,
    Unpaid,
    WrongDay,
)
from cinema.extensions import db
from cinema.models import PaymentMethod, Reservation, ReservationStatus, ReservedSeat, Showtime, User
from cinema.models.booking import BOOKING_CODE_ALPHABET
from cinema.money import format_money


@dataclass
class Lookup:
    """A booking found at the door, and why it may not be admitted (None: admit)."""

    reservation: Reservation
    refusal: DomainError | None

    @property
    def admissible(self) -> bool:
        return self.refusal is None


def normalise_code(text: str) -> str:
    """A typed code, upper case, without the spaces and dashes people add when reading it."""
    return "".join(c for c in (text or "").upper() if c.isalnum())


def _booking_code(code_or_token: str) -> str:
    """The booking code in what staff typed or scanned; raises CodeForged or CodeUnknown."""
    text = (code_or_token or "").strip()
    if "." in text:  # a scanned QR code: CODE.signature
        try:
            return tickets.verify_signed(text)
        except tickets.InvalidTicketSignature:
            raise CodeForged() from None
    code = normalise_code(text)
    if not code or any(c not in BOOKING_CODE_ALPHABET for c in code):
        raise CodeUnknown()
    return code


def _find(code: str) -> Reservation:
    stmt = (
        sa.select(Reservation)
        .where(Reservation.code == code, Reservation.is_deleted.is_(False))
        .options(so.selectinload(Reservation.seats).joinedload(ReservedSeat.seat),
                 so.joinedload(Reservation.showtime).joinedload(Showtime.movie),
                 so.joinedload(Reservation.user))
    )
    reservation = db.session.scalar(stmt)
    if reservation is None:
        raise CodeUnknown()
    return reservation


def refusal_for(reservation: Reservation, now: datetime) -> DomainError | None:
    """Why this booking may not be admitted now, or None."""
    showtime = reservation.showtime
    if reservation.status is ReservationStatus.CANCELLED or showtime.is_cancelled:
        reason = reservation.cancel_reason.value.replace("_", " ").lower() \
            if reservation.cancel_reason else None
        when = format_local(reservation.cancelled_at) if reservation.cancelled_at else None
        detail = "This booking was cancelled"
        detail += f" ({reason})" if reason else ""
        detail += f" on {when}" if when else ""
        return BookingCancelled(detail + ". Do not admit.")
    if reservation.status is ReservationStatus.HELD:
        return BookingHeld("This booking was never paid for: the seats were only held. "
                           "Do not admit; the patron can book at the box office.")
    if reservation.status is ReservationStatus.COMPLETED:
        by = db.session.get(User, reservation.admitted_by) if reservation.admitted_by else None
        detail = "Already admitted"
        if reservation.admitted_at:
            detail += f" at {format_local(reservation.admitted_at, '%H:%M on %a %d %b')}"
        if by is not None:
            detail += f" by {by.full_name}"
        return AlreadyAdmitted(detail + ". A ticket can only be used once.")
    if to_local(showtime.starts_at).date() != to_local(now).date():
        return WrongDay(f"This booking is for {format_local(showtime.starts_at)}, not today.")
    if reservation.payment_method is PaymentMethod.BOX_OFFICE and reservation.paid_at is None:
        return Unpaid(f"Unpaid: {format_money(reservation.total_price_cents)} to pay at the "
                      "box office. Take the payment, then admit.")
    return None


def lookup(code_or_token: str, now: datetime) -> Lookup:
    """The booking for a typed code or a scanned QR code, and whether it may be admitted.

    Raises CodeForged (a QR code whose signature does not match) or CodeUnknown.
    """
    reservation = _find(_booking_code(code_or_token))
    return Lookup(reservation, refusal_for(reservation, now))


def admit(code_or_token: str, staff_id: int, now: datetime,
          take_payment: bool = False) -> Reservation:
    """Admit the booking (status COMPLETED), audited; raises the refusal if it may not be.

    An unpaid "pay at the box office" booking is refused with Unpaid unless ``take_payment``:
    then the payment taken at the counter is recorded (``paid_at``, audited) in the same
    transaction as the admission. The status change is one conditional UPDATE, so two staff
    scanning the same ticket at once admit it once (and take its payment once): the second
    gets AlreadyAdmitted.
    """
    found = lookup(code_or_token, now)
    paying = take_payment and isinstance(found.refusal, Unpaid)
    if found.refusal is not None and not paying:
        raise found.refusal
    reservation = found.reservation
    values = {"status": ReservationStatus.COMPLETED, "admitted_at": now, "admitted_by": staff_id}
    condition = Reservation.status == ReservationStatus.CONFIRMED
    if paying:
        values.update(paid_at=now, sold_by=staff_id)
        condition = sa.and_(condition, Reservation.paid_at.is_(None))
    changed = db.session.execute(
        sa.update(Reservation)
        .where(Reservation.id == reservation.id, condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.expire_all()
        refusal = refusal_for(_find(reservation.code), now)
        if refusal is None and paying:
            # Paid at the counter meanwhile (mark_paid): admit it, taking nothing again.
            return admit(code_or_token, staff_id, now)
        raise refusal or AlreadyAdmitted()
    if paying:
        audit.record(staff_id, "boxoffice.paid", "reservation", reservation.id,
                     f"took payment for {reservation.code} at the door",
                     before={"paid": False},
                     after={"paid": True, "total_cents": reservation.total_price_cents})
    seats = ", ".join(line.seat.label for line in reservation.seats)
    audit.record(staff_id, "booking.admit", "reservation", reservation.id,
                 f"admitted {reservation.code}: {reservation.showtime.movie.title}, "
                 f"seats {seats}",
                 before={"status": ReservationStatus.CONFIRMED.value},
                 after={"status": ReservationStatus.COMPLETED.value,
                        "admitted_at": now.isoformat()})
    db.session.commit()
    db.session.refresh(reservation)
    return reservation


def lookup_or_none(code_or_token: str, now: datetime) -> Lookup | None:
    """Like ``lookup``, but None for an unknown or forged code (to show beside a refusal)."""
    try:
        return lookup(code_or_token, now)
    except (CodeUnknown, CodeForged):
        return None
