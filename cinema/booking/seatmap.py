"""The seat map of a showtime: every seat with its state, laid out by row and column.

Availability is decided here, by the clock: a HELD reservation counts only while
``hold_expires_at > now``, so an expired hold is free whether or not the sweep has run.

A map costs one statement (``read_state``): the live claims on the showtime's seats and the
facts its version is made of, among them the layout's own version (how many seats the
auditorium has and when one last changed), and, on PostgreSQL, the version of the pricing rules
and ticket types the prices beside the map come from (``pricing_version``, read as a hold reads
it). The layout itself, every seat as a cell in its row, is built once per layout version and
kept in this process (``_layout``); a map is that layout with the claimed seats' cells
replaced.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import sqlalchemy as sa

from cinema.booking import seat_stamps
from cinema.extensions import db
from cinema.models import (
    PricingRule,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Seat,
    SeatType,
    Showtime,
    TicketType,
)

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
    # seat id -> (row index, cell index), shared with the cached layout (None: not known).
    places: dict[int, tuple[int, int]] | None = None

    def rows_of(self, seat_ids) -> list[SeatRow]:
        """The rows holding any of ``seat_ids``, front to back."""
        if self.places is None:
            wanted = set(seat_ids)
            return [row for row in self.rows
                    if any(c is not None and c.id in wanted for c in row.cells)]
        indexes = {self.places[i][0] for i in seat_ids if i in self.places}
        return [self.rows[r] for r in sorted(indexes)]

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


@dataclass(frozen=True)
class SeatState:
    """What a showtime's map and its version are made of at one moment (``read_state``)."""
    stamp: str | None  # the Redis change stamp, read before the database (seat_stamps)
    changes: str  # the stamp, or without Redis the reservations' count and last change
    database_part: str  # next live-hold expiry, the layout's version, the cancellation
    layout_key: tuple
    claims: dict  # seat id -> row (seat_id, reservation_id, user_id, status)
    until: datetime  # when database_part stops holding by the clock alone
    # The pricing rules' and ticket types' version, the key a hold keeps them under
    # (``price_book.PricingBook``); None where it is not read (SQLite).
    pricing_version: tuple | None = None


def read_state(showtime: Showtime, now: datetime) -> SeatState:
    """The live claims and the version facts of ``showtime`` at ``now``, in one statement; the
    database part is remembered in Redis under the stamp (``seat_stamps.remember``)."""
    stamp = seat_stamps.current(showtime.id)
    live_hold = Reservation.live_hold(now)
    reservations = (
        sa.select(sa.func.min(sa.case((live_hold, Reservation.hold_expires_at)))
                  .label("next_expiry"),
                  sa.func.count().label("reservations"),
                  sa.func.max(Reservation.updated_at).label("reservations_changed"))
        .where(Reservation.showtime_id == showtime.id).subquery()
    )
    seats = (
        sa.select(sa.func.count().label("seats"), sa.func.max(Seat.updated_at).label("seats_changed"))
        .where(Seat.auditorium_id == showtime.auditorium_id).subquery()
    )
    claims = active_claims(showtime.id, now).subquery()
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    versions = [_table_version(PricingRule), _table_version(TicketType)] if postgresql else []
    rows = db.session.execute(
        sa.select(reservations, seats, claims, *versions)
        .select_from(reservations.join(seats, sa.true()).outerjoin(claims, sa.true()))
    ).all()
    first = rows[0]
    next_expiry = _aware(first.next_expiry)
    layout = (first.seats, first.seats_changed)
    changes = stamp if stamp is not None else f"{first.reservations}/{first.reservations_changed}"
    database_part = f"{next_expiry}|{layout}|{showtime.cancelled_at}"
    until = min(next_expiry or showtime.starts_at, showtime.starts_at)
    if stamp is not None and until > now:
        seat_stamps.remember(showtime.id, stamp, database_part, until, now)
    return SeatState(stamp, changes, database_part,
                     layout_key(showtime.auditorium_id, *layout),
                     {row.seat_id: row for row in rows if row.seat_id is not None}, until,
                     (str(db.engine.url), *first.pricing_rules, *first.ticket_types)
                     if postgresql else None)


def _table_version(model):
    """A table's (row count, last change) as one JSON value, read exactly as the hold's first
    statement reads it (``hold_sql``), so that both keep the same pricing book."""
    return (sa.select(sa.func.json_build_array(sa.func.count(), sa.func.max(model.updated_at)))
            .scalar_subquery().label(model.__tablename__))


