"""The ticket page and its QR code: owner, staff and admin only; signed codes."""
from __future__ import annotations

import pytest

from cinema.booking import tickets
from cinema.models import CancelReason, ReservationStatus, UserRole
from tests.factories import gen_reservation, gen_showtime, gen_user, login, seats_of


@pytest.fixture
def confirmed(app_ctx):
    showtime = gen_showtime()
    owner = gen_user(full_name="Olive Owner")
    return gen_reservation(owner, showtime, seats_of(showtime.auditorium)[:2])


def signed_in(app, role=UserRole.USER, user=None):
    client = app.test_client()
    user = user or gen_user(role=role)
    assert login(client, user.email).status_code == 303
    return client


def test_the_owner_sees_the_ticket_with_code_qr_film_time_auditorium_and_seats(app, confirmed):
    page = signed_in(app, user=confirmed.user).get(f"/bookings/{confirmed.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    showtime = confirmed.showtime
    for text in (confirmed.code, showtime.movie.title, showtime.auditorium.name,
                 ", ".join(line.seat.label for line in confirmed.seats), "£20.00"):
        assert text in html
    assert f'src="/bookings/{confirmed.id}/qr.png"' in html
    assert 'class="ticket' in html


def test_staff_and_admins_see_any_ticket_and_other_patrons_get_404(app, confirmed):
    assert signed_in(app, UserRole.STAFF).get(f"/bookings/{confirmed.id}").status_code == 200
    assert signed_in(app, UserRole.ADMIN).get(f"/bookings/{confirmed.id}").status_code == 200
    stranger = signed_in(app)
    assert stranger.get(f"/bookings/{confirmed.id}").status_code == 404
    assert stranger.get(f"/bookings/{confirmed.id}/qr.png").status_code == 404
    assert stranger.get("/bookings/999999").status_code == 404


def test_the_qr_image_carries_the_signed_code(app, confirmed):
    response = signed_in(app, user=confirmed.user).get(f"/bookings/{confirmed.id}/qr.png")
    assert response.status_code == 200 and response.content_type == "image/png"
    assert response.data == tickets.qr_png(tickets.sign_code(confirmed.code))
    assert response.headers["Cache-Control"] == "no-store"


def test_a_booking_without_a_ticket_shows_its_status_and_prices(app, app_ctx):
    showtime = gen_showtime()
    owner = gen_user()
    cancelled = gen_reservation(owner, showtime, seats_of(showtime.auditorium)[:1],
                                status=ReservationStatus.CANCELLED,
                                cancel_reason=CancelReason.SHOWTIME_CANCELLED)
    client = signed_in(app, user=owner)
    html = client.get(f"/bookings/{cancelled.id}").get_data(as_text=True)
    assert "Cancelled" in html and "showtime cancelled" in html and "£10.00" in html
    assert "qr.png" not in html
    assert client.get(f"/bookings/{cancelled.id}/qr.png").status_code == 404


def test_signed_codes_verify_and_tampering_is_detected(app_ctx):
    token = tickets.sign_code("ABCDEFGHJK")
    assert token.startswith("ABCDEFGHJK.")
    assert tickets.verify_signed(token) == "ABCDEFGHJK"
    with pytest.raises(tickets.InvalidTicketSignature):
        tickets.verify_signed("ABCDEFGHJM" + token[10:])


def test_the_calendar_entry_is_valid_ics(app_ctx, confirmed):
    from cinema.models import utcnow

    ics = tickets.calendar_event(confirmed, utcnow(), "https://cinema.example/bookings/1")
    text = ics.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert f"DTEND:{confirmed.showtime.ends_at:%Y%m%dT%H%M%SZ}" in text
