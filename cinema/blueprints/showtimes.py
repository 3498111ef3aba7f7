"""A showtime's page, its live seat map and the price summary of a seat selection.

The seat map is a partial of the page: htmx refreshes it every few seconds with the patron's
current selection; an unchanged map is answered 204 (htmx polling, ``?v=``) or 304 (ETag)
without rendering.
"""
from __future__ import annotations

from flask import Blueprint, make_response, request

from cinema.access import optional_user
from cinema.booking import best_available, seat_selection, seatmap
from cinema.catalogue import catalogue_query
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
    ticks the best N seats together (422 unless N is 1-10)."""
    best = None
    if request.args.get("best", "").strip():
        best = int_param(request.args, "best", 2, 1, best_available.MAX_PARTY)
    viewer = _viewer_id()
    return render("pages/showtimes/detail.html", "partials/_seat_map.html",
                  **_view(showtime_id, _requested_selection(), best),
                  waitlist_entry=line.own_entry(viewer, showtime_id) if viewer else None)


@bp.get("/<id:showtime_id>/seats")
def seats(showtime_id: int):
    """The seat map alone; 204/304 when nothing changed since the version the client has."""
    requested = _requested_selection()
    showtime = catalogue_query.get_showtime(showtime_id)
    version = seatmap.version(showtime, utcnow(), _viewer_id(), requested)
    if request.args.get("v") == version:
        return "", 204
    if request.if_none_match.contains_weak(version):
        response = make_response("", 304)
    else:
        response = render("partials/_seat_map.html", **_view(showtime_id, requested))
    response.set_etag(version, weak=True)
    response.vary.add("HX-Request")
    response.headers["Cache-Control"] = "no-cache, private"
    return response


@bp.get("/<id:showtime_id>/summary")
def summary(showtime_id: int):
    """Seats, line items and total of the current selection (priced by the server)."""
    return render("partials/_seat_summary.html",
                  **_view(showtime_id, _requested_selection() or []))
