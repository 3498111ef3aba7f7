"""A patron saves a film from the film list in real Chromium, with JavaScript on (the button
is swapped in place) and off (the form posts and the list reloads where it was), then finds
it on their wishlist with its next showtime, and forgets it from the film's page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from cinema.models import utcnow
from tests.factories import gen_auditorium, gen_movie, gen_showtime, gen_user
from tests.test_browser_reviews import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def films(app_ctx):
    screen = gen_auditorium(rows=1, seats_per_row=4)
    starts = (utcnow() + timedelta(days=2)).replace(hour=19, minute=30, second=0, microsecond=0)
    harbour = gen_movie("Cold Harbour")
    gen_showtime(harbour, screen, starts)
    gen_movie("Paper Lanterns")
    return harbour, gen_user()


def test_save_a_film_and_find_it_on_the_wishlist(request, browser_page, films):
    page, javascript = browser_page, request.node.callspec.params["browser_page"]
    harbour, patron = films
    sign_in(page, patron.email)
    page.goto("/movies?q=harbour")
    if javascript:
        page.evaluate("window.__sameDocument = true")
    card = page.locator(".film-card", has_text="Cold Harbour")
    card.get_by_role("button", name="Save Cold Harbour").click()

    expect(card.get_by_role("button", name="Saved Cold Harbour")).to_have_attribute(
        "aria-pressed", "true")
    if javascript:
        assert page.evaluate("window.__sameDocument") is True
    else:
        expect(page).to_have_url(re.compile(r"/movies\?q=harbour$"))

    page.get_by_role("link", name="Wishlist", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your wishlist")
    saved = page.locator(".film-card", has_text="Cold Harbour")
    expect(saved.locator("a.time-chip")).to_have_count(1)
    expect(page.locator(".film-grid")).not_to_contain_text("Paper Lanterns")
    page.screenshot(path=f"/tmp/patrons-wishlist-{javascript}.png", full_page=True)

    saved.get_by_role("link", name="Cold Harbour").first.click()
    page.get_by_role("button", name="Saved Cold Harbour").click()
    expect(page.get_by_role("button", name="Save Cold Harbour")).to_have_attribute(
        "aria-pressed", "false")
    page.goto("/account/wishlist")
    expect(page.locator("main")).to_contain_text("You have not saved any films yet")
