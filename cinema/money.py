"""Money as people read and type it. Amounts are integer cents everywhere else; nothing here goes
through a float.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from flask import current_app

from cinema.exceptions import ValidationFailed

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
MAX_AMOUNT_DIGITS = 5  # whole units a typed amount may have: 99999.99 at most
_AMOUNT = re.compile(r"^\d{1,%d}(\.\d{1,2})?$" % MAX_AMOUNT_DIGITS)
AMOUNT_HINT = "A price like 12.50."

MINUS = "\u2212"  # the minus sign of every amount shown to people


def currency(config: Mapping | None = None) -> str:
    """The configured ISO currency code (``CURRENCY``), e.g. "GBP"."""
    return (current_app.config if config is None else config)["CURRENCY"]


def format_money(cents: int | None, currency_code: str | None = None) -> str:
    """Integer cents as e.g. "£1,234.50" (or "1,234.50 CHF" for a currency without a symbol
    here); "" for None. A negative amount takes the one minus sign the pages use, U+2212
    ("−£2.00"): templates write ``(-cents)|money``, never a sign of their own."""
    if cents is None:
        return ""
    code = currency_code or currency()
    sign = MINUS if cents < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(code)
    amount = amount_text(abs(int(cents)), thousands=True)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {code}"


def amount_text(cents: int, *, thousands: bool = False) -> str:
    """Integer cents as the amount a form shows and ``parse_cents`` reads back: 1450 -> "14.50"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}.{part:02d}" if thousands else f"{sign}{whole}.{part:02d}"


def to_decimal(cents: int) -> Decimal:
    """Integer cents as an exact two-place decimal: ``-200`` -> ``Decimal("-2.00")``."""
    return Decimal(int(cents)).scaleb(-2)


def parse_cents(text: str | None) -> int:
    """A typed amount ("14.50", "14", "£14.5") as integer cents (1450). Raises ValidationFailed
    (422, "A price like 12.50.") for anything else: empty, negative, more than two decimals or
    more than 99999.99."""
    text = (text or "").strip().lstrip("".join(CURRENCY_SYMBOLS.values()))
    if not _AMOUNT.match(text):
        raise ValidationFailed(AMOUNT_HINT)
    return int(Decimal(text) * 100)
