"""A patron's seat selection on the map, priced by the same function a hold uses.

The prices beside a map (the selection's summary, each seat type's price, the demand note, the
box office's ticket types) come from one pricing book per render: the rules and ticket types as
of the version the map's own statement read (``seatmap.SeatState.pricing_version``), kept per
process and per version exactly as a hold keeps them (``price_book.PricingBook``), so an unchanged
book costs no statement; a changed one is read again, never shown from an older version. The
occupancy a demand rule needs is counted once per render.
"""
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


@dataclass(frozen=True)
class PricesShown:
    """What the prices shown with a map are computed from (``pricing``)."""
    facts: engine.ShowtimeFacts
    rules: list  # engine.Rule, enabled
    types: list  # engine.Ticket, enabled, the default (Adult) first
    occupancy: engine.Occupancy
    settings: engine.PriceSettings

    @property
    def ticket(self) -> engine.Ticket:
        return self.types[0] if self.types else engine.ADULT


def pricing(showtime: Showtime, state: seatmap.SeatState, now: datetime) -> PricesShown:
    """The pricing book as of ``state``'s version (read again only when it is not the one kept;
    without a version, SQLite, always read), and the occupancy if a demand rule needs it."""
    if state.pricing_version is None:
        rules, types = price_book.PricingBook.current(fresh=True)
    else:
        rules, types = price_book.PricingBook.current(state.pricing_version)
    occupancy = (price_book.occupancy(showtime, now) if any(r.uses_demand for r in rules)
                 else engine.Occupancy())
    return PricesShown(engine.ShowtimeFacts.of(showtime), rules, types, occupancy,
                       price_book.settings())


def summary(seat_map: SeatMap, selected: frozenset[int], now: datetime,
            prices: PricesShown) -> SelectionSummary:
    """The selected seats priced as a hold now would price them (default ticket type)."""
    seats = [
        SelectedSeat(cell, engine.price_seat(prices.facts, cell.seat_type, prices.settings,
                                              prices.rules, prices.ticket, prices.occupancy,
                                              now))
        for row in seat_map.rows for cell in row.cells if cell and cell.id in selected
    ]
    return SelectionSummary(seats, sum(s.items.price_cents for s in seats),
                            settings().max_seats_per_hold)


def type_prices(showtime: Showtime, seat_map: SeatMap, now: datetime,
                prices: PricesShown | None = None) -> dict:
    """The price of each seat type present at this showtime (cents), cheapest first (without
    ``prices``, from the rules and ticket types read now)."""
    if prices is None:
        return price_book.type_prices(showtime, seat_map.types, now)
    return price_book.type_prices(showtime, seat_map.types, now, prices.rules, prices.ticket,
                                  prices.occupancy)


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
    prices = pricing(showtime, state, now)
    return dict(showtime=showtime, seat_map=seat_map, selected=selected, error=error,
                best_notice=best_notice,
                summary=summary(seat_map, selected, now, prices),
                type_prices=type_prices(showtime, seat_map, now, prices),
                demand_note=price_book.demand_note(showtime, now, prices.rules,
                                                   prices.occupancy),
                ticket_types=prices.types,
                map_version=seatmap.version(showtime, now, user_id, requested, state),
                is_bookable=not showtime.is_cancelled and showtime.starts_at > now)
