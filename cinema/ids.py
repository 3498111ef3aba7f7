"""Database ids that come from outside (URLs, forms, API bodies), bounded before any query.

PostgreSQL ``integer`` holds -2^31 .. 2^31-1 and our ids start at 1: a number outside
1 .. 2^31-1 cannot name a row, and sent to the database it would fail there (a 500) rather than
find nothing. Everything that turns outside input into an id goes through ``parse_id``.
"""
from __future__ import annotations

MAX_ID = 2**31 - 1  # the largest PostgreSQL integer
_MAX_DIGITS = len(str(MAX_ID))


def parse_id(value) -> int | None:
    """``value`` (an int, or a string of ASCII digits) as an id in 1 .. 2^31-1, else None.

    Booleans, floats, signs, spaces inside and non-ASCII digits are not ids.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text.lstrip("0")) > _MAX_DIGITS:
            return None
        number = int(text)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None
