"""/api/v1/bookings: hold seats, pay and confirm, cancel, the patron's bookings."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from cinema.blueprints.api.core import ApiBlueprint, api_user
from cinema.blueprints.api.schemas import (
    ID_CONVERTER,
    Currency,
    Id,
    PageArgs,
    Text,
    UtcDateTime,
    paged,
    slice_page,
)
from cinema.booking import (
    booking,
    booking_changes,
    bookings_query,
    exchange_holds,
    exchanges,
)
from cinema.models import utcnow

blp = ApiBlueprint("api_bookings", __name__, url_prefix="/api/v1/bookings",
                   description="Holds, payment, cancellation and history")


class HoldArgs(ma.Schema):
    showtime_id = Id(required=True, metadata={"example": 1})
    seat_ids = fields.List(Id(), required=True, validate=validate.Length(max=100),
                           metadata={"description": "each seat once; at most MAX_SEATS_PER_HOLD",
                                     "example": [1, 2]})
    tickets = fields.List(fields.Nested(lambda: SeatTicketArgs()), validate=validate.Length(max=100),
                          metadata={"description": "a ticket type id per seat (default: Adult)"})


class SeatTicketArgs(ma.Schema):
    seat_id = Id(required=True, metadata={"example": 1})
    ticket_type_id = Id(required=True, metadata={"example": 2})


class ConfirmArgs(ma.Schema):
    payment_method = fields.String(required=True, validate=validate.OneOf(["card", "box_office"]),
                                   metadata={"example": "card"})
    card_number = Text(40, metadata={"example": "4242 4242 4242 4242"})
    card_expiry = Text(10, metadata={"example": "12/34", "description": "MM/YY"})
    card_cvc = Text(10, metadata={"example": "123"})


class IdempotencyHeader(ma.Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key", validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{1,60}$"),
        metadata={"description": "the same key returns the same result, never a second charge"})


class LineItemSchema(ma.Schema):
    kind = fields.String(required=True, metadata={
        "enum": ["base", "seat_type", "rule", "ticket_type", "limit", "discount"]})
    name = fields.String(required=True, metadata={
        "description": "as before v1 had kinds: base, seat_type, discount, or the rule's or "
                       "ticket type's label", "example": "base"})
    label = fields.String(required=True, metadata={"description": "what the patron reads",
                                                   "example": "Base price"})
    amount = fields.Integer(required=True, metadata={"description": "cents; negative = off"})


class BookedSeatSchema(ma.Schema):
    id = fields.Function(lambda line: line.seat_id, required=True)
    label = fields.Function(lambda line: line.seat.label, required=True)
    type = fields.Function(lambda line: line.seat.seat_type.value, required=True)
    ticket_type = fields.Function(lambda line: line.ticket_type.name if line.ticket_type else None,
                                  allow_none=True, required=True, metadata={"example": "Adult"})
    line_items = fields.Method("_items", required=True)
    price = fields.Integer(attribute="price_cents", required=True,
                           metadata={"description": "cents: the sum of the line items"})

    def _items(self, line) -> list[dict]:
        """The items frozen at the hold (``cinema.pricing.engine``), then the promo discount."""
        items = [_item(item.kind.lower(), item.label, item.amount_cents) for item in line.items]
        if not items:  # a seat priced before line item rows existed: its columns
            items = [_item("base", "Base price", line.base_price_cents)]
            if line.seat_type_adjustment_cents:
                items.append(_item("seat_type", line.seat.seat_type.label,
                                   line.seat_type_adjustment_cents))
            if line.time_adjustment_cents:
                items.append(_item("rule", line.time_rule or "time", line.time_adjustment_cents))
        if line.discount_cents:
            items.append(_item("discount", "Promo code", -line.discount_cents))
        return items


# ``name`` keeps the meaning it had before line items had kinds (v1 changes only add fields).
_OLD_NAMES = {"base": "base", "seat_type": "seat_type", "discount": "discount"}


def _item(kind: str, label: str, amount: int) -> dict:
    return {"kind": kind, "name": _OLD_NAMES.get(kind, label), "label": label, "amount": amount}


class BookingSchema(ma.Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    status = fields.Function(lambda r: r.status.value, required=True,
                             metadata={"enum": ["HELD", "CONFIRMED", "COMPLETED", "CANCELLED"]})
    showtime_id = fields.Integer(required=True)
    expires_at = UtcDateTime(attribute="hold_expires_at", allow_none=True, required=True)
    confirmed_at = UtcDateTime(allow_none=True, required=True)
    cancelled_at = UtcDateTime(allow_none=True, required=True)
    paid = fields.Function(lambda r: r.paid_at is not None, required=True)
    payment_method = fields.Function(
        lambda r: r.payment_method.value if r.payment_method else None, allow_none=True)
    total_price = fields.Integer(attribute="total_price_cents", required=True,
                                 metadata={"description": "cents"})
    currency = Currency()
    seats = fields.List(fields.Nested(BookedSeatSchema), required=True)


BookingPage = paged(BookingSchema, "BookingPage")


def _booking_link(path: str, method: str, description: str) -> dict:
    """An OpenAPI link from a booking in a response body to one of its operations."""
    pointer = path.replace("/", "~1").replace("{", "%7B").replace("}", "%7D")
    return {"operationRef": f"#/paths/{pointer}/{method}", "description": description,
            "parameters": {"reservation_id": "$response.body#/id"}}


BOOKING_LINKS = {
    "confirm": _booking_link("/api/v1/bookings/{reservation_id}/confirm", "post", "Pay"),
    "cancel": _booking_link("/api/v1/bookings/{reservation_id}/cancel", "post", "Cancel"),
    "detail": _booking_link("/api/v1/bookings/{reservation_id}", "get", "The booking"),
}


@blp.route("/hold", methods=["POST"])
@blp.doc(responses={201: {"links": BOOKING_LINKS}})
@blp.auth()
@blp.arguments(HoldArgs)
@blp.response(201, BookingSchema)
def hold(args):
    """Hold seats of a showtime, all or nothing (409 if one is taken, 422 if invalid)."""
    tickets = {t["seat_id"]: t["ticket_type_id"] for t in args.get("tickets") or ()}
    return booking.hold_seats(api_user().id, args["showtime_id"], args["seat_ids"], now=utcnow(),
                              tickets=tickets)


@blp.route("/my", methods=["GET"])
@blp.auth()
@blp.arguments(PageArgs, location="query")
@blp.response(200, BookingPage)
def my_bookings(args):
    """The patron's bookings: upcoming soonest first, then past latest first."""
    upcoming, past = bookings_query.history_for(api_user().id)
    return slice_page([*upcoming, *past], args, "api_bookings.my_bookings")


