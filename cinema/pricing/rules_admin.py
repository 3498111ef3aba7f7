"""Admin-run pricing: the rules and ticket types (create, edit, enable, delete; audit-logged)
and the preview of what a rule would change over the next days before it is saved."""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema import audit
from cinema.exceptions import NotFound, ValidationFailed
from cinema.extensions import db
from cinema.models import PricingRule, Seat, SeatType, Showtime, TicketType
from cinema.pricing import engine, price_book

PREVIEW_DAYS = 14
PREVIEW_EXAMPLES = 5


@dataclass(frozen=True)
class RuleData:
    """A rule as an admin typed it (validated by the form): the columns of ``PricingRule``."""

    name: str
    percent: int | None = None
    amount_cents: int | None = None
    enabled: bool = True
    priority: int = 100
    stacking: str = engine.STACK
    floor_cents: int | None = None
    ceiling_cents: int | None = None
    weekdays: tuple = ()
    starts_from: time | None = None
    starts_before: time | None = None
    date_from: date | None = None
    date_until: date | None = None
    seat_types: tuple = ()
    movie_ids: tuple = ()
    auditorium_ids: tuple = ()
    formats: tuple = ()
    demand_at_least: int | None = None
    demand_below: int | None = None
    lead_hours_min: int | None = None
    lead_hours_max: int | None = None

    def columns(self) -> dict:
        values = dataclasses.asdict(self)
        for name in ("weekdays", "seat_types", "movie_ids", "auditorium_ids", "formats"):
            values[name] = list(values[name])
        return values

    def as_rule(self, rule_id: int = 0) -> engine.Rule:
        return engine.Rule.of(PricingRule(id=rule_id, **self.columns()))


def _snapshot(rule: PricingRule) -> dict:
    return {name: (value.isoformat() if isinstance(value, (date, time)) else value)
            for name, value in ((c.key, getattr(rule, c.key)) for c in
                                sa.inspect(PricingRule).column_attrs)
            if name not in ("created_at", "updated_at", "created_by")}


def list_rules() -> list[PricingRule]:
    return list(db.session.scalars(sa.select(PricingRule).where(
        PricingRule.is_deleted.is_(False)).order_by(PricingRule.priority, PricingRule.id)))


def get_rule(rule_id: int) -> PricingRule:
    """Raises NotFound."""
    rule = db.session.get(PricingRule, rule_id)
    if rule is None or rule.is_deleted:
        raise NotFound("We could not find that pricing rule.")
    return rule


def create_rule(data: RuleData, actor_id: int) -> PricingRule:
    """Add a rule; audit-logged; commits. It prices holds made from now on."""
    rule = PricingRule(created_by=actor_id, **data.columns())
    db.session.add(rule)
    db.session.flush()
    audit.record(actor_id, "pricing_rule.create", "pricing_rule", rule.id,
                 f"added pricing rule {rule.name}", after=_snapshot(rule))
    db.session.commit()
    return rule


def update_rule(rule_id: int, data: RuleData, actor_id: int) -> PricingRule:
    """Save a rule's changes; held and sold seats keep their frozen prices. Raises NotFound."""
    rule = get_rule(rule_id)
    before = _snapshot(rule)
    for name, value in data.columns().items():
        setattr(rule, name, value)
    audit.record(actor_id, "pricing_rule.update", "pricing_rule", rule.id,
                 f"edited pricing rule {rule.name}", before=before, after=_snapshot(rule))
    db.session.commit()
    return rule


def set_rule_enabled(rule_id: int, enabled: bool, actor_id: int) -> PricingRule:
    """Turn a rule on or off. Raises NotFound."""
    rule = get_rule(rule_id)
    before = {"enabled": rule.enabled}
    rule.enabled = enabled
    audit.record(actor_id, "pricing_rule." + ("enable" if enabled else "disable"),
                 "pricing_rule", rule.id,
                 f"{'enabled' if enabled else 'disabled'} pricing rule {rule.name}",
                 before=before, after={"enabled": enabled})
    db.session.commit()
    return rule


def delete_rule(rule_id: int, actor_id: int) -> PricingRule:
    """Delete a rule (soft: the line items that name it keep their link). Raises NotFound."""
    rule = get_rule(rule_id)
    rule.is_deleted, rule.enabled = True, False
    audit.record(actor_id, "pricing_rule.delete", "pricing_rule", rule.id,
                 f"deleted pricing rule {rule.name}", before=_snapshot(rule))
    db.session.commit()
    return rule


# --- preview -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreviewExample:
    starts_at: datetime
    auditorium: str
    seat_type: SeatType
    before_cents: int
    after_cents: int


@dataclass(frozen=True)
class Preview:
    days: int
    showtimes_checked: int
    showtimes_changed: int
    seats_changed: int
    examples: list


