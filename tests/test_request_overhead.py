"""What each request no longer redoes (issue 17) still answers as if it did: a remembered
session cookie is checked against its age every time, and settings() follows the config."""
from __future__ import annotations

from cinema import security
from cinema.settings import settings
from tests.booking_helpers import patron_client


def test_a_remembered_session_cookie_still_expires_and_a_tampered_one_is_refused(
        app, app_ctx, monkeypatch):
    _, client = patron_client(app)
    assert client.get("/account").status_code == 200  # verified, then remembered
    assert client.get("/account").status_code == 200  # remembered
    cookie = client.get_cookie("session")
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    later = security.time.time() + lifetime + 5
    monkeypatch.setattr(security.time, "time", lambda: later)
    assert client.get("/account").status_code == 302  # too old: signed out, to the login page
    monkeypatch.undo()
    client.set_cookie("session", cookie.value[:-2] + ("AA" if cookie.value[-2:] != "AA" else "BB"))
    assert client.get("/account").status_code == 302


def test_settings_follow_the_config_and_are_kept_while_it_is_unchanged(app, app_ctx,
                                                                       monkeypatch):
    first = settings()
    assert settings() is first
    monkeypatch.setitem(app.config, "SEAT_GAP_RULE", not first.seat_gap_rule)
    changed = settings()
    assert changed is not first and changed.seat_gap_rule is not first.seat_gap_rule
    monkeypatch.setitem(app.config, "MAX_SEATS_PER_HOLD", first.max_seats_per_hold + 1)
    assert settings().max_seats_per_hold == first.max_seats_per_hold + 1
    monkeypatch.undo()  # the app is the whole run's: put its config back, and see it back
    assert settings() == first
