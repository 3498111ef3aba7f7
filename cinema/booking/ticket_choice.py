"""The patron's ticket type per seat of a live hold (Adult, Child...): re-prices the hold.

Prices stay frozen at the hold: choosing types re-prices every seat from its frozen line items
(base, seat type, each rule's amount and limits as they were at the hold, whatever the rules
are now: ``engine.reprice_ticket``) with the new type's effect, and freezes the new items; the
promo code, if any, is spread again over the new prices. A charge already under way
for the old total cannot confirm the new one (``booking.finalise`` refuses a changed total).
"""
from __future__ import annotations

from datetime import datetime

from cinema.booking import promotions
from cinema.exceptions import DomainError
from cinema.extensions import db
from cinema.ids import parse_id
from cinema.models import Reservation
from cinema.pricing import engine, price_book


def choose_ticket_types(reservation_id: int, user_id: int, tickets: dict,
                        now: datetime) -> Reservation:
    """Set the ticket type of each seat of the patron's live hold (``tickets``: seat id ->
    ticket type id; missing: the default type) and re-price it; commits.

    Raises NotFound, HoldExpired, InvalidState (already confirmed), ValidationFailed (422: an
    unknown type) or TicketTypeNotAllowed (422: a Child ticket for a film rated too high).
    """
    reservation = promotions.lock_hold(reservation_id, user_id, now,
                                       changing="ticket types are chosen")
    showtime = reservation.showtime
    try:
        chosen = price_book.choose_tickets([line.seat_id for line in reservation.seats], tickets,
                                           price_book.ticket_types(), showtime.movie.age_rating)
    except DomainError:
        db.session.rollback()  # releases the hold's lock
        raise
    for line in reservation.seats:
        price = engine.reprice_ticket(price_book.frozen_items(line.items), chosen[line.seat_id])
        for column, value in price.as_columns().items():
            setattr(line, column, value)
        line.items = price_book.line_item_rows(price)
    promotions.set_discounts(reservation, promotions.applied_code(reservation))
    db.session.commit()
    return reservation


def changes_tickets(reservation: Reservation, tickets: dict) -> bool:
    """Whether ``tickets`` (``ticket_fields`` of a submitted form) asks for other ticket types
    than the hold's seats have: the pay form, sent with a menu changed but not recalculated
    (JavaScript off), must not charge the old price for them."""
    if not tickets:
        return False
    types = price_book.ticket_types()
    default = price_book.default_ticket(types).id
    held = {line.seat_id: line.ticket_type_id or default for line in reservation.seats}
    for seat_id, type_id in held.items():
        raw = tickets.get(str(seat_id))
        if raw not in (None, "") and parse_id(raw) != type_id:
            return True
    return False


def ticket_fields(form) -> dict:
    """The ``ticket_<seat id>`` fields of a submitted form as {seat id text: value}."""
    return {name[len("ticket_"):]: value for name, value in form.items()
            if name.startswith("ticket_")}
