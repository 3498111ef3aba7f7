"""Words for people: a count with its noun, in the singular or the plural."""
from __future__ import annotations


def counted(value: int, noun: str, plural: str | None = None) -> str:
    """"1 seat", "3 seats", "1,204 bookings", "2 parties" (``plural`` when not noun + "s")."""
    return f"{int(value):,} {noun if value == 1 else plural or noun + 's'}"
