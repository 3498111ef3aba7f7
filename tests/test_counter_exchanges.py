"""Staff move a patron's booking to another showtime at the box office (``exchange_holds``,
``exchanges`` with ``at_counter``): a booking paid in cash there, the difference taken or given
back in cash; a card booking after the online cutoff; a walk-in's booking. Each test ends with
the money invariant (``money_checked``); races and a killed process at the end."""
from __future__ import annotations

import html
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from cinema.booking import booking, box_office, exchange_holds, exchanges
from cinema.exceptions import InvalidState, NotFound, ShowtimeStarted
from cinema.extensions import db
from cinema.models import (
    AuditLog,
    OutboxEmail,
    Payment,
    PaymentKind,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    UserRole,
)
from cinema.money import format_money
from tests.booking_helpers import (
    APPROVE,
    fresh,
    now,
    other_showtime,
    patron_client,
    race,
    setup_showtime,
)
from tests.factories import gen_user, later_today
from tests.load_support import kill_when_marked
from tests.payment_helpers import KILLED_BEFORE_THE_SWAP

pytestmark = pytest.mark.usefixtures("money_checked", "flat_prices")

CARD = {name: value for name, value in APPROVE.items() if name != "payment_method"}


def cash_booking(staff, patron=None, starts_in=timedelta(days=2)):
    """Two seats sold at the counter (paid in cash) to ``patron`` (None: a walk-in)."""
    showtime, seats = setup_showtime(starts_in=starts_in)
    sold = box_office.sell(staff.id, showtime.id, [seats[0].id, seats[1].id], now(),
                           customer_email=patron.email if patron else None)
    return fresh(sold), showtime


def page(response) -> str:
    """The page's text, its entities (``&#39;``) as characters."""
    return html.unescape(response.get_data(as_text=True))


def change_under_way(staff, base_price_cents: int):
    """A cash booking of 2 seats and, held at the counter, 2 seats of another showtime of the
    film at ``base_price_cents`` to move it to: (booking, showtime, target, its seats, hold)."""
    reservation, showtime = cash_booking(staff, gen_user())
    target, seats = other_showtime(showtime, base_price_cents=base_price_cents)
    hold = exchange_holds.hold_exchange(reservation.id, staff.id, target.id,
                                        [seats[0].id, seats[1].id], now(), at_counter=True)
    return reservation, showtime, target, seats, hold


def exchanged_email(reservation) -> str:
    row = db.session.scalar(sa.select(OutboxEmail).where(
        OutboxEmail.reservation_id == reservation.id, OutboxEmail.kind == "booking_exchanged"))
    return message_from_bytes(row.message, policy=policy.default).get_body(
        ("plain",)).get_content()


def test_staff_move_a_cash_booking_to_a_dearer_showtime_and_take_the_difference(app, app_ctx):
    staff, client = patron_client(app, role=UserRole.STAFF)
    patron = gen_user(full_name="Cass Cash")
    reservation, showtime = cash_booking(staff, patron)
    first_paid_at, old_total = reservation.paid_at, reservation.total_price_cents
    target, seats = other_showtime(showtime, base_price_cents=1400)

    door = page(client.get(f"/staff/checkin?code={reservation.code}"))
    assert f'href="/bookings/{reservation.id}/exchange"' in door
    ticket = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert "Change showtime" in ticket and "the difference taken or given back in cash" in ticket
    assert "Cancel booking" not in ticket and "Cancel some of the seats" not in ticket  # admins
    choose = client.get(f"/bookings/{reservation.id}/exchange").get_data(as_text=True)
    assert "For Cass Cash" in choose and "you take or give back the difference in cash" in choose
    held = client.post(f"/bookings/{reservation.id}/exchange/{target.id}",
                       data={"seat_ids": [seats[4].id, seats[5].id]})
    assert held.status_code == 303, held.get_data(as_text=True)
    hold = db.session.scalar(sa.select(Reservation).where(
        Reservation.exchange_for_id == reservation.id))
    assert hold.user_id == patron.id and hold.created_by == staff.id  # the patron's hold
    difference = hold.total_price_cents - old_total
    assert difference == 800
    review = client.get(held.headers["Location"]).get_data(as_text=True)
    assert "To take in cash" in review and format_money(800) in review
    assert f"{format_money(800)} taken in cash: move the booking" in review
    assert patron.email in review and "card" not in review.lower().split("</h1>")[1][:400]

    done = client.post(f"/bookings/{reservation.id}/exchange/{hold.id}/confirm")
    assert done.status_code == 303
    flashed = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Take {format_money(800)} in cash from the customer." in flashed
    moved = fresh(reservation)
    assert moved.showtime_id == target.id and moved.total_price_cents == old_total + 800
    assert moved.paid_at > first_paid_at and moved.sold_by == staff.id  # sold again, now
    record = fresh(hold)  # the old seats' record keeps the first payment
    assert record.status is ReservationStatus.CANCELLED and record.paid_at == first_paid_at
    assert not any(line.is_active for line in record.seats)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
    assert f"You paid the difference of {format_money(800)} at the box office." \
        in exchanged_email(moved)
    entry = db.session.scalar(sa.select(AuditLog).where(
        AuditLog.action == "reservation.exchange", AuditLog.entity_id == reservation.id))
    assert entry.actor_id == staff.id
    assert entry.after["at_counter"] and entry.after["difference_cents"] == 800
    assert entry.after["difference_settled"] == "taken in cash"
    # Sent again (a reload, a second tab): nothing moves twice.
    again = client.post(f"/bookings/{reservation.id}/exchange/{hold.id}/confirm")
    assert again.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.action == "reservation.exchange")) == 1


