"""A showtime's page, its live seat map and the price summary of a seat selection.

The seat map is a partial of the page: htmx refreshes it every few seconds with the patron's
current selection; an unchanged map is answered 204 (htmx polling, ``?v=``) or 304 (ETag)
without rendering.
"""
from __future__ import annotations

from flask import Blueprint, make_response, request, session

from cinema.access import optional_user
from cinema.booking import best_available, seat_selection, seatmap
from cinema.exceptions import ValidationFailed
from cinema.forms.params import int_param
from cinema.models import utcnow
from cinema.rendering import render
from cinema.waitlist import line

bp = Blueprint("showtimes", __name__, url_prefix="/showtimes")


def _viewer_id() -> int | None:
    user = optional_user()
    return user.id if user else None


def _view(showtime_id: int, requested, best: int | None = None) -> dict:
    """The page's context as this viewer sees it now (booking/seat_selection.py)."""
    return seat_selection.showtime_view(showtime_id, _viewer_id(), utcnow(), requested, best=best)


def _requested_selection():
    """The seat ids the request carries, or None when it says nothing about a selection."""
    explicit = "seat_ids" in request.args or "sel" in request.args
    return request.args.getlist("seat_ids") if explicit else None


@bp.get("/<id:showtime_id>")
def detail(showtime_id: int):
    """The showtime: film, auditorium, time, prices and the seat map to pick from; ``?best=N``
    ticks the best N seats together; any other N is the page with a message beside the
    "Best available" form (422)."""
    best, best_error = None, None
    if request.args.get("best", "").strip():
        try:
            best = int_param(request.args, "best", 2, 1, best_available.MAX_PARTY)
        except ValidationFailed:
            best_error = (f"How many seats together? Please give a whole number from 1 to "
                          f"{best_available.MAX_PARTY}.")
    viewer = _viewer_id()
    return render("pages/showtimes/detail.html", "partials/_seat_map.html",
                  status=422 if best_error else 200,
                  **_view(showtime_id, _requested_selection(), best), best_error=best_error,
                  waitlist_entry=line.own_entry(viewer, showtime_id) if viewer else None)


@bp.get("/<id:showtime_id>/seats")
def seats(showtime_id: int):
    """The seat map alone; 204/304 when nothing changed since the version the client has,
    answered from Redis alone while the version remembered there still holds."""
    requested = _requested_selection()
    known = seatmap.recalled_version(showtime_id, utcnow(), _session_viewer_id(), requested)
    if known is not None and _client_has(known):
        return _validated(make_response("", 204 if request.args.get("v") == known else 304),
                          known)
    view = _view(showtime_id, requested)
    version = view["map_version"]
    if _client_has(version):
        return _validated(make_response("", 204 if request.args.get("v") == version else 304),
                          version)
    return _validated(render("partials/_seat_map.html", **view), version)


def _session_viewer_id() -> int | None:
    """The user the signed session cookie names, without loading them from the database: only
    to look up a remembered version, where a wrong guess costs a full render (a 204 or 304
    shows nothing). The full render loads and checks the user as every page does."""
    user_pk = str(session.get("_user_id") or "").partition(":")[0]
    return int(user_pk) if user_pk.isdigit() else None


def _client_has(version: str) -> bool:
    return request.args.get("v") == version or request.if_none_match.contains_weak(version)


def _validated(response, version: str):
    response.set_etag(version, weak=True)
    response.vary.add("HX-Request")
    response.headers["Cache-Control"] = "no-cache, private"
    return response


@bp.get("/<id:showtime_id>/summary")
def summary(showtime_id: int):
    """Seats, line items and total of the current selection (priced by the server)."""
    return render("partials/_seat_summary.html",
                  **_view(showtime_id, _requested_selection() or []))
