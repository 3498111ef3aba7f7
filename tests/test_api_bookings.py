"""The booking checklist through /api/v1: hold, 409, 422, confirm (idempotent), expired hold,
cancel with refund, others' bookings 404, and the catalogue and seat map with ETag."""
from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cinema.booking import booking
from cinema.extensions import db
from cinema.models import Payment, PaymentKind, PaymentStatus, ReservationStatus
from tests.api_helpers import assert_error, bearer, token_user
from tests.booking_helpers import now, setup_showtime
from tests.factories import gen_movie

CARD = {"payment_method": "card", "card_number": "4242 4242 4242 4242", "card_expiry": "12/34",
        "card_cvc": "123"}


def api_hold(client, tokens, showtime, seats):
    return client.post("/api/v1/bookings/hold", headers=bearer(tokens["access_token"]),
                       json={"showtime_id": showtime.id, "seat_ids": [s.id for s in seats]})


def test_hold_confirm_and_cancel_with_refund(app_ctx, client):
    showtime, seats = setup_showtime()
    _, tokens, _ = token_user(app_ctx)
    held = api_hold(client, tokens, showtime, seats[:2])
    assert held.status_code == 201
    body = held.get_json()
    assert body["status"] == "HELD" and body["currency"] == "GBP"
    assert body["total_price"] == sum(seat["price"] for seat in body["seats"])
    assert all(sum(i["amount"] for i in s["line_items"]) == s["price"] for s in body["seats"])
    assert body["expires_at"].endswith("+00:00")
    auth = {**bearer(tokens["access_token"]), "Idempotency-Key": "try-1"}
    confirmed = client.post(f"/api/v1/bookings/{body['id']}/confirm", headers=auth, json=CARD)
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "CONFIRMED"
    again = client.post(f"/api/v1/bookings/{body['id']}/confirm", headers=auth, json=CARD)
    assert again.status_code == 200 and again.get_json()["code"] == body["code"]
    charges = db.session.scalars(sa.select(Payment).where(Payment.kind == PaymentKind.CHARGE))
    assert len(charges.all()) == 1
    mine = client.get("/api/v1/bookings/my", headers=bearer(tokens["access_token"])).get_json()
    assert [b["id"] for b in mine["items"]] == [body["id"]] and mine["next"] is None
    cancelled = client.post(f"/api/v1/bookings/{body['id']}/cancel",
                            headers=bearer(tokens["access_token"]))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "CANCELLED"
    refund = db.session.scalar(sa.select(Payment).where(Payment.kind == PaymentKind.REFUND))
    assert refund.status is PaymentStatus.SUCCEEDED and refund.amount_cents == body["total_price"]


def test_held_or_booked_seats_are_409(app_ctx, client):
    showtime, seats = setup_showtime()
    _, first, _ = token_user(app_ctx)
    _, second, _ = token_user(app_ctx)
    assert api_hold(client, first, showtime, seats[:2]).status_code == 201
    body = assert_error(api_hold(client, second, showtime, seats[1:3]), 409, "SEAT_HELD")
    assert seats[1].label in body["detail"]


def test_invalid_or_duplicate_seat_ids_are_422(app_ctx, client):
    showtime, seats = setup_showtime()
    _, tokens, _ = token_user(app_ctx)
    for seat_ids in ([seats[0].id, seats[0].id], [], [2**31 - 1], ["x"], [0]):
        response = client.post("/api/v1/bookings/hold", headers=bearer(tokens["access_token"]),
                               json={"showtime_id": showtime.id, "seat_ids": seat_ids})
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert "seat_ids" in body["field_errors"], seat_ids
    not_json = client.post("/api/v1/bookings/hold", headers=bearer(tokens["access_token"]),
                           data="showtime_id=1", content_type="text/plain")
    assert_error(not_json, 422, "VALIDATION_ERROR")


def test_an_expired_hold_cannot_be_confirmed(app_ctx, client):
    showtime, seats = setup_showtime()
    user, tokens, _ = token_user(app_ctx)
    reservation = booking.hold_seats(user.id, showtime.id, [seats[0].id],
                                     now=now() - timedelta(hours=1))
    response = client.post(f"/api/v1/bookings/{reservation.id}/confirm",
                           headers=bearer(tokens["access_token"]), json=CARD)
    assert_error(response, 409, "HOLD_EXPIRED")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_someone_elses_booking_is_404(app_ctx, client):
    showtime, seats = setup_showtime()
    _, owner, _ = token_user(app_ctx)
    _, other, _ = token_user(app_ctx)
    booking_id = api_hold(client, owner, showtime, seats[:1]).get_json()["id"]
    for method, path in (("get", ""), ("post", "/cancel")):
        response = getattr(client, method)(f"/api/v1/bookings/{booking_id}{path}",
                                           headers=bearer(other["access_token"]))
        assert_error(response, 404, "NOT_FOUND")
    confirm = client.post(f"/api/v1/bookings/{booking_id}/confirm",
                          headers=bearer(other["access_token"]), json=CARD)
    assert_error(confirm, 404, "NOT_FOUND")
    mine = client.get(f"/api/v1/bookings/{booking_id}", headers=bearer(owner["access_token"]))
    assert mine.status_code == 200 and mine.get_json()["status"] == ReservationStatus.HELD.value


