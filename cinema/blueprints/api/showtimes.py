"""/api/v1/showtimes: a day's programme, a showtime, its seats (with ETag), a film's times."""
from __future__ import annotations

import marshmallow as ma
from flask import make_response, request
from marshmallow import fields

from cinema.blueprints.api.core import ApiBlueprint
from cinema.blueprints.api.schemas import (
    ID_CONVERTER,
    Currency,
    Id,
    PageArgs,
    UtcDateTime,
    paged,
    slice_page,
)
from cinema.booking import seat_selection, seatmap
from cinema.catalogue import catalogue, catalogue_query
from cinema.clock import cinema_tz, local_today
from cinema.models import utcnow

blp = ApiBlueprint("api_showtimes", __name__, url_prefix="/api/v1/showtimes",
                   description="Showtimes and their seats")


class DayArgs(PageArgs):
    date = fields.Date(metadata={"description": "the cinema's local day; default today"})
    movie_id = Id()


class ShowtimeSchema(ma.Schema):
    id = fields.Integer(required=True)
    movie_id = fields.Integer(required=True)
    movie_title = fields.Function(lambda s: s.movie.title, required=True)
    auditorium_id = fields.Integer(required=True)
    auditorium_name = fields.Function(lambda s: s.auditorium.name, required=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    base_price = fields.Integer(attribute="base_price_cents", required=True,
                                metadata={"description": "cents, before seat-type and time rules"})
    currency = Currency()
    is_cancelled = fields.Boolean(required=True)


ShowtimePage = paged(ShowtimeSchema, "ShowtimePage")


class SeatStateSchema(ma.Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    row = fields.String(required=True)
    number = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"enum": ["REGULAR", "PREMIUM", "WHEELCHAIR",
                                                           "COUPLE"]})
    price = fields.Integer(required=True, metadata={"description": "cents, all rules applied"})
    state = fields.String(required=True, metadata={"enum": ["free", "held", "sold", "blocked"]})


class SeatMapSchema(ma.Schema):
    showtime_id = fields.Integer(required=True)
    currency = Currency()
    seats = fields.List(fields.Nested(SeatStateSchema), required=True)


@blp.route("", methods=["GET"])
@blp.arguments(DayArgs, location="query")
@blp.response(200, ShowtimePage)
def list_showtimes(args):
    """The showtimes of one local day still to start (cancelled ones marked), by start time."""
    now, tz = utcnow(), cinema_tz()
    movie_id = args.get("movie_id")
    if movie_id is not None:
        catalogue.get_movie(movie_id)
    given = args.get("date")
    day = catalogue.parse_day(given and given.isoformat(), local_today(now, tz))
    programme = catalogue.day_programme(day, now, tz, movie_id)
    showtimes = sorted((s for film in programme for s in film.showtimes),
                       key=lambda s: (s.starts_at, s.id))
    filters = {"date": day.isoformat(), **({"movie_id": movie_id} if movie_id else {})}
    return slice_page(showtimes, args, "api_showtimes.list_showtimes", **filters)


@blp.route(f"/movie/<{ID_CONVERTER}:movie_id>", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, ShowtimePage)
def movie_showtimes(args, movie_id: int):
    """Every upcoming showtime of one film, soonest first."""
    now = utcnow()
    movie = catalogue.get_movie(movie_id)
    days = catalogue.film_schedule(movie.id, now, cinema_tz())
    showtimes = [s for day in days for s in day.showtimes]
    return slice_page(showtimes, args, "api_showtimes.movie_showtimes", movie_id=movie_id)


@blp.route(f"/<{ID_CONVERTER}:showtime_id>", methods=["GET"])
@blp.response(200, ShowtimeSchema)
def get_showtime(showtime_id: int):
    """A showtime (cancelled ones too, marked)."""
    return catalogue_query.get_showtime(showtime_id)


def _seats(showtime, seat_map) -> list[dict]:
    prices = seat_selection.type_prices(showtime, seat_map, utcnow())
    return [{"id": cell.id, "label": cell.label, "row": cell.row_label, "number": cell.number,
             "type": cell.seat_type.value, "price": prices[cell.seat_type],
             "state": seatmap.HELD if cell.state == seatmap.MINE else cell.state}
            for row in seat_map.rows for cell in row.cells if cell]


@blp.route(f"/<{ID_CONVERTER}:showtime_id>/seats", methods=["GET"])
@blp.doc(parameters=[{"in": "header", "name": "If-None-Match", "required": False,
                      "schema": {"type": "string"}}])
@blp.response(200, SeatMapSchema)
@blp.alt_response(304, description="Not modified since the ETag given in If-None-Match")
def showtime_seats(showtime_id: int):
    """Every seat with its type, price and state; answers 304 while the ETag still holds."""
    now = utcnow()
    showtime = catalogue_query.get_showtime(showtime_id)
    state = seatmap.read_state(showtime, now)
    version = seatmap.version(showtime, now, None, None, state)
    if request.if_none_match.contains_weak(version):
        response = make_response("", 304)
        response.set_etag(version, weak=True)
        return response
    seat_map = seatmap.build(showtime, now, None, state)
    body = {"showtime_id": showtime.id, "seats": _seats(showtime, seat_map)}
    return body, 200, {"ETag": f'W/"{version}"', "Cache-Control": "no-cache"}
