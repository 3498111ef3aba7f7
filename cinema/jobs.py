"""Background jobs: on RQ when Redis is configured, in-process otherwise.

Task functions live in ``cinema.tasks`` and run inside an app context that the worker (or the
in-process scheduler) provides; they never build an app themselves.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from flask import Flask, current_app
from rq import Queue

from cinema.extensions import get_redis

log = logging.getLogger(__name__)

PERIODIC_SECONDS = 60


def queue() -> Queue | None:
    client = get_redis()
    if client is None:
        return None
    return Queue(current_app.config["RQ_QUEUE"], connection=client)


def enqueue(func, *args, **kwargs) -> None:
    """Run ``func`` in the background: on RQ, or right away when there is no Redis.

    A Redis failure is logged, never raised: every job here is a tidy-up or a delivery that the
    periodic sweep also performs, so losing an enqueue delays work but loses nothing.
    """
    q = queue()
    if q is None:
        func(*args, **kwargs)
        return
    try:
        q.enqueue(func, *args, **kwargs)
    except Exception:  # noqa: BLE001 - Redis down: the sweep catches up
        log.warning("could not enqueue %s; the periodic sweep will catch up", func.__name__,
                    exc_info=True)


def enqueue_at(when: datetime, func, *args) -> None:
    """Run ``func`` at ``when`` (aware UTC) on RQ's scheduler; no-op without Redis."""
    q = queue()
    if q is None:
        return
    try:
        q.enqueue_at(when, func, *args)
    except Exception:  # noqa: BLE001
        log.warning("could not schedule %s", func.__name__, exc_info=True)


def start_inprocess_scheduler(app: Flask) -> threading.Thread:
    """Run the periodic tasks every minute in a daemon thread (embedded mode only)."""
    from cinema import tasks

    def loop():
        while True:
            with app.app_context():
                try:
                    tasks.periodic_tick()
                except Exception:  # noqa: BLE001 - keep the loop alive; it is logged
                    log.exception("periodic tick failed")
            time.sleep(PERIODIC_SECONDS)

    thread = threading.Thread(target=loop, name="cinema-periodic", daemon=True)
    thread.start()
    return thread