def test_seat_map_answers_304_while_nothing_changed(app_ctx, client):
    showtime, seats = setup_showtime()
    first = client.get(f"/api/v1/showtimes/{showtime.id}/seats")
    assert first.status_code == 200
    states = {seat["id"]: seat["state"] for seat in first.get_json()["seats"]}
    assert set(states.values()) == {"free"} and len(states) == len(seats)
    etag = first.headers["ETag"]
    assert client.get(f"/api/v1/showtimes/{showtime.id}/seats",
                      headers={"If-None-Match": etag}).status_code == 304
    _, tokens, _ = token_user(app_ctx)
    api_hold(client, tokens, showtime, seats[:1])
    changed = client.get(f"/api/v1/showtimes/{showtime.id}/seats", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert {s["id"]: s["state"] for s in changed.get_json()["seats"]}[seats[0].id] == "held"


def test_movies_list_paginates_with_next_and_filters(app_ctx, client):
    for n in range(3):
        gen_movie(title=f"Orbital {n}")
    gen_movie(title="Other")
    page = client.get("/api/v1/movies?q=orbital&limit=2").get_json()
    assert [m["title"] for m in page["items"]] == ["Orbital 0", "Orbital 1"]
    assert page["total"] == 3 and page["next"]
    rest = client.get(page["next"]).get_json()
    assert [m["title"] for m in rest["items"]] == ["Orbital 2"] and rest["next"] is None
    searched = client.post("/api/v1/movies/search", json={"q": "other"}).get_json()
    assert [m["title"] for m in searched["items"]] == ["Other"]
    assert_error(client.get("/api/v1/movies?limit=500"), 422, "VALIDATION_ERROR")
    assert_error(client.get(f"/api/v1/movies/{2**31}"), 404, "NOT_FOUND")


def test_showtimes_of_a_day_and_of_a_film(app_ctx, client):
    showtime, _ = setup_showtime(starts_in=timedelta(days=1))
    day = showtime.starts_at.astimezone(ZoneInfo(app_ctx.config["CINEMA_TIMEZONE"])).date()
    listed = client.get(f"/api/v1/showtimes?date={day}").get_json()
    assert [s["id"] for s in listed["items"]] == [showtime.id]
    assert listed["items"][0]["base_price"] == 1000
    by_film = client.get(f"/api/v1/showtimes/movie/{showtime.movie_id}").get_json()
    assert [s["id"] for s in by_film["items"]] == [showtime.id]
    detail = client.get(f"/api/v1/showtimes/{showtime.id}").get_json()
    assert detail["movie_id"] == showtime.movie_id
    assert_error(client.get("/api/v1/showtimes?date=tomorrow"), 422, "VALIDATION_ERROR")


def test_the_unversioned_alias_is_deprecated(app_ctx, client, caplog):
    gen_movie(title="Orbital")
    with caplog.at_level(logging.WARNING):
        response = client.get("/api/movies?q=orbital")
    assert response.status_code == 200
    assert response.get_json() == client.get("/api/v1/movies?q=orbital").get_json()
    assert response.headers["Deprecation"].startswith("@")
    assert response.headers["Sunset"].endswith("GMT")
    assert "DEPRECATED GET /api/movies" in caplog.text


def test_openapi_lists_every_route_and_the_docs_page_renders(app_ctx, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    api_rules = {rule.rule for rule in app_ctx.url_map.iter_rules()
                 if rule.rule.startswith("/api/") and rule.endpoint.split(".")[0] not in
                 ("api-docs", "api_docs")}
    documented = {path.replace("{", "<").replace("}", ">") for path in spec["paths"]}
    assert {rule.replace("<int(min=1, max=2147483647):", "<") for rule in api_rules} == documented
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/bookings/hold" in docs.get_data(as_text=True)
    assert "script-src 'self'" in docs.headers["Content-Security-Policy"]
    assert "<script" not in docs.get_data(as_text=True)
