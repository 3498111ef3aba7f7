"""Auditoriums and their seat layouts: the generator, seat-by-seat and batch edits, previews.

A layout edit never strands a patron: a seat sold or held for a showtime still to come cannot
be removed, blocked or given another type until that booking or showtime is cancelled.
"""
from __future__ import annotations

import string
from dataclasses import asdict, dataclass, field
from datetime import datetime

import sqlalchemy as sa

from cinema import audit
from cinema.booking import freed_seats, seat_stamps
from cinema.booking.seatmap import BLOCKED, FREE, HELD, MINE, SOLD, SeatCell, SeatMap, SeatRow
from cinema.exceptions import InvalidState, NotFound, ValidationFailed
from cinema.extensions import db
from cinema.models import Auditorium, Seat, SeatType, Showtime
from cinema.programme import seat_links
from cinema.wording import counted

MAX_ROWS = 26
MAX_SEATS_PER_ROW = 40


@dataclass
class LayoutSpec:
    """What the layout generator needs: rows x seats, which rows are special, where aisles go.

    ``aisles_after`` are seat numbers after which a one-column aisle is left (e.g. [4, 14]).
    ``wheelchair`` are (row letter, seat number) places; ``couple_rows`` and ``premium_rows``
    are row letters.
    """

    rows: int
    seats_per_row: int
    premium_rows: list[str] = field(default_factory=list)
    couple_rows: list[str] = field(default_factory=list)
    aisles_after: list[int] = field(default_factory=list)
    wheelchair: list[tuple[str, int]] = field(default_factory=list)

    def validate(self) -> None:
        errors = {}
        if not 1 <= self.rows <= MAX_ROWS:
            errors["rows"] = [f"Between 1 and {MAX_ROWS} rows."]
        if not 1 <= self.seats_per_row <= MAX_SEATS_PER_ROW:
            errors["seats_per_row"] = [f"Between 1 and {MAX_SEATS_PER_ROW} seats per row."]
        labels = set(row_labels(max(1, min(self.rows, MAX_ROWS))))
        # Each list's unknown rows under its own field (issue 16: a couple row was filed under
        # "Premium rows").
        for name, rows in (("premium_rows", self.premium_rows), ("couple_rows", self.couple_rows)):
            unknown = sorted({r for r in rows if r not in labels})
            if unknown:
                errors[name] = [f"No such row: {', '.join(unknown)}."]
        if any(not 1 <= a < self.seats_per_row for a in self.aisles_after):
            errors["aisles_after"] = ["Aisles go after a seat number inside the row."]
        if any(r not in labels or not 1 <= n <= self.seats_per_row for r, n in self.wheelchair):
            errors["wheelchair"] = ["Wheelchair places must be existing seats, e.g. A1."]
        if errors:
            raise ValidationFailed("The layout is not valid.", field_errors=errors)


def row_labels(count: int) -> list[str]:
    return list(string.ascii_uppercase[:count])


def generate_seats(spec: LayoutSpec) -> list[dict]:
    """The seats of a layout as dicts (row_label, number, row_index, col_index, seat_type,
    partner_number: the number of the seat in the same row sold with this one, or None).

    Seats are linked in pairs (booking/seat_pairs.py) within each aisle block: a couple row's
    seats two by two from the block's left (a block of odd length ends with a regular seat), and
    each wheelchair space with a companion seat beside it (to its right if that seat is free to
    be one, else to its left).
    """
    spec.validate()
    seats = []
    wheelchair = {(r, n) for r, n in spec.wheelchair}
    for row_index, label in enumerate(row_labels(spec.rows)):
        col = 0
        for number in range(1, spec.seats_per_row + 1):
            if label in spec.premium_rows:
                seat_type = SeatType.PREMIUM
            elif label in spec.couple_rows:
                seat_type = SeatType.COUPLE
            else:
                seat_type = SeatType.REGULAR
            if (label, number) in wheelchair:
                seat_type = SeatType.WHEELCHAIR
            seats.append(dict(row_label=label, number=number, row_index=row_index,
                              col_index=col, seat_type=seat_type, partner_number=None))
            col += 1
            if number in spec.aisles_after:
                col += 1  # leave an empty column: the aisle
    seat_links.pair_generated(seats)
    return seats


