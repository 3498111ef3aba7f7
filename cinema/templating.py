"""Jinja filters and globals: money (cinema.money), local times (cinema.clock), the htmx asset."""
from __future__ import annotations

import os
from functools import lru_cache

from flask import Flask
from markupsafe import Markup

from cinema.clock import format_local
from cinema.money import currency, format_money
from cinema.wording import counted

# Rendered seats kept per process: 600 seats x a few states x a few prices is a few thousand.
SEAT_CELLS_KEPT = 16_384
GAP = Markup('<span class="gap" aria-hidden="true"></span>')


def format_count(value: int | None) -> str:
    """A whole number with thousands separators (653,126 bookings)."""
    return "" if value is None else f"{int(value):,}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["counted"] = counted
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["thousands"] = format_count
    app.jinja_env.globals["htmx_available"] = lambda: os.path.exists(
        os.path.join(app.static_folder, "vendor", "htmx.min.js")
    )

    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    from cinema.audit import sentence

    app.jinja_env.globals["audit_sentence"] = sentence  # partials/_admin_history.html
    app.jinja_env.globals["seat_cells"] = seat_cells_renderer(app)
    from cinema.accounts.password_policy import HINT

    app.jinja_env.globals["password_hint"] = HINT

    @app.context_processor
    def inject_globals():
        return {
            "cinema_name": app.config["CINEMA_NAME"],
            "cinema_timezone": app.config["CINEMA_TIMEZONE"],
        }


def seat_cells_renderer(app: Flask, kept: int = SEAT_CELLS_KEPT):
    """``seat_cells(cells, selected, is_bookable, type_prices, labels)``: the markup of a row
    of the seat map (partials/_seat_map.html); ``labels``: every seat's label by id, to name a
    partner. Each seat is rendered by the macro of partials/_seat_cell.html once per (seat,
    state, tick, price, place in its pair, partner, currency) and then reused, so a
    map of 600 seats costs 600 look-ups rather than 600 renders. ``kept=0`` renders every time
    (the lean reference in bench/ does, as a plain template would)."""

    def render_cell(cell, checked, free, price_cents, position, partner, currency_code):
        macro = app.jinja_env.get_template("partials/_seat_cell.html").module.seat_cell
        return macro(cell, checked, free, price_cents, position, partner)

    cell_markup = lru_cache(maxsize=kept)(render_cell) if kept else render_cell

    def seat_cells(cells, selected, is_bookable, type_prices, labels) -> Markup:
        code = currency()
        last = len(cells) - 1
        pieces = []
        for i, cell in enumerate(cells):
            if cell is None:
                pieces.append(GAP)
                continue
            position = None
            if cell.partner_id is not None:
                if i < last and cells[i + 1] is not None and cells[i + 1].id == cell.partner_id:
                    position = "start"
                elif i > 0 and cells[i - 1] is not None and cells[i - 1].id == cell.partner_id:
                    position = "end"
            pieces.append(cell_markup(
                cell, cell.id in selected, cell.selectable and is_bookable,
                type_prices.get(cell.seat_type), position, labels.get(cell.partner_id), code))
        # Every piece is Markup already: a plain join, without escaping each again.
        return Markup("\n        ".join(pieces))

    return seat_cells
