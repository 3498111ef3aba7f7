"""In real headless Chromium, with JavaScript on and off: an admin previews a pricing rule, and
a patron picks a Child ticket on the hold page and sees the price change."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from cinema.extensions import db
from cinema.models import PricingRule, UserRole
from tests.booking_helpers import setup_showtime
from tests.factories import PASSWORD, gen_user

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def sign_in(page, email):
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def test_admin_previews_a_rule_and_a_patron_picks_a_child_ticket(browser_page, app, request):
    page = browser_page
    js = request.node.callspec.id
    with app.app_context():
        db.session.execute(sa.delete(PricingRule))
        db.session.commit()
        showtime, seats = setup_showtime(starts_in=timedelta(days=3))
        showtime_id, seat_label = showtime.id, seats[0].label
        admin_email = gen_user(role=UserRole.ADMIN).email
        patron_email = gen_user().email
    sign_in(page, admin_email)
    page.goto("/admin/pricing")
    form = page.locator("form.price-rule-form")
    form.get_by_label("Name").fill("Busy")
    form.get_by_label("How much").fill("15")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#price-preview")).to_contain_text("£10.00 → £11.50")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"pricing-admin-{js}.png"), full_page=True)
    page.locator("form.price-rule-form").get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("Added pricing rule Busy.")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, patron_email)
    page.goto(f"/showtimes/{showtime_id}")
    page.get_by_role("checkbox", name=re.compile(f"^Row {seat_label[0]} seat {seat_label[1:]},")) \
        .check(force=True)
    page.get_by_role("button", name=re.compile("^Hold")).click()
    expect(page.get_by_text("Ticket types")).to_be_visible()
    page.get_by_label(re.compile(f"^{seat_label}")).select_option(label="Child (not for 15+ films)")
    page.get_by_role("button", name="Recalculate").click()
    # 10.00 + 15 % = 11.50; Child -25 % = -2.875, to the nearest cent -2.88: 8.62.
    expect(page.locator(".line-items-table")).to_contain_text("£8.62")
    expect(page.get_by_role("button", name=re.compile("^Pay £8.62"))).to_be_visible()
    page.screenshot(path=str(SHOTS / f"pricing-hold-{js}.png"), full_page=True)
