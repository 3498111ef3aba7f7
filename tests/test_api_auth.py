"""The API's accounts and tokens: signup, admin signup, login, refresh rotation with reuse
detection, logout, and the 401/403 rules."""
from __future__ import annotations

import time

import sqlalchemy as sa

from cinema.accounts import accounts
from cinema.extensions import db
from cinema.models import RefreshToken, User, UserRole
from tests.api_helpers import api_login, assert_error, bearer, token_user
from tests.factories import PASSWORD, gen_user, login

SIGNUP = {"email": "ann@example.com", "full_name": "Ann Patron", "password": "long-enough-1"}


def test_user_signup_creates_a_user(app_ctx, client):
    response = client.post("/api/v1/auth/user/signup", json=SIGNUP)
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "ann@example.com" and body["role"] == "USER"
    assert "password" not in str(body)
    again = client.post("/api/v1/auth/user/signup", json=SIGNUP)
    assert_error(again, 409, "EMAIL_TAKEN")


def test_signup_validation_is_422_with_field_errors(app_ctx, client):
    response = client.post("/api/v1/auth/user/signup",
                           json={**SIGNUP, "password": "short", "email": "nope"})
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert set(body["field_errors"]) == {"password", "email"}


def test_admin_signup_requires_the_secret(app_ctx, client):
    wrong = client.post("/api/v1/auth/admin/signup", json={**SIGNUP, "admin_secret": "guess"})
    assert_error(wrong, 403, "FORBIDDEN")
    missing = client.post("/api/v1/auth/admin/signup", json=SIGNUP)
    assert_error(missing, 422, "VALIDATION_ERROR")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    right = client.post("/api/v1/auth/admin/signup", json={**SIGNUP, "admin_secret": "open-sesame"})
    assert right.status_code == 201 and right.get_json()["role"] == "ADMIN"


def test_login_returns_the_role_and_a_token_pair(app_ctx, client):
    staff = gen_user(role=UserRole.STAFF)
    body = api_login(client, staff.email)
    assert body["user"]["role"] == "STAFF" and body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["email"] == staff.email
    bad = client.post("/api/v1/auth/login", json={"email": staff.email, "password": "wrong-1234"})
    assert_error(bad, 401, "AUTH_REQUIRED")


def test_refresh_rotates_and_reuse_revokes_the_family(app_ctx, client):
    _, tokens, _ = token_user(app_ctx)
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    rotated = first.get_json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert client.get("/api/v1/auth/me", headers=bearer(rotated["access_token"])).status_code == 200
    # The old token shown again: theft. It fails, and so does the new one from then on.
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_error(reuse, 401, "INVALID_REFRESH_TOKEN")
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert_error(after, 401, "INVALID_REFRESH_TOKEN")


def test_refresh_tokens_are_stored_hashed(app_ctx, client):
    _, tokens, _ = token_user(app_ctx)
    stored = db.session.scalars(sa.select(RefreshToken.token_hash)).all()
    assert stored and tokens["refresh_token"] not in stored


def test_logout_revokes_the_refresh_family(app_ctx, client):
    _, tokens, _ = token_user(app_ctx)
    out = client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]),
                      json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_error(again, 401, "INVALID_REFRESH_TOKEN")


def test_missing_garbled_and_refresh_tokens_are_401(app_ctx, client):
    _, tokens, _ = token_user(app_ctx)
    assert_error(client.get("/api/v1/auth/me"), 401, "AUTH_REQUIRED")
    assert_error(client.get("/api/v1/auth/me", headers=bearer("garbage")), 401, "AUTH_REQUIRED")
    assert_error(client.get("/api/v1/auth/me", headers=bearer(tokens["refresh_token"])), 401,
                 "AUTH_REQUIRED")


def test_a_session_cookie_alone_is_401(app_ctx, client):
    user = gen_user()
    assert login(client, user.email).status_code == 303  # signed in to the HTML app
    assert_error(client.get("/api/v1/auth/me"), 401, "AUTH_REQUIRED")
    assert_error(client.post("/api/v1/bookings/hold", json={"showtime_id": 1, "seat_ids": [1]}),
                 401, "AUTH_REQUIRED")


def test_expired_access_token_is_401_token_expired(app_ctx, client):
    app = app_ctx
    app.config["API_ACCESS_TOKEN_SECONDS"] = 1
    try:
        _, tokens, _ = token_user(app_ctx)
    finally:
        app.config["API_ACCESS_TOKEN_SECONDS"] = 900
    # PyJWT compares whole seconds: the token is past its exp once two seconds have passed.
    time.sleep(2.1)
    assert_error(client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"])), 401,
                 "TOKEN_EXPIRED")


def test_deleted_or_demoted_user_loses_access_at_once(app_ctx, client):
    admin, tokens, _ = token_user(app_ctx, role=UserRole.ADMIN)
    other_admin = gen_user(role=UserRole.ADMIN)
    accounts.set_role(other_admin.id, admin.id, UserRole.USER)
    # The role change ended the sessions: the access token and the refresh token both die.
    assert_error(client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"])), 401,
                 "AUTH_REQUIRED")
    assert_error(client.post("/api/v1/auth/refresh",
                             json={"refresh_token": tokens["refresh_token"]}),
                 401, "INVALID_REFRESH_TOKEN")
    user, tokens, _ = token_user(app_ctx)
    db.session.get(User, user.id).is_deleted = True
    db.session.commit()
    assert_error(client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"])), 401,
                 "AUTH_REQUIRED")


def test_password_change_revokes_refresh_tokens(app_ctx, client):
    user, tokens, _ = token_user(app_ctx)
    accounts.change_password(db.session.get(User, user.id), PASSWORD, "a-new-password-9")
    assert_error(client.post("/api/v1/auth/refresh",
                             json={"refresh_token": tokens["refresh_token"]}),
                 401, "INVALID_REFRESH_TOKEN")


def test_the_api_needs_no_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post("/api/v1/auth/user/signup", json=SIGNUP)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 201
