"""/api/v1/admin: films, showtimes and bookings for ADMIN, through the admin services.

Every route here needs an ADMIN token (a test walks the URL map to prove it).
"""
from __future__ import annotations

from datetime import datetime, timezone

import marshmallow as ma
from flask import current_app, request, url_for
from marshmallow import fields, validate

from cinema.blueprints.api.bookings import BookingSchema
from cinema.blueprints.api.catalogue import MovieSchema
from cinema.blueprints.api.core import ApiBlueprint, api_user
from cinema.blueprints.api.schemas import (
    ID_CONVERTER,
    Id,
    PageArgs,
    Text,
    UtcDateTime,
    page_body,
    paged,
)
from cinema.blueprints.api.showtimes import ShowtimeSchema
from cinema.booking import admin_bookings
from cinema.catalogue import films
from cinema.models import ReservationStatus, UserRole, utcnow
from cinema.programme import cancellation, scheduling

blp = ApiBlueprint("api_admin", __name__, url_prefix="/api/v1/admin",
                   description="Administration (ADMIN only)")
admin_only = blp.auth(UserRole.ADMIN)


def _not_blank():
    return [validate.Regexp(r"\S", error="Must not be blank.")]


class MovieArgs(ma.Schema):
    title = Text(200, min_length=1, required=True, validate_also=_not_blank())
    synopsis = Text(4000, load_default="")
    duration_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(1, 600))
    age_rating = fields.String(required=True, validate=validate.OneOf(films.AGE_RATINGS))
    language = Text(40, min_length=1, load_default="English", validate_also=_not_blank())
    format = fields.String(load_default="2D", validate=validate.OneOf(films.FORMATS))
    release_date = fields.Date(allow_none=True, load_default=None)
    trailer_url = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"},
                             validate=validate.Length(max=500))
    genre_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=20))
    new_genres = fields.List(Text(60), load_default=list, validate=validate.Length(max=10))


class AdminMovieSchema(MovieSchema):
    is_deleted = fields.Boolean(required=True)


def _film_data(args: dict) -> films.FilmData:
    return films.FilmData(**args)


@blp.route("/movies", methods=["POST"])
@admin_only
@blp.arguments(MovieArgs)
@blp.response(201, AdminMovieSchema)
def create_movie(args):
    """Add a film."""
    return films.create_movie(_film_data(args), api_user().id)


@blp.route(f"/movies/<{ID_CONVERTER}:movie_id>", methods=["PUT"])
@admin_only
@blp.arguments(MovieArgs)
@blp.response(200, AdminMovieSchema)
def update_movie(args, movie_id: int):
    """Replace a film's details."""
    return films.update_movie(movie_id, _film_data(args), api_user().id)


@blp.route(f"/movies/<{ID_CONVERTER}:movie_id>", methods=["DELETE"])
@admin_only
@blp.response(200, AdminMovieSchema)
def delete_movie(movie_id: int):
    """Soft-delete a film (409 while it has showtimes to come)."""
    return films.delete_movie(movie_id, api_user().id, utcnow())


# Far-off instants are refused before any arithmetic on them (end time = start + duration).
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


class ShowtimeArgs(ma.Schema):
    movie_id = Id(required=True)
    auditorium_id = Id(required=True)
    starts_at = UtcDateTime(required=True, validate=validate.Range(EARLIEST, LATEST),
                            metadata={"description": "with a UTC offset"})
    base_price = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1_000_000),
                                metadata={"description": "cents"})


def _buffer() -> int:
    return current_app.config["CLEANING_BUFFER_MINUTES"]


@blp.route("/showtimes", methods=["POST"])
@admin_only
@blp.arguments(ShowtimeArgs)
@blp.response(201, ShowtimeSchema)
def create_showtime(args):
    """Schedule a showtime (409 SHOWTIME_CONFLICT when the auditorium is in use then)."""
    return scheduling.schedule_showtime(args["movie_id"], args["auditorium_id"],
                                        args["starts_at"], args["base_price"], _buffer(),
                                        utcnow(), api_user().id)


@blp.route(f"/showtimes/<{ID_CONVERTER}:showtime_id>", methods=["PUT"])
@admin_only
@blp.arguments(ShowtimeArgs)
@blp.response(200, ShowtimeSchema)
def update_showtime(args, showtime_id: int):
    """Move or reprice a future showtime (patrons with bookings are emailed a new time)."""
    return scheduling.update_showtime(showtime_id, args["movie_id"], args["auditorium_id"],
                                      args["starts_at"], args["base_price"], _buffer(), utcnow(),
                                      api_user().id)


class CancelArgs(ma.Schema):
    note = Text(300, load_default="")


class CancelledSchema(ma.Schema):
    showtime_id = fields.Integer(required=True)
    cancelled_bookings = fields.Integer(required=True)


@blp.route(f"/showtimes/<{ID_CONVERTER}:showtime_id>", methods=["DELETE"])
@admin_only
@blp.arguments(CancelArgs, location="query")
@blp.response(200, CancelledSchema)
def cancel_showtime(args, showtime_id: int):
    """Cancel a showtime: its bookings are cancelled and refunded, the patrons emailed."""
    cancelled = cancellation.cancel_showtime(showtime_id, api_user().id, utcnow(), args["note"])
    return {"showtime_id": showtime_id, "cancelled_bookings": len(cancelled)}


class BookingFilterArgs(PageArgs):
    movie_id = Id()
    showtime_id = Id()
    status = fields.String(validate=validate.OneOf([s.value for s in ReservationStatus]))
    date = fields.Date(metadata={"description": "the showtime's local day"})
    email = Text(254, load_default="")


class AdminBookingSchema(BookingSchema):
    user_id = fields.Integer(required=True)
    user_email = fields.Function(lambda r: r.user.email, required=True)


AdminBookingPage = paged(AdminBookingSchema, "AdminBookingPage")


@blp.route("/bookings", methods=["GET"])
@admin_only
@blp.arguments(BookingFilterArgs, location="query")
@blp.response(200, AdminBookingPage)
def list_bookings(args):
    """Every booking, newest first, filtered."""
    filters = admin_bookings.BookingFilters(
        movie_id=args.get("movie_id"), showtime_id=args.get("showtime_id"),
        status=ReservationStatus(args["status"]) if args.get("status") else None,
        day=args.get("date"), email=args["email"].strip().lower())
    result = admin_bookings.search(filters, args["page"], args["limit"])
    next_url = url_for("api_admin.list_bookings", **{**request.args.to_dict(),
                                                     "page": args["page"] + 1}) \
        if result.has_next else None
    return page_body(result.items, args["page"], args["limit"], result.total, next_url)


@blp.route(f"/bookings/<{ID_CONVERTER}:reservation_id>", methods=["GET"])
@admin_only
@blp.response(200, AdminBookingSchema)
def get_booking(reservation_id: int):
    """Any booking, with its seats and payment state."""
    return admin_bookings.detail(reservation_id).reservation
