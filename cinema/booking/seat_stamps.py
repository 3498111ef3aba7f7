"""Seat-map version stamps: a counter per showtime in Redis, bumped on every seat change, and
beside it the last version computed from the database, so an unchanged poll needs only Redis.

The stamp only lets a seat-map refresh skip re-rendering; it is never the truth. Without Redis,
or with Redis down, the version falls back to the database (see ``seatmap.version``).

The remembered version (``remember``/``recall``) holds the part of a seat map's version that
comes from the database (the next moment a live hold expires, the seats' last change, the
showtime's cancellation), under the stamp it was computed with and until a moment it stops
holding: the next hold expiry, the showtime's start, or ``REMEMBER_SECONDS`` at most (the
ceiling for a change nothing stamps, such as a factory's insert in a test, or a showtime
deleted meanwhile). A bump of the stamp makes it stale at once.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from cinema.extensions import get_redis
from cinema.settings import settings

log = logging.getLogger(__name__)

REMEMBER_SECONDS = 60


def _key(showtime_id: int) -> str:
    return f"{settings().redis_prefix}:seatmap:{showtime_id}"


def _memo_key(showtime_id: int) -> str:
    return f"{settings().redis_prefix}:seatmap-version:{showtime_id}"


def bump(showtime_id: int, pipeline=None) -> None:
    """Mark the showtime's seats changed; on ``pipeline`` if given (the caller executes it)."""
    if pipeline is not None:
        pipeline.incr(_key(showtime_id))
        return
    bump_many([showtime_id])


def bump_many(showtime_ids) -> None:
    """Bump several showtimes in one round trip (a layout edit touches every showtime of the
    auditorium)."""
    client = get_redis()
    if client is None or not showtime_ids:
        return
    try:
        with client.pipeline(transaction=False) as pipe:
            for showtime_id in showtime_ids:
                pipe.incr(_key(showtime_id))
            pipe.execute()
    except Exception:  # noqa: BLE001 - a missed bump only costs a re-render
        log.warning("could not bump the seat-map stamps of showtimes %s", list(showtime_ids))


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


def remember(showtime_id: int, stamp: str, database_part: str, until: datetime,
             now: datetime) -> None:
    """Keep ``database_part`` of the version, computed under ``stamp``, until ``until`` (capped
    at REMEMBER_SECONDS from ``now``)."""
    client = get_redis()
    if client is None:
        return
    seconds = min(REMEMBER_SECONDS, (until - now).total_seconds())
    if seconds < 1:
        return
    try:
        client.set(_memo_key(showtime_id), f"{stamp}\n{until.timestamp()}\n{database_part}",
                   ex=int(seconds))
    except Exception:  # noqa: BLE001 - only a cache
        log.warning("could not remember the seat-map version of showtime %s", showtime_id)


def recall(showtime_id: int, now: datetime) -> tuple[str, str] | None:
    """(stamp, database part) of the version if the remembered one still holds, in one round
    trip; None when there is none, the stamp moved, its moment passed, or Redis is away."""
    client = get_redis()
    if client is None:
        return None
    try:
        stamp, memo = client.mget(_key(showtime_id), _memo_key(showtime_id))
    except Exception:  # noqa: BLE001
        return None
    if memo is None:
        return None
    stamp = (stamp or b"0").decode()
    remembered_stamp, until, database_part = memo.decode().split("\n", 2)
    if remembered_stamp != stamp or now >= datetime.fromtimestamp(float(until), timezone.utc):
        return None
    return stamp, database_part
