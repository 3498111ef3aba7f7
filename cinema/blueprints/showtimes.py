"""A showtime's page and its live seat map (the map is an HTMX partial of the page)."""
from __future__ import annotations

from flask import Blueprint

from cinema.access import optional_user
from cinema.models import utcnow
from cinema.rendering import render
from cinema.services import catalogue_query, seatmap

bp = Blueprint("showtimes", __name__, url_prefix="/showtimes")


def _context(showtime_id: int) -> dict:
    showtime = catalogue_query.get_showtime(showtime_id)
    user = optional_user()
    seat_map = seatmap.build(showtime, utcnow(), user.id if user else None)
    return dict(showtime=showtime, seat_map=seat_map)


@bp.get("/<int:showtime_id>")
def detail(showtime_id: int):
    """The showtime: film, auditorium, time, prices and the seat map."""
    return render("pages/showtimes/detail.html", "partials/_seat_map.html",
                  **_context(showtime_id))


@bp.get("/<int:showtime_id>/seats")
def seats(showtime_id: int):
    """The seat map alone (HTMX swaps it in and refreshes it)."""
    return render("partials/_seat_map.html", **_context(showtime_id))
