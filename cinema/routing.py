"""URL converters: ids in paths are bounded before they reach a query.

The ``id`` converter matches only numbers that can be an id (1 .. 2^31-1, see ``cinema.ids``),
so anything else (0, -1, 2^31, 2^63, text) is not a route at all: 404, never a database error.
Every id in a route is written ``<id:name>``.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter, ValidationError

from cinema.ids import parse_id


class IdConverter(BaseConverter):
    """``<id:name>``: a database id as an int; any other value does not match (404)."""

    regex = r"[0-9]{1,10}"
    part_isolating = True
    weight = 50

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()  # the rule does not match: 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def init_app(app: Flask) -> None:
    """Register the converters; call before any blueprint is registered."""
    app.url_map.converters["id"] = IdConverter
