"""Pricing: pure functions that price one seat into line items.

Order of application (one order, everywhere: seat map, hold, box office, preview, API):

1. BASE: the showtime's base price.
2. SEAT_TYPE: the seat type's adjustment (``PRICE_PREMIUM_CENTS``... in configuration).
3. RULE: the enabled pricing rules whose conditions all hold, in (priority, id) order, lowest
   priority number first. Each effect is a signed percentage of the running price (rounded to
   the nearest cent, halves away from zero) or a signed fixed amount. A rule that *stacks*
   always applies; of the matching *best-only* rules just one applies, the one giving the
   patron the lowest final price (ties: the earlier in priority order), in its priority place.
4. TICKET_TYPE: the ticket type's effect on the running price (Adult: none).
5. LIMIT: the floors and ceilings of the rules applied bound the result: above the lowest
   ceiling it comes down to it, then below the highest floor it goes up to it (a floor wins).

No step takes the running price below zero: an effect larger than the price stops at free.
The items are frozen on the reserved seat at the hold; their sum is the seat's price before a
promo code discount (``promotions``), and every total is the sum of the seat prices.
Demand ("occupancy") is the share of the showtime's seats held or sold when the hold is made,
counted in the hold's transaction before the hold's own seats.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cinema.models import SeatType
from cinema.settings import AGE_RATINGS, Settings

STACK, BEST_ONLY = "STACK", "BEST_ONLY"
AGE_RATING_ORDER = AGE_RATINGS


@dataclass(frozen=True)
class PriceSettings:
    """What configuration says about prices: seat types, the local zone, the child rule."""

    seat_type_cents: dict
    timezone: ZoneInfo
    child_max_rating: str = "15"

    @classmethod
    def from_settings(cls, settings: Settings) -> "PriceSettings":
        return cls(
            seat_type_cents={
                SeatType.REGULAR: 0,
                SeatType.PREMIUM: settings.price_premium_cents,
                SeatType.COUPLE: settings.price_couple_cents,
                SeatType.WHEELCHAIR: settings.price_wheelchair_cents,
            },
            timezone=ZoneInfo(settings.cinema_timezone),
            child_max_rating=settings.child_ticket_max_rating,
        )


@dataclass(frozen=True)
class ShowtimeFacts:
    starts_at: datetime
    base_price_cents: int
    movie_id: int = 0
    auditorium_id: int = 0
    format: str = "2D"
    age_rating: str = "PG"

    @classmethod
    def of(cls, showtime) -> "ShowtimeFacts":
        return cls(showtime.starts_at, showtime.base_price_cents, showtime.movie_id,
                   showtime.auditorium_id, showtime.movie.format, showtime.movie.age_rating)


@dataclass(frozen=True)
class Occupancy:
    """Seats held or sold out of the showtime's sellable seats; compared in integers."""

    claimed: int = 0
    capacity: int = 0

    @property
    def percent(self) -> int:
        return self.claimed * 100 // self.capacity if self.capacity else 0

    def at_least(self, percent: int) -> bool:
        return self.claimed * 100 >= percent * self.capacity if self.capacity else percent <= 0


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    percent: int | None = None
    amount_cents: int | None = None
    priority: int = 100
    stacking: str = STACK
    floor_cents: int | None = None
    ceiling_cents: int | None = None
    weekdays: frozenset = frozenset()
    starts_from: time | None = None
    starts_before: time | None = None
    date_from: date | None = None
    date_until: date | None = None
    seat_types: frozenset = frozenset()
    movie_ids: frozenset = frozenset()
    auditorium_ids: frozenset = frozenset()
    formats: frozenset = frozenset()
    demand_at_least: int | None = None
    demand_below: int | None = None
    lead_hours_min: int | None = None
    lead_hours_max: int | None = None

    @classmethod
    def of(cls, row) -> "Rule":
        """The engine's view of a ``PricingRule`` row."""
        return cls(
            id=row.id, name=row.name, percent=row.percent, amount_cents=row.amount_cents,
            priority=row.priority, stacking=row.stacking, floor_cents=row.floor_cents,
            ceiling_cents=row.ceiling_cents, weekdays=frozenset(row.weekdays or ()),
            starts_from=row.starts_from, starts_before=row.starts_before,
            date_from=row.date_from, date_until=row.date_until,
            seat_types=frozenset(SeatType(t) for t in row.seat_types or ()),
            movie_ids=frozenset(row.movie_ids or ()),
            auditorium_ids=frozenset(row.auditorium_ids or ()),
            formats=frozenset(row.formats or ()), demand_at_least=row.demand_at_least,
            demand_below=row.demand_below, lead_hours_min=row.lead_hours_min,
            lead_hours_max=row.lead_hours_max)

    @property
    def uses_demand(self) -> bool:
        return self.demand_at_least is not None or self.demand_below is not None


