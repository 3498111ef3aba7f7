"""At the door in real headless Chromium: staff admit a booking by typing its code."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cinema.extensions import db
from cinema.models import PaymentMethod, Reservation, ReservationStatus, UserRole, utcnow
from tests.factories import (
    PASSWORD,
    gen_reservation,
    gen_showtime,
    gen_user,
    later_today,
    seats_of,
)
from tests.screens import WIDTHS, horizontal_overflow, screenshot

pytestmark = pytest.mark.browser


def sign_in(page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_staff_admit_a_booking_by_typing_its_code(browser_page, app):
    with app.app_context():
        staff = gen_user(role=UserRole.STAFF, full_name="Dora Door")
        showtime = gen_showtime(starts_at=utcnow())
        reservation = gen_reservation(gen_user(), showtime, seats_of(showtime.auditorium)[:2])
        staff_email, code, reservation_id = staff.email, reservation.code, reservation.id
        title = showtime.movie.title
        seats = ", ".join(line.seat.label for line in reservation.seats)

    page = browser_page
    sign_in(page, staff_email)
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


@pytest.mark.parametrize("width", WIDTHS)
def test_the_door_screen_answers_refuse_unpaid_and_admit_full_width(browser_page, app, width,
                                                                    request):
    with app.app_context():
        staff = gen_user(role=UserRole.STAFF, full_name="Dora Door")
        showtime = gen_showtime(starts_at=later_today())
        reservation = gen_reservation(gen_user(), showtime, seats_of(showtime.auditorium)[:2],
                                      payment_method=PaymentMethod.BOX_OFFICE)
        staff_email, code, reservation_id = staff.email, reservation.code, reservation.id
        title, price = showtime.movie.title, reservation.total_price_cents
    js = "js-on" if request.node.callspec.params["browser_page"] else "js-off"
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, staff_email)
    page.goto("/staff/checkin")
    page.get_by_role("link", name="Door screen (scan and admit in one step)").click()

    field = page.get_by_label("Scan or type the next ticket")
    expect(field).to_be_focused()
    field.fill("ZZZZZZZZZZ")
    field.press("Enter")  # what a scanner sends after the code
    verdict = page.locator("[data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "refuse")
    expect(verdict).to_contain_text("No booking has this code")
    assert verdict.bounding_box()["width"] >= page.viewport_size["width"] * 0.8
    screenshot(page, f"door-refuse-{width}-{js}")

    field = page.get_by_label("Scan or type the next ticket")
    expect(field).to_be_focused()
    field.fill(code)
    field.press("Enter")
    expect(verdict).to_have_attribute("data-verdict", "unpaid")
    expect(verdict).to_contain_text(f"£{price // 100}.{price % 100:02d}")
    screenshot(page, f"door-unpaid-{width}-{js}")
    page.get_by_role("button", name="Take payment and admit").click()

    expect(verdict).to_have_attribute("data-verdict", "admit")
    expect(verdict).to_contain_text(title)
    expect(page.get_by_label("Scan or type the next ticket")).to_be_focused()
    assert horizontal_overflow(page) == 0
    screenshot(page, f"door-admit-{width}-{js}")
    with app.app_context():
        admitted = db.session.get(Reservation, reservation_id)
        assert admitted.status is ReservationStatus.COMPLETED and admitted.paid_at is not None


def test_print_buttons_are_absent_without_javascript(browser_page, app, request):
    """Issue 16: `.btn{display:inline-flex}` overrode `hidden`: a Print button that does nothing."""
    with app.app_context():
        staff = gen_user(role=UserRole.STAFF)
        showtime = gen_showtime(starts_at=later_today())
        reservation = gen_reservation(gen_user(), showtime, seats_of(showtime.auditorium)[:1])
        staff_email, reservation_id = staff.email, reservation.id
    page = browser_page
    sign_in(page, staff_email)
    page.goto(f"/bookings/{reservation_id}")
    button = page.get_by_role("button", name="Print ticket")
    if request.node.callspec.params["browser_page"]:
        expect(button).to_be_visible()
    else:
        expect(button).to_be_hidden()
    # A ticket sold by staff leads back to the box office, not to the staff's own bookings.
    expect(page.get_by_role("link", name="← Back to the box office for this showtime")).to_be_visible()
