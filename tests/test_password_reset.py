"""Password reset by emailed link (no account enumeration; signed, one hour, once), and the
account page."""
from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy

import sqlalchemy as sa

from cinema.accounts import password_reset
from cinema.extensions import db
from cinema.models import OutboxEmail, User, utcnow
from tests.factories import PASSWORD, gen_user, login

NEW_PASSWORD = "brand-new-pass-9"


def outbox(kind):
    return db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == kind)).all()


def link_in(row) -> str:
    message = email.message_from_bytes(row.message, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/auth/reset/\S+", text).group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_the_answer_is_the_same_whether_or_not_the_account_exists(app_ctx, client):
    user = gen_user()
    known = client.post("/auth/reset", data={"email": user.email.upper()})
    unknown = client.post("/auth/reset", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    [row] = outbox("password_reset")
    assert row.to_address == user.email
    page = client.get(known.headers["Location"]).get_data(as_text=True)
    assert "If an account exists for that address" in page


def test_the_link_sets_a_new_password_ends_every_session_and_works_once(app, client):
    # No app context around the requests: each request loads its signed-in user afresh.
    with app.app_context():
        email_address = gen_user().email
    other_device = app.test_client()
    login(other_device, email_address)
    assert other_device.get("/account").status_code == 200

    client.post("/auth/reset", data={"email": email_address})
    with app.app_context():
        link = path_of(link_in(outbox("password_reset")[0]))
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD,
                                       "password_confirm": NEW_PASSWORD})
    assert response.status_code == 303

    assert other_device.get("/account").status_code == 302  # signed out everywhere
    assert login(app.test_client(), email_address, PASSWORD).status_code == 401
    assert login(app.test_client(), email_address, NEW_PASSWORD).status_code == 303

    reused = client.post(link, data={"password": "another-pass-1",
                                     "password_confirm": "another-pass-1"})
    assert reused.status_code == 400 and b"RESET_LINK_INVALID" in reused.data
    assert client.get(link).status_code == 400


def test_an_expired_link_is_refused(app_ctx, client):
    user = gen_user()
    token = password_reset.make_token(user, utcnow() - timedelta(hours=1, minutes=1))
    response = client.get(f"/auth/reset/{token}")
    assert response.status_code == 400 and b"RESET_LINK_EXPIRED" in response.data
    response = client.post(f"/auth/reset/{token}", data={"password": NEW_PASSWORD,
                                                        "password_confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert login(client, user.email, PASSWORD).status_code == 303  # unchanged


def test_a_tampered_link_is_refused(app_ctx, client):
    user = gen_user()
    victim = gen_user()
    token = password_reset.make_token(user, utcnow())
    payload, _, signature = token.partition(".")
    # Point the token at another account, keeping the signature: the signature no longer fits.
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data[0] = victim.id
    forged = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()) \
        .decode().rstrip("=") + "." + signature
    for bad in (forged, token[:-2], token + "x"):
        response = client.post(f"/auth/reset/{bad}", data={"password": NEW_PASSWORD,
                                                           "password_confirm": NEW_PASSWORD})
        assert response.status_code == 400, bad
        assert b"RESET_LINK_INVALID" in response.data
    assert login(client, victim.email, PASSWORD).status_code == 303


def test_the_account_page_changes_name_email_and_password(app, client):
    with app.app_context():
        user_id, email_address = (lambda u: (u.id, u.email))(gen_user(full_name="Old Name"))
        gen_user(email="taken@example.com")
    login(client, email_address)
    other_device = app.test_client()
    login(other_device, email_address)

    assert b"Old Name" in client.get("/account").data
    response = client.post("/account/profile", data={"full_name": "New Name",
                                                      "email": email_address})
    assert response.status_code == 303

    # A new email needs the current password.
    refused = client.post("/account/profile", data={"full_name": "New Name",
                                                    "email": "new@example.com"})
    assert refused.status_code == 422
    assert client.post("/account/profile", data={
        "full_name": "New Name", "email": "new@example.com",
        "current_password": PASSWORD}).status_code == 303
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.full_name, user.email) == ("New Name", "new@example.com")
    assert client.post("/account/profile", data={
        "full_name": "New Name", "email": "TAKEN@example.com",
        "current_password": PASSWORD}).status_code == 409

    wrong = client.post("/account/password", data={
        "pw-current_password": "wrong", "pw-password": NEW_PASSWORD,
        "pw-password_confirm": NEW_PASSWORD})
    assert wrong.status_code == 422
    response = client.post("/account/password", data={
        "pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD,
        "pw-password_confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert client.get("/account").status_code == 200  # this session goes on
    assert other_device.get("/account").status_code == 302  # the other one ended
    assert login(app.test_client(), "new@example.com", NEW_PASSWORD).status_code == 303


def test_reset_requests_are_rate_limited_like_logins(app, monkeypatch):
    import uuid

    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "3 per minute")
    # A fresh client address and email: the counters of other tests cannot interfere.
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    address = f"limited-{uuid.uuid4().hex[:8]}@example.com"
    answers = [client.post("/auth/reset", data={"email": address}).status_code
               for _ in range(4)]
    assert answers == [303, 303, 303, 429]
