"""The settings the domain packages read, as one frozen object, instead of ``current_app.config``.

``settings()`` is the one door: domain code asks it (or takes the values as arguments) and never
reads ``current_app.config`` itself, so what a service depends on is spelled out here, typed,
in one place. create_app builds one at start, so a missing or malformed value fails then
rather than in the first request that needs it. ``settings()`` is always what the config says
now, which tests and ``flask shell`` may change at runtime: the app's config counts its changes
(``CountedConfig``), and the Settings built from it are kept until the next change (a hold asks
several times; building them is a few dozen reads each time). The cinema's time zone lives in ``cinema_timezone`` here
for pricing; the clock helpers own the local-day arithmetic.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from flask import Config, current_app


@dataclass(frozen=True)
class Settings:
    cinema_name: str
    cinema_timezone: str
    currency: str
    site_url: str
    instance_path: str
    redis_prefix: str
    # booking
    hold_seconds: int
    max_seats_per_hold: int
    seat_gap_rule: bool
    waitlist_offer_seconds: int
    cancellation_cutoff_minutes: int
    box_office_release_minutes: int
    payment_provider: str
    payment_pending_stale_seconds: int
    # pricing
    price_premium_cents: int
    price_couple_cents: int
    price_wheelchair_cents: int
    matinee_before: time
    matinee_discount_cents: int
    weekend_surcharge_cents: int
    child_ticket_max_rating: str
    # email
    mail_from: str
    mail_server: str | None
    mail_port: int
    mail_use_tls: bool
    mail_username: str | None
    mail_max_attempts: int
    reminder_hours: int
    # API tokens
    api_access_token_seconds: int
    api_refresh_token_seconds: int
    secret_key: str = field(repr=False)
    mail_password: str | None = field(repr=False)

    @classmethod
    def from_config(cls, config: Mapping, instance_path: str) -> Settings:
        """Raises KeyError or ValueError for a missing or malformed value."""
        hour, minute = (int(part) for part in config["MATINEE_BEFORE"].split(":"))
        return cls(
            cinema_name=config["CINEMA_NAME"], cinema_timezone=config["CINEMA_TIMEZONE"],
            currency=config["CURRENCY"], site_url=config["SITE_URL"],
            instance_path=instance_path, redis_prefix=config["REDIS_PREFIX"],
            hold_seconds=config["HOLD_SECONDS"], max_seats_per_hold=config["MAX_SEATS_PER_HOLD"],
            seat_gap_rule=config["SEAT_GAP_RULE"],
            waitlist_offer_seconds=config["WAITLIST_OFFER_SECONDS"],
            cancellation_cutoff_minutes=config["CANCELLATION_CUTOFF_MINUTES"],
            box_office_release_minutes=config["BOX_OFFICE_RELEASE_MINUTES"],
            payment_provider=config["PAYMENT_PROVIDER"],
            payment_pending_stale_seconds=config["PAYMENT_PENDING_STALE_SECONDS"],
            price_premium_cents=config["PRICE_PREMIUM_CENTS"],
            price_couple_cents=config["PRICE_COUPLE_CENTS"],
            price_wheelchair_cents=config["PRICE_WHEELCHAIR_CENTS"],
            matinee_before=time(hour, minute),
            matinee_discount_cents=config["MATINEE_DISCOUNT_CENTS"],
            weekend_surcharge_cents=config["WEEKEND_SURCHARGE_CENTS"],
            child_ticket_max_rating=_age_rating(config["CHILD_TICKET_MAX_RATING"]),
            mail_from=config["MAIL_FROM"], mail_server=config.get("MAIL_SERVER"),
            mail_port=config["MAIL_PORT"], mail_use_tls=config["MAIL_USE_TLS"],
            mail_username=config["MAIL_USERNAME"], mail_max_attempts=config["MAIL_MAX_ATTEMPTS"],
            reminder_hours=config["REMINDER_HOURS"],
            api_access_token_seconds=config["API_ACCESS_TOKEN_SECONDS"],
            api_refresh_token_seconds=config["API_REFRESH_TOKEN_SECONDS"],
            secret_key=config["SECRET_KEY"], mail_password=config["MAIL_PASSWORD"],
        )


# The film age ratings, youngest first (catalogue's ratings; pricing compares against them).
AGE_RATINGS = ("U", "PG", "12A", "12", "15", "18", "R18")


def _age_rating(value: str) -> str:
    if value not in AGE_RATINGS:
        raise ValueError(f"CHILD_TICKET_MAX_RATING must be one of {', '.join(AGE_RATINGS)}")
    return value


class CountedConfig(Config):
    """Flask's config, counting the changes made to it (``create_app`` gives the app this
    one), so that the Settings built from it can be kept until it changes."""

    changes = 0

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.changes += 1

    def __delitem__(self, key):
        super().__delitem__(key)
        self.changes += 1

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self.changes += 1

    def __ior__(self, other):
        self.update(other)
        return self

    def setdefault(self, key, default=None):
        if key not in self:
            self.changes += 1
        return super().setdefault(key, default)

    def pop(self, *args):
        self.changes += 1
        return super().pop(*args)

    def popitem(self):
        self.changes += 1
        return super().popitem()

    def clear(self):
        super().clear()
        self.changes += 1


_KEPT = "cinema.settings"


def settings() -> Settings:
    """The current app's settings (needs an app context)."""
    app = current_app._get_current_object()
    changes = getattr(app.config, "changes", None)  # None: a plain Config, not counted
    kept = app.extensions.get(_KEPT)
    version = (changes, app.instance_path)
    if kept is not None and changes is not None and kept[0] == version:
        return kept[1]
    built = Settings.from_config(app.config, app.instance_path)
    if changes is not None:
        app.extensions[_KEPT] = (version, built)
    return built
