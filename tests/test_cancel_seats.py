"""Cancelling some seats of a confirmed booking: the price of those seats comes back, the seats
are free at once, the ticket is reissued by email, and the money stays right under a race and a
killed process. Every test ends with the money invariant (``money_checked``)."""
from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from cinema.booking import booking, booking_changes, refunds
from cinema.extensions import db
from cinema.models import (
    AuditLog,
    OutboxEmail,
    Payment,
    PaymentKind,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    UserRole,
)
from tests.booking_helpers import (
    APPROVE,
    JSON,
    hold,
    now,
    patron_client,
    race,
    setup_showtime,
)
from tests.factories import gen_user
from tests.load_support import kill_when_marked
from tests.payment_helpers import provider_entries

pytestmark = pytest.mark.usefixtures("money_checked")


def paid_booking(user, seat_count=3, **layout):
    showtime, seats = setup_showtime(**layout)
    reservation = booking.hold_seats(user.id, showtime.id, [s.id for s in seats[:seat_count]],
                                     now())
    booking.confirm_booking(reservation.id, user.id, "card", now(),
                            card_number=APPROVE["card_number"], card_expiry=APPROVE["card_expiry"],
                            card_cvc=APPROVE["card_cvc"])
    return fresh(reservation), showtime, seats


def fresh(reservation) -> Reservation:
    db.session.expire_all()
    return db.session.get(Reservation, reservation.id)


def refunds_of(reservation) -> list[Payment]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Payment).where(
        Payment.reservation_id == reservation.id, Payment.kind == PaymentKind.REFUND)).all()


def test_a_patron_cancels_one_seat_of_three_and_gets_its_price_back(app, app_ctx):
    user, client = patron_client(app)
    reservation, showtime, seats = paid_booking(user)
    total, first = reservation.total_price_cents, reservation.seats[0]
    review = client.get(f"/bookings/{reservation.id}/cancel-seats?seat_ids={first.seat_id}")
    assert review.status_code == 200 and b"Cancel 1 seat?" in review.data
    assert fresh(reservation).total_price_cents == total  # the review changes nothing

    response = client.post(f"/bookings/{reservation.id}/cancel-seats",
                           data={"seat_ids": [first.seat_id]})
    assert response.status_code == 303
    kept = fresh(reservation)
    assert kept.status is ReservationStatus.CONFIRMED
    assert [line.seat.label for line in kept.seats] == ["A2", "A3"]
    assert kept.total_price_cents == total - first.price_cents
    [refund] = refunds_of(reservation)
    assert refund.status is PaymentStatus.SUCCEEDED and refund.amount_cents == first.price_cents
    split = db.session.scalar(sa.select(Reservation).where(
        Reservation.split_from_id == reservation.id))
    assert split.status is ReservationStatus.CANCELLED and split.user_id == user.id
    assert [line.seat.label for line in split.seats] == ["A1"]
    assert not any(line.is_active for line in split.seats)
    # The seat is free at once, the ticket reissued by email, the change in the audit log.
    _, other = patron_client(app)
    assert hold(other, showtime, [seats[0]]).status_code == 303
    email = db.session.scalar(sa.select(OutboxEmail).where(
        OutboxEmail.reservation_id == reservation.id, OutboxEmail.kind == "seats_cancelled"))
    text = message_from_bytes(email.message, policy=policy.default).get_body(("plain",)).get_content()
    assert "seat A1 is cancelled" in text and "Seats:        A2, A3" in text
    assert db.session.scalar(sa.select(AuditLog).where(
        AuditLog.action == "reservation.cancel_seats", AuditLog.entity_id == reservation.id))
    page = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert "A2, A3" in page and "Cancel some of the seats" in page


def test_cancelling_every_seat_cancels_the_booking_and_the_rest_refunds_what_is_left(app, app_ctx):
    user, client = patron_client(app)
    reservation, _, _ = paid_booking(user)
    original = reservation.total_price_cents
    ids = [line.seat_id for line in reservation.seats]
    assert client.post(f"/bookings/{reservation.id}/cancel-seats",
                       data={"seat_ids": ids[:1]}).status_code == 303
    assert client.post(f"/bookings/{reservation.id}/cancel-seats",
                       data={"seat_ids": ids[1:]}).status_code == 303
    assert fresh(reservation).status is ReservationStatus.CANCELLED
    assert sum(r.amount_cents for r in refunds_of(reservation)) == original


