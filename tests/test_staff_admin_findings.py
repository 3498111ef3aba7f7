"""Regression tests for the findings of issue 16 that need no browser: the confirmation step
of cancel (patrons and admins), a cancelled booking's refunded state, one minus sign, days
without a leading zero. The visual ones are in tests/test_browser_staff_findings.py."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from cinema.clock import format_local
from cinema.extensions import db
from cinema.models import Reservation, ReservationStatus, UserRole
from cinema.money import format_money
from tests.booking_helpers import APPROVE, hold, patron_client, setup_showtime

pytestmark = pytest.mark.usefixtures("money_checked")


def paid_booking(app):
    showtime, seats = setup_showtime()
    user, client = patron_client(app)
    response = hold(client, showtime, seats[:2])
    reservation_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert client.post(f"/bookings/{reservation_id}/confirm", data=APPROVE).status_code == 303
    db.session.expire_all()
    return db.session.get(Reservation, reservation_id), client


def status_of(reservation_id: int) -> ReservationStatus:
    db.session.expire_all()
    return db.session.get(Reservation, reservation_id).status


def test_the_patron_s_cancel_button_asks_first_and_only_the_confirmation_cancels(app, app_ctx):
    reservation, client = paid_booking(app)
    total = format_money(reservation.total_price_cents)
    ticket = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert "Cancel booking and refund…" in ticket
    asked = client.post(f"/bookings/{reservation.id}/cancel")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and f"Cancel booking <span class=\"booking-code\">" \
        f"{reservation.code}</span>?" in page
    assert f"{total}</strong> is refunded to the card" in page
    assert 'name="confirm" value="1"' in page and "No, keep the booking" in page
    assert status_of(reservation.id) is ReservationStatus.CONFIRMED  # nothing happened yet
    assert client.post(f"/bookings/{reservation.id}/cancel",
                       data={"confirm": "1"}).status_code == 303
    assert status_of(reservation.id) is ReservationStatus.CANCELLED


def test_the_admin_s_cancel_button_asks_first_too(app, app_ctx):
    reservation, _ = paid_booking(app)
    _, admin = patron_client(app, role=UserRole.ADMIN)
    asked = admin.post(f"/admin/bookings/{reservation.id}/cancel")
    assert asked.status_code == 200 and "and the patron is emailed" in asked.get_data(as_text=True)
    assert status_of(reservation.id) is ReservationStatus.CONFIRMED
    # From the patron's page too, where an admin may cancel.
    assert admin.post(f"/bookings/{reservation.id}/cancel").status_code == 200
    assert status_of(reservation.id) is ReservationStatus.CONFIRMED
    assert admin.post(f"/admin/bookings/{reservation.id}/cancel",
                      data={"confirm": "1"}).status_code == 303
    assert status_of(reservation.id) is ReservationStatus.CANCELLED


def test_staff_who_may_not_cancel_get_no_confirmation_page(app, app_ctx):
    reservation, _ = paid_booking(app)
    _, staff = patron_client(app, role=UserRole.STAFF)
    assert staff.post(f"/bookings/{reservation.id}/cancel").status_code == 403
    _, stranger = patron_client(app)
    assert stranger.post(f"/bookings/{reservation.id}/cancel").status_code == 404
    assert status_of(reservation.id) is ReservationStatus.CONFIRMED


def test_a_cancelled_booking_shows_its_refund_not_its_price(app, app_ctx):
    reservation, client = paid_booking(app)
    total = format_money(reservation.total_price_cents)
    client.post(f"/bookings/{reservation.id}/cancel", data={"confirm": "1"})
    mine = client.get("/bookings/my").get_data(as_text=True)
    assert "Refunded" in mine and f"{total} refunded to the card" in mine
    detail = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert f"{total} refunded to the card" in detail
    _, admin = patron_client(app, role=UserRole.ADMIN)
    page = admin.get(f"/admin/bookings/{reservation.id}").get_data(as_text=True)
    assert f"{total} refunded to the card" in page
    assert "cannot be cancelled" not in page and "−£0.00" not in page
    assert "Cancel this booking" not in page


def test_an_unpaid_cancelled_booking_says_nothing_was_charged(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    response = hold(client, showtime, seats[:1])
    reservation_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    client.post(f"/bookings/{reservation_id}/confirm", data={"payment_method": "box_office"})
    client.post(f"/bookings/{reservation_id}/cancel", data={"confirm": "1"})
    assert "Nothing was charged" in client.get("/bookings/my").get_data(as_text=True)
    assert db.session.scalar(sa.select(Reservation.paid_at)) is None


def test_one_minus_sign_for_every_negative_amount():
    assert format_money(-200, "GBP") == "\u2212£2.00"
    assert format_money(200, "GBP") == "£2.00"


def test_days_of_the_month_have_no_leading_zero(app_ctx):
    when = datetime(2026, 12, 1, 19, 0, tzinfo=timezone.utc)
    assert format_local(when, "%A %d %B") == "Tuesday 1 December"
    assert format_local(when) == "Tue 1 Dec 2026, 19:00"
    assert format_local(when, "%Y-%m-%d") == "2026-12-01"  # files keep the numeric form


LAYOUT = {"name": "Screen 9", "description": "", "rows": "4", "seats_per_row": "6",
          "premium_rows": "", "couple_rows": "", "aisles_after": "", "wheelchair": ""}


@pytest.fixture
def admin(app, app_ctx):
    from tests.admin_factories import admin_client

    client, _ = admin_client(app)
    return client


def test_an_unknown_couple_row_is_an_error_of_the_couple_rows_field(admin):
    response = admin.post("/admin/auditoriums", data={**LAYOUT, "couple_rows": "Z"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="couple_rows-error">No such row: Z.' in page
    assert 'id="premium_rows-error"' not in page


def test_the_preview_pane_says_why_it_is_empty_without_javascript(admin):
    response = admin.post("/admin/auditoriums/preview", data={**LAYOUT, "premium_rows": "Q"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "No preview yet: the layout has a problem." in page
    assert 'id="premium_rows-error">No such row: Q.' in page


def test_the_error_summary_names_the_field(admin):
    response = admin.post("/admin/movies", data={"title": "", "duration_minutes": "90"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please check the form: Title: This field is required." in page


def test_the_error_summary_names_every_field_that_is_wrong(admin):
    response = admin.post("/admin/movies", data={"title": "", "duration_minutes": "0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = page[page.index('class="alert alert-error"'):]
    summary = summary[:summary.index("</div>")]
    assert "Title: This field is required." in summary and "Duration" in summary


def test_edit_and_delete_are_not_two_red_buttons_side_by_side(admin, app_ctx):
    from tests.factories import gen_movie

    movie = gen_movie(title="Alpha")
    page = admin.get(f"/admin/movies/{movie.id}").get_data(as_text=True)
    assert '<a class="btn" href="/admin/movies/%d/edit">Edit</a>' % movie.id in page
    assert '<button class="btn btn-danger" type="submit">Delete</button>' in page


def test_the_dashboard_does_not_repeat_its_sub_navigation(admin):
    page = admin.get("/admin/").get_data(as_text=True)
    for section in ("/admin/movies", "/admin/auditoriums", "/admin/users", "/admin/audit"):
        assert page.count(f'href="{section}"') == 1, section  # the sub-navigation's link only


def test_seats_cancelled_from_a_card_booking_show_as_refunded(app, app_ctx):
    reservation, client = paid_booking(app)
    first = reservation.seats[0]
    price = format_money(first.price_cents)
    assert client.post(f"/bookings/{reservation.id}/cancel-seats",
                       data={"seat_ids": [first.seat_id]}).status_code == 303
    mine = client.get("/bookings/my").get_data(as_text=True)
    assert f"{price} refunded to the card" in mine and "Nothing was charged" not in mine
