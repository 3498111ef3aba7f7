"""The single-seat gap rule: no hold may leave one free seat stranded on its own in a row.

A seat is stranded when it is free and both its neighbours are "closed" (taken, blocked, about
to be taken by this hold, or an aisle / the row's end), and at least one of those neighbours is
a seat of this hold: only gaps the hold itself creates are refused. Wheelchair spaces are sold
singly anyway and are never counted as stranded. A seat the patron already holds counts as
free, since a new hold replaces the old one.
"""
from __future__ import annotations

from cinema.booking.seatmap import FREE, MINE, SeatCell, SeatMap
from cinema.exceptions import SingleSeatGap
from cinema.models import SeatType


def _open(cell: SeatCell | None, chosen: set[int]) -> bool:
    return cell is not None and cell.id not in chosen and cell.state in (FREE, MINE)


def stranded(cells: list, chosen: set[int]) -> list[SeatCell]:
    """The free seats of one row (cells: SeatCell or None for an aisle) that taking ``chosen``
    would leave on their own, left to right."""
    lonely = []
    for i, cell in enumerate(cells):
        if not _open(cell, chosen) or cell.seat_type is SeatType.WHEELCHAIR:
            continue
        left = cells[i - 1] if i > 0 else None
        right = cells[i + 1] if i + 1 < len(cells) else None
        if _open(left, chosen) or _open(right, chosen):
            continue
        if any(n is not None and n.id in chosen for n in (left, right)):
            lonely.append(cell)
    return lonely


def _shifted(cells: list, chosen: set[int], lonely: SeatCell) -> list[SeatCell] | None:
    """The run of chosen seats next to ``lonely`` moved one place onto it, if that is free and
    strands nobody; else None."""
    at = cells.index(lonely)
    step = 1 if at + 1 < len(cells) and cells[at + 1] is not None and cells[at + 1].id in chosen else -1
    run, i = [], at + step
    while 0 <= i < len(cells) and cells[i] is not None and cells[i].id in chosen:
        run.append(cells[i])
        i += step
    moved = [lonely] + run[:-1]
    rest = (chosen - {c.id for c in run}) | {c.id for c in moved}
    if stranded(cells, rest):
        return None
    return sorted(moved, key=lambda c: c.col_index)


def check(seat_map: SeatMap, chosen: set[int]) -> None:
    """Refuse a hold of ``chosen`` that strands a single seat.

    Raises SingleSeatGap (422) naming the first stranded seat and, when there is one, the
    shift of the same number of seats that avoids it.
    """
    for row in seat_map.rows_of(chosen):
        lonely = stranded(row.cells, chosen)
        if not lonely:
            continue
        seat = lonely[0]
        shift = _shifted(row.cells, chosen, seat)
        advice = (f" Choose {', '.join(c.label for c in shift)} instead, or add {seat.label}."
                  if shift else f" Add {seat.label}, or choose seats that leave no single seat.")
        raise SingleSeatGap(f"That would leave seat {seat.label} on its own.{advice}",
                            field_errors={"seat_ids": [f"Seat {seat.label} would be left on its own."]},
                            seat=seat.label, suggestion=[c.label for c in shift] if shift else [])
