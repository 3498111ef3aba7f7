"""Jinja filters and globals: money, local times, the htmx asset."""
from __future__ import annotations

import os

from flask import Flask, current_app

from cinema.clock import format_local

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def format_money(cents: int | None) -> str:
    """Integer cents as e.g. £12.50; never goes through a float."""
    if cents is None:
        return ""
    currency = current_app.config["CURRENCY"]
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    symbol = CURRENCY_SYMBOLS.get(currency)
    amount = f"{whole:,}.{part:02d}"
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def format_count(value: int | None) -> str:
    """A whole number with thousands separators (653,126 bookings)."""
    return "" if value is None else f"{int(value):,}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["thousands"] = format_count
    app.jinja_env.globals["htmx_available"] = lambda: os.path.exists(
        os.path.join(app.static_folder, "vendor", "htmx.min.js")
    )

    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    from cinema.accounts.password_policy import HINT

    app.jinja_env.globals["password_hint"] = HINT

    @app.context_processor
    def inject_globals():
        return {
            "cinema_name": app.config["CINEMA_NAME"],
            "cinema_timezone": app.config["CINEMA_TIMEZONE"],
        }
