"""Real services for the email tests: an in-process SMTP server (aiosmtpd), a private Redis
server that a test may stop and start (never the shared one), an RQ worker running in-process,
and apps configured to use them on the run's database."""
from __future__ import annotations

import email
import shutil
import socket
import subprocess
import threading
import time
import uuid
from email import policy

import redis as redis_lib
from aiosmtpd.controller import Controller
from rq import SimpleWorker

from cinema import create_app
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import ReservationStatus, utcnow
from tests.conftest import app_config
from tests.factories import gen_reservation, gen_showtime, gen_user, seats_of


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Collector:
    """aiosmtpd handler: keeps every message it accepts; refuses recipients on ``refuse`` for
    good (550) and those on ``defer`` for now (450)."""

    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.sink.refuse:
            return "550 5.1.1 No such user here"
        if address in self.sink.defer:
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        with self.sink.lock:
            self.sink.received.append((list(envelope.rcpt_tos), message))
            self.sink.peers.add(session.peer)  # one (address, port) per SMTP connection
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on a fixed port that can be stopped and started again."""

    def __init__(self):
        self.port = free_port()
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.peers: set[tuple] = set()
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    def start(self) -> "SmtpSink":
        self.controller = Controller(_Collector(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            return [message for _, message in self.received]


class PrivateRedis:
    """A throwaway ``redis-server`` on its own port, for tests that stop Redis."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis_lib.Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):  # waits for readiness; asserts nothing about how long it took
            try:
                client.ping()
                return self
            except redis_lib.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def mail_app(database_url: str, instance_path: str, *, smtp_port: int | None = None,
             redis_url: str | None = None, **overrides):
    """An app on the run's database that mails through ``smtp_port`` (or writes .eml files),
    with its own RQ queue on ``redis_url`` (or no Redis at all)."""
    queue = f"mailtest-{uuid.uuid4().hex[:8]}"
    config = app_config(database_url, redis_url or "memory://", INSTANCE_PATH=instance_path,
                        REDIS_URL=redis_url, RQ_QUEUE=queue, RATELIMIT_STORAGE_URI="memory://",
                        MAIL_SERVER="127.0.0.1" if smtp_port else None,
                        MAIL_PORT=smtp_port or 25, **overrides)
    return create_app(config)


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class AppSimpleWorker(SimpleWorker):
    """RQ's in-process worker, running each job inside ``app``'s context (as worker.py does)."""

    app = None

    def perform_job(self, job, queue):
        with self.app.app_context():
            return super().perform_job(job, queue)


def run_worker(app) -> None:
    """A real RQ worker on the app's queue, until the queue is empty."""
    from cinema import jobs

    with app.app_context():
        queue = jobs.queue()
    worker_cls = type("BoundWorker", (AppSimpleWorker,), {"app": app})
    worker_cls([queue], connection=queue.connection).work(burst=True, with_scheduler=True)


def confirmed_booking(seat_count: int = 2, **showtime_fields):
    """A held reservation confirmed, with its confirmation email, in one transaction (as the
    booking service does); returns (reservation, outbox row)."""
    patron = gen_user(full_name="Petra Patron")
    showtime = gen_showtime(**showtime_fields)
    reservation = gen_reservation(patron, showtime, seats_of(showtime.auditorium)[:seat_count],
                                  status=ReservationStatus.HELD)
    reservation.status = ReservationStatus.CONFIRMED
    reservation.confirmed_at = utcnow()
    row = notifications.booking_confirmed(reservation)
    db.session.commit()
    return reservation, row
