"""Signup -> login -> logout in real headless Chromium, with JavaScript on and off."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_signup_login_logout(browser_page, app):
    page = browser_page
    email = f"walker-{uuid.uuid4().hex[:6]}@example.com"
    page.goto("/")
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Full name").fill("Wanda Walker")
    page.get_by_label("Password", exact=True).fill("walking-pass-1")
    page.get_by_label("Confirm password").fill("walking-pass-1")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome, Wanda Walker")).to_be_visible()
    expect(page.locator(".whoami")).to_contain_text("User")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("walking-pass-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as Wanda Walker")).to_be_visible()
    page.get_by_role("link", name="My bookings").click()
    expect(page).to_have_url(re.compile(r"/bookings/my$"))
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
