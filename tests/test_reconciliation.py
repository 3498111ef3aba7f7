"""One charge per booking, and reconciliation of whatever a crash leaves behind. Every test
ends with the money invariant (tests/money_invariant.py) through ``money_checked``."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cinema import exceptions
from cinema.booking import booking, charges, payments, reconciliation
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import (
    OutboxEmail,
    PaymentKind,
    PaymentStatus,
    Reservation,
    ReservationStatus,
)
from tests.booking_helpers import APPROVE, JSON, now, patron_client, setup_showtime
from tests.factories import gen_user
from tests.money_invariant import money_invariant_violations
from tests.payment_helpers import (
    app_payments,
    approved_card,
    crashed_attempt,
    held_booking,
    provider_entries,
)

pytestmark = pytest.mark.usefixtures("money_checked")
LATER = timedelta(minutes=2)  # reconciliation only touches what is a minute old


def fresh(reservation) -> Reservation:
    db.session.expire_all()
    return db.session.get(Reservation, reservation.id)


def confirm(client, reservation, key, **extra):
    return client.post(f"/bookings/{reservation.id}/confirm", headers=JSON,
                       data={**APPROVE, "idempotency_key": key, **extra})


def test_two_tabs_with_their_own_keys_charge_once(app, app_ctx):
    user, client = patron_client(app)
    reservation = held_booking(user=user)
    assert confirm(client, reservation, "tab-one").status_code == 303
    assert confirm(client, reservation, "tab-two").status_code == 303
    assert len(provider_entries("CHARGE")) == 1
    [charge] = app_payments(PaymentKind.CHARGE)
    assert charge.idempotency_key == f"charge:{reservation.id}:1"
    assert fresh(reservation).status is ReservationStatus.CONFIRMED


def test_a_second_confirm_while_the_first_is_paying_is_409(app, app_ctx):
    user, client = patron_client(app)
    reservation = held_booking(user=user)
    charges._claim_attempt(reservation, approved_card(), now())  # the first tab, mid-call
    response = confirm(client, reservation, "tab-two")
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "PAYMENT_IN_PROGRESS"
    assert provider_entries("CHARGE") == []
    reconciliation.reconcile_payments(now() + LATER)  # the first tab's process is gone
    assert app_payments(PaymentKind.CHARGE)[0].error_code == charges.ABANDONED


def test_a_reload_after_a_crash_finds_the_earlier_charge(app, app_ctx):
    user, client = patron_client(app)
    reservation = held_booking(user=user)
    crashed_attempt(reservation, charged=True, age=timedelta(seconds=30))
    assert confirm(client, reservation, "after-reload").status_code == 303
    assert len(provider_entries("CHARGE")) == 1
    [charge] = app_payments(PaymentKind.CHARGE)
    assert charge.status is PaymentStatus.SUCCEEDED
    assert fresh(reservation).status is ReservationStatus.CONFIRMED


def test_a_declined_attempt_lets_the_next_one_use_a_new_key(app, app_ctx):
    user, client = patron_client(app)
    reservation = held_booking(user=user)
    declined = confirm(client, reservation, "a", card_number="4000000000000002")
    assert declined.status_code == 402
    assert confirm(client, reservation, "a").status_code == 303
    assert [c.idempotency_key for c in app_payments(PaymentKind.CHARGE)] == [
        f"charge:{reservation.id}:1", f"charge:{reservation.id}:2"]
    assert len(provider_entries("CHARGE")) == 1


def test_reconciliation_settles_stale_pending_charges(app, app_ctx):
    charged = held_booking()
    crashed_attempt(charged, charged=True, age=timedelta(seconds=5))
    never_sent = held_booking()
    crashed_attempt(never_sent, charged=False, age=timedelta(seconds=5))
    counts = reconciliation.reconcile_payments(now() + LATER)
    assert counts["charges_settled"] == 1 and counts["charges_abandoned"] == 1
    assert counts["bookings_confirmed"] == 1
    assert fresh(charged).status is ReservationStatus.CONFIRMED
    assert fresh(never_sent).status is ReservationStatus.HELD
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.reservation_id == charged.id)) == 1


def test_a_charge_on_a_held_booking_confirms_it_if_its_seats_are_still_its_own(app, app_ctx):
    reservation = held_booking()
    charge = charges.charge_reservation(reservation, approved_card(), now())
    db.session.execute(sa.update(Reservation).where(Reservation.id == reservation.id)
                       .values(hold_expires_at=now() - timedelta(minutes=1)))
    db.session.commit()  # the hold clock ran out while the confirm was dying; nobody took over
    counts = reconciliation.reconcile_payments(now())
    assert counts["bookings_confirmed"] == 1
    reservation = fresh(reservation)
    assert reservation.status is ReservationStatus.CONFIRMED
    assert reservation.payment_id == charge.provider_ref
    assert [e.kind for e in db.session.scalars(sa.select(OutboxEmail))] == ["booking_confirmed"]
    again = reconciliation.reconcile_payments(now() + LATER)
    assert not any(again.values())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 1


def test_a_charge_on_a_replaced_booking_is_refunded(app, app_ctx):
    user = gen_user()
    showtime, seats = setup_showtime()
    replaced = booking.hold_seats(user.id, showtime.id, [seats[0].id], now=now())
    charge = charges.charge_reservation(replaced, approved_card(), now())
    booking.hold_seats(user.id, showtime.id, [seats[1].id], now=now())  # a new hold replaces it
    counts = reconciliation.reconcile_payments(now())
    assert counts["charges_refunded"] == 1
    [refund] = app_payments(PaymentKind.REFUND)
    assert refund.idempotency_key == f"refund-charge:{charge.id}"
    assert refund.status is PaymentStatus.SUCCEEDED
    assert len(provider_entries("REFUND")) == 1
    assert not any(reconciliation.reconcile_payments(now() + LATER).values())


def test_a_charge_that_lands_after_it_was_abandoned_is_refunded_as_a_duplicate(app, app_ctx):
    user, client = patron_client(app)
    reservation = held_booking(user=user)
    attempt = crashed_attempt(reservation, charged=False, age=timedelta(minutes=5))
    assert reconciliation.reconcile_payments(now())["charges_abandoned"] == 1
    # The first call reaches the provider late; meanwhile the patron paid again.
    payments.provider_for("simulated").charge(attempt.amount_cents, approved_card(),
                                              attempt.idempotency_key)
    assert confirm(client, reservation, "again").status_code == 303
    assert len(provider_entries("CHARGE")) == 2
    assert money_invariant_violations(db.engine)  # the late charge is not recorded yet
    counts = reconciliation.reconcile_payments(now())
    assert counts["late_charges_refunded"] == 1
    assert len(provider_entries("REFUND")) == 1
    assert fresh(reservation).status is ReservationStatus.CONFIRMED
    reconciliation.reconcile_payments(now() + LATER)
    assert len(provider_entries("REFUND")) == 1


def test_two_reconcilers_at_once_refund_each_charge_once(app, app_ctx):
    user = gen_user()
    showtime, seats = setup_showtime()
    for seat in seats[:3]:
        replaced = booking.hold_seats(user.id, showtime.id, [seat.id], now=now())
        charges.charge_reservation(replaced, approved_card(), now())
    db.session.remove()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(reconciliation.reconcile_payments(now()))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # The last hold is live, so its charge confirms it; the two replaced ones are refunded.
    assert len(provider_entries("REFUND")) == 2
    assert len(app_payments(PaymentKind.REFUND)) == 2
    assert sum(r["bookings_confirmed"] for r in results) == 1


def test_confirm_is_refused_once_the_showtime_has_started(app, app_ctx):
    user, client = patron_client(app)
    showtime, seats = setup_showtime(starts_in=timedelta(minutes=5))
    reservation = booking.hold_seats(user.id, showtime.id, [seats[0].id], now=now())
    late = now() + timedelta(minutes=6)
    with pytest.raises(exceptions.ShowtimeStarted):
        booking.confirm_booking(reservation.id, user.id, "card", late, **{
            k: APPROVE[k] for k in ("card_number", "card_expiry", "card_cvc")})
    # It started while the card was being charged: refused, and the charge given back.
    charge = charges.charge_reservation(reservation, approved_card(), now())
    with pytest.raises(exceptions.ShowtimeStarted) as refused:
        booking.finalise(reservation.id, late, charge_method(), charge)
    assert refused.value.status_code == 409 and "already started" in refused.value.detail
    assert len(provider_entries("REFUND")) == 1


def charge_method():
    from cinema.models import PaymentMethod

    return PaymentMethod.CARD


def test_a_failure_after_the_charge_gives_the_money_back_at_once(app, app_ctx, monkeypatch):
    user = gen_user()
    reservation = held_booking(user=user)

    def broken(_reservation):
        raise RuntimeError("the email could not be composed")

    monkeypatch.setattr(notifications, "booking_confirmed", broken)
    with pytest.raises(RuntimeError):
        booking.confirm_booking(reservation.id, user.id, "card", now(), **{
            k: APPROVE[k] for k in ("card_number", "card_expiry", "card_cvc")})
    assert fresh(reservation).status is ReservationStatus.HELD
    assert len(provider_entries("REFUND")) == 1


def test_the_box_office_cannot_confirm_over_a_card_payment(app, app_ctx):
    user, client = patron_client(app)
    reservation = held_booking(user=user)
    charges._claim_attempt(reservation, approved_card(), now())
    response = client.post(f"/bookings/{reservation.id}/confirm", headers=JSON,
                           data={"payment_method": "box_office"})
    assert response.status_code == 409
    reconciliation.reconcile_payments(now() + LATER)


def test_the_cli_prints_what_it_did(app, app_ctx):
    reservation = held_booking()
    crashed_attempt(reservation, charged=False, age=timedelta(minutes=5))
    output = app.test_cli_runner().invoke(args=["reconcile-payments"]).output
    assert "charges_abandoned: 1" in output and "bookings_confirmed: 0" in output
