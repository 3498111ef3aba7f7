"""Promo codes: the admin pages, the discount to the cent on the hold page, the refusals, and
a use counted once per confirmed booking even when patrons race for the last one."""
from __future__ import annotations

import email
import re
import threading
from datetime import date, datetime, timedelta, timezone
from email import policy

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from cinema import exceptions
from cinema.booking import booking, charges, payments, promotions
from cinema.extensions import db
from cinema.models import (
    AuditLog,
    OutboxEmail,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    PromoCode,
    Reservation,
    ReservationStatus,
    UserRole,
)
from cinema.reports.report_dates import DateRange
from cinema.reports.reports import revenue_total
from tests.admin_factories import admin_client
from tests.booking_helpers import APPROVE, JSON, now, patron_client
from tests.factories import PASSWORD, gen_user
from tests.promo_factories import evening_showtime, gen_promo

pytestmark = pytest.mark.usefixtures("money_checked")

NEW_CODE = {"code": "summer-10", "description": "Summer students", "kind": "percent",
            "value": "10", "valid_from": "2030-06-01", "valid_until": "2030-06-30",
            "max_uses": "5"}


@pytest.fixture
def admin(app_ctx, app):
    return admin_client(app)


def stored(code: str) -> PromoCode:
    db.session.expire_all()
    return db.session.scalar(sa.select(PromoCode).where(PromoCode.code == code))


def fresh(reservation: Reservation) -> Reservation:
    db.session.expire_all()
    return db.session.get(Reservation, reservation.id)


def held(user, showtime, seats) -> Reservation:
    return booking.hold_seats(user.id, showtime.id, [s.id for s in seats], now=now())


def lines(reservation: Reservation) -> list[tuple[int, int]]:
    """(discount, price) of each seat, in seat order."""
    return [(line.discount_cents, line.price_cents) for line in fresh(reservation).seats]


# --- admin -------------------------------------------------------------------------------------

def test_admin_adds_a_code_stored_upper_case_with_local_day_bounds(admin):
    client, user = admin
    response = client.post("/admin/promo-codes", data=NEW_CODE)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/promo-codes#main")
    promo = stored("SUMMER-10")
    assert (promo.percent_off, promo.amount_off_cents, promo.max_uses) == (10, None, 5)
    assert promo.description == "Summer students" and promo.times_used == 0
    # London is on summer time (UTC+1): the first day starts at 23:00 UTC the evening before,
    # and the last day ends at the next local midnight.
    assert promo.valid_from == datetime(2030, 5, 31, 23, 0, tzinfo=timezone.utc)
    assert promo.valid_until == datetime(2030, 6, 30, 23, 0, tzinfo=timezone.utc)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "promo_code.create"))
    assert entry.actor_id == user.id and entry.entity_id == promo.id
    assert entry.after["code"] == "SUMMER-10" and entry.after["percent_off"] == 10
    page = client.get("/admin/promo-codes").get_data(as_text=True)
    assert "SUMMER-10" in page and "0 of 5" in page and "01 Jun 2030 – 30 Jun 2030" in page


def test_a_fixed_amount_is_typed_as_money_and_stored_in_cents(admin):
    client, _ = admin
    response = client.post("/admin/promo-codes", data={
        **NEW_CODE, "code": "FIVER", "kind": "amount", "value": "2.50", "valid_from": "",
        "valid_until": "", "max_uses": ""})
    assert response.status_code == 303
    promo = stored("FIVER")
    assert (promo.percent_off, promo.amount_off_cents) == (None, 250)
    assert (promo.valid_from, promo.valid_until, promo.max_uses) == (None, None, None)
    page = client.get("/admin/promo-codes").get_data(as_text=True)
    assert "£2.50 per booking" in page and "Always" in page


