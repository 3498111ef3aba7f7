"""With CSRF protection on, as in production: plain form posts carry the hidden field and htmx
requests carry the X-CSRFToken header, so every flow still works in a real browser."""
from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from cinema import create_app
from cinema.models import UserRole
from tests.booking_helpers import setup_showtime
from tests.conftest import app_config
from tests.factories import PASSWORD, gen_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def csrf_server(app, database_url, redis_url, tmp_path_factory):
    protected = create_app(app_config(database_url, redis_url, WTF_CSRF_ENABLED=True,
                                      INSTANCE_PATH=str(tmp_path_factory.mktemp("csrf"))))
    server = make_server("127.0.0.1", 0, protected, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def sign_in(page, email):
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".whoami")).to_be_visible()


def test_booking_and_admin_htmx_forms_pass_csrf(browser, csrf_server, app_ctx):
    showtime, _ = setup_showtime()
    patron = gen_user(full_name="Pat Protected")
    admin = gen_user(role=UserRole.ADMIN)
    context = browser.new_context(base_url=csrf_server)
    page = context.new_page()

    sign_in(page, patron.email)
    page.goto(f"/showtimes/{showtime.id}")
    page.get_by_role("checkbox", name=re.compile(r"Row A seat 1,")).check()
    expect(page.locator("#seat-summary")).to_contain_text("A1")  # htmx GET
    page.get_by_role("button", name="Hold these seats").click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    page.get_by_role("button", name="Release these seats").click()
    expect(page.get_by_text("Seats released")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, admin.email)
    page.goto("/admin/auditoriums/new")
    page.get_by_label("Name", exact=True).fill("Screen CSRF")
    page.get_by_label("Rows", exact=True).fill("3")
    page.get_by_label("Seats per row").fill("5")
    page.get_by_role("button", name="Preview").click()  # htmx POST with the header
    expect(page.locator("#layout-preview .seat-rows .seat")).to_have_count(15)
    page.get_by_role("button", name="Create auditorium").click()
    expect(page.get_by_text("Created Screen CSRF with 15 seats.")).to_be_visible()
    expect(page.get_by_text("Please reload the page")).to_have_count(0)
    context.close()
