"""Request bodies over the configured limits are a 413, whether or not they declare a length.

Werkzeug refuses a ``Content-Length`` over ``MAX_CONTENT_LENGTH`` at once, but a chunked body
(no length) is only cut off at the limit and parsed from what was read, so a 20 MB form would be
handled as a truncated 5 MB one; and an urlencoded form is read whole whatever
``MAX_FORM_MEMORY_SIZE`` says (that limit only applies to multipart fields). So:

- ``BodyLimit`` (WSGI middleware) reads a chunked body up to the limit before the app sees it;
  longer, it is dropped and the request marked, shorter, it is handed on with its length;
- ``refuse_oversized_bodies`` (before each request) answers a marked request, and an urlencoded
  form longer than ``MAX_FORM_MEMORY_SIZE``, with 413 through the usual error handler.
"""
from __future__ import annotations

import io

from flask import Flask, abort, request

TOO_LARGE = "cinema.body_too_large"
_READ_SIZE = 64 * 1024


class BodyLimit:
    """WSGI middleware: a body without Content-Length is read (at most ``limit`` + 1 bytes)
    and passed on with a length, or marked too large."""

    def __init__(self, wsgi_app, limit: int):
        self.wsgi_app, self.limit = wsgi_app, limit

    def __call__(self, environ, start_response):
        if not environ.get("CONTENT_LENGTH") and \
                "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = self._read(environ["wsgi.input"])
            if len(body) > self.limit:
                environ[TOO_LARGE] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.wsgi_app(environ, start_response)

    def _read(self, stream) -> bytes:
        parts, size = [], 0
        while size <= self.limit:
            part = stream.read(min(_READ_SIZE, self.limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        return b"".join(parts)


def init_app(app: Flask) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    if limit is not None:
        app.wsgi_app = BodyLimit(app.wsgi_app, limit)

    @app.before_request
    def refuse_oversized_bodies():
        form_limit = app.config.get("MAX_FORM_MEMORY_SIZE")
        if request.environ.get(TOO_LARGE) or (
                form_limit is not None
                and request.mimetype == "application/x-www-form-urlencoded"
                and (request.content_length or 0) > form_limit):
            abort(413, "The request is larger than this site accepts.")