@dataclass(frozen=True)
class Ticket:
    id: int | None = None
    name: str = "Adult"
    percent: int | None = None
    amount_cents: int | None = None
    age_restricted: bool = False

    @classmethod
    def of(cls, row) -> "Ticket":
        return cls(row.id, row.name, row.percent, row.amount_cents, row.age_restricted)


ADULT = Ticket()


@dataclass(frozen=True)
class Item:
    kind: str  # BASE, SEAT_TYPE, RULE, TICKET_TYPE, LIMIT
    label: str
    amount_cents: int
    rule_id: int | None = None
    ticket_type_id: int | None = None
    floor_cents: int | None = None  # RULE items: the rule's floor and ceiling when applied
    ceiling_cents: int | None = None


@dataclass(frozen=True)
class SeatPrice:
    """A seat's line items; the old column view (``as_columns``) keeps reports working."""

    items: tuple[Item, ...]
    ticket: Ticket = ADULT
    rules_applied: tuple[Rule, ...] = field(default=())

    @property
    def price_cents(self) -> int:
        return sum(item.amount_cents for item in self.items)

    @property
    def base_price_cents(self) -> int:
        return sum(i.amount_cents for i in self.items if i.kind == "BASE")

    @property
    def seat_type_adjustment_cents(self) -> int:
        return sum(i.amount_cents for i in self.items if i.kind == "SEAT_TYPE")

    @property
    def time_adjustment_cents(self) -> int:
        """Everything after the seat type: rules, the ticket type and limits."""
        return self.price_cents - self.base_price_cents - self.seat_type_adjustment_cents

    @property
    def time_rule(self) -> str | None:
        names = [i.label for i in self.items if i.kind in ("RULE", "TICKET_TYPE")]
        return ", ".join(names)[:40] or None

    def as_columns(self) -> dict:
        return dict(base_price_cents=self.base_price_cents,
                    seat_type_adjustment_cents=self.seat_type_adjustment_cents,
                    time_adjustment_cents=self.time_adjustment_cents, time_rule=self.time_rule,
                    discount_cents=0, price_cents=self.price_cents,
                    ticket_type_id=self.ticket.id)


def effect_cents(price_cents: int, percent: int | None, amount_cents: int | None) -> int:
    """The signed change an effect makes to ``price_cents``, never taking it below zero."""
    if percent is not None:
        magnitude = (abs(price_cents * percent) * 2 + 100) // 200  # nearest, halves away
        change = magnitude if percent > 0 else -magnitude
    else:
        change = amount_cents or 0
    return max(change, -price_cents)


def _in_window(local: time, start: time | None, end: time | None) -> bool:
    if start is None and end is None:
        return True
    if start is not None and end is not None and start > end:  # across midnight
        return local >= start or local < end
    return (start is None or local >= start) and (end is None or local < end)


