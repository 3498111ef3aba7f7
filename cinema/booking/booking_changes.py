"""Changing a confirmed booking: cancelling some of its seats, with a refund of their price.

The cancelled seats' lines move to a new CANCELLED booking that records them (``split_from_id``
names the booking they left), so the booking that goes on has only its live seats: its ticket,
emails, check-in, reports and API read it as before, and its total is the sum of its lines.
The refund of the cancelled lines belongs to the booking that was paid, keyed by the split
(``refund-seats:<booking>:<split booking>``): after it, the money invariant holds for both (the
paid booking has its charge minus the refund = its new total; the split booking took no money).

The refund row is written PENDING in the same transaction as the change, and the provider is
called after the commit; a process killed in between leaves a PENDING refund that the periodic
sweep (``refunds.retry_pending_refunds``) finishes. Two changes of one booking at once are
serialised by its row lock: the second finds its seats gone and is refused.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema import audit
from cinema.booking import freed_seats, refunds, seat_pairs, seat_stamps
from cinema.exceptions import (
    CancellationClosed,
    InvalidState,
    NotFound,
    SeatPairSplit,
    ValidationFailed,
)
from cinema.extensions import db
from cinema.ids import parse_id
from cinema.messaging import notifications
from cinema.models import (
    CancelReason,
    Payment,
    PaymentMethod,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Seat,
)
from cinema.settings import settings


def cancel_seats(reservation_id: int, seat_ids, actor_id: int, now: datetime,
                 by_admin: bool = False) -> tuple[Reservation, int]:
    """Cancel ``seat_ids`` of a confirmed booking and refund their price; commits.

    Cancelling every seat is cancelling the booking (``booking.cancel_booking``). Returns the
    booking and the amount refunded (0 unless paid by card). Raises what ``plan_cancel_seats``
    raises.
    """
    reservation, leaving, amount = plan_cancel_seats(reservation_id, seat_ids, actor_id, now,
                                                     by_admin, lock=True)
    if len(leaving) == len(reservation.seats):
        from cinema.booking import booking

        db.session.rollback()
        cancelled = booking.cancel_booking(reservation_id, actor_id, now, by_admin=by_admin)
        by_card = cancelled.paid_at is not None and not cancelled.paid_at_counter
        return cancelled, cancelled.total_price_cents if by_card else 0
    labels = [line.seat.label for line in leaving]
    before = {"seats": [line.seat.label for line in reservation.seats],
              "total_price_cents": reservation.total_price_cents}
    split = _split_off(reservation, leaving, amount, actor_id, now, by_admin)
    refund_rows = _open_refund(reservation, split, amount, actor_id)
    reservation.total_price_cents -= amount
    db.session.flush()
    db.session.expire(reservation, ["seats"])
    audit.record(actor_id, "reservation.cancel_seats", "reservation", reservation.id,
                 f"cancelled seats {', '.join(labels)} of booking {reservation.code}",
                 before=before,
                 after={"seats": [line.seat.label for line in reservation.seats],
                        "total_price_cents": reservation.total_price_cents})
    refunded = sum(row.amount_cents for row in refund_rows)
    notifications.seats_cancelled(reservation, labels, refunded)
    db.session.commit()
    seat_stamps.bump(reservation.showtime_id)
    for refund in refund_rows:
        refunds.refund_payment(refund, now)
    freed_seats.seats_freed([reservation.showtime_id], now)
    return reservation, refunded


def plan_cancel_seats(reservation_id: int, seat_ids, actor_id: int, now: datetime,
                      by_admin: bool = False, lock: bool = False
                      ) -> tuple[Reservation, list[ReservedSeat], int]:
    """What cancelling ``seat_ids`` would do, changing nothing: (booking, the lines that would
    go, the amount they cost). ``lock`` takes the booking's row lock (for the change itself).

    Raises NotFound, InvalidState (not confirmed, or those seats are no longer in it),
    CancellationClosed (past the cutoff, unless ``by_admin``), ValidationFailed (no seats
    chosen) or SeatPairSplit (it would leave half a couple seat, or a companion seat without
    its wheelchair space).
    """
    stmt = sa.select(Reservation).where(Reservation.id == reservation_id)
    reservation = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if reservation is None or (not by_admin and reservation.user_id != actor_id):
        raise NotFound("We could not find that booking.")
    if reservation.status is not ReservationStatus.CONFIRMED:
        raise InvalidState("Only a confirmed booking can have seats cancelled.")
    _check_cutoff(reservation, now, by_admin)
    chosen = _chosen_ids(seat_ids)
    lines = {line.seat_id: line for line in reservation.seats}
    if chosen - lines.keys():
        raise InvalidState("Some of those seats are no longer in this booking.",
                           field_errors={"seat_ids": ["Not a seat of this booking."]})
    keeping = [line.seat for line in reservation.seats if line.seat_id not in chosen]
    try:
        seat_pairs.check(keeping, lambda seat_id: db.session.get(Seat, seat_id).label)
    except SeatPairSplit as split:
        kept, gone = split.extra["seats"]
        message = f"{kept} and {gone} are sold together: cancel both, or neither."
        raise SeatPairSplit(message, field_errors={"seat_ids": [message]},
                            seats=[kept, gone]) from split
    leaving = [line for line in reservation.seats if line.seat_id in chosen]
    return reservation, leaving, sum(line.price_cents for line in leaving)


def _check_cutoff(reservation: Reservation, now: datetime, by_admin: bool) -> None:
    if by_admin:
        return
    cutoff = settings().cancellation_cutoff_minutes
    if now > reservation.showtime.starts_at - timedelta(minutes=cutoff):
        raise CancellationClosed(
            f"Seats can be cancelled online until {cutoff} minutes before the start. "
            "Please speak to the box office.")


def _chosen_ids(seat_ids) -> set[int]:
    values = seat_ids if isinstance(seat_ids, (list, tuple, set)) else [seat_ids]
    ids = {parse_id(value) for value in values}
    if not values or None in ids:
        raise ValidationFailed("Choose the seats to cancel.",
                               field_errors={"seat_ids": ["Choose at least one seat."]})
    return ids


def _split_off(reservation: Reservation, leaving: list[ReservedSeat], amount: int,
               actor_id: int, now: datetime, by_admin: bool) -> Reservation:
    """A CANCELLED booking holding the cancelled lines (inactive: the seats are free now)."""
    split = Reservation(user_id=reservation.user_id, showtime_id=reservation.showtime_id,
                        status=ReservationStatus.CANCELLED, created_by=actor_id,
                        cancel_reason=CancelReason.ADMIN if by_admin else CancelReason.PATRON,
                        cancelled_at=now, confirmed_at=reservation.confirmed_at,
                        paid_at=reservation.paid_at,
                        total_price_cents=amount, payment_method=reservation.payment_method,
                        split_from_id=reservation.id)
    db.session.add(split)
    db.session.flush()
    db.session.execute(
        sa.update(ReservedSeat).where(ReservedSeat.id.in_([line.id for line in leaving]))
        .values(reservation_id=split.id, is_active=False, updated_at=now)
        .execution_options(synchronize_session=False))
    return split


def _open_refund(reservation: Reservation, split: Reservation, amount: int,
                 actor_id: int) -> list[Payment]:
    """The PENDING refund rows of the cancelled lines, for a booking paid by card (cash paid at
    the box office is given back at the counter)."""
    if reservation.payment_method is not PaymentMethod.CARD or reservation.paid_at is None \
            or amount == 0:
        return []
    return refunds.open_refunds(reservation, amount,
                                f"refund-seats:{reservation.id}:{split.id}", actor_id)
