"""Joining and leaving a showtime's waitlist, and where each party stands.

Every function takes plain ids and ``now`` and commits its own transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from cinema.booking import booking, seatmap
from cinema.exceptions import AlreadyWaiting, Conflict, NotFound, SeatsStillFree, ValidationFailed
from cinema.extensions import db
from cinema.models import ReservedSeat, Seat, Showtime, WaitlistEntry, WaitlistStatus
from cinema.models.waitlist import LIVE_STATUSES
from cinema.settings import settings


def free_seat_count(showtime_id: int, auditorium_id: int, now: datetime) -> int:
    """Seats of the showtime nobody holds or owns right now (blocked seats excluded)."""
    taken = seatmap.active_claims(showtime_id, now).with_only_columns(ReservedSeat.seat_id)
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Seat)
        .where(Seat.auditorium_id == auditorium_id, Seat.is_deleted.is_(False),
               Seat.is_blocked.is_(False), Seat.id.not_in(taken)))


def free_seats_of(showtime_id: int, now: datetime) -> int:
    """``free_seat_count`` of a showtime by id (0 for a missing one)."""
    showtime = db.session.get(Showtime, showtime_id)
    return free_seat_count(showtime.id, showtime.auditorium_id, now) if showtime else 0


def join(user_id: int, showtime_id: int, party_size: int, now: datetime) -> WaitlistEntry:
    """Put the patron's party in the line. Raises NotFound / ShowtimeUnavailable (not
    bookable), ValidationFailed (party size), SeatsStillFree (book instead) and AlreadyWaiting
    (also when a concurrent request joined first: the partial unique index decides)."""
    showtime = booking.bookable_showtime(showtime_id, now)
    most = settings().max_seats_per_hold
    if not 1 <= party_size <= most:
        raise ValidationFailed(f"A party is 1 to {most} people.",
                               field_errors={"party_size": [f"From 1 to {most}."]})
    if free_seat_count(showtime.id, showtime.auditorium_id, now) >= party_size:
        raise SeatsStillFree()
    entry = WaitlistEntry(user_id=user_id, showtime_id=showtime.id, party_size=party_size,
                          created_by=user_id, created_at=now, updated_at=now)
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        if "uq_waitlist_entries_live" in str(error.orig):
            raise AlreadyWaiting() from None
        raise
    return entry


def leave(user_id: int, entry_id: int, now: datetime) -> WaitlistEntry:
    """Leave the line (an offered hold is cancelled too: its seats go to the next party).
    Raises NotFound (not the patron's, or no longer live)."""
    entry = db.session.scalar(sa.select(WaitlistEntry).where(
        WaitlistEntry.id == entry_id, WaitlistEntry.user_id == user_id,
        WaitlistEntry.status.in_(LIVE_STATUSES)).with_for_update(of=WaitlistEntry))
    if entry is None:
        raise NotFound("You are not on that waitlist.")
    reservation_id = entry.reservation_id if entry.status is WaitlistStatus.OFFERED else None
    entry.status, entry.updated_at = WaitlistStatus.LEFT, now
    db.session.commit()
    if reservation_id is not None:
        try:
            booking.cancel_booking(reservation_id, user_id, now)
        except Conflict:
            pass  # already paid or gone: nothing held to give back
    return entry


def position(entry: WaitlistEntry) -> int:
    """1 for the first party in line; counts parties still waiting that joined before (those
    already offered seats are out of the line)."""
    return 1 + db.session.scalar(
        sa.select(sa.func.count()).select_from(WaitlistEntry)
        .where(WaitlistEntry.showtime_id == entry.showtime_id,
               WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERING]),
               sa.tuple_(WaitlistEntry.created_at, WaitlistEntry.id)
               < sa.tuple_(entry.created_at, entry.id)))


@dataclass
class PatronEntry:
    entry: WaitlistEntry
    position: int | None  # None once no longer waiting


def patron_entries(user_id: int) -> list[PatronEntry]:
    """The patron's live entries, soonest showtime first, with their place in line. An offer
    already paid is a booking, not an entry, even before the sweep marks it BOOKED."""
    entries = db.session.scalars(
        sa.select(WaitlistEntry).where(WaitlistEntry.user_id == user_id,
                                       WaitlistEntry.status.in_(LIVE_STATUSES))
        .order_by(WaitlistEntry.created_at)).all()
    return [PatronEntry(entry, position(entry) if entry.status is WaitlistStatus.WAITING
                        else None) for entry in entries if not _paid_offer(entry)]


def _paid_offer(entry: WaitlistEntry) -> bool:
    return (entry.status is WaitlistStatus.OFFERED and entry.reservation is not None
            and entry.reservation.confirmed_at is not None)


def own_entry(user_id: int, showtime_id: int) -> WaitlistEntry | None:
    """The patron's live entry for the showtime, if any."""
    return db.session.scalar(sa.select(WaitlistEntry).where(
        WaitlistEntry.user_id == user_id, WaitlistEntry.showtime_id == showtime_id,
        WaitlistEntry.status.in_(LIVE_STATUSES)))


def showtime_line(showtime_id: int) -> list[WaitlistEntry]:
    """The showtime's live entries in line order (offers open first-come too), for the admin."""
    return list(db.session.scalars(
        sa.select(WaitlistEntry).where(WaitlistEntry.showtime_id == showtime_id,
                                       WaitlistEntry.status.in_(LIVE_STATUSES))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)))


def counts(showtime_id: int) -> dict[str, int]:
    """Entries of the showtime by status, and the people waiting (for the admin)."""
    rows = db.session.execute(
        sa.select(WaitlistEntry.status, sa.func.count(), sa.func.sum(WaitlistEntry.party_size))
        .where(WaitlistEntry.showtime_id == showtime_id).group_by(WaitlistEntry.status)).all()
    out = {status.value: 0 for status in WaitlistStatus}
    people = 0
    for status, count, seats in rows:
        out[status.value] = count
        if status is WaitlistStatus.WAITING:
            people = int(seats or 0)
    out["people_waiting"] = people
    return out
