"""The pricing engine's inputs read from the database: enabled rules, ticket types, occupancy.

``quote`` prices seats of a showtime exactly as a hold would at ``now``; the hold calls the same
functions inside its own transaction, so the occupancy a demand rule sees is the one the hold's
transaction sees (committed claims, before the hold's own seats).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from cinema.exceptions import TicketTypeNotAllowed, ValidationFailed
from cinema.extensions import db
from cinema.ids import parse_id
from cinema.models import (
    PricingRule,
    Reservation,
    ReservedSeat,
    Seat,
    SeatLineItem,
    SeatType,
    Showtime,
    TicketType,
)
from cinema.pricing import engine
from cinema.settings import settings as cinema_settings


def settings() -> engine.PriceSettings:
    return engine.PriceSettings.from_settings(cinema_settings())


def enabled_rules() -> list[engine.Rule]:
    rows = db.session.scalars(sa.select(PricingRule).where(
        PricingRule.enabled, PricingRule.is_deleted.is_(False))).all()
    return [engine.Rule.of(row) for row in rows]


def ticket_types(include_disabled: bool = False) -> list[TicketType]:
    query = sa.select(TicketType).where(TicketType.is_deleted.is_(False))
    if not include_disabled:
        query = query.where(TicketType.enabled)
    return list(db.session.scalars(query.order_by(TicketType.sort_order, TicketType.id)))


def default_ticket(types: list[TicketType]) -> engine.Ticket:
    """The first enabled type (Adult, as seeded); with no types at all, no effect."""
    return engine.Ticket.of(types[0]) if types else engine.ADULT


def claimed_seats(showtime_ids, now: datetime) -> dict[int, int]:
    """Seats held or sold at ``now`` per showtime: active seat rows whose reservation claims its
    seats (``Reservation.claims_seats``, the one rule the seat map and the hold use too)."""
    rows = db.session.execute(
        sa.select(ReservedSeat.showtime_id, sa.func.count())
        .join(Reservation, Reservation.id == ReservedSeat.reservation_id)
        .where(ReservedSeat.showtime_id.in_(list(showtime_ids)), ReservedSeat.is_active,
               Reservation.claims_seats(now))
        .group_by(ReservedSeat.showtime_id))
    return {showtime_id: count for showtime_id, count in rows}


# The first key of the advisory locks that order holds counting one showtime's occupancy.
OCCUPANCY_LOCK = 1414


def lock_occupancy(showtime_id: int) -> None:
    """Wait for, then take until the end of this transaction, the showtime's occupancy lock
    (PostgreSQL; elsewhere nothing, as there is no concurrency to order)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:namespace, :showtime)"),
                           {"namespace": OCCUPANCY_LOCK, "showtime": showtime_id})


def occupancy(showtime: Showtime, now: datetime) -> engine.Occupancy:
    """Seats held or sold now out of the auditorium's sellable seats, in this transaction."""
    claimed = claimed_seats([showtime.id], now).get(showtime.id, 0)
    capacity = db.session.scalar(sa.select(sa.func.count(Seat.id)).where(
        Seat.auditorium_id == showtime.auditorium_id, Seat.is_blocked.is_(False),
        Seat.is_deleted.is_(False)))
    return engine.Occupancy(claimed or 0, capacity or 0)


def choose_tickets(seat_ids, requested: dict | None, types: list[TicketType],
                   age_rating: str) -> dict[int, engine.Ticket]:
    """The ticket of each seat: ``requested`` maps seat id (or its text) -> ticket type id (any
    missing or blank: the default type). Raises ValidationFailed (422, TICKET_TYPE_NOT_ALLOWED for an
    age-restricted type on a film rated too high, VALIDATION_ERROR for an unknown type)."""
    by_id = {t.id: t for t in types}
    default = default_ticket(types)
    chosen = {}
    for seat_id in seat_ids:
        requested = requested or {}
        raw = requested.get(seat_id, requested.get(str(seat_id)))
        if raw in (None, ""):
            chosen[seat_id] = default
            continue
        type_id = parse_id(raw)
        if type_id not in by_id:
            raise ValidationFailed("Please choose a ticket type for each seat.",
                                   field_errors={f"ticket_{seat_id}": ["Unknown ticket type."]})
        ticket = engine.Ticket.of(by_id[type_id])
        refusal = engine.ticket_refusal(ticket, age_rating, settings())
        if refusal:
            raise TicketTypeNotAllowed(refusal, field_errors={f"ticket_{seat_id}": [refusal]})
        chosen[seat_id] = ticket
    return chosen


