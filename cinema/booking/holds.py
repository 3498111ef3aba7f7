"""Holds: a patron's seats of a showtime, all or nothing, until the hold expires by the clock.

The guarantee against double booking is the database's: the partial unique index
``uq_reserved_seats_active`` allows one active ``reserved_seats`` row per (showtime, seat). A
hold on PostgreSQL (``_hold_postgresql``) is four statements in one transaction, the first of
them the user loader's ``SELECT`` that every signed-in request makes (psycopg sends its
``BEGIN`` on its own before it):

1. ``RETIRE_AND_READ`` (``hold_sql``), one statement: retire (CANCELLED) the expired holds on
   the wanted seats (reason EXPIRED: a hold is free by the clock whether or not the sweep ran)
   and the patron's own previous hold for the showtime (REPLACED), their seat rows made
   inactive; and in the same statement read what the hold is checked against: the showtime,
   the wanted seats, the layout's version, and the live claims on the wanted seats' rows
   (without the holds just retired).
2. ``INSERT_HOLD``, one statement: the reservation, one ``reserved_seats`` row per seat in
   seat-id order (a plain INSERT against the unique index) and each seat's frozen line items.
3. ``COMMIT``.

Between 1 and 2, in Python and without a round trip: the showtime and seat checks (404/422,
the pair rule of ``seat_pairs`` among them), the seats already taken (409, naming them), the
single-seat gap rule (on the cached layout, ``seatmap.lay_out``), the ticket types asked for,
and the price of each seat (``price_book.price_lines``, the one pricing call:
``cinema.pricing.engine.price_seats``). The pricing rules and ticket types come from
``price_book.PricingBook``, kept per process and per version of their tables (the first
statement reads the version), so they cost no statement while unchanged. While a demand rule
is on, two more statements order holds of one showtime and count its occupancy
(``price_book.lock_occupancy`` before the first statement, ``price_book.occupancy`` after it).
After the commit, Redis is one pipelined round trip: the seat-map stamp and, once per process
for the showtime's window of expiries, the job that releases them (``expiry``).

Why this cannot double-book: the only thing that makes a seat taken is an active seat row, and
the unique index admits one per (showtime, seat). Two holds racing for a seat both pass the
checks of step 1 (they read before either inserts); the second INSERT waits on the first's
uncommitted index entry and, once that commits, fails with a unique violation: the whole
transaction is rolled back (no reservation, no seat row: all or nothing) and answered 409
naming the seats. The checks only make the answer good; the index makes it right.

Why holds do not deadlock one another: a hold takes row locks only in step 1, on the
reservations it retires, in id order (``ORDER BY id FOR UPDATE``), and on their seat rows,
which nothing changes without first locking the reservation. Step 2 only inserts, in seat-id
order, so two holds inserting overlapping seats meet first at their lowest common seat, where
the later waits holding no seat the earlier still needs. A hold that would insert a seat whose
row another hold is retiring has either waited for that hold in step 1 (both retire the same
expired reservation) or seen the seat taken (409). The occupancy lock, when a demand rule
takes it, is a transaction's first lock, so it closes no cycle either. Should a deadlock
still happen (with the sweep, an admin's cancellation), PostgreSQL breaks it and the hold is
retried, ``DEADLOCK_RETRIES`` times.

On SQLite (development) the same steps run one ORM statement each (``holds_portable``). The
checks and refusals both paths share are ``hold_rules``.
"""
from __future__ import annotations

import functools
import json
import logging
from collections import namedtuple
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema import jobs
from cinema.booking import (
    expiry,
    hold_rules,
    holds_portable,
    seat_gaps,
    seat_stamps,
    seatmap,
)
from cinema.booking.hold_sql import INSERT_HOLD, RETIRE_AND_READ
from cinema.exceptions import DomainError, NotFound, ShowtimeUnavailable, ValidationFailed
from cinema.extensions import db, get_redis
from cinema.ids import parse_id
from cinema.models import Reservation, ReservationStatus, SeatType
from cinema.models.booking import new_booking_code
from cinema.pricing import engine, price_book
from cinema.settings import settings

log = logging.getLogger(__name__)

DEADLOCK_RETRIES = 3

ITEM_COLUMNS = ("kind", "label", "rule_id", "ticket_type_id", "amount_cents", "floor_cents",
                "ceiling_cents")

Claim = namedtuple("Claim", "seat_id user_id status")