def _aware(value: datetime | None) -> datetime | None:
    # A bare aggregate of a UTC column comes back naive from SQLite; the column's type is lost.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def _version_of(changes: str, database_part: str, user_id: int | None, requested) -> str:
    raw = f"{changes}|{database_part}|{user_id}|" \
          f"{None if requested is None else sorted(map(str, requested))}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def version(showtime: Showtime, now: datetime, user_id: int | None, requested,
            state: SeatState | None = None) -> str:
    """A short string that changes whenever this viewer's map would render differently.

    Made of the Redis change stamp (or, without Redis, a database aggregate over the showtime's
    reservations), the next moment a live hold expires (expiry frees seats by the clock, with no
    write to stamp it), the seats' last change, the showtime's cancellation, the viewer and the
    selection they asked for (None: the default).
    """
    state = state or read_state(showtime, now)
    return _version_of(state.changes, state.database_part, user_id, requested)


def recalled_version(showtime_id: int, now: datetime, user_id: int | None,
                     requested) -> str | None:
    """The same version from Redis alone (one round trip, no database), or None when Redis
    holds no current one: then ``version`` must be asked."""
    recalled = seat_stamps.recall(showtime_id, now)
    if recalled is None:
        return None
    stamp, database_part = recalled
    return _version_of(stamp, database_part, user_id, requested)


@dataclass(frozen=True)
class _Layout:
    columns: int
    rows: list  # SeatRow, every cell FREE or BLOCKED
    places: dict  # seat id -> (row position, column)
    counts: dict
    types: list


_layouts: dict[tuple, _Layout] = {}
_layouts_lock = threading.Lock()
KEPT_LAYOUTS = 64


def layout_key(auditorium_id: int, seats: int, seats_changed: datetime | None) -> tuple:
    """The key of a layout version: the auditorium, its number of seat rows (removed ones
    included) and their last change."""
    return (str(db.engine.url), auditorium_id, seats, seats_changed)


def _layout(auditorium_id: int, key: tuple) -> _Layout:
    """The auditorium's seats laid out, with no claim: built once per layout version."""
    layout = _layouts.get(key)
    if layout is not None:
        return layout
    seats = db.session.execute(
        sa.select(Seat.id, Seat.row_label, Seat.number, Seat.row_index, Seat.col_index,
                  Seat.seat_type, Seat.is_blocked, Seat.partner_seat_id)
        .where(Seat.auditorium_id == auditorium_id, Seat.is_deleted.is_(False))
        .order_by(Seat.row_index, Seat.col_index)
    ).all()
    columns = max((s.col_index for s in seats), default=-1) + 1
    by_row: dict[int, tuple[str, list]] = {}
    counts = {FREE: 0, HELD: 0, SOLD: 0, BLOCKED: 0, MINE: 0}
    types = set()
    for seat in seats:
        state = BLOCKED if seat.is_blocked else FREE
        counts[state] += 1
        types.add(seat.seat_type)
        _, cells = by_row.setdefault(seat.row_index, (seat.row_label, [None] * columns))
        cells[seat.col_index] = SeatCell(seat.id, seat.row_label, seat.number, seat.col_index,
                                         seat.seat_type, state, seat.partner_seat_id)
    rows = [SeatRow(label, cells) for _, (label, cells) in sorted(by_row.items())]
    places = {cell.id: (r, c) for r, row in enumerate(rows)
              for c, cell in enumerate(row.cells) if cell is not None}
    layout = _Layout(columns, rows, places, counts, [t for t in SeatType if t in types])
    with _layouts_lock:
        if len(_layouts) >= KEPT_LAYOUTS:
            _layouts.clear()
        _layouts[key] = layout
    return layout


def build(showtime: Showtime, now: datetime, user_id: int | None = None,
          state: SeatState | None = None) -> SeatMap:
    """The map for ``showtime`` as seen by ``user_id`` (their own held seats are "mine"):
    the cached layout with each claimed seat's cell replaced by its state."""
    state = state or read_state(showtime, now)
    return lay_out(showtime.id, showtime.auditorium_id, state.layout_key, state.claims, user_id)


def lay_out(showtime_id: int, auditorium_id: int, layout_key: tuple, claims: dict,
            user_id: int | None) -> SeatMap:
    """The auditorium's layout (of version ``layout_key``) with ``claims`` (seat id -> an object
    with ``user_id`` and ``status``) marked, as ``user_id`` sees it."""
    layout = _layout(auditorium_id, layout_key)
    counts = dict(layout.counts)
    changed: dict[int, list] = {}
    for seat_id, claim in claims.items():
        place = layout.places.get(seat_id)
        if place is None:
            continue
        r, c = place
        cell = layout.rows[r].cells[c]
        if cell.state == BLOCKED:
            continue
        if user_id is not None and claim.user_id == user_id and \
                claim.status is ReservationStatus.HELD:
            taken = MINE
        elif claim.status is ReservationStatus.HELD:
            taken = HELD
        else:
            taken = SOLD
        counts[FREE] -= 1
        counts[taken] += 1
        changed.setdefault(r, list(layout.rows[r].cells))[c] = replace(cell, state=taken)
    rows = [SeatRow(row.label, changed[r]) if r in changed else row
            for r, row in enumerate(layout.rows)]
    return SeatMap(showtime_id, layout.columns, rows, counts, layout.types, layout.places)