def test_cheaper_seats_give_the_difference_back_in_cash(app, app_ctx):
    staff, client = patron_client(app, role=UserRole.STAFF)
    reservation, showtime, target, seats, hold = change_under_way(staff, 600)
    review = client.get(f"/bookings/{reservation.id}/exchange/hold/{hold.id}")
    assert "To give back in cash" in review.get_data(as_text=True)
    done = client.post(f"/bookings/{reservation.id}/exchange/{hold.id}/confirm")
    flashed = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Give {format_money(800)} back to the customer in cash." in flashed
    assert fresh(reservation).total_price_cents == 1200
    assert f"The difference of {format_money(800)} was given back to you at the box office." \
        in exchanged_email(reservation)


def test_the_revenue_report_counts_a_cash_change_as_old_seats_back_and_new_seats_sold(
        app, app_ctx):
    from cinema.clock import local_today
    from cinema.reports import reports
    from cinema.reports.report_dates import DateRange

    staff = gen_user(role=UserRole.STAFF)
    reservation, showtime = cash_booking(staff, gen_user())
    old_total = reservation.total_price_cents
    target, seats = other_showtime(showtime, base_price_cents=1500)
    hold = exchange_holds.hold_exchange(reservation.id, staff.id, target.id,
                                        [seats[0].id, seats[1].id], now(), at_counter=True)
    exchanges.complete_exchange(reservation.id, hold.id, staff.id, now(), at_counter=True)
    today = local_today(now())
    total = reports.revenue_report(DateRange(today, today),
                                   reports.Filters(movie_id=showtime.movie_id)).total
    assert (total.sales_cents, abs(total.refunds_cents)) == (old_total + 3000, old_total)
    assert total.sales_cents - abs(total.refunds_cents) == 3000  # the cash the till holds


def test_at_the_counter_a_card_booking_moves_after_the_online_cutoff_until_the_start(
        app, app_ctx):
    patron, patron_web = patron_client(app)
    staff, client = patron_client(app, role=UserRole.STAFF)
    showtime, seats = setup_showtime(starts_in=timedelta(minutes=20))  # past the cutoff
    held = booking.hold_seats(patron.id, showtime.id, [seats[0].id, seats[1].id], now())
    booking.confirm_booking(held.id, patron.id, "card", now(), **CARD)
    target, new_seats = other_showtime(showtime, base_price_cents=700)
    assert client.get(f"/bookings/{held.id}").get_data(as_text=True).count("Change showtime") == 1
    assert "Change showtime" not in patron_web.get(f"/bookings/{held.id}").get_data(as_text=True)
    refused = patron_web.post(f"/bookings/{held.id}/exchange/{target.id}",
                              data={"seat_ids": [new_seats[0].id, new_seats[1].id]})
    assert refused.status_code == 409  # online it is too late

    hold = exchange_holds.hold_exchange(held.id, staff.id, target.id,
                                        [new_seats[0].id, new_seats[1].id], now(),
                                        at_counter=True)
    review = page(client.get(f"/bookings/{held.id}/exchange/hold/{hold.id}"))
    assert "Back to the customer's card" in review
    done = client.post(f"/bookings/{held.id}/exchange/{hold.id}/confirm")
    flashed = page(client.get(done.headers["Location"]))
    assert f"{format_money(600)} is being refunded to the customer's card." in flashed
    [refund] = db.session.scalars(sa.select(Payment).where(
        Payment.reservation_id == held.id, Payment.kind == PaymentKind.REFUND)).all()
    assert refund.amount_cents == 600
    # Once the film has started, not even the counter moves a booking.
    with pytest.raises(ShowtimeStarted):
        exchange_holds.check_exchangeable(fresh(held), target.starts_at, at_counter=True)


