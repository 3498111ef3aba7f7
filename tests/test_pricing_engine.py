"""The pricing engine, by hand-computed cases and by properties (no database)."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cinema.models import SeatType
from cinema.pricing import engine
from cinema.pricing.engine import BEST_ONLY, Occupancy, Rule, ShowtimeFacts, Ticket

LONDON = ZoneInfo("Europe/London")
SETTINGS = engine.PriceSettings(
    seat_type_cents={SeatType.REGULAR: 0, SeatType.PREMIUM: 300, SeatType.COUPLE: 400,
                     SeatType.WHEELCHAIR: 0},
    timezone=LONDON, child_max_rating="15")
# Friday 8 March 2030, 19:30 in London (GMT: 19:30 UTC).
FRIDAY = datetime(2030, 3, 8, 19, 30, tzinfo=timezone.utc)
SHOW = ShowtimeFacts(FRIDAY, 1000, movie_id=7, auditorium_id=3, format="2D", age_rating="PG")
DAY_BEFORE = FRIDAY - timedelta(days=1)
CHILD = Ticket(2, "Child", percent=-25, age_restricted=True)
REGULAR, PREMIUM = SeatType.REGULAR, SeatType.PREMIUM

UP10 = Rule(1, "Up 10%", percent=10, priority=10)
OFF200 = Rule(2, "Off 2", amount_cents=-200, priority=20)
HIGH = Rule(3, "High demand", percent=15, demand_at_least=80)
LOW = Rule(4, "Quiet", percent=-20, demand_below=30)
LAST_MINUTE = Rule(5, "Last minute", percent=-20, demand_below=30, lead_hours_max=2)

CASES = [
    # (name, show, seat type, rules, ticket, occupancy, now, expected price)
    ("no rules, regular", SHOW, REGULAR, [], engine.ADULT, Occupancy(), DAY_BEFORE, 1000),
    ("premium seat", SHOW, PREMIUM, [], engine.ADULT, Occupancy(), DAY_BEFORE, 1300),
    ("+10% on premium", SHOW, PREMIUM, [UP10], engine.ADULT, Occupancy(), DAY_BEFORE, 1430),
    ("+10% then -2", SHOW, REGULAR, [UP10, OFF200], engine.ADULT, Occupancy(), DAY_BEFORE, 900),
    ("-2 then +10% (priorities swapped)", SHOW, REGULAR,
     [Rule(1, "Up", percent=10, priority=30), OFF200], engine.ADULT, Occupancy(), DAY_BEFORE, 880),
    ("best-only: the lower of -10% and -3", SHOW, REGULAR,
     [Rule(6, "Ten off", percent=-10, stacking=BEST_ONLY),
      Rule(7, "Three off", amount_cents=-300, stacking=BEST_ONLY)],
     engine.ADULT, Occupancy(), DAY_BEFORE, 700),
    ("stacking +20% first, then the best of -10% / -3", SHOW, REGULAR,
     [Rule(8, "Up 20", percent=20, priority=1),
      Rule(6, "Ten off", percent=-10, stacking=BEST_ONLY),
      Rule(7, "Three off", amount_cents=-300, stacking=BEST_ONLY)],
     engine.ADULT, Occupancy(), DAY_BEFORE, 900),
    ("ceiling", SHOW, REGULAR, [Rule(9, "Up 50", percent=50, ceiling_cents=1400)],
     engine.ADULT, Occupancy(), DAY_BEFORE, 1400),
    ("floor", SHOW, REGULAR, [Rule(10, "Down 80", percent=-80, floor_cents=500)],
     engine.ADULT, Occupancy(), DAY_BEFORE, 500),
    ("child -25%", SHOW, REGULAR, [], CHILD, Occupancy(), DAY_BEFORE, 750),
    ("child on premium", SHOW, PREMIUM, [], CHILD, Occupancy(), DAY_BEFORE, 975),
    ("child held up by a rule's floor", SHOW, REGULAR,
     [Rule(11, "Up 10 floor 9", percent=10, floor_cents=900)], CHILD, Occupancy(), DAY_BEFORE, 900),
    ("demand exactly 80%: applies", SHOW, REGULAR, [HIGH], engine.ADULT, Occupancy(80, 100),
     DAY_BEFORE, 1150),
    ("demand 79%: does not", SHOW, REGULAR, [HIGH], engine.ADULT, Occupancy(79, 100),
     DAY_BEFORE, 1000),
    ("demand 4 of 5 seats = 80%: applies", SHOW, REGULAR, [HIGH], engine.ADULT, Occupancy(4, 5),
     DAY_BEFORE, 1150),
    ("below 30% at 29%: applies", SHOW, REGULAR, [LOW], engine.ADULT, Occupancy(29, 100),
     DAY_BEFORE, 800),
    ("below 30% at exactly 30%: does not", SHOW, REGULAR, [LOW], engine.ADULT, Occupancy(30, 100),
     DAY_BEFORE, 1000),
    ("last minute at exactly 2 hours: does not", SHOW, REGULAR, [LAST_MINUTE], engine.ADULT,
     Occupancy(10, 100), FRIDAY - timedelta(hours=2), 1000),
    ("last minute at 1h59: applies", SHOW, REGULAR, [LAST_MINUTE], engine.ADULT,
     Occupancy(10, 100), FRIDAY - timedelta(hours=1, minutes=59), 800),
    ("weekend-only rule on a Friday", SHOW, REGULAR, [Rule(12, "Weekend", amount_cents=150,
                                                          weekdays=frozenset({5, 6}))],
     engine.ADULT, Occupancy(), DAY_BEFORE, 1000),
    ("evening window 19:00-20:00", SHOW, REGULAR,
     [Rule(13, "Prime", amount_cents=100, starts_from=time(19), starts_before=time(20))],
     engine.ADULT, Occupancy(), DAY_BEFORE, 1100),
    ("premium-only rule on a regular seat", SHOW, REGULAR,
     [Rule(14, "Premium up", amount_cents=100, seat_types=frozenset({PREMIUM}))],
     engine.ADULT, Occupancy(), DAY_BEFORE, 1000),
    ("never negative", SHOW, REGULAR, [Rule(15, "Free", amount_cents=-1500)], engine.ADULT,
     Occupancy(), DAY_BEFORE, 0),
    ("+15% of 10.05 rounds half away: 1.51", ShowtimeFacts(FRIDAY, 1005), REGULAR,
     [Rule(16, "Up 15", percent=15)], engine.ADULT, Occupancy(), DAY_BEFORE, 1156),
    ("-15% of 10.10 rounds half away: 1.52", ShowtimeFacts(FRIDAY, 1010), REGULAR,
     [Rule(17, "Down 15", percent=-15)], engine.ADULT, Occupancy(), DAY_BEFORE, 858),
    ("film and format conditions", SHOW, REGULAR,
     [Rule(18, "This film in 2D", amount_cents=50, movie_ids=frozenset({7}),
           formats=frozenset({"2D"})),
      Rule(19, "IMAX", amount_cents=500, formats=frozenset({"IMAX"}))],
     engine.ADULT, Occupancy(), DAY_BEFORE, 1050),
]


@pytest.mark.parametrize(("name", "show", "seat_type", "rules", "ticket", "occupancy", "now",
                          "expected"), CASES, ids=[case[0] for case in CASES])
def test_hand_computed_prices(name, show, seat_type, rules, ticket, occupancy, now, expected):
    price = engine.price_seat(show, seat_type, SETTINGS, rules, ticket, occupancy, now)
    assert price.price_cents == expected, [(i.label, i.amount_cents) for i in price.items]
    assert sum(item.amount_cents for item in price.items) == price.price_cents


def test_items_name_every_step_in_order():
    price = engine.price_seat(SHOW, PREMIUM, SETTINGS, [HIGH, Rule(11, "Floor", percent=10,
                                                                     floor_cents=1500)],
                               CHILD, Occupancy(82, 100), DAY_BEFORE)
    assert [(i.kind, i.label, i.amount_cents) for i in price.items] == [
        ("BASE", "Base price", 1000), ("SEAT_TYPE", "Premium", 300),
        ("RULE", "High demand (82% sold)", 195), ("RULE", "Floor", 150),
        ("TICKET_TYPE", "Child", -411), ("LIMIT", "Price floor (Floor)", 266)]
    assert price.price_cents == 1500
    columns = price.as_columns()
    assert columns["price_cents"] == (columns["base_price_cents"]
                                      + columns["seat_type_adjustment_cents"]
                                      + columns["time_adjustment_cents"])


def test_child_tickets_are_refused_at_and_above_the_configured_rating():
    assert engine.ticket_refusal(CHILD, "18", SETTINGS)
    assert engine.ticket_refusal(CHILD, "15", SETTINGS)
    assert engine.ticket_refusal(CHILD, "12A", SETTINGS) is None
    assert engine.ticket_refusal(engine.ADULT, "18", SETTINGS) is None
    stricter = engine.PriceSettings(SETTINGS.seat_type_cents, LONDON, child_max_rating="12A")
    assert engine.ticket_refusal(CHILD, "12A", stricter)


def test_demand_note_says_prices_are_up():
    note = engine.demand_note([HIGH], SHOW, Occupancy(90, 100), DAY_BEFORE, SETTINGS)
    assert note.startswith("Prices up 15%: high demand")
    assert engine.demand_note([HIGH], SHOW, Occupancy(10, 100), DAY_BEFORE, SETTINGS) is None


optional_percent = st.one_of(st.none(), st.integers(-100, 500).filter(bool))
rules_strategy = st.builds(
    Rule, id=st.integers(1, 50), name=st.just("rule"),
    percent=optional_percent, amount_cents=st.integers(-5000, 5000),
    priority=st.integers(0, 5), stacking=st.sampled_from([engine.STACK, BEST_ONLY]),
    floor_cents=st.one_of(st.none(), st.integers(0, 3000)),
    ceiling_cents=st.one_of(st.none(), st.integers(0, 5000)),
    demand_at_least=st.one_of(st.none(), st.integers(0, 100)),
    demand_below=st.one_of(st.none(), st.integers(1, 101)),
    lead_hours_max=st.one_of(st.none(), st.integers(0, 72)),
    weekdays=st.frozensets(st.integers(0, 6), max_size=3),
).map(lambda r: r if r.percent is None else Rule(**{**r.__dict__, "amount_cents": None}))
ticket_strategy = st.builds(Ticket, id=st.just(9), name=st.just("T"), percent=optional_percent,
                            amount_cents=st.one_of(st.none(), st.integers(-3000, 3000)))


@settings(max_examples=300, deadline=None)
@given(base=st.integers(1, 100_000), seat_types=st.lists(st.sampled_from(list(SeatType)),
                                                         min_size=1, max_size=6),
       rules=st.lists(rules_strategy, max_size=6), ticket=ticket_strategy,
       claimed=st.integers(0, 300), capacity=st.integers(0, 300),
       hours_before=st.integers(0, 24 * 30))
def test_prices_are_never_negative_and_items_sum_to_prices_and_total(
        base, seat_types, rules, ticket, claimed, capacity, hours_before):
    show = ShowtimeFacts(FRIDAY, base)
    now = FRIDAY - timedelta(hours=hours_before)
    prices = [engine.price_seat(show, seat_type, SETTINGS, rules, ticket,
                                 Occupancy(min(claimed, capacity), capacity), now)
              for seat_type in seat_types]
    for price in prices:
        assert price.price_cents >= 0
        assert sum(item.amount_cents for item in price.items) == price.price_cents
        running = 0
        for item in price.items:
            running += item.amount_cents
            assert running >= 0  # no step goes below free
    total = sum(price.price_cents for price in prices)
    assert total == sum(item.amount_cents for price in prices for item in price.items)


@settings(max_examples=200, deadline=None)
@given(base=st.integers(1, 100_000), seat_type=st.sampled_from(list(SeatType)),
       rules=st.lists(rules_strategy.map(lambda r: Rule(**{**r.__dict__, "stacking": engine.STACK})),
                      max_size=6),
       first=ticket_strategy, then=ticket_strategy, claimed=st.integers(0, 100))
def test_a_new_ticket_type_from_the_frozen_items_prices_as_the_hold_would_have(
        base, seat_type, rules, first, then, claimed):
    """Re-pricing from the frozen items (no rules read again) gives the items pricing the seat
    with the new type at the hold would have given."""
    show, occupancy = ShowtimeFacts(FRIDAY, base), Occupancy(claimed, 100)
    held = engine.price_seat(show, seat_type, SETTINGS, rules, first, occupancy, DAY_BEFORE)
    direct = engine.price_seat(show, seat_type, SETTINGS, rules, then, occupancy, DAY_BEFORE)
    assert engine.reprice_ticket(held.items, then).items == direct.items


def test_a_new_ticket_type_keeps_the_frozen_rule_and_its_floor():
    rules = [Rule(1, "Down 80", percent=-80, floor_cents=500)]
    held = engine.price_seat(SHOW, REGULAR, SETTINGS, rules, engine.ADULT, Occupancy(), DAY_BEFORE)
    assert [(i.kind, i.amount_cents) for i in held.items] == [
        ("BASE", 1000), ("RULE", -800), ("LIMIT", 300)]
    child = engine.reprice_ticket(held.items, CHILD)
    # 2.00 after the rule, Child -25 % = -0.50: 1.50, held up to the frozen floor of 5.00.
    assert [(i.kind, i.label, i.amount_cents) for i in child.items] == [
        ("BASE", "Base price", 1000), ("RULE", "Down 80", -800), ("TICKET_TYPE", "Child", -50),
        ("LIMIT", "Price floor (Down 80)", 350)]
    assert child.price_cents == 500
