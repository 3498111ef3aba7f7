"""Helpers for payment tests: a held booking, charges left behind by a crash, the ledger."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from cinema.booking import booking, charges, payments
from cinema.extensions import db
from cinema.models import Payment, PaymentKind, Reservation, SimulatedGatewayEntry
from tests.booking_helpers import APPROVE, now, setup_showtime
from tests.factories import gen_user


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
