"""Holds racing over real HTTP: two gunicorn instances, 60 patrons, overlapping seat sets.

Each patron signs in through the login form with its own cookie jar and CSRF token (CSRF is on
in these servers), waits at a barrier, then POSTs /bookings/hold for an overlapping set of
seats listed in its own order ([1,2,3], [3,2,1], [2,3,1,4]...). Patrons alternate between the
two instances, so the contenders for a seat are in different processes and meet only in
PostgreSQL. Three rounds, one showtime each (a patron's new hold replaces its previous hold for
the same showtime, so each round gets its own).

Afterwards, for every round: no seat is claimed by two live reservations (``double_booked_seats``,
the one invariant check both tests use); the live holds are exactly the winners' (303), each
with exactly the seats it asked for, so every seat anyone won has one owner; every loser got a
clean 409 with SEAT_HELD or SEAT_BOOKED in its JSON body, and wanted a seat some winner holds;
nothing 5xx; every request finished within the timeout (no deadlock); and the gunicorn logs
show no error. (A seat nobody won can stay free: holds are all or nothing.)

The control test proves the check can fail. It runs the same race against a fresh database
where the guarantee is switched off: the partial unique index ``uq_reserved_seats_active`` is
dropped, leaving the app's check-then-insert (``booking._claim_error``, then the INSERT) as the
only guard. That window is a few milliseconds, too small to hit every time, so the control
database also gets a statement trigger that sleeps 50 ms before each ``reserved_seats``
INSERT: a slow insert, as on a loaded server. Holds that check within those 50 ms of one
another all see the seats free and all insert, and the invariant check must then report
double booking. Nothing in the application changes for the control; only its database does.
(With the delay set to zero, the control double-booked in every round of three runs on a 2-core
machine; the delay keeps it so on a faster one.)
"""
from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from cinema import create_app
from cinema.extensions import db
from tests.booking_helpers import now
from tests.factories import PASSWORD, gen_auditorium, gen_movie, gen_showtime, gen_user, seats_of
from tests.load_support import (
    Patron,
    clear_rq_queue,
    create_database,
    double_booked_seats,
    drop_database,
    migrate,
    plain_url,
    run_together,
    sign_in_all,
    start_servers,
)

pytestmark = pytest.mark.slow

