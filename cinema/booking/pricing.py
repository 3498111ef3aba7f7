"""Pricing: one function prices a seat of a showtime into stored line items.

A seat's price = showtime base price + seat-type adjustment + time rule adjustment - discount.
The line items are stored on each ``ReservedSeat``; every total shown anywhere is their sum.
Rules come from configuration (README, "Configuration"):
- seat type: PREMIUM and COUPLE cost more (``PRICE_PREMIUM_CENTS``, ``PRICE_COUPLE_CENTS``);
- matinee: weekday showtimes starting before ``MATINEE_BEFORE`` local time cost
  ``MATINEE_DISCOUNT_CENTS`` less;
- weekend: Saturday and Sunday showtimes cost ``WEEKEND_SURCHARGE_CENTS`` more.
A price never goes below zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from cinema.clock import cinema_tz
from cinema.models import SeatType


@dataclass(frozen=True)
class PricingRules:
    seat_type_cents: dict
    matinee_before: time
    matinee_discount_cents: int
    weekend_surcharge_cents: int
    timezone: ZoneInfo

    @classmethod
    def from_config(cls, config) -> "PricingRules":
        hour, minute = (int(part) for part in config["MATINEE_BEFORE"].split(":"))
        return cls(
            seat_type_cents={
                SeatType.REGULAR: 0,
                SeatType.PREMIUM: config["PRICE_PREMIUM_CENTS"],
                SeatType.COUPLE: config["PRICE_COUPLE_CENTS"],
                SeatType.WHEELCHAIR: config["PRICE_WHEELCHAIR_CENTS"],
            },
            matinee_before=time(hour, minute),
            matinee_discount_cents=config["MATINEE_DISCOUNT_CENTS"],
            weekend_surcharge_cents=config["WEEKEND_SURCHARGE_CENTS"],
            timezone=cinema_tz(config),
        )


@dataclass(frozen=True)
class LineItems:
    base_price_cents: int
    seat_type_adjustment_cents: int
    time_adjustment_cents: int
    time_rule: str | None
    discount_cents: int

    @property
    def price_cents(self) -> int:
        return (self.base_price_cents + self.seat_type_adjustment_cents
                + self.time_adjustment_cents - self.discount_cents)

    def as_columns(self) -> dict:
        return dict(base_price_cents=self.base_price_cents,
                    seat_type_adjustment_cents=self.seat_type_adjustment_cents,
                    time_adjustment_cents=self.time_adjustment_cents, time_rule=self.time_rule,
                    discount_cents=self.discount_cents, price_cents=self.price_cents)


def time_rule(starts_at: datetime, rules: PricingRules) -> tuple[str | None, int]:
    """The time-of-day/day rule for a start time: (name, adjustment in cents)."""
    local = starts_at.astimezone(rules.timezone)
    if local.weekday() >= 5:
        return "weekend", rules.weekend_surcharge_cents
    if local.time() < rules.matinee_before:
        return "matinee", -rules.matinee_discount_cents
    return None, 0


def price_seat(base_price_cents: int, seat_type: SeatType, starts_at: datetime,
               rules: PricingRules) -> LineItems:
    """The line items of one seat."""
    rule, adjustment = time_rule(starts_at, rules)
    type_cents = rules.seat_type_cents.get(seat_type, 0)
    subtotal = base_price_cents + type_cents + adjustment
    # Never below zero: a large matinee discount on a cheap seat stops at free.
    if subtotal < 0:
        adjustment -= subtotal
    return LineItems(base_price_cents, type_cents, adjustment, rule, 0)
