"""Links in emails come from SITE_URL, never from the request's Host header; production refuses
to start without SITE_URL."""
from __future__ import annotations

import email
import re
from email import policy

import pytest
import sqlalchemy as sa

from cinema import create_app
from cinema.config import DEVELOPMENT_SITE_URL, Config
from cinema.extensions import db
from cinema.models import OutboxEmail, UserRole
from tests.booking_helpers import APPROVE, hold, setup_showtime
from tests.factories import PASSWORD, gen_user

SITE = "https://tickets.lumen.example"
EVIL = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def site_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", SITE)
    return SITE


def links_in(kind: str) -> list[str]:
    rows = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == kind)).all()
    assert rows, kind
    links = []
    for row in rows:
        message = email.message_from_bytes(row.message, policy=policy.default)
        for part in ("plain", "html"):
            links += re.findall(r"https?://[^\s\"<>]+", message.get_body((part,)).get_content())
    return links


def evil_client(app, role=UserRole.USER):
    """Signed in through the hostile Host, so the session cookie goes with every request."""
    client = app.test_client()
    response = client.post("/auth/login", headers=EVIL,
                           data={"email": gen_user(role=role).email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def assert_on_site(links: list[str], site: str = SITE) -> None:
    assert links
    for link in links:
        assert "evil.example" not in link
        if "lumen.example" in link or "127.0.0.1" in link:
            assert link.startswith(site + "/"), link


def test_password_reset_link_ignores_the_host_header(app_ctx, client, site_url):
    user = gen_user()
    response = client.post("/auth/reset", data={"email": user.email}, headers=EVIL)
    assert response.status_code == 303
    links = links_in("password_reset")
    assert_on_site(links)
    assert any(link.startswith(f"{SITE}/auth/reset/") for link in links)


def test_signup_and_booking_emails_ignore_the_host_header(app, app_ctx, site_url):
    client = app.test_client()
    client.post("/auth/signup", headers=EVIL, data={
        "email": "new@example.com", "full_name": "New Person",
        "password": "s3cret-pass", "password_confirm": "s3cret-pass"})
    assert_on_site(links_in("welcome"))

    showtime, seats = setup_showtime()
    patron = evil_client(app)
    location = hold(patron, showtime, seats[:1], headers=EVIL).headers["Location"]
    assert patron.post(f"{location}/confirm", data=APPROVE, headers=EVIL).status_code == 303
    links = links_in("booking_confirmed")
    assert_on_site(links)
    assert f"{SITE}{location}" in links


def test_development_links_use_the_configured_default_not_the_request(app, app_ctx):
    assert app.config["SITE_URL"] == DEVELOPMENT_SITE_URL
    staff = evil_client(app, UserRole.STAFF)
    showtime, seats = setup_showtime()
    staff.post("/staff/box-office/sell", headers=EVIL, data={
        "showtime_id": showtime.id, "seat_ids": [seats[0].id],
        "customer_email": "walk.in@example.com", "customer_name": "Wally In"})
    assert_on_site(links_in("booking_confirmed"), DEVELOPMENT_SITE_URL)


def _production(monkeypatch, **env):
    monkeypatch.setenv("CINEMA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "prod-secret")
    monkeypatch.delenv("SITE_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_production_refuses_to_start_without_site_url(monkeypatch, tmp_path):
    _production(monkeypatch, INSTANCE_PATH=str(tmp_path))
    assert Config().SITE_URL is None
    with pytest.raises(RuntimeError, match="SITE_URL must be set"):
        create_app()


@pytest.mark.parametrize("value", ["tickets.example.com", "ftp://tickets.example.com",
                                   "https://", "https://tickets.example.com/?x=1"])
def test_a_site_url_that_is_not_an_address_is_refused(monkeypatch, tmp_path, value):
    _production(monkeypatch, INSTANCE_PATH=str(tmp_path), SITE_URL=value)
    with pytest.raises(RuntimeError, match="http"):
        create_app()


def test_production_starts_with_site_url_and_development_needs_nothing(monkeypatch, tmp_path):
    _production(monkeypatch, INSTANCE_PATH=str(tmp_path), SITE_URL=SITE)
    assert create_app().config["SITE_URL"] == SITE
    for name in ("CINEMA_ENV", "SECRET_KEY", "SITE_URL"):
        monkeypatch.delenv(name)
    assert create_app().config["SITE_URL"] == DEVELOPMENT_SITE_URL
