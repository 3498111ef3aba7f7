"""The patron's ticket type per seat of a live hold (Adult, Child...): re-prices the hold.

Choosing types re-prices every seat of the hold with the rules and the occupancy at ``now``
(the occupancy counted without the hold's own seats, as at the hold) and freezes the new line
items; the promo code, if any, is spread again over the new prices. A charge already under way
for the old total cannot confirm the new one (``booking.finalise`` refuses a changed total).
"""
from __future__ import annotations

from datetime import datetime

from cinema.booking import promotions
from cinema.exceptions import DomainError
from cinema.extensions import db
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
    rules = price_book.enabled_rules()
    occupancy = engine.Occupancy()
    if any(rule.uses_demand for rule in rules):
        seen = price_book.occupancy(showtime, now)
        occupancy = engine.Occupancy(max(seen.claimed - len(reservation.seats), 0),
                                      seen.capacity)
    facts, settings = engine.ShowtimeFacts.of(showtime), price_book.settings()
    for line in reservation.seats:
        price = engine.price_seat(facts, line.seat.seat_type, settings, rules,
                                   chosen[line.seat_id], occupancy, now)
        for column, value in price.as_columns().items():
            setattr(line, column, value)
        line.items = price_book.line_item_rows(price)
    promotions.set_discounts(reservation, promotions.applied_code(reservation))
    db.session.commit()
    return reservation


def ticket_fields(form) -> dict:
    """The ``ticket_<seat id>`` fields of a submitted form as {seat id text: value}."""
    return {name[len("ticket_"):]: value for name, value in form.items()
            if name.startswith("ticket_")}
