"""Money under real processes: eight confirms of one hold from two gunicorn instances, and a
confirm SIGKILLed right after the provider charged. Each ends with the money invariant.

The confirms carry different form keys, as eight tabs would; they meet only in PostgreSQL (the
live-charge index) and at the provider (the reservation's key). The killed confirm runs in a
subprocess whose ``charges.record_charge`` is patched to stall, so the kill lands between the
provider's answer and the app recording it: the crash that used to leave money orphaned.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from cinema.booking import reconciliation
from cinema.extensions import db
from cinema.models import PaymentKind, PaymentStatus, Reservation, ReservationStatus
from tests.booking_helpers import APPROVE, now, setup_showtime
from tests.factories import PASSWORD, gen_user
from tests.load_support import Patron, clear_rq_queue, kill_when_marked, run_together, start_servers
from tests.money_invariant import assert_money_invariant
from tests.payment_helpers import app_payments, held_booking, provider_entries

pytestmark = pytest.mark.slow
CONFIRMS = 8


@pytest.fixture
def two_servers(app, database_url, redis_url, tmp_path):
    env = {"DATABASE_URL": database_url.replace("postgresql+psycopg://", "postgresql://"),
           "REDIS_URL": redis_url, "REDIS_PREFIX": app.config["REDIS_PREFIX"],
           "SECRET_KEY": "payment-race-secret", "RATELIMIT_ENABLED": "0", "SEAT_GAP_RULE": "off",
           "CINEMA_ENV": "development", "INSTANCE_PATH": str(tmp_path / "instance")}
    servers = start_servers(2, "wsgi:app", env, tmp_path)
    yield servers
    for server in servers:
        server.stop()
    clear_rq_queue(redis_url, app.config["RQ_QUEUE"])


def test_eight_tabs_confirming_one_hold_charge_once(app, app_ctx, two_servers):
    showtime, seats = setup_showtime()
    user = gen_user()
    showtime_id, seat_ids, email = showtime.id, [s.id for s in seats[:2]], user.email
    db.session.close()
    first = Patron(two_servers[0].base_url, email, PASSWORD)
    first.sign_in(then_visit=f"/showtimes/{showtime_id}")
    held = first.hold(showtime_id, seat_ids)
    assert held.status == 303, held.text
    path = held.headers["location"].split("127.0.0.1", 1)[-1].split(":", 1)[-1]
    path = path[path.index("/"):] + "/confirm"
    tabs = []
    for n in range(CONFIRMS):
        tab = Patron(two_servers[n % 2].base_url, email, PASSWORD)
        tab.cookies, tab.csrf_token = dict(first.cookies), first.csrf_token
        tabs.append(tab)
    tasks = [lambda t=tab: t.request("POST", path, headers={"Accept": "application/json"}, form={
        **APPROVE, "csrf_token": t.csrf_token, "idempotency_key": uuid.uuid4().hex})
        for tab in tabs]
    outcomes = run_together(tasks, timeout=120)
    assert [o.error for o in outcomes if o.error] == []
    answers = [o.value for o in outcomes]
    assert all(a.status == 303 or (a.status == 409 and a.json()["error_code"] ==
                                   "PAYMENT_IN_PROGRESS") for a in answers), \
        [(a.status, a.text[:200]) for a in answers]
    assert any(a.status == 303 for a in answers)
    assert len(provider_entries("CHARGE")) == 1
    [charge] = app_payments(PaymentKind.CHARGE)
    assert charge.status is PaymentStatus.SUCCEEDED
    reservation = db.session.get(Reservation, charge.reservation_id)
    assert reservation.status is ReservationStatus.CONFIRMED
    for server in two_servers:
        assert server.log_problems() == [], server.log_text()
    reconciliation.reconcile_payments(now() + timedelta(minutes=2))
    assert_money_invariant(db.engine)


KILLED_CONFIRM = """
import sys, time
from cinema import create_app
from cinema.models import utcnow
from cinema.booking import booking, charges

database_url, marker, reservation_id, user_id = sys.argv[1:5]

def stall(*args, **kwargs):
    open(marker, "w").write("charged")  # the provider has answered; nothing recorded yet
    time.sleep(600)

charges.record_charge = stall
app = create_app(dict(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=None, SECRET_KEY="k"))
with app.app_context():
    booking.confirm_booking(int(reservation_id), int(user_id), "card", utcnow(),
                            card_number="4242424242424242", card_expiry="12/34", card_cvc="123")
"""


def test_a_confirm_killed_after_the_charge_is_settled_by_reconciliation(
        app, app_ctx, database_url, tmp_path):
    user = gen_user()
    reservation = held_booking(user=user)
    reservation_id, user_id = reservation.id, user.id
    db.session.close()
    marker = tmp_path / "charged"
    kill_when_marked(KILLED_CONFIRM, [database_url, str(marker), str(reservation_id),
                                      str(user_id)],
                     marker, {"INSTANCE_PATH": str(tmp_path)}, "the confirm's charge")
    [charge] = app_payments(PaymentKind.CHARGE)
    assert charge.status is PaymentStatus.PENDING
    assert len(provider_entries("CHARGE")) == 1  # money taken, not recorded
    counts = reconciliation.reconcile_payments(now() + timedelta(minutes=2))
    assert counts["charges_settled"] == 1 and counts["bookings_confirmed"] == 1
    db.session.expire_all()
    assert db.session.get(Reservation, reservation_id).status is ReservationStatus.CONFIRMED
    assert len(provider_entries("CHARGE")) == 1
    assert_money_invariant(db.engine)
