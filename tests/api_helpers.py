"""Helpers for API tests: sign up and sign in over /api/v1, bearer headers."""
from __future__ import annotations

from cinema.models import UserRole
from tests.factories import PASSWORD, gen_user


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def api_login(client, email: str, password: str = PASSWORD) -> dict:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def token_user(app, role=UserRole.USER):
    """(user, tokens, client) for a fresh user signed in over the API."""
    user = gen_user(role=role)
    client = app.test_client()
    return user, api_login(client, user.email), client


def assert_error(response, status: int, error_code: str) -> dict:
    body = response.get_json()
    assert response.status_code == status, body
    assert body["status"] == "error" and body["status_code"] == status
    assert body["error_code"] == error_code
    assert body["detail"] and body["timestamp"].endswith("Z")
    return body
