"""Best available and the single-seat gap rule on hand-drawn rows (pure functions, no database).

A row is drawn left to right: ``.`` free, ``x`` taken (held or sold), ``#`` blocked, ``W`` a free
wheelchair space, ``m`` a seat the patron already holds, ``|`` an aisle; rows are listed from
the screen backwards and lettered A, B, C...
"""
from __future__ import annotations

import pytest

from cinema.booking import best_available, seat_gaps
from cinema.booking.seatmap import BLOCKED, FREE, MINE, SOLD, SeatCell, SeatMap, SeatRow
from cinema.exceptions import SingleSeatGap
from cinema.models import SeatType

STATES = {".": (FREE, SeatType.REGULAR), "x": (SOLD, SeatType.REGULAR), "#": (BLOCKED, SeatType.REGULAR),
          "W": (FREE, SeatType.WHEELCHAIR), "m": (MINE, SeatType.REGULAR)}


def draw(*rows: str) -> list[SeatRow]:
    drawn = []
    for r, text in enumerate(rows):
        label, number, cells = chr(ord("A") + r), 0, []
        for col, ch in enumerate(text):
            if ch == "|":
                cells.append(None)
                continue
            number += 1
            state, seat_type = STATES[ch]
            cells.append(SeatCell(r * 100 + number, label, number, col, seat_type, state))
        drawn.append(SeatRow(label, cells))
    return drawn


def labels(cells) -> list[str]:
    return [c.label for c in cells]


def ids(rows, *names) -> set[int]:
    return {c.id for row in rows for c in row.cells if c and c.label in names}


# --- best available ----------------------------------------------------------------------------

def test_best_is_the_centre_of_the_row_two_thirds_back():
    rows = draw(*["........"] * 7)  # ideal row: round(6 * 2/3) = 4, row E
    assert labels(best_available.best_seats(rows, 2)) == ["E4", "E5"]
    assert labels(best_available.best_seats(rows, 1)) == ["E4"]  # tie between E4 and E5: leftmost


def test_a_full_best_row_gives_way_to_the_centre_of_the_next():
    rows = draw("........", "........", "........", "xxxxxxxx")  # ideal row D is sold out
    assert labels(best_available.best_seats(rows, 4)) == ["C3", "C4", "C5", "C6"]


def test_runs_never_cross_an_aisle_and_skip_blocked_and_taken_seats():
    rows = draw("...|....|...", "...|.x#.|...", "...|....|...")  # ideal row B: its middle is broken
    # Only the middle blocks of A and C hold 4 together; equally good, the tie goes to row A.
    assert labels(best_available.best_seats(rows, 4)) == ["A4", "A5", "A6", "A7"]
    # Three fit in B's side blocks; three of a middle block of four would strand the fourth.
    assert labels(best_available.best_seats(rows, 3)) == ["B1", "B2", "B3"]


def test_wheelchair_spaces_are_never_picked_and_row_ends_are_a_last_resort():
    rows = draw("W..W", "x..x")
    assert labels(best_available.best_seats(rows, 2)) == ["B2", "B3"]
    assert best_available.best_seats(draw("W..W"), 3) == []


def test_best_available_never_strands_a_single_seat():
    rows = draw("x......x")  # 6 free: taking the middle 4 would strand seats 2 and 7
    assert labels(best_available.best_seats(rows, 4)) in (["A2", "A3", "A4", "A5"], ["A4", "A5", "A6", "A7"])
    assert best_available.best_seats(draw("x...x"), 2) == []  # either pair strands the third seat
    assert labels(best_available.best_seats(draw("x...x"), 3)) == ["A2", "A3", "A4"]


def test_own_held_seats_count_as_free_and_n_is_bounded():
    assert labels(best_available.best_seats(draw("xmmx"), 2)) == ["A2", "A3"]
    for n in (0, 11):
        with pytest.raises(ValueError):
            best_available.best_seats(draw("...."), n)


# --- the single-seat gap rule ------------------------------------------------------------------

@pytest.mark.parametrize("row, chosen, lonely", [
    ("x.....", ["A3", "A4"], ["A2"]),          # a single seat against a taken seat
    ("......", ["A2", "A3"], ["A1"]),          # against the row's end
    ("...|...", ["A5", "A6"], ["A4"]),         # against an aisle (A4 is the first after it)
    ("..#...", ["A4", "A5", "A6"], []),        # blocked A3 next to A4: no free seat is left alone
    ("..#...", ["A1"], ["A2"]),                # against a blocked seat
    ("W.....", ["A3", "A4"], []),              # A2 is the companion seat of the free wheelchair space
    (".W....", ["A3", "A4"], []),              # ... and is never itself stranded
    ("x.x...", ["A4"], []),                    # a gap the hold did not make is not refused
    ("......", ["A3", "A4"], []),              # pairs left on both sides are fine
])
def test_stranded_seats(row, chosen, lonely):
    rows = draw(row)
    assert labels(seat_gaps.stranded(rows[0].cells, ids(rows, *chosen))) == lonely


def test_check_names_the_seat_and_suggests_the_shift():
    rows = draw("x.....", "......")
    seat_map = SeatMap(1, 6, rows, {}, [])
    with pytest.raises(SingleSeatGap) as refused:
        seat_gaps.check(seat_map, ids(rows, "A3", "A4"))
    assert refused.value.status_code == 422 and refused.value.error_code == "SINGLE_SEAT_GAP"
    assert "A2" in refused.value.detail and refused.value.extra["suggestion"] == ["A2", "A3"]
    assert "Choose A2, A3 instead" in refused.value.detail
    seat_gaps.check(seat_map, ids(rows, "A2", "A3", "B1", "B2"))  # no gap: allowed
