"""Browser regression tests for the visual findings of issue 16 that the staff and admin walk
(tests/test_browser_visual.py) does not reach: the cancel confirmation with JavaScript on and
off, the film filter selects at both widths, the box office's primary button, the reports'
Print button without JavaScript."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from cinema.extensions import db
from cinema.models import Genre, PaymentMethod, Reservation, ReservationStatus, UserRole, utcnow
from tests.factories import PASSWORD, gen_movie, gen_reservation, gen_showtime, gen_user, seats_of
from tests.screens import WIDTHS, clipped_selects, horizontal_overflow, screenshot

pytestmark = pytest.mark.browser


def sign_in(page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def test_cancel_asks_first_with_javascript_on_and_off(browser_page, app, request):
    with app.app_context():
        patron = gen_user(full_name="Cara Cancel")
        showtime = gen_showtime(starts_at=utcnow() + timedelta(days=2))
        reservation = gen_reservation(patron, showtime, seats_of(showtime.auditorium)[:2],
                                      payment_method=PaymentMethod.BOX_OFFICE)
        email, reservation_id = patron.email, reservation.id
    page = browser_page
    sign_in(page, email)
    page.goto(f"/bookings/{reservation_id}")
    page.get_by_role("button", name=re.compile("^Cancel booking")).click()
    expect(page.get_by_role("heading", name=re.compile(r"Cancel booking .*\?"))).to_be_visible()
    expect(page.get_by_text("Nothing has been paid, so nothing is refunded.")).to_be_visible()
    js = "js-on" if request.node.callspec.params["browser_page"] else "js-off"
    screenshot(page, f"cancel-confirm-{js}")
    with app.app_context():
        assert db.session.get(Reservation, reservation_id).status is ReservationStatus.CONFIRMED
    page.get_by_role("link", name="No, keep the booking").click()
    page.get_by_role("button", name=re.compile("^Cancel booking")).click()
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.get_by_text("Booking cancelled")).to_be_visible()
    with app.app_context():
        assert db.session.get(Reservation, reservation_id).status is ReservationStatus.CANCELLED


def test_film_filter_selects_show_their_choice_whole_at_both_widths(browser, base_url, app):
    """Each select shows its chosen option whole (the longest genre too) at every width, and on
    a phone the filters leave room for the first films on the first screen."""
    with app.app_context():
        fiction = Genre(name="Science Fiction", slug="science-fiction")
        gen_movie(title="Alpha", language="English", genres=[fiction])
        gen_movie(title="Beta", language="French")
    problems = []
    for width in (*WIDTHS, 375, 360):
        phone = width < 760  # a phone's scrollbars float over the page, as a phone's do
        context = browser.new_context(base_url=base_url, is_mobile=phone, has_touch=phone,
                                      viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto("/movies")
        expect(page.get_by_label("Language")).to_have_value("")
        screenshot(page, f"film-filters-{width}")
        problems += [f"{width}: {clipped}" for clipped in clipped_selects(page)]
        page.get_by_label("Genre").select_option("science-fiction")
        expect(page).to_have_url(re.compile("genre=science-fiction"))  # htmx has answered
        problems += [f"{width}, genre chosen: {clipped}" for clipped in clipped_selects(page)]
        if horizontal_overflow(page):
            problems.append(f"{width}: horizontal scroll")
        if width == 390 and page.locator("#movie-results").bounding_box()["y"] > 650:
            problems.append("390: the filters push the films below the first screen")
        context.close()
    assert not problems, problems


def test_at_the_box_office_selling_is_the_primary_action(browser, base_url, app):
    with app.app_context():
        staff = gen_user(role=UserRole.STAFF)
        showtime = gen_showtime(starts_at=utcnow() + timedelta(days=1))
        email, showtime_id = staff.email, showtime.id
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, email)
    page.goto(f"/showtimes/{showtime_id}")
    sell = page.get_by_role("button", name="Sell chosen seats (paid at counter)")
    expect(sell).to_have_class(re.compile(r"\bbtn-primary\b"))
    expect(page.locator("#hold-button")).not_to_have_class(re.compile(r"\bbtn-primary\b"))
    # Enter in the customer's email sells (it used to hold the seats as the clerk's booking).
    page.get_by_role("button", name="Find seats").click()
    expect(page.locator("#seat-summary")).to_contain_text("Total")
    page.get_by_label("Customer email").fill("enter.key@example.com")
    page.get_by_label("Customer email").press("Enter")
    expect(page.get_by_text(re.compile(r"^Sold 2 seats, booking"))).to_be_visible()
    context.close()


def test_the_reports_print_button_is_absent_without_javascript(browser_page, app, request):
    with app.app_context():
        admin = gen_user(role=UserRole.ADMIN)
        email = admin.email
    page = browser_page
    sign_in(page, email)
    page.goto("/admin/reports/revenue")
    button = page.get_by_role("button", name="Print", exact=True)
    if request.node.callspec.params["browser_page"]:
        expect(button).to_be_visible()
    else:
        expect(button).to_be_hidden()
