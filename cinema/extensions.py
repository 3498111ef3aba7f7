"""Extensions, created once here and bound to an app in ``create_app``."""
from __future__ import annotations

import redis
import sqlalchemy as sa
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def rate_limit_key(identity: str) -> str:
    """A rate-limit counter's key: ``identity`` under the current app's own prefix.

    Flask-Limiter keeps one storage and one key prefix per ``Limiter``, taken from the first app
    bound to it; a process that builds several apps (the test suite) would otherwise count every
    app's requests under that first app's prefix, and share counters with other runs.
    """
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX') or ''}/{identity}"


def _client_address_key() -> str:
    return rate_limit_key(get_remote_address())


limiter = Limiter(_client_address_key)


# A pooled connection unused for this long is checked before use (a restart of PostgreSQL while
# the app was quiet); a busy one is not (it was fine a moment ago).
PING_AFTER_IDLE_SECONDS = 0.25


def ping_idle_connections(engine: sa.Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS):
    """``pool_pre_ping``, but only for a connection that sat in the pool ``idle_seconds`` or
    more: a ping on every checkout costs every request a round trip. A dead connection is
    discarded and the pool tries another. A connection that died less than ``idle_seconds`` ago
    fails its request instead, and that failure invalidates the pool's older connections
    (SQLAlchemy's disconnect handling), as it did for a request in flight."""
    import time

    @sa.event.listens_for(engine, "checkin")
    def remember_idle_since(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure: this connection is not usable
            raise sa.exc.DisconnectionError(str(error)) from error


def get_redis() -> redis.Redis | None:
    """The app's Redis client, or None in the embedded (no Redis) mode."""
    return current_app.extensions.get("cinema_redis")


def init_redis(app) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["cinema_redis"] = (
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) if url else None
    )
