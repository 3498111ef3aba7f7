"""Background jobs: on RQ when Redis is configured, in-process otherwise.

Jobs are plain functions of the domain packages (and ``cinema.tasks``, the periodic tick), run
inside an app context that the worker (or the in-process scheduler) provides; they never build
an app themselves. This module knows no task: the scheduler is handed its tick.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app
from rq import Queue

from cinema.extensions import get_redis

log = logging.getLogger(__name__)

PERIODIC_SECONDS = 60


def queue_name() -> str:
    return current_app.config["RQ_QUEUE"]


def queue() -> Queue | None:
    client = get_redis()
    if client is None:
        return None
    return Queue(queue_name(), connection=client)


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


def enqueue_at(when: datetime, func, *args, pipeline=None, job_id: str | None = None) -> None:
    """Run ``func`` at ``when`` (aware UTC) on RQ's scheduler; no-op without Redis. With a
    Redis ``pipeline``, the job is written when the caller executes it (and a failure is the
    caller's to handle). A ``job_id`` already scheduled is written again: one job."""
    if pipeline is not None:
        # The queue on the pipeline itself: RQ writes the job on the pipeline it is given but
        # adds it to the scheduled registry through the queue's connection (RQ 2.12).
        Queue(queue_name(), connection=pipeline).enqueue_at(
            when, func, *args, pipeline=pipeline, job_id=job_id)
        return
    q = queue()
    if q is None:
        return
    try:
        q.enqueue_at(when, func, *args, job_id=job_id)
    except Exception:  # noqa: BLE001
        log.warning("could not schedule %s", func.__name__, exc_info=True)


def start_inprocess_scheduler(app: Flask, tick: Callable[[], object]) -> threading.Thread:
    """Run ``tick`` (the periodic tasks) every minute in a daemon thread (embedded mode only)."""

    def loop():
        while True:
            with app.app_context():
                try:
                    tick()
                except Exception:  # noqa: BLE001 - keep the loop alive; it is logged
                    log.exception("periodic tick failed")
            time.sleep(PERIODIC_SECONDS)

    thread = threading.Thread(target=loop, name="cinema-periodic", daemon=True)
    thread.start()
    return thread
