"""Holds and seat maps over real HTTP, read against this machine's own limits in the same run.

Run by `make bench` (never by `make test`). It creates a database of its own (dropped at the
end), migrates it, seeds a 20 x 30 auditorium with showtimes and 200 patrons, and measures, with
one client (Python threads, one connection per request) and one gunicorn setting (2 gthread
workers x 8 threads):

- the limits: a hello-world WSGI app; the lean reference (``bench/support/lean_reference.py``:
  Flask and SQLAlchemy Core on the same schema, no ORM, session, CSRF or Redis) making the same
  holds (twice: before the app's holds and right after them, so that both sides of the ratio
  see the box in the same state), rendering the same seat-map partial and taking the same
  hot-seat storms (on showtimes of its own); pgbench running the hold's own SQL on 8
  connections;
- the app (rate limits off, CSRF on, Redis on): (a) holds on distinct seats, 32 patrons each
  holding 2 of its own 18 seats again and again (each hold replaces the patron's previous one);
  (a) again with 16 patrons (16 connections, where issue 17 sets its latency target); (b) a
  hot-seat storm, 200 patrons released by a barrier onto one seat, three times; the seat
  map rendered in full; the unchanged seat-map poll (``?v=``, answered 204); confirming a hold
  with the simulated card (the hold before each confirm is not timed);

and prints one table: rate, latency percentiles, unexpected answers, the double-booking
invariant, and each rate as a ratio to the lean reference's (the storms' to its storms') and
to hello-world. Nothing asserts on speed: the figures are for reading (docs/PERFORMANCE.md).

Environment: BENCH_PG_SERVER_URL (default postgresql://postgres@127.0.0.1:5432),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/0), BENCH_SECONDS (default 12, per timed phase),
BENCH_APP_DIR (default: this checkout; the app served for the "app" rows, so that a "before"
copy can be measured with the same harness).
"""
from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.factories import PASSWORD  # noqa: E402
from tests.load_support import (  # noqa: E402
    GunicornServer,
    Patron,
    clear_rq_queue,
    create_database,
    double_booked_seats,
    drop_database,
    http_request,
    migrate,
    run_together,
    sign_in_all,
    start_servers,
)