def hold_seats(user_id: int, showtime_id: int, seat_ids, now: datetime,
               replace_previous: bool = True, gap_rule: bool | None = None,
               tickets: dict | None = None, hold_seconds: int | None = None) -> Reservation:
    """Hold ``seat_ids`` of a showtime for a patron, all or nothing, priced now; commits.

    ``tickets`` maps seat id -> ticket type id (missing: the default type, Adult). Each seat's
    line items (``cinema.pricing``) are frozen on it: confirmation charges the held total
    whatever the rules become.

    Replaces the patron's previous hold for the same showtime (unless ``replace_previous`` is
    False: box-office sales on the shared walk-in account must not cancel each other).
    ``gap_rule`` (default: the SEAT_GAP_RULE setting) refuses a hold that strands a single seat.
    ``hold_seconds`` (default: HOLD_SECONDS) is how long the hold lasts (a waitlist offer's is
    WAITLIST_OFFER_SECONDS).
    Raises NotFound, ShowtimeUnavailable, ValidationFailed (422: invalid, duplicate, blocked or
    too many seats; TICKET_TYPE_NOT_ALLOWED: a Child ticket for a film rated too high;
    SEAT_PAIR_SPLIT), SingleSeatGap (422, naming the seat and the shift that avoids it),
    SeatAlreadyBooked or SeatAlreadyHeld (409, naming the seats).
    """
    config = settings()
    showtime_id = parse_id(showtime_id)  # a form's "7" is 7 from here on, in every query
    if showtime_id is None:
        raise ValidationFailed("Please choose a showtime.",
                               field_errors={"showtime_id": ["Missing or not a number."]})
    ids = hold_rules.check_seat_request(seat_ids, config.max_seats_per_hold)
    gap_rule = config.seat_gap_rule if gap_rule is None else gap_rule
    hold_once = (_hold_postgresql if db.session.get_bind().dialect.name == "postgresql"
                 else holds_portable.hold_portable)
    for attempt in range(DEADLOCK_RETRIES):
        try:
            reservation = hold_once(user_id, showtime_id, ids, now, replace_previous,
                                    gap_rule, tickets,
                                    config.hold_seconds if hold_seconds is None else hold_seconds)
            break
        except sa.exc.OperationalError as error:
            db.session.rollback()
            if getattr(error.orig, "sqlstate", None) != "40P01" or attempt + 1 == DEADLOCK_RETRIES:
                raise
            log.warning("hold deadlocked, retrying (attempt %d)", attempt + 1)
    _after_hold(showtime_id, reservation.id, reservation.hold_expires_at)
    return reservation


def _after_hold(showtime_id: int, reservation_id: int, expires_at: datetime) -> None:
    """The seat-map stamp and, unless this process scheduled it already, the job that releases
    the showtime's holds expiring in the hold's window (``expiry``): one Redis round trip. A
    failure is logged: the stamp only saves renders, and the periodic sweep releases what the
    job would (availability never waits for either)."""
    client = get_redis()
    if client is None:
        return
    runs_at = expiry.release_window(expires_at)
    job_id = expiry.release_job_id(showtime_id, runs_at)
    scheduled = (jobs.queue_name(), job_id)
    try:
        with client.pipeline(transaction=False) as pipe:
            seat_stamps.bump(showtime_id, pipeline=pipe)
            if not expiry.ScheduledReleases.knows(scheduled):
                jobs.enqueue_at(runs_at, expiry.release_showtime_holds, showtime_id,
                                pipeline=pipe, job_id=job_id)
            pipe.execute()
    except Exception:  # noqa: BLE001 - see the docstring
        log.warning("could not stamp or schedule the expiry of hold %s", reservation_id,
                    exc_info=True)
        return
    expiry.ScheduledReleases.remember(scheduled)


