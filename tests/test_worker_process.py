"""``python worker.py`` as a real process on a private redis-server (never the shared one):
idle well past every timeout in play, through a Redis restart, and killed with SIGKILL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis as redis_lib
from rq.scheduler import RQScheduler

from cinema.extensions import db
from cinema.messaging import notifications
from tests.mail_factories import dispose, mail_app

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture
def mail_on_private_redis(app, database_url, tmp_path, smtp, private_redis):
    """An app on the run's database, mailing through ``smtp``, queueing on ``private_redis``."""
    application = mail_app(database_url, str(tmp_path), smtp_port=smtp.port,
                           redis_url=private_redis.url)
    yield application
    dispose(application)


class WorkerProcess:
    """``python worker.py`` for ``app``'s database, queue and SMTP server; output to a file."""

    def __init__(self, app, smtp, log_path: Path):
        self.env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "REDIS_URL": app.config["REDIS_URL"], "RQ_QUEUE": app.config["RQ_QUEUE"],
                    "REDIS_PREFIX": app.config["REDIS_PREFIX"], "SECRET_KEY": "test-secret",
                    "INSTANCE_PATH": app.config["INSTANCE_PATH"], "MAIL_SERVER": "127.0.0.1",
                    "MAIL_PORT": str(smtp.port)}
        self.env.pop("CINEMA_ENV", None)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        with open(self.log_path, "ab") as log:  # a file, not a pipe nobody reads while it runs
            self.process = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def assert_alive(self) -> None:
        assert self.process.poll() is None, self.output

    def stop(self) -> int:
        """SIGTERM, as a supervisor stops it; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rpartition(")")[2].split()[:2]
            if int(ppid) == pid and state != "Z":
                found.append(int(entry.name))
    return found


def scheduler_of(client, lock: str, worker_pid: int) -> int | None:
    """The pid of the scheduler holding ``lock`` if it is ``worker_pid``'s child, else None."""
    name = client.get(lock)
    pid = name and client.hget(f"rq:scheduler:{name.decode()}", "pid")
    if pid and int(pid) in children(worker_pid):
        return int(pid)
    return None


def is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_until(condition, what: str, seconds: float = 90) -> None:
    """Poll ``condition`` until it holds; a generous bound against hanging, not a timing."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)


def send_email(app, subject: str) -> None:
    with app.app_context():
        notifications.queue_email("test", "patron@example.com", subject, "Body")
        db.session.commit()  # the quick-delivery job is enqueued after this (if Redis is up)


def subjects(smtp) -> list[str]:
    return [message["Subject"] for message in smtp.messages]


def test_worker_stays_up_idle_and_through_a_redis_restart(mail_on_private_redis, smtp,
                                                          private_redis, tmp_path):
    app = mail_on_private_redis
    worker = WorkerProcess(app, smtp, tmp_path / "worker.log").start()
    try:
        send_email(app, "first")
        wait_until(lambda: "first" in subjects(smtp), "the first email")

        time.sleep(35)  # idle: longer than redis-py's 5 s and RQ's health checks
        worker.assert_alive()
        send_email(app, "after idling")
        wait_until(lambda: "after idling" in subjects(smtp), "an email after 35 s idle")

        private_redis.stop()
        time.sleep(3)
        send_email(app, "while redis was down")  # its enqueue fails: the sweep must send it
        time.sleep(5)
        worker.assert_alive()
        private_redis.start()  # the same port, empty

        wait_until(lambda: "while redis was down" in subjects(smtp), "the sweep after Redis")
        send_email(app, "after the restart")
        wait_until(lambda: "after the restart" in subjects(smtp), "quick delivery again")
        worker.assert_alive()
    finally:
        code = worker.stop()
    assert code == 0, worker.output
    assert "Redis connection timeout" not in worker.output
    assert "Redis is back" in worker.output
    assert sorted(subjects(smtp)) == sorted(
        ["first", "after idling", "while redis was down", "after the restart"])


def test_kill_9_takes_the_scheduler_with_it_and_a_new_worker_schedules(
        mail_on_private_redis, smtp, private_redis, tmp_path):
    app = mail_on_private_redis
    client = redis_lib.Redis.from_url(private_redis.url)
    lock = RQScheduler.get_locking_key(app.config["RQ_QUEUE"])

    first = WorkerProcess(app, smtp, tmp_path / "first.log").start()
    try:
        wait_until(lambda: scheduler_of(client, lock, first.process.pid),
                   "the first worker's scheduler")
        scheduler_pid = scheduler_of(client, lock, first.process.pid)
        first.process.kill()
        first.process.wait(timeout=30)
        wait_until(lambda: not is_running(scheduler_pid), "the orphaned scheduler to stop")
        assert client.get(lock) is None  # released on its way out, not left to expire
    finally:
        if first.process.poll() is None:
            first.process.kill()

    second = WorkerProcess(app, smtp, tmp_path / "second.log").start()
    try:
        wait_until(lambda: scheduler_of(client, lock, second.process.pid),
                   "the second worker's scheduler")
        second_scheduler = scheduler_of(client, lock, second.process.pid)
    finally:
        code = second.stop()
    assert code == 0, second.output
    assert not is_running(second_scheduler)
    assert client.get(lock) is None
