"""``next`` after a form goes only to a path on this site: login and the box office's
"payment taken" both use ``cinema.access.safe_next``."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from cinema.access import safe_next
from cinema.models import UserRole
from tests.booking_helpers import hold, patron_client, setup_showtime
from tests.factories import PASSWORD, gen_user

OFF_SITE = ["https://evil.example/x", "//evil.example", "//evil.example/bookings",
            "/\\evil.example", "\\\\evil.example", "http:/evil.example", "javascript:alert(1)",
            "/bookings\r\nLocation: https://evil.example", " //evil.example", ""]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_anything_but_a_local_path(target):
    assert safe_next(target, "/fallback") == "/fallback"


def test_safe_next_keeps_a_local_path_and_its_query():
    assert safe_next("/bookings/my?page=2", "/fallback") == "/bookings/my?page=2"


def _lands_on_site(response) -> str:
    location = response.headers["Location"]
    assert "evil.example" not in location
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost")
    return parts.path


def test_login_next_off_site_goes_home(app_ctx, client):
    user = gen_user()
    for target in ("https://evil.example", "//evil.example"):
        response = client.post("/auth/login", query_string={"next": target},
                               data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 303
        assert _lands_on_site(response) == "/"
        client.post("/auth/logout")


def test_mark_paid_next_goes_only_to_a_path_on_this_site(app, app_ctx):
    showtime, seats = setup_showtime()
    _, patron = patron_client(app)
    bookings = []
    for seat in seats[:3]:
        location = hold(patron, showtime, [seat]).headers["Location"]
        patron.post(f"{location}/confirm", data={"payment_method": "box_office"})
        bookings.append(int(location.rsplit("/", 1)[1]))
    _, staff = patron_client(app, role=UserRole.STAFF)
    for reservation_id, target in zip(bookings[:2], ["https://evil.example", "//evil.example"],
                                      strict=True):
        response = staff.post(f"/staff/bookings/{reservation_id}/paid", data={"next": target})
        assert response.status_code == 303
        assert _lands_on_site(response) == f"/bookings/{reservation_id}"
    response = staff.post(f"/staff/bookings/{bookings[2]}/paid",
                          data={"next": "/staff/checkin"})
    assert _lands_on_site(response) == "/staff/checkin"
