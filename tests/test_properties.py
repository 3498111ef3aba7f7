"""Property tests (Hypothesis): the booking, pricing and promo services given generated input
raise nothing but their domain exceptions, never price below zero, and their line items always
add up to the total."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cinema.booking import booking, promotions
from cinema.exceptions import DomainError
from cinema.extensions import db
from cinema.models import SeatType
from cinema.pricing import engine
from tests.booking_helpers import setup_showtime
from tests.factories import gen_user
from tests.promo_factories import gen_promo

FAST = settings(max_examples=60, deadline=None)
WITH_DB = settings(max_examples=40, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])

cents = st.integers(min_value=0, max_value=1_000_000)
aware = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.just(timezone.utc))
# Anything a form, a URL or an API body could carry where an id is expected.
id_like = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True), st.text(max_size=30),
    st.sampled_from(["", "1", "-1", "0", str(2**31), str(2**63), "1e309", "１２", " 7 "]))


@st.composite
def rules(draw):
    """Price settings in a generated zone, with the seeded matinee and weekend rules."""
    settings_ = engine.PriceSettings(
        seat_type_cents={kind: draw(st.integers(0, 5000)) for kind in SeatType},
        timezone=ZoneInfo(draw(st.sampled_from(["Europe/London", "Pacific/Kiritimati",
                                                "America/St_Johns", "UTC"]))))
    seeded = [engine.Rule(1, "Matinee", amount_cents=-draw(st.integers(1, 100_000)),
                           weekdays=frozenset(range(5)), starts_before=draw(st.times())),
              engine.Rule(2, "Weekend", amount_cents=draw(st.integers(1, 5000)),
                           weekdays=frozenset({5, 6}))]
    return settings_, seeded


@FAST
@given(base=cents, seat_type=st.sampled_from(list(SeatType)), starts_at=aware, rules=rules())
def test_a_seat_price_is_never_negative_and_is_its_line_items(base, seat_type, starts_at,
                                                              rules):
    settings_, seeded = rules
    items = engine.price_seat(engine.ShowtimeFacts(starts_at, base), seat_type, settings_,
                               seeded)
    assert items.price_cents >= 0
    assert items.price_cents == sum(item.amount_cents for item in items.items)
    columns = items.as_columns()
    assert columns["price_cents"] == (columns["base_price_cents"]
                                      + columns["seat_type_adjustment_cents"]
                                      + columns["time_adjustment_cents"]
                                      - columns["discount_cents"])


@FAST
@given(prices=st.lists(cents, min_size=1, max_size=10), percent=st.integers(1, 100),
       amount=st.integers(-1000, 10_000_000))
def test_discounts_never_exceed_a_price_and_add_up(prices, percent, amount):
    for discounts in (promotions.percent_discounts(prices, percent),
                      promotions.amount_discounts(prices, amount)):
        assert len(discounts) == len(prices)
        assert all(0 <= d <= p for d, p in zip(discounts, prices, strict=True))
        total = sum(p - d for p, d in zip(prices, discounts, strict=True))
        assert total == sum(prices) - sum(discounts) >= 0
    assert sum(promotions.amount_discounts(prices, amount)) == \
        max(0, min(amount, sum(prices)))


@pytest.fixture
def world(app_ctx):
    """(showtime id, seat ids, user id): plain values, nothing for a session to reload."""
    showtime, seats = setup_showtime(starts_in=timedelta(days=3))
    gen_promo(code="SAVE10")
    return showtime.id, [seat.id for seat in seats], gen_user().id


def _as_a_request_ends():
    db.session.rollback()  # what the request's teardown does after a refusal


@WITH_DB
@given(showtime_id=id_like, seat_ids=st.one_of(id_like, st.lists(id_like, max_size=12)))
def test_holding_generated_seats_raises_only_domain_errors(world, showtime_id, seat_ids):
    _, seat_pool, user_id = world
    now = datetime.now(timezone.utc)
    try:
        reservation = booking.hold_seats(user_id, showtime_id, seat_ids, now)
    except DomainError:
        _as_a_request_ends()
        return
    lines = reservation.seats
    assert reservation.total_price_cents == sum(line.price_cents for line in lines) >= 0
    assert {line.seat_id for line in lines} <= set(seat_pool)



def test_a_hold_given_its_ids_as_text_treats_them_as_numbers(world):
    # As a form sends them: the id was checked, then the text itself reached the queries (500).
    showtime_id, seat_pool, user_id = world
    reservation = booking.hold_seats(user_id, f" {showtime_id} ", [str(seat_pool[0])],
                                     datetime.now(timezone.utc))
    assert reservation.showtime_id == showtime_id and len(reservation.seats) == 1


@WITH_DB
@given(seat_count=st.integers(1, 4), code=st.one_of(st.none(), st.text(max_size=60),
                                                     st.sampled_from(["SAVE10", " save10 "])))
def test_applying_generated_promo_codes_raises_only_domain_errors(world, seat_count, code):
    showtime_id, seat_pool, user_id = world
    now = datetime.now(timezone.utc)
    reservation = booking.hold_seats(user_id, showtime_id, seat_pool[:seat_count], now)
    try:
        reservation = promotions.apply_promo(reservation.id, user_id, code, now)
    except DomainError:
        _as_a_request_ends()
        return
    lines = reservation.seats
    assert all(line.price_cents >= 0 and line.discount_cents >= 0 for line in lines)
    assert reservation.total_price_cents == sum(line.price_cents for line in lines)
    assert (reservation.promo_code_id is not None) == ((code or "").strip().upper() == "SAVE10")