def _hold_postgresql(user_id, showtime_id, ids, now, replace_previous, gap_rule, tickets,
                     hold_seconds, lock_occupancy: bool | None = None) -> Reservation:
    """Steps 1-3 of the module docstring; raises (after a rollback) as ``hold_seats`` says.

    While a demand rule is on, holds of one showtime count its occupancy one after another
    (``price_book.lock_occupancy``, before this transaction writes anything, then the count
    after the retirements): two more statements, only then."""
    if lock_occupancy is None:
        lock_occupancy = any(rule.uses_demand for rule in price_book.PricingBook.current()[0])
    if lock_occupancy:
        price_book.lock_occupancy(showtime_id)
    found = db.session.execute(RETIRE_AND_READ, dict(
        user_id=user_id, showtime_id=showtime_id, seat_ids=ids, now=now,
        replace_previous=replace_previous)).one()
    try:
        showtime = _checked_showtime(found.showtime, now)
        seats = hold_rules.checked_seats([WantedSeat.of(*row) for row in found.seats or []],
                                         ids)
        claims = {seat_id: Claim(seat_id, owner, ReservationStatus(status))
                  for seat_id, owner, status in found.claims or []}
        error = hold_rules.taken_error([(seat.label, claims[seat.id].status)
                              for seat in seats if seat.id in claims])
        if error is not None:
            raise error
        if gap_rule:
            seats_count, seats_changed = found.layout
            key = seatmap.layout_key(showtime["auditorium_id"], seats_count,
                                     _timestamp(seats_changed))
            seat_gaps.check(seatmap.lay_out(showtime_id, showtime["auditorium_id"], key, claims,
                                            user_id if replace_previous else None), set(ids))
        rules, types = price_book.PricingBook.current(
            (str(db.engine.url), *found.pricing_rules, *found.ticket_types))
        chosen = price_book.choose_tickets(ids, tickets, types, showtime["age_rating"])
    except DomainError:
        db.session.rollback()
        raise
    if any(rule.uses_demand for rule in rules) and not lock_occupancy:
        # A demand rule was switched on since this process last looked: start again, locked.
        db.session.rollback()
        return _hold_postgresql(user_id, showtime_id, ids, now, replace_previous, gap_rule,
                                tickets, hold_seconds, lock_occupancy=True)
    facts = engine.ShowtimeFacts(showtime["starts_at"], showtime["base_price_cents"],
                                 showtime["movie_id"], showtime["auditorium_id"],
                                 showtime["format"], showtime["age_rating"])
    occupancy = (price_book.occupancy(_ShowtimeRef(showtime_id, showtime["auditorium_id"]), now)
                 if lock_occupancy else engine.Occupancy())
    prices = price_book.price_lines(facts, [(seat.id, seat.seat_type) for seat in seats],
                                    chosen, rules, occupancy, now)
    code, expires = new_booking_code(), now + timedelta(seconds=hold_seconds)
    total = sum(price.price_cents for price in prices.values())
    lines = [{"seat_id": seat_id, **prices[seat_id].as_columns()} for seat_id in ids]
    items = [{"seat_id": seat_id, "position": position,
              **{column: getattr(item, column) for column in ITEM_COLUMNS}}
             for seat_id in ids for position, item in enumerate(prices[seat_id].items)]
    with hold_rules.race_lost_as_taken(showtime_id, ids, now):
        inserted = db.session.execute(INSERT_HOLD, dict(
            code=code, user_id=user_id, showtime_id=showtime_id, expires=expires, total=total,
            now=now, lines=json.dumps(lines), items=json.dumps(items))).all()
        db.session.commit()
    return _known_reservation(
        id=inserted[0].reservation_id, code=code, user_id=user_id, showtime_id=showtime_id,
        status=ReservationStatus.HELD, hold_expires_at=expires, total_price_cents=total,
        created_at=now, updated_at=now, is_deleted=False, created_by=user_id)


_ShowtimeRef = namedtuple("_ShowtimeRef", "id auditorium_id")


def _checked_showtime(showtime: dict | None, now: datetime) -> dict:
    if showtime is None or showtime["gone"]:
        raise NotFound("We could not find that showtime.")
    if showtime["cancelled"]:
        raise ShowtimeUnavailable("This showtime has been cancelled.")
    showtime["starts_at"] = _timestamp(showtime["starts_at"])
    if showtime["starts_at"] <= now:
        raise ShowtimeUnavailable("This showtime has already started.")
    return showtime


class WantedSeat(namedtuple("WantedSeat", "id seat_type is_blocked label partner_seat_id")):
    """A seat of the hold as the first statement reads it."""

    @classmethod
    def of(cls, seat_id, seat_type, is_blocked, row_label, number, partner_seat_id):
        return cls(seat_id, SeatType(seat_type), is_blocked, f"{row_label}{number}",
                   partner_seat_id)


def _timestamp(value: str | None) -> datetime | None:
    """A timestamptz as PostgreSQL's JSON writes it, aware."""
    return None if value is None else datetime.fromisoformat(value)


def _known_reservation(**columns) -> Reservation:
    """The reservation just inserted, as an ORM object in the session without reading it
    back: every column is known (the ones not given are NULL). Relationships load on use."""
    values = dict.fromkeys(_reservation_columns())
    values.update(columns)
    reservation = Reservation(**values)
    so.make_transient_to_detached(reservation)
    db.session.add(reservation)
    return reservation


@functools.cache
def _reservation_columns() -> tuple[str, ...]:
    return tuple(attr.key for attr in sa.inspect(Reservation).column_attrs)