@pytest.mark.parametrize("change, message", [
    ({"code": ""}, "Type the code patrons will enter."),
    ({"code": "two words"}, "Letters, digits and dashes only."),
    ({"code": "AB"}, "Field must be between 3 and 40 characters long."),
    ({"value": ""}, "How much off?"),
    ({"value": "0"}, "A whole percentage from 1 to 100."),
    ({"value": "101"}, "A whole percentage from 1 to 100."),
    ({"value": "12.5"}, "A whole percentage from 1 to 100."),
    ({"kind": "amount", "value": "2.505"}, "A price like 12.50."),
    ({"kind": "amount", "value": "0.00"}, "More than 0.00."),
    ({"kind": "amount", "value": "1e3"}, "A price like 12.50."),
    ({"kind": "bogus"}, "Not a valid choice"),
    ({"valid_until": "2030-05-31"}, "The last day cannot be before the first day."),
    ({"valid_from": "31/06/2030"}, "Not a valid date value"),
    ({"max_uses": "0"}, "At least 1, or leave empty."),
])
def test_form_errors_rerender_the_form_with_422(admin, change, message):
    client, _ = admin
    response = client.post("/admin/promo-codes", data={**NEW_CODE, **change})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'name="code"' in page and "<html" in page  # the list page with the form again
    assert db.session.scalar(sa.select(sa.func.count(PromoCode.id))) == 0


def test_codes_are_unique_whatever_the_case(admin):
    client, _ = admin
    gen_promo("SPRING")
    response = client.post("/admin/promo-codes", data={**NEW_CODE, "code": "spring"})
    assert response.status_code == 422
    assert "There is already a promo code SPRING." in response.get_data(as_text=True)
    as_json = client.post("/admin/promo-codes", headers=JSON, data={**NEW_CODE, "code": "Spring"})
    assert as_json.status_code == 422
    assert as_json.get_json()["errors"] == {"code": ["There is already a promo code SPRING."]}


def test_admin_edits_a_code_and_the_change_is_audited(admin):
    client, _ = admin
    promo = gen_promo("AUTUMN", amount_off_cents=300, max_uses=10, times_used=4)
    response = client.get(f"/admin/promo-codes/{promo.id}/edit")
    assert response.status_code == 200
    form = response.get_data(as_text=True)
    assert 'promo-status-active">Active</span>' in form
    assert 'value="AUTUMN"' in form and 'value="3.00"' in form and 'value="10"' in form
    assert "Used 4 times of 10" in form
    response = client.post(f"/admin/promo-codes/{promo.id}/edit", data={
        **NEW_CODE, "code": "autumn", "kind": "percent", "value": "15", "max_uses": "20"})
    assert response.status_code == 303
    promo = stored("AUTUMN")
    assert (promo.percent_off, promo.amount_off_cents, promo.max_uses) == (15, None, 20)
    assert promo.times_used == 4  # uses so far are never edited
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "promo_code.update"))
    assert entry.before["amount_off_cents"] == 300 and entry.after["percent_off"] == 15
    history = client.get(f"/admin/promo-codes/{promo.id}/edit").get_data(as_text=True)
    assert "edited promo code AUTUMN" in history


def test_the_limit_cannot_go_below_the_uses_so_far(admin):
    client, _ = admin
    promo = gen_promo("USED", max_uses=10, times_used=4)
    response = client.post(f"/admin/promo-codes/{promo.id}/edit",
                           data={**NEW_CODE, "code": "USED", "max_uses": "3"})
    assert response.status_code == 422
    assert "Already used 4 times: the limit cannot be lower." in response.get_data(as_text=True)
    assert stored("USED").max_uses == 10


def test_deactivate_and_restore(admin):
    client, _ = admin
    promo = gen_promo("GONE")
    assert client.post(f"/admin/promo-codes/{promo.id}/delete").status_code == 303
    assert stored("GONE").is_deleted is True
    page = client.get("/admin/promo-codes").get_data(as_text=True)
    assert "Inactive" in page and "Restore" in page
    again = client.post(f"/admin/promo-codes/{promo.id}/delete", headers=JSON)
    assert again.status_code == 409
    assert client.post(f"/admin/promo-codes/{promo.id}/restore").status_code == 303
    assert stored("GONE").is_deleted is False
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["promo_code.delete", "promo_code.restore"]
    assert client.get("/admin/promo-codes/999/edit").status_code == 404


def test_only_admins_reach_the_promo_code_pages(app, app_ctx):
    promo = gen_promo("ADMINONLY")
    for role in (UserRole.USER, UserRole.STAFF):
        _, client = patron_client(app, role=role)
        assert client.get("/admin/promo-codes").status_code == 403
        assert client.post(f"/admin/promo-codes/{promo.id}/delete").status_code == 403
    assert stored("ADMINONLY").is_deleted is False


