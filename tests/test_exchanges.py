"""Moving a confirmed booking to another showtime of the same film, paying only the difference:
the new seats are held first, the difference is charged (a top-up) or refunded, and the seats
change in one commit, so a booking never loses both or keeps both, under a race, a declined
card or a killed process. Every test ends with the money invariant (``money_checked``)."""
from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from cinema.booking import booking, exchange_holds, exchanges, reconciliation
from cinema.exceptions import (
    CancellationClosed,
    DomainError,
    HoldExpired,
    InvalidState,
    ValidationFailed,
)
from cinema.extensions import db
from cinema.models import (
    AuditLog,
    CancelReason,
    OutboxEmail,
    Payment,
    PaymentKind,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    ReservedSeat,
)
from cinema.money import format_money
from tests.booking_helpers import (
    APPROVE,
    JSON,
    fresh,
    now,
    other_showtime,
    patron_client,
    race,
    setup_showtime,
)
from tests.factories import gen_showtime, gen_user
from tests.load_support import kill_when_marked
from tests.payment_helpers import KILLED_BEFORE_THE_SWAP, provider_entries

pytestmark = pytest.mark.usefixtures("money_checked", "flat_prices")

CARD = {name: value for name, value in APPROVE.items() if name != "payment_method"}
DECLINED = dict(APPROVE, card_number="4000000000000002")


def paid_booking(user, seat_count=2):
    showtime, seats = setup_showtime()
    reservation = booking.hold_seats(user.id, showtime.id, [s.id for s in seats[:seat_count]],
                                     now())
    booking.confirm_booking(reservation.id, user.id, "card", now(), **CARD)
    return fresh(reservation), showtime


def booking_with_change_under_way(user):
    """A paid booking of 2 seats and the hold of 2 seats of a dearer showtime to move it to:
    (booking, its showtime, the new showtime, its seats, the hold)."""
    reservation, showtime = paid_booking(user)
    target, seats = other_showtime(showtime, base_price_cents=1500)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                        [seats[0].id, seats[1].id], now())
    return reservation, showtime, target, seats, hold


def payments_of(reservation, kind) -> list[Payment]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Payment).where(
        Payment.reservation_id == reservation.id, Payment.kind == kind)
        .order_by(Payment.id)).all()


def test_moving_to_a_dearer_showtime_charges_only_the_difference(app, app_ctx):
    user, client = patron_client(app)
    reservation, showtime = paid_booking(user)
    old_total = reservation.total_price_cents
    target, seats = other_showtime(showtime, base_price_cents=1250)

    page = client.get(f"/bookings/{reservation.id}/exchange")
    assert page.status_code == 200 and target.starts_at.strftime("%d") in page.get_data(True)
    held = client.post(f"/bookings/{reservation.id}/exchange/{target.id}",
                       data={"seat_ids": [seats[5].id, seats[6].id]})
    assert held.status_code == 303
    hold = db.session.scalar(sa.select(Reservation).where(
        Reservation.exchange_for_id == reservation.id))
    difference = hold.total_price_cents - old_total
    assert difference == 500
    review = client.get(held.headers["Location"])
    assert review.status_code == 200 and f"Pay {format_money(500)}" in review.get_data(True)
    assert fresh(reservation).showtime_id == showtime.id  # the review changes nothing

    done = client.post(f"/bookings/{reservation.id}/exchange/{hold.id}/confirm", data=APPROVE)
    assert done.status_code == 303, done.get_data(True)
    moved = fresh(reservation)
    assert moved.status is ReservationStatus.CONFIRMED and moved.showtime_id == target.id
    assert moved.code == reservation.code and moved.total_price_cents == old_total + 500
    assert [line.seat.label for line in moved.seats] == [seats[5].label, seats[6].label]
    [own, topup] = payments_of(reservation, PaymentKind.CHARGE)
    assert (own.amount_cents, topup.amount_cents) == (old_total, 500)
    assert topup.exchange_id == hold.id and topup.status is PaymentStatus.SUCCEEDED
    record = fresh(hold)
    assert record.status is ReservationStatus.CANCELLED and record.split_from_id == reservation.id
    assert record.showtime_id == showtime.id and record.total_price_cents == old_total
    assert not any(line.is_active for line in record.seats)
    # The old seats are free at once; the email and the audit log say what happened.
    other = gen_user()
    booking.hold_seats(other.id, showtime.id, [line.seat_id for line in record.seats], now())
    email = db.session.scalar(sa.select(OutboxEmail).where(
        OutboxEmail.reservation_id == reservation.id, OutboxEmail.kind == "booking_exchanged"))
    text = message_from_bytes(email.message, policy=policy.default).get_body(
        ("plain",)).get_content()
    assert f"charged the difference of {format_money(500)}" in text and reservation.code in text
    assert db.session.scalar(sa.select(AuditLog).where(
        AuditLog.action == "reservation.exchange", AuditLog.entity_id == reservation.id))
    # A second submit (a reload, another tab) changes nothing and charges nothing.
    again = client.post(f"/bookings/{reservation.id}/exchange/{hold.id}/confirm", data=APPROVE)
    assert again.status_code == 303
    assert len(provider_entries("CHARGE")) == 2


