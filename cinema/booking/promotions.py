"""Promo codes on a patron's held booking: apply, remove, re-check at payment, count a use.

A discount is a line item of each seat (``ReservedSeat.discount_cents``), so the booking's
total stays the sum of its stored line items wherever it is shown:

- a **percentage** comes off each seat's price (base + seat type + time of day), rounded half
  up to the cent with integer arithmetic;
- a **fixed amount** comes off the booking: it is split over the seats in proportion to their
  prices, to the cent, by largest remainder (ties to the earlier seat), so the parts add up to
  the amount exactly. An amount larger than the total makes the booking free: no seat's price
  ever goes below zero.

Applying a code does not use it up: a use is counted when the booking is confirmed, by one
conditional UPDATE in the confirming transaction (``consume_use``), so ``max_uses`` holds
whatever the number of patrons paying at once. ``check_before_payment`` refuses a code that
ran out (or expired, or was deactivated) before the card is charged, removing its discount so
the patron sees the new total.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from cinema.booking.promo_codes import normalise_code
from cinema.exceptions import (
    DomainError,
    HoldExpired,
    InvalidState,
    NotFound,
    PromoExhausted,
    PromoExpired,
    PromoNotYetValid,
    PromoUnknown,
)
from cinema.extensions import db
from cinema.models import PromoCode, Reservation, ReservationStatus
from cinema.money import format_money

CODE_MAX_LENGTH = 40  # promo_codes.code


# --- the arithmetic ----------------------------------------------------------------------------

def percent_discounts(prices: list[int], percent: int) -> list[int]:
    """Each price's discount at ``percent``, rounded half up to the cent."""
    return [(price * percent + 50) // 100 for price in prices]


def amount_discounts(prices: list[int], amount_cents: int) -> list[int]:
    """``amount_cents`` (at most the total) split over ``prices`` in proportion, to the cent.

    Each seat gets the floor of its exact share; the cents left go one each to the seats with
    the largest remainders. A share is at most its price: an exact share below the price has a
    floor below it, and only a seat with a remainder gets a cent more.
    """
    total = sum(prices)
    amount = min(amount_cents, total)
    if amount <= 0:
        return [0] * len(prices)
    shares = [amount * price // total for price in prices]
    remainders = [amount * price % total for price in prices]
    left = amount - sum(shares)
    for index in sorted(range(len(prices)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares


def _price_before_discount(line) -> int:
    return line.base_price_cents + line.seat_type_adjustment_cents + line.time_adjustment_cents


def set_discounts(reservation: Reservation, promo: PromoCode | None) -> None:
    """Write each seat's discount and price, and the total, for ``promo`` (None: no code)."""
    prices = [_price_before_discount(line) for line in reservation.seats]
    if promo is None:
        discounts = [0] * len(prices)
    elif promo.percent_off is not None:
        discounts = percent_discounts(prices, promo.percent_off)
    else:
        discounts = amount_discounts(prices, promo.amount_off_cents)
    for line, price, discount in zip(reservation.seats, prices, discounts, strict=True):
        line.discount_cents, line.price_cents = discount, price - discount
    reservation.promo_code_id = promo.id if promo is not None else None
    reservation.total_price_cents = sum(line.price_cents for line in reservation.seats)


# --- checks ------------------------------------------------------------------------------------

def _refusal(promo: PromoCode | None, code: str, now: datetime) -> DomainError | None:
    """Why ``promo`` cannot be used at ``now``, or None if it can."""
    if promo is None:
        return PromoUnknown(f"We do not know the promo code {code}. Please check it.")
    if promo.is_deleted:
        return PromoUnknown(f"The promo code {promo.code} is no longer available.")
    if promo.valid_from is not None and now < promo.valid_from:
        return PromoNotYetValid(f"The promo code {promo.code} cannot be used yet.")
    if promo.valid_until is not None and now >= promo.valid_until:
        return PromoExpired(f"The promo code {promo.code} has expired.")
    if promo.max_uses is not None and promo.times_used >= promo.max_uses:
        return PromoExhausted(f"The promo code {promo.code} has been used as many times as "
                              "it can be.")
    return None


def lock_hold(reservation_id: int, user_id: int, now: datetime,
              changing: str = "promo codes are entered") -> Reservation:
    """The patron's own live hold, locked for the change. Raises NotFound, InvalidState (a
    booking already confirmed) or HoldExpired."""
    reservation = db.session.scalar(
        sa.select(Reservation).where(Reservation.id == reservation_id)
        .with_for_update().execution_options(populate_existing=True))
    if reservation is None or reservation.is_deleted or reservation.user_id != user_id:
        db.session.rollback()
        raise NotFound("We could not find that booking.")
    if reservation.status in (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED):
        db.session.rollback()
        raise InvalidState(f"This booking is already confirmed: {changing} before paying.")
    if reservation.exchange_for_id is not None:
        db.session.rollback()
        raise InvalidState("The new seats of a booking change keep the booking's ticket types "
                           "and take no promo code.")
    if not reservation.is_live_hold(now):
        db.session.rollback()
        raise HoldExpired()
    return reservation


# --- the patron's actions ----------------------------------------------------------------------

def apply_promo(reservation_id: int, user_id: int, code: str | None,
                now: datetime) -> Reservation:
    """Apply ``code`` to the patron's held booking, replacing any code it had; an empty code
    removes it (every discount back to 0). Sets each seat's discount and price and the total;
    commits.

    Raises NotFound (not the patron's), HoldExpired or InvalidState (409: not a live hold),
    PromoUnknown, PromoNotYetValid, PromoExpired (422) or PromoExhausted (409).
    """
    reservation = lock_hold(reservation_id, user_id, now)
    try:
        promo = usable_code(code, now)
    except DomainError:
        db.session.rollback()  # releases the hold's lock
        raise
    set_discounts(reservation, promo)
    db.session.commit()
    return reservation


def usable_code(code: str | None, now: datetime) -> PromoCode | None:
    """The promo code ``code`` names if it can be used at ``now`` (None for an empty code).
    Reads only. Raises PromoUnknown, PromoNotYetValid, PromoExpired (422) or PromoExhausted
    (409), with the message on the ``promo_code`` field."""
    code = normalise_code(code)
    if not code:
        return None
    if len(code) > CODE_MAX_LENGTH or not code.isprintable():
        # Longer than any stored code, or with control characters (PostgreSQL refuses NUL):
        # no code can match, so answer without asking the database.
        refusal = PromoUnknown("We do not know that promo code. Please check it.")
        refusal.field_errors = {"promo_code": [refusal.detail]}
        raise refusal
    promo = db.session.scalar(sa.select(PromoCode).where(PromoCode.code == code))
    refusal = _refusal(promo, code, now)
    if refusal is not None:
        refusal.field_errors = {"promo_code": [refusal.detail]}
        raise refusal
    return promo


def use_at_counter(reservation: Reservation, promo: PromoCode) -> bool:
    """Discount a box-office sale with ``promo`` and count one use, in the caller's
    transaction. False (nothing changed) when the code's last use has just gone."""
    if not consume_use(promo.id):
        return False
    set_discounts(reservation, promo)
    return True


def applied_code(reservation: Reservation) -> PromoCode | None:
    """The promo code a booking carries, if any."""
    if reservation.promo_code_id is None:
        return None
    return db.session.get(PromoCode, reservation.promo_code_id)


def check_before_payment(reservation: Reservation, now: datetime) -> None:
    """Before charging: refuse a code that can no longer be used (run out, expired,
    deactivated), after removing its discount (committed), so the patron sees the new total
    and pays that. Nothing to do for a booking without a code."""
    promo = applied_code(reservation)
    if promo is None:
        return
    refusal = _refusal(promo, promo.code, now)
    if refusal is None:
        return
    locked = lock_hold(reservation.id, reservation.user_id, now)
    error = refuse_and_remove(locked, refusal)
    db.session.commit()
    raise error


def refuse_and_remove(reservation: Reservation, refusal: DomainError) -> DomainError:
    """Remove the booking's discount (in the caller's transaction) and return ``refusal``
    telling the patron so, with the new total."""
    set_discounts(reservation, None)
    return type(refusal)(f"{refusal.detail} Its discount has been removed, so the total is now "
                         f"{format_money(reservation.total_price_cents)}. Please check it and "
                         "pay again.")


def consume_use(promo_code_id: int) -> bool:
    """Count one use of a code, in the caller's transaction, if it has a use left. The
    conditional UPDATE locks the code's row, so of two bookings paying for the last use at
    once, the second waits and then finds none left. False when none was left."""
    result = db.session.execute(
        sa.update(PromoCode)
        .where(PromoCode.id == promo_code_id,
               sa.or_(PromoCode.max_uses.is_(None), PromoCode.times_used < PromoCode.max_uses))
        .values(times_used=PromoCode.times_used + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def used_up(reservation: Reservation) -> DomainError:
    """The refusal of a booking whose code ran out between applying and paying, its discount
    removed (in the caller's transaction)."""
    promo = applied_code(reservation)
    return refuse_and_remove(reservation, PromoExhausted(
        f"Sorry, the promo code {promo.code} has just been used for the last time."))
