"""The admin API: ADMIN only (a URL-map walk proves every route refuses a USER and a missing
token), films, showtimes with the overlap rule, bookings."""
from __future__ import annotations

import re
from datetime import date, timedelta

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


def test_every_admin_route_is_401_without_a_token_and_403_for_users(app_ctx, client):
    routes = list(admin_routes(app_ctx))
    assert len(routes) >= 17
    _, user, _ = token_user(app_ctx)
    _, staff, _ = token_user(app_ctx, role=UserRole.STAFF)
    for method, path in routes:
        assert_error(client.open(path, method=method, json={}), 401, "AUTH_REQUIRED")
        response = client.open(path, method=method, json={}, headers=bearer(user["access_token"]))
        assert_error(response, 403, "FORBIDDEN")
        # Reports are open to STAFF as well; everything else is ADMIN only.
        as_staff = client.open(path, method=method, json={}, headers=bearer(staff["access_token"]))
        if path.startswith("/api/v1/admin/reports/"):
            assert as_staff.status_code == 200, (path, as_staff.get_json())
        else:
            assert_error(as_staff, 403, "FORBIDDEN")


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


def test_admin_builds_an_auditorium_and_edits_its_seats(app_ctx, client, admin):
    layout = {"name": "Screen 9", "rows": 3, "seats_per_row": 6, "premium_rows": ["C"],
              "aisles_after": [3], "wheelchair": [{"row": "A", "number": 1}]}
    created = client.post("/api/v1/admin/auditoriums", headers=admin, json=layout)
    assert created.status_code == 201, created.get_json()
    auditorium_id = created.get_json()["id"]
    assert_error(client.post("/api/v1/admin/auditoriums", headers=admin, json=layout), 422,
                 "VALIDATION_ERROR")  # the name is taken
    renamed = client.put(f"/api/v1/admin/auditoriums/{auditorium_id}", headers=admin,
                         json={"name": "Screen 10"})
    assert renamed.get_json()["name"] == "Screen 10"
    blocked = client.post("/api/v1/admin/seats/batch", headers=admin,
                          json={"auditorium_id": auditorium_id, "action": "block", "rows": ["B"]})
    seats = blocked.get_json()["seats"]
    assert len(seats) == 6 and all(seat["is_blocked"] for seat in seats)
    one = seats[0]["id"]
    couple = client.put(f"/api/v1/admin/seats/{one}", headers=admin,
                        json={"action": "type:COUPLE"})
    assert couple.get_json()["seats"][0]["type"] == "COUPLE"
    removed = client.delete(f"/api/v1/admin/seats/{one}", headers=admin)
    assert removed.get_json()["seats"][0]["is_deleted"] is True
    assert_error(client.delete(f"/api/v1/admin/seats/{one}", headers=admin), 404, "NOT_FOUND")
    deleted = client.delete(f"/api/v1/admin/auditoriums/{auditorium_id}", headers=admin)
    assert deleted.get_json()["is_deleted"] is True


def test_reports_give_the_same_figures_as_the_pages(app_ctx, client):
    from cinema.reports import reports
    from cinema.reports.report_dates import DateRange

    showtime, seats = setup_showtime(starts_in=timedelta(hours=5))
    _, patron, _ = token_user(app_ctx)
    held = client.post("/api/v1/bookings/hold", headers=bearer(patron["access_token"]),
                       json={"showtime_id": showtime.id, "seat_ids": [seats[0].id]}).get_json()
    client.post(f"/api/v1/bookings/{held['id']}/confirm", headers=bearer(patron["access_token"]),
                json={"payment_method": "card", "card_number": "4242 4242 4242 4242",
                      "card_expiry": "12/34", "card_cvc": "123"})
    _, staff, _ = token_user(app_ctx, role=UserRole.STAFF)
    body = client.get("/api/v1/admin/reports/revenue", headers=bearer(staff["access_token"]))
    revenue = body.get_json()
    first, last = (date.fromisoformat(revenue["range"][k]) for k in ("first", "last"))
    expected = reports.revenue_report(DateRange(first, last))
    assert revenue["total"]["sales_cents"] == expected.total.sales_cents == held["total_price"]
    occupancy = client.get("/api/v1/admin/reports/occupancy",
                           headers=bearer(staff["access_token"])).get_json()
    assert occupancy["total"]["sold"] >= 0
    stats = client.get("/api/v1/admin/reports/user-stats?period=day",
                       headers=bearer(staff["access_token"])).get_json()
    assert stats["period"] == "day"
    bad = client.get("/api/v1/admin/reports/revenue?from=2030-01-02&to=2030-01-01",
                     headers=bearer(staff["access_token"]))
    assert_error(bad, 422, "VALIDATION_ERROR")
