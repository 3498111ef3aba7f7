"""The RQ worker with its scheduler, plus a ticker that enqueues the periodic sweep.

    python worker.py            # needs REDIS_URL (and DATABASE_URL) set

The app is built once here; jobs run inside its app context. Several workers can run on several
machines: the ticker claims each minute in Redis (SET NX), so the sweep is enqueued once per
minute in all, and every task is idempotent anyway.

The process stays up. When Redis goes away, the RQ worker in it is torn down and a new one is
started once Redis answers again (reconnecting with a capped, logged backoff). It exits:

- 0 on SIGTERM or SIGINT (a warm shutdown: a running job is finished first);
- 2 when ``REDIS_URL`` is not set;
- 3 when Redis has been unreachable for ``WORKER_MAX_DOWNTIME_SECONDS`` (0, the default, never
  gives up).

RQ's scheduler runs in a forked child. That child stops with the worker, however the worker
ends: on a clean stop the worker sends it SIGTERM; if the worker is killed outright, Linux sends
it SIGTERM (``PR_SET_PDEATHSIG``), and on other systems it notices its new parent within a
second. Either way it releases the scheduler lock, so a new worker can schedule at once.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time

import redis
from rq import Queue, SimpleWorker, Worker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler

from cinema import create_app, jobs, tasks

log = logging.getLogger("cinema.worker")

EXIT_OK = 0
EXIT_NO_REDIS_URL = 2
EXIT_REDIS_GONE = 3
RECONNECT_MAX_SECONDS = 10.0  # the backoff between attempts to reach Redis doubles up to this
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class GiveUp(SystemExit):
    """Redis has been away longer than ``WORKER_MAX_DOWNTIME_SECONDS``."""


class RedisLost(SystemExit):
    """Ends RQ's work loop when Redis goes away (RQ re-raises SystemExit untouched)."""


class Outage:
    """How long Redis has been unreachable; raises GiveUp past ``max_seconds`` (0: never)."""

    def __init__(self, max_seconds: int):
        self.max_seconds = max_seconds
        self.since: float | None = None

    def failed(self, error: Exception) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("Redis unreachable: %s", error)
        down = time.monotonic() - self.since
        if self.max_seconds and down > self.max_seconds:
            raise GiveUp(f"Redis unreachable for {down:.0f} s (WORKER_MAX_DOWNTIME_SECONDS="
                         f"{self.max_seconds}); giving up")

    def ok(self) -> None:
        if self.since is not None:
            log.warning("Redis is back after %.0f s", time.monotonic() - self.since)
            self.since = None


# --- the scheduler child ---------------------------------------------------------------------

def _die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the parent check in the loop remains
            log.warning("PR_SET_PDEATHSIG unavailable; the scheduler polls its parent instead")


class AppScheduler(RQScheduler):
    """RQ's scheduler, forked by the worker, that survives Redis outages and dies with it.

    RQ's own loop lets the first Redis error end the child, which the worker restarts only at
    its next maintenance (every ten minutes); this one retries with backoff instead.
    """

    parent_pid: int = 0

    def start(self):
        self.parent_pid = os.getpid()
        return super().start()

    def work(self):
        self._install_signal_handlers()
        _die_with_parent()
        delay, registered = 1.0, False
        while not self._stop_requested:
            if os.getppid() != self.parent_pid:  # the worker died before prctl, or no prctl
                break
            try:
                if not registered:
                    self.register_birth()  # again after an outage: a restarted Redis is empty
                    registered = True
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()
                self.enqueue_scheduled_jobs()
                delay = 1.0
                time.sleep(self.interval)
            except redis.RedisError as error:
                log.warning("scheduler: Redis unreachable (%s); retrying in %.0f s", error, delay)
                registered = False
                time.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS / 2)
        try:
            self.stop()
        except redis.RedisError:  # Redis away: the lock expires on its own
            log.warning("scheduler: could not release its lock; it expires by itself")


# --- the worker ------------------------------------------------------------------------------

class AppContextMixin:
    """Runs every job inside the app context of ``self.app`` (set on the class)."""

    app = None

    def perform_job(self, job, queue):
        with self.app.app_context():
            return super().perform_job(job, queue)


