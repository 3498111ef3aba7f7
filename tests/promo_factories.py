"""Factories for the promo code tests: a code, and a showtime whose seats carry no time rule."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from cinema.extensions import db
from cinema.models import PromoCode
from tests.factories import gen_auditorium, gen_movie, gen_showtime, seats_of


def gen_promo(code: str = "SAVE10", percent_off: int | None = None,
              amount_off_cents: int | None = None, **fields) -> PromoCode:
    """A promo code (10 % off unless an amount is given), written directly."""
    if percent_off is None and amount_off_cents is None:
        percent_off = 10
    promo = PromoCode(code=code, percent_off=percent_off, amount_off_cents=amount_off_cents,
                      **fields)
    db.session.add(promo)
    db.session.commit()
    return promo


def weekday_evening(zone: str = "Europe/London") -> datetime:
    """19:00 local on a Wednesday at least three days ahead, in UTC: no matinee discount and
    no weekend surcharge, so a seat costs its base price (plus its seat type)."""
    tz = ZoneInfo(zone)
    day = (datetime.now(tz) + timedelta(days=3)).date()
    day += timedelta(days=(2 - day.weekday()) % 7)
    return datetime.combine(day, time(19, 0), tzinfo=tz).astimezone(timezone.utc)


def evening_showtime(base_price_cents: int = 1250, **layout):
    """(showtime, seats): a weekday evening showtime in a fresh 3 x 4 auditorium."""
    auditorium = gen_auditorium(**layout)
    showtime = gen_showtime(movie=gen_movie(), auditorium=auditorium,
                            starts_at=weekday_evening(), base_price_cents=base_price_cents)
    return showtime, seats_of(auditorium)