def rule_matches(rule: Rule, show: ShowtimeFacts, seat_type: SeatType, occupancy: Occupancy,
                 now: datetime, tz: ZoneInfo) -> bool:
    """Whether every condition of ``rule`` holds for this seat of this showtime at ``now``."""
    local = show.starts_at.astimezone(tz)
    lead = show.starts_at - now
    checks = (
        not rule.weekdays or local.weekday() in rule.weekdays,
        _in_window(local.time().replace(tzinfo=None), rule.starts_from, rule.starts_before),
        rule.date_from is None or local.date() >= rule.date_from,
        rule.date_until is None or local.date() <= rule.date_until,
        not rule.seat_types or seat_type in rule.seat_types,
        not rule.movie_ids or show.movie_id in rule.movie_ids,
        not rule.auditorium_ids or show.auditorium_id in rule.auditorium_ids,
        not rule.formats or show.format in rule.formats,
        rule.demand_at_least is None or occupancy.at_least(rule.demand_at_least),
        rule.demand_below is None or not occupancy.at_least(rule.demand_below),
        rule.lead_hours_min is None or lead >= timedelta(hours=rule.lead_hours_min),
        rule.lead_hours_max is None or lead < timedelta(hours=rule.lead_hours_max),
    )
    return all(checks)


def _rule_label(rule: Rule, occupancy: Occupancy) -> str:
    if rule.uses_demand:
        return f"{rule.name} ({occupancy.percent}% sold)"[:120]
    return rule.name[:120]


def _apply(start: int, start_items: list[Item], rules: list[Rule], ticket: Ticket,
           occupancy: Occupancy) -> tuple[list[Item], int]:
    items, price = list(start_items), start
    for rule in rules:
        change = effect_cents(price, rule.percent, rule.amount_cents)
        items.append(Item("RULE", _rule_label(rule, occupancy), change, rule_id=rule.id,
                          floor_cents=rule.floor_cents, ceiling_cents=rule.ceiling_cents))
        price += change
    return _ticket_and_limits(items, price, ticket, [(r.name, r) for r in rules])


def _ticket_and_limits(items: list[Item], price: int, ticket: Ticket,
                       limits: list) -> tuple[list[Item], int]:
    """Steps 4 and 5: the ticket type's effect, then the floors and ceilings of ``limits``
    ((name, anything with ``id``, ``floor_cents`` and ``ceiling_cents``) pairs)."""
    if ticket.percent is not None or ticket.amount_cents:
        change = effect_cents(price, ticket.percent, ticket.amount_cents)
        items.append(Item("TICKET_TYPE", ticket.name, change, ticket_type_id=ticket.id))
        price += change
    ceilings = [(n, r) for n, r in limits if r.ceiling_cents is not None]
    floors = [(n, r) for n, r in limits if r.floor_cents is not None]
    if ceilings:
        name, lowest = min(ceilings, key=lambda pair: pair[1].ceiling_cents)
        if price > lowest.ceiling_cents:
            items.append(Item("LIMIT", f"Price ceiling ({name})"[:120],
                              lowest.ceiling_cents - price, rule_id=lowest.id))
            price = lowest.ceiling_cents
    if floors:
        name, highest = max(floors, key=lambda pair: pair[1].floor_cents)
        if price < highest.floor_cents:
            items.append(Item("LIMIT", f"Price floor ({name})"[:120],
                              highest.floor_cents - price, rule_id=highest.id))
            price = highest.floor_cents
    return items, price


@dataclass(frozen=True)
class _FrozenLimit:
    id: int | None
    floor_cents: int | None
    ceiling_cents: int | None


def reprice_ticket(frozen, ticket: Ticket = ADULT) -> SeatPrice:
    """A seat's price for another ticket type, from its items frozen at the hold: the base, the
    seat type and each rule's amount stay as they were (whatever the rules have become since),
    the new type's effect applies to their sum, then the frozen rules' floors and ceilings.
    Rule amounts never depend on the ticket type (step 4 comes after step 3); the best-only
    rule chosen at the hold stays the one applied."""
    kept = [item for item in frozen if item.kind in ("BASE", "SEAT_TYPE", "RULE")]
    limits = [(item.label.split(" (")[0], _FrozenLimit(item.rule_id, item.floor_cents,
                                                       item.ceiling_cents))
              for item in kept if item.kind == "RULE"]
    items, _ = _ticket_and_limits(list(kept), sum(item.amount_cents for item in kept), ticket,
                                  limits)
    return SeatPrice(tuple(items), ticket)