def test_moving_to_a_cheaper_showtime_refunds_the_difference(app, app_ctx):
    user = gen_user()
    reservation, showtime = paid_booking(user)
    old_total = reservation.total_price_cents
    target, seats = other_showtime(showtime, base_price_cents=700)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                   [seats[0].id, seats[1].id], now())
    new_total = hold.total_price_cents
    done = exchanges.complete_exchange(reservation.id, hold.id, user.id, now())
    moved, difference = done.booking, done.difference
    assert difference == new_total - old_total == -600
    [refund] = payments_of(reservation, PaymentKind.REFUND)
    assert refund.status is PaymentStatus.SUCCEEDED and refund.amount_cents == 600
    assert refund.idempotency_key.startswith("refund-exchange:")
    assert fresh(moved).total_price_cents == old_total - 600
    assert payments_of(reservation, PaymentKind.CHARGE)[0].compensated_at is None


def test_then_cancelling_refunds_the_booking_and_its_top_up(app, app_ctx):
    user = gen_user()
    reservation, showtime = paid_booking(user)
    target, seats = other_showtime(showtime, base_price_cents=1500)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                   [seats[0].id, seats[1].id], now())
    exchanges.complete_exchange(reservation.id, hold.id, user.id, now(), **CARD)
    total = fresh(reservation).total_price_cents
    booking.cancel_booking(reservation.id, user.id, now())
    refunds = payments_of(reservation, PaymentKind.REFUND)
    assert sum(r.amount_cents for r in refunds) == total and len(refunds) == 2
    assert all(r.status is PaymentStatus.SUCCEEDED for r in refunds)
    charges = {c.id for c in payments_of(reservation, PaymentKind.CHARGE)}
    assert {r.refund_of_id for r in refunds} == charges  # each drawn on its own charge


def test_cancelling_a_booking_frees_the_new_seats_of_a_change_under_way(app, app_ctx):
    user = gen_user()
    reservation, showtime, target, seats, hold = booking_with_change_under_way(user)
    booking.cancel_booking(reservation.id, user.id, now())
    hold = fresh(hold)
    assert hold.status is ReservationStatus.CANCELLED
    assert hold.cancel_reason is CancelReason.PATRON
    assert not any(line.is_active for line in hold.seats)
    # The seats are anyone's again at once, not when the hold would have run out.
    other = booking.hold_seats(gen_user().id, target.id, [seats[0].id, seats[1].id], now())
    assert other.status is ReservationStatus.HELD
    with pytest.raises(DomainError):  # and the change cannot be finished any more
        exchanges.complete_exchange(reservation.id, hold.id, user.id, now(), **CARD)
    assert payments_of(reservation, PaymentKind.CHARGE)[-1].amount_cents == \
        fresh(reservation).total_price_cents  # no top-up was taken


def test_cancelling_while_the_change_is_paid_in_other_tabs_keeps_the_money_whole(
        app, app_ctx):
    """Two tabs cancel while two pay for the change: whichever order the database takes them
    in, the booking ends cancelled, no seat stays taken, and everything charged (the booking
    and any top-up) is refunded (``money_checked`` checks the invariant after the test)."""
    user = gen_user()
    reservation, showtime, target, seats, hold = booking_with_change_under_way(user)
    turns, lock = iter(["cancel", "pay"] * 2), threading.Lock()

    def tab():
        with lock:
            turn = next(turns)
        if turn == "cancel":
            return booking.cancel_booking(reservation.id, user.id, now()).status.value
        return exchanges.complete_exchange(reservation.id, hold.id, user.id, now(),
                                           **CARD).booking.showtime_id

    outcomes = race(app, 4, tab)
    assert "CANCELLED" in outcomes, outcomes
    db.session.expire_all()
    assert fresh(reservation).status is ReservationStatus.CANCELLED
    assert fresh(hold).status is ReservationStatus.CANCELLED
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(ReservedSeat).where(
        ReservedSeat.is_active, ReservedSeat.showtime_id.in_([showtime.id, target.id])))
    reconciliation.reconcile_payments(now() + timedelta(minutes=20))
    charged = sum(c.amount_cents for c in payments_of(reservation, PaymentKind.CHARGE)
                  if c.status is PaymentStatus.SUCCEEDED)
    refunded = sum(r.amount_cents for r in payments_of(reservation, PaymentKind.REFUND)
                   if r.status is PaymentStatus.SUCCEEDED)
    assert charged == refunded > 0


