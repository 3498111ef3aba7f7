"""One error handler: pages, HTMX partials and JSON bodies with error codes."""
from __future__ import annotations

from datetime import datetime

from cinema.models import UserRole
from tests.factories import gen_user, login

JSON = {"Accept": "application/json"}


def assert_error_body(response, status, code):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) >= {"status", "status_code", "detail", "error_code", "timestamp"}
    assert body["status"] == "error"
    assert body["status_code"] == status
    assert body["error_code"] == code
    assert body["detail"]
    datetime.strptime(body["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    return body


def test_missing_auth_is_401_with_the_structured_body(client):
    assert_error_body(client.get("/bookings/my", headers=JSON), 401, "AUTH_REQUIRED")


def test_wrong_role_is_403_with_the_structured_body(app_ctx, client):
    user = gen_user(role=UserRole.USER)
    login(client, user.email)
    assert_error_body(client.get("/admin/", headers=JSON), 403, "FORBIDDEN")
    page = client.get("/admin/")
    assert page.status_code == 403
    assert b"Not allowed" in page.data and b"<html" in page.data


def test_bad_input_is_422_with_field_errors(app_ctx, client):
    response = client.post("/auth/signup", headers=JSON, data={
        "email": "not-an-email", "full_name": "", "password": "short", "password_confirm": "x"})
    body = assert_error_body(response, 422, "VALIDATION_ERROR")
    assert set(body["errors"]) >= {"email", "full_name", "password", "password_confirm"}


def test_htmx_errors_are_partials_not_pages(client):
    response = client.get("/bookings/my", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert b"<html" not in response.data
    assert b'data-error-code="AUTH_REQUIRED"' in response.data


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert_error_body(client.get("/no/such/page", headers=JSON), 404, "NOT_FOUND")


def test_wrong_method_is_405_with_allow_header(client):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_unexpected_exception_is_a_friendly_500(app, database_url, redis_url, tmp_path):
    from cinema import create_app
    from tests.conftest import app_config

    fresh = create_app(app_config(database_url, redis_url, INSTANCE_PATH=str(tmp_path)))

    @fresh.get("/_test/boom")
    def boom():
        raise RuntimeError("kaboom")

    client = fresh.test_client()
    response = client.get("/_test/boom")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data
    assert b"kaboom" not in response.data
    assert_error_body(client.get("/_test/boom", headers=JSON), 500, "INTERNAL_ERROR")
