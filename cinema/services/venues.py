"""Auditoriums and their seat layouts."""
from __future__ import annotations

import string
from dataclasses import dataclass, field

import sqlalchemy as sa

from cinema.errors import ValidationFailed
from cinema.extensions import db
from cinema.models import Auditorium, Seat, SeatType

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
        unknown = [r for r in self.premium_rows + self.couple_rows if r not in labels]
        if unknown:
            errors["premium_rows"] = [f"No such row: {', '.join(sorted(set(unknown)))}."]
        if any(not 1 <= a < self.seats_per_row for a in self.aisles_after):
            errors["aisles_after"] = ["Aisles go after a seat number inside the row."]
        if any(r not in labels or not 1 <= n <= self.seats_per_row for r, n in self.wheelchair):
            errors["wheelchair"] = ["Wheelchair places must be existing seats, e.g. A1."]
        if errors:
            raise ValidationFailed("The layout is not valid.", field_errors=errors)


def row_labels(count: int) -> list[str]:
    return list(string.ascii_uppercase[:count])


def generate_seats(spec: LayoutSpec) -> list[dict]:
    """The seats of a layout as dicts (row_label, number, row_index, col_index, seat_type)."""
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
                              col_index=col, seat_type=seat_type))
            col += 1
            if number in spec.aisles_after:
                col += 1  # leave an empty column: the aisle
    return seats


def create_auditorium(name: str, description: str, spec: LayoutSpec,
                      actor_id: int | None = None) -> Auditorium:
    """Create an auditorium and its generated seats in one transaction (the caller commits)."""
    name = name.strip()
    if db.session.scalar(sa.select(Auditorium.id).where(Auditorium.name == name)):
        raise ValidationFailed("An auditorium with that name exists.",
                               field_errors={"name": ["Already used."]})
    auditorium = Auditorium(name=name, description=description, created_by=actor_id)
    db.session.add(auditorium)
    db.session.flush()
    db.session.add_all(Seat(auditorium_id=auditorium.id, created_by=actor_id, **seat)
                       for seat in generate_seats(spec))
    db.session.flush()
    return auditorium