def test_a_walk_in_booking_moves_without_an_email(app, app_ctx):
    staff, client = patron_client(app, role=UserRole.STAFF)
    reservation, showtime = cash_booking(staff)  # no email given: the walk-in account
    target, seats = other_showtime(showtime, base_price_cents=1000)
    hold = exchange_holds.hold_exchange(reservation.id, staff.id, target.id,
                                        [seats[0].id, seats[1].id], now(), at_counter=True)
    review = client.get(f"/bookings/{reservation.id}/exchange/hold/{hold.id}")
    assert "the new ticket goes to" not in review.get_data(as_text=True)
    done = client.post(f"/bookings/{reservation.id}/exchange/{hold.id}/confirm")
    assert "The price is the same." in client.get(done.headers["Location"]).get_data(True)
    assert fresh(reservation).showtime_id == target.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0


def test_patrons_cannot_move_others_bookings_nor_their_own_cash_booking(app, app_ctx):
    staff = gen_user(role=UserRole.STAFF)
    owner, owner_web = patron_client(app)
    other, other_web = patron_client(app)
    reservation, showtime = cash_booking(staff, owner)
    target, seats = other_showtime(showtime, base_price_cents=1000)
    for web, status in ((other_web, 404), (owner_web, 409)):
        answer = web.post(f"/bookings/{reservation.id}/exchange/{target.id}",
                          data={"seat_ids": [seats[0].id, seats[1].id]})
        assert answer.status_code == status, answer.get_data(as_text=True)
    with pytest.raises(NotFound):
        exchange_holds.hold_exchange(reservation.id, other.id, target.id,
                                     [seats[0].id, seats[1].id], now())
    with pytest.raises(InvalidState, match="box office"):
        exchange_holds.hold_exchange(reservation.id, owner.id, target.id,
                                     [seats[0].id, seats[1].id], now())
    assert fresh(reservation).showtime_id == showtime.id


def test_two_counters_and_an_admin_cancel_at_once_leave_one_consistent_booking(app, app_ctx):
    """Two staff tabs confirm the change while an admin cancels the booking: whatever order
    the database takes them in, the booking either moved once and then was cancelled, or was
    cancelled with its change released; no seat stays taken; one audit entry per step."""
    staff, admin = gen_user(role=UserRole.STAFF), gen_user(role=UserRole.ADMIN)
    reservation, showtime, target, seats, hold = change_under_way(staff, 1300)
    turns, lock = iter(["move", "cancel", "move"]), threading.Lock()

    def tab():
        with lock:
            turn = next(turns)
        if turn == "cancel":
            return booking.cancel_booking(reservation.id, admin.id, now(),
                                          by_admin=True).status.value
        return exchanges.complete_exchange(reservation.id, hold.id, staff.id, now(),
                                           at_counter=True).booking.showtime_id

    outcomes = race(app, 3, tab)
    assert "CANCELLED" in outcomes, outcomes
    assert fresh(reservation).status is ReservationStatus.CANCELLED
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(ReservedSeat).where(
        ReservedSeat.is_active, ReservedSeat.showtime_id.in_([showtime.id, target.id])))
    moves = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.action == "reservation.exchange"))
    assert moves <= 1 and (moves == 1) == (target.id in outcomes), outcomes


def test_six_counters_confirming_one_change_move_it_once(app, app_ctx):
    staff = gen_user(role=UserRole.STAFF)
    reservation, showtime, target, seats, hold = change_under_way(staff, 1300)
    outcomes = race(app, 6, lambda: exchanges.complete_exchange(
        reservation.id, hold.id, staff.id, now(), at_counter=True).booking.showtime_id)
    assert outcomes == [target.id] * 6, outcomes
    moved = fresh(reservation)
    assert sorted(line.seat_id for line in moved.seats) == [seats[0].id, seats[1].id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.kind == "booking_exchanged")) == 1


