"""In real headless Chromium, with JavaScript on and off: an admin builds an auditorium with the
layout generator, edits a seat, and schedules a series of showtimes."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from cinema.models import UserRole
from tests.factories import PASSWORD, gen_movie, gen_user

pytestmark = pytest.mark.browser


def test_admin_builds_an_auditorium_and_schedules_a_series(browser_page, app):
    page = browser_page
    with app.app_context():
        admin = gen_user(role=UserRole.ADMIN, full_name="Ada Admin")
        gen_movie("Paper Lanterns", duration_minutes=96)
        email = admin.email
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as Ada Admin")).to_be_visible()

    page.goto("/admin/")
    page.get_by_role("navigation", name="Admin sections").last.get_by_role(
        "link", name=re.compile("^Auditoriums")).click()
    page.get_by_role("link", name="New auditorium").click()
    page.get_by_label("Name", exact=True).fill("Screen 7")
    page.get_by_label("Rows", exact=True).fill("5")
    page.get_by_label("Seats per row").fill("8")
    page.get_by_label("Premium rows").fill("D-E")
    page.get_by_label("Aisles after seat numbers").fill("4")
    page.get_by_label("Wheelchair spaces").fill("A1, A8")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#layout-preview .seat-rows")
    expect(preview.locator(".seat-wheelchair")).to_have_count(2)
    expect(preview.locator(".seat-premium")).to_have_count(16)
    expect(preview.locator(".gap")).to_have_count(5)
    page.get_by_role("button", name="Create auditorium").click()

    expect(page.get_by_text("Created Screen 7 with 40 seats.")).to_be_visible()
    expect(page.get_by_role("heading", name="Seats of Screen 7")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile(r"^Seat B3,")).check()
    page.get_by_role("checkbox", name=re.compile(r"^Seat B4,")).check()
    page.get_by_label("Change").select_option("Block")
    page.get_by_role("button", name="Apply to selected seats").click()
    expect(page.get_by_text("Block: B3, B4.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Seat B3, Regular, blocked")).to_be_visible()

    page.get_by_role("navigation", name="Admin sections").last.get_by_role(
        "link", name="Showtimes", exact=True).click()
    page.get_by_role("link", name="Schedule a series").click()
    first = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=7)
    page.get_by_label("Film").select_option("Paper Lanterns")
    page.get_by_label("Auditorium").select_option("Screen 7")
    page.get_by_label("First day").fill(first.isoformat())
    page.get_by_label("Last day").fill((first + timedelta(days=2)).isoformat())
    page.get_by_label("Start times (local)").fill("14:00, 19:30")
    page.get_by_label("Base price").fill("11.50")
    page.get_by_role("button", name="Schedule the series").click()

    expect(page.get_by_text("Scheduled 6 showtimes of Paper Lanterns in Screen 7.")).to_be_visible()
    rows = page.locator("table.schedule-table tbody tr:not(.day-row)")
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("14:00–15:51")
    expect(rows.first).to_contain_text("£11.50")

    # A clash is refused in place, naming the showtime in the way.
    one = page.get_by_role("region", name="Schedule one showtime")
    one.get_by_label("Film").select_option("Paper Lanterns")
    one.get_by_label("Auditorium").select_option("Screen 7")
    one.get_by_label("Starts at (local time)").fill(f"{first.isoformat()}T15:00")
    one.get_by_label("Base price").fill("9")
    one.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.locator("#showtime-form .alert-error")).to_contain_text("Screen 7 is busy then")
    expect(page.locator("#showtime-form .alert-error")).to_contain_text("showtime #")
