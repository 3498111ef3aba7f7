"""When seats free up, the first party in line that fits gets a hold made for it.

``offer_freed_seats`` first settles past offers (paid: BOOKED; hold gone or expired by the
clock: EXPIRED, passing to the next party), then walks the line in first-come order and makes
a hold for the first party whose size fits the free seats (the best seats together, as the
seat map's "best available" picks them, when a row has them), valid
``WAITLIST_OFFER_SECONDS``, and queues the email with the pay link.

Why this is fair and safe under concurrency:
- An entry is claimed (WAITING -> OFFERING) by one conditional UPDATE, so two runners never
  offer to the same party. A runner that meets a party being offered by another runner stops
  there rather than skip it: no later party is served first.
- The hold is an ordinary hold (``booking.hold_seats``): the unique index on active seat rows
  means a seat is never held for two parties. A runner that loses a seat to a concurrent hold
  puts the party back (WAITING) and tries again.
- An offer is a hold with an expiry, so it never blocks seats beyond its window even with no
  worker running; the next run (any trigger, or the periodic task) passes it on.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from cinema.booking import best_available, booking, seat_pairs, seatmap
from cinema.booking.seatmap import active_claims
from cinema.exceptions import SeatAlreadyBooked, SeatAlreadyHeld, SeatPairSplit, SingleSeatGap
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import (
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Seat,
    SeatType,
    Showtime,
    WaitlistEntry,
    WaitlistStatus,
)
from cinema.settings import settings

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=2)  # an OFFERING left by a crashed runner goes back in line
MAX_ROUNDS = 50


def settle_offers(showtime_id: int, now: datetime) -> None:
    """Close past offers: paid ones BOOKED, the rest (hold cancelled, or expired by the clock)
    EXPIRED; put stale OFFERING claims back in line. Commits."""
    offered = sa.and_(WaitlistEntry.showtime_id == showtime_id,
                      WaitlistEntry.status == WaitlistStatus.OFFERED)
    paid = sa.select(Reservation.id).where(
        Reservation.id == WaitlistEntry.reservation_id,
        Reservation.status.in_([ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED]))
    live = sa.select(Reservation.id).where(
        Reservation.id == WaitlistEntry.reservation_id,
        Reservation.status == ReservationStatus.HELD, Reservation.hold_expires_at > now)
    db.session.execute(sa.update(WaitlistEntry).where(offered, sa.exists(paid))
                       .values(status=WaitlistStatus.BOOKED, updated_at=now)
                       .execution_options(synchronize_session=False))
    db.session.execute(sa.update(WaitlistEntry).where(offered, ~sa.exists(live))
                       .values(status=WaitlistStatus.EXPIRED, updated_at=now)
                       .execution_options(synchronize_session=False))
    db.session.execute(sa.update(WaitlistEntry).where(
        WaitlistEntry.showtime_id == showtime_id,
        WaitlistEntry.status == WaitlistStatus.OFFERING,
        WaitlistEntry.updated_at < now - STALE_CLAIM)
        .values(status=WaitlistStatus.WAITING).execution_options(synchronize_session=False))
    db.session.commit()


def _free_seats(showtime: Showtime, now: datetime) -> list[Seat]:
    taken = active_claims(showtime.id, now).with_only_columns(ReservedSeat.seat_id)
    return list(db.session.scalars(
        sa.select(Seat).where(Seat.auditorium_id == showtime.auditorium_id,
                              Seat.is_deleted.is_(False), Seat.is_blocked.is_(False),
                              Seat.id.not_in(taken))
        .order_by(Seat.row_index, Seat.col_index)))


def choose_seats(showtime: Showtime, free: list[Seat], size: int, now: datetime) -> list[int]:
    """The seats to offer a party of ``size``: the best ``size`` seats together as the seat
    map's "best available" picks them (booking/best_available.py) when a row has them;
    otherwise the first free seats in row order, wheelchair spaces last (a party that fits
    only in scattered seats still gets them), never half of a couple seat or a companion seat
    without its space (booking/seat_pairs.py). [] when the free seats cannot seat the party."""
    if size <= best_available.MAX_PARTY:
        best = best_available.best_seats(seatmap.build(showtime, now).rows, size)
        if best:
            return [cell.id for cell in best]
    free_ids = {seat.id for seat in free}
    chosen: list[int] = []
    for seat in sorted(free, key=lambda seat: seat.seat_type is SeatType.WHEELCHAIR):
        if seat.id in chosen:
            continue
        together = [seat.id]
        if seat_pairs.needs_partner(seat.seat_type, seat.partner_seat_id) and \
                seat.partner_seat_id not in chosen:
            if seat.partner_seat_id not in free_ids:
                continue
            together.append(seat.partner_seat_id)
        if len(chosen) + len(together) <= size:
            chosen += together
        if len(chosen) == size:
            return chosen
    return []


def _next_in_line(showtime_id: int, free: int, unfit: set[int]) -> WaitlistEntry | None:
    """The first party in line that fits ``free`` seats (``unfit``: parties these seats cannot
    seat, for all their number, as a couple seat's half); None if none fits, or if that party
    is being offered seats by another runner right now (we do not skip it)."""
    line = db.session.scalars(
        sa.select(WaitlistEntry)
        .where(WaitlistEntry.showtime_id == showtime_id,
               WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERING]))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    for entry in line:
        if entry.party_size <= free and entry.id not in unfit:
            return entry if entry.status is WaitlistStatus.WAITING else None
    return None


def _claim(entry_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        sa.update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WaitlistStatus.WAITING)
        .values(status=WaitlistStatus.OFFERING, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(claimed)


def _release_claim(entry_id: int) -> None:
    db.session.rollback()
    db.session.execute(sa.update(WaitlistEntry)
                       .where(WaitlistEntry.id == entry_id,
                              WaitlistEntry.status == WaitlistStatus.OFFERING)
                       .values(status=WaitlistStatus.WAITING)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def offer_freed_seats(showtime_id: int, now: datetime) -> list[int]:
    """Offer the showtime's free seats down the line; returns the ids of the entries offered
    seats. Commits. Does nothing for a showtime that can no longer be booked."""
    showtime = db.session.get(Showtime, showtime_id)
    if showtime is None or showtime.is_deleted or showtime.is_cancelled or \
            showtime.starts_at <= now:
        return []
    settle_offers(showtime_id, now)
    offered, unfit = [], set()
    for _ in range(MAX_ROUNDS):
        free = _free_seats(showtime, now)
        entry = _next_in_line(showtime_id, len(free), unfit)
        if entry is None or not _claim(entry.id, now):
            if entry is None:
                break
            continue
        seat_ids = choose_seats(showtime, free, entry.party_size, now)
        if not seat_ids:  # only by splitting a pair: the next party in line may fit
            _release_claim(entry.id)
            unfit.add(entry.id)
            continue
        try:
            # gap_rule off: the seats are the system's choice, not the patron's, and a party
            # that fits only in scattered seats is better served than skipped.
            hold = booking.hold_seats(entry.user_id, showtime_id, seat_ids, now,
                                      replace_previous=False, gap_rule=False,
                                      hold_seconds=settings().waitlist_offer_seconds)
        except (SeatAlreadyHeld, SeatAlreadyBooked, SingleSeatGap):
            _release_claim(entry.id)  # someone took a seat first: look again
            continue
        except SeatPairSplit:  # a pair changed under us: not these seats for this party
            _release_claim(entry.id)
            unfit.add(entry.id)
            continue
        except Exception:
            _release_claim(entry.id)
            raise
        _record_offer(entry.id, hold.id, now)
        offered.append(entry.id)
    return offered


def _record_offer(entry_id: int, reservation_id: int, now: datetime) -> None:
    entry = db.session.get(WaitlistEntry, entry_id)
    hold = db.session.get(Reservation, reservation_id)
    entry.status, entry.reservation_id, entry.offered_at, entry.updated_at = (
        WaitlistStatus.OFFERED, hold.id, now, now)
    notifications.waitlist_offer(entry, hold)
    db.session.commit()


def _with_a_line(showtime_ids, now: datetime) -> list[int]:
    """Those of ``showtime_ids`` (all if None) still to come that have a live waitlist."""
    stmt = (sa.select(WaitlistEntry.showtime_id).distinct()
            .join(Showtime, Showtime.id == WaitlistEntry.showtime_id)
            .where(WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERING,
                                             WaitlistStatus.OFFERED]),
                   Showtime.cancelled_at.is_(None), Showtime.starts_at > now)
            .order_by(WaitlistEntry.showtime_id))
    if showtime_ids is not None:
        stmt = stmt.where(WaitlistEntry.showtime_id.in_(list(showtime_ids)))
    return list(db.session.scalars(stmt))


def after_seats_freed(showtime_ids, now: datetime) -> None:
    """The hook create_app hangs on booking's ``freed_seats`` (a cancellation, an expired hold,
    a seat unblocked): offer the freed seats down the lines. Never raises (the periodic task
    tries again): the caller's work is already done."""
    for showtime_id in _with_a_line(set(showtime_ids), now):
        try:
            offer_freed_seats(showtime_id, now)
        except Exception:  # noqa: BLE001 - logged; process_waitlists retries every tick
            db.session.rollback()
            log.exception("waitlist offers for showtime %s failed", showtime_id)


def process_waitlists(now: datetime) -> int:
    """Offer free seats of every bookable showtime that has a live line (the periodic task);
    returns the offers made."""
    return sum(len(offer_freed_seats(showtime_id, now)) for showtime_id in _with_a_line(None, now))