def test_cancelling_the_showtime_frees_the_new_seats_of_its_bookings_changes(app, app_ctx):
    from cinema.programme import cancellation

    user = gen_user()
    reservation, showtime, target, seats, hold = booking_with_change_under_way(user)
    cancellation.cancel_showtime(showtime.id, gen_user().id, now())
    hold = fresh(hold)
    assert hold.status is ReservationStatus.CANCELLED
    assert hold.cancel_reason is CancelReason.SHOWTIME_CANCELLED
    assert not any(line.is_active for line in hold.seats)
    assert fresh(reservation).status is ReservationStatus.CANCELLED


KILLED_CANCEL = """
import sys
from cinema import create_app
from cinema.booking import booking, exchange_holds
from cinema.models import utcnow

database_url, marker, reservation_id, user_id = sys.argv[1:5]
release = exchange_holds.release_exchange_holds

def release_then_stall(*args, **kwargs):
    released = release(*args, **kwargs)
    open(marker, "w").write("released")  # in the cancel's transaction, not committed
    import time; time.sleep(600)

exchange_holds.release_exchange_holds = release_then_stall
app = create_app(dict(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=None, SECRET_KEY="k"))
with app.app_context():
    booking.cancel_booking(int(reservation_id), int(user_id), utcnow())
"""


def test_a_process_killed_inside_the_cancel_leaves_the_booking_and_its_change_whole(
        app, app_ctx, database_url, tmp_path):
    user = gen_user()
    reservation, showtime, target, seats, hold = booking_with_change_under_way(user)
    booking_id, hold_id, user_id = reservation.id, hold.id, user.id
    db.session.close()
    marker = tmp_path / "released"
    kill_when_marked(KILLED_CANCEL, [database_url, str(marker), str(booking_id),
                                     str(user_id)], marker, {"INSTANCE_PATH": str(tmp_path)},
                     "the release of the change's seats")
    reservation, hold = (db.session.get(Reservation, id_) for id_ in (booking_id, hold_id))
    assert reservation.status is ReservationStatus.CONFIRMED
    assert hold.status is ReservationStatus.HELD  # the transaction never committed
    assert payments_of(reservation, PaymentKind.REFUND) == []
    booking.cancel_booking(booking_id, user_id, now())  # the patron tries again
    assert fresh(hold).status is ReservationStatus.CANCELLED
    [refund] = payments_of(reservation, PaymentKind.REFUND)
    assert refund.status is PaymentStatus.SUCCEEDED


def test_a_declined_card_changes_nothing_and_another_card_finishes_it(app, app_ctx):
    user, client = patron_client(app)
    reservation, showtime = paid_booking(user)
    target, seats = other_showtime(showtime, base_price_cents=1400)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                   [seats[0].id, seats[1].id], now())
    declined = client.post(f"/bookings/{reservation.id}/exchange/{hold.id}/confirm",
                           headers=JSON, data=DECLINED)
    assert declined.status_code == 402 and declined.get_json()["error_code"] == "PAYMENT_DECLINED"
    kept = fresh(reservation)
    assert kept.showtime_id == showtime.id and all(line.is_active for line in kept.seats)
    assert fresh(hold).status is ReservationStatus.HELD  # the new seats stay held
    assert len(provider_entries("CHARGE")) == 1
    exchanges.complete_exchange(reservation.id, hold.id, user.id, now(), **CARD)
    assert fresh(reservation).showtime_id == target.id