PG_SERVER_URL = os.environ.get("BENCH_PG_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECONDS = float(os.environ.get("BENCH_SECONDS", "12"))
APP_DIR = Path(os.environ.get("BENCH_APP_DIR", str(REPO_ROOT))).resolve()
WARMUP_SECONDS = 2
ROWS, SEATS_PER_ROW = 20, 30
DISTINCT_CLIENTS = 32
HOLD_TARGET_CLIENTS = 16  # issue 17's latency target for holds is at 16 connections
SEATS_PER_CLIENT = ROWS * SEATS_PER_ROW // DISTINCT_CLIENTS // 2 * 2  # 18: nine pairs each
STORM_CLIENTS, STORMS = 200, 3
CONFIRM_SHOWTIMES = 12  # each confirm sells 2 seats for good: 9 pairs per client per showtime
WORKERS, THREADS = 2, 8
PGBENCH_CLIENTS, PGBENCH_SECONDS = 8, 10
APPROVE = {"payment_method": "card", "card_number": "4242 4242 4242 4242",
           "card_expiry": "12/34", "card_cvc": "123"}
HELLO_APP = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]
'''
ETAG = re.compile(r'W/"([^"]+)"')


# --- setup -----------------------------------------------------------------------------------

def seed(database_url: str, instance: Path) -> dict:
    """Auditorium, showtimes (app holds, one per storm, lean holds, confirms) and the patrons;
    plain ids back."""
    from cinema import create_app
    from cinema.extensions import db
    from tests.factories import gen_auditorium, gen_movie, gen_showtime, gen_user, seats_of

    app = create_app(dict(SQLALCHEMY_DATABASE_URI=database_url.replace(
                              "postgresql://", "postgresql+psycopg://", 1), REDIS_URL=None,
                          SECRET_KEY="bench-seed", INSTANCE_PATH=str(instance)))
    with app.app_context():
        auditorium = gen_auditorium(rows=ROWS, seats_per_row=SEATS_PER_ROW)
        movie = gen_movie()
        first = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
        showtimes = [gen_showtime(movie=movie, auditorium=auditorium,
                                  starts_at=first + timedelta(hours=4 * n))
                     for n in range(2 + 2 * STORMS + CONFIRM_SHOWTIMES)]
        users = [gen_user() for _ in range(STORM_CLIENTS)]
        seat_ids = sorted(seat.id for seat in seats_of(auditorium))
        user_ids = [user.id for user in users]
        ids = [s.id for s in showtimes]
        setup = dict(showtime_id=ids[0], storm_showtime_ids=ids[1:1 + STORMS],
                     lean_showtime_id=ids[1 + STORMS],
                     lean_storm_showtime_ids=ids[2 + STORMS:2 + 2 * STORMS],
                     confirm_showtime_ids=ids[2 + 2 * STORMS:],
                     auditorium_id=auditorium.id, seat_ids=seat_ids, user_ids=user_ids,
                     emails=[user.email for user in users])
        db.session.remove()
        db.engine.dispose()
    # Statistics of the seeded tables, as a database in use has them: without, the plans
    # PostgreSQL first caches for the prepared statements are made for empty tables (a scan of
    # the auditorium's 600 seats to find two by id), until autovacuum analyses them, a minute or
    # so later. (The tables the holds fill are left to autovacuum: statistics of them empty
    # would plan scans of what soon holds thousands of rows.)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("ANALYZE auditoriums, seats, movies, showtimes, users")
    # pgbench addresses seats and patrons by arithmetic on the first id.
    assert seat_ids == list(range(seat_ids[0], seat_ids[0] + len(seat_ids)))
    assert user_ids == list(range(user_ids[0], user_ids[0] + len(user_ids)))
    return setup


def app_env(database_url: str, prefix: str, instance: Path) -> dict:
    return {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix,
            "RQ_QUEUE": f"{prefix}-default", "SECRET_KEY": "bench-secret",
            "RATELIMIT_ENABLED": "0", "CINEMA_ENV": "development",
            "INSTANCE_PATH": str(instance)}


def own_pairs(setup: dict, n: int) -> list[list[int]]:
    """Client ``n``'s nine pairs of seats."""
    own = setup["seat_ids"][n * SEATS_PER_CLIENT:(n + 1) * SEATS_PER_CLIENT]
    return [own[i:i + 2] for i in range(0, len(own), 2)]


# --- measuring -------------------------------------------------------------------------------

class Run:
    """Latencies and statuses of a phase, with its wall time and the client's own CPU time."""

    def __init__(self, expected=(200,)):
        self.expected = set(expected)
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.wall = self.client_cpu = 0.0

    def record(self, status, seconds: float) -> None:
        self.statuses[status] += 1
        self.latencies.append(seconds)

    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status not in self.expected)

    def percentiles(self) -> str:
        if len(self.latencies) < 2:
            return "-"
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return " / ".join(f"{cuts[p - 1] * 1000:.0f}" for p in (50, 95, 99))


def call(request):
    """A request's status, or the exception's name if it never got an answer. A request may
    return (status, seconds) itself when only part of it is to be timed."""
    began = time.perf_counter()
    try:
        answer = request()
    except Exception as error:  # noqa: BLE001 - counted, never hidden
        return type(error).__name__, time.perf_counter() - began
    if isinstance(answer, tuple):
        return answer
    return answer.status, time.perf_counter() - began


def sustained(requests: list, seconds: float, expected=(200,),
              warmup: float = WARMUP_SECONDS) -> Run:
    """Each callable of ``requests`` in its own thread, back to back, for ``seconds`` after a
    warm-up that is not counted."""
    run = Run(expected)
    lock = threading.Lock()
    start = time.perf_counter() + warmup
    stop = start + seconds

    def loop(request):
        while True:
            began = time.perf_counter()
            if began >= stop:
                return
            status, took = call(request)
            ended = time.perf_counter()
            if began >= start and ended <= stop:
                with lock:
                    run.record(status, took)

    threads = [threading.Thread(target=loop, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, start - time.perf_counter()))
    cpu = time.process_time()
    for thread in threads:
        thread.join()
    run.client_cpu = time.process_time() - cpu
    run.wall = seconds
    return run


def storm(patrons: list[Patron], showtime_id: int, seat_id: int) -> Run:
    """Every patron at once onto one seat."""
    return storm_of([lambda p=p: p.hold(showtime_id, [seat_id]) for p in patrons])


def storm_of(requests: list) -> Run:
    """Each request in its own thread, all released at once by a barrier."""
    run = Run((303, 409))
    cpu, began = time.process_time(), time.perf_counter()
    outcomes = run_together([lambda r=r: call(r) for r in requests], timeout=120)
    run.wall = time.perf_counter() - began
    run.client_cpu = time.process_time() - cpu
    for outcome in outcomes:
        status, _ = outcome.value
        run.record(status, outcome.seconds)
    return run


def storms(showtime_ids: list[int], setup: dict, one_storm) -> tuple[Run, bool, list[int]]:
    """``one_storm(showtime_id, seat_id)`` on each showtime (a seat of its own each time): the
    runs together, the double-booking invariant and the number of winners of each storm."""
    total, ok, winners = Run((303, 409)), True, []
    for n, showtime_id in enumerate(showtime_ids):
        one = one_storm(showtime_id, setup["seat_ids"][n * SEATS_PER_ROW])
        total.latencies += one.latencies
        total.statuses.update(one.statuses)
        total.wall += one.wall
        total.client_cpu += one.client_cpu
        winners.append(one.statuses[303])
        ok &= double_booked_seats(setup["database_url"], showtime_id) == {}
    return total, ok, winners


def pgbench_script() -> str:
    """What POST /bookings/hold sends for 2 seats, generated from cinema/booking/holds.py so it
    cannot drift: the user loader's SELECT, the retire-and-read statement, the insert, COMMIT.
    Each client holds the next pair of its own 18 seats, replacing its previous hold."""
    from cinema.booking.hold_sql import INSERT_HOLD, RETIRE_AND_READ

    def pg(statement, values: dict) -> str:
        text = statement.element.text  # a TextualSelect: the SQL text and its columns
        for name, value in sorted(values.items(), key=lambda item: -len(item[0])):
            text = text.replace(f":{name}", value)
        return " ".join(text.split()) + ";"

    common = {"showtime_id": ":showtime", "seat_ids": "ARRAY[CAST(:seat_a AS integer), CAST(:seat_b AS integer)]",
              "now": "now()", "replace_previous": "true"}

    def each_seat(fields: str) -> str:
        return ("json_build_array(" + ", ".join(
            f"json_build_object('seat_id', CAST(:{seat} AS integer), {fields})"
            for seat in ("seat_a", "seat_b")) + ")")
    lines = each_seat("'base_price_cents', 1000, 'seat_type_adjustment_cents', 0, "
                      "'time_adjustment_cents', 0, 'time_rule', NULL, 'discount_cents', 0, "
                      "'price_cents', 1000, 'ticket_type_id', NULL")
    items = each_seat("'position', 0, 'kind', 'BASE', 'label', 'Base price', 'rule_id', NULL, "
                      "'ticket_type_id', NULL, 'amount_cents', 1000, 'floor_cents', NULL, "
                      "'ceiling_cents', NULL")
    insert = {**common, "lines": lines, "items": items,
              "code": "upper(substr(md5(random()::text), 1, 10))",
              "expires": "now() + interval '10 minutes'", "total": "2000"}
    return "\n".join([
        "\\set k random(0, 8)",
        "\\set seat_a :first_seat + :client_id * 18 + 2 * :k",
        "\\set seat_b :seat_a + 1",
        "\\set user_id :first_user + :client_id",
        "BEGIN;",
        "SELECT * FROM users WHERE id = :user_id;",
        pg(RETIRE_AND_READ, common),
        pg(INSERT_HOLD, insert),
        "COMMIT;",
    ]) + "\n"


def pgbench(database_url: str, setup: dict, workdir: Path) -> tuple[float, str]:
    """tps of the hold's SQL on PGBENCH_CLIENTS connections (prepared statements, as psycopg
    does for repeated queries), and pgbench's latency line."""
    script = workdir / "hold.pgbench.sql"
    script.write_text(pgbench_script())
    result = subprocess.run(
        ["pgbench", "-n", "-M", "prepared", "-c", str(PGBENCH_CLIENTS), "-j", "2", "-T",
         str(PGBENCH_SECONDS), "-f", str(script),
         "-D", f"first_seat={setup['seat_ids'][0]}", "-D", f"first_user={setup['user_ids'][0]}",
         "-D", f"showtime={setup['lean_showtime_id']}",
         "-D", f"auditorium={setup['auditorium_id']}", database_url],
        capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        print(f"pgbench failed (its figure is left out):\n{result.stdout}\n{result.stderr[-2000:]}")
        return 0.0, "failed"
    tps = latency = None
    for line in result.stdout.splitlines():
        if line.startswith("tps ="):
            tps = float(line.split()[2])
        if line.startswith("latency average"):
            latency = line.split("=", 1)[1].strip()
    return tps, latency or ""


# --- the phases ------------------------------------------------------------------------------

def hello_world(workdir: Path) -> Run:
    """The same client against a WSGI app that does nothing, under the same gunicorn."""
    folder = workdir / "hello"
    folder.mkdir()
    (folder / "hello.py").write_text(HELLO_APP)
    server = GunicornServer("hello:app", {}, workdir / "hello.log", WORKERS, THREADS,
                            cwd=folder)
    try:
        server.wait_ready("/")
        return sustained([lambda: http_request(server.base_url, "GET", "/")]
                         * DISTINCT_CLIENTS, SECONDS)
    finally:
        server.stop()


class LeanReference:
    """The lean reference, served: holds as in (a) on a showtime of its own (``holds``, run
    twice: before the app's and right after them, so that both sides of the ratio see the box
    in the same state), its seat map, and the hot-seat storms of (b) on showtimes of their
    own."""

    def __init__(self, server: GunicornServer, setup: dict):
        self.server, self.setup = server, setup
        self.showtime_id = setup["lean_showtime_id"]
        self.turns = [iter(range(10 ** 9)) for _ in range(DISTINCT_CLIENTS)]

    def _post_hold(self, form: dict):
        return http_request(self.server.base_url, "POST", "/hold",
                            urlencode(form, doseq=True).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def holds(self) -> tuple[Run, bool]:
        """Each client holds the next pair of its own seats; the run and the invariant."""
        requests = []
        for n in range(DISTINCT_CLIENTS):
            pairs, turns = own_pairs(self.setup, n), self.turns[n]
            form = dict(user_id=self.setup["user_ids"][n], showtime_id=self.showtime_id)
            requests.append(lambda form=form, pairs=pairs, turns=turns: self._post_hold(
                {**form, "seat_ids": pairs[next(turns) % len(pairs)]}))
        run = sustained(requests, SECONDS, expected=(303,))
        return run, double_booked_seats(self.setup["database_url"], self.showtime_id) == {}

    def seat_map(self) -> Run:
        path = f"/showtimes/{self.showtime_id}/seats"
        return sustained([lambda: http_request(self.server.base_url, "GET", path)]
                         * DISTINCT_CLIENTS, SECONDS)

    def storms(self) -> tuple[Run, bool, list[int]]:
        def one_storm(showtime_id: int, seat_id: int) -> Run:
            return storm_of([lambda u=u: self._post_hold(
                {"user_id": u, "showtime_id": showtime_id, "seat_ids": seat_id})
                for u in self.setup["user_ids"][:STORM_CLIENTS]])
        return storms(self.setup["lean_storm_showtime_ids"], self.setup, one_storm)


@contextmanager
def lean_reference(database_url: str, workdir: Path, setup: dict):
    """The lean reference served by its own gunicorn while the block runs."""
    server = GunicornServer("lean_reference:app", {"DATABASE_URL": database_url},
                            workdir / "lean.log", WORKERS, THREADS,
                            cwd=REPO_ROOT / "bench" / "support")
    try:
        server.wait_ready("/")
        yield LeanReference(server, setup)
    finally:
        problems = server.log_problems()
        server.stop()
        if problems:
            print("lean reference log:", *problems[:10], sep="\n  ")


def merged(first: Run, second: Run) -> Run:
    """Two runs of one phase as one (the rate over both)."""
    run = Run(first.expected)
    run.latencies = first.latencies + second.latencies
    run.statuses = first.statuses + second.statuses
    run.wall, run.client_cpu = first.wall + second.wall, first.client_cpu + second.client_cpu
    return run


def distinct_holds(patrons: list[Patron], setup: dict,
                   clients: int = DISTINCT_CLIENTS) -> tuple[Run, bool]:
    """(a): each of ``clients`` patrons holds 2 of its own seats, the next pair each time."""
    showtime_id = setup["showtime_id"]
    requests = []
    for n, patron in enumerate(patrons[:clients]):
        pairs, turns = own_pairs(setup, n), iter(range(10 ** 9))
        requests.append(lambda p=patron, pairs=pairs, turns=turns: p.hold(
            showtime_id, pairs[next(turns) % len(pairs)]))
    run = sustained(requests, SECONDS, expected=(303,))
    return run, double_booked_seats(setup["database_url"], showtime_id) == {}


def hot_seat_storms(patrons: list[Patron], setup: dict) -> tuple[Run, bool, list[int]]:
    """(b): STORMS times, every patron at once onto one seat (a showtime per storm); the run,
    the invariant and the number of winners of each storm."""
    return storms(setup["storm_showtime_ids"], setup,
                  lambda showtime_id, seat_id: storm(patrons, showtime_id, seat_id))


def seat_maps(patrons: list[Patron], setup: dict) -> tuple[Run, Run]:
    """The app's seat map of (a)'s showtime (64 seats held), as signed-in patrons see it: the
    full render, then the unchanged poll with the version each patron was given."""
    path = f"/showtimes/{setup['showtime_id']}/seats"
    clients = patrons[:DISTINCT_CLIENTS]
    full = sustained([lambda p=p: p.request("GET", path) for p in clients], SECONDS)
    polls = []
    for patron in clients:
        match = ETAG.search(patron.request("GET", path).headers.get("etag", ""))
        version = match.group(1) if match else "none"
        polls.append(lambda p=patron, v=version: p.request("GET", f"{path}?v={v}"))
    unchanged = sustained(polls, SECONDS, expected=(204,))
    return full, unchanged


def confirms(patrons: list[Patron], setup: dict) -> Run:
    """Hold 2 seats (not timed), then confirm them with the simulated card (timed)."""
    requests = []
    for n, patron in enumerate(patrons[:DISTINCT_CLIENTS]):
        pairs, turns = own_pairs(setup, n), iter(range(10 ** 9))

        def request(p=patron, pairs=pairs, turns=turns):
            turn = next(turns)
            showtimes = setup["confirm_showtime_ids"]
            if turn >= len(pairs) * len(showtimes):
                return "out of seats", 0.0
            held = p.hold(showtimes[turn // len(pairs)], pairs[turn % len(pairs)])
            if held.status != 303:
                return f"hold {held.status}", 0.0
            began = time.perf_counter()
            answer = p.request("POST", urlsplit(held.headers["location"]).path + "/confirm",
                               form={"csrf_token": p.csrf_token, **APPROVE})
            return answer.status, time.perf_counter() - began
        requests.append(request)
    return sustained(requests, SECONDS, expected=(303,))


# --- report ----------------------------------------------------------------------------------

def machine() -> str:
    cpu = ""
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu or platform.machine()}), Python "
            f"{platform.python_version()}, "
            + subprocess.run(["pgbench", "--version"], capture_output=True, text=True)
            .stdout.strip())


def ratio(rate: float, against: float | None) -> str:
    return f"{rate / against:.0%}" if against else "-"


def row(label: str, run: Run, unit: str, invariant: str = "", lean: float | None = None,
        hello: float | None = None) -> str:
    return (f"{label:<36} {run.rate():>7,.0f} {unit:<7} {run.percentiles():>16} "
            f"{run.errors():>6}  {invariant:<16} {ratio(run.rate(), lean):>7} "
            f"{ratio(run.rate(), hello):>7}")


def answers(run: Run) -> str:
    return ", ".join(f"{status}: {n}" for status, n in sorted(run.statuses.items(), key=str))


def report(runs: dict, checks: dict, tps: float, pg_latency: str, winners: list[int],
           problems: list[str]) -> None:
    hello = runs["hello"].rate()
    lean_hold, lean_map = runs["lean hold"].rate(), runs["lean map"].rate()
    ok = {name: "OK" if good else "VIOLATED" for name, good in checks.items()}
    print()
    print(f"{'':<36} {'rate':>7} {'':<7} {'p50/p95/p99 ms':>16} {'errors':>6}  "
          f"{'invariant':<16} {'/ lean':>7} {'/ hello':>7}")
    print(row("hello-world (gunicorn, same client)", runs["hello"], "req/s", hello=hello))
    print(row("lean reference: hold", runs["lean hold"], "holds/s", ok["lean"], lean_hold,
              hello))
    print(row("lean reference: seat map", runs["lean map"], "req/s", "", lean_map, hello))
    print(row(f"lean reference: hot seat, {STORMS} x {STORM_CLIENTS}", runs["lean storms"],
              "holds/s", ok["lean"], runs["lean storms"].rate(), hello))
    print(f"{'pgbench, the hold SQL (8 clients)':<36} {tps:>7,.0f} tps     "
          f"latency average {pg_latency}")
    print(row("app: (a) holds, distinct seats", runs["holds"], "holds/s", ok["holds"],
              lean_hold, hello))
    print(row(f"app: (a) at {HOLD_TARGET_CLIENTS} connections", runs["holds 16"], "holds/s",
              ok["holds 16"], lean_hold, hello))
    storm_check = (f"{ok['storms']}, " + "/".join(map(str, winners)) + " won")
    print(row(f"app: (b) hot seat, {STORMS} x {STORM_CLIENTS}", runs["storms"], "holds/s",
              storm_check, runs["lean storms"].rate(), hello))
    print(row("app: seat map, full render", runs["map"], "req/s", "", lean_map, hello))
    print(row("app: seat map, unchanged poll (204)", runs["poll"], "req/s", "", lean_map, hello))
    print(row("app: confirm, simulated card", runs["confirm"], "req/s", "", None, hello))
    print()
    for name, run in runs.items():
        print(f"  {name:<12} answers {{{answers(run)}}}   client CPU "
              f"{run.client_cpu / run.wall if run.wall else 0:4.2f} cores")
    print(f"  each storm {runs['storms'].wall / STORMS:.2f} s wall (the lean reference's "
          f"{runs['lean storms'].wall / STORMS:.2f} s); (a) / pgbench "
          f"{ratio(runs['holds'].rate(), tps)}")
    print("load average after: %.1f %.1f %.1f" % os.getloadavg())
    print(f"gunicorn log: {len(problems)} error lines"
          + "".join(f"\n  {text}" for text in problems[:10]))


def clear_prefix(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def main() -> None:
    name = f"cinema_bench_{uuid.uuid4().hex[:8]}"
    prefix = f"cinemabench-{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="cinema-bench-"))
    print(f"machine: {machine()}")
    print("load average before: %.1f %.1f %.1f (other work on the box skews every figure)"
          % os.getloadavg())
    print(f"gunicorn: {WORKERS} gthread workers x {THREADS} threads; app: rate limits off, "
          f"CSRF on, Redis on; client: Python threads, one connection per request; "
          f"{SECONDS:.0f} s per phase; app served from {APP_DIR}")
    database_url = create_database(PG_SERVER_URL, name)
    servers: list[GunicornServer] = []
    runs: dict[str, Run] = {}
    checks: dict[str, bool] = {}
    try:
        migrate(database_url)
        setup = dict(seed(database_url, workdir / "instance"), database_url=database_url)
        runs["hello"] = hello_world(workdir)
        with lean_reference(database_url, workdir, setup) as lean:
            lean_first, checks["lean"] = lean.holds()
            runs["lean map"] = lean.seat_map()
            runs["lean storms"], lean_storms_ok, lean_winners = lean.storms()
            checks["lean"] &= lean_storms_ok and lean_winners == [1] * STORMS
            tps, pg_latency = pgbench(database_url, setup, workdir)
            servers = start_servers(1, "wsgi:app",
                                    app_env(database_url, prefix, workdir / "instance"),
                                    workdir, workers=WORKERS, threads=THREADS, cwd=APP_DIR)
            began = time.perf_counter()
            patrons = [Patron(servers[0].base_url, email, PASSWORD)
                       for email in setup["emails"]]
            sign_in_all(patrons, then_visit=f"/showtimes/{setup['showtime_id']}")
            print(f"signed in {len(patrons)} patrons in {time.perf_counter() - began:.0f} s "
                  "(argon2 verifies; not part of any figure)")
            runs["holds"], checks["holds"] = distinct_holds(patrons, setup)
            runs["holds 16"], checks["holds 16"] = distinct_holds(patrons, setup,
                                                                  HOLD_TARGET_CLIENTS)
            lean_again, lean_ok = lean.holds()  # the box as the app's holds just saw it
            checks["lean"] &= lean_ok
        runs["lean hold"] = merged(lean_first, lean_again)
        print(f"lean reference holds: {lean_first.rate():,.0f} holds/s before the app's, "
              f"{lean_again.rate():,.0f} right after them (the ratios use both)")
        runs["storms"], checks["storms"], winners = hot_seat_storms(patrons, setup)
        runs["map"], runs["poll"] = seat_maps(patrons, setup)
        runs["confirm"] = confirms(patrons, setup)
        checks["storms"] &= winners == [1] * STORMS
        report(runs, checks, tps, pg_latency, winners, servers[0].log_problems())
    finally:
        for server in servers:
            server.stop()
        drop_database(PG_SERVER_URL, name)
        clear_rq_queue(REDIS_URL, f"{prefix}-default")
        clear_prefix(prefix)


if __name__ == "__main__":
    main()
