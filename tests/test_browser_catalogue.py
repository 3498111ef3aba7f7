"""A visitor finds a film by typing part of its title and opens a showtime, in real Chromium:
with JavaScript the results update in place (no reload) and the URL follows the search;
without it the same form is a plain GET form."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from cinema.models import utcnow
from tests.factories import gen_auditorium, gen_movie, gen_showtime

pytestmark = pytest.mark.browser


@pytest.fixture
def films(app_ctx):
    screen = gen_auditorium(rows=2, seats_per_row=4)
    starts = (utcnow() + timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    orbital = gen_movie("Orbital Drift", format="IMAX")
    showtime = gen_showtime(orbital, screen, starts)
    for n, title in enumerate(["Paper Lanterns", "Quiet Hours", "Cold Harbour"]):
        gen_showtime(gen_movie(title), screen, starts + timedelta(hours=3 * (n + 1)))
    return {"showtime": showtime}


def test_active_search_updates_results_in_place_and_the_url(browser, base_url, films):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/movies")
    expect(page.locator("#movie-results")).to_contain_text("Paper Lanterns")
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("Title").press_sequentially("orbi", delay=40)

    results = page.locator("#movie-results")
    expect(results).not_to_contain_text("Paper Lanterns")
    expect(results).to_contain_text("Orbital Drift")
    expect(page).to_have_url(re.compile(r"/movies\?q=orbi$"))
    assert page.evaluate("window.__sameDocument") is True  # swapped, not reloaded

    results.locator("a.time-chip").first.click()
    expect(page).to_have_url(re.compile(rf"/showtimes/{films['showtime'].id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Orbital Drift")
    context.close()


def test_without_javascript_the_search_is_a_get_form(browser, base_url, films):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Films", exact=True).click()
    page.get_by_label("Title").fill("orbi")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"/movies\?q=orbi"))
    expect(page.locator("#movie-results")).not_to_contain_text("Paper Lanterns")
    page.locator("#movie-results a.time-chip").first.click()
    expect(page).to_have_url(re.compile(rf"/showtimes/{films['showtime'].id}$"))
    context.close()


def test_day_tabs_lead_to_a_showtime(browser, base_url, films):
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/showtimes")
    page.get_by_role("navigation", name="Choose a day").get_by_role("link", name=re.compile(
        "Tomorrow")).click()
    expect(page.get_by_role("link", name=re.compile("Tomorrow")).first).to_have_attribute(
        "aria-current", "page")
    page.get_by_role("link", name=re.compile("choose seats for Orbital Drift")).click()
    expect(page).to_have_url(re.compile(rf"/showtimes/{films['showtime'].id}$"))
    context.close()
