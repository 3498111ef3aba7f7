"""Exchanging a confirmed booking to another showtime of the same film, paying only the
difference.

Three steps, each safe to repeat and to run from two tabs, none holding a lock while the
payment provider is called:

1. ``exchange_holds.hold_exchange``: the new seats are held first, as a HELD reservation of their own naming
   the booking (``exchange_for_id``), priced now with the booking's ticket types: a hold like
   any other (the unique index, expiry by the clock). A new choice replaces the booking's
   previous exchange hold; the patron's ordinary holds are left alone, and the other way round.
2. ``complete_exchange``: the difference is the new total minus the booking's. Dearer, for a
   booking paid by card: a top-up charge (``charges.charge_topup``: committed PENDING first,
   one live per exchange, keyed by the hold), and a declined card changes nothing (the hold
   stays: try another card). Cheaper: a refund, opened in the swap's transaction and sent
   after its commit. A "pay at the box office" booking not paid yet just gets its new total.
   Paid in cash at the counter (a change made there, ``at_counter``): staff take or give back
   the difference in cash, and the booking's ``paid_at`` becomes the change's time (its new
   seats are sold then; the old seats' record keeps the first payment).
3. ``swap``, one transaction holding the booking's and the hold's row locks (in id order: the
   booking is older): everything is checked again, then the new seat rows move to the booking
   and the old ones, made inactive, to the hold, which becomes the CANCELLED record of the old
   seats (``split_from_id``). The booking keeps its code and QR, now for the new showtime.

Why it can never lose both or keep both: the booking's seats change in one commit, the old
ones freed in the same commit that gives it the new ones; before it the booking has its old
seats, after it its new ones. The money follows the seats: a top-up is taken before the swap
and given back at once if the swap is refused (the booking changed or was cancelled meanwhile,
the hold ran out and its seats were taken); a process killed between the charge and the swap
leaves a SUCCEEDED top-up that reconciliation settles (``settle_topup``): it finishes the
swap if the hold's seats are still its own, and refunds the top-up otherwise.

The money invariant after an exchange: the booking's charges (its own and its top-ups) minus
its refunds equal its new total; the hold, now the record of the old seats, took no money. The
reports count the old seats as sold when they were and refunded at the exchange, and the new
seats as sold at the exchange (the booking's ``confirmed_at``), so the price-drop refund
(``refund-exchange:<booking>:<hold>``) is not counted a second time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from cinema import audit
from cinema.booking import box_office, charges, freed_seats, payments, refunds, seat_stamps
from cinema.booking.exchange_holds import booking_to_move, check_exchangeable, exchange_hold
from cinema.clock import format_local
from cinema.exceptions import (
    DomainError,
    HoldExpired,
    PaymentDeclined,
    ShowtimeStarted,
    ShowtimeUnavailable,
    TotalChanged,
)
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import (
    EXCHANGE_REFUND_PREFIX,
    CancelReason,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Showtime,
)

log = logging.getLogger(__name__)

NEW_SEATS_GONE = ("Your hold on the new seats has expired, so nothing was changed. "
                  "Please choose the new seats again.")
NEW_SEATS_REPLACED = ("A newer choice of seats replaced these, so nothing was changed with them. "
                      "Please choose the new seats again.")
NEW_SEATS_GIVEN_UP = "These new seats were given up, so the booking is unchanged."


@dataclass(frozen=True)
class ExchangePlan:
    """What completing an exchange would do: the booking, the hold of its new seats, and the
    difference in cents (the new total minus the booking's; negative: money back)."""

    booking: Reservation
    hold: Reservation
    difference: int

    @property
    def by_card(self) -> bool:
        return self.booking.payment_method is PaymentMethod.CARD

    @property
    def charge_cents(self) -> int:
        """What the card is charged (a top-up)."""
        return max(self.difference, 0) if self.by_card else 0

    @property
    def refund_cents(self) -> int:
        """What goes back to the card."""
        return max(-self.difference, 0) if self.by_card else 0

    @property
    def in_cash(self) -> bool:
        """Paid in cash at the counter: the difference is settled there, in cash."""
        return self.booking.paid_at_counter

    @property
    def cash_in_cents(self) -> int:
        """What the counter takes in cash."""
        return max(self.difference, 0) if self.in_cash else 0

    @property
    def cash_out_cents(self) -> int:
        """What the counter gives back in cash."""
        return max(-self.difference, 0) if self.in_cash else 0


@dataclass(frozen=True)
class Exchanged:
    """What ``complete_exchange`` answers: the booking, the difference in cents (new total
    minus old), and whether this call moved it (False: a reload or another tab already had, so
    no money is to be taken or given back for this call)."""

    booking: Reservation
    difference: int
    moved_now: bool


# --- 2. the difference, and the change ------------------------------------------------------------

def plan_exchange(reservation_id, hold_id, user_id: int, now: datetime,
                  at_counter: bool = False) -> ExchangePlan:
    """What completing the exchange would do, changing nothing. Raises NotFound (no such
    booking or exchange hold of it), what ``check_exchangeable`` raises, and HoldExpired."""
    booking = booking_to_move(reservation_id, user_id, at_counter=at_counter)
    return _plan(booking, exchange_hold(booking, hold_id), now, at_counter)


def _plan(booking: Reservation, hold: Reservation, now: datetime,
          at_counter: bool) -> ExchangePlan:
    check_exchangeable(booking, now, at_counter)
    if not hold.is_live_hold(now):
        raise _gone(hold)
    return ExchangePlan(booking, hold, hold.total_price_cents - booking.total_price_cents)


def is_done(booking: Reservation, hold: Reservation) -> bool:
    """Whether this exchange went through (the hold became the record of the old seats)."""
    return hold.exchange_for_id == booking.id and hold.split_from_id == booking.id


def finished(reservation_id, hold_id, user_id: int, at_counter: bool = False) -> bool:
    """Whether this exchange has gone through already (its review reloaded, or gone back to)."""
    booking = booking_to_move(reservation_id, user_id, at_counter=at_counter)
    return is_done(booking, exchange_hold(booking, hold_id))


def _gone(hold: Reservation) -> HoldExpired:
    """Why the new seats can no longer be had: replaced by a newer choice, given up, or run out."""
    if hold.status is ReservationStatus.CANCELLED and hold.cancel_reason is CancelReason.REPLACED:
        return HoldExpired(NEW_SEATS_REPLACED)
    if hold.status is ReservationStatus.CANCELLED and hold.cancel_reason is CancelReason.PATRON:
        return HoldExpired(NEW_SEATS_GIVEN_UP)
    return HoldExpired(NEW_SEATS_GONE)


def complete_exchange(reservation_id, hold_id, user_id: int, now: datetime,
                      card_number: str | None = None, card_expiry: str | None = None,
                      card_cvc: str | None = None,
                      at_counter: bool = False) -> Exchanged:
    """Move the booking to the held new seats, charging or refunding the difference; commits.
    Submitted twice (a reload, two tabs), it changes the booking once and charges once; the
    second answers with the booking and ``moved_now`` False.
    ``at_counter``: staff (``user_id``) make the change for the patron at the box office.

    Raises what ``plan_exchange`` raises, ValidationFailed (the card's format), PaymentDeclined
    (402: nothing changed, the hold stays), PaymentInProgress (409: another tab is paying), and
    the refusals of ``swap`` (the top-up given back first).
    """
    booking = booking_to_move(reservation_id, user_id, at_counter=at_counter)
    hold = exchange_hold(booking, hold_id)
    if is_done(booking, hold):
        return Exchanged(booking, booking.total_price_cents - hold.total_price_cents, False)
    plan = _plan(booking, hold, now, at_counter)
    topup = None
    if plan.charge_cents > 0:
        card = payments.parse_card(card_number, card_expiry, card_cvc, now)
        topup = charges.charge_topup(plan.booking, plan.hold.id, plan.charge_cents, card, now)
        if topup.status is PaymentStatus.FAILED:
            raise PaymentDeclined(topup.error_message or PaymentDeclined.default_detail,
                                  decline_code=topup.error_code)
    try:
        changed, moved_now = swap(booking.id, hold.id, now, topup, actor_id=user_id,
                                  at_counter=at_counter)
    except DomainError:
        raise
    except Exception:
        # Charged, then something unexpected: settle the top-up now if the database lets us
        # (finish the swap, or give it back); reconciliation does otherwise.
        db.session.rollback()
        if topup is not None:
            try:
                settle_topup(topup.id, now)
            except Exception:  # noqa: BLE001 - the original error is the one to report
                db.session.rollback()
                log.exception("could not settle top-up %s at once; reconciliation will",
                              topup.id)
        raise
    return Exchanged(changed, plan.difference, moved_now)


def swap(booking_id: int, hold_id: int, now: datetime, topup: Payment | None,
         actor_id: int | None, settling: bool = False,
         at_counter: bool = False) -> tuple[Reservation, bool]:
    """Give the booking the hold's seats and the hold the booking's old ones, in one commit,
    with the money of the difference (``topup``: the SUCCEEDED charge of a dearer exchange).
    Returns the booking, and whether this call moved it (False: it had been moved already).
    If anything no longer allows it, the top-up is given back and the refusal raised:
    HoldExpired (the new seats' hold ran out: with ``settling``, reconciliation's case, it is
    enough that its seats are still its own), InvalidState (the booking was cancelled or
    admitted), CancellationClosed, ShowtimeUnavailable, TotalChanged (the booking's total
    changed since the top-up was charged).
    """
    # Row locks in id order (the booking is older than its exchange hold): two tabs, a
    # reconciler and a cancellation meet here one at a time.
    locked = {row.id: row for row in db.session.scalars(
        sa.select(Reservation).where(Reservation.id.in_([booking_id, hold_id]))
        .order_by(Reservation.id).with_for_update()
        .execution_options(populate_existing=True))}
    booking, hold = locked[booking_id], locked[hold_id]
    if topup is not None:
        topup = db.session.get(Payment, topup.id, populate_existing=True)
    if is_done(booking, hold):
        db.session.commit()
        return booking, False  # another tab, or reconciliation, finished it
    refusal = _refusal(booking, hold, topup, now, settling, at_counter)
    if refusal is not None:
        db.session.commit()
        if topup is not None and topup.status is PaymentStatus.SUCCEEDED \
                and topup.compensated_at is None:
            refunds.refund_payment(topup, now)  # charged, but the change cannot happen
        raise refusal
    old_showtime_id = booking.showtime_id
    refund_rows = _move_seats(booking, hold, now, actor_id, at_counter)
    db.session.commit()
    seat_stamps.bump(old_showtime_id)
    seat_stamps.bump(booking.showtime_id)
    for refund in refund_rows:
        refunds.refund_payment(refund, now)
    freed_seats.seats_freed([old_showtime_id], now)
    return booking, True


def _refusal(booking: Reservation, hold: Reservation, topup: Payment | None, now: datetime,
             settling: bool, at_counter: bool) -> DomainError | None:
    """Why the swap cannot happen now, or None."""
    seats_its_own = all(line.is_active for line in hold.seats)
    if hold.status is not ReservationStatus.HELD or hold.exchange_for_id != booking.id or \
            not (hold.is_live_hold(now) or (settling and seats_its_own)):
        return _gone(hold)
    try:
        check_exchangeable(booking, now, at_counter)
    except DomainError as refusal:
        return refusal
    if hold.showtime.is_cancelled:
        return ShowtimeUnavailable("The new showtime has been cancelled.")
    if hold.showtime.starts_at <= now:
        return ShowtimeStarted("The new showtime has already started.")
    difference = hold.total_price_cents - booking.total_price_cents
    owed = max(difference, 0) if booking.payment_method is PaymentMethod.CARD else 0
    paid = 0
    if topup is not None:
        if topup.status is not PaymentStatus.SUCCEEDED or topup.compensated_at is not None:
            return TotalChanged("The payment for this change did not go through or was given "
                                "back. Please check the difference and try again.")
        paid = topup.amount_cents
    if paid != owed:
        return TotalChanged("Your booking changed while you were paying, so the payment was "
                            "given back. Please check the new difference and try again.")
    return None


def _move_seats(booking: Reservation, hold: Reservation, now: datetime,
                actor_id: int | None, at_counter: bool) -> list[Payment]:
    """The swap itself (in the session, locks held): seat rows, both reservations, the refund
    of a price drop, the audit entry and the email. Returns the refund rows to send."""
    old_showtime, new_showtime = booking.showtime, hold.showtime
    old_lines, new_lines = list(booking.seats), list(hold.seats)
    old_total, new_total = booking.total_price_cents, hold.total_price_cents
    new_labels = [line.seat.label for line in new_lines]
    before = {"showtime": _when(old_showtime), "seats": [line.seat.label for line in old_lines],
              "total_price_cents": old_total}
    db.session.execute(
        sa.update(ReservedSeat).where(ReservedSeat.id.in_([line.id for line in old_lines]))
        .values(reservation_id=hold.id, is_active=False, updated_at=now)
        .execution_options(synchronize_session=False))
    db.session.execute(
        sa.update(ReservedSeat).where(ReservedSeat.id.in_([line.id for line in new_lines]))
        .values(reservation_id=booking.id, updated_at=now)
        .execution_options(synchronize_session=False))
    # The hold becomes the record of the old seats: cancelled, sold when the booking was.
    hold.status, hold.cancel_reason, hold.cancelled_at = (
        ReservationStatus.CANCELLED, CancelReason.PATRON, now)
    hold.hold_expires_at = None
    hold.showtime_id, hold.total_price_cents = old_showtime.id, old_total
    hold.confirmed_at, hold.paid_at = booking.confirmed_at, booking.paid_at
    hold.payment_method, hold.split_from_id = booking.payment_method, booking.id
    hold.sold_by = booking.sold_by
    cash = booking.paid_at_counter
    booking.showtime_id, booking.total_price_cents = new_showtime.id, new_total
    booking.confirmed_at = now  # the new seats are sold now (the reports' day of the sale)
    if cash:  # and paid now, the difference in cash at the counter (report_rows.SOLD_AT)
        booking.paid_at, booking.sold_by = now, actor_id
    db.session.flush()
    for line in old_lines + new_lines:
        db.session.expire(line)  # moved by the UPDATEs above
    db.session.expire(booking, ["seats", "showtime"])
    db.session.expire(hold, ["seats", "showtime"])
    refund_rows = []
    if booking.payment_method is PaymentMethod.CARD and new_total < old_total:
        refund_rows = refunds.open_refunds(
            booking, old_total - new_total, f"{EXCHANGE_REFUND_PREFIX}{booking.id}:{hold.id}",
            actor_id)
    audit.record(actor_id, "reservation.exchange", "reservation", booking.id,
                 f"moved booking {booking.code} from {_when(old_showtime)} to "
                 f"{_when(new_showtime)}", before=before,
                 after={"showtime": _when(new_showtime), "seats": new_labels,
                        "total_price_cents": new_total, "at_counter": at_counter,
                        "difference_cents": new_total - old_total,
                        "difference_settled": _settled(booking, new_total - old_total, cash)})
    if not box_office.is_walk_in(booking.user):
        notifications.booking_exchanged(booking, old_showtime, before["seats"],
                                        new_total - old_total)
    return refund_rows


def _settled(booking: Reservation, difference: int, cash: bool) -> str:
    """How the difference was settled, as the audit log reads it."""
    if not difference:
        return "no difference"
    if cash:
        return "taken in cash" if difference > 0 else "given back in cash"
    if booking.payment_method is PaymentMethod.CARD:
        return "charged to the card" if difference > 0 else "refunded to the card"
    return "in the total to pay at the box office"


def _when(showtime: Showtime) -> str:
    return format_local(showtime.starts_at, "%a %d %b %Y, %H:%M")


# --- reconciliation ------------------------------------------------------------------------------

def settle_topup(charge_id: int, now: datetime) -> str:
    """Make one SUCCEEDED top-up agree with its exchange: finish the swap if the exchange's
    hold still has its seats, otherwise refund it. Returns "exchanges_completed",
    "charges_refunded" or "already". Commits."""
    charge = db.session.scalar(sa.select(Payment).where(Payment.id == charge_id)
                               .with_for_update(skip_locked=True)
                               .execution_options(populate_existing=True))
    if charge is None or charge.status is not PaymentStatus.SUCCEEDED or \
            charge.compensated_at is not None or charge.exchange_id is None:
        db.session.commit()
        return "already"
    booking = db.session.get(Reservation, charge.reservation_id)
    hold = db.session.get(Reservation, charge.exchange_id)
    if is_done(booking, hold):
        db.session.commit()
        return "already"
    db.session.commit()  # the charge's lock: swap takes the reservations' first
    try:
        swap(booking.id, hold.id, now, charge, actor_id=None, settling=True,
             at_counter=hold.created_by not in (None, hold.user_id))
    except DomainError as refusal:  # swap refunded the top-up
        log.info("top-up %s could not finish the exchange of booking %s (%s): refunded",
                 charge.id, booking.code, refusal.error_code)
        return "charges_refunded"
    log.warning("reconciliation finished the exchange of booking %s with top-up %s",
                booking.code, charge.id)
    return "exchanges_completed"


def topups_not_settled() -> list[int]:
    """SUCCEEDED top-ups, not given back, whose exchange has not gone through."""
    hold = sa.orm.aliased(Reservation)
    return db.session.scalars(
        sa.select(Payment.id).join(hold, hold.id == Payment.exchange_id)
        .where(Payment.status == PaymentStatus.SUCCEEDED, Payment.compensated_at.is_(None),
               sa.or_(hold.split_from_id.is_(None),
                      hold.split_from_id != Payment.reservation_id))
        .order_by(Payment.id)).all()
