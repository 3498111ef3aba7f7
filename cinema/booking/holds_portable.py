"""The hold in ORM statements, for SQLite (development): the same steps as the PostgreSQL path
of ``holds`` (whose module docstring says what they are and why they cannot double-book), one
statement each, since SQLite has no data-modifying CTE."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema.booking import seat_gaps, seatmap
from cinema.booking.hold_rules import (
    bookable_showtime,
    checked_seats,
    claim_error,
    race_lost_as_taken,
)
from cinema.exceptions import SingleSeatGap
from cinema.extensions import db
from cinema.models import CancelReason, Reservation, ReservationStatus, ReservedSeat, Seat, Showtime
from cinema.pricing import engine, price_book


def hold_portable(user_id, showtime_id, ids, now, replace_previous, gap_rule, tickets,
                  hold_seconds) -> Reservation:
    """``holds.hold_seats`` on SQLite, after its own checks of the request; commits, or raises
    (after a rollback) as ``hold_seats`` says."""
    showtime = bookable_showtime(showtime_id, now)
    seats = _load_seats(showtime, ids)
    rules, types = price_book.PricingBook.current(fresh=True)
    chosen = price_book.choose_tickets(ids, tickets, types, showtime.movie.age_rating)
    _retire_holds(showtime_id, ids, user_id if replace_previous else None, now)
    error = claim_error(showtime_id, ids, now)
    if error is None and gap_rule:
        # The patron's previous hold is being replaced: their held seats count as free.
        seat_map = seatmap.build(showtime, now, user_id if replace_previous else None)
        try:
            seat_gaps.check(seat_map, set(ids))
        except SingleSeatGap as gap:
            error = gap
    if error is not None:
        db.session.rollback()
        raise error
    # No concurrency to order on SQLite: the occupancy is counted here, after the retirements.
    occupancy = (price_book.occupancy(showtime, now)
                 if any(rule.uses_demand for rule in rules) else engine.Occupancy())
    reservation = Reservation(user_id=user_id, showtime_id=showtime_id, created_by=user_id,
                              status=ReservationStatus.HELD,
                              hold_expires_at=now + timedelta(seconds=hold_seconds))
    prices = price_book.price_lines(engine.ShowtimeFacts.of(showtime),
                         [(seat.id, seat.seat_type) for seat in seats], chosen, rules,
                         occupancy, now)
    for seat in seats:  # seat-id order: concurrent holds wait on each other in one order
        price = prices[seat.id]
        line = ReservedSeat(showtime_id=showtime_id, seat_id=seat.id, created_by=user_id,
                            **price.as_columns())
        line.items = price_book.line_item_rows(price)
        reservation.seats.append(line)
    reservation.total_price_cents = sum(line.price_cents for line in reservation.seats)
    db.session.add(reservation)
    with race_lost_as_taken(showtime_id, ids, now):
        db.session.commit()
    return reservation


def _load_seats(showtime: Showtime, ids: list[int]) -> list[Seat]:
    seats = db.session.scalars(
        sa.select(Seat).where(Seat.id.in_(ids), Seat.auditorium_id == showtime.auditorium_id,
                              Seat.is_deleted.is_(False)).order_by(Seat.id)).all()
    return checked_seats(seats, ids)


def _retire_holds(showtime_id: int, ids: list[int], user_id: int | None,
                  now: datetime) -> None:
    """Cancel expired holds on these seats and the patron's own previous hold, if ``user_id``
    is given (one statement per table, so the rows are locked in one pass)."""
    expired_on_seats = (
        sa.select(ReservedSeat.reservation_id)
        .join(Reservation, Reservation.id == ReservedSeat.reservation_id)
        .where(ReservedSeat.showtime_id == showtime_id, ReservedSeat.seat_id.in_(ids),
               ReservedSeat.is_active, Reservation.status == ReservationStatus.HELD,
               Reservation.hold_expires_at <= now)
    )
    retirements = [(Reservation.id.in_(expired_on_seats), CancelReason.EXPIRED)]
    if user_id is not None:
        # An exchange's hold (``exchanges``) is not the patron's hold to replace.
        retirements.append((sa.and_(Reservation.showtime_id == showtime_id,
                                    Reservation.user_id == user_id,
                                    Reservation.exchange_for_id.is_(None)),
                            CancelReason.REPLACED))
    for condition, reason in retirements:
        retired = db.session.scalars(
            sa.update(Reservation)
            .where(condition, Reservation.status == ReservationStatus.HELD)
            .values(status=ReservationStatus.CANCELLED, cancel_reason=reason,
                    cancelled_at=now, updated_at=now)
            .returning(Reservation.id)
            .execution_options(synchronize_session=False)
        ).all()
        if retired:
            db.session.execute(
                sa.update(ReservedSeat).where(ReservedSeat.reservation_id.in_(retired))
                .values(is_active=False, updated_at=now)
                .execution_options(synchronize_session=False))
