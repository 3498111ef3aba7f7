"""Box office: staff sell seats to walk-ins from the seat map and take payment at the counter."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from cinema import exceptions
from cinema.accounts import accounts
from cinema.extensions import db
from cinema.models import (
    AuditLog,
    OutboxEmail,
    PaymentMethod,
    PromoCode,
    Reservation,
    ReservationStatus,
    UserRole,
)
from tests.booking_helpers import JSON, hold, patron_client, setup_showtime
from tests.factories import gen_user
from tests.promo_factories import evening_showtime, gen_promo

pytestmark = pytest.mark.usefixtures("money_checked")


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
    assert "Mark as paid: " in staff.get(location).get_data(as_text=True)
    assert staff.post(f"/staff/bookings/{reservation_id}/paid").status_code == 303
    assert staff.post(f"/staff/bookings/{reservation_id}/paid", headers=JSON).status_code == 409
    db.session.expire_all()
    assert db.session.get(Reservation, reservation_id).paid_at is not None
    assert patron.post(f"/staff/bookings/{reservation_id}/paid").status_code == 403


# --- promo codes at the counter ---------------------------------------------------------------

def test_a_box_office_sale_takes_a_promo_code_and_counts_one_use(app, app_ctx):
    showtime, seats = evening_showtime(base_price_cents=1250)
    promo = gen_promo("STUDENT", percent_off=20, max_uses=5)
    staff, client = patron_client(app, role=UserRole.STAFF)
    page = client.get(f"/showtimes/{showtime.id}").get_data(as_text=True)
    assert 'name="promo_code"' in page
    response = sell(client, showtime, seats[:2], promo_code=" student ")
    assert response.status_code == 303
    db.session.expire_all()
    reservation = db.session.scalar(sa.select(Reservation))
    assert reservation.status is ReservationStatus.CONFIRMED
    assert reservation.promo_code_id == promo.id
    assert [line.discount_cents for line in reservation.seats] == [250, 250]
    assert reservation.total_price_cents == 2000 == sum(line.price_cents for line in reservation.seats)
    assert db.session.get(PromoCode, promo.id).times_used == 1
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "boxoffice.sell"))
    assert audit.after["promo_code"] == "STUDENT"


@pytest.mark.parametrize("code, fields, status, message", [
    ("NOPE", {}, 422, "We do not know the promo code NOPE"),
    ("GONE", {"max_uses": 1, "times_used": 1}, 409, "has been used as many times"),
])
def test_a_refused_promo_code_sells_nothing_and_says_why(app, app_ctx, code, fields, status,
                                                         message):
    showtime, seats = evening_showtime()
    if fields:  # a code that exists (NOPE does not)
        gen_promo(code, **fields)
    _, client = patron_client(app, role=UserRole.STAFF)
    response = sell(client, showtime, seats[:2], promo_code=code)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page and f'value="{code}"' in page  # what staff typed is kept
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0
    _, patron = patron_client(app)
    assert hold(patron, showtime, seats[:2]).status_code == 303  # the seats are still free


def test_when_the_last_use_goes_first_the_sale_is_refused_and_the_seats_freed(app, app_ctx):
    """A real race: another transaction takes the code's last use (row locked, not yet
    committed) after the sale has checked the code; the sale waits on the row, then finds no
    use left, sells nothing and frees its seats."""
    from cinema.booking import box_office
    from cinema.models import utcnow

    showtime, seats = evening_showtime()
    promo = gen_promo("LAST", max_uses=1)
    staff = gen_user(UserRole.STAFF)
    showtime_id, seat_ids, staff_id = showtime.id, [s.id for s in seats[:2]], staff.id
    other = db.engine.connect()
    other.execute(sa.update(PromoCode).where(PromoCode.id == promo.id)
                  .values(times_used=PromoCode.times_used + 1))  # its transaction stays open
    outcome: list = []

    def sale() -> None:
        with app.app_context():
            try:
                box_office.sell(staff_id, showtime_id, seat_ids, utcnow(), promo_code="LAST")
                outcome.append("sold")
            except exceptions.PromoExhausted as refusal:
                outcome.append(refusal.detail)
            finally:
                db.session.remove()

    thread = threading.Thread(target=sale)
    thread.start()
    waiting = sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                      "AND datname = current_database()")
    with db.engine.connect() as watcher:
        deadline = time.monotonic() + 30
        while watcher.execute(waiting).scalar() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    other.commit()
    other.close()
    thread.join(30)
    assert outcome == ["The promo code LAST has just been used up: nothing was sold."]
    db.session.expire_all()
    (reservation,) = db.session.scalars(sa.select(Reservation)).all()
    assert reservation.status is ReservationStatus.CANCELLED
    assert not any(line.is_active for line in reservation.seats)
    assert db.session.get(PromoCode, promo.id).times_used == 1