class AppWorker(AppContextMixin, Worker):
    """The production worker: forks a work horse per job, and a scheduler child.

    A Redis error seen by its heartbeat (which RQ runs before every wait for a job) ends its
    work loop with ``RedisLost``; ``run`` then waits for Redis and starts a fresh worker.
    """

    outage: Outage | None = None
    stopped_by_signal = False

    def handle_warm_shutdown_request(self):
        self.stopped_by_signal = True
        super().handle_warm_shutdown_request()

    def heartbeat(self, timeout=None, pipeline=None):
        if pipeline is not None:
            return super().heartbeat(timeout, pipeline)
        try:
            super().heartbeat(timeout)
        except redis.ConnectionError as error:
            if self.outage is not None:
                self.outage.failed(error)
            raise RedisLost() from error

    def _start_scheduler(self, burst=False, logging_level="INFO",
                         date_format=DEFAULT_LOGGING_DATE_FORMAT, log_format=DEFAULT_LOGGING_FORMAT):
        # RQ's own method with AppScheduler in place of RQScheduler; burst mode (tests) keeps
        # RQ's in-process pass.
        if burst:
            return super()._start_scheduler(burst, logging_level, date_format, log_format)
        self.scheduler = AppScheduler(
            self.queues, connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format, log_format=log_format, serializer=self.serializer)
        if self.scheduler.acquire_locks():
            self.scheduler.start()

    def teardown(self):
        # RQ's teardown talks to Redis; with Redis gone it would raise over the real reason.
        if self.scheduler:
            self.stop_scheduler()
            self.scheduler = None
        try:
            self.register_death()
        except redis.RedisError as error:
            log.info("worker teardown without Redis: %s", error)
        try:
            self.unsubscribe()
        except redis.RedisError:
            # RQ's unsubscribe stops the pubsub thread only after telling Redis; without Redis
            # that thread would go on retrying for ever next to the new worker's.
            self.pubsub_thread.stop()
            self.pubsub_thread.join(timeout=5)


class AppSimpleWorker(AppContextMixin, SimpleWorker):
    """Runs jobs in its own process (tests, and platforms without fork)."""


def worker_class(base: type, app) -> type:
    """A subclass of ``base`` (AppWorker or AppSimpleWorker) bound to ``app``."""
    return type(base.__name__, (base,), {"app": app})


def ticker(app, queue: Queue, stop: threading.Event) -> None:
    redis_client = queue.connection
    prefix = app.config["REDIS_PREFIX"]
    failing = False
    while not stop.is_set():
        minute = int(time.time() // jobs.PERIODIC_SECONDS)
        try:
            if redis_client.set(f"{prefix}:tick:{minute}", "1", nx=True,
                                ex=jobs.PERIODIC_SECONDS * 3):
                queue.enqueue(tasks.periodic_tick, job_timeout=300, result_ttl=600)
            failing = False
        except Exception:  # noqa: BLE001 - Redis briefly away: try again next round
            if not failing:  # once per outage, not every five seconds
                log.warning("ticker could not reach Redis", exc_info=True)
            failing = True
        stop.wait(5)


def worker_connection(url: str) -> redis.Redis:
    """A Redis client for the worker with no read timeout.

    The worker waits for jobs in a blocking pop of several minutes. redis-py 8 gives every
    connection a 5 s read timeout unless ``socket_timeout`` is passed (even as None), and RQ
    quits on a read timeout ("Redis connection timeout, quitting"), so an idle worker died 5 s
    after its last job. RQ then raises the timeout to just above its own blocking pop (about
    seven minutes); keepalives and health checks notice a dead connection sooner.
    """
    return redis.Redis.from_url(url, socket_timeout=None, socket_connect_timeout=5,
                                socket_keepalive=True, health_check_interval=30)


def wait_for_redis(client: redis.Redis, outage: Outage, stop: threading.Event) -> bool:
    """Ping until Redis answers (True) or a stop is requested (False); may raise GiveUp."""
    delay = 1.0
    while not stop.is_set():
        try:
            client.ping()
        except redis.RedisError as error:
            outage.failed(error)
            log.warning("waiting for Redis (%s); next try in %.0f s", error, delay)
            stop.wait(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)
        else:
            outage.ok()
            return True
    return False


def _stop_on_signals(stop: threading.Event) -> None:
    """Between two RQ workers (RQ installs its own handlers while one runs)."""
    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run(app, stop: threading.Event) -> int:
    """Run RQ workers one after another until a signal (0) or Redis is gone too long (3)."""
    client = worker_connection(app.config["REDIS_URL"])
    queue = Queue(app.config["RQ_QUEUE"], connection=client)
    outage = Outage(app.config["WORKER_MAX_DOWNTIME_SECONDS"])
    threading.Thread(target=ticker, args=(app, queue, stop), name="cinema-ticker",
                     daemon=True).start()
    bound = worker_class(AppWorker, app)
    try:
        while True:
            _stop_on_signals(stop)
            if not wait_for_redis(client, outage, stop):
                return EXIT_OK
            worker = bound([queue], connection=client)
            worker.outage = outage
            try:
                worker.work(with_scheduler=True)
            except RedisLost:
                pass
            except redis.RedisError as error:  # RQ's start-up (birth, subscribe) without Redis
                worker.teardown()
                outage.failed(error)
            if worker.stopped_by_signal or stop.is_set():
                return EXIT_OK
            log.warning("the RQ worker stopped without being asked to; starting a new one")
    except GiveUp as error:
        log.error("%s", error)
        return EXIT_REDIS_GONE
    finally:
        stop.set()


def main() -> int:
    app = create_app()
    if not app.config["REDIS_URL"]:
        print("worker.py needs REDIS_URL; without Redis, `flask serve` runs jobs in-process.",
              file=sys.stderr)
        return EXIT_NO_REDIS_URL
    return run(app, threading.Event())


if __name__ == "__main__":
    sys.exit(main())