# --- the arithmetic ----------------------------------------------------------------------------

def test_percent_is_per_seat_rounded_half_up():
    assert promotions.percent_discounts([1250, 1250, 1250], 10) == [125, 125, 125]
    assert promotions.percent_discounts([125, 1250, 1550], 15) == [19, 188, 233]
    assert promotions.percent_discounts([1250, 0], 100) == [1250, 0]


def test_an_amount_is_split_by_largest_remainder_and_never_past_a_seat_price():
    assert promotions.amount_discounts([1250, 1250, 1250], 500) == [167, 167, 166]
    assert promotions.amount_discounts([1550, 1250], 500) == [277, 223]
    assert promotions.amount_discounts([1250, 1250, 1250], 5000) == [1250, 1250, 1250]
    assert promotions.amount_discounts([0, 1000], 300) == [0, 300]
    assert promotions.amount_discounts([0, 0], 300) == [0, 0]
    for prices in ([1, 1, 1], [999, 1, 350], [1250, 1550, 1650, 1250]):
        for amount in (1, 2, 7, 500, 1351, 10_000):
            parts = promotions.amount_discounts(prices, amount)
            assert sum(parts) == min(amount, sum(prices))
            assert all(0 <= part <= price for part, price in zip(parts, prices, strict=True))


# --- applying a code ---------------------------------------------------------------------------