def preview(data: RuleData, now: datetime, editing_rule_id: int | None = None) -> Preview:
    """What saving ``data`` would change for an Adult seat held now, over the next
    ``PREVIEW_DAYS`` days: showtimes and seats whose price moves, and a few examples. Demand
    conditions use each showtime's occupancy now. Reads only."""
    current = [r for r in price_book.enabled_rules() if r.id != editing_rule_id]
    candidate = data.as_rule(editing_rule_id or 0)
    proposed = current + [candidate] if data.enabled else current
    settings = price_book.settings()
    ticket = price_book.default_ticket(price_book.ticket_types())
    showtimes = db.session.scalars(
        sa.select(Showtime).where(Showtime.starts_at > now,
                                  Showtime.starts_at <= now + timedelta(days=PREVIEW_DAYS),
                                  Showtime.cancelled_at.is_(None), Showtime.is_deleted.is_(False))
        .options(so.joinedload(Showtime.movie), so.joinedload(Showtime.auditorium))
        .order_by(Showtime.starts_at)).all()
    seats_by_type = _seats_by_type({s.auditorium_id for s in showtimes})
    claimed = _claims(showtimes, now) if any(r.uses_demand for r in proposed) else Counter()
    changed_showtimes = changed_seats = 0
    examples = []
    for showtime in showtimes:
        counts = seats_by_type.get(showtime.auditorium_id, {})
        occupancy = engine.Occupancy(claimed.get(showtime.id, 0), sum(counts.values()))
        facts = engine.ShowtimeFacts.of(showtime)
        moved = False
        for seat_type, count in sorted(counts.items(), key=lambda item: item[0].value):
            before = engine.price_seat(facts, seat_type, settings, current, ticket, occupancy, now)
            after = engine.price_seat(facts, seat_type, settings, proposed, ticket, occupancy, now)
            if before.price_cents != after.price_cents:
                moved = True
                changed_seats += count
                if len(examples) < PREVIEW_EXAMPLES:
                    examples.append(PreviewExample(showtime.starts_at, showtime.auditorium.name,
                                                   seat_type, before.price_cents,
                                                   after.price_cents))
        changed_showtimes += moved
    return Preview(PREVIEW_DAYS, len(showtimes), changed_showtimes, changed_seats, examples)


def _seats_by_type(auditorium_ids) -> dict:
    rows = db.session.execute(
        sa.select(Seat.auditorium_id, Seat.seat_type, sa.func.count())
        .where(Seat.auditorium_id.in_(auditorium_ids), Seat.is_blocked.is_(False),
               Seat.is_deleted.is_(False))
        .group_by(Seat.auditorium_id, Seat.seat_type)).all()
    result: dict = {}
    for auditorium_id, seat_type, count in rows:
        result.setdefault(auditorium_id, {})[seat_type] = count
    return result


def _claims(showtimes, now: datetime) -> Counter:
    return Counter(price_book.claimed_seats([showtime.id for showtime in showtimes], now))


# --- ticket types ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketTypeData:
    name: str
    percent: int | None = None
    amount_cents: int | None = None
    age_restricted: bool = False
    is_concession: bool = False
    enabled: bool = True
    sort_order: int = 0


def get_ticket_type(type_id: int) -> TicketType:
    ticket_type = db.session.get(TicketType, type_id)
    if ticket_type is None or ticket_type.is_deleted:
        raise NotFound("We could not find that ticket type.")
    return ticket_type


def save_ticket_type(type_id: int | None, data: TicketTypeData, actor_id: int) -> TicketType:
    """Create (``type_id`` None) or edit a ticket type; audit-logged; commits. Raises NotFound
    or ValidationFailed (422: the name is taken)."""
    taken = db.session.scalar(sa.select(TicketType.id).where(
        sa.func.lower(TicketType.name) == data.name.lower(), TicketType.id != (type_id or 0)))
    if taken is not None:
        raise ValidationFailed("That name is taken.", field_errors={"name": ["Already in use."]})
    ticket_type = get_ticket_type(type_id) if type_id else TicketType(created_by=actor_id)
    before = None if type_id is None else _type_snapshot(ticket_type)
    for name, value in dataclasses.asdict(data).items():
        setattr(ticket_type, name, value)
    db.session.add(ticket_type)
    db.session.flush()
    audit.record(actor_id, "ticket_type." + ("update" if type_id else "create"), "ticket_type",
                 ticket_type.id, f"saved ticket type {ticket_type.name}", before=before,
                 after=_type_snapshot(ticket_type))
    db.session.commit()
    return ticket_type


def _type_snapshot(ticket_type: TicketType) -> dict:
    return {name: getattr(ticket_type, name) for name in
            ("name", "percent", "amount_cents", "age_restricted", "is_concession", "enabled",
             "sort_order")}


def condition_choices() -> tuple[list, list]:
    """(films, auditoriums) a rule may name: the live ones, by name."""
    from cinema.models import Auditorium, Movie

    movies = db.session.scalars(sa.select(Movie).where(Movie.is_deleted.is_(False))
                                .order_by(Movie.title)).all()
    auditoriums = db.session.scalars(sa.select(Auditorium).where(
        Auditorium.is_deleted.is_(False)).order_by(Auditorium.name)).all()
    return list(movies), list(auditoriums)
