"""The seat map of a showtime: every seat with its state, laid out by row and column.

Availability is decided here, by the clock: a HELD reservation counts only while
``hold_expires_at > now``, so an expired hold is free whether or not the sweep has run.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import Reservation, ReservationStatus, ReservedSeat, Seat, SeatType, Showtime

FREE, HELD, SOLD, BLOCKED, MINE = "free", "held", "sold", "blocked", "mine"


def active_claims(showtime_id: int, now: datetime):
    """A select of (seat_id, reservation_id, user_id, status) for seats taken right now."""
    return (
        sa.select(ReservedSeat.seat_id, Reservation.id.label("reservation_id"),
                  Reservation.user_id, Reservation.status)
        .join(Reservation, Reservation.id == ReservedSeat.reservation_id)
        .where(
            ReservedSeat.showtime_id == showtime_id,
            # Plain ``is_active`` (not ``IS TRUE``): it matches the predicate of the partial
            # unique index uq_reserved_seats_active, so PostgreSQL can use that index.
            ReservedSeat.is_active,
            Reservation.claims_seats(now),
        )
    )


def version(showtime: Showtime, now: datetime, user_id: int | None, requested) -> str:
    """A short string that changes whenever this viewer's map would render differently.

    Made of the Redis change stamp (or, without Redis, a database aggregate over the showtime's
    reservations), the next moment a live hold expires (expiry frees seats by the clock, with no
    write to stamp it), the seats' last change, the viewer and the selection they asked for
    (None: the default).
    """
    import hashlib

    from cinema.booking import seat_stamps

    live_hold = Reservation.live_hold(now)
    reservations = db.session.execute(
        sa.select(sa.func.min(sa.case((live_hold, Reservation.hold_expires_at))),
                  sa.func.count(), sa.func.max(Reservation.updated_at))
        .where(Reservation.showtime_id == showtime.id)).one()
    seats = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(Seat.updated_at))
        .where(Seat.auditorium_id == showtime.auditorium_id)).one()
    stamp = seat_stamps.current(showtime.id)
    changes = stamp if stamp is not None else f"{reservations[1]}/{reservations[2]}"
    raw = f"{changes}|{reservations[0]}|{tuple(seats)}|{showtime.cancelled_at}|{user_id}|" \
          f"{None if requested is None else sorted(map(str, requested))}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class SeatCell:
    id: int
    row_label: str
    number: int
    col_index: int
    seat_type: SeatType
    state: str
    partner_id: int | None = None  # the seat sold with this one (booking/seat_pairs.py)

    @property
    def label(self) -> str:
        return f"{self.row_label}{self.number}"

    @property
    def selectable(self) -> bool:
        return self.state in (FREE, MINE)

    @property
    def pair_kind(self) -> str | None:
        """"couple", "space" (a wheelchair space with a companion seat), "companion" or None."""
        if self.partner_id is None:
            return None
        if self.seat_type is SeatType.COUPLE:
            return "couple"
        return "space" if self.seat_type is SeatType.WHEELCHAIR else "companion"


@dataclass(frozen=True, slots=True)
class SeatRow:
    label: str
    cells: list  # SeatCell or None for an aisle/gap, one per column


@dataclass(frozen=True, slots=True)
class SeatMap:
    showtime_id: int
    columns: int
    rows: list[SeatRow]
    counts: dict[str, int]
    types: list[SeatType]

    @property
    def capacity(self) -> int:
        return sum(n for state, n in self.counts.items() if state != BLOCKED)

    @property
    def available(self) -> int:
        return self.counts.get(FREE, 0)

    def pair_kinds(self) -> set[str]:
        """The kinds of linked seats on this map (``SeatCell.pair_kind``), for the legend."""
        return {cell.pair_kind for row in self.rows for cell in row.cells if cell and cell.pair_kind}

    def labels(self) -> dict[int, str]:
        """Every seat's label by id (for naming a seat's partner)."""
        return {cell.id: cell.label for row in self.rows for cell in row.cells if cell}


def build(showtime: Showtime, now: datetime, user_id: int | None = None) -> SeatMap:
    """The map for ``showtime`` as seen by ``user_id`` (their own held seats are "mine")."""
    seats = db.session.execute(
        sa.select(Seat.id, Seat.row_label, Seat.number, Seat.row_index, Seat.col_index,
                  Seat.seat_type, Seat.is_blocked, Seat.partner_seat_id)
        .where(Seat.auditorium_id == showtime.auditorium_id, Seat.is_deleted.is_(False))
        .order_by(Seat.row_index, Seat.col_index)
    ).all()
    claims = {row.seat_id: row for row in db.session.execute(active_claims(showtime.id, now))}
    columns = max((s.col_index for s in seats), default=-1) + 1
    rows: dict[int, tuple[str, list]] = {}
    counts = {FREE: 0, HELD: 0, SOLD: 0, BLOCKED: 0, MINE: 0}
    types = set()
    for seat in seats:
        claim = claims.get(seat.id)
        if seat.is_blocked:
            state = BLOCKED
        elif claim is None:
            state = FREE
        elif user_id is not None and claim.user_id == user_id and \
                claim.status is ReservationStatus.HELD:
            state = MINE
        elif claim.status is ReservationStatus.HELD:
            state = HELD
        else:
            state = SOLD
        counts[state] += 1
        types.add(seat.seat_type)
        label, cells = rows.setdefault(seat.row_index, (seat.row_label, [None] * columns))
        cells[seat.col_index] = SeatCell(seat.id, seat.row_label, seat.number, seat.col_index,
                                         seat.seat_type, state, seat.partner_seat_id)
    ordered = [SeatRow(label, cells) for _, (label, cells) in sorted(rows.items())]
    type_order = [t for t in SeatType if t in types]
    return SeatMap(showtime.id, columns, ordered, counts, type_order)
