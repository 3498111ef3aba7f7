"""Oversized bodies are a 413 answered like any other error, chunked or not."""
from __future__ import annotations

import http.client
from urllib.parse import urlsplit

TWENTY_MB = 20 * 1024 * 1024
CHUNK = 64 * 1024


def _post(base_url: str, total: int, headers: dict | None = None, chunked: bool = True):
    """POST an urlencoded form of ``total`` bytes to the login form, with Transfer-Encoding:
    chunked (no Content-Length) unless ``chunked`` is False; the (status, body) of the answer."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.putrequest("POST", "/auth/login")
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader(*(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", total)))
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    conn.endheaders()
    sent = 0
    try:
        while sent < total:
            data = (b"email=" + b"x" * (CHUNK - 6)) if sent == 0 else b"x" * CHUNK
            conn.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            sent += len(data)
        if chunked:
            conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before the whole body is sent
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, body


def test_a_chunked_20_mb_form_is_refused_with_413(live_server):
    status, body = _post(live_server, TWENTY_MB)
    assert status == 413
    assert "larger than this site accepts" in body and "<html" in body.lower()


def test_a_chunked_oversized_body_gets_json_when_json_is_asked_for(live_server):
    status, body = _post(live_server, TWENTY_MB, {"Accept": "application/json"})
    assert status == 413
    assert '"error_code":"TOO_LARGE"' in body.replace(" ", "")


def test_a_small_chunked_form_is_still_read(live_server):
    status, body = _post(live_server, CHUNK)
    assert status == 422  # parsed: an email of 64k "x" is not an address, nor a 413


def test_a_declared_20_mb_body_is_refused(live_server):
    status, _ = _post(live_server, TWENTY_MB, chunked=False)
    assert status == 413


def test_an_urlencoded_form_over_the_form_memory_limit_is_413(client, app):
    limit = app.config["MAX_FORM_MEMORY_SIZE"]
    assert limit and app.config["MAX_FORM_PARTS"] and app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/auth/login", data={"email": "x" * (limit + 1)})
    assert response.status_code == 413


def test_too_many_multipart_parts_is_413(client, app):
    fields = {f"f{n}": "1" for n in range(app.config["MAX_FORM_PARTS"] + 1)}
    response = client.post("/auth/login", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413