def test_refusals_change_nothing(app, app_ctx):
    user, client = patron_client(app)
    reservation, showtime = paid_booking(user)
    target, seats = other_showtime(showtime, base_price_cents=1000)
    other_film = gen_showtime(starts_at=target.starts_at)
    cases = [
        (target.id, [seats[0].id], ValidationFailed),           # not as many seats
        (other_film.id, [1, 2], ValidationFailed),              # another film
        (showtime.id, [1, 2], ValidationFailed),                # the same showtime
        ("x", [seats[0].id, seats[1].id], ValidationFailed),
    ]
    for showtime_id, seat_ids, error in cases:
        with pytest.raises(error):
            exchange_holds.hold_exchange(reservation.id, user.id, showtime_id, seat_ids, now())
        db.session.rollback()
    for bad in ({"seat_ids": ["x", "y"]}, {"seat_ids": [""]}, {}):
        response = client.post(f"/bookings/{reservation.id}/exchange/{target.id}",
                               headers=JSON, data=bad)
        assert response.status_code == 422, (bad, response.status_code)
    _, stranger = patron_client(app)
    assert stranger.get(f"/bookings/{reservation.id}/exchange").status_code == 404
    late = reservation.showtime.starts_at - timedelta(minutes=1)
    with pytest.raises(CancellationClosed):
        exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                [seats[0].id, seats[1].id], late)
    db.session.rollback()
    assert fresh(reservation).showtime_id == showtime.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation).where(
        Reservation.exchange_for_id == reservation.id)) == 0


def test_an_exchange_hold_cannot_be_paid_as_a_booking_of_its_own(app, app_ctx):
    user, client = patron_client(app)
    reservation, showtime = paid_booking(user)
    target, seats = other_showtime(showtime, base_price_cents=1000)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                   [seats[0].id, seats[1].id], now())
    with pytest.raises(InvalidState):
        booking.confirm_booking(hold.id, user.id, "card", now(), **CARD)
    response = client.post(f"/bookings/{hold.id}/promo", headers=JSON, data={"code": "X"})
    assert response.status_code in (409, 422)
    # The patron's own hold on the same showtime does not replace the exchange's, nor the other
    # way round.
    own = booking.hold_seats(user.id, target.id, [seats[4].id], now())
    assert fresh(hold).status is ReservationStatus.HELD
    assert fresh(own).status is ReservationStatus.HELD


def test_an_expired_hold_of_new_seats_refuses_and_keeps_the_old_seats(app, app_ctx):
    user = gen_user()
    reservation, showtime = paid_booking(user)
    target, seats = other_showtime(showtime, base_price_cents=1000)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                   [seats[0].id, seats[1].id], now())
    with pytest.raises(HoldExpired):
        exchanges.complete_exchange(reservation.id, hold.id, user.id,
                                    now() + timedelta(hours=1))
    assert fresh(reservation).showtime_id == showtime.id


def test_four_tabs_confirming_one_exchange_charge_once_and_move_once(app, app_ctx):
    user = gen_user()
    reservation, showtime = paid_booking(user)
    target, seats = other_showtime(showtime, base_price_cents=1300)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                   [seats[0].id, seats[1].id], now())
    outcomes = race(app, 4, lambda: exchanges.complete_exchange(
        reservation.id, hold.id, user.id, now(), **CARD).booking.showtime_id)
    assert set(outcomes) <= {target.id, "PaymentInProgress"} and target.id in outcomes, outcomes
    assert len(provider_entries("CHARGE")) == 2  # the booking's, and one top-up
    assert fresh(reservation).showtime_id == target.id


def test_two_exchanges_of_one_booking_at_once_one_wins_the_other_is_given_back(app, app_ctx):
    user = gen_user()
    reservation, showtime = paid_booking(user)
    first, first_seats = other_showtime(showtime, base_price_cents=1300, days=1)
    second, second_seats = other_showtime(showtime, base_price_cents=1300, days=2)
    holds = [exchange_holds.hold_exchange(reservation.id, user.id, first.id,
                                     [first_seats[0].id, first_seats[1].id], now())]
    # A second tab's choice replaces the first's hold; both tabs then pay at once.
    holds.append(exchange_holds.hold_exchange(reservation.id, user.id, second.id,
                                         [second_seats[0].id, second_seats[1].id], now()))
    ids = iter([holds[0].id, holds[1].id] * 2)
    lock = threading.Lock()

    def pay():
        with lock:
            hold_id = next(ids)
        return exchanges.complete_exchange(reservation.id, hold_id, user.id, now(),
                                           **CARD).booking.showtime_id

    outcomes = race(app, 4, pay)
    assert second.id in outcomes and first.id not in outcomes, outcomes
    moved = fresh(reservation)
    assert moved.showtime_id == second.id
    assert sorted(line.seat_id for line in moved.seats) == sorted(
        s.id for s in second_seats[:2])
    assert all(line.is_active for line in moved.seats)




