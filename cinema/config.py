"""Configuration read from the environment.

Every setting is documented in README.md ("Configuration"). Nothing configured means the
zero-setup development mode: SQLite in ``instance/``, no Redis, background jobs in-process.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Where `make run` serves by default; the SITE_URL of development and tests.
DEVELOPMENT_SITE_URL = "http://127.0.0.1:5000"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _database_url(url: str) -> str:
    # Heroku-style and plain postgres URLs both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings for one app instance; ``from_env()`` reads them from the environment."""

    def __init__(self, **overrides):
        env = os.environ.get("CINEMA_ENV", "development")
        self.ENV = env
        self.INSTANCE_PATH = os.environ.get("INSTANCE_PATH", str(BASE_DIR / "instance"))
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or (
            "dev-only-insecure-secret" if env != "production" else None
        )
        self.SQLALCHEMY_DATABASE_URI = _database_url(
            os.environ.get("DATABASE_URL")
            or "sqlite:///" + str(Path(self.INSTANCE_PATH) / "cinema.sqlite3")
        )
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        # Keys in Redis (rate limits, seat-map stamps, the RQ queue) share this prefix so two
        # installations, or two test runs, can use one Redis server without meeting.
        self.REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "cinema")
        self.RQ_QUEUE = os.environ.get("RQ_QUEUE", f"{self.REDIS_PREFIX}-default")
        # worker.py reconnects while Redis is away; after this many seconds without it, it exits
        # non-zero for its supervisor to notice (0: it never gives up).
        self.WORKER_MAX_DOWNTIME_SECONDS = _int("WORKER_MAX_DOWNTIME_SECONDS", 0)

        self.ADMIN_SIGNUP_SECRET = os.environ.get("ADMIN_SIGNUP_SECRET") or None
        self.CINEMA_NAME = os.environ.get("CINEMA_NAME", "Lumen Cinema")
        self.CINEMA_TIMEZONE = os.environ.get("CINEMA_TIMEZONE", "Europe/London")
        self.CURRENCY = os.environ.get("CURRENCY", "GBP")
        self.HOLD_SECONDS = _int("HOLD_SECONDS", 600)
        self.WAITLIST_OFFER_SECONDS = _int("WAITLIST_OFFER_SECONDS", 1800)
        self.MAX_SEATS_PER_HOLD = _int("MAX_SEATS_PER_HOLD", 10)
        # on: a hold may not leave a single free seat stranded in a row (SINGLE_SEAT_GAP, 422);
        # the box office may still skip it sale by sale.
        self.SEAT_GAP_RULE = _bool("SEAT_GAP_RULE", True)
        self.CLEANING_BUFFER_MINUTES = _int("CLEANING_BUFFER_MINUTES", 15)
        self.CANCELLATION_CUTOFF_MINUTES = _int("CANCELLATION_CUTOFF_MINUTES", 60)
        # "Pay at the box office" bookings still unpaid this long before the start are released.
        self.BOX_OFFICE_RELEASE_MINUTES = _int("BOX_OFFICE_RELEASE_MINUTES", 30)
        # Pricing rules (cents), applied per seat on top of the showtime's base price.
        self.PRICE_PREMIUM_CENTS = _int("PRICE_PREMIUM_CENTS", 300)
        self.PRICE_COUPLE_CENTS = _int("PRICE_COUPLE_CENTS", 400)
        self.PRICE_WHEELCHAIR_CENTS = _int("PRICE_WHEELCHAIR_CENTS", 0)
        self.MATINEE_BEFORE = os.environ.get("MATINEE_BEFORE", "17:00")  # local time, weekdays
        self.MATINEE_DISCOUNT_CENTS = _int("MATINEE_DISCOUNT_CENTS", 200)
        self.WEEKEND_SURCHARGE_CENTS = _int("WEEKEND_SURCHARGE_CENTS", 150)
        # Ticket types marked age-restricted (Child) are not sold for films rated this or above.
        self.CHILD_TICKET_MAX_RATING = os.environ.get("CHILD_TICKET_MAX_RATING", "15")
        self.PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "simulated")
        # A PENDING charge untouched this long is taken to be orphaned (its process died): a
        # reload of the booking page resumes it with the same provider key.
        self.PAYMENT_PENDING_STALE_SECONDS = _int("PAYMENT_PENDING_STALE_SECONDS", 15)
        # JSON API tokens (/api/v1): short-lived signed access tokens, long-lived opaque
        # refresh tokens rotated on every use.
        self.API_ACCESS_TOKEN_SECONDS = _int("API_ACCESS_TOKEN_SECONDS", 900)
        self.API_REFRESH_TOKEN_SECONDS = _int("API_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600)

        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "5 per minute")
        self.RATELIMIT_SIGNUP = os.environ.get("RATELIMIT_SIGNUP", "5 per minute")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_KEY_PREFIX = self.REDIS_PREFIX
        # If Redis goes away the limits keep working per process, in memory, instead of
        # failing every login: a weaker limit beats an outage of the sign-in page.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_HEADERS_ENABLED = True

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "Lumen Cinema <tickets@lumen.example>")
        self.MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 8)
        self.REMINDER_HOURS = _int("REMINDER_HOURS", 3)
        # The public address every link in an email is built from, never the request's Host
        # header (anyone can send any Host). Required in production (create_app refuses to
        # start without it); development falls back to the `make run` address.
        self.SITE_URL = os.environ.get("SITE_URL") or (
            None if env == "production" else DEVELOPMENT_SITE_URL)

        self.WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", env == "production")
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.PREFERRED_URL_SCHEME = "https" if env == "production" else "http"
        # Request bodies: 5 MB in all (a poster upload), and of a form's text fields at most
        # 500 kB in memory and 1,000 parts. Over any of them the answer is 413, also for a
        # chunked body that declares no length (Flask 3.1 checks all three while parsing).
        self.MAX_CONTENT_LENGTH = 5 * 1024 * 1024
        self.MAX_FORM_MEMORY_SIZE = 500 * 1024
        self.MAX_FORM_PARTS = 1000
        # Behind a load balancer: how many proxies set X-Forwarded-For/-Proto in front of the
        # app. 0 trusts none (the client address is the socket's).
        self.PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)
        self.TESTING = False
        # No pool_pre_ping: a ping on every checkout is one more round trip per request.
        # extensions.ping_idle_connections pings only a connection that sat idle in the pool.
        # The pool keeps as many PostgreSQL connections as a process serves requests at once
        # (gunicorn's threads): SQLAlchemy's default keeps 5, so with 8 threads the others were
        # opened and closed again request after request (a new server process each time).
        # Decided after the overrides, which may name another database.
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        for key, value in overrides.items():
            setattr(self, key, value)
        if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides and \
                self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": _int("DATABASE_POOL_SIZE", 10),
                                              "max_overflow": 10}

    @property
    def uses_redis(self) -> bool:
        return bool(self.REDIS_URL)

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
