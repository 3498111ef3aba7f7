"""The one handler that turns any error into a page, a partial or JSON.

Services raise the domain exceptions of ``cinema.exceptions``; routes never catch them. The
handler answers
- JSON ``{"status", "status_code", "detail", "error_code", "timestamp"}`` when the client asks
  for JSON (``Accept: application/json`` preferred over HTML, or a JSON request body);
- the error partial for an HTMX request (htmx is configured to swap 4xx answers);
- otherwise a friendly error page, or, when the route said which form page to re-render,
  that page again with the message (see ``FormPageError``).
"""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from cinema import exceptions
from cinema.clock import utcnow
from cinema.exceptions import DomainError

log = logging.getLogger(__name__)


def __getattr__(name: str):
    # `from cinema.errors import NotFound` keeps working for branches written before the
    # exceptions moved to cinema.exceptions; new code imports them from there.
    try:
        return getattr(exceptions, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


# The codes of errors that are not domain exceptions (see docs/ERROR_CODES.md).
CSRF_FAILED = "CSRF_FAILED"
HTTP_ERROR = "HTTP_ERROR"  # an HTTP status without a code of its own below

HTTP_ERROR_CODES = {
    400: "BAD_REQUEST", 401: "AUTH_REQUIRED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "TOO_LARGE", 422: "VALIDATION_ERROR",
    429: "RATE_LIMITED", 500: "INTERNAL_ERROR",
}

FRIENDLY_TITLES = {
    400: "That request did not look right", 401: "Please sign in", 403: "Not allowed",
    404: "Page not found", 405: "Not allowed here", 409: "That could not be done",
    413: "That file is too large", 422: "Please check what you entered",
    429: "Slow down a little", 500: "Something went wrong on our side",
}


def is_api() -> bool:
    """A request to the JSON API (``/api/...``): always answered in JSON."""
    return request.path.startswith("/api/")


def wants_json() -> bool:
    if request.is_json or is_api():
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes["application/json"] > \
        request.accept_mimetypes["text/html"]


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def error_body(status: int, detail: str, error_code: str, **extra) -> dict:
    body = {
        "status": "error",
        "status_code": status,
        "detail": detail,
        "error_code": error_code,
        "timestamp": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    body.update(extra)
    return body


def render_error(status: int, detail: str, error_code: str, field_errors: dict | None = None,
                 **extra):
    """Answer an error in the form the client understands."""
    if wants_json():
        if field_errors:
            # The API's documented name is field_errors; the pages' JSON kept its older name.
            extra["field_errors" if is_api() else "errors"] = field_errors
        return jsonify(error_body(status, detail, error_code, **extra)), status
    context = dict(status=status, detail=detail, error_code=error_code,
                   title=FRIENDLY_TITLES.get(status, "Something went wrong"))
    if is_htmx():
        response = render_template("partials/_error.html", **context), status
    else:
        response = render_template("errors/error.html", **context), status
    return response


def on_error_render(page) -> None:
    """Ask the error handler to answer a DomainError raised later in this request with
    ``page(error)``: the form page again, with the error on it (browser and HTMX alike)."""
    g.error_page = page


def register_error_handlers(app: Flask) -> None:
    from cinema.extensions import db

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        page = g.pop("error_page", None)
        if page is not None and not wants_json():
            # The route named the form page to show again (see ``on_error_render``): the same
            # form, its values kept, with the message and the field errors on it.
            try:
                return page(error), error.status_code
            except DomainError as page_error:
                db.session.rollback()
                error = page_error  # the page itself cannot be shown (e.g. not yours): say so
        return render_error(error.status_code, error.detail, error.error_code,
                            error.field_errors, **error.extra)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        return render_error(
            400,
            "Your form expired or was sent from somewhere else. Please reload the page and "
            "try again.",
            CSRF_FAILED,
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        detail = error.description if status != 404 else \
            "We could not find the page you were looking for."
        body, code = render_error(status, detail, HTTP_ERROR_CODES.get(status, HTTP_ERROR))
        headers = [(k, v) for k, v in error.get_headers() if k.lower() in ("allow", "retry-after")]
        return body, code, headers

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500, "Sorry, something went wrong. It has been logged and we will "
                            "look into it.", "INTERNAL_ERROR")