@pytest.mark.parametrize("seats_still_held", [True, False])
def test_a_process_killed_between_the_top_up_and_the_swap_is_settled_by_reconciliation(
        app, app_ctx, database_url, tmp_path, seats_still_held):
    user = gen_user()
    reservation, showtime = paid_booking(user)
    target, seats = other_showtime(showtime, base_price_cents=1200)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                   [seats[0].id, seats[1].id], now())
    ids = [str(reservation.id), str(hold.id), str(user.id)]
    old_id, new_id, seat_id = showtime.id, target.id, seats[0].id
    db.session.close()
    marker = tmp_path / "charged"
    kill_when_marked(KILLED_BEFORE_THE_SWAP, [database_url, str(marker), *ids], marker,
                     {"INSTANCE_PATH": str(tmp_path)}, "the top-up")
    [_, topup] = payments_of(reservation, PaymentKind.CHARGE)
    assert topup.status is PaymentStatus.SUCCEEDED and fresh(reservation).showtime_id == old_id
    later = now() + timedelta(minutes=20)  # the hold has run out
    if not seats_still_held:
        booking.hold_seats(gen_user().id, new_id, [seat_id], later)  # taken meanwhile
    counts = reconciliation.reconcile_payments(later)
    moved = fresh(reservation)
    if seats_still_held:
        assert counts["exchanges_completed"] == 1 and moved.showtime_id == new_id
    else:
        assert counts["charges_refunded"] == 1 and moved.showtime_id == old_id
        assert all(line.is_active for line in moved.seats)
    assert reconciliation.reconcile_payments(later)["charges_refunded"] == 0


def test_the_revenue_report_counts_the_old_seats_refunded_and_the_new_ones_sold(app, app_ctx):
    from cinema.clock import local_today
    from cinema.reports import reports
    from cinema.reports.report_dates import DateRange

    user = gen_user()
    reservation, showtime = paid_booking(user)
    old_total = reservation.total_price_cents
    target, seats = other_showtime(showtime, base_price_cents=600)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                   [seats[0].id, seats[1].id], now())
    moved = exchanges.complete_exchange(reservation.id, hold.id, user.id, now()).booking
    today = local_today(now())
    total = reports.revenue_report(DateRange(today, today),
                                   reports.Filters(movie_id=showtime.movie_id)).total
    new_total = fresh(moved).total_price_cents
    assert (total.sales_cents, abs(total.refunds_cents)) == (old_total + new_total, old_total)
    assert total.sales_cents - abs(total.refunds_cents) == new_total


def test_the_api_exchanges_too(app, app_ctx):
    from tests.api_helpers import api_login, bearer

    user = gen_user()
    reservation, showtime = paid_booking(user)
    target, seats = other_showtime(showtime, base_price_cents=1100)
    client = app.test_client()
    token = api_login(client, user.email)["access_token"]
    quote = client.post(f"/api/v1/bookings/{reservation.id}/exchange", headers=bearer(token),
                        json={"showtime_id": target.id, "seat_ids": [seats[0].id, seats[1].id]})
    assert quote.status_code == 201, quote.get_json()
    body = quote.get_json()
    assert body["difference_cents"] == 200 and body["charge_cents"] == 200
    done = client.post(f"/api/v1/bookings/{reservation.id}/exchange/{body['hold_id']}/confirm",
                       headers=bearer(token), json=CARD)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["showtime_id"] == target.id


def test_a_booking_to_pay_at_the_box_office_moves_with_no_money_and_its_new_total(app, app_ctx):
    user = gen_user()
    showtime, seats = setup_showtime()
    reservation = booking.hold_seats(user.id, showtime.id, [seats[0].id, seats[1].id], now())
    booking.confirm_booking(reservation.id, user.id, "box_office", now())
    target, new_seats = other_showtime(showtime, base_price_cents=1400)
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                        [new_seats[0].id, new_seats[1].id], now())
    plan = exchanges.plan_exchange(reservation.id, hold.id, user.id, now())
    assert plan.difference == 800 and plan.charge_cents == plan.refund_cents == 0
    moved = fresh(exchanges.complete_exchange(reservation.id, hold.id, user.id, now()).booking)
    assert moved.showtime_id == target.id and moved.total_price_cents == 2 * 1400
    assert moved.paid_at is None and payments_of(reservation, PaymentKind.CHARGE) == []
    # Paid at the counter since, it is changed at the counter, not online.
    moved.paid_at = now()
    db.session.commit()
    with pytest.raises(InvalidState, match="box office"):
        exchange_holds.hold_exchange(reservation.id, user.id, showtime.id,
                                     [seats[5].id, seats[6].id], now())


