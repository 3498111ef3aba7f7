"""Cancelling a showtime: every booking of it cancelled and its patron told, in one
transaction; refunds after the commit, through the hooks create_app wires in.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app

from cinema import audit
from cinema.booking import exchange_holds, freed_seats, seat_stamps
from cinema.errors import InvalidState, NotFound
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import CancelReason, Reservation, ReservationStatus, Showtime
from cinema.programme import scheduling
from cinema.wording import counted

# Called once per reservation the cinema cancelled (a cancelled showtime), as
# ``hook(reservation, now)``, AFTER the cancellation has committed, so no lock is held while a
# payment provider is called. Each hook owns its own transaction and must be idempotent (key
# its work by reservation id). Nothing registers itself on import: create_app wires the
# booking package's refund in with ``on_reservation_cancelled_by_cinema``.
CANCEL_HOOKS = "cinema.on_reservation_cancelled_by_cinema"
CancelHook = Callable[[Reservation, datetime], None]


def on_reservation_cancelled_by_cinema(app: Flask, hook: CancelHook) -> None:
    """Make ``app`` run ``hook`` for each booking a cancelled showtime cancels."""
    app.extensions.setdefault(CANCEL_HOOKS, []).append(hook)


def _cancel_hooks() -> list[CancelHook]:
    return current_app.extensions.get(CANCEL_HOOKS, [])


def cancel_showtime(showtime_id: int, actor_id: int, now: datetime,
                    note: str = "") -> list[Reservation]:
    """Cancel a showtime and every booking of it, in one transaction.

    Confirmed bookings and live holds become CANCELLED with reason SHOWTIME_CANCELLED, their
    seats are released, and each patron gets an email (outbox, same transaction); holds that
    had already expired are tidied up with reason EXPIRED and no email. After the commit, the
    hooks wired in by create_app (refunds) run for each cancelled booking.
    Returns those bookings. Raises NotFound or InvalidState (already cancelled, already over).
    """
    showtime = db.session.scalar(
        sa.select(Showtime).where(Showtime.id == showtime_id).with_for_update(of=Showtime))
    if showtime is None or showtime.is_deleted:
        raise NotFound("No such showtime.")
    if showtime.is_cancelled:
        raise InvalidState("This showtime is already cancelled.")
    if showtime.ends_at <= now:
        raise InvalidState("This showtime is over; it can no longer be cancelled.")
    before = audit.snapshot(showtime, scheduling.SHOWTIME_FIELDS)
    showtime.cancelled_at = now
    showtime.cancel_note = (note or "").strip()[:300] or None
    reservations = db.session.scalars(
        sa.select(Reservation)
        .where(Reservation.showtime_id == showtime.id,
               Reservation.status.in_([ReservationStatus.HELD, ReservationStatus.CONFIRMED]))
        .order_by(Reservation.id).with_for_update()).all()
    affected = []
    for reservation in reservations:
        live = reservation.status is ReservationStatus.CONFIRMED or reservation.is_live_hold(now)
        reservation.status = ReservationStatus.CANCELLED
        reservation.cancel_reason = (CancelReason.SHOWTIME_CANCELLED if live
                                     else CancelReason.EXPIRED)
        reservation.cancelled_at = now
        for seat in reservation.seats:
            seat.is_active = False
        if live:
            affected.append(reservation)
            notifications.showtime_cancelled(reservation)
    audit.record(actor_id, "showtime.cancel", "showtime", showtime.id,
                 f"cancelled showtime #{showtime.id} ({showtime.movie.title}); "
                 f"{counted(len(affected), 'booking')} cancelled",
                 before=before,
                 after={**audit.snapshot(showtime, scheduling.SHOWTIME_FIELDS),
                        "cancelled_reservation_ids": [r.id for r in affected]})
    # A booking's change of showtime under way ends with it: its new seats are free at once.
    moved_from = exchange_holds.release_exchange_holds(
        [r.id for r in affected if r.confirmed_at is not None], now,
        CancelReason.SHOWTIME_CANCELLED)
    db.session.commit()
    for stamped in dict.fromkeys([showtime.id, *moved_from]):
        seat_stamps.bump(stamped)
    if moved_from:
        freed_seats.seats_freed(moved_from, now)
    for reservation in affected:
        for hook in _cancel_hooks():
            hook(reservation, now)
    return affected
