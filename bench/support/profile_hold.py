"""Where an app request's time goes: cProfile over holds (or seat-map renders) in one process.

    .venv/bin/python bench/support/profile_hold.py [holds|taken|map|poll] [COUNT]

Not a benchmark (``make bench`` does not run it): a tool for docs/PERFORMANCE.md. It creates a
database of its own (dropped at the end), migrates and seeds it as ``bench/holds.py`` does, builds
the app as ``wsgi.py`` does (from the environment: CSRF on, Redis on, rate limits off), signs
PATRONS patrons in through the login form with the Flask test client (the whole request but the
HTTP server), then makes COUNT requests (default 400) one after another, each patron holding
the next pair of its own seats (each hold replacing its previous one), as (a) of the bench does
(``taken``: a seat another patron holds, the 409 of a storm's losers; ``map``: the full seat-map
render; ``poll``: the unchanged poll):

1. without the profiler: wall time and this process's CPU time per request, and the statements
   sent to PostgreSQL per request (a SQLAlchemy event listener);
2. with cProfile: the functions by total and by own time, and the time per request of a few
   named places (the user loader, the hold's transaction, Redis, CSRF, the session...).

Environment: BENCH_PG_SERVER_URL, BENCH_REDIS_URL as for bench/holds.py; PROFILE_OUT (a file to
dump the raw cProfile stats to, for snakeviz or pstats); PROFILE_SAMPLED=1 skips step 2, for a
sampling profiler that runs the script (``py-spy record --gil -f raw -o out.txt -- .venv/bin/python
bench/support/profile_hold.py holds 3000``; py-spy is not a dependency: ``.venv/bin/pip install
py-spy``), whose samples under ``main`` are then the timed loop;
PROFILE_KEEP=1 keeps the database (to look at its plans).
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

import holds as bench  # noqa: E402 - bench/holds.py: its seed and settings

from tests.factories import PASSWORD  # noqa: E402
from tests.load_support import (  # noqa: E402
    CSRF_META,
    clear_rq_queue,
    create_database,
    double_booked_seats,
    drop_database,
    migrate,
)

PATRONS = 32
# Places whose time per request is printed on their own (a substring of pstats' function key).
PLACES = [
    ("the user loader (security.load_user)", "security.py", "load_user"),
    ("the hold's transaction (_hold_postgresql)", "holds.py", "_hold_postgresql"),
    ("  of which the first statement's execute", "session.py", "execute"),
    ("  of which COMMIT", "session.py", "commit"),
    ("Redis after the hold (_after_hold)", "holds.py", "_after_hold"),
    ("CSRF check (flask_wtf csrf protect)", "csrf.py", "protect"),
    ("session cookie: open (itsdangerous loads)", "sessions.py", "open_session"),
    ("session cookie: save (itsdangerous dumps)", "sessions.py", "save_session"),
    ("Flask-Login: save session after request", "login_manager.py", "_update_request_context_with_user"),
    ("rate limiter before request (flask_limiter)", "extension.py", "_check_request_limit"),
    ("security: NUL check", "security.py", "refuse_nul_characters"),
    ("security: headers", "security.py", "set_security_headers"),
    ("redirect + url_for", "helpers.py", "url_for"),
    ("waiting on PostgreSQL (psycopg wait)", "waiting.py", "wait_conn"),
    ("waiting on PostgreSQL (psycopg execute)", "cursor.py", "execute"),
    ("socket reads (Redis)", "~", "<method 'recv_into' of '_socket.socket' objects>"),
]


def build_app(database_url: str, prefix: str, instance: Path):
    os.environ.update(bench.app_env(database_url, prefix, instance))
    from cinema import create_app

    return create_app()


def sign_in(app, email: str, then_visit: str):
    """A test client signed in through the login form, and the CSRF token of ``then_visit``."""
    client = app.test_client()
    token = CSRF_META.search(client.get("/auth/login").text).group(1)
    answer = client.post("/auth/login", data={"csrf_token": token, "email": email,
                                              "password": PASSWORD})
    assert answer.status_code == 303, answer.status_code
    return client, CSRF_META.search(client.get(then_visit).text).group(1)


def requests_of(kind: str, setup: dict, clients: list):
    """An endless list of callables, each one request of ``kind`` by the next patron."""
    showtime_id = setup["showtime_id"]
    path = f"/showtimes/{showtime_id}/seats"
    turn = 0

    def hold():
        nonlocal turn
        n = turn % len(clients)
        client, token = clients[n]
        pairs = bench.own_pairs(setup, n)
        pair = pairs[(turn // len(clients)) % len(pairs)]
        turn += 1
        answer = client.post("/bookings/hold", data={"csrf_token": token,
                                                     "showtime_id": showtime_id,
                                                     "seat_ids": pair},
                             headers={"Accept": "application/json"})
        assert answer.status_code == 303, (answer.status_code, answer.text[:300])

    def seat_map():
        nonlocal turn
        client, _ = clients[turn % len(clients)]
        turn += 1
        answer = client.get(path)
        assert answer.status_code == 200, answer.status_code

    def taken():
        """A hold of a seat another patron holds: the 409 every loser of a storm gets."""
        nonlocal turn
        client, token = clients[1 + turn % (len(clients) - 1)]
        turn += 1
        answer = client.post("/bookings/hold", data={"csrf_token": token,
                                                     "showtime_id": showtime_id,
                                                     "seat_ids": [setup["seat_ids"][-1]]},
                             headers={"Accept": "application/json"})
        assert answer.status_code == 409, (answer.status_code, answer.text[:300])

    if kind == "taken":
        client, token = clients[0]
        assert client.post("/bookings/hold", data={
            "csrf_token": token, "showtime_id": showtime_id,
            "seat_ids": [setup["seat_ids"][-1]]}).status_code == 303

    versions = {}

    def poll():
        nonlocal turn
        n = turn % len(clients)
        client, _ = clients[n]
        turn += 1
        if n not in versions:
            match = bench.ETAG.search(client.get(path).headers.get("ETag", ""))
            versions[n] = match.group(1)
        answer = client.get(f"{path}?v={versions[n]}")
        assert answer.status_code == 204, answer.status_code

    return {"holds": hold, "taken": taken, "map": seat_map, "poll": poll}[kind]


def count_statements(app):
    """A list that grows by one per statement the app's engine executes."""
    import sqlalchemy as sa

    from cinema.extensions import db

    sent = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda *args, **kwargs: sent.append(1))
    return sent


