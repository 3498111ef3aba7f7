"""Query-string and form values a route reads one by one (no WTForms form), bounded first.

An absent or empty value is the default. A value that is there but not acceptable raises
ValidationFailed (422) with a message for that field, which the error handler shows on the page
(or as ``errors`` in JSON): an id out of PostgreSQL's range or a text longer than its column
never reaches the database. A repeated field counts as its first value.
"""
from __future__ import annotations

from datetime import date

from cinema.exceptions import ValidationFailed
from cinema.ids import parse_id

MAX_PAGE = 100_000  # far past any list we have; keeps OFFSET arithmetic small


def refuse(name: str, message: str) -> ValidationFailed:
    """The 422 for one field: ``message`` is shown next to it and in the page's summary."""
    return ValidationFailed(f"Please check {name.replace('_', ' ')}: {message}",
                            field_errors={name: [message]})


def id_param(source, name: str) -> int | None:
    """An optional id (a filter, a form's hidden id): None when absent; 422 unless it is a
    whole number from 1 to 2^31-1."""
    raw = source.get(name)
    if raw is None or not raw.strip():
        return None
    value = parse_id(raw)
    if value is None:
        raise refuse(name, "Not a valid id.")
    return value


def page_param(source, name: str = "page") -> int:
    """A page number. Anything that is not one means the nearest page: below 1 is page 1,
    text is page 1, and huge numbers stop at MAX_PAGE (the list then shows its last page)."""
    raw = (source.get(name) or "").strip()
    if not raw.isascii() or not raw.isdigit():
        return 1
    digits = raw.lstrip("0") or "0"
    return MAX_PAGE if len(digits) > 6 else max(1, min(int(digits), MAX_PAGE))


def int_param(source, name: str, default: int, minimum: int, maximum: int) -> int:
    """An optional whole number within ``minimum`` .. ``maximum``; 422 otherwise."""
    raw = source.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 12 or \
            not minimum <= int(text) <= maximum:
        raise refuse(name, f"A whole number from {minimum} to {maximum}.")
    return int(text)


def text_param(source, name: str, max_length: int, default: str = "") -> str:
    """Free text (a search box): trimmed, control characters read as spaces; 422 when longer
    than ``max_length``."""
    raw = source.get(name)
    if raw is None:
        return default
    text = "".join(ch if ch.isprintable() else " " for ch in raw).strip()
    if len(text) > max_length:
        raise refuse(name, f"At most {max_length} characters.")
    return text


def date_param(source, name: str) -> date | None:
    """A day as ``YYYY-MM-DD`` (a date input), or None when empty; 422 when it is not one."""
    raw = (source.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise refuse(name, "Enter a date as YYYY-MM-DD.") from None
