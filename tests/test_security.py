"""Security headers, CSRF and the base layout."""
from __future__ import annotations

import pytest

from cinema import create_app
from tests.conftest import app_config


def test_security_headers_on_every_response(client):
    for url in ("/", "/auth/login", "/no/such/page", "/healthz"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_base_layout_has_csrf_meta_htmx_header_and_skip_link(client):
    page = client.get("/").get_data(as_text=True)
    assert '<meta name="csrf-token"' in page
    assert 'hx-headers=\'{"X-CSRFToken"' in page
    assert 'class="skip-link"' in page
    assert "vendor/htmx.min.js" in page
    assert "<script>" not in page  # nothing inline: CSP script-src 'self'


def test_htmx_never_writes_a_style_attribute_the_csp_would_refuse(client):
    """CSP style-src 'self' refuses style attributes set by script. htmx settles "style" by
    default (it copies the old element's style attribute onto its swapped-in twin, even an
    empty one), which Chromium reports as "Applying inline style violates..." with the hash of
    an empty string: the config leaves "style" out, and adds no indicator styles either."""
    import json
    import re

    page = client.get("/").get_data(as_text=True)
    config = json.loads(re.search(r'name="htmx-config" content=\'([^\']*)\'', page).group(1))
    assert "style" not in config["attributesToSettle"]
    assert config["includeIndicatorStyles"] is False


def test_htmx_is_served_from_static(client):
    response = client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200
    assert b"htmx" in response.data[:2000]


@pytest.fixture
def csrf_client(database_url, redis_url, app, tmp_path):
    csrf_app = create_app(app_config(database_url, redis_url, WTF_CSRF_ENABLED=True,
                                      INSTANCE_PATH=str(tmp_path)))
    return csrf_app.test_client()


def test_missing_csrf_token_is_a_clear_400_not_a_500(csrf_client):
    response = csrf_client.post("/auth/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert b"Please reload the page and try again" in response.data
    json = csrf_client.post("/auth/login", data={"email": "a@b.c"},
                            headers={"Accept": "application/json"})
    assert json.get_json()["error_code"] == "CSRF_FAILED"


def test_csrf_token_in_the_htmx_header_is_accepted(csrf_client):
    page = csrf_client.get("/auth/login").get_data(as_text=True)
    token = page.split('<meta name="csrf-token" content="')[1].split('"')[0]
    response = csrf_client.post("/auth/login", data={"email": "a@b.c", "password": "wrong-pass"},
                                headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 401  # past CSRF, refused on the credentials


def test_production_cookies_are_secure(database_url, redis_url, app, tmp_path, monkeypatch):
    monkeypatch.setenv("CINEMA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "prod-secret")
    from cinema.config import Config

    config = Config()
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
    assert config.SESSION_COOKIE_HTTPONLY


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("CINEMA_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_healthz_reports_database_and_redis(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True, "backend": "postgresql"}
    assert body["checks"]["redis"]["ok"] is True


def test_nul_characters_are_a_400_not_a_500(client):
    assert client.get("/movies", query_string={"q": "abc\x00def"}).status_code == 400
    response = client.post("/auth/login", data={"email": "a\x00@b.c", "password": "x"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error_code"] == "BAD_REQUEST"
