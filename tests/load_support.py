"""Real processes and real HTTP for the race test (tests/test_race.py) and the hold benchmark
(bench/holds.py): gunicorn servers, patrons with their own cookie jar, databases of their own,
and the one double-booking check both use.

Only the standard library speaks HTTP here (``http.client``), one connection per request:
gunicorn closes idle keep-alive connections after 2 s, and a POST must never be re-sent on a
connection the server has just closed.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent  # .venv/bin when run by the venv's python
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# Lines of a gunicorn (or app) log that mean something went wrong while serving.
LOG_PROBLEMS = re.compile(r"Traceback|\[ERROR\]|\[CRITICAL\]| ERROR | CRITICAL |WORKER TIMEOUT|"
                          r"deadlock", re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plain_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://...`` -> ``postgresql://...`` (what psycopg and libpq read)."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


# --- databases -------------------------------------------------------------------------------

def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server; returns its plain URL."""
    with psycopg.connect(f"{plain_url(server_url)}/postgres", autocommit=True,
                         connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{plain_url(server_url)}/{name}"


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(f"{plain_url(server_url)}/postgres", autocommit=True,
                         connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(database_url: str) -> None:
    """Run the real Alembic migrations against ``database_url``, as a deployment does."""
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=REPO_ROOT,
                   env=env, check=True, capture_output=True, timeout=120)


def double_booked_seats(database_url: str, showtime_id: int) -> dict[int, list[int]]:
    """Seats of a showtime claimed by more than one live reservation: {seat_id: [reservation
    ids]}. Empty means the invariant holds. "Live" is the app's own rule (seatmap.active_claims):
    confirmed or admitted, or held and not yet expired."""
    with psycopg.connect(plain_url(database_url)) as conn:
        rows = conn.execute("""
            SELECT rs.seat_id, array_agg(r.id ORDER BY r.id)
            FROM reserved_seats rs JOIN reservations r ON r.id = rs.reservation_id
            WHERE rs.showtime_id = %s AND rs.is_active
              AND (r.status IN ('CONFIRMED', 'COMPLETED')
                   OR (r.status = 'HELD' AND r.hold_expires_at > now()))
            GROUP BY rs.seat_id HAVING count(*) > 1
        """, (showtime_id,)).fetchall()
    return {seat_id: ids for seat_id, ids in rows}


def clear_rq_queue(redis_url: str, queue_name: str) -> None:
    """Delete the RQ jobs a run scheduled (each hold schedules its own expiry)."""
    import redis
    from rq import Queue
    from rq.exceptions import NoSuchJobError

    connection = redis.Redis.from_url(redis_url)
    queue = Queue(queue_name, connection=connection)
    registry = queue.scheduled_job_registry
    for job_id in registry.get_job_ids():
        try:
            registry.remove(job_id, delete_job=True)
        except NoSuchJobError:  # its hash expired or went meanwhile: only the entry is left
            registry.remove(job_id)
    queue.delete(delete_jobs=True)
    connection.close()


# --- gunicorn --------------------------------------------------------------------------------

class GunicornServer:
    """One gunicorn instance (its own master and workers) on a free port, logging to a file."""

    def __init__(self, app_spec: str, env: dict, log_path: Path, workers: int = 2,
                 threads: int = 8, cwd: Path = REPO_ROOT, worker_class: str = "gthread",
                 extra_args: tuple[str, ...] = ()):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        gunicorn = VENV_BIN / "gunicorn"
        if not gunicorn.exists():
            raise RuntimeError(f"gunicorn is not installed at {gunicorn}: run `make install`")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(gunicorn), "--no-control-socket", "-w", str(workers), "-k", worker_class,
             *(["--threads", str(threads)] if worker_class == "gthread" else []),
             "-b", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5",
             *extra_args, app_spec],
            cwd=cwd, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group, so stop() reaches the workers

    def wait_ready(self, path: str = "/healthz", timeout: float = 60) -> None:
        """Block until ``path`` answers 200; raise with the log if the server dies or hangs."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n"
                                   f"{self.log_text()}")
            try:
                response = http_request(self.base_url, "GET", path, timeout=5)
                if response.status == 200:
                    return
                last = f"{response.status} {response.text[:200]}"
            except OSError as error:
                last = repr(error)
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer {path} with 200 within {timeout} s "
                           f"(last: {last}):\n{self.log_text()}")

    def worker_pids(self) -> list[int]:
        """The pids of the master's worker processes (its children), from /proc."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                children.append(int(entry.name))
        return children

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_problems(self) -> list[str]:
        return [line for line in self.log_text().splitlines() if LOG_PROBLEMS.search(line)]

    def stop(self) -> None:
        """SIGTERM the master (it stops its workers); SIGKILL the group if that hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


def kill_when_marked(script: str, args: list[str], marker: Path, env: dict,
                     what: str, timeout: float = 120) -> None:
    """Run ``python -c script *args`` and SIGKILL it as soon as it writes ``marker`` (the script
    patches the step after the one under test to write the marker and stall): the crash lands
    exactly where the test wants it."""
    process = subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO_ROOT,
                               env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def start_servers(count: int, app_spec: str, env: dict, log_dir: Path, **options
                  ) -> list[GunicornServer]:
    """Start ``count`` instances, then wait until each answers. If one cannot start, every
    instance already started is stopped and the error is raised."""
    servers: list[GunicornServer] = []
    try:
        for n in range(count):
            servers.append(GunicornServer(app_spec, env, Path(log_dir) / f"gunicorn-{n}.log",
                                          **options))
        for server in servers:
            server.wait_ready()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


# --- HTTP ------------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    set_cookies: list[str] = field(default_factory=list)

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def http_request(base_url: str, method: str, path: str, body: bytes | None = None,
                 headers: dict | None = None, timeout: float = 60) -> Response:
    """One request on a fresh connection; redirects are not followed."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        raw = conn.getresponse()
        payload = raw.read()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, payload,
                        raw.headers.get_all("Set-Cookie") or [])
    finally:
        conn.close()


