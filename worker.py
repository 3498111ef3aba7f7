"""The RQ worker with its scheduler, plus a ticker that enqueues the periodic sweep.

    python worker.py            # needs REDIS_URL (and DATABASE_URL) set

The app is built once here; jobs run inside its app context. Several workers can run on several
machines: the ticker claims each minute in Redis (SET NX), so the sweep is enqueued once per
minute in all, and every task is idempotent anyway.
"""
from __future__ import annotations

import logging
import sys
import threading
import time

import redis
from rq import Queue, SimpleWorker, Worker

from cinema import create_app, jobs, tasks

log = logging.getLogger("cinema.worker")


class AppContextMixin:
    """Runs every job inside the app context of ``self.app`` (set on the class)."""

    app = None

    def perform_job(self, job, queue):
        with self.app.app_context():
            return super().perform_job(job, queue)


class AppWorker(AppContextMixin, Worker):
    """The production worker: forks a work horse per job."""


class AppSimpleWorker(AppContextMixin, SimpleWorker):
    """Runs jobs in its own process (tests, and platforms without fork)."""


def worker_class(base: type, app) -> type:
    """A subclass of ``base`` (AppWorker or AppSimpleWorker) bound to ``app``."""
    return type(base.__name__, (base,), {"app": app})


def ticker(app, queue: Queue, stop: threading.Event) -> None:
    redis = queue.connection
    prefix = app.config["REDIS_PREFIX"]
    while not stop.is_set():
        minute = int(time.time() // jobs.PERIODIC_SECONDS)
        try:
            if redis.set(f"{prefix}:tick:{minute}", "1", nx=True, ex=jobs.PERIODIC_SECONDS * 3):
                queue.enqueue(tasks.periodic_tick, job_timeout=300, result_ttl=600)
        except Exception:  # noqa: BLE001 - Redis briefly away: try again next round
            log.warning("ticker could not reach Redis", exc_info=True)
        stop.wait(5)


def worker_connection(url: str) -> redis.Redis:
    """A Redis client for the worker: no read timeout. The worker waits for jobs in a blocking
    pop of several minutes; the app's client gives up on a read after 2 s (so a request never
    hangs on Redis), which made an idle worker quit with "Redis connection timeout" 2 s after
    its last job. Health checks notice a dead connection instead."""
    return redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


def main() -> int:
    app = create_app()
    if not app.config["REDIS_URL"]:
        print("worker.py needs REDIS_URL; without Redis, `flask serve` runs jobs in-process.",
              file=sys.stderr)
        return 2
    queue = Queue(app.config["RQ_QUEUE"], connection=worker_connection(app.config["REDIS_URL"]))
    stop = threading.Event()
    threading.Thread(target=ticker, args=(app, queue, stop), daemon=True).start()
    worker = worker_class(AppWorker, app)([queue], connection=queue.connection)
    try:
        worker.work(with_scheduler=True)
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