def test_the_ticket_says_why_a_booking_paid_at_the_counter_has_no_change_button(app, app_ctx):
    user, client = patron_client(app)
    showtime, seats = setup_showtime()
    reservation = booking.hold_seats(user.id, showtime.id, [seats[0].id], now())
    booking.confirm_booking(reservation.id, user.id, "box_office", now())
    page = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert "Change showtime" in page and "paid at the box office" not in page
    fresh(reservation).paid_at = now()
    db.session.commit()
    page = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert "Change showtime" not in page
    assert "This booking was paid at the box office: please change it there." in page


def test_my_bookings_lists_a_moved_booking_once_and_its_ticket_says_where_it_came_from(
        app, app_ctx):
    from cinema.clock import format_local

    user, client = patron_client(app)
    reservation, showtime = paid_booking(user)
    first_move = format_local(showtime.starts_at, "%a %-d %b, %H:%M")
    for days in (1, 2):  # moved twice
        target, seats = other_showtime(showtime, base_price_cents=1000, days=days)
        hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                            [seats[0].id, seats[1].id], now())
        exchanges.complete_exchange(reservation.id, hold.id, user.id, now())
    mine = client.get("/bookings/my").get_data(as_text=True)
    assert "Cancelled" not in mine and mine.count(f'href="/bookings/{reservation.id}"') == 1
    ticket = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert ticket.count('class="muted ticket-moved no-print"') == 2 and f"from {first_move}" in ticket


def test_the_booking_s_promo_code_discount_moves_with_it_and_is_not_used_again(app, app_ctx):
    from cinema.models import PromoCode
    from tests.promo_factories import gen_promo

    user, client = patron_client(app)
    showtime, seats = setup_showtime()
    promo = gen_promo("SAVE10", percent_off=10, max_uses=1)
    reservation = booking.hold_seats(user.id, showtime.id, [seats[0].id, seats[1].id], now())
    assert client.post(f"/bookings/{reservation.id}/promo",
                       data={"promo_code": "SAVE10"}).status_code == 303
    db.session.expire_all()
    assert client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE).status_code == 303
    paid = fresh(reservation).total_price_cents
    assert paid == 1800 and db.session.get(PromoCode, promo.id).times_used == 1  # used up
    target, new_seats = other_showtime(showtime, base_price_cents=1000)  # the same base price
    hold = exchange_holds.hold_exchange(reservation.id, user.id, target.id,
                                        [new_seats[0].id, new_seats[1].id], now())
    assert hold.total_price_cents == 1800  # still 10 % off, though the code has no use left
    done = exchanges.complete_exchange(reservation.id, hold.id, user.id, now())
    assert done.difference == 0 and fresh(reservation).total_price_cents == 1800
    assert db.session.get(PromoCode, promo.id).times_used == 1


def test_a_top_up_charged_just_before_the_cancel_is_still_given_back(app, app_ctx):
    """The race a full run once caught: the change's top-up is charged (SUCCEEDED), then the
    booking is cancelled before the swap runs. The cancel refunds the booking's own charge and
    must leave the top-up open, so that the swap's refusal gives it back; it used to mark it
    given back too, and 10.00 was kept."""
    from cinema.booking import charges, payments

    user = gen_user()
    reservation, showtime, target, seats, hold = booking_with_change_under_way(user)
    card = payments.parse_card(CARD["card_number"], CARD["card_expiry"], CARD["card_cvc"], now())
    topup = charges.charge_topup(fresh(reservation), hold.id, 1000, card, now())
    assert topup.status is PaymentStatus.SUCCEEDED
    booking.cancel_booking(reservation.id, user.id, now())  # between the charge and the swap
    with pytest.raises(HoldExpired):
        exchanges.swap(reservation.id, hold.id, now(), topup, actor_id=user.id)
    charged = sum(c.amount_cents for c in payments_of(reservation, PaymentKind.CHARGE))
    refunded = sum(r.amount_cents for r in payments_of(reservation, PaymentKind.REFUND)
                   if r.status is PaymentStatus.SUCCEEDED)
    assert charged == refunded == 3000