def test_ten_percent_off_three_seats_at_1250(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    user, client = patron_client(app)
    promo = gen_promo("TEN", percent_off=10)
    reservation = held(user, showtime, seats[:3])
    response = client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": " ten "})
    assert response.status_code == 303
    assert lines(reservation) == [(125, 1125)] * 3
    reservation = fresh(reservation)
    assert reservation.promo_code_id == promo.id and reservation.total_price_cents == 3375
    page = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert "Promo code TEN applied." in page and "you save £3.75" in page
    assert "−£1.25" in page and "Pay £33.75 and confirm" in page


def test_five_pounds_off_three_seats_at_1250(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    user, client = patron_client(app)
    gen_promo("FIVER", amount_off_cents=500)
    reservation = held(user, showtime, seats[:3])
    client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": "fiver"})
    assert lines(reservation) == [(167, 1083), (167, 1083), (166, 1084)]
    assert fresh(reservation).total_price_cents == 3250


def test_an_amount_larger_than_the_booking_makes_it_free_never_negative(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    user, client = patron_client(app)
    gen_promo("BIG", amount_off_cents=5000)
    reservation = held(user, showtime, seats[:2])
    client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": "BIG"})
    assert lines(reservation) == [(1250, 0), (1250, 0)]
    assert fresh(reservation).total_price_cents == 0


def test_removing_the_code_restores_the_full_price(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    user, client = patron_client(app)
    gen_promo("TEN", percent_off=10)
    gen_promo("FIVER", amount_off_cents=500)
    reservation = held(user, showtime, seats[:3])
    client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": "TEN"})
    client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": "FIVER"})  # replaces
    assert fresh(reservation).total_price_cents == 3250
    response = client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": ""})
    assert response.status_code == 303
    assert lines(reservation) == [(0, 1250)] * 3
    reservation = fresh(reservation)
    assert reservation.promo_code_id is None and reservation.total_price_cents == 3750
    assert "Promo code removed." in client.get(f"/bookings/{reservation.id}").get_data(
        as_text=True)


@pytest.mark.parametrize("promo_fields, typed, status, error_code, message", [
    (None, "NOPE", 422, "PROMO_UNKNOWN", "We do not know the promo code NOPE."),
    ({"is_deleted": True}, "CODE", 422, "PROMO_UNKNOWN", "CODE is no longer available"),
    ({"valid_until": now() - timedelta(minutes=1)}, "code", 422, "PROMO_EXPIRED",
     "The promo code CODE has expired."),
    ({"valid_from": now() + timedelta(days=1)}, "code", 422, "PROMO_NOT_YET_VALID",
     "cannot be used yet"),
    ({"max_uses": 3, "times_used": 3}, "code", 409, "PROMO_EXHAUSTED",
     "has been used as many times as it can be"),
])
def test_codes_that_cannot_be_used_are_refused_clearly(app, app_ctx, promo_fields, typed,
                                                       status, error_code, message):
    showtime, seats = evening_showtime(1250)
    user, client = patron_client(app)
    if promo_fields is not None:
        gen_promo("CODE", **promo_fields)
    reservation = held(user, showtime, seats[:2])
    response = client.post(f"/bookings/{reservation.id}/promo", headers=JSON,
                           data={"promo_code": typed})
    assert response.status_code == status
    body = response.get_json()
    assert body["error_code"] == error_code and message in body["detail"]
    page = client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": typed})
    assert page.status_code == status
    html = page.get_data(as_text=True)
    assert message in html and 'id="promo_code-error"' in html and 'name="card_number"' in html
    assert lines(reservation) == [(0, 1250)] * 2 and fresh(reservation).promo_code_id is None


def test_only_the_owner_of_a_live_hold_applies_a_code(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    gen_promo("TEN", percent_off=10)
    owner, owner_client = patron_client(app)
    _, stranger = patron_client(app)
    reservation = held(owner, showtime, seats[:1])
    other_showtime, other_seats = evening_showtime(1250)
    assert stranger.post(f"/bookings/{reservation.id}/promo",
                         data={"promo_code": "TEN"}).status_code == 404
    stale = booking.hold_seats(owner.id, other_showtime.id, [other_seats[0].id],
                               now=now() - timedelta(hours=1))
    expired = owner_client.post(f"/bookings/{stale.id}/promo", headers=JSON,
                                data={"promo_code": "TEN"})
    assert expired.status_code == 409 and expired.get_json()["error_code"] == "HOLD_EXPIRED"
    owner_client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE)
    confirmed = owner_client.post(f"/bookings/{reservation.id}/promo", headers=JSON,
                                  data={"promo_code": "TEN"})
    assert confirmed.status_code == 409 and confirmed.get_json()["error_code"] == "INVALID_STATE"
    assert fresh(reservation).total_price_cents == 1250


# --- paying with a code ------------------------------------------------------------------------

def test_paying_charges_the_discounted_total_and_counts_one_use(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    user, client = patron_client(app)
    promo = gen_promo("TEN", percent_off=10, max_uses=5)
    reservation = held(user, showtime, seats[:3])
    client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": "TEN"})
    assert client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE).status_code == 303
    reservation = fresh(reservation)
    assert reservation.status is ReservationStatus.CONFIRMED
    assert reservation.total_price_cents == 3375 == sum(line.price_cents for line in reservation.seats)
    charge = db.session.scalar(sa.select(Payment).where(Payment.kind == PaymentKind.CHARGE))
    assert charge.amount_cents == 3375 and charge.status is PaymentStatus.SUCCEEDED
    assert stored("TEN").times_used == 1
    # A double submit after success neither charges nor counts again.
    client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE)
    assert stored("TEN").times_used == 1
    # Every total shown is the sum of the stored line items.
    ticket = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert "−£1.25" in ticket and "£33.75" in ticket
    assert "£33.75" in client.get("/bookings/my").get_data(as_text=True)
    row = db.session.scalar(sa.select(OutboxEmail).where(
        OutboxEmail.reservation_id == reservation.id, OutboxEmail.kind == "booking_confirmed"))
    text = email.message_from_bytes(row.message, policy=policy.default) \
        .get_body(("plain",)).get_content()
    assert "discount −£1.25 = £11.25" in text and "Total: £33.75" in text
    day = showtime.starts_at.date()  # any range covering today: the sale is confirmed now
    total = revenue_total(DateRange(date.today() - timedelta(days=1), day))
    assert (total.base_cents, total.discount_cents, total.sales_cents) == (3750, 375, 3375)
    assert promo.id == reservation.promo_code_id


def test_box_office_booking_with_a_code_counts_a_use_too(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    user, client = patron_client(app)
    gen_promo("FIVER", amount_off_cents=500)
    reservation = held(user, showtime, seats[:3])
    client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": "FIVER"})
    client.post(f"/bookings/{reservation.id}/confirm", data={"payment_method": "box_office"})
    assert fresh(reservation).status is ReservationStatus.CONFIRMED
    assert fresh(reservation).total_price_cents == 3250
    assert stored("FIVER").times_used == 1


def test_a_code_used_up_after_applying_is_refused_before_any_charge(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    gen_promo("LAST", percent_off=10, max_uses=1)
    first, first_client = patron_client(app)
    second, second_client = patron_client(app)
    mine = held(first, showtime, seats[:1])
    theirs = held(second, showtime, seats[1:3])
    for client, reservation in ((first_client, mine), (second_client, theirs)):
        client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": "LAST"})
    assert first_client.post(f"/bookings/{mine.id}/confirm", data=APPROVE).status_code == 303
    refused = second_client.post(f"/bookings/{theirs.id}/confirm", headers=JSON, data=APPROVE)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error_code"] == "PROMO_EXHAUSTED"
    assert "discount has been removed, so the total is now £25.00" in body["detail"]
    theirs = fresh(theirs)
    assert theirs.status is ReservationStatus.HELD and theirs.promo_code_id is None
    assert lines(theirs) == [(0, 1250)] * 2 and theirs.total_price_cents == 2500
    assert db.session.scalar(sa.select(sa.func.count(Payment.id)).where(
        Payment.reservation_id == theirs.id)) == 0  # refused before the card was charged
    assert second_client.post(f"/bookings/{theirs.id}/confirm", data=APPROVE).status_code == 303
    assert fresh(theirs).status is ReservationStatus.CONFIRMED
    assert stored("LAST").times_used == 1


def test_a_code_that_expired_or_was_deactivated_while_paying_is_refused(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    promo = gen_promo("BRIEF", percent_off=50)
    user, client = patron_client(app)
    reservation = held(user, showtime, seats[:1])
    client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": "BRIEF"})
    promo.valid_until = now() - timedelta(seconds=1)
    db.session.commit()
    page = client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "The promo code BRIEF has expired. Its discount has been removed" in html
    assert "Pay £12.50 and confirm" in html
    assert fresh(reservation).status is ReservationStatus.HELD


def test_the_atomic_update_counts_the_last_use_once(app, app_ctx):
    promo = gen_promo("ONCE", max_uses=2, times_used=1)
    assert promotions.consume_use(promo.id) is True
    db.session.commit()
    assert promotions.consume_use(promo.id) is False
    db.session.commit()
    assert stored("ONCE").times_used == 2
    unlimited = gen_promo("MANY")
    assert all(promotions.consume_use(unlimited.id) for _ in range(3))
    db.session.commit()
    assert stored("MANY").times_used == 3


def test_a_charge_whose_code_ran_out_at_confirmation_is_refunded(app, app_ctx):
    """The backstop: the check before the charge passed, then another booking took the last
    use before this one confirmed. The charge is refunded under its own key, the discount
    removed; paying the new total is a second attempt and confirms, and a later cancellation
    refunds that second charge."""
    showtime, seats = evening_showtime(1250)
    promo = gen_promo("LAST", percent_off=10, max_uses=1)
    user, client = patron_client(app)
    reservation = held(user, showtime, seats[:2])
    promotions.apply_promo(reservation.id, user.id, "LAST", now())
    card = payments.parse_card(APPROVE["card_number"], APPROVE["card_expiry"],
                               APPROVE["card_cvc"], now())
    charge = charges.charge_reservation(fresh(reservation), card, now())
    assert charge.amount_cents == 2250
    db.session.execute(sa.update(PromoCode).where(PromoCode.id == promo.id)
                       .values(times_used=1))  # another booking took the last use meanwhile
    db.session.commit()
    with pytest.raises(exceptions.PromoExhausted, match="total is now £25.00"):
        booking.finalise(reservation.id, now(), PaymentMethod.CARD, charge)
    reservation = fresh(reservation)
    assert reservation.status is ReservationStatus.HELD and reservation.total_price_cents == 2500
    refund = db.session.scalar(sa.select(Payment).where(Payment.kind == PaymentKind.REFUND))
    assert refund.status is PaymentStatus.SUCCEEDED and refund.amount_cents == 2250
    assert stored("LAST").times_used == 1
    # The refunded charge no longer belongs to the booking: paying again is a new attempt,
    # with a key of its own, for the new total.
    assert client.post(f"/bookings/{reservation.id}/confirm",
                       data={**APPROVE, "idempotency_key": "second-try"}).status_code == 303
    reservation = fresh(reservation)
    assert reservation.status is ReservationStatus.CONFIRMED
    assert client.post(f"/bookings/{reservation.id}/cancel", data={"confirm": "1"}).status_code == 303
    db.session.expire_all()
    refunds = db.session.scalars(sa.select(Payment.amount_cents).where(
        Payment.kind == PaymentKind.REFUND, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.id)).all()
    assert refunds == [2250, 2500]


def test_two_patrons_racing_for_the_last_use_get_it_once(app, app_ctx):
    showtime, seats = evening_showtime(1250)
    gen_promo("LAST", percent_off=10, max_uses=1)
    racers = []
    for seat in seats[:2]:
        user, client = patron_client(app)
        reservation = held(user, showtime, [seat])
        client.post(f"/bookings/{reservation.id}/promo", data={"promo_code": "LAST"})
        racers.append((client, reservation.id))
    db.session.expire_all()
    assert [db.session.get(Reservation, rid).total_price_cents for _, rid in racers] == \
        [1125, 1125]
    start, answers = threading.Barrier(len(racers)), {}

    def pay(client, reservation_id):
        start.wait()
        answers[reservation_id] = client.post(f"/bookings/{reservation_id}/confirm",
                                              headers=JSON, data=APPROVE)

    threads = [threading.Thread(target=pay, args=racer) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(response.status_code for response in answers.values())
    assert statuses == [303, 409]
    loser = next(rid for rid, response in answers.items() if response.status_code == 409)
    assert answers[loser].get_json()["error_code"] == "PROMO_EXHAUSTED"
    db.session.expire_all()
    assert stored("LAST").times_used == 1
    winner = next(rid for rid in answers if rid != loser)
    assert db.session.get(Reservation, winner).status is ReservationStatus.CONFIRMED
    assert db.session.get(Reservation, winner).total_price_cents == 1125
    lost = db.session.get(Reservation, loser)
    assert lost.status is ReservationStatus.HELD and lost.total_price_cents == 1250
    # If the loser's card was charged before the backstop refused it, it was refunded.
    charged = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_cents), 0))
                                .where(Payment.reservation_id == loser,
                                       Payment.kind == PaymentKind.CHARGE,
                                       Payment.status == PaymentStatus.SUCCEEDED))
    refunded = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_cents), 0))
                                 .where(Payment.reservation_id == loser,
                                        Payment.kind == PaymentKind.REFUND,
                                        Payment.status == PaymentStatus.SUCCEEDED))
    assert charged == refunded


