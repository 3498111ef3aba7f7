"""A patron joins the waitlist of a sold-out showtime in real Chromium (JavaScript on: htmx
swaps the section for the place in line; off: a plain form post), sees their place in line;
when another booking is cancelled the seats are held for them and their waitlist page links
to paying."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cinema.booking import booking
from cinema.models import UserRole, utcnow
from tests.factories import (
    gen_auditorium,
    gen_movie,
    gen_reservation,
    gen_showtime,
    gen_user,
    seats_of,
)
from tests.screens import screenshot
from tests.test_browser_reviews import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def full_house(app_ctx):
    screen = gen_auditorium(rows=1, seats_per_row=2)
    showtime = gen_showtime(gen_movie("Paper Lanterns"), screen)
    sold = gen_reservation(gen_user(), showtime, seats_of(screen))
    return showtime, sold, gen_user(), gen_user(role=UserRole.ADMIN)


def test_join_the_waitlist_and_get_the_cancelled_seats(request, browser_page, full_house):
    page, javascript = browser_page, request.node.callspec.params["browser_page"]
    showtime, sold, patron, admin = full_house
    sign_in(page, patron.email)
    page.goto(f"/showtimes/{showtime.id}")
    join = page.locator(".waitlist-join")
    expect(join).to_contain_text("Sold out: join the waitlist")
    expect(page.get_by_role("button", name="Find seats")).to_have_count(0)  # none to find
    screenshot(page, f"waitlist-sold-out-{'js' if javascript else 'no-js'}")
    join.get_by_label("Seats wanted").fill("2")
    join.get_by_role("button", name="Join the waitlist").click()

    if javascript:  # htmx swaps the section for the place in line; the page stays
        expect(join).to_contain_text("You are on the waitlist")
        expect(join).to_contain_text("number 1 in line")
        expect(page).to_have_url(re.compile(rf"/showtimes/{showtime.id}$"))
        join.screenshot(path="/tmp/patrons-waitlist-joined.png")
        page.get_by_role("link", name="Your waitlists").click()
    expect(page).to_have_url(re.compile(r"/account/waitlist$"))
    expect(page.locator("main")).to_contain_text("Number 1 in line")
    page.screenshot(path=f"/tmp/patrons-waitlist-{javascript}.png", full_page=True)

    booking.cancel_booking(sold.id, admin.id, utcnow(), by_admin=True)
    page.reload()
    expect(page.locator("main")).to_contain_text("Seats held for you")
    page.get_by_role("link", name="pay now").click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    expect(page.locator("main")).to_contain_text("Paper Lanterns")
