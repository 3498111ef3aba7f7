"""/api/v1/ticket-types: the ticket types a hold may name per seat (POST /bookings/hold's
``tickets``), with their effect and whether the door checks them."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from cinema.blueprints.api.core import ApiBlueprint
from cinema.pricing import price_book
from cinema.settings import settings

blp = ApiBlueprint("api_ticket_types", __name__, url_prefix="/api/v1/ticket-types",
                   description="Ticket types (Adult, Child, Senior, Student...)")


class TicketTypeSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True, metadata={"example": "Child"})
    percent = fields.Integer(allow_none=True, required=True,
                             metadata={"description": "signed percentage of the seat's price"})
    amount = fields.Integer(attribute="amount_cents", allow_none=True, required=True,
                            metadata={"description": "signed cents (when not a percentage)"})
    age_restricted = fields.Boolean(required=True, metadata={
        "description": "not sold for films rated `not_for_ratings_from` or above"})
    is_concession = fields.Boolean(required=True,
                                   metadata={"description": "the door checks ID or a card"})


class TicketTypeListSchema(ma.Schema):
    not_for_ratings_from = fields.String(required=True, metadata={"example": "15"})
    items = fields.List(fields.Nested(TicketTypeSchema), required=True)


@blp.route("", methods=["GET"])
@blp.response(200, TicketTypeListSchema)
def list_ticket_types():
    """The ticket types on sale, the default (Adult) first."""
    return {"not_for_ratings_from": settings().child_ticket_max_rating,
            "items": price_book.ticket_types()}
