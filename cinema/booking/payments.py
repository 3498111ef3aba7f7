"""Payment providers: an interface (charge, refund and a status lookup, each by idempotency
key) and the simulated card gateway shipped with the app (``simulated_gateway``).

Test cards of the simulated gateway (any future expiry, any 3-digit CVC):

| card number          | result                                   |
| -------------------- | ---------------------------------------- |
| 4242 4242 4242 4242  | approved                                 |
| 4000 0000 0000 0002  | declined (``card_declined``)             |
| 4000 0000 0000 9995  | declined (``insufficient_funds``)        |
| 4000 0000 0000 0119  | processing error (``processing_error``)  |

Any other number that passes the Luhn check is approved. The gateway keeps a ledger: the same
idempotency key always gets the recorded answer and reference without moving money again, so a
retried call never charges twice, and ``lookup`` tells whether a charge whose answer was lost
(a crash) happened.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cinema.exceptions import ValidationFailed

APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PROCESSING_ERROR = "4000000000000119"

DECLINES = {
    DECLINE: ("card_declined", "Your card was declined. Please use another card."),
    INSUFFICIENT_FUNDS: ("insufficient_funds",
                         "Your card has insufficient funds. Please use another card."),
    PROCESSING_ERROR: ("processing_error",
                       "The card processor had an error. No money was taken; please try again."),
}


@dataclass(frozen=True)
class Card:
    number: str
    expiry_month: int
    expiry_year: int
    cvc: str

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass(frozen=True)
class ProviderResult:
    ok: bool
    reference: str | None = None
    error_code: str | None = None
    message: str | None = None


def luhn_ok(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def parse_card(number: str | None, expiry: str | None, cvc: str | None, now: datetime) -> Card:
    """Check the card's format (Luhn, MM/YY not in the past, 3-4 digit CVC). Raises 422."""
    errors = {}
    digits = re.sub(r"[\s-]", "", number or "")
    if not re.fullmatch(r"\d{12,19}", digits) or not luhn_ok(digits):
        errors["card_number"] = ["That card number is not valid."]
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", expiry or "")
    month = year = 0
    if not match:
        errors["card_expiry"] = ["Use the format MM/YY."]
    else:
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        if not 1 <= month <= 12:
            errors["card_expiry"] = ["Use the format MM/YY."]
        elif (year, month) < (now.year, now.month):
            errors["card_expiry"] = ["This card has expired."]
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        errors["card_cvc"] = ["The security code is the 3 or 4 digits on the back."]
    if errors:
        named = " ".join(messages[0] for messages in errors.values())
        raise ValidationFailed(f"Please check the card details: {named}", field_errors=errors)
    return Card(digits, month, year, cvc.strip())


class PaymentProvider:
    """The interface: every call is safe to repeat with the same idempotency key."""

    name = "abstract"

    def charge(self, amount_cents: int, card: Card, idempotency_key: str) -> ProviderResult:
        raise NotImplementedError

    def refund(self, charge_reference: str, amount_cents: int,
               idempotency_key: str) -> ProviderResult:
        raise NotImplementedError

    def lookup(self, idempotency_key: str) -> ProviderResult | None:
        """The recorded outcome of the call made with this key, or None if none reached us."""
        raise NotImplementedError


def provider_for(name: str) -> PaymentProvider:
    from cinema.booking.simulated_gateway import SimulatedCardGateway

    providers = {"simulated": SimulatedCardGateway}
    return providers[name]()
