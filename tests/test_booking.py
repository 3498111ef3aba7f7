"""The booking checklist: holds, conflicts, confirm, expiry, cancel, refund, history."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from cinema.booking import booking, expiry
from cinema.extensions import db
from cinema.models import (
    CancelReason,
    OutboxEmail,
    Payment,
    PaymentKind,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Seat,
    UserRole,
)
from tests.booking_helpers import APPROVE, JSON, hold, now, patron_client, setup_showtime
from tests.factories import gen_auditorium, gen_user, login, seats_of

pytestmark = pytest.mark.usefixtures("money_checked")


def reservation_of(response) -> Reservation:
    reservation_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    db.session.expire_all()
    return db.session.get(Reservation, reservation_id)


def test_hold_creates_a_held_reservation_with_line_items(app, app_ctx):
    showtime, seats = setup_showtime()
    user, client = patron_client(app)
    response = hold(client, showtime, seats[:2])
    assert response.status_code == 303
    reservation = reservation_of(response)
    assert reservation.status is ReservationStatus.HELD
    assert reservation.user_id == user.id
    assert sorted(line.seat_id for line in reservation.seats) == sorted(s.id for s in seats[:2])
    assert reservation.total_price_cents == sum(line.price_cents for line in reservation.seats)
    expected_expiry = now() + timedelta(seconds=app.config["HOLD_SECONDS"])
    assert abs((reservation.hold_expires_at - expected_expiry).total_seconds()) < 30
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "held until" in page and "data-countdown" in page


def test_cannot_hold_booked_seats(app, app_ctx):
    showtime, seats = setup_showtime()
    _, first = patron_client(app)
    reservation = reservation_of(hold(first, showtime, seats[:2]))
    assert first.post(f"/bookings/{reservation.id}/confirm", data=APPROVE).status_code == 303
    _, second = patron_client(app)
    response = hold(second, showtime, seats[1:3], headers=JSON)
    assert response.status_code == 409
    body = response.get_json()
    assert body["error_code"] == "SEAT_BOOKED"
    assert seats[1].label in body["detail"]
    page = hold(second, showtime, seats[1:3])  # browser: the map again, with the message
    assert page.status_code == 409
    assert b"has just been sold" in page.data and b'id="seat-map"' in page.data


def test_cannot_hold_held_seats(app, app_ctx):
    showtime, seats = setup_showtime()
    _, first = patron_client(app)
    hold(first, showtime, seats[:2])
    _, second = patron_client(app)
    response = hold(second, showtime, seats[:1], headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "SEAT_HELD"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 1


def test_an_expired_hold_never_blocks_anyone_even_without_the_sweep(app, app_ctx):
    showtime, seats = setup_showtime()
    first, second = gen_user(), gen_user()
    stale = booking.hold_seats(first.id, showtime.id, [seats[0].id],
                               now=now() - timedelta(hours=1))
    assert booking.hold_is_live(stale, now()) is False
    fresh = booking.hold_seats(second.id, showtime.id, [seats[0].id], now=now())
    assert fresh.status is ReservationStatus.HELD
    db.session.refresh(stale)
    assert stale.status is ReservationStatus.CANCELLED
    assert stale.cancel_reason is CancelReason.EXPIRED


def test_a_new_hold_replaces_the_patrons_previous_hold_for_the_showtime(app, app_ctx):
    showtime, seats = setup_showtime()
    user = gen_user()
    first = booking.hold_seats(user.id, showtime.id, [seats[0].id], now=now())
    second = booking.hold_seats(user.id, showtime.id, [seats[0].id, seats[1].id], now=now())
    db.session.refresh(first)
    assert first.status is ReservationStatus.CANCELLED
    assert first.cancel_reason is CancelReason.REPLACED
    assert second.status is ReservationStatus.HELD


def test_invalid_seat_ids_are_422(app, app_ctx):
    showtime, seats = setup_showtime()
    other_seat = seats_of(gen_auditorium())[0]
    _, client = patron_client(app)
    blocked = seats[3]
    blocked.is_blocked = True
    db.session.commit()
    cases = [
        ["not-a-number"], [], [seats[0].id, seats[0].id], [other_seat.id], [blocked.id],
        [999999], [s.id for s in seats[:11]] if len(seats) > 10 else list(range(1, 12)),
    ]
    for seat_ids in cases:
        response = client.post("/bookings/hold", headers=JSON,
                               data={"showtime_id": showtime.id, "seat_ids": seat_ids})
        assert response.status_code == 422, seat_ids
        assert response.get_json()["error_code"] == "VALIDATION_ERROR"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0


def test_past_or_cancelled_showtimes_cannot_be_held(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    showtime.cancelled_at = now()
    db.session.commit()
    response = hold(client, showtime, seats[:1], headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "SHOWTIME_UNAVAILABLE"
    assert client.post("/bookings/hold", headers=JSON,
                       data={"showtime_id": 424242, "seat_ids": [1]}).status_code == 404


def test_confirm_with_the_approving_card_confirms_and_queues_the_email(app, app_ctx):
    showtime, seats = setup_showtime()
    user, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:2]))
    response = client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE)
    assert response.status_code == 303
    db.session.expire_all()
    reservation = db.session.get(Reservation, reservation.id)
    assert reservation.status is ReservationStatus.CONFIRMED
    assert reservation.paid_at is not None and reservation.payment_id.startswith("sim_ch_")
    charge = db.session.scalar(sa.select(Payment))
    assert charge.status is PaymentStatus.SUCCEEDED
    assert charge.amount_cents == reservation.total_price_cents
    email = db.session.scalar(sa.select(OutboxEmail).where(
        OutboxEmail.reservation_id == reservation.id))
    assert email is not None and email.to_address == user.email


def test_a_double_submit_never_charges_twice(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    form = {**APPROVE, "idempotency_key": "form-123"}
    assert client.post(f"/bookings/{reservation.id}/confirm", data=form).status_code == 303
    assert client.post(f"/bookings/{reservation.id}/confirm", data=form).status_code == 303
    charges = db.session.scalars(sa.select(Payment).where(
        Payment.kind == PaymentKind.CHARGE)).all()
    assert len(charges) == 1


def test_declined_cards_leave_the_hold_in_place(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    for number, phrase in (("4000000000000002", "declined"),
                           ("4000000000009995", "insufficient funds"),
                           ("4000000000000119", "processing")):
        response = client.post(f"/bookings/{reservation.id}/confirm",
                               data={**APPROVE, "card_number": number})
        assert response.status_code == 402
        assert phrase in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Reservation, reservation.id).status is ReservationStatus.HELD


def test_bad_card_details_are_422_with_field_errors(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    response = client.post(f"/bookings/{reservation.id}/confirm", headers=JSON, data={
        "payment_method": "card", "card_number": "4242424242424241", "card_expiry": "13/20",
        "card_cvc": "x"})
    body = response.get_json()
    assert response.status_code == 422
    assert set(body["errors"]) == {"card_number", "card_expiry", "card_cvc"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_expired_holds_cannot_be_confirmed(app, app_ctx):
    showtime, seats = setup_showtime()
    user, client = patron_client(app)
    reservation = booking.hold_seats(user.id, showtime.id, [seats[0].id],
                                     now=now() - timedelta(hours=1))
    response = client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE, headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "HOLD_EXPIRED"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_box_office_payment_confirms_unpaid(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    client.post(f"/bookings/{reservation.id}/confirm", data={"payment_method": "box_office"})
    db.session.expire_all()
    reservation = db.session.get(Reservation, reservation.id)
    assert reservation.status is ReservationStatus.CONFIRMED and reservation.paid_at is None
    assert "to pay at the box office" in client.get(f"/bookings/{reservation.id}").get_data(
        as_text=True).lower()


def test_cancel_releases_the_hold_at_once(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:2]))
    # Releasing a hold needs no confirmation step: nothing was sold (issue 16).
    assert client.post(f"/bookings/{reservation.id}/cancel").status_code == 303
    db.session.expire_all()
    assert db.session.get(Reservation, reservation.id).status is ReservationStatus.CANCELLED
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(ReservedSeat).where(
        ReservedSeat.is_active.is_(True)))
    _, other = patron_client(app)
    assert hold(other, showtime, seats[:2]).status_code == 303


def test_cancel_refunds_the_payment(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:2]))
    client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE)
    assert client.post(f"/bookings/{reservation.id}/cancel", data={"confirm": "1"}).status_code == 303
    refund = db.session.scalar(sa.select(Payment).where(Payment.kind == PaymentKind.REFUND))
    assert refund.status is PaymentStatus.SUCCEEDED
    assert refund.amount_cents == reservation.total_price_cents
    kinds = set(db.session.scalars(sa.select(OutboxEmail.kind)))
    assert {"booking_confirmed", "booking_cancelled"} <= kinds
    page = client.get("/bookings/my").get_data(as_text=True)
    assert "is being refunded to the card it was paid with" in page


def test_cancelling_a_booking_paid_at_the_counter_says_the_money_is_given_back_there(app, app_ctx):
    showtime, seats = setup_showtime()
    user, client = patron_client(app)
    reservation = booking.hold_seats(user.id, showtime.id, [seats[0].id], now())
    booking.confirm_booking(reservation.id, user.id, "box_office", now())
    db.session.get(type(reservation), reservation.id).paid_at = now()  # paid at the counter
    db.session.commit()
    asked = client.post(f"/bookings/{reservation.id}/cancel").get_data(as_text=True)
    assert "was paid at the box office and is given back there" in asked
    assert client.post(f"/bookings/{reservation.id}/cancel", data={"confirm": "1"}).status_code == 303
    page = client.get("/bookings/my").get_data(as_text=True)
    assert "paid at the box office is given back there" in page and ">Refunded<" not in page
    assert "paid at the box office, given back at the counter" in page  # its Money column
    sent = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.kind == "booking_cancelled"))
    text = message_from_bytes(sent.message, policy=policy.default).get_body(("plain",)).get_content()
    assert "at the box office: please collect your refund there." in text
    assert "Nothing had been paid" not in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_confirmed_bookings_cannot_be_cancelled_after_the_cutoff(app, app_ctx):
    showtime, seats = setup_showtime(starts_in=timedelta(minutes=30))
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE)
    response = client.post(f"/bookings/{reservation.id}/cancel", headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "CANCELLATION_CLOSED"
    admin_user, admin = patron_client(app, role=UserRole.ADMIN)
    assert admin.post(f"/bookings/{reservation.id}/cancel", data={"confirm": "1"}).status_code == 303
    db.session.expire_all()
    cancelled = db.session.get(Reservation, reservation.id)
    assert cancelled.cancel_reason is CancelReason.ADMIN


def test_only_owner_staff_and_admins_see_a_booking(app, app_ctx):
    showtime, seats = setup_showtime()
    _, owner = patron_client(app)
    reservation = reservation_of(hold(owner, showtime, seats[:1]))
    url = f"/bookings/{reservation.id}"
    assert owner.get(url).status_code == 200
    _, stranger = patron_client(app)
    assert stranger.get(url).status_code == 404
    assert stranger.post(f"{url}/cancel").status_code == 404
    assert stranger.post(f"{url}/confirm", data=APPROVE).status_code == 404
    _, staff = patron_client(app, role=UserRole.STAFF)
    assert staff.get(url).status_code == 200


def test_history_lists_upcoming_then_past(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE)
    page = client.get("/bookings/my").get_data(as_text=True)
    assert showtime.movie.title in page and "Confirmed" in page
    assert page.index("Upcoming") < page.index(showtime.movie.title) < page.index("Past")


def test_history_keeps_cancelled_bookings_apart_and_leaves_out_lapsed_holds(app, app_ctx):
    showtime, seats = setup_showtime()
    user, client = patron_client(app)
    lapsed = booking.hold_seats(user.id, showtime.id, [seats[0].id], now() - timedelta(hours=1))
    expiry.release_expired_holds(now())
    kept = booking.hold_seats(user.id, showtime.id, [seats[4].id, seats[5].id], now())
    booking.confirm_booking(kept.id, user.id, "card", now(), card_number="4242424242424242",
                            card_expiry="12/34", card_cvc="123")
    gone = booking.hold_seats(user.id, showtime.id, [seats[8].id, seats[9].id], now())
    booking.confirm_booking(gone.id, user.id, "card", now(), card_number="4242424242424242",
                            card_expiry="12/34", card_cvc="123")
    booking.cancel_booking(gone.id, user.id, now())
    page = client.get("/bookings/my").get_data(as_text=True)
    upcoming = page[page.index("<h2>Upcoming"):page.index("<h2>Past")]
    cancelled = page[page.index("<h2>Cancelled"):]
    assert f"/bookings/{kept.id}\"" in upcoming and f"/bookings/{gone.id}\"" not in upcoming
    assert f"/bookings/{gone.id}\"" in cancelled and "refunded to the card" in cancelled
    assert f"/bookings/{lapsed.id}\"" not in page  # a hold that ran out was never a booking


def test_the_sweep_marks_expired_holds_and_is_idempotent(app, app_ctx):
    showtime, seats = setup_showtime()
    user = gen_user()
    stale = booking.hold_seats(user.id, showtime.id, [seats[0].id],
                               now=now() - timedelta(hours=1))
    live = booking.hold_seats(gen_user().id, showtime.id, [seats[1].id], now=now())
    assert expiry.release_expired_holds(now()) == 1
    assert expiry.release_expired_holds(now()) == 0
    db.session.refresh(stale)
    db.session.refresh(live)
    assert stale.cancel_reason is CancelReason.EXPIRED
    assert live.status is ReservationStatus.HELD


def test_seat_count_check_uses_max_seats_per_hold(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_SEATS_PER_HOLD", 2)
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    assert hold(client, showtime, seats[:3], headers=JSON).status_code == 422
    assert hold(client, showtime, seats[:2]).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seat)) == 12


def test_a_cancelled_showtime_refunds_its_card_bookings(app, app_ctx):
    from cinema.programme import cancellation

    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    paid = reservation_of(hold(client, showtime, seats[:2]))
    client.post(f"/bookings/{paid.id}/confirm", data=APPROVE)
    _, other = patron_client(app)
    counter = reservation_of(hold(other, showtime, seats[2:3]))
    other.post(f"/bookings/{counter.id}/confirm", data={"payment_method": "box_office"})
    admin = gen_user(role=UserRole.ADMIN)
    cancellation.cancel_showtime(showtime.id, admin.id, now(), "Projector fault")
    db.session.expire_all()
    refunds = db.session.scalars(sa.select(Payment).where(Payment.kind == PaymentKind.REFUND)).all()
    assert [(r.reservation_id, r.status, r.amount_cents) for r in refunds] == [
        (paid.id, PaymentStatus.SUCCEEDED, paid.total_price_cents)]
    for reservation in (paid, counter):
        assert db.session.get(Reservation, reservation.id).cancel_reason is \
            CancelReason.SHOWTIME_CANCELLED


def test_a_charge_refunded_because_the_hold_expired_is_neither_sale_nor_refund(app, app_ctx):
    from cinema.booking import charges, payments, refunds
    from cinema.reports import reports
    from cinema.reports.report_dates import DateRange

    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    card = payments.parse_card("4242424242424242", "12/34", "123", now())
    charge = charges.charge_reservation(reservation, card, now())
    refunds.refund_payment(charge, now())  # what finalise does when the hold ran out
    today = now().date()
    total = reports.revenue_total(DateRange(today - timedelta(days=1), today + timedelta(days=1)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment).where(
        Payment.kind == PaymentKind.REFUND, Payment.status == PaymentStatus.SUCCEEDED)) == 1
    assert (total.sales_cents, total.refunds_cents) == (0, 0)


def test_bookings_without_my_leads_to_my_bookings(app, app_ctx):
    user, client = patron_client(app)
    for path in ("/bookings", "/bookings/"):
        followed = client.get(path, follow_redirects=True)
        assert followed.status_code == 200 and followed.request.path == "/bookings/my", path


def test_the_cancel_step_is_a_page_of_its_own_that_back_and_reload_can_show(app, app_ctx):
    """The ticket's "Cancel booking…" opens GET /bookings/<id>/cancel (no form resubmission
    on Back or reload); only its button cancels. Someone else's booking is not found there."""
    showtime, seats = setup_showtime()
    user, client = patron_client(app)
    _, stranger = patron_client(app)
    reservation = booking.hold_seats(user.id, showtime.id, [seats[0].id], now())
    booking.confirm_booking(reservation.id, user.id, "card", now(),
                            **{k: v for k, v in APPROVE.items() if k != "payment_method"})
    ticket = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert f'<form method="get" action="/bookings/{reservation.id}/cancel"' in ticket
    for _ in range(2):  # shown, then shown again (a reload): nothing cancelled
        asked = client.get(f"/bookings/{reservation.id}/cancel")
        assert asked.status_code == 200 and 'name="confirm" value="1"' in asked.get_data(True)
    assert db.session.get(type(reservation), reservation.id).status.value == "CONFIRMED"
    assert stranger.get(f"/bookings/{reservation.id}/cancel").status_code == 404
    assert client.post(f"/bookings/{reservation.id}/cancel", data={"confirm": "1"}).status_code == 303
    again = client.get(f"/bookings/{reservation.id}/cancel")  # Back after cancelling
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/{reservation.id}")


