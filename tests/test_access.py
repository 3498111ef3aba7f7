"""Role checks, proved by walking the whole URL map."""
from __future__ import annotations

import re

import pytest

from cinema.models import UserRole
from tests.factories import gen_user, login

STAFF_OPEN_PREFIXES = ("/admin/reports/",)  # docs/ARCHITECTURE.md: reports are open to STAFF
PROTECTED_PREFIXES = ("/admin", "/staff", "/bookings", "/account")


def concrete_routes(app, prefixes):
    """(method, url) for every rule under ``prefixes``, path arguments filled with 1."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefixes):
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{argument}>", "1", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, url))
    assert routes, f"no routes under {prefixes}"
    return routes


def call(client, method, url, **kwargs):
    return client.open(url, method=method, **kwargs)


@pytest.fixture
def signed_in(app_ctx, app):
    def make(role):
        user = gen_user(role=role)
        client = app.test_client()
        assert login(client, user.email).status_code == 303
        return client

    return make


def test_every_admin_route_is_forbidden_to_users(app, signed_in):
    client = signed_in(UserRole.USER)
    for method, url in concrete_routes(app, ("/admin",)):
        assert call(client, method, url).status_code == 403, (method, url)


def test_every_admin_route_but_reports_is_forbidden_to_staff(app, signed_in):
    client = signed_in(UserRole.STAFF)
    for method, url in concrete_routes(app, ("/admin",)):
        status = call(client, method, url).status_code
        if url.startswith(STAFF_OPEN_PREFIXES):
            assert status != 403, (method, url)
        else:
            assert status == 403, (method, url)


def test_every_staff_route_is_forbidden_to_users(app, signed_in):
    client = signed_in(UserRole.USER)
    for method, url in concrete_routes(app, ("/staff",)):
        assert call(client, method, url).status_code == 403, (method, url)


def test_admins_reach_admin_and_staff_pages(app, signed_in):
    client = signed_in(UserRole.ADMIN)
    for url in ("/admin/", "/admin/users", "/staff/checkin", "/admin/reports/revenue"):
        assert client.get(url).status_code == 200, url


def test_every_protected_route_turns_away_anonymous_visitors(app, client):
    for method, url in concrete_routes(app, PROTECTED_PREFIXES) + [("POST", "/auth/logout")]:
        htmx = call(client, method, url, headers={"HX-Request": "true"})
        assert htmx.status_code == 401, (method, url)
        as_json = call(client, method, url, headers={"Accept": "application/json"})
        assert as_json.status_code == 401, (method, url)
        assert as_json.get_json()["error_code"] == "AUTH_REQUIRED"
        if method == "GET":
            browser = call(client, method, url)
            assert browser.status_code == 302, (method, url)
            assert "/auth/login?next=" in browser.headers["Location"], (method, url)


def test_admin_creates_staff_and_changes_roles(app, app_ctx, signed_in):
    from cinema.accounts.accounts import find_by_email

    admin = signed_in(UserRole.ADMIN)
    response = admin.post("/admin/users", data={
        "email": "door@lumen.example", "full_name": "Door Person", "password": "door-pass-1",
        "password_confirm": "door-pass-1", "role": "STAFF"})
    assert response.status_code == 303
    staff = find_by_email("door@lumen.example")
    assert staff.role is UserRole.STAFF
    response = admin.post(f"/admin/users/{staff.id}/role", data={"role": "ADMIN"})
    assert response.status_code == 303
    from cinema.extensions import db

    db.session.refresh(staff)
    assert staff.role is UserRole.ADMIN
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "door@lumen.example" in page
