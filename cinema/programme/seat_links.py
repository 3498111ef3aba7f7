"""Seats sold together, as the layout says: couple pairs, and wheelchair spaces' companions.

What a link means and how a hold must respect it is in ``cinema/booking/seat_pairs.py``; here the
layout generator pairs the seats it makes, and the layout editor links ("Pair") or unlinks
("Unpair") seats an admin picks. A link is always both ways, and a seat whose type changes or
that is removed loses its link (and its partner too), so no link is left meaning something else.
"""
from __future__ import annotations

import sqlalchemy as sa

from cinema.exceptions import ValidationFailed
from cinema.extensions import db
from cinema.models import Seat, SeatType

PAIRABLE_WITH_WHEELCHAIR = (SeatType.REGULAR, SeatType.PREMIUM)


def pair_generated(seats: list[dict]) -> None:
    """Link the generator's seats (dicts with ``partner_number``) block by block."""
    for block in _blocks(seats):
        _pair_couples(block)
        _give_companions(block)


def _blocks(seats: list[dict]) -> list[list[dict]]:
    """Runs of seats side by side (same row, adjacent columns): the aisle blocks."""
    blocks: list[list[dict]] = []
    for seat in seats:
        last = blocks[-1][-1] if blocks else None
        if last and last["row_index"] == seat["row_index"] and \
                last["col_index"] + 1 == seat["col_index"]:
            blocks[-1].append(seat)
        else:
            blocks.append([seat])
    return blocks


def _link(one: dict, other: dict) -> None:
    one["partner_number"], other["partner_number"] = other["number"], one["number"]


def _pair_couples(block: list[dict]) -> None:
    couples = [seat for seat in block if seat["seat_type"] is SeatType.COUPLE]
    for left, right in zip(couples[::2], couples[1::2], strict=False):
        if right["col_index"] == left["col_index"] + 1:
            _link(left, right)
    for seat in couples:
        if seat["partner_number"] is None:
            seat["seat_type"] = SeatType.REGULAR  # half a couple seat is sold as a single


def _give_companions(block: list[dict]) -> None:
    for index, seat in enumerate(block):
        if seat["seat_type"] is not SeatType.WHEELCHAIR:
            continue
        for neighbour in (index + 1, index - 1):
            if 0 <= neighbour < len(block) and block[neighbour]["partner_number"] is None and \
                    block[neighbour]["seat_type"] in PAIRABLE_WITH_WHEELCHAIR:
                _link(seat, block[neighbour])
                break


def link_generated(seats: list[Seat], numbers: list[int | None]) -> None:
    """Set ``partner_seat_id`` from the generator's ``partner_number`` (same row) once the
    seats have ids."""
    by_place = {(seat.row_label, seat.number): seat for seat in seats}
    for seat, number in zip(seats, numbers, strict=True):
        if number is not None:
            seat.partner_seat_id = by_place[(seat.row_label, number)].id


# --- the layout editor ------------------------------------------------------------------------

def link(seats: list[Seat]) -> None:
    """Pair two seats side by side in one row: two couple seats, or a wheelchair space and the
    seat beside it (its companion). Any earlier link of either seat is undone first.
    Raises ValidationFailed naming what is wrong."""
    if len(seats) != 2:
        raise _refused("Select exactly two seats side by side to pair them.")
    one, other = sorted(seats, key=lambda seat: seat.col_index)
    if one.row_index != other.row_index or other.col_index != one.col_index + 1:
        raise _refused(f"{one.label} and {other.label} are not side by side in one row.")
    types = {one.seat_type, other.seat_type}
    couple = types == {SeatType.COUPLE}
    companion = SeatType.WHEELCHAIR in types and len(types) == 2 and \
        types - {SeatType.WHEELCHAIR} <= set(PAIRABLE_WITH_WHEELCHAIR)
    if not (couple or companion):
        raise _refused("Pair two couple seats, or a wheelchair space and a regular or premium "
                       "seat beside it (its companion seat).")
    unlink(seats)
    one.partner_seat_id, other.partner_seat_id = other.id, one.id


def unlink(seats: list[Seat]) -> None:
    """Undo the links of ``seats``, on both ends."""
    partner_ids = [seat.partner_seat_id for seat in seats if seat.partner_seat_id is not None]
    for partner in db.session.scalars(sa.select(Seat).where(Seat.id.in_(partner_ids))):
        partner.partner_seat_id = None
    for seat in seats:
        seat.partner_seat_id = None


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={"seat_ids": [message]})
