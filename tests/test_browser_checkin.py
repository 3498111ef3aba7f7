"""At the door in real headless Chromium: staff admit a booking by typing its code."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cinema.extensions import db
from cinema.models import Reservation, ReservationStatus, UserRole, utcnow
from tests.factories import PASSWORD, gen_reservation, gen_showtime, gen_user, seats_of

pytestmark = pytest.mark.browser


def test_staff_admit_a_booking_by_typing_its_code(browser_page, app):
    with app.app_context():
        staff = gen_user(role=UserRole.STAFF, full_name="Dora Door")
        showtime = gen_showtime(starts_at=utcnow())
        reservation = gen_reservation(gen_user(), showtime, seats_of(showtime.auditorium)[:2])
        staff_email, code, reservation_id = staff.email, reservation.code, reservation.id
        title = showtime.movie.title
        seats = ", ".join(line.seat.label for line in reservation.seats)

    page = browser_page
    page.goto("/auth/login")
    page.get_by_label("Email").fill(staff_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Check-in").click()

    page.get_by_label("Booking code").fill(code.lower())
    page.get_by_role("button", name="Find booking").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_text(seats)).to_be_visible()
    page.get_by_role("button", name="Admit 2 people").click()
    expect(page.get_by_text(f"Admitted {code}")).to_be_visible()

    # The same ticket again is refused, saying when and by whom.
    page.get_by_label("Booking code").fill(code)
    page.get_by_role("button", name="Find booking").click()
    expect(page.get_by_role("alert")).to_contain_text("Already admitted")
    expect(page.get_by_role("alert")).to_contain_text("Dora Door")
    expect(page.get_by_role("button", name="Admit 2 people")).to_have_count(0)

    with app.app_context():
        assert db.session.get(Reservation, reservation_id).status is ReservationStatus.COMPLETED
