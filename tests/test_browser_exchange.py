"""A patron moves a booking to tomorrow's showtime in real headless Chromium, pays only the
difference, and the pages pass axe at 1280 and 390 px."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cinema.booking import booking
from tests.booking_helpers import APPROVE, now, setup_showtime
from tests.factories import PASSWORD, gen_auditorium, gen_showtime, gen_user
from tests.screens import horizontal_overflow, htmx_ready, screenshot

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # fetched by `make install`, never served
CARD = {name: value for name, value in APPROVE.items() if name != "payment_method"}


@pytest.fixture
def confirmed(app_ctx):
    showtime, seats = setup_showtime()
    user = gen_user(full_name="Bea Booker")
    reservation = booking.hold_seats(user.id, showtime.id, [seats[0].id, seats[1].id], now())
    booking.confirm_booking(reservation.id, user.id, "card", now(), **CARD)
    tomorrow = gen_showtime(movie=showtime.movie, auditorium=gen_auditorium(),
                            starts_at=showtime.starts_at + timedelta(days=1),
                            base_price_cents=1300)
    return reservation.id, reservation.code, tomorrow, user


def signed_in(context, user):
    """A new page of ``context``, signed in as ``user``."""
    page = context.new_page()
    page.goto("/auth/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Sign out")).to_be_visible()
    return page


def serious_violations(page) -> list:
    page.add_script_tag(content=AXE.read_text())
    violations = page.evaluate("axe.run(document, {resultTypes: ['violations']})"
                               ".then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length,"
                               " v.nodes[0].target.join(' ')]))")
    return [v for v in violations if v[1] in ("serious", "critical")]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_patron_moves_a_booking_to_tomorrow_and_pays_the_difference(
        browser, base_url, confirmed, width):
    reservation_id, code, tomorrow, user = confirmed
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900},
                                  bypass_csp=True)
    page = signed_in(context, user)
    page.goto(f"/bookings/{reservation_id}")
    page.get_by_role("link", name="Change showtime…").click()
    expect(page.get_by_role("heading", name="Move to another showtime")).to_be_visible()
    assert serious_violations(page) == []
    page.locator("a.exchange-time").first.click()
    expect(page.get_by_text(f"Moving booking {code}")).to_be_visible()
    htmx_ready(page)  # the summary below is updated by htmx
    for label in ("B3", "B4"):
        page.get_by_role("checkbox", name=re.compile(rf"Row {label[0]} seat {label[1:]},")).check()
    expect(page.locator("#seat-summary")).to_contain_text("B4")
    page.locator("#hold-button").click()
    expect(page.get_by_role("heading", name=f"Move booking {code}?")).to_be_visible()
    expect(page.locator(".exchange-table tfoot")).to_contain_text("To pay now")
    assert serious_violations(page) == []
    page.get_by_label("Card number").fill("4000 0000 0000 0002")  # declined first
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile("Pay .* and move my booking")).click()
    expect(page.get_by_text("Your card was declined")).to_be_visible()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile("Pay .* and move my booking")).click()
    expect(page.get_by_text("Your booking has moved")).to_be_visible()
    expect(page.locator("main")).to_contain_text("B3, B4")
    expect(page.locator("main")).to_contain_text(code)
    context.close()


@pytest.fixture
def sold_for_cash(app_ctx):
    from cinema.booking import box_office
    from cinema.models import UserRole

    showtime, seats = setup_showtime()
    clerk = gen_user(role=UserRole.STAFF, full_name="Cal Clerk")
    customer = gen_user(full_name="Cass Cash")
    sold = box_office.sell(clerk.id, showtime.id, [seats[0].id, seats[1].id], now(),
                           customer_email=customer.email)
    tomorrow = gen_showtime(movie=showtime.movie, auditorium=gen_auditorium(),
                            starts_at=showtime.starts_at + timedelta(days=1),
                            base_price_cents=1300)
    return sold.code, tomorrow, clerk


@pytest.mark.parametrize("width", [1280, 390])
def test_a_clerk_moves_a_cash_booking_at_the_counter_and_takes_the_difference(
        browser, base_url, sold_for_cash, width):
    code, tomorrow, clerk = sold_for_cash
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900},
                                  bypass_csp=True)
    page = signed_in(context, clerk)
    page.goto(f"/staff/checkin?code={code}")
    page.get_by_role("link", name="Change showtime…").click()
    expect(page.get_by_text("For Cass Cash.")).to_be_visible()
    page.locator("a.exchange-time").first.click()
    expect(page.get_by_text(f"Moving booking {code}")).to_be_visible()
    for label in ("B3", "B4"):
        page.get_by_role("checkbox", name=re.compile(rf"Row {label[0]} seat {label[1:]},")).check()
    page.locator("#hold-button").click()
    expect(page.locator(".exchange-table tfoot")).to_contain_text("To take in cash")
    screenshot(page, f"counter-exchange-review-{width}")
    assert horizontal_overflow(page) <= 0
    assert serious_violations(page) == []
    page.get_by_role("button", name=re.compile("taken in cash: move the booking")).click()
    expect(page.get_by_text(f"Booking {code} has moved to the new showtime. Take £6.00 in cash "
                            "from the customer.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("B3, B4")
    expect(page.get_by_role("button", name=re.compile("^Cancel"))).to_have_count(0)
    screenshot(page, f"counter-exchange-done-{width}")
    context.close()
