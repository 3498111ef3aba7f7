"""A patron books in real headless Chromium: pick seats, see the total, hold, pay, history,
cancel; and the same hold with JavaScript disabled."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.booking_helpers import setup_showtime
from tests.factories import PASSWORD, gen_user

pytestmark = pytest.mark.browser


@pytest.fixture
def booking_setup(app_ctx):
    showtime, seats = setup_showtime(premium_rows=["C"], aisles_after=[2])
    user = gen_user(full_name="Bea Booker")
    return showtime, seats, user


def sign_in(page, user):
    page.goto("/auth/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as Bea Booker")).to_be_visible()


def pick(page, label):
    """Tick a seat by its accessible name, as a screen reader user would find it."""
    page.get_by_role("checkbox", name=re.compile(rf"Row {label[0]} seat {label[1:]},")).check()


def test_pick_hold_pay_history_cancel_with_javascript(browser, base_url, booking_setup):
    showtime, seats, user = booking_setup
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, user)
    page.goto(f"/showtimes/{showtime.id}")
    expect(page.locator("#seat-map")).to_be_visible()
    pick(page, "A1")
    pick(page, "C2")
    summary = page.locator("#seat-summary")
    expect(summary).to_contain_text("A1")
    expect(summary).to_contain_text("C2")
    expect(summary.locator(".total")).to_have_text(re.compile(r"£\d+\.\d\d"))
    total = summary.locator(".total").inner_text()
    page.get_by_role("button", name="Hold these seats").click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    expect(page.locator("[data-countdown-left]")).to_contain_text("left")
    expect(page.locator(".line-items-table .total")).to_have_text(total)
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile("Pay .* and confirm")).click()
    expect(page.get_by_text("Booking confirmed")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code of booking"))).to_be_visible()
    page.get_by_role("link", name="My bookings", exact=True).click()
    row = page.locator("tr", has_text=showtime.movie.title)
    expect(row).to_contain_text("Confirmed")
    expect(row).to_contain_text(total)
    row.get_by_role("link", name=re.compile("Ticket")).click()
    page.get_by_role("button", name=re.compile("Cancel booking")).click()
    # The confirmation step: nothing is cancelled until it is confirmed.
    expect(page.get_by_role("heading", name=re.compile("Cancel booking .*\\?"))).to_be_visible()
    expect(page.get_by_text("is refunded to the card")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel and refund").click()
    expect(page.get_by_text("Booking cancelled")).to_be_visible()
    expect(page.locator("tr", has_text=showtime.movie.title)).to_contain_text("Cancelled")
    context.close()


def test_hold_and_pay_with_javascript_disabled(browser, base_url, booking_setup):
    showtime, seats, user = booking_setup
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, user)
    page.goto(f"/showtimes/{showtime.id}")
    pick(page, "B1")
    pick(page, "B2")
    page.get_by_role("button", name="Hold seats").click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    expect(page.locator(".countdown")).to_contain_text("held until")
    expect(page.locator(".line-items-table")).to_contain_text("B1")
    expect(page.locator(".line-items-table")).to_contain_text("B2")
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile("Pay .* and confirm")).click()
    expect(page.get_by_text("Your card was declined")).to_be_visible()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile("Pay .* and confirm")).click()
    expect(page.get_by_text("Booking confirmed")).to_be_visible()
    context.close()