PATRONS = 60
ROUNDS = 3
SEATS_PER_ROW = 8
REQUEST_TIMEOUT = 60  # seconds; a deadlock would leave requests hanging far longer than a race
LOSER_CODES = {"SEAT_HELD", "SEAT_BOOKED"}


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def servers(app, redis_url, tmp_path):
    """``start(database_url)``: two gunicorn instances on that database; all stopped at the
    end, whatever happened. A server that cannot start fails the test with its log."""
    started = []

    def start(database_url: str, count: int = 2):
        env = {
            "DATABASE_URL": plain_url(database_url),
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": app.config["REDIS_PREFIX"],
            "SECRET_KEY": "race-test-secret",
            "RATELIMIT_ENABLED": "0",
            "SEAT_GAP_RULE": "off",  # the race picks seats at random; gaps are not its subject
            "CINEMA_ENV": "development",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
        log_dir = tmp_path / f"logs-{len(started)}"
        log_dir.mkdir()
        group = start_servers(count, "wsgi:app", env, log_dir)
        started.extend(group)
        return group

    yield start
    for server in started:
        server.stop()
    clear_rq_queue(redis_url, app.config["RQ_QUEUE"])


@pytest.fixture
def control_database(database_url, tmp_path):
    """A fresh, migrated database without the double-booking guarantee, and with slow seat
    inserts (see the module docstring); seeded through an app of its own. Dropped at the end."""
    server_url, run_name = database_url.rsplit("/", 1)
    name = f"{run_name}_control"
    url = create_database(server_url, name)
    try:
        migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP INDEX uq_reserved_seats_active")
            conn.execute("""
                CREATE FUNCTION race_test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN PERFORM pg_sleep(0.05); RETURN NULL; END $$;
                CREATE TRIGGER race_test_slow_insert BEFORE INSERT ON reserved_seats
                FOR EACH STATEMENT EXECUTE FUNCTION race_test_slow_insert();
            """)
        seeding_app = create_app(dict(SQLALCHEMY_DATABASE_URI=f"{server_url}/{name}",
                                      REDIS_URL=None, SECRET_KEY="seed",
                                      INSTANCE_PATH=str(tmp_path / "seed-instance")))
        with seeding_app.app_context():
            race = seed_race()
            db.session.remove()
            db.engine.dispose()
        yield url, race
    finally:
        drop_database(server_url, name)


# --- the race --------------------------------------------------------------------------------

def seed_race():
    """One auditorium row of 8 seats, a showtime per round, and the patrons."""
    auditorium = gen_auditorium(rows=1, seats_per_row=SEATS_PER_ROW)
    movie = gen_movie()
    first = (now() + timedelta(days=2)).replace(microsecond=0)
    showtimes = [gen_showtime(movie=movie, auditorium=auditorium,
                              starts_at=first + timedelta(hours=4 * n)) for n in range(ROUNDS)]
    setup = dict(showtime_ids=[s.id for s in showtimes],
                 seat_ids=[s.id for s in seats_of(auditorium)],
                 emails=[gen_user().email for _ in range(PATRONS)])
    db.session.close()  # no transaction left open while the servers work
    return setup


def overlapping_seat_sets(seat_ids: list[int], count: int) -> list[list[int]]:
    """2 to 4 neighbouring seats each, sliding along the row, listed forwards, backwards or
    rotated, so every seat is wanted by many patrons in different orders."""
    sets = []
    for n in range(count):
        size = 2 + n % 3
        start = (n // 3) % (len(seat_ids) - size + 1)
        window = seat_ids[start:start + size]
        order = (n // 5) % 3
        sets.append(window if order == 0 else window[::-1] if order == 1
                    else window[1:] + window[:1])
    return sets


def race(servers, race_setup):
    """Sign the patrons in (alternating instances), then run every round; returns
    [(showtime_id, [(seat_ids, Response or error)])]."""
    emails = race_setup["emails"]
    patrons = [Patron(servers[n % len(servers)].base_url, email, PASSWORD)
               for n, email in enumerate(emails)]
    sign_in_all(patrons, then_visit=f"/showtimes/{race_setup['showtime_ids'][0]}")
    seat_sets = overlapping_seat_sets(race_setup["seat_ids"], len(patrons))
    rounds = []
    for showtime_id in race_setup["showtime_ids"]:
        tasks = [lambda p=patron, s=seats, t=showtime_id: p.hold(t, s, timeout=REQUEST_TIMEOUT)
                 for patron, seats in zip(patrons, seat_sets, strict=True)]
        outcomes = run_together(tasks, timeout=REQUEST_TIMEOUT + 30)
        rounds.append((showtime_id, [(seats, outcome.error or outcome.value)
                                     for seats, outcome in zip(seat_sets, outcomes, strict=True)]))
    return rounds


def held_seats_by_reservation(database_url: str, showtime_id: int) -> dict[int, set[int]]:
    """{reservation id: its active seat ids} for the live holds of a showtime."""
    with psycopg.connect(plain_url(database_url)) as conn:
        rows = conn.execute("""
            SELECT r.id, rs.seat_id FROM reservations r
            JOIN reserved_seats rs ON rs.reservation_id = r.id AND rs.is_active
            WHERE r.showtime_id = %s AND r.status = 'HELD' AND r.hold_expires_at > now()
        """, (showtime_id,)).fetchall()
    held: dict[int, set[int]] = {}
    for reservation_id, seat_id in rows:
        held.setdefault(reservation_id, set()).add(seat_id)
    return held


# --- tests -----------------------------------------------------------------------------------

def test_concurrent_holds_on_two_servers_never_double_book(app, app_ctx, database_url, servers):
    race_setup = seed_race()
    running = servers(database_url)
    no_token = Patron(running[0].base_url, "nobody@example.com", PASSWORD).request(
        "POST", "/bookings/hold", headers={"Accept": "application/json"}, form={
            "showtime_id": race_setup["showtime_ids"][0], "seat_ids": race_setup["seat_ids"]})
    assert no_token.json()["error_code"] == "CSRF_FAILED"  # the servers check CSRF tokens
    for showtime_id, results in race(running, race_setup):
        errors = [r for _, r in results if isinstance(r, BaseException)]
        assert not errors, f"requests failed: {errors[:3]}"
        assert not [r.status for _, r in results if r.status >= 500]
        assert double_booked_seats(database_url, showtime_id) == {}

        winners = {int(r.headers["location"].rstrip("/").rsplit("/", 1)[1]): set(seats)
                   for seats, r in results if r.status == 303}
        assert winners, "somebody must win each round"
        assert held_seats_by_reservation(database_url, showtime_id) == winners
        won = set().union(*winners.values())
        for seats, loser in ((s, r) for s, r in results if r.status != 303):
            assert loser.status == 409, loser.text
            assert loser.json()["error_code"] in LOSER_CODES, loser.text
            assert won & set(seats), f"{seats} refused although nobody holds them"
    for server in running:
        assert server.log_problems() == [], server.log_text()


def test_control_without_the_unique_index_the_same_race_double_books(
        app, control_database, servers):
    url, race_setup = control_database
    running = servers(url)
    rounds = race(running, race_setup)
    for _, results in rounds:
        errors = [r for _, r in results if isinstance(r, BaseException)]
        assert not errors, f"requests failed: {errors[:3]}"
    double_booked = {showtime_id: double_booked_seats(url, showtime_id)
                     for showtime_id, _ in rounds}
    assert any(double_booked.values()), \
        "the race never double-booked without the index: this test could not detect it"