# --- in the browser ----------------------------------------------------------------------------

@pytest.mark.browser
def test_a_patron_applies_a_code_on_the_hold_page_and_pays(browser, base_url, app_ctx):
    showtime, seats = evening_showtime(1250)
    gen_promo("FIVER", amount_off_cents=500, description="Five off")
    user = gen_user(full_name="Paula Promo")
    reservation = held(user, showtime, seats[:3])
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/auth/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as Paula Promo")).to_be_visible()
    page.goto(f"/bookings/{reservation.id}")
    expect(page.locator(".line-items-table .total")).to_have_text("£37.50")
    page.get_by_label("Promo code").fill("nope")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#promo_code-error")).to_contain_text("We do not know the promo code")
    page.get_by_label("Promo code").fill("fiver")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Promo code FIVER applied.")).to_be_visible()
    expect(page.locator(".promo-applied")).to_contain_text("you save £5.00")
    expect(page.locator(".line-items-table .total")).to_have_text("£32.50")
    expect(page.locator(".line-items-table")).to_contain_text("−£1.67")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile(r"Pay £32\.50 and confirm")).click()
    expect(page.get_by_text("Booking confirmed")).to_be_visible()
    expect(page.locator(".line-items-table .total")).to_have_text("£32.50")
    context.close()
    assert stored("FIVER").times_used == 1
