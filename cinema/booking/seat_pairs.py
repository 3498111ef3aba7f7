"""Seats sold only together: a couple seat with its other half, a companion seat with its space.

The layout links two seats both ways (``Seat.partner_seat_id``, set by the layout generator and
the layout editor), and what the link means follows from the seats' types:

* a **couple pair** links two COUPLE seats. They are sold in pairs only: a hold with one half
  must have the other.
* a **companion seat** is a seat of another type linked to a WHEELCHAIR space. It is sold only
  with its space, so a wheelchair user can always bring a companion to sit beside them; the
  space itself may be booked alone.

The hold service checks every hold (seat map, box office and API alike); best available never
offers half a pair or a companion seat.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from cinema.exceptions import SeatPairSplit
from cinema.models import SeatType


class PairedSeat(Protocol):
    id: int
    label: str
    seat_type: SeatType
    partner_seat_id: int | None


def is_companion(seat_type: SeatType, partner_id: int | None) -> bool:
    """A companion seat: linked to a wheelchair space, sold only with it."""
    return partner_id is not None and seat_type not in (SeatType.COUPLE, SeatType.WHEELCHAIR)


def needs_partner(seat_type: SeatType, partner_id: int | None) -> bool:
    """True if this seat may only be sold together with its partner."""
    return partner_id is not None and seat_type is not SeatType.WHEELCHAIR


def check(seats: Iterable[PairedSeat], partner_label: Callable[[int], str]) -> None:
    """Refuse a hold of ``seats`` that has one seat of a pair without the other.

    ``partner_label`` gives a partner's label (asked only when a hold is refused).
    Raises SeatPairSplit (422) naming the seat, its partner and what to do.
    """
    seats = list(seats)
    chosen = {seat.id for seat in seats}
    for seat in seats:
        if not needs_partner(seat.seat_type, seat.partner_seat_id) or \
                seat.partner_seat_id in chosen:
            continue
        partner = partner_label(seat.partner_seat_id)
        if seat.seat_type is SeatType.COUPLE:
            message = (f"{seat.label} and {partner} are a couple seat, sold as a pair: "
                       f"choose {partner} as well, or other seats.")
        else:
            message = (f"{seat.label} is the companion seat of wheelchair space {partner}, "
                       f"sold only with it: choose {partner} as well, or another seat.")
        raise SeatPairSplit(message, field_errors={"seat_ids": [message]},
                            seats=[seat.label, partner])