def create_auditorium(name: str, description: str, spec: LayoutSpec,
                      actor_id: int | None = None) -> Auditorium:
    """Create an auditorium and its generated seats in one transaction (the caller commits)."""
    name = name.strip()
    spec.validate()
    _check_name_free(name)
    auditorium = Auditorium(name=name, description=description, created_by=actor_id)
    db.session.add(auditorium)
    db.session.flush()
    generated = generate_seats(spec)
    numbers = [seat.pop("partner_number") for seat in generated]
    seats = [Seat(auditorium_id=auditorium.id, created_by=actor_id, **seat) for seat in generated]
    db.session.add_all(seats)
    db.session.flush()
    seat_links.link_generated(seats, numbers)
    db.session.flush()
    return auditorium


# --- admin: auditoriums and their seats -----------------------------------------------------------

AUDITORIUM_FIELDS = ["name", "description"]
SEAT_FIELDS = ["seat_type", "is_blocked", "is_deleted", "partner_seat_id"]
SEAT_ACTIONS = {
    "type:REGULAR": "Make regular", "type:PREMIUM": "Make premium",
    "type:WHEELCHAIR": "Make wheelchair space", "type:COUPLE": "Make couple seat",
    "pair": "Pair (couple seat, or wheelchair space and companion)", "unpair": "Unpair",
    "block": "Block", "unblock": "Unblock", "remove": "Remove",
}


def get_auditorium(auditorium_id: int) -> Auditorium:
    auditorium = db.session.get(Auditorium, auditorium_id)
    if auditorium is None or auditorium.is_deleted:
        raise NotFound("No such auditorium.")
    return auditorium


def list_auditoriums() -> list[tuple[Auditorium, int]]:
    """Live auditoriums with their number of (not removed) seats, by name."""
    seat_count = (sa.select(sa.func.count(Seat.id))
                  .where(Seat.auditorium_id == Auditorium.id, Seat.is_deleted.is_(False))
                  .scalar_subquery())
    return db.session.execute(
        sa.select(Auditorium, seat_count).where(Auditorium.is_deleted.is_(False))
        .order_by(Auditorium.name)).all()


def _check_name_free(name: str, exclude_id: int | None = None) -> None:
    stmt = sa.select(Auditorium.id).where(Auditorium.name == name)
    if exclude_id is not None:
        stmt = stmt.where(Auditorium.id != exclude_id)
    if db.session.scalar(stmt):
        raise ValidationFailed("An auditorium with that name exists.",
                               field_errors={"name": ["Already used by another auditorium."]})


def build_auditorium(name: str, description: str, spec: LayoutSpec,
                     actor_id: int) -> Auditorium:
    """An admin creates an auditorium from the layout generator: audited, committed."""
    auditorium = create_auditorium(name, description, spec, actor_id)
    audit.record(actor_id, "auditorium.create", "auditorium", auditorium.id,
                 f"created auditorium {auditorium.name}",
                 after={**audit.snapshot(auditorium, AUDITORIUM_FIELDS),
                        "layout": asdict(spec)})
    db.session.commit()
    return auditorium


def update_auditorium(auditorium_id: int, name: str, description: str,
                      actor_id: int) -> Auditorium:
    """Rename or re-describe an auditorium. Audited, committed."""
    auditorium = get_auditorium(auditorium_id)
    name = name.strip()
    _check_name_free(name, exclude_id=auditorium.id)
    before = audit.snapshot(auditorium, AUDITORIUM_FIELDS)
    auditorium.name, auditorium.description = name, description.strip()
    audit.record(actor_id, "auditorium.update", "auditorium", auditorium.id,
                 f"edited auditorium {auditorium.name}", before=before,
                 after=audit.snapshot(auditorium, AUDITORIUM_FIELDS))
    db.session.commit()
    return auditorium


