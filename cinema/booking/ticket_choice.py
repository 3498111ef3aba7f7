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


def ticket_fields(form) -> dict:
    """The ``ticket_<seat id>`` fields of a submitted form as {seat id text: value}."""
    return {name[len("ticket_"):]: value for name, value in form.items()
            if name.startswith("ticket_")}
