"""Accounts: signup, admin signup, login, logout, sessions, rate limits."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import redis as redis_lib
import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import User, UserRole
from tests.conftest import RUN_ID
from tests.factories import PASSWORD, gen_user, login

SIGNUP = {"email": "  New.Person@Example.COM ", "full_name": "New Person",
          "password": "s3cret-pass", "password_confirm": "s3cret-pass"}


def users(app):
    with app.app_context():
        return db.session.scalars(sa.select(User)).all()


def test_user_signup_creates_a_user_account_and_signs_in(app, client):
    response = client.post("/auth/signup", data=SIGNUP)
    assert response.status_code == 303
    [user] = users(app)
    assert user.email == "new.person@example.com"  # normalised
    assert user.role is UserRole.USER
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/bookings/my").status_code == 200


def test_signup_with_an_existing_email_in_other_case_is_refused(app, client):
    client.post("/auth/signup", data=SIGNUP)
    other = app.test_client()
    response = other.post("/auth/signup", data={**SIGNUP, "email": "NEW.PERSON@example.com"})
    assert response.status_code == 409
    assert b"already exists" in response.data
    assert len(users(app)) == 1


def test_signup_form_errors_rerender_the_form_with_422(app, client):
    response = client.post("/auth/signup", data={**SIGNUP, "password_confirm": "different"})
    assert response.status_code == 422
    assert b"The two passwords do not match." in response.data
    assert b'value="  New.Person@Example.COM "' in response.data or b"New.Person" in response.data
    assert users(app) == []


def test_admin_signup_requires_the_secret(app, client):
    data = {**SIGNUP, "admin_secret": "wrong"}
    response = client.post("/auth/admin/signup", data=data)
    assert response.status_code == 403
    assert b"admin signup secret is not correct" in response.data
    assert users(app) == []

    response = client.post("/auth/admin/signup", data={**SIGNUP})  # missing secret
    assert response.status_code == 422
    assert users(app) == []

    response = client.post("/auth/admin/signup", data={**SIGNUP, "admin_secret": "open-sesame"})
    assert response.status_code == 303
    [user] = users(app)
    assert user.role is UserRole.ADMIN


def test_admin_signup_is_closed_when_no_secret_is_configured(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ADMIN_SIGNUP_SECRET", None)
    response = client.post("/auth/admin/signup", data={**SIGNUP, "admin_secret": ""})
    assert response.status_code in (403, 422)
    assert users(app) == []


def test_login_shows_who_is_signed_in_and_their_role(app_ctx, client):
    user = gen_user(role=UserRole.STAFF, full_name="Sam Staff")
    response = login(client, user.email)
    assert response.status_code == 303
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Sam Staff" in page
    assert "STAFF" in page


def test_bad_credentials_get_one_generic_message(app_ctx, client):
    user = gen_user()
    wrong_password = login(client, user.email, "not-the-password")
    unknown_email = login(client, "nobody@example.com", "whatever-123")
    assert wrong_password.status_code == unknown_email.status_code == 401
    message = b"That email and password do not match an account."
    assert message in wrong_password.data and message in unknown_email.data


def test_login_redirects_only_to_local_next(app_ctx, client):
    user = gen_user()
    response = client.post("/auth/login?next=/bookings/my",
                           data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/bookings/my")
    client.post("/auth/logout")
    response = client.post("/auth/login?next=//evil.example/x",
                           data={"email": user.email, "password": PASSWORD})
    assert "evil.example" not in response.headers["Location"]


def test_logout_is_post_only_and_ends_other_sessions(app_ctx, app):
    user = gen_user()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user.email)
    login(phone, user.email)
    assert phone.get("/bookings/my").status_code == 200
    assert laptop.get("/auth/logout").status_code == 405
    assert laptop.post("/auth/logout").status_code == 303
    # The other device's session ended too.
    assert phone.get("/bookings/my").status_code == 302


def test_remember_me_cookie_stops_working_after_logout_elsewhere(app_ctx, app):
    user = gen_user()
    remembered = app.test_client()
    login(remembered, user.email, remember="y")
    cookie = remembered.get_cookie("remember_token")
    assert cookie is not None
    fresh = app.test_client()
    fresh.set_cookie("remember_token", cookie.value)
    assert fresh.get("/bookings/my").status_code == 200
    other = app.test_client()
    login(other, user.email)
    other.post("/auth/logout")
    stale = app.test_client()
    stale.set_cookie("remember_token", cookie.value)
    assert stale.get("/bookings/my").status_code == 302


def test_login_starts_a_new_session(app_ctx, client):
    user = gen_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, user.email)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_login_and_signup_are_rate_limited_per_client_and_per_email(app_ctx, app, monkeypatch):
    # A window no other test uses: counters are keyed by limit and client address (127.0.0.1 for
    # every test client), so a "per minute" limit would share its count with earlier tests' logins.
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "5 per day")
    user = gen_user()
    client = app.test_client()
    statuses = [login(client, user.email, "wrong-password").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    limited = login(client, user.email, "wrong-password")
    assert b"Too Many Requests" in limited.data or b"Slow down" in limited.data
    # Another client address is still limited for this email.
    other = app.test_client()
    response = other.post("/auth/login", data={"email": user.email, "password": "x" * 9},
                          environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 429


def test_rate_limit_counters_stay_under_each_apps_prefix_when_a_process_builds_two(
        database_url, redis_url):
    # Flask-Limiter keeps the key prefix of the first app bound to it. The fault suite builds an app
    # before the suite's own, so this run counted logins under that app's fixed prefix, which the
    # next run on the machine inherited for a day ("5 per day" answered 429 from the first try).
    prefix = f"cinematest-{RUN_ID}-two-apps"
    script = textwrap.dedent(f"""
        from cinema import create_app
        common = dict(REDIS_URL={redis_url!r}, RATELIMIT_STORAGE_URI={redis_url!r},
                      SQLALCHEMY_DATABASE_URI={database_url!r}, SECRET_KEY="x",
                      WTF_CSRF_ENABLED=False)
        create_app(dict(common, RATELIMIT_KEY_PREFIX="first-app", REDIS_PREFIX="first-app"))
        second = create_app(dict(common, RATELIMIT_KEY_PREFIX={prefix!r}, REDIS_PREFIX={prefix!r}))
        second.test_client().post("/auth/login", data={{"email": "two-apps@example.com",
                                                       "password": "wrong-password"}})
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    keys = [key.decode() for key in redis_lib.Redis.from_url(redis_url).scan_iter("*two-apps@*")]
    assert keys and all(f"{prefix}/" in key for key in keys), keys