def delete_auditorium(auditorium_id: int, actor_id: int, now: datetime) -> Auditorium:
    """Soft-delete an auditorium with no showtimes still to come. Raises InvalidState."""
    auditorium = get_auditorium(auditorium_id)
    upcoming = db.session.scalar(
        sa.select(sa.func.count(Showtime.id)).where(
            Showtime.auditorium_id == auditorium.id, Showtime.ends_at > now,
            Showtime.cancelled_at.is_(None), Showtime.is_deleted.is_(False)))
    if upcoming:
        raise InvalidState(f"{auditorium.name} has {counted(upcoming, 'showtime')} still to come. "
                           "Cancel or move them first.")
    auditorium.is_deleted = True
    audit.record(actor_id, "auditorium.delete", "auditorium", auditorium.id,
                 f"removed auditorium {auditorium.name}",
                 before={"is_deleted": False}, after={"is_deleted": True})
    db.session.commit()
    return auditorium


def seat_auditorium_id(seat_id: int) -> int:
    """The auditorium of a live seat; raises NotFound for a missing or removed one."""
    auditorium_id = db.session.scalar(sa.select(Seat.auditorium_id).where(
        Seat.id == seat_id, Seat.is_deleted.is_(False)))
    if auditorium_id is None:
        raise NotFound("No such seat.")
    return auditorium_id


def seats_in_use(seat_ids: list[int], now: datetime) -> list[Seat]:
    """Those of ``seat_ids`` sold or held (hold not expired) for a live showtime not yet over:
    changing them would strand a patron's booking."""
    from cinema.models import Reservation, ReservedSeat, Showtime

    if not seat_ids:
        return []
    taken = (
        sa.select(ReservedSeat.seat_id)
        .join(Reservation, Reservation.id == ReservedSeat.reservation_id)
        .join(Showtime, Showtime.id == ReservedSeat.showtime_id)
        .where(ReservedSeat.seat_id.in_(seat_ids), ReservedSeat.is_active,
               Showtime.ends_at > now, Showtime.cancelled_at.is_(None),
               Showtime.is_deleted.is_(False),
               Reservation.claims_seats(now))
    )
    return list(db.session.scalars(
        sa.select(Seat).where(Seat.id.in_(taken)).order_by(Seat.row_index, Seat.col_index)))


def change_seats(auditorium_id: int, seat_ids: list[int], action: str, actor_id: int,
                 now: datetime, rows: list[str] = ()) -> list[Seat]:
    """Apply one action (``SEAT_ACTIONS``: a type, pair, unpair, block, unblock, remove) to seats of an
    auditorium: the seats ``seat_ids`` plus every seat of the row letters ``rows``. Removing is
    a soft delete. Refused as a whole, naming the seats, if any of them is sold or held for a
    showtime still to come (unblocking is always allowed). Audited, committed. Returns the
    changed seats."""
    auditorium = get_auditorium(auditorium_id)
    if action not in SEAT_ACTIONS:
        raise ValidationFailed("Choose what to do with the seats.",
                               field_errors={"action": ["Choose an action."]})
    seats = list(db.session.scalars(
        sa.select(Seat).where(sa.or_(Seat.id.in_(seat_ids or [0]),
                                     Seat.row_label.in_(list(rows) or [""])),
                              Seat.auditorium_id == auditorium.id, Seat.is_deleted.is_(False))
        .order_by(Seat.row_index, Seat.col_index).with_for_update()))
    if not seats:
        raise ValidationFailed("Select at least one seat.",
                               field_errors={"seat_ids": ["Select at least one seat."]})
    if action != "unblock":
        in_use = seats_in_use([s.id for s in seats], now)
        if in_use:
            labels = ", ".join(s.label for s in in_use)
            raise InvalidState(
                f"Not changed: {labels} {'is' if len(in_use) == 1 else 'are'} sold or held for "
                "a showtime still to come. Cancel those bookings or that showtime first.",
                field_errors={"seat_ids": [f"In use: {labels}"]})
    before = {s.label: audit.snapshot(s, SEAT_FIELDS) for s in seats}
    if action == "pair":
        seat_links.link(seats)
    elif action in ("unpair", "remove") or action.startswith("type:"):
        seat_links.unlink(seats)  # a link would otherwise mean something else, or nothing
    for seat in seats:
        if action.startswith("type:"):
            seat.seat_type = SeatType(action.removeprefix("type:"))
        elif action == "block":
            seat.is_blocked = True
        elif action == "unblock":
            seat.is_blocked = False
        elif action == "remove":
            seat.is_deleted = True
    audit.record(actor_id, f"seats.{action.split(':')[0]}", "auditorium", auditorium.id,
                 f"{SEAT_ACTIONS[action].lower()}: {', '.join(s.label for s in seats)} "
                 f"in {auditorium.name}",
                 before=before, after={s.label: audit.snapshot(s, SEAT_FIELDS) for s in seats})
    db.session.commit()
    coming = _coming_showtimes(auditorium.id, now)
    # Every seat map of this auditorium still to come shows the new layout at its next poll.
    seat_stamps.bump_many(coming)
    if action == "unblock":  # seats back on sale: the waitlists of the coming showtimes first
        freed_seats.seats_freed(coming, now)
    return seats