def line_item_rows(price: engine.SeatPrice) -> list[SeatLineItem]:
    """The rows that freeze ``price`` on a reserved seat."""
    return [SeatLineItem(position=index, kind=item.kind, label=item.label,
                         rule_id=item.rule_id, ticket_type_id=item.ticket_type_id,
                         amount_cents=item.amount_cents, floor_cents=item.floor_cents,
                         ceiling_cents=item.ceiling_cents)
            for index, item in enumerate(price.items)]


def frozen_items(rows) -> list[engine.Item]:
    """The engine's items of a reserved seat's frozen line item rows, in their order."""
    return [engine.Item(row.kind, row.label, row.amount_cents, row.rule_id, row.ticket_type_id,
                        row.floor_cents, row.ceiling_cents)
            for row in sorted(rows, key=lambda row: row.position)]


def type_prices(showtime: Showtime, seat_types, now: datetime, rules=None,
                ticket: engine.Ticket | None = None,
                occupancy_now: engine.Occupancy | None = None) -> dict:
    """The Adult price of each seat type at this showtime now (cents), cheapest first. The
    enabled ``rules``, the default ``ticket`` and the occupancy are read unless given."""
    rules = enabled_rules() if rules is None else rules
    if occupancy_now is None:
        occupancy_now = (occupancy(showtime, now) if any(r.uses_demand for r in rules)
                         else engine.Occupancy())
    ticket = default_ticket(ticket_types()) if ticket is None else ticket
    facts, price_settings = engine.ShowtimeFacts.of(showtime), settings()
    prices = {t: engine.price_seat(facts, t, price_settings, rules, ticket, occupancy_now,
                                   now).price_cents
              for t in seat_types}
    return dict(sorted(prices.items(), key=lambda item: item[1]))


def demand_note(showtime: Showtime, now: datetime, rules=None,
                occupancy_now: engine.Occupancy | None = None) -> str | None:
    """What the demand rules say about this showtime now, if any is on (the enabled ``rules``
    and the occupancy are read unless given)."""
    rules = [r for r in (enabled_rules() if rules is None else rules) if r.uses_demand]
    if not rules:
        return None
    return engine.demand_note(rules, engine.ShowtimeFacts.of(showtime),
                               occupancy(showtime, now) if occupancy_now is None
                               else occupancy_now, now, settings())


class PricingBook:
    """The enabled pricing rules and ticket types as the engine sees them, kept per process and
    per version of the two tables (their row count and last change, read by the hold's first
    statement), so that a hold reads neither table when nothing in them changed."""

    _kept: tuple | None = None  # (version, rules, ticket types)

    @classmethod
    def current(cls, version: tuple | None = None, fresh: bool = False) -> tuple[list, list]:
        """(rules, ticket types) for ``version``; read from the database when it is not the
        kept one (with no version: the kept ones, if any, unless ``fresh``)."""
        kept = cls._kept
        if kept is not None and not fresh and (version is None or kept[0] == version):
            return kept[1], kept[2]
        rules = enabled_rules()
        types = [engine.Ticket.of(t) for t in ticket_types()]
        if version is not None:
            cls._kept = (version, rules, types)
        return rules, types


def price_lines(facts: engine.ShowtimeFacts, seats: list[tuple[int, SeatType]], tickets,
                rules, occupancy: engine.Occupancy, now: datetime) -> dict:
    """The line items of each seat of a hold, by seat id: the one pricing call of a hold."""
    return engine.price_seats(facts, seats, tickets, settings(), rules, occupancy,
                              now)
