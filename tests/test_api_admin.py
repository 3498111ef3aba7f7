"""The admin API: ADMIN only (a URL-map walk proves every route refuses a USER and a missing
token), films, showtimes with the overlap rule, bookings."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from cinema.models import UserRole
from tests.api_helpers import assert_error, bearer, token_user
from tests.booking_helpers import now, setup_showtime
from tests.factories import gen_auditorium, gen_movie


def admin_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/admin"):
            path = re.sub(r"<[^>]+>", "1", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


def test_every_admin_route_is_401_without_a_token_and_403_for_users_and_staff(app_ctx, client):
    routes = list(admin_routes(app_ctx))
    assert len(routes) >= 7
    _, user, _ = token_user(app_ctx)
    _, staff, _ = token_user(app_ctx, role=UserRole.STAFF)
    for method, path in routes:
        assert_error(client.open(path, method=method, json={}), 401, "AUTH_REQUIRED")
        for tokens in (user, staff):
            response = client.open(path, method=method, json={},
                                   headers=bearer(tokens["access_token"]))
            assert_error(response, 403, "FORBIDDEN")


@pytest.fixture
def admin(app_ctx):
    _, tokens, _ = token_user(app_ctx, role=UserRole.ADMIN)
    return bearer(tokens["access_token"])


def test_admin_creates_edits_and_deletes_a_film(app_ctx, client, admin):
    film = {"title": "Orbital Drift", "duration_minutes": 120, "age_rating": "12A",
            "new_genres": ["Science Fiction"]}
    created = client.post("/api/v1/admin/movies", headers=admin, json=film)
    assert created.status_code == 201, created.get_json()
    movie = created.get_json()
    assert movie["genres"] == [{"name": "Science Fiction", "slug": "science-fiction"}]
    edited = client.put(f"/api/v1/admin/movies/{movie['id']}", headers=admin,
                        json={**film, "title": "Orbital Drift (Director's Cut)"})
    assert edited.get_json()["title"] == "Orbital Drift (Director's Cut)"
    deleted = client.delete(f"/api/v1/admin/movies/{movie['id']}", headers=admin)
    assert deleted.status_code == 200 and deleted.get_json()["is_deleted"] is True
    assert_error(client.get(f"/api/v1/movies/{movie['id']}"), 404, "NOT_FOUND")
    bad = client.post("/api/v1/admin/movies", headers=admin, json={**film, "age_rating": "X"})
    assert "age_rating" in assert_error(bad, 422, "VALIDATION_ERROR")["field_errors"]


def test_overlapping_showtimes_are_409_and_cancel_refunds(app_ctx, client, admin):
    movie, auditorium = gen_movie(duration_minutes=100), gen_auditorium()
    starts = (now() + timedelta(days=3)).replace(microsecond=0)
    body = {"movie_id": movie.id, "auditorium_id": auditorium.id,
            "starts_at": starts.isoformat(), "base_price": 1200}
    created = client.post("/api/v1/admin/showtimes", headers=admin, json=body)
    assert created.status_code == 201, created.get_json()
    overlap = {**body, "starts_at": (starts + timedelta(minutes=60)).isoformat()}
    assert_error(client.post("/api/v1/admin/showtimes", headers=admin, json=overlap), 409,
                 "SHOWTIME_CONFLICT")
    showtime_id = created.get_json()["id"]
    moved = client.put(f"/api/v1/admin/showtimes/{showtime_id}", headers=admin,
                       json={**body, "base_price": 1500})
    assert moved.get_json()["base_price"] == 1500
    cancelled = client.delete(f"/api/v1/admin/showtimes/{showtime_id}", headers=admin)
    assert cancelled.get_json() == {"showtime_id": showtime_id, "cancelled_bookings": 0}


def test_admin_lists_and_reads_every_booking(app_ctx, client, admin):
    showtime, seats = setup_showtime()
    _, patron, _ = token_user(app_ctx)
    held = client.post("/api/v1/bookings/hold", headers=bearer(patron["access_token"]),
                       json={"showtime_id": showtime.id, "seat_ids": [seats[0].id]}).get_json()
    listed = client.get("/api/v1/admin/bookings?status=HELD", headers=admin).get_json()
    assert [b["id"] for b in listed["items"]] == [held["id"]] and listed["next"] is None
    detail = client.get(f"/api/v1/admin/bookings/{held['id']}", headers=admin).get_json()
    assert detail["code"] == held["code"] and detail["user_email"]
