"""Best available: the N adjacent free seats a cinema manager would pick for a party.

Scoring (lower is better), for every run of N adjacent free seats in one aisle block of a row:

* **Row**: ``abs(row - ideal_row)``, where the ideal row is two thirds of the way back from the
  screen (``round((rows - 1) * 2 / 3)``): close enough for immersion, far enough to see the
  whole screen. Each row away from it costs 1.
* **Centre**: the run's centre against the row's centre (by layout column, so aisles count),
  divided by the row's half-width: 0 in the middle, 1 at the wall. It costs up to 1.5, so a
  seat at the very edge of the best row loses to the middle of the next row, but the middle of
  a row two away loses to a fairly central seat of the best row.
* **Stranding**: a run that would leave a single free seat on its own (see ``seat_gaps``) is
  never offered.
* Ties go to the row nearer the screen, then the leftmost run.

Runs never cross an aisle, and never include a seat that is held, sold or blocked, a
wheelchair space or its companion seat (those are for the patrons who need them, booked
deliberately), or half of a couple seat (``seat_pairs``). The patron's own held seats count as
free.
"""
from __future__ import annotations

from cinema.booking import seat_gaps, seat_pairs
from cinema.booking.seatmap import FREE, MINE, SeatCell, SeatRow
from cinema.models import SeatType

MAX_PARTY = 10
CENTRE_WEIGHT = 1.5


def _pickable(cell: SeatCell | None) -> bool:
    return (cell is not None and cell.state in (FREE, MINE)
            and cell.seat_type is not SeatType.WHEELCHAIR
            and not seat_pairs.is_companion(cell.seat_type, cell.partner_id))


def _runs(cells: list, n: int):
    """Every window of ``n`` pickable, adjacent cells (no aisle between) in one row that holds
    both halves of every couple seat in it."""
    for start in range(len(cells) - n + 1):
        window = cells[start:start + n]
        if all(_pickable(c) for c in window) and _pairs_whole(window):
            yield window


def _pairs_whole(window: list[SeatCell]) -> bool:
    ids = {c.id for c in window}
    return all(c.partner_id in ids for c in window
               if seat_pairs.needs_partner(c.seat_type, c.partner_id))


def score(row_index: int, row_count: int, cells: list, window: list[SeatCell]) -> float:
    """The score of ``window`` (lower is better), as the module docstring describes."""
    ideal = round((row_count - 1) * 2 / 3)
    seats = [c for c in cells if c is not None]
    left, right = seats[0].col_index, seats[-1].col_index
    half_width = max((right - left) / 2, 1)
    row_centre = (left + right) / 2
    run_centre = (window[0].col_index + window[-1].col_index) / 2
    return abs(row_index - ideal) + CENTRE_WEIGHT * abs(run_centre - row_centre) / half_width


def best_seats(rows: list[SeatRow], n: int) -> list[SeatCell]:
    """The best ``n`` adjacent seats (left to right), or [] when no row has ``n`` together.

    Raises ValueError when ``n`` is not between 1 and MAX_PARTY.
    """
    if not 1 <= n <= MAX_PARTY:
        raise ValueError(f"n must be between 1 and {MAX_PARTY}")
    best, best_key = [], None
    for row_index, row in enumerate(rows):
        if not any(row.cells):
            continue
        for window in _runs(row.cells, n):
            if seat_gaps.stranded(row.cells, {c.id for c in window}):
                continue
            key = (score(row_index, len(rows), row.cells, window), row_index, window[0].col_index)
            if best_key is None or key < best_key:
                best, best_key = window, key
    return list(best)