def test_refusals_change_nothing(app, app_ctx):
    user, client = patron_client(app)
    reservation, _, _ = paid_booking(user, seat_count=4, rows=2, seats_per_row=4, couple_rows=["A"])
    total = reservation.total_price_cents
    couple = reservation.seats[0]  # A1, paired with A2
    split = client.post(f"/bookings/{reservation.id}/cancel-seats", headers=JSON,
                        data={"seat_ids": [couple.seat_id]})
    assert split.status_code == 422 and split.get_json()["error_code"] == "SEAT_PAIR_SPLIT"
    assert "cancel both, or neither" in split.get_json()["detail"]
    _, stranger = patron_client(app)
    assert stranger.post(f"/bookings/{reservation.id}/cancel-seats",
                         data={"seat_ids": [couple.seat_id]}).status_code == 404
    for bad in ([], ["x"], ["99999999"]):
        response = client.post(f"/bookings/{reservation.id}/cancel-seats", headers=JSON,
                               data={"seat_ids": bad})
        assert response.status_code in (409, 422), (bad, response.status_code)
    late = booking_changes.plan_cancel_seats
    with pytest.raises(Exception, match="until"):
        late(reservation.id, [couple.seat_id, reservation.seats[1].seat_id], user.id,
             reservation.showtime.starts_at - timedelta(minutes=1))
    db.session.rollback()
    assert fresh(reservation).total_price_cents == total and refunds_of(reservation) == []


def test_an_admin_may_cancel_seats_after_the_cutoff(app, app_ctx):
    user = gen_user()
    reservation, _, _ = paid_booking(user)
    admin = gen_user(role=UserRole.ADMIN)
    late = reservation.showtime.starts_at - timedelta(minutes=1)
    kept, refunded = booking_changes.cancel_seats(reservation.id, [reservation.seats[2].seat_id],
                                                  admin.id, late, by_admin=True)
    assert refunded > 0 and len(kept.seats) == 2


def test_four_tabs_cancelling_the_same_seat_at_once_refund_it_once(app, app_ctx):
    user = gen_user()
    reservation, _, _ = paid_booking(user)
    seat_id, reservation_id, user_id = reservation.seats[0].seat_id, reservation.id, user.id
    outcomes = race(app, 4, lambda: booking_changes.cancel_seats(reservation_id, [seat_id],
                                                                 user_id, now())[1])
    assert sorted(map(str, outcomes)).count("InvalidState") == 3, outcomes
    assert len(refunds_of(reservation)) == 1 and len(provider_entries("REFUND")) == 1


KILLED_CANCEL = """
import sys, time
from cinema import create_app
from cinema.booking import booking_changes, refunds
from cinema.models import utcnow

database_url, marker, reservation_id, user_id, seat_id = sys.argv[1:6]

def stall(*args, **kwargs):
    open(marker, "w").write("committed")  # the change and its PENDING refund are committed
    time.sleep(600)

refunds.refund_payment = stall
app = create_app(dict(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=None, SECRET_KEY="k"))
with app.app_context():
    booking_changes.cancel_seats(int(reservation_id), [int(seat_id)], int(user_id), utcnow())
"""


def test_a_cancel_killed_before_the_refund_is_finished_by_the_sweep(
        app, app_ctx, database_url, tmp_path):
    user = gen_user()
    reservation, _, _ = paid_booking(user)
    reservation_id, seat_id, user_id = reservation.id, reservation.seats[0].seat_id, user.id
    db.session.close()
    marker = tmp_path / "committed"
    kill_when_marked(KILLED_CANCEL, [database_url, str(marker), str(reservation_id),
                                     str(user_id), str(seat_id)],
                     marker, {"INSTANCE_PATH": str(tmp_path)}, "the cancel's commit")
    [refund] = refunds_of(fresh(reservation))
    assert refund.status is PaymentStatus.PENDING and provider_entries("REFUND") == []
    assert refunds.retry_pending_refunds(now() + timedelta(minutes=2)) == 1
    assert refunds.retry_pending_refunds(now() + timedelta(minutes=2)) == 0
    [refund] = refunds_of(reservation)
    assert refund.status is PaymentStatus.SUCCEEDED and len(provider_entries("REFUND")) == 1


def test_the_api_cancels_seats_too(app, app_ctx):
    from tests.api_helpers import api_login, bearer

    user = gen_user()
    reservation, _, _ = paid_booking(user)
    client = app.test_client()
    token = api_login(client, user.email)["access_token"]
    response = client.post(f"/api/v1/bookings/{reservation.id}/cancel-seats", headers=bearer(token),
                           json={"seat_ids": [reservation.seats[1].seat_id]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [seat["label"] for seat in body["seats"]] == ["A1", "A3"]
    assert body["status"] == "CONFIRMED"


def test_the_revenue_report_counts_the_sale_once_and_the_refund_once(app, app_ctx):
    from cinema.clock import local_today
    from cinema.reports import reports
    from cinema.reports.report_dates import DateRange

    user = gen_user()
    reservation, _, _ = paid_booking(user)
    original = reservation.total_price_cents
    kept, refunded = booking_changes.cancel_seats(reservation.id, [reservation.seats[0].seat_id],
                                                  user.id, now())
    today = local_today(now())
    # The film is this test's own: the sale of all three seats once, the one seat's refund once.
    total = reports.revenue_report(DateRange(today, today),
                                   reports.Filters(movie_id=reservation.showtime.movie_id)).total
    assert (total.sales_cents, abs(total.refunds_cents)) == (original, refunded)
    assert total.sales_cents - abs(total.refunds_cents) == fresh(kept).total_price_cents