class Patron:
    """A browser-like HTTP client: its own cookie jar, the CSRF token read from the page."""

    def __init__(self, base_url: str, email: str, password: str):
        self.base_url, self.email, self.password = base_url, email, password
        self.cookies: dict[str, str] = {}
        self.csrf_token: str | None = None

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None, timeout: float = 60) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = http_request(self.base_url, method, path, body, headers, timeout)
        for header in response.set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def read_csrf_token(self, path: str) -> str:
        """GET a page and keep the token of its ``<meta name="csrf-token">``."""
        page = self.request("GET", path)
        match = CSRF_META.search(page.text)
        if page.status != 200 or match is None:
            raise AssertionError(f"GET {path} as {self.email}: {page.status}, no CSRF token")
        self.csrf_token = match.group(1)
        return self.csrf_token

    def sign_in(self, then_visit: str = "/") -> None:
        """Sign in through the login form, then read a fresh CSRF token from ``then_visit``
        (signing in starts a new session, and with it a new token)."""
        self.read_csrf_token("/auth/login")
        response = self.request("POST", "/auth/login", form={
            "csrf_token": self.csrf_token, "email": self.email, "password": self.password})
        if response.status != 303:
            raise AssertionError(f"sign in as {self.email}: {response.status} {response.text}")
        self.read_csrf_token(then_visit)

    def hold(self, showtime_id: int, seat_ids: list[int], timeout: float = 60) -> Response:
        """POST /bookings/hold as the seat map's form does, asking for JSON errors."""
        return self.request("POST", "/bookings/hold", form={
            "csrf_token": self.csrf_token, "showtime_id": showtime_id, "seat_ids": seat_ids,
        }, headers={"Accept": "application/json"}, timeout=timeout)


# --- running many clients at once ------------------------------------------------------------

@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None
    seconds: float = 0.0


def run_together(tasks: list[Callable[[], object]], timeout: float = 120) -> list[Outcome]:
    """Run each task in its own thread, all released at once by a barrier; the outcomes in
    task order. Raises TimeoutError if some task has not finished within ``timeout``."""
    barrier = threading.Barrier(len(tasks))
    outcomes = [Outcome() for _ in tasks]

    def run(task, outcome):
        barrier.wait()
        started = time.perf_counter()
        try:
            outcome.value = task()
        except BaseException as error:  # noqa: BLE001 - reported to the caller
            outcome.error = error
        outcome.seconds = time.perf_counter() - started

    threads = [threading.Thread(target=run, args=(task, outcome), daemon=True)
               for task, outcome in zip(tasks, outcomes, strict=True)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        raise TimeoutError(f"{stuck} of {len(tasks)} requests still running after {timeout} s")
    return outcomes


def sign_in_all(patrons: list[Patron], then_visit: str, concurrency: int = 4) -> None:
    """Sign every patron in, a few at a time (each login verifies an argon2 hash: ~0.1 s and
    64 MiB of memory)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda patron: patron.sign_in(then_visit), patrons))
