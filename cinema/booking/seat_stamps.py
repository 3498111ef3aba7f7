"""Seat-map version stamps: a counter per showtime in Redis, bumped on every seat change.

The stamp only lets a seat-map refresh skip re-rendering; it is never the truth. Without Redis,
or with Redis down, the version falls back to the database (see ``seatmap.version``).
"""
from __future__ import annotations

import logging

from cinema.extensions import get_redis
from cinema.settings import settings

log = logging.getLogger(__name__)


def _key(showtime_id: int) -> str:
    return f"{settings().redis_prefix}:seatmap:{showtime_id}"


def bump(showtime_id: int) -> None:
    client = get_redis()
    if client is None:
        return
    try:
        client.incr(_key(showtime_id))
    except Exception:  # noqa: BLE001 - a missed bump only costs a re-render
        log.warning("could not bump the seat-map stamp of showtime %s", showtime_id)


def current(showtime_id: int) -> str | None:
    """The stamp, or None when Redis is not configured or not reachable."""
    client = get_redis()
    if client is None:
        return None
    try:
        value = client.get(_key(showtime_id))
    except Exception:  # noqa: BLE001
        return None
    return (value or b"0").decode()
