"""Box office: staff sell seats to walk-ins from the seat map and take payment at the counter."""
from __future__ import annotations

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import (
    AuditLog, OutboxEmail, PaymentMethod, Reservation, ReservationStatus, UserRole,
)
from cinema.services import accounts
from tests.booking_helpers import JSON, hold, patron_client, setup_showtime


def sell(client, showtime, seats, **customer):
    return client.post("/staff/box-office/sell", data={
        "showtime_id": showtime.id, "seat_ids": [s.id for s in seats], **customer})


def test_staff_sell_to_a_walk_in_and_get_a_printable_ticket(app, app_ctx):
    showtime, seats = setup_showtime()
    staff, client = patron_client(app, role=UserRole.STAFF)
    page = client.get(f"/showtimes/{showtime.id}").get_data(as_text=True)
    assert "Box office sale" in page
    response = sell(client, showtime, seats[:2])
    assert response.status_code == 303
    db.session.expire_all()
    reservation = db.session.scalar(sa.select(Reservation))
    assert reservation.status is ReservationStatus.CONFIRMED
    assert reservation.payment_method is PaymentMethod.BOX_OFFICE
    assert reservation.paid_at is not None and reservation.sold_by == staff.id
    assert reservation.user.email == "walk-in@box-office.invalid"
    assert db.session.scalar(sa.select(AuditLog.action)) == "boxoffice.sell"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.kind == "booking_confirmed")) == 0
    ticket = client.get(response.headers["Location"]).get_data(as_text=True)
    assert reservation.code in ticket and "QR code of booking" in ticket
    # The seats are sold: a patron cannot hold them.
    _, patron = patron_client(app)
    assert hold(patron, showtime, seats[:1], headers=JSON).get_json()["error_code"] == \
        "SEAT_BOOKED"


def test_a_sale_with_an_email_books_on_that_account_and_sends_the_ticket(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app, role=UserRole.STAFF)
    sell(client, showtime, seats[:1], customer_email="Walk.In@Example.com",
         customer_name="Wally In")
    db.session.expire_all()
    user = accounts.find_by_email("walk.in@example.com")
    assert user is not None and user.full_name == "Wally In"
    reservation = db.session.scalar(sa.select(Reservation))
    assert reservation.user_id == user.id
    assert db.session.scalar(sa.select(OutboxEmail.to_address).where(
        OutboxEmail.kind == "booking_confirmed")) == "walk.in@example.com"


def test_two_walk_in_sales_for_one_showtime_do_not_cancel_each_other(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app, role=UserRole.STAFF)
    sell(client, showtime, seats[:1])
    sell(client, showtime, seats[1:2])
    db.session.expire_all()
    statuses = db.session.scalars(sa.select(Reservation.status)).all()
    assert statuses == [ReservationStatus.CONFIRMED, ReservationStatus.CONFIRMED]


def test_selling_taken_seats_is_a_409_with_the_map_again(app, app_ctx):
    showtime, seats = setup_showtime()
    _, patron = patron_client(app)
    hold(patron, showtime, seats[:1])
    _, client = patron_client(app, role=UserRole.STAFF)
    response = sell(client, showtime, seats[:2])
    assert response.status_code == 409
    assert b'id="seat-map"' in response.data


def test_staff_record_payment_of_a_pay_at_box_office_booking(app, app_ctx):
    showtime, seats = setup_showtime()
    _, patron = patron_client(app)
    location = hold(patron, showtime, seats[:1]).headers["Location"]
    patron.post(f"{location}/confirm", data={"payment_method": "box_office"})
    reservation_id = int(location.rsplit("/", 1)[1])
    _, staff = patron_client(app, role=UserRole.STAFF)
    assert "Payment taken at the counter" in staff.get(location).get_data(as_text=True)
    assert staff.post(f"/staff/bookings/{reservation_id}/paid").status_code == 303
    assert staff.post(f"/staff/bookings/{reservation_id}/paid", headers=JSON).status_code == 409
    db.session.expire_all()
    assert db.session.get(Reservation, reservation_id).paid_at is not None
    assert patron.post(f"/staff/bookings/{reservation_id}/paid").status_code == 403
