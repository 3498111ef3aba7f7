"""cinema.money: cents as people read them and back, never through a float."""
from __future__ import annotations

from decimal import Decimal

import pytest

from cinema.exceptions import ValidationFailed
from cinema.money import amount_text, format_money, parse_cents, to_decimal


@pytest.mark.parametrize("cents, currency, text", [
    (1450, "GBP", "£14.50"), (5, "GBP", "£0.05"), (0, "EUR", "€0.00"), (-250, "GBP", "−£2.50"),
    (123456789, "USD", "$1,234,567.89"), (1450, "CHF", "14.50 CHF"), (None, "GBP", ""),
])
def test_format_money(cents, currency, text):
    assert format_money(cents, currency) == text


def test_format_money_uses_the_configured_currency(app_ctx):
    from flask import current_app

    current_app.config["CURRENCY"], before = "EUR", current_app.config["CURRENCY"]
    try:
        assert format_money(1450) == "€14.50"
    finally:
        current_app.config["CURRENCY"] = before


@pytest.mark.parametrize("text, cents", [
    ("14.50", 1450), ("14.5", 1450), ("14", 1400), ("0.01", 1), (" £9.99 ", 999), ("€3", 300),
    ("99999.99", 9999999),
])
def test_parse_cents(text, cents):
    assert parse_cents(text) == cents


@pytest.mark.parametrize("text", ["", None, "-1", "1.234", "12,50", "1e3", "abc", "100000", "NaN",
                                  "1.5.0", "0x10"])
def test_parse_cents_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValidationFailed, match="A price like 12.50"):
        parse_cents(text)


@pytest.mark.parametrize("cents", [0, 1, 99, 100, 1450, 9999999])
def test_amount_text_reads_back(cents):
    assert parse_cents(amount_text(cents)) == cents


def test_to_decimal_is_exact():
    assert to_decimal(-200) == Decimal("-2.00") and str(to_decimal(1450)) == "14.50"