KILLED_SWAP = """
import sys, time
from cinema import create_app
from cinema.booking import exchanges
from cinema.models import utcnow

database_url, marker, reservation_id, hold_id, staff_id = sys.argv[1:6]
move = exchanges._move_seats

def move_then_stall(*args, **kwargs):
    rows = move(*args, **kwargs)
    exchanges.db.session.flush()
    open(marker, "w").write("moved")  # in the swap's transaction, not committed
    time.sleep(600)
    return rows

exchanges._move_seats = move_then_stall
app = create_app(dict(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=None, SECRET_KEY="k"))
with app.app_context():
    exchanges.complete_exchange(int(reservation_id), int(hold_id), int(staff_id), utcnow(),
                                at_counter=True)
"""


def test_a_process_killed_inside_the_swap_leaves_the_cash_booking_whole(
        app, app_ctx, database_url, tmp_path):
    staff = gen_user(role=UserRole.STAFF)
    reservation, showtime, target, seats, hold = change_under_way(staff, 1300)
    ids = [reservation.id, hold.id, staff.id]
    old_showtime_id, new_showtime_id = showtime.id, target.id
    paid_at, old_seats = reservation.paid_at, sorted(line.seat_id for line in reservation.seats)
    db.session.close()
    marker = tmp_path / "moved"
    kill_when_marked(KILLED_SWAP, [database_url, str(marker), *map(str, ids)], marker,
                     {"INSTANCE_PATH": str(tmp_path)}, "the swap")
    booking_, hold_ = (db.session.get(Reservation, id_) for id_ in ids[:2])
    assert booking_.showtime_id == old_showtime_id and booking_.paid_at == paid_at
    assert sorted(line.seat_id for line in booking_.seats if line.is_active) == old_seats
    assert hold_.status is ReservationStatus.HELD and all(line.is_active for line in hold_.seats)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.kind == "booking_exchanged")) == 0
    done = exchanges.complete_exchange(*ids, now(), at_counter=True)  # again
    moved, difference = done.booking, done.difference
    assert fresh(moved).showtime_id == new_showtime_id and difference == 600


HOSTILE = ["", "0", "-1", "abc", "1e9", "9" * 30, "<script>alert(1)</script>", "{{7*7}}", "1,2",
           "\x00", "%00", "../../etc/passwd"]


def test_odd_input_at_the_counter_gets_a_4xx_and_changes_nothing(app, app_ctx):
    staff, client = patron_client(app, role=UserRole.STAFF)
    reservation, showtime, target, seats, hold = change_under_way(staff, 1300)
    base = f"/bookings/{reservation.id}/exchange"
    for value in HOSTILE:
        quoted = value.replace("%", "%25").replace("/", "%2F").replace("\x00", "%00")
        answers = [
            client.post(f"{base}/{target.id}", data={"seat_ids": [value, str(seats[3].id)]}),
            client.post(f"{base}/{target.id}", data={"seat_ids": value}),
            client.get(f"{base}/{target.id}?best={quoted}&seat_ids={quoted}"),
            client.post(f"{base}/{quoted}/confirm"),
            client.post(f"{base}/{hold.id}/confirm", data={"card_number": value,
                                                             "card_expiry": value}),
            client.post(f"{base}/{quoted}/release"),
            client.get(f"{base}/hold/{quoted}"),
        ]
        assert [a.status_code for a in answers if a.status_code >= 500] == [], value
    moved = fresh(reservation)
    # The well-formed confirm (cash: the card fields are not read) moved it once, to the hold.
    assert moved.showtime_id == target.id
    assert sorted(line.seat_id for line in moved.seats) == [seats[0].id, seats[1].id]




def test_a_counter_top_up_killed_before_the_swap_after_the_online_cutoff_is_finished(
        app, app_ctx, database_url, tmp_path):
    """The clerk took the difference on the customer's card 20 minutes before the film (past
    the online cutoff); the process died before the swap. Reconciliation knows the change was
    made at the counter (the hold's ``created_by`` is the clerk) and finishes it, instead of
    refunding the top-up as too late for an online change."""
    from cinema.booking import reconciliation

    patron, staff = gen_user(), gen_user(role=UserRole.STAFF)
    showtime, seats = setup_showtime(starts_in=timedelta(minutes=40))
    held = booking.hold_seats(patron.id, showtime.id, [seats[0].id, seats[1].id], now())
    booking.confirm_booking(held.id, patron.id, "card", now(), **CARD)
    target, new_seats = other_showtime(showtime, base_price_cents=1300, days=0)
    hold = exchange_holds.hold_exchange(held.id, staff.id, target.id,
                                        [new_seats[0].id, new_seats[1].id], now(),
                                        at_counter=True)
    ids, target_id = [held.id, hold.id, staff.id], target.id
    db.session.close()
    marker = tmp_path / "charged"
    kill_when_marked(KILLED_BEFORE_THE_SWAP, [database_url, str(marker), *map(str, ids),
                                              "counter"],
                     marker, {"INSTANCE_PATH": str(tmp_path)}, "the top-up")
    counts = reconciliation.reconcile_payments(now() + timedelta(minutes=2))
    assert counts["exchanges_completed"] == 1, counts
    assert fresh(db.session.get(Reservation, ids[0])).showtime_id == target_id