def test_a_form_address_opened_again_leads_to_its_page_not_a_405(app, app_ctx):
    """After a refusal, the page shown is the answer to a POST at the form's address; a reload
    or a bookmark of that address opens what the form belongs to."""
    showtime, seats = setup_showtime()
    user, client = patron_client(app)
    staff_user, staff = patron_client(app, role=UserRole.STAFF)
    admin_user, admin = patron_client(app, role=UserRole.ADMIN)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    expected = {
        (client, "/bookings/hold"): "/showtimes",
        (client, f"/bookings/hold?showtime_id={showtime.id}"): f"/showtimes/{showtime.id}",
        (client, f"/bookings/{reservation.id}/confirm"): f"/bookings/{reservation.id}",
        (client, f"/bookings/{reservation.id}/promo"): f"/bookings/{reservation.id}",
        (client, f"/bookings/{reservation.id}/tickets"): f"/bookings/{reservation.id}",
        (staff, "/staff/box-office/sell"): "/showtimes",
    }
    for (who, path), target in expected.items():
        answer = who.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].endswith(target), path
    # The admin's cancel step is a page of its own: shown, nothing cancelled.
    step = admin.get(f"/admin/bookings/{reservation.id}/cancel")
    assert step.status_code == 200 and 'name="confirm" value="1"' in step.get_data(as_text=True)
    assert db.session.get(Reservation, reservation.id).status is ReservationStatus.HELD


def test_seats_ticked_before_signing_in_are_ticked_after(app, app_ctx):
    """The summary's "Sign in to book" (redrawn by htmx as seats are ticked) carries them: after
    signing in, the showtime page has them ticked, ready to hold."""
    from urllib.parse import parse_qs, urlsplit

    showtime, seats = setup_showtime()
    user = gen_user()
    anonymous = app.test_client()
    chosen = [seats[4].id, seats[5].id]
    summary = anonymous.get(f"/showtimes/{showtime.id}/summary",
                            query_string={"seat_ids": chosen}).get_data(as_text=True)
    link = re.search(r'href="(/auth/login\?next=[^"]+)">Sign in to book', summary).group(1)
    target = parse_qs(urlsplit(html.unescape(link)).query)["next"][0]
    assert target == f"/showtimes/{showtime.id}?seat_ids={chosen[0]}&seat_ids={chosen[1]}"
    signed_in = login(anonymous, user.email, next=target)
    assert signed_in.status_code == 303 and signed_in.headers["Location"].endswith(target)
    page = anonymous.get(target).get_data(as_text=True)
    for seat_id in chosen:
        assert re.search(rf'value="{seat_id}"[^>]*checked', page), seat_id