@blp.route(f"/<{ID_CONVERTER}:reservation_id>", methods=["GET"])
@blp.auth()
@blp.response(200, BookingSchema)
def get_booking(reservation_id: int):
    """A booking of the caller's (STAFF and ADMIN see any); someone else's is 404."""
    user = api_user()
    return bookings_query.visible_to(reservation_id, user.id, user.is_staff)


@blp.route(f"/<{ID_CONVERTER}:reservation_id>/confirm", methods=["POST"])
@blp.auth()
@blp.arguments(IdempotencyHeader, location="headers")
@blp.arguments(ConfirmArgs)
@blp.response(200, BookingSchema)
def confirm(headers, args, reservation_id: int):
    """Pay for a held booking (card, or at the box office) and confirm it."""
    return booking.confirm_booking(
        reservation_id, api_user().id, args["payment_method"], now=utcnow(),
        card_number=args.get("card_number"), card_expiry=args.get("card_expiry"),
        card_cvc=args.get("card_cvc"), idempotency_key=headers.get("idempotency_key"))


@blp.route(f"/<{ID_CONVERTER}:reservation_id>/cancel", methods=["POST"])
@blp.auth()
@blp.response(200, BookingSchema)
def cancel(reservation_id: int):
    """Cancel a booking and refund its card payment: the owner, or an admin."""
    user = api_user()
    return booking.cancel_booking(reservation_id, user.id, now=utcnow(), by_admin=user.is_admin)


class CancelSeatsArgs(ma.Schema):
    seat_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=100),
                           metadata={"description": "seats of the booking to cancel; all of them "
                                                    "cancels the booking", "example": [1]})