def server_cpu(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving ``database`` (from /proc; 0
    where there is none), to put the database's share of a request beside the app's."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or f" {database} ".encode() not in \
                    (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def places(stats: pstats.Stats, count: int) -> str:
    lines = []
    for label, filename, name in PLACES:
        total = calls = 0
        for (file, _, function), (_, ncalls, _, cumulative, _) in stats.stats.items():
            if function == name and (filename == "~" or file.endswith(filename)):
                total += cumulative
                calls += ncalls
        if calls:
            lines.append(f"  {label:<50} {total / count * 1000:6.2f} ms  "
                         f"({calls / count:.1f} calls)")
    return "\n".join(lines)


def by_package(stats: pstats.Stats, count: int) -> str:
    """Own time (tottime) summed by the package it is spent in, per request."""
    totals: dict[str, float] = {}
    for (file, _, function), (_, _, tottime, _, _) in stats.stats.items():
        if "site-packages/" in file:
            package = file.split("site-packages/", 1)[1].split("/", 1)[0]
        elif file.startswith(str(REPO_ROOT)):
            package = "/".join(Path(file).relative_to(REPO_ROOT).parts[:2])
        elif file == "~":
            package = "builtins: " + ("socket I/O" if "socket" in function
                                      else "select/poll" if "poll" in function or "select" in function
                                      else "other")
        else:
            package = "stdlib"
        package = package.removesuffix(".py")
        totals[package] = totals.get(package, 0.0) + tottime
    return "\n".join(f"  {package:<50} {seconds / count * 1000:6.2f} ms"
                     for package, seconds in sorted(totals.items(), key=lambda kv: -kv[1])
                     if seconds / count >= 0.00002)


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "holds"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    name = f"cinema_profile_{uuid.uuid4().hex[:8]}"
    prefix = f"cinemaprofile-{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="cinema-profile-"))
    database_url = create_database(bench.PG_SERVER_URL, name)
    try:
        migrate(database_url)
        setup = bench.seed(database_url, workdir / "instance")
        app = build_app(database_url, prefix, workdir / "instance")
        clients = [sign_in(app, email, f"/showtimes/{setup['showtime_id']}")
                   for email in setup["emails"][:PATRONS]]
        request = requests_of(kind, setup, clients)
        sent = count_statements(app)
        for _ in range(100):  # warm-up: caches, pools, prepared statements
            request()
        print("load average before: %.1f %.1f %.1f" % os.getloadavg())
        del sent[:]
        wall, cpu, server = time.perf_counter(), time.process_time(), server_cpu(name)
        for _ in range(count):
            request()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        server = server_cpu(name) - server
        print(f"{kind}: {count} requests without the profiler: {wall / count * 1000:.2f} ms wall, "
              f"{cpu / count * 1000:.2f} ms CPU here, {server / count * 1000:.2f} ms CPU in "
              f"PostgreSQL, {len(sent) / count:.2f} statements each")
        if os.environ.get("PROFILE_SAMPLED"):
            return  # only the timed loop above: for a sampling profiler run around this script
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            request()
        profiler.disable()
        print("load average after: %.1f %.1f %.1f" % os.getloadavg())
        if os.environ.get("PROFILE_OUT"):
            profiler.dump_stats(os.environ["PROFILE_OUT"])
        stats = pstats.Stats(profiler)
        print(f"\nwith cProfile, per request ({count}):")
        print(places(stats, count))
        print(f"\nown time by package, per request ({count}; the profiler inflates Python):")
        print(by_package(stats, count))
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(40)
            text = re.sub(r"/[^ ]*/site-packages/", "", out.getvalue())
            print(text.replace(str(REPO_ROOT) + "/", ""))
        if kind == "holds":
            assert double_booked_seats(database_url, setup["showtime_id"]) == {}
    finally:
        if os.environ.get("PROFILE_KEEP"):
            print(f"database kept: {name}")
        else:
            drop_database(bench.PG_SERVER_URL, name)
        clear_rq_queue(bench.REDIS_URL, f"{prefix}-default")
        bench.clear_prefix(prefix)


if __name__ == "__main__":
    main()
