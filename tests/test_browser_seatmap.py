"""The seat map with a keyboard and under a live refresh, in real headless Chromium: one tab
stop moved with the arrow keys, and a refresh that patches changed seats without moving focus."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from cinema.extensions import db
from cinema.models import Reservation
from tests.booking_helpers import hold, patron_client, setup_showtime
from tests.factories import gen_user
from tests.test_browser_booking import sign_in

pytestmark = pytest.mark.browser

REFRESH = 15_000  # ms to wait for a refresh (every 5 s) to land: a ceiling, not a timing assertion


def seat(page, label):
    return page.get_by_role("checkbox", name=re.compile(rf"^Row {label[0]} seat {label[1:]},"))


def focused_name(page):
    return page.evaluate("document.activeElement.labels && document.activeElement.labels[0]"
                         " ? document.activeElement.labels[0].title.split(' · ')[0] : document.activeElement.id")


@pytest.fixture
def patron_on_map(browser, base_url, app_ctx):
    showtime, seats = setup_showtime(aisles_after=[2])  # rows A-C: 1 2 | 3 4
    user = gen_user(full_name="Bea Booker")
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, user)
    page.goto(f"/showtimes/{showtime.id}")
    yield showtime, {f"{s.row_label}{s.number}": s for s in seats}, user, page
    context.close()


def test_two_seats_and_hold_in_under_ten_key_presses(patron_on_map):
    showtime, seats, user, page = patron_on_map
    page.locator("h1").click()  # a pointer click just before the map; keys from here on
    help_text = page.locator("#seat-map-help").inner_text()
    assert "Arrow keys move between seats" in help_text and "Tab moves from seat" not in help_text
    presses = 0

    def press(key):
        nonlocal presses
        presses += 1
        page.keyboard.press(key)

    press("Tab")
    assert focused_name(page) == "B3"  # the map's one tab stop: a free seat in the middle
    press("Space")
    press("ArrowRight")
    press("Space")
    expect(page.locator("#seat-summary")).to_contain_text("B4")
    expect(page.locator("#seat-summary")).to_contain_text("B3")
    press("Tab")
    assert focused_name(page) == "hold-button"
    press("Enter")
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    assert presses < 10
    reservation = db.session.scalars(sa.select(Reservation).where(Reservation.user_id == user.id)).one()
    assert sorted(s.seat_id for s in reservation.seats) == sorted([seats["B3"].id, seats["B4"].id])


def test_arrows_home_end_page_keys_and_unavailable_seats(patron_on_map, app):
    showtime, seats, user, page = patron_on_map
    _, other = patron_client(app)
    assert hold(other, showtime, [seats["A1"]]).status_code == 303
    page.reload()
    page.locator("h1").click()
    page.keyboard.press("Tab")
    steps = [("Home", "B1"), ("ArrowUp", "A1"), ("ArrowRight", "A2"), ("ArrowRight", "A3"),
             ("End", "A4"), ("PageDown", "C4"), ("ArrowLeft", "C3"), ("PageUp", "A3"),
             ("Control+End", "C4"), ("Control+Home", "A1")]
    for key, label in steps:
        page.keyboard.press(key)
        assert focused_name(page) == label, key
    # A1 is held by someone else: focusable, so it is announced, but it never ticks.
    expect(seat(page, "A1")).to_have_accessible_name(re.compile("held by someone else"))
    expect(seat(page, "A1")).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(seat(page, "A1")).not_to_be_checked()
    assert page.locator(".seat input[tabindex='0']").count() == 1
    assert page.evaluate("document.activeElement.tabIndex") == 0


def test_refresh_keeps_focus_and_unticks_a_seat_someone_else_took(patron_on_map, app):
    showtime, seats, user, page = patron_on_map
    seat(page, "B1").check()
    expect(page.locator("#seat-summary")).to_contain_text("B1")
    seat(page, "B2").focus()
    page.evaluate("window.focusedBefore = document.activeElement")
    _, other = patron_client(app)
    assert hold(other, showtime, [seats["B1"], seats["B3"]]).status_code == 303
    expect(page.locator("#seat-map-announce")).to_have_text("2 seats were just taken.", timeout=REFRESH)
    assert page.evaluate("document.activeElement === window.focusedBefore")
    expect(seat(page, "B3")).to_have_accessible_name(re.compile("held by someone else"))
    expect(seat(page, "B1")).not_to_be_checked()
    expect(page.locator("#seat-map-notice")).to_be_visible()
    expect(page.locator("#seat-map-notice")).to_have_text(
        "Seat B1 was just taken by someone else and is no longer ticked.")
    expect(page.locator("#seat-summary")).not_to_contain_text("B1")
    assert page.evaluate("document.activeElement === window.focusedBefore")


AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # fetched by `make install`, never served


@pytest.fixture
def big_map(app_ctx):
    showtime, seats = setup_showtime(rows=10, seats_per_row=20, premium_rows=["E", "F"], couple_rows=["J"],
                                     aisles_after=[4, 16], wheelchair=[("A", 1), ("A", 2)])
    return showtime, {f"{s.row_label}{s.number}": s for s in seats}, gen_user(full_name="Bea Booker")


def test_phone_every_seat_is_24px_and_the_whole_row_is_usable(browser, base_url, big_map):
    showtime, seats, user = big_map
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, user)
    page.goto(f"/showtimes/{showtime.id}")
    sizes = page.evaluate("Array.from(document.querySelectorAll('#seat-map .seat-box'),"
                          " b => { const r = b.getBoundingClientRect(); return [r.width, r.height]; })")
    assert len(sizes) == 200 and min(min(s) for s in sizes) >= 24
    expect(page.get_by_text("Swipe sideways to see the whole row.")).to_be_visible()
    # The rows start at their middle, under the centre of the screen, not at seat 1.
    left, wide, shown = page.evaluate("(g => [g.scrollLeft, g.scrollWidth, g.clientWidth])"
                                      "(document.querySelector('.seat-grid'))")
    assert abs(left - (wide - shown) / 2) <= 2, (left, wide, shown)
    far = seat(page, "A20")
    far.check()  # scrolled into view inside the map, then ticked
    expect(page.locator(".summary-bar")).to_contain_text("1 seat")
    expect(page.locator(".summary-bar")).to_be_in_viewport()
    expect(page.locator("#hold-button")).to_be_in_viewport()
    expect(page.locator(".summary-bar")).to_contain_text("£")
    page.locator("#hold-button").click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_serious_violation_on_the_seat_map(browser, base_url, big_map, app, width):
    showtime, seats, user = big_map
    _, other = patron_client(app)
    assert hold(other, showtime, [seats["C5"], seats["C6"]]).status_code == 303
    # axe is injected by the test, so the page's own CSP (script-src 'self') is bypassed here only.
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, user)
    page.goto(f"/showtimes/{showtime.id}")
    seat(page, "E10").check()
    expect(page.locator("#seat-summary")).to_contain_text("E10")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("axe.run(document, {resultTypes: ['violations']})"
                               ".then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length,"
                               " v.nodes[0].target.join(' ')]))")
    assert [v for v in violations if v[1] in ("serious", "critical")] == []
    context.close()


def test_pairs_tick_together_with_javascript_and_are_refused_split_without(browser, base_url, big_map):
    showtime, seats, user = big_map  # J5+J6 a couple seat; A3 the companion of wheelchair space A2
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, user)
    page.goto(f"/showtimes/{showtime.id}")
    seat(page, "J6").check()
    expect(seat(page, "J5")).to_be_checked()
    seat(page, "A3").check()
    expect(seat(page, "A2")).to_be_checked()
    seat(page, "A2").uncheck()  # the space goes, and its companion with it
    expect(seat(page, "A3")).not_to_be_checked()
    expect(page.locator("#seat-summary")).to_contain_text("J5")
    page.locator("#hold-button").click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    expect(page.locator("main")).to_contain_text("J6")
    context.close()

    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, user)
    page.goto(f"/showtimes/{showtime.id}")
    seat(page, "J9").check()  # J9+J10: only half of it
    page.locator("#hold-button").click()
    expect(page.locator("body")).to_contain_text("J9 and J10 are a couple seat, sold as a pair")
    context.close()


def test_without_javascript_the_phone_bar_does_not_say_no_seats_once_some_are_ticked(
        browser, base_url, app_ctx):
    showtime, seats = setup_showtime()
    context = browser.new_context(base_url=base_url, java_script_enabled=False,
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"/showtimes/{showtime.id}")
    # The help read with the map names the keys that work without JavaScript.
    assert "Tab moves from seat to seat" in page.locator("#seat-map-help").inner_text()
    assert "Arrow keys" not in page.locator("#seat-map-help").inner_text()
    none, some = page.get_by_text("No seats chosen"), page.get_by_text("Seats ticked: hold them")
    expect(none).to_be_visible()
    expect(some).to_be_hidden()
    seat(page, "B2").check(force=True)
    expect(none).to_be_hidden()
    expect(some).to_be_visible()
    context.close()
