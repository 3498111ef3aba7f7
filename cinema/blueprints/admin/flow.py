"""What the admin forms share: the clock, the cinema's zone, and the answer after a success.

A form posted by htmx gets ``HX-Redirect`` (htmx then loads the page, flash included); a
plain form post gets a 303 redirect. Both end on the same page.
"""
from __future__ import annotations

from datetime import datetime

from flask import flash, make_response, redirect, request, url_for
from flask_login import current_user

from cinema.clock import cinema_tz, to_local, utcnow
from cinema.programme.scheduling import local_to_utc
from cinema.rendering import wants_fragment


def now() -> datetime:
    return utcnow()


def actor_id() -> int:
    return current_user.id


def local_input_to_utc(value: datetime) -> datetime:
    """A naive local datetime from a form as aware UTC (DST gaps refused)."""
    return local_to_utc(value.date(), value.time(), cinema_tz())


def utc_to_local_input(value: datetime) -> datetime:
    """An aware UTC datetime as the naive local value a datetime-local input shows."""
    return to_local(value).replace(tzinfo=None)


def show_errors(form, error):
    """Put a service's field errors next to the form's fields (the form validated, the
    service then refused: e.g. a name in use, a clash). Returns ``form``."""
    for name, messages in (getattr(error, "field_errors", None) or {}).items():
        field = form._fields.get(name) if form is not None else None
        if field is not None:
            field.errors = [*field.errors, *[m for m in messages if m not in field.errors]]
    return form


def done(message: str, endpoint: str, **values):
    """Flash ``message`` and go to ``endpoint`` (303, or HX-Redirect for htmx)."""
    flash(message, "success")
    url = url_for(endpoint, **values)
    if wants_fragment() or request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
