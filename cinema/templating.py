"""Jinja filters and globals: money (cinema.money), local times (cinema.clock), the htmx asset."""
from __future__ import annotations

import os

from flask import Flask

from cinema.clock import format_local
from cinema.money import format_money


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
    from cinema.audit import sentence

    app.jinja_env.globals["audit_sentence"] = sentence  # partials/_admin_history.html
    from cinema.accounts.password_policy import HINT

    app.jinja_env.globals["password_hint"] = HINT

    @app.context_processor
    def inject_globals():
        return {
            "cinema_name": app.config["CINEMA_NAME"],
            "cinema_timezone": app.config["CINEMA_TIMEZONE"],
        }
