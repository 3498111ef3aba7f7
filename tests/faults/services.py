"""Private services for the fault suite, never the machine's shared ones: a PostgreSQL cluster
of its own (initdb/pg_ctl as user postgres, on a free port) that can be restarted, the email
tests' private redis-server and aiosmtpd sink, gunicorn serving ``wsgi:app``, and
``python worker.py``, all pointed at one another through the environment.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from tests.load_support import REPO_ROOT, GunicornServer, free_port
from tests.mail_factories import PrivateRedis, SmtpSink

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "cinema_faults"
REDIS_PREFIX = "faults"
RQ_QUEUE = f"{REDIS_PREFIX}-default"


class PrivatePostgres:
    """A throwaway PostgreSQL 15 cluster in a ``mktemp -d`` folder owned by user postgres
    (PostgreSQL refuses to run as root), listening on 127.0.0.1 and a free port."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="cinema-faults-pg-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.server_url}/{DATABASE}"

    def _pg(self, *args: str, timeout: float = 120) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                       capture_output=True, timeout=timeout, cwd=self.root)

    def _ctl(self, action: str, *args: str) -> None:
        # fsync off: the cluster lives for one test run; a crash of the machine loses nothing.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                 "-o", options, "-w", *args, action)

    def start(self) -> "PrivatePostgres":
        if not self.data.exists():
            self._pg(str(PG_BIN / "initdb"), "-D", str(self.data), "--auth=trust",
                     "-U", "postgres", "--no-sync")
        self._ctl("start")
        return self

    def create_database(self) -> str:
        """Create the app's (empty) database; its URL."""
        with psycopg.connect(f"{self.server_url}/postgres", autocommit=True,
                             connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        return self.url

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, then the server is back."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate")

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class WorkerProcess:
    """``python worker.py`` as a deployment runs it, output to a log file."""

    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path = env, log_path
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def ensure_running(self) -> None:
        """Start it, or start it again if it has exited (counted in ``starts``)."""
        if self.process is not None and self.process.poll() is None:
            return
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "worker.py"], cwd=REPO_ROOT,
                                        env={**os.environ, **self.env}, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM its process group (the worker and its scheduler); SIGKILL if it hangs."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # a scheduler child left behind
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


class Stack:
    """Everything the scenarios run against, started once for the whole fault suite."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.postgres = PrivatePostgres()
        self.redis = PrivateRedis()
        self.smtp = SmtpSink()
        self.database_url = self.postgres.url
        self.env = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "REDIS_PREFIX": REDIS_PREFIX,
            "RQ_QUEUE": RQ_QUEUE,
            "SECRET_KEY": "fault-suite-secret",
            "CINEMA_ENV": "development",
            "INSTANCE_PATH": str(folder / "instance"),
            "SITE_URL": "http://cinema.test",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp.port),
            "RATELIMIT_LOGIN": "1000 per minute",
            "RATELIMIT_SIGNUP": "1000 per minute",
            "SEAT_GAP_RULE": "off",  # faults are the subject here, not seat gaps
        }
        self.gunicorn: GunicornServer | None = None
        self.worker = WorkerProcess(self.env, folder / "worker.log")

    def start(self) -> "Stack":
        """Start the services and create the database (``close`` stops whatever started)."""
        self.postgres.start()
        self.redis.start()
        self.smtp.start()
        self.postgres.create_database()
        return self

    def ensure_running(self) -> None:
        """gunicorn (2 sync workers) and the worker up; either is started again if it died.

        ``--preload``: the master imports the app once and forks each worker from it, so a
        killed worker is replaced in moments rather than after a fresh import of the app."""
        if self.gunicorn is None or self.gunicorn.process.poll() is not None:
            self.gunicorn = GunicornServer("wsgi:app", self.env, self.folder / "gunicorn.log",
                                           workers=2, worker_class="sync",
                                           extra_args=("--preload",))
            self.gunicorn.wait_ready()
        self.worker.ensure_running()

    def kill_gunicorn_workers(self) -> list[int]:
        """SIGKILL every gunicorn worker (with sync workers, whichever is serving a confirm
        dies in the middle of it); the master replaces them. Their pids."""
        killed = []
        for pid in self.gunicorn.worker_pids():
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass  # exited meanwhile
        return killed

    def wait_gunicorn_workers(self, count: int = 2, timeout: float = 30) -> None:
        """Until the master has ``count`` workers again (it replaces a killed one)."""
        deadline = time.monotonic() + timeout
        while len(self.gunicorn.worker_pids()) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    def close(self) -> None:
        for stop in (lambda: self.gunicorn and self.gunicorn.stop(), self.worker.stop,
                     self.smtp.stop, self.redis.stop, self.postgres.remove):
            try:
                stop()
            except Exception as error:  # noqa: BLE001 - tidy up the rest whatever happens
                print(f"fault suite: could not stop a service: {error!r}", file=sys.stderr)
