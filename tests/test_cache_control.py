"""``Cache-Control: no-store`` on every answer to a signed-in user (pages, fragments, JSON,
tickets) and on every download; static files and anonymous pages keep their own caching."""
from __future__ import annotations

import pytest

from cinema.models import UserRole
from tests.factories import gen_movie, gen_reservation, gen_showtime, gen_user, login, seats_of
from tests.reports_factories import FIRST, LAST, build_week

HTMX = {"HX-Request": "true"}
JSON = {"Accept": "application/json"}


@pytest.fixture
def booked(app_ctx):
    showtime = gen_showtime()
    reservation = gen_reservation(gen_user(), showtime, seats_of(showtime.auditorium)[:1])
    return reservation


def client_for(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 303
    return client


def cache_control(response) -> str:
    return response.headers.get("Cache-Control", "")


def test_every_page_a_patron_sees_is_not_stored(app, booked):
    patron = client_for(app, booked.user)
    showtime = booked.showtime
    for path, headers in [
        ("/", {}), ("/movies", {}), (f"/movies/{showtime.movie_id}", {}), ("/showtimes", {}),
        (f"/showtimes/{showtime.id}", {}), (f"/showtimes/{showtime.id}/seats", HTMX),
        ("/bookings/my", {}), (f"/bookings/{booked.id}", {}), (f"/bookings/{booked.id}/qr.png", {}),
        ("/account", {}), ("/bookings/999999", JSON), ("/admin/", {}),
    ]:
        response = patron.get(path, headers=headers)
        assert response.status_code < 500, path
        assert cache_control(response) == "no-store", (path, response.status_code)
    # The answer to a form post (a redirect, or the form again with its errors) too.
    assert cache_control(patron.post("/account/password", data={})) == "no-store"


def test_staff_pages_and_csv_downloads_are_not_stored(app, app_ctx):
    week = build_week()
    staff = client_for(app, week["staff"])
    query = {"date_from": FIRST.isoformat(), "date_to": LAST.isoformat()}
    for path, extra in [("/admin/reports/revenue", {}), ("/admin/reports/revenue", {"format": "csv"}),
                        ("/admin/reports/occupancy", {"format": "csv"}),
                        ("/admin/reports/user-stats", {"format": "csv"}), ("/staff/checkin", {})]:
        response = staff.get(path, query_string={**query, **extra})
        assert response.status_code == 200, path
        assert cache_control(response) == "no-store", path
    admin = client_for(app, gen_user(UserRole.ADMIN))
    assert cache_control(admin.get("/admin/")) == "no-store"


def test_static_files_and_public_posters_keep_their_caching_when_signed_in(app, app_ctx):
    movie = gen_movie()
    patron = client_for(app, gen_user())
    css = patron.get("/static/css/app.css")
    assert css.status_code == 200 and "no-store" not in cache_control(css)
    poster = patron.get(f"/movies/{movie.id}/poster")
    assert poster.cache_control.public and poster.cache_control.max_age == 3600


def test_anonymous_pages_keep_their_caching(app, app_ctx):
    showtime = gen_showtime()
    client = app.test_client()
    for path in ("/", "/movies", f"/movies/{showtime.movie_id}", "/auth/login"):
        assert "no-store" not in cache_control(client.get(path)), path
    seats = client.get(f"/showtimes/{showtime.id}/seats", headers=HTMX)
    assert cache_control(seats) == "no-cache, private"
    # Signing out ends it: the next anonymous page is cacheable again.
    user = gen_user()
    login(client, user.email)
    assert cache_control(client.get("/")) == "no-store"
    client.post("/auth/logout")
    assert "no-store" not in cache_control(client.get("/movies"))
