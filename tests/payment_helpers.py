"""Helpers for payment tests: a held booking, charges left behind by a crash, the ledger."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from cinema.booking import booking, charges, payments
from cinema.extensions import db
from cinema.models import Payment, PaymentKind, Reservation, SimulatedGatewayEntry
from tests.booking_helpers import APPROVE, now, setup_showtime
from tests.factories import gen_user

# A process that completes an exchange (``exchanges.complete_exchange``) and stalls once the
# top-up is charged and recorded, before the swap: argv database url, marker file, booking id,
# hold id, user id, and "counter" for a change made at the box office. ``kill_when_marked``
# kills it there.
KILLED_BEFORE_THE_SWAP = """
import sys, time
from cinema import create_app
from cinema.booking import exchanges
from cinema.models import utcnow

database_url, marker, reservation_id, hold_id, user_id = sys.argv[1:6]

def stall(*args, **kwargs):
    open(marker, "w").write("charged")  # the top-up is charged and recorded, the swap not done
    time.sleep(600)

exchanges.swap = stall
app = create_app(dict(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=None, SECRET_KEY="k"))
with app.app_context():
    exchanges.complete_exchange(int(reservation_id), int(hold_id), int(user_id), utcnow(),
                                card_number="4242424242424242", card_expiry="12/39",
                                card_cvc="123", at_counter=sys.argv[6:] == ["counter"])
"""


def approved_card():
    return payments.parse_card(APPROVE["card_number"], APPROVE["card_expiry"],
                               APPROVE["card_cvc"], now())


def held_booking(seat_count=1, user=None, **hold_options) -> Reservation:
    showtime, seats = setup_showtime()
    user = user or gen_user()
    return booking.hold_seats(user.id, showtime.id, [s.id for s in seats[:seat_count]],
                              **{"now": now(), **hold_options})


def backdate(payment_id: int, age: timedelta) -> None:
    """Make a payment row look untouched for ``age`` (its process died that long ago)."""
    db.session.execute(sa.update(Payment).where(Payment.id == payment_id)
                       .values(updated_at=now() - age, created_at=now() - age))
    db.session.commit()


def crashed_attempt(reservation: Reservation, charged: bool, age: timedelta) -> Payment:
    """What a process killed mid-confirm leaves: the PENDING attempt, and (if ``charged``) the
    charge at the provider whose answer never got recorded."""
    card = approved_card()
    attempt = charges._claim_attempt(reservation, card, now())
    if charged:
        payments.provider_for("simulated").charge(attempt.amount_cents, card,
                                                  attempt.idempotency_key)
    backdate(attempt.id, age)
    return attempt


def provider_entries(kind: str) -> list[SimulatedGatewayEntry]:
    db.session.expire_all()
    return db.session.scalars(sa.select(SimulatedGatewayEntry).where(
        SimulatedGatewayEntry.kind == kind, SimulatedGatewayEntry.ok.is_(True))).all()


def app_payments(kind: PaymentKind) -> list[Payment]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Payment).where(Payment.kind == kind)
                              .order_by(Payment.id)).all()
