"""A patron's seat selection on the map, priced by the same function a hold uses."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cinema.booking import best_available, seatmap
from cinema.booking.seatmap import MINE, SeatCell, SeatMap
from cinema.catalogue import catalogue_query
from cinema.models import Showtime
from cinema.pricing import engine, price_book
from cinema.settings import settings


@dataclass(frozen=True)
class SelectedSeat:
    cell: SeatCell
    items: engine.SeatPrice


@dataclass(frozen=True)
class SelectionSummary:
    seats: list[SelectedSeat]
    total_cents: int
    max_seats: int

    @property
    def too_many(self) -> bool:
        return len(self.seats) > self.max_seats


def selected_ids(seat_map: SeatMap, requested) -> frozenset[int]:
    """The seats to show as chosen: the request's selection of selectable seats, or, when the
    request says nothing, the seats the patron already holds."""
    cells = {cell.id: cell for row in seat_map.rows for cell in row.cells if cell}
    if requested is None:
        return frozenset(cid for cid, cell in cells.items() if cell.state == MINE)
    chosen = set()
    for raw in requested:
        try:
            seat_id = int(raw)
        except (TypeError, ValueError):
            continue
        if seat_id in cells and cells[seat_id].selectable:
            chosen.add(seat_id)
    return frozenset(chosen)


def summary(showtime: Showtime, seat_map: SeatMap, selected: frozenset[int],
            now: datetime) -> SelectionSummary:
    """The selected seats priced as a hold now would price them (default ticket type)."""
    rules = price_book.enabled_rules()
    occupancy = (price_book.occupancy(showtime, now) if any(r.uses_demand for r in rules)
                 else engine.Occupancy())
    facts, price_settings = engine.ShowtimeFacts.of(showtime), price_book.settings()
    ticket = price_book.default_ticket(price_book.ticket_types())
    seats = [
        SelectedSeat(cell, engine.price_seat(facts, cell.seat_type, price_settings, rules,
                                              ticket, occupancy, now))
        for row in seat_map.rows for cell in row.cells if cell and cell.id in selected
    ]
    return SelectionSummary(seats, sum(s.items.price_cents for s in seats),
                            settings().max_seats_per_hold)


def type_prices(showtime: Showtime, seat_map: SeatMap, now: datetime) -> dict:
    """The price of each seat type present at this showtime (cents), cheapest first."""
    return price_book.type_prices(showtime, seat_map.types, now)


def showtime_view(showtime_id: int, user_id: int | None, now: datetime, requested=None,
                  error=None, best: int | None = None) -> dict:
    """Everything the showtime page, its seat map and the selection summary render from, as
    the viewer ``user_id`` (None: signed out) sees it at ``now``; ``requested`` is the selection
    the request carries (None: it says nothing). With ``best``, the best ``best`` seats together
    are the selection (a notice says which, or that none are). Raises NotFound for no such
    showtime."""
    showtime = catalogue_query.get_showtime(showtime_id)
    state = seatmap.read_state(showtime, now)
    seat_map = seatmap.build(showtime, now, user_id, state)
    best_notice = None
    if best is not None:
        found = best_available.best_seats(seat_map.rows, best)
        requested = [str(cell.id) for cell in found]
        best_notice = (f"We have ticked {', '.join(c.label for c in found)} for you: hold them, "
                       "or change them on the map." if found else
                       f"There are no {best} seats together any more: choose seats on the map.")
    selected = selected_ids(seat_map, requested)
    return dict(showtime=showtime, seat_map=seat_map, selected=selected, error=error,
                best_notice=best_notice,
                summary=summary(showtime, seat_map, selected, now),
                type_prices=type_prices(showtime, seat_map, now),
                demand_note=price_book.demand_note(showtime, now),
                ticket_types=price_book.ticket_types(),
                map_version=seatmap.version(showtime, now, user_id, requested, state),
                is_bookable=not showtime.is_cancelled and showtime.starts_at > now)