def price_seat(show: ShowtimeFacts, seat_type: SeatType, settings: PriceSettings,
               rules=(), ticket: Ticket = ADULT, occupancy: Occupancy = Occupancy(),
               now: datetime | None = None) -> SeatPrice:
    """The line items of one seat (see the module docstring for the order). ``rules`` are the
    enabled rules; ``now`` is the moment of the hold (default: long before the start)."""
    now = now or show.starts_at - timedelta(days=365)
    base = max(show.base_price_cents, 0)
    items = [Item("BASE", "Base price", base)]
    type_cents = effect_cents(base, None, settings.seat_type_cents.get(seat_type, 0))
    if type_cents:
        items.append(Item("SEAT_TYPE", seat_type.label, type_cents))
    start = base + type_cents
    matching = sorted((r for r in rules if rule_matches(r, show, seat_type, occupancy, now,
                                                        settings.timezone)),
                      key=lambda r: (r.priority, r.id))
    stacking = [r for r in matching if r.stacking != BEST_ONLY]
    best = [r for r in matching if r.stacking == BEST_ONLY]
    options = [stacking] if not best else [
        sorted(stacking + [candidate], key=lambda r: (r.priority, r.id)) for candidate in best]
    chosen_items, chosen_rules, chosen_price = None, None, None
    for option in options:  # in priority order: the first of equal prices wins
        option_items, price = _apply(start, items, option, ticket, occupancy)
        if chosen_price is None or price < chosen_price:
            chosen_items, chosen_rules, chosen_price = option_items, option, price
    return SeatPrice(tuple(chosen_items), ticket, tuple(chosen_rules))


def price_seats(show: ShowtimeFacts, seats, tickets, settings: PriceSettings, rules=(),
                occupancy: Occupancy = Occupancy(), now: datetime | None = None) -> dict:
    """The line items of each seat of one hold: ``seats`` are (seat id, seat type) pairs,
    ``tickets`` maps seat id -> Ticket (missing: Adult). A function of its arguments only (no
    database, no app), so any hold path (ORM or Core SQL) can call it with what it has read
    in its own transaction. Returns {seat id: SeatPrice}; the hold's total is the sum of their
    ``price_cents``."""
    return {seat_id: price_seat(show, seat_type, settings, rules, tickets.get(seat_id, ADULT),
                                occupancy, now)
            for seat_id, seat_type in seats}


def ticket_refusal(ticket: Ticket, age_rating: str, settings: PriceSettings) -> str | None:
    """Why ``ticket`` cannot be sold for a film rated ``age_rating``, or None if it can."""
    if not ticket.age_restricted:
        return None
    order = list(AGE_RATING_ORDER)
    limit = order.index(settings.child_max_rating) if settings.child_max_rating in order else 0
    rating = order.index(age_rating) if age_rating in order else len(order)
    if rating >= limit:
        return (f"{ticket.name} tickets are not sold for films rated {age_rating}. "
                "Please choose another ticket type.")
    return None


def demand_note(rules, show: ShowtimeFacts, occupancy: Occupancy, now: datetime,
                settings: PriceSettings) -> str | None:
    """'Prices up 10%: high demand' when a demand rule applies to this showtime now."""
    for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
        if not rule.uses_demand or rule.seat_types:
            continue
        if rule_matches(rule, show, SeatType.REGULAR, occupancy, now, settings.timezone):
            direction = "up" if (rule.percent or rule.amount_cents or 0) > 0 else "down"
            size = f"{abs(rule.percent)}%" if rule.percent is not None else "a little"
            reason = "high demand" if direction == "up" else "seats available"
            return f"Prices {direction} {size}: {reason} ({rule.name})"
    return None