@blp.route(f"/<{ID_CONVERTER}:reservation_id>/cancel-seats", methods=["POST"])
@blp.auth()
@blp.arguments(CancelSeatsArgs)
@blp.response(200, BookingSchema)
def cancel_seats(args, reservation_id: int):
    """Cancel some seats of a confirmed booking, refunding their price (the owner, or an admin).

    The booking keeps its code with the seats that remain; the cancelled seats are free at once.
    422 SEAT_PAIR_SPLIT if it would leave half a couple seat or a companion seat alone.
    """
    user = api_user()
    return booking_changes.cancel_seats(reservation_id, args["seat_ids"], user.id, utcnow(),
                                        by_admin=user.is_admin)[0]


class ExchangeArgs(ma.Schema):
    showtime_id = Id(required=True, metadata={"description": "another showtime of the same film",
                                              "example": 2})
    seat_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=100),
                           metadata={"description": "as many seats as the booking has",
                                     "example": [5, 6]})


class ExchangeSchema(ma.Schema):
    hold_id = fields.Function(lambda plan: plan.hold.id, required=True,
                              metadata={"description": "the hold of the new seats"})
    booking_id = fields.Function(lambda plan: plan.booking.id, required=True)
    showtime_id = fields.Function(lambda plan: plan.hold.showtime_id, required=True)
    expires_at = fields.Function(lambda plan: plan.hold.hold_expires_at.isoformat(),
                                 required=True, metadata={"format": "date-time"})
    seats = fields.Function(lambda plan: BookedSeatSchema(many=True).dump(plan.hold.seats),
                            required=True)
    new_total = fields.Function(lambda plan: plan.hold.total_price_cents, required=True,
                                metadata={"description": "cents"})
    difference_cents = fields.Integer(attribute="difference", required=True, metadata={
        "description": "the new total minus the booking's; negative: money back"})
    charge_cents = fields.Integer(required=True,
                                  metadata={"description": "what the card is charged on confirm"})
    refund_cents = fields.Integer(required=True,
                                  metadata={"description": "what goes back to the card"})
    currency = Currency()


class ExchangeConfirmArgs(ma.Schema):
    card_number = Text(40, metadata={"example": "4242 4242 4242 4242",
                                     "description": "only when charge_cents > 0"})
    card_expiry = Text(10, metadata={"example": "12/34", "description": "MM/YY"})
    card_cvc = Text(10, metadata={"example": "123"})


@blp.route(f"/<{ID_CONVERTER}:reservation_id>/exchange", methods=["POST"])
@blp.auth()
@blp.arguments(ExchangeArgs)
@blp.response(201, ExchangeSchema)
def exchange(args, reservation_id: int):
    """Start moving a confirmed booking to another showtime of the same film: the new seats
    are held (as many as the booking has, with its ticket types) and the difference quoted.
    Nothing about the booking changes until the exchange is confirmed."""
    user, now = api_user(), utcnow()
    hold = exchange_holds.hold_exchange(reservation_id, user.id, args["showtime_id"],
                                   args["seat_ids"], now)
    return exchanges.plan_exchange(reservation_id, hold.id, user.id, now)


@blp.route(f"/<{ID_CONVERTER}:reservation_id>/exchange/<{ID_CONVERTER}:hold_id>/confirm",
           methods=["POST"])
@blp.auth()
@blp.arguments(ExchangeConfirmArgs)
@blp.response(200, BookingSchema)
def confirm_exchange(args, reservation_id: int, hold_id: int):
    """Charge (402 if the card is declined: nothing changes) or refund the difference and move
    the booking to the held seats; the booking keeps its code. Repeating it changes and
    charges nothing more."""
    return exchanges.complete_exchange(reservation_id, hold_id, api_user().id, utcnow(),
                                       card_number=args.get("card_number"),
                                       card_expiry=args.get("card_expiry"),
                                       card_cvc=args.get("card_cvc")).booking


@blp.route(f"/<{ID_CONVERTER}:reservation_id>/exchange/<{ID_CONVERTER}:hold_id>/release",
           methods=["POST"])
@blp.auth()
@blp.response(204)
def release_exchange(reservation_id: int, hold_id: int):
    """Give up a change: the new seats are freed, the booking stays as it is."""
    exchange_holds.release(reservation_id, hold_id, api_user().id, utcnow())
