"""Holds, confirmation and cancellation: the rules that keep seats and money safe.

The guarantee against double booking is the database's: the partial unique index
``uq_reserved_seats_active`` allows one active ``reserved_seats`` row per (showtime, seat).
Everything here is about answering well around it:

- A hold first retires, in the same transaction, expired holds on the wanted seats (a HELD
  reservation past ``hold_expires_at`` is free by the clock, swept or not) and the patron's own
  previous hold for the showtime, then checks for live claims to name the taken seats, then
  inserts one row per seat in seat-id order. Two holds racing for a seat meet at the unique
  index: the loser's insert waits for the winner's commit and fails, which becomes a clean 409.
  Locks are taken in one statement per table and inserts in seat-id order, so holds cannot
  deadlock one another; a deadlock with something else is retried.
- No lock is held while the payment provider is called: confirm commits a PENDING payment row,
  calls the provider, then re-checks the hold in a new transaction. One charge per booking
  (``charges``); a charge that cannot be confirmed is refunded, and what a crash leaves behind
  is settled by ``reconciliation``.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema import jobs
from cinema.booking import (
    bookings_query,
    charges,
    expiry,
    freed_seats,
    payments,
    promotions,
    refunds,
    seat_gaps,
    seat_pairs,
    seat_stamps,
    seatmap,
)
from cinema.exceptions import (
    CancellationClosed,
    DomainError,
    HoldExpired,
    InvalidState,
    NotFound,
    PaymentDeclined,
    PaymentInProgress,
    SeatAlreadyBooked,
    SeatAlreadyHeld,
    ShowtimeStarted,
    ShowtimeUnavailable,
    SingleSeatGap,
    TotalChanged,
    ValidationFailed,
)
from cinema.extensions import db
from cinema.ids import parse_id
from cinema.messaging import notifications
from cinema.models import (
    CancelReason,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Seat,
    Showtime,
)
from cinema.pricing import engine, price_book
from cinema.settings import settings

log = logging.getLogger(__name__)

LIVE_STATUSES = (ReservationStatus.HELD, ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED)
DEADLOCK_RETRIES = 3


# --- holds -----------------------------------------------------------------------------------

def _parse_seat_ids(seat_ids) -> list[int]:
    # One value alone (a string, a number) is a list of one; anything not an id is refused.
    values = seat_ids if isinstance(seat_ids, (list, tuple, set, frozenset)) else [seat_ids]
    ids = [parse_id(s) for s in values]
    if None in ids:
        raise ValidationFailed("Those seats are not valid.",
                               field_errors={"seat_ids": ["Not a seat."]})
    return ids


def _check_seat_request(seat_ids, max_seats: int) -> list[int]:
    ids = _parse_seat_ids(seat_ids)
    if not ids:
        raise ValidationFailed("Please choose at least one seat.",
                               field_errors={"seat_ids": ["Choose at least one seat."]})
    if len(set(ids)) != len(ids):
        raise ValidationFailed("The same seat was chosen twice.",
                               field_errors={"seat_ids": ["Each seat only once."]})
    if len(ids) > max_seats:
        raise ValidationFailed(f"You can hold at most {max_seats} seats at a time.",
                               field_errors={"seat_ids": [f"At most {max_seats} seats."]})
    return sorted(ids)


def bookable_showtime(showtime_id: int, now: datetime) -> Showtime:
    showtime = db.session.get(Showtime, showtime_id)
    if showtime is None or showtime.is_deleted or showtime.movie.is_deleted:
        raise NotFound("We could not find that showtime.")
    if showtime.is_cancelled:
        raise ShowtimeUnavailable("This showtime has been cancelled.")
    if showtime.starts_at <= now:
        raise ShowtimeUnavailable("This showtime has already started.")
    return showtime


def _load_seats(showtime: Showtime, ids: list[int]) -> list[Seat]:
    seats = db.session.scalars(
        sa.select(Seat).where(Seat.id.in_(ids), Seat.auditorium_id == showtime.auditorium_id,
                              Seat.is_deleted.is_(False)).order_by(Seat.id)).all()
    if len(seats) != len(ids):
        raise ValidationFailed("Some of those seats are not in this auditorium.",
                               field_errors={"seat_ids": ["Not a seat of this showtime."]})
    blocked = [seat.label for seat in seats if seat.is_blocked]
    if blocked:
        raise ValidationFailed(f"Seat {', '.join(blocked)} cannot be booked.",
                               field_errors={"seat_ids": ["Blocked seat."]})
    seat_pairs.check(seats, lambda seat_id: db.session.get(Seat, seat_id).label)
    return seats


def _retire_holds(showtime_id: int, ids: list[int], user_id: int | None,
                  now: datetime) -> None:
    """Cancel expired holds on these seats and the patron's own previous hold, if ``user_id``
    is given (one statement per table, so the rows are locked in one pass)."""
    expired_on_seats = (
        sa.select(ReservedSeat.reservation_id)
        .join(Reservation, Reservation.id == ReservedSeat.reservation_id)
        .where(ReservedSeat.showtime_id == showtime_id, ReservedSeat.seat_id.in_(ids),
               ReservedSeat.is_active, Reservation.status == ReservationStatus.HELD,
               Reservation.hold_expires_at <= now)
    )
    retirements = [(Reservation.id.in_(expired_on_seats), CancelReason.EXPIRED)]
    if user_id is not None:
        retirements.append((sa.and_(Reservation.showtime_id == showtime_id,
                                    Reservation.user_id == user_id), CancelReason.REPLACED))
    for condition, reason in retirements:
        retired = db.session.scalars(
            sa.update(Reservation)
            .where(condition, Reservation.status == ReservationStatus.HELD)
            .values(status=ReservationStatus.CANCELLED, cancel_reason=reason,
                    cancelled_at=now, updated_at=now)
            .returning(Reservation.id)
            .execution_options(synchronize_session=False)
        ).all()
        if retired:
            db.session.execute(
                sa.update(ReservedSeat).where(ReservedSeat.reservation_id.in_(retired))
                .values(is_active=False, updated_at=now)
                .execution_options(synchronize_session=False))


def _claim_error(showtime_id: int, ids: list[int], now: datetime):
    """The 409 naming the seats someone else holds or owns, or None if all are free."""
    claims = db.session.execute(
        seatmap.active_claims(showtime_id, now).where(ReservedSeat.seat_id.in_(ids))
        .add_columns(Seat.row_label, Seat.number)
        .join(Seat, Seat.id == ReservedSeat.seat_id)
    ).all()
    if not claims:
        return None
    sold = sorted(f"{c.row_label}{c.number}" for c in claims
                  if c.status is not ReservationStatus.HELD)
    held = sorted(f"{c.row_label}{c.number}" for c in claims
                  if c.status is ReservationStatus.HELD)
    if sold:
        return SeatAlreadyBooked(f"Sorry, seat {', '.join(sold)} has just been sold. "
                                 "Please choose other seats.", seats=sold + held)
    return SeatAlreadyHeld(f"Sorry, seat {', '.join(held)} is being booked by someone else. "
                           "Please choose other seats.", seats=held)


def hold_seats(user_id: int, showtime_id: int, seat_ids, now: datetime,
               replace_previous: bool = True, gap_rule: bool | None = None,
               tickets: dict | None = None, hold_seconds: int | None = None) -> Reservation:
    """Hold ``seat_ids`` of a showtime for a patron, all or nothing, priced now; commits.

    ``tickets`` maps seat id -> ticket type id (missing: the default type, Adult). Each seat's
    line items (``pricing``) are frozen on it: confirmation charges the held total whatever
    the rules become.

    Replaces the patron's previous hold for the same showtime (unless ``replace_previous`` is
    False: box-office sales on the shared walk-in account must not cancel each other).
    ``gap_rule`` (default: the SEAT_GAP_RULE setting) refuses a hold that strands a single seat.
    ``hold_seconds`` (default: HOLD_SECONDS) is how long the hold lasts (a waitlist offer's is
    WAITLIST_OFFER_SECONDS).
    Raises NotFound, ShowtimeUnavailable, ValidationFailed (422: invalid, duplicate, blocked or
    too many seats; TICKET_TYPE_NOT_ALLOWED: a Child ticket for a film rated too high),
    SingleSeatGap (422, naming the seat and the shift that avoids it),
    SeatAlreadyBooked or SeatAlreadyHeld (409, naming the seats).
    """
    config = settings()
    showtime_id = parse_id(showtime_id)  # a form's "7" is 7 from here on, in every query
    if showtime_id is None:
        raise ValidationFailed("Please choose a showtime.",
                               field_errors={"showtime_id": ["Missing or not a number."]})
    ids = _check_seat_request(seat_ids, config.max_seats_per_hold)
    for attempt in range(DEADLOCK_RETRIES):
        try:
            reservation = _hold_once(user_id, showtime_id, ids, now, config, replace_previous,
                                     config.seat_gap_rule if gap_rule is None else gap_rule,
                                     tickets,
                                     config.hold_seconds if hold_seconds is None else hold_seconds)
            break
        except sa.exc.OperationalError as error:
            db.session.rollback()
            if getattr(error.orig, "sqlstate", None) != "40P01" or attempt + 1 == DEADLOCK_RETRIES:
                raise
            log.warning("hold deadlocked, retrying (attempt %d)", attempt + 1)
    seat_stamps.bump(showtime_id)
    jobs.enqueue_at(reservation.hold_expires_at + timedelta(seconds=1), expiry.release_hold,
                    reservation.id)
    return reservation


def _hold_once(user_id, showtime_id, ids, now, config, replace_previous, gap_rule,
               tickets, hold_seconds) -> Reservation:
    showtime = bookable_showtime(showtime_id, now)
    seats = _load_seats(showtime, ids)
    chosen = price_book.choose_tickets(ids, tickets, price_book.ticket_types(),
                                       showtime.movie.age_rating)
    rules = price_book.enabled_rules()
    uses_demand = any(rule.uses_demand for rule in rules)
    if uses_demand:
        # Before this transaction writes anything: holds of this showtime count its occupancy
        # one after another, so two holds at a demand threshold never both see the share
        # before either (the second sees the first's seats). Only while a demand rule is on.
        price_book.lock_occupancy(showtime_id)
    _retire_holds(showtime_id, ids, user_id if replace_previous else None, now)
    error = _claim_error(showtime_id, ids, now)
    if error is None and gap_rule:
        # The patron's previous hold is being replaced: their held seats count as free.
        seat_map = seatmap.build(showtime, now, user_id if replace_previous else None)
        try:
            seat_gaps.check(seat_map, set(ids))
        except SingleSeatGap as gap:
            error = gap
    if error is not None:
        db.session.rollback()
        raise error
    # Demand is counted here, in the hold's transaction, after the retirements above and
    # before this hold's own seats; a demand item's label records the share it saw.
    occupancy = price_book.occupancy(showtime, now) if uses_demand else engine.Occupancy()
    facts, price_settings = engine.ShowtimeFacts.of(showtime), price_book.settings()
    reservation = Reservation(user_id=user_id, showtime_id=showtime_id, created_by=user_id,
                              status=ReservationStatus.HELD,
                              hold_expires_at=now + timedelta(seconds=hold_seconds))
    prices = engine.price_seats(facts, [(seat.id, seat.seat_type) for seat in seats], chosen,
                                price_settings, rules, occupancy, now)
    for seat in seats:  # seat-id order: concurrent holds wait on each other in one order
        price = prices[seat.id]
        line = ReservedSeat(showtime_id=showtime_id, seat_id=seat.id, created_by=user_id,
                            **price.as_columns())
        line.items = price_book.line_item_rows(price)
        reservation.seats.append(line)
    reservation.total_price_cents = sum(line.price_cents for line in reservation.seats)
    db.session.add(reservation)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as integrity:
        db.session.rollback()
        if "uq_reserved_seats_active" not in str(integrity.orig):
            raise
        # Another hold won the race between our check and our insert.
        raise (_claim_error(showtime_id, ids, now) or SeatAlreadyHeld()) from integrity
    return reservation


def hold_is_live(reservation: Reservation, now: datetime) -> bool:
    return reservation.is_live_hold(now)


# --- confirmation ----------------------------------------------------------------------------

def confirm_booking(reservation_id: int, user_id: int, payment_method: str, now: datetime,
                    card_number: str | None = None, card_expiry: str | None = None,
                    card_cvc: str | None = None, idempotency_key: str | None = None
                    ) -> Reservation:
    """Pay for a held booking and confirm it; commits. However often and from however many tabs
    it is submitted, the booking is charged once (``charges``): ``idempotency_key``, the page's
    form key, is accepted for old pages but not used, the key comes from the reservation.

    Raises NotFound, HoldExpired (409), ShowtimeUnavailable (409, the showtime has started),
    ValidationFailed (422: method or card format), PaymentDeclined (402; the hold stays),
    PaymentInProgress (409), or a promo code refusal (its discount removed first, see
    ``promotions.check_before_payment``).
    """
    reservation = bookings_query.visible_to(reservation_id, user_id, viewer_is_staff=False)
    if reservation.status in (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED):
        return reservation  # a double submit after success: nothing more to do
    if not reservation.is_live_hold(now):
        raise HoldExpired()
    if reservation.showtime.starts_at <= now:
        raise ShowtimeStarted()
    try:
        method = PaymentMethod(payment_method.upper())
    except (ValueError, AttributeError):
        raise ValidationFailed("Please choose how to pay.",
                               field_errors={"payment_method": ["Card or box office."]}) from None
    promotions.check_before_payment(reservation, now)  # before any money moves
    if method is PaymentMethod.BOX_OFFICE:
        if charges.live_charge(reservation.id) is not None:
            raise PaymentInProgress()  # a card payment of this booking is under way or done
        return finalise(reservation.id, now, method, payment=None)
    card = payments.parse_card(card_number, card_expiry, card_cvc, now)
    payment = charges.charge_reservation(reservation, card, now)
    if payment.status is PaymentStatus.FAILED:
        raise PaymentDeclined(payment.error_message or PaymentDeclined.default_detail,
                              decline_code=payment.error_code)
    try:
        return finalise(reservation.id, now, method, payment)
    except DomainError:
        raise
    except Exception:
        # Charged, then something unexpected: never leave the money orphaned. Settle it now
        # if the database lets us (confirm, or give it back); reconciliation does otherwise.
        db.session.rollback()
        from cinema.booking import reconciliation

        try:
            reconciliation.settle_charge(payment.id, now)
        except Exception:  # noqa: BLE001 - the original error is the one to report
            db.session.rollback()
            log.exception("could not settle charge %s at once; reconciliation will", payment.id)
        raise


def _seats_still_its_own(reservation: Reservation) -> bool:
    """A HELD reservation whose seat rows are all active: no one else can hold those seats (the
    unique index), even if its hold clock ran out. Reconciliation confirms such a booking."""
    return reservation.status is ReservationStatus.HELD and all(
        line.is_active for line in reservation.seats)


def finalise(reservation_id: int, now: datetime, method: PaymentMethod,
             payment: Payment | None, hold_expired_ok: bool = False) -> Reservation:
    """Confirm under a row lock, re-checking the hold (it may have expired during the call;
    with ``hold_expired_ok``, reconciliation's case, it is enough that the seats are still its
    own), the start time, and counting a use of the booking's promo code; if one fails, refund
    the charge and raise the refusal (HoldExpired, ShowtimeStarted, a promo refusal). A charge
    that arrives for a booking already confirmed otherwise (another tab, the box office) is
    refunded and the confirmed booking returned."""
    reservation = db.session.scalar(
        sa.select(Reservation).where(Reservation.id == reservation_id).with_for_update()
        .execution_options(populate_existing=True))
    if reservation.status in (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED):
        db.session.commit()
        if payment is not None and not charges.pays_for(reservation, payment):
            refunds.refund_payment(payment, now)
        return reservation
    refusal = None
    if not (hold_is_live(reservation, now) or
            (hold_expired_ok and _seats_still_its_own(reservation))):
        refusal = HoldExpired()
    elif reservation.showtime.starts_at <= now:
        refusal = ShowtimeStarted()
    elif payment is not None and payment.amount_cents != reservation.total_price_cents:
        refusal = TotalChanged()  # a promo code applied or removed during the charge
    elif reservation.promo_code_id is not None and \
            not promotions.consume_use(reservation.promo_code_id):
        refusal = promotions.used_up(reservation)  # the last use went to another booking
    if refusal is not None:
        db.session.commit()
        if payment is not None:
            # Charged, but it cannot be confirmed: give the money back.
            refunds.refund_payment(payment, now)
        raise refusal
    reservation.status = ReservationStatus.CONFIRMED
    reservation.confirmed_at = now
    reservation.payment_method = method
    if payment is not None:
        reservation.payment_id = payment.provider_ref
        reservation.paid_at = now
    # The email row commits with the confirmation; after the commit, notifications asks the
    # worker to send it at once (and the periodic sweep sends it if Redis is down).
    notifications.booking_confirmed(reservation)
    db.session.commit()
    seat_stamps.bump(reservation.showtime_id)
    return reservation


# --- cancellation -------------------------------------------------------------------------

def cancel_booking(reservation_id: int, actor_id: int, now: datetime,
                   by_admin: bool = False) -> Reservation:
    """Cancel a booking and refund its card payment; the seats are free at once. Commits.

    Patrons cancel their own HELD booking any time and a CONFIRMED one until
    ``CANCELLATION_CUTOFF_MINUTES`` before the start; admins cancel any live booking.
    Raises NotFound, CancellationClosed or InvalidState (409).
    """
    reservation = db.session.scalar(
        sa.select(Reservation).where(Reservation.id == reservation_id).with_for_update())
    if reservation is None or (not by_admin and reservation.user_id != actor_id):
        raise NotFound("We could not find that booking.")
    if reservation.status not in (ReservationStatus.HELD, ReservationStatus.CONFIRMED):
        raise InvalidState(f"This booking is {reservation.status.value.lower()} and cannot be "
                           "cancelled.")
    if reservation.status is ReservationStatus.CONFIRMED and not by_admin:
        cutoff = settings().cancellation_cutoff_minutes
        if now > reservation.showtime.starts_at - timedelta(minutes=cutoff):
            raise CancellationClosed(
                f"Bookings can be cancelled online until {cutoff} minutes before the start. "
                "Please speak to the box office.")
    was_confirmed = reservation.status is ReservationStatus.CONFIRMED
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancel_reason = CancelReason.ADMIN if by_admin else CancelReason.PATRON
    reservation.cancelled_at = now
    db.session.execute(sa.update(ReservedSeat).where(
        ReservedSeat.reservation_id == reservation.id).values(is_active=False, updated_at=now))
    refund = refunds.open_refund(reservation, actor_id) if was_confirmed else None
    if was_confirmed:
        notifications.booking_cancelled(reservation,
                                        refund.amount_cents if refund is not None else 0)
    if by_admin:
        from cinema import audit

        audit.record(actor_id, "reservation.cancel", "reservation", reservation.id,
                     f"cancelled booking {reservation.code}",
                     before={"status": "CONFIRMED" if was_confirmed else "HELD"},
                     after={"status": "CANCELLED"})
    db.session.commit()
    seat_stamps.bump(reservation.showtime_id)
    if refund is not None:
        refunds.refund_payment(refund, now)
    freed_seats.seats_freed([reservation.showtime_id], now)
    return reservation