def test_going_back_or_confirming_again_after_the_change_says_it_is_done(app, app_ctx):
    """Back to the review, its reload, the confirm's address opened, a second tab's confirm:
    each says the change is made already, and never asks for the cash again."""
    staff, client = patron_client(app, role=UserRole.STAFF)
    reservation, showtime, target, seats, hold = change_under_way(staff, 600)
    review = f"/bookings/{reservation.id}/exchange/hold/{hold.id}"
    confirm = f"/bookings/{reservation.id}/exchange/{hold.id}/confirm"
    assert client.get(confirm).headers["Location"].endswith(review)  # the address, opened
    first = client.post(confirm)
    assert "Give £8.00 back" in page(client.get(first.headers["Location"]))
    for again in (lambda: client.get(review), lambda: client.post(confirm)):
        answer = again()
        assert answer.status_code == 303
        shown = page(client.get(answer.headers["Location"]))
        assert "made already" in shown and "£8.00" not in shown.split("</h1>")[0]
    assert fresh(reservation).showtime_id == target.id


def test_seats_given_up_or_replaced_are_named_as_such_not_as_expired(app, app_ctx):
    staff, client = patron_client(app, role=UserRole.STAFF)
    reservation, showtime = cash_booking(staff, gen_user())
    target, seats = other_showtime(showtime, base_price_cents=1300)
    first = exchange_holds.hold_exchange(reservation.id, staff.id, target.id,
                                         [seats[0].id, seats[1].id], now(), at_counter=True)
    second = exchange_holds.hold_exchange(reservation.id, staff.id, target.id,
                                          [seats[4].id, seats[5].id], now(), at_counter=True)
    replaced = page(client.get(f"/bookings/{reservation.id}/exchange/hold/{first.id}"))
    assert "A newer choice of seats replaced these" in replaced and "expired" not in replaced
    client.post(f"/bookings/{reservation.id}/exchange/{second.id}/release")
    given_up = page(client.get(f"/bookings/{reservation.id}/exchange/hold/{second.id}"))
    assert "These new seats were given up" in given_up and "expired" not in given_up
    assert fresh(reservation).showtime_id == showtime.id


def test_the_counter_map_finds_as_many_seats_as_the_booking_has_and_names_the_customer(
        app, app_ctx):
    staff, client = patron_client(app, role=UserRole.STAFF)
    reservation, showtime = cash_booking(staff, gen_user(full_name="Cass Cash"))
    target, seats = other_showtime(showtime, base_price_cents=1000)
    map_page = page(client.get(f"/bookings/{reservation.id}/exchange/{target.id}?best=5"))
    assert map_page.count(" checked") == 2  # the booking's 2 seats, not the 5 asked for
    assert "The best 2 seats together, for the booking." in map_page
    assert "of Cass Cash" in map_page and "Keep the booking as it is" in map_page
    assert "stay yours" not in map_page and "Keep my booking" not in map_page


def test_check_in_of_an_unpaid_booking_links_to_it_and_to_changing_it(app, app_ctx):
    staff, client = patron_client(app, role=UserRole.STAFF)
    patron = gen_user()
    showtime, seats = setup_showtime(starts_in=later_today(120) - now())  # the door's day
    held = booking.hold_seats(patron.id, showtime.id, [seats[0].id], now())
    booking.confirm_booking(held.id, patron.id, "box_office", now())
    door = page(client.get(f"/staff/checkin?code={held.code}"))
    assert "Unpaid:" in door
    opened = f'/bookings/{held.id}?via=checkin'
    assert f'href="/bookings/{held.id}/exchange"' in door and f'href="{opened}"' in door
    back = page(client.get(opened))
    assert f'href="/staff/checkin?code={held.code}">← Back to check-in' in back
