"""/api/v1/admin/auditoriums and /api/v1/admin/seats: layouts built in bulk, edited seat by
seat, through the same venue services as the admin pages (ADMIN only)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from cinema.blueprints.api.core import ApiBlueprint, api_user
from cinema.blueprints.api.schemas import ID_CONVERTER, Id, Text
from cinema.models import UserRole, utcnow
from cinema.programme import venues

blp = ApiBlueprint("api_admin_venues", __name__, url_prefix="/api/v1/admin",
                   description="Auditoriums and seat layouts (ADMIN only)")
admin_only = blp.auth(UserRole.ADMIN)

ROW_LETTER = validate.Regexp(r"^[A-Z]$", error="A row letter, A to Z.")


class PlaceSchema(ma.Schema):
    row = fields.String(required=True, validate=ROW_LETTER)
    number = fields.Integer(required=True, strict=True,
                            validate=validate.Range(1, venues.MAX_SEATS_PER_ROW))


class AuditoriumArgs(ma.Schema):
    name = Text(80, min_length=1, required=True,
                validate_also=[validate.Regexp(r"\S", error="Must not be blank.")])
    description = Text(300, load_default="")


class LayoutArgs(AuditoriumArgs):
    rows = fields.Integer(required=True, strict=True, validate=validate.Range(1, venues.MAX_ROWS))
    seats_per_row = fields.Integer(required=True, strict=True,
                                   validate=validate.Range(1, venues.MAX_SEATS_PER_ROW))
    premium_rows = fields.List(fields.String(validate=ROW_LETTER), load_default=list,
                               validate=validate.Length(max=venues.MAX_ROWS))
    couple_rows = fields.List(fields.String(validate=ROW_LETTER), load_default=list,
                              validate=validate.Length(max=venues.MAX_ROWS))
    aisles_after = fields.List(fields.Integer(strict=True, validate=validate.Range(
        1, venues.MAX_SEATS_PER_ROW)), load_default=list, validate=validate.Length(max=10))
    wheelchair = fields.List(fields.Nested(PlaceSchema), load_default=list,
                             validate=validate.Length(max=100))


class SeatSchema(ma.Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    row = fields.String(attribute="row_label", required=True)
    number = fields.Integer(required=True)
    type = fields.Function(lambda seat: seat.seat_type.value, required=True)
    is_blocked = fields.Boolean(required=True)
    is_deleted = fields.Boolean(required=True)


class AuditoriumSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    is_deleted = fields.Boolean(required=True)


class SeatListSchema(ma.Schema):
    seats = fields.List(fields.Nested(SeatSchema), required=True)


def _layout(args: dict) -> venues.LayoutSpec:
    return venues.LayoutSpec(
        rows=args["rows"], seats_per_row=args["seats_per_row"],
        premium_rows=args["premium_rows"], couple_rows=args["couple_rows"],
        aisles_after=args["aisles_after"],
        wheelchair=[(place["row"], place["number"]) for place in args["wheelchair"]])


@blp.route("/auditoriums", methods=["POST"])
@admin_only
@blp.arguments(LayoutArgs)
@blp.response(201, AuditoriumSchema)
def create_auditorium(args):
    """Create an auditorium with a generated layout (rows x seats, special rows, aisles)."""
    return venues.build_auditorium(args["name"], args["description"], _layout(args),
                                   api_user().id)


@blp.route(f"/auditoriums/<{ID_CONVERTER}:auditorium_id>", methods=["PUT"])
@admin_only
@blp.arguments(AuditoriumArgs)
@blp.response(200, AuditoriumSchema)
def update_auditorium(args, auditorium_id: int):
    """Rename or re-describe an auditorium."""
    return venues.update_auditorium(auditorium_id, args["name"], args["description"],
                                    api_user().id)


@blp.route(f"/auditoriums/<{ID_CONVERTER}:auditorium_id>", methods=["DELETE"])
@admin_only
@blp.response(200, AuditoriumSchema)
def delete_auditorium(auditorium_id: int):
    """Remove an auditorium with no showtimes to come (409 otherwise)."""
    return venues.delete_auditorium(auditorium_id, api_user().id, utcnow())


ACTION = fields.String(required=True, validate=validate.OneOf(list(venues.SEAT_ACTIONS)),
                       metadata={"description": "type:REGULAR|PREMIUM|WHEELCHAIR|COUPLE, block, "
                                                "unblock or remove"})


class SeatBatchArgs(ma.Schema):
    auditorium_id = Id(required=True)
    action = ACTION
    seat_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=1000))
    rows = fields.List(fields.String(validate=ROW_LETTER), load_default=list,
                       validate=validate.Length(max=venues.MAX_ROWS))


class SeatEditArgs(ma.Schema):
    action = ACTION


@blp.route("/seats/batch", methods=["POST"])
@admin_only
@blp.arguments(SeatBatchArgs)
@blp.response(200, SeatListSchema)
def change_seats(args):
    """Apply one action to many seats of an auditorium (by id and by whole rows); refused as a
    whole (409) if a seat is sold or held for a showtime to come."""
    seats = venues.change_seats(args["auditorium_id"], args["seat_ids"], args["action"],
                                api_user().id, utcnow(), rows=args["rows"])
    return {"seats": seats}


def _change_one(seat_id: int, action: str) -> dict:
    auditorium_id = venues.seat_auditorium_id(seat_id)
    return {"seats": venues.change_seats(auditorium_id, [seat_id], action, api_user().id,
                                         utcnow())}


@blp.route(f"/seats/<{ID_CONVERTER}:seat_id>", methods=["PUT"])
@admin_only
@blp.arguments(SeatEditArgs)
@blp.response(200, SeatListSchema)
def edit_seat(args, seat_id: int):
    """Change one seat: its type, blocked or not."""
    return _change_one(seat_id, args["action"])


@blp.route(f"/seats/<{ID_CONVERTER}:seat_id>", methods=["DELETE"])
@admin_only
@blp.response(200, SeatListSchema)
def remove_seat(seat_id: int):
    """Remove one seat from the layout (soft delete)."""
    return _change_one(seat_id, "remove")
