"""Domain exceptions and the one handler that turns any error into a page, a partial or JSON.

Services raise these; routes never catch them. The handler answers
- JSON ``{"status", "status_code", "detail", "error_code", "timestamp"}`` when the client asks
  for JSON (``Accept: application/json`` preferred over HTML, or a JSON request body);
- the error partial for an HTMX request (htmx is configured to swap 4xx answers);
- otherwise a friendly error page, or, when the route said which form page to re-render,
  that page again with the message (see ``FormPageError``).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every expected failure: carries an HTTP status and a stable error code."""

    status_code = 400
    error_code = "BAD_REQUEST"
    default_detail = "The request could not be completed."

    def __init__(self, detail: str | None = None, *, field_errors: dict | None = None, **extra):
        super().__init__(detail or self.default_detail)
        self.detail = detail or self.default_detail
        self.field_errors = field_errors or {}
        self.extra = extra


class ValidationFailed(DomainError):
    status_code = 422
    error_code = "VALIDATION_ERROR"
    default_detail = "Some of the information given is not valid."


class NotFound(DomainError):
    status_code = 404
    error_code = "NOT_FOUND"
    default_detail = "We could not find that."


class Unauthorized(DomainError):
    status_code = 401
    error_code = "AUTH_REQUIRED"
    default_detail = "Please sign in to continue."


class Forbidden(DomainError):
    status_code = 403
    error_code = "FORBIDDEN"
    default_detail = "You do not have permission to do that."


class Conflict(DomainError):
    status_code = 409
    error_code = "CONFLICT"
    default_detail = "That conflicts with the current state."


class EmailTaken(Conflict):
    error_code = "EMAIL_TAKEN"
    default_detail = "An account with that email already exists."


class SeatAlreadyBooked(Conflict):
    error_code = "SEAT_BOOKED"
    default_detail = "One or more of those seats has already been sold."


class SeatAlreadyHeld(Conflict):
    error_code = "SEAT_HELD"
    default_detail = "One or more of those seats is being booked by someone else."


class HoldExpired(Conflict):
    error_code = "HOLD_EXPIRED"
    default_detail = "Your hold on these seats has expired. Please choose your seats again."


class ShowtimeConflict(Conflict):
    error_code = "SHOWTIME_CONFLICT"
    default_detail = "That auditorium is already in use at that time."


class InvalidState(Conflict):
    error_code = "INVALID_STATE"


class PaymentDeclined(DomainError):
    status_code = 402
    error_code = "PAYMENT_DECLINED"
    default_detail = "The payment was declined."


class RateLimited(DomainError):
    status_code = 429
    error_code = "RATE_LIMITED"
    default_detail = "Too many attempts. Please wait a minute and try again."


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
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
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
            "CSRF_FAILED",
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        detail = error.description if status != 404 else \
            "We could not find the page you were looking for."
        body, code = render_error(status, detail, HTTP_ERROR_CODES.get(status, "HTTP_ERROR"))
        headers = [(k, v) for k, v in error.get_headers() if k.lower() in ("allow", "retry-after")]
        return body, code, headers

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500, "Sorry, something went wrong. It has been logged and we will "
                            "look into it.", "INTERNAL_ERROR")