def _coming_showtimes(auditorium_id: int, now: datetime) -> list[int]:
    return list(db.session.scalars(sa.select(Showtime.id).where(
        Showtime.auditorium_id == auditorium_id, Showtime.starts_at > now,
        Showtime.cancelled_at.is_(None), Showtime.is_deleted.is_(False))))


# --- maps: the generator's preview and the admin's view of a saved layout ---------------------------

def _map_of(cells: list[tuple[int, SeatCell]], row_labels_by_index: dict[int, str],
            auditorium_id: int = 0) -> SeatMap:
    columns = max((c.col_index for _, c in cells), default=-1) + 1
    rows: dict[int, list] = {}
    counts = {FREE: 0, HELD: 0, SOLD: 0, BLOCKED: 0, MINE: 0}
    for index, cell in cells:
        rows.setdefault(index, [None] * columns)[cell.col_index] = cell
        counts[cell.state] += 1
    ordered = [SeatRow(row_labels_by_index[i], row) for i, row in sorted(rows.items())]
    types = {cell.seat_type for _, cell in cells}
    return SeatMap(auditorium_id, columns, ordered, counts, [t for t in SeatType if t in types])


def preview_map(spec: LayoutSpec) -> SeatMap:
    """The map a generated layout would give, as a patron would see it (nothing saved)."""
    generated = generate_seats(spec)
    # Made-up ids, so that the preview can show which seats are sold together.
    ids = {(s["row_label"], s["number"]): n for n, s in enumerate(generated, start=1)}
    cells = [(s["row_index"], SeatCell(
        ids[(s["row_label"], s["number"])], s["row_label"], s["number"], s["col_index"],
        s["seat_type"], FREE,
        None if s["partner_number"] is None else ids[(s["row_label"], s["partner_number"])]))
        for s in generated]
    return _map_of(cells, {i: label for i, label in enumerate(row_labels(spec.rows))})


def layout_map(auditorium_id: int, now: datetime) -> SeatMap:
    """A saved layout: blocked seats as blocked, seats booked for a showtime still to come as
    sold (they cannot be changed), every other seat free."""
    seats = list(db.session.scalars(
        sa.select(Seat).where(Seat.auditorium_id == auditorium_id, Seat.is_deleted.is_(False))
        .order_by(Seat.row_index, Seat.col_index)))
    in_use = {s.id for s in seats_in_use([s.id for s in seats], now)}
    cells = [(s.row_index, SeatCell(s.id, s.row_label, s.number, s.col_index, s.seat_type,
                                    BLOCKED if s.is_blocked else SOLD if s.id in in_use
                                    else FREE, s.partner_seat_id))
             for s in seats]
    return _map_of(cells, {s.row_index: s.row_label for s in seats}, auditorium_id)
