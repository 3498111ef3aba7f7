"""Pricing through /api/v1: the ticket types, a hold naming a type per seat with the same frozen
line items as the pages, and a Child ticket for an 18 film refused with its error code."""
from __future__ import annotations

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import PricingRule, TicketType
from tests.api_helpers import assert_error, bearer, token_user
from tests.booking_helpers import setup_showtime
from tests.factories import gen_auditorium, gen_movie, gen_showtime, seats_of


def type_ids(client) -> dict[str, int]:
    body = client.get("/api/v1/ticket-types").get_json()
    assert body["not_for_ratings_from"] == "15"
    return {item["name"]: item["id"] for item in body["items"]}


def test_ticket_types_are_listed_default_first(app_ctx, client):
    body = client.get("/api/v1/ticket-types").get_json()
    assert [item["name"] for item in body["items"]] == ["Adult", "Child", "Senior", "Student"]
    child = body["items"][1]
    assert (child["percent"], child["amount"], child["age_restricted"], child["is_concession"]) \
        == (-25, None, True, True)


def test_a_hold_names_a_ticket_type_per_seat_and_returns_the_line_items(app_ctx, client):
    db.session.execute(sa.delete(PricingRule))
    db.session.add(PricingRule(name="Busy", percent=10, demand_at_least=0))
    db.session.commit()
    showtime, seats = setup_showtime()
    _, tokens, _ = token_user(app_ctx)
    ids = type_ids(client)
    response = client.post("/api/v1/bookings/hold", headers=bearer(tokens["access_token"]), json={
        "showtime_id": showtime.id, "seat_ids": [seats[0].id, seats[1].id],
        "tickets": [{"seat_id": seats[1].id, "ticket_type_id": ids["Senior"]}]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    adult, senior = body["seats"]
    assert adult["ticket_type"] == "Adult" and senior["ticket_type"] == "Senior"
    assert [(i["kind"], i["label"], i["amount"]) for i in senior["line_items"]] == [
        ("base", "Base price", 1000), ("rule", "Busy (0% sold)", 100), ("ticket_type", "Senior", -220)]
    assert [i["name"] for i in senior["line_items"]] == ["base", "Busy (0% sold)", "Senior"]
    assert (adult["price"], senior["price"]) == (1100, 880)
    assert body["total_price"] == 1980 == sum(i["amount"] for s in body["seats"]
                                              for i in s["line_items"])
    again = client.get(f"/api/v1/bookings/{body['id']}", headers=bearer(tokens["access_token"]))
    assert again.get_json()["seats"] == body["seats"]


def test_a_child_ticket_for_an_18_film_is_refused_with_its_error_code(app_ctx, client):
    auditorium = gen_auditorium()
    showtime = gen_showtime(movie=gen_movie(age_rating="18"), auditorium=auditorium)
    seat = seats_of(auditorium)[0]
    child = db.session.scalar(sa.select(TicketType.id).where(TicketType.name == "Child"))
    _, tokens, _ = token_user(app_ctx)
    response = client.post("/api/v1/bookings/hold", headers=bearer(tokens["access_token"]), json={
        "showtime_id": showtime.id, "seat_ids": [seat.id],
        "tickets": [{"seat_id": seat.id, "ticket_type_id": child}]})
    body = assert_error(response, 422, "TICKET_TYPE_NOT_ALLOWED")
    assert body["detail"] == ("Child tickets are not sold for films rated 18. "
                              "Please choose another ticket type.")
