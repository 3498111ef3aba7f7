"""Jinja filters and globals: money, local times, the htmx asset."""
from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def cinema_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["CINEMA_TIMEZONE"])


def to_local(value: datetime) -> datetime:
    """An aware UTC datetime in the cinema's timezone."""
    return value.astimezone(cinema_tz())


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


def format_local(value: datetime | None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    if value is None:
        return ""
    return to_local(value).strftime(fmt)


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
