"""Reports at scale: a year of a 12-screen cinema, then how long each report takes.

    .venv/bin/python bench/reports.py        # or `make bench` (runs every bench/*.py)

Creates its own PostgreSQL database (``cinema_bench_<random>`` on ``BENCH_PG_SERVER_URL``,
default ``postgresql://postgres@127.0.0.1:5432``), migrates it, generates the year with
set-based ``INSERT ... SELECT generate_series`` (about a minute), runs each report and the
dashboard a few times, prints the timings, and drops the database. The reports run twice:
live (as of a day before the year: nothing closed) and from the rollups (as of a day after
it: every day closed and summed, cinema/reports/report_rollup.py), with the cost of summing
the year once in between. Figures are recorded in
docs/PERFORMANCE.md ("Reports").

The year (2025, Europe/London): 12 auditoriums of 112 to 360 seats (one blocked seat each),
60 films, 6 showtimes per screen per day (09:00 to midnight) = 26,280 showtimes; 5-40% of each
showtime sold in bookings of two seats (about 1.3 million booked seats, 650,000 bookings), one
booking in 29 cancelled after confirmation (half with a refund payment), a charge payment per
booking, three abandoned holds per showtime, 60,000 patrons.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cinema import create_app  # noqa: E402
from cinema.extensions import db  # noqa: E402

SERVER = os.environ.get("BENCH_PG_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))  # BENCH_KEEP=1 keeps the database
BEFORE = datetime(2024, 12, 31, 12, 0, tzinfo=timezone.utc)
MIDYEAR = datetime(2025, 7, 15, 17, 0, tzinfo=timezone.utc)
AFTER = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)

GENERATE = [
    ("patrons", """
INSERT INTO users (email, full_name, password_hash, role, session_token, created_at, updated_at,
                   is_deleted)
SELECT 'patron' || g || '@bench.example', 'Patron ' || g, 'x', 'USER', md5(g::text),
       timestamptz '2024-07-01 10:00Z' + (g * 547 / 60000) * interval '1 day', now(), false
FROM generate_series(1, 60000) g"""),
    ("auditoriums", """
INSERT INTO auditoriums (name, description, created_at, updated_at, is_deleted)
SELECT 'Screen ' || a, '', now(), now(), false FROM generate_series(1, 12) a"""),
    ("seats", """
INSERT INTO seats (auditorium_id, row_label, number, row_index, col_index, seat_type, is_blocked,
                   created_at, updated_at, is_deleted)
SELECT au.id, chr(65 + r), n, r, n - 1,
       CASE WHEN r = 0 AND n <= 2 THEN 'WHEELCHAIR' WHEN r = d.rows - 1 THEN 'COUPLE'
            WHEN r BETWEEN d.rows / 2 AND d.rows / 2 + 1 THEN 'PREMIUM' ELSE 'REGULAR' END,
       r = 1 AND n = 3, now(), now(), false
FROM auditoriums au
CROSS JOIN LATERAL (SELECT 8 + (au.id % 6) * 2 AS rows, 14 + (au.id % 4) * 2 AS per_row) d
CROSS JOIN LATERAL generate_series(0, d.rows - 1) r
CROSS JOIN LATERAL generate_series(1, d.per_row) n"""),
    ("films", """
INSERT INTO movies (title, synopsis, duration_minutes, age_rating, language, format, created_at,
                    updated_at, is_deleted)
SELECT 'Bench Film ' || m, '', 85 + (m * 7) % 66, '12A', 'English', '2D', now(), now(), false
FROM generate_series(1, 60) m"""),
    ("showtimes", """
INSERT INTO showtimes (movie_id, auditorium_id, starts_at, ends_at, base_price_cents, created_at,
                       updated_at, is_deleted)
SELECT m.id, au.id, t.starts_at,
       t.starts_at + (m.duration_minutes + 15) * interval '1 minute',
       CASE WHEN s >= 3 THEN 1200 ELSE 1000 END, now(), now(), false
FROM auditoriums au
CROSS JOIN generate_series(0, 364) d
CROSS JOIN generate_series(0, 5) s
CROSS JOIN LATERAL (SELECT ((date '2025-01-01' + d) + (9 + 3 * s) * interval '1 hour')
                           AT TIME ZONE 'Europe/London' AS starts_at) t
JOIN movies m ON m.id = 1 + (au.id + d * 3 + s * 7) % 60"""),
    ("plan", """
CREATE TEMP TABLE plan AS
SELECT st.id AS showtime_id, st.auditorium_id, st.starts_at, st.base_price_cents,
       floor(cap.capacity * (0.05 + 0.35 * random()))::int AS n_sold
FROM showtimes st
JOIN (SELECT auditorium_id, count(*) AS capacity FROM seats WHERE NOT is_blocked
      GROUP BY auditorium_id) cap USING (auditorium_id)"""),
    ("seat ranks", """
CREATE TEMP TABLE seat_rank AS
SELECT id, auditorium_id, seat_type,
       row_number() OVER (PARTITION BY auditorium_id ORDER BY id) AS rn
FROM seats WHERE NOT is_blocked;
CREATE INDEX ON seat_rank (auditorium_id, rn)"""),
    ("bookings", """
INSERT INTO reservations (id, code, user_id, showtime_id, status, cancel_reason, cancelled_at,
                          hold_expires_at, confirmed_at, total_price_cents, payment_method,
                          created_at, updated_at, is_deleted)
SELECT p.showtime_id * 200 + k, 'B' || (p.showtime_id * 200 + k),
       1 + (p.showtime_id * 7919 + k * 104729) % 60000, p.showtime_id,
       CASE WHEN k % 29 = 0 THEN 'CANCELLED' WHEN p.starts_at < timestamptz '2025-12-31 12:00Z'
            THEN 'COMPLETED' ELSE 'CONFIRMED' END,
       CASE WHEN k % 29 = 0 THEN 'PATRON' END,
       CASE WHEN k % 29 = 0 THEN c.confirmed_at + interval '2 hours' END,
       c.confirmed_at + interval '6 minutes', c.confirmed_at, t.total, 'CARD',
       c.confirmed_at - interval '4 minutes', c.confirmed_at, false
FROM plan p
CROSS JOIN LATERAL generate_series(1, (p.n_sold + 1) / 2) k
CROSS JOIN LATERAL (SELECT p.starts_at - ((k * 37 + p.showtime_id * 13) % (14 * 24 * 60))
                           * interval '1 minute' AS confirmed_at) c
CROSS JOIN LATERAL (SELECT sum(p.base_price_cents + CASE sr.seat_type WHEN 'PREMIUM' THEN 300
                                   WHEN 'COUPLE' THEN 500 ELSE 0 END
                               - CASE WHEN k % 10 = 0 THEN 150 ELSE 0 END) AS total
                    FROM seat_rank sr
                    WHERE sr.auditorium_id = p.auditorium_id AND sr.rn IN (2 * k - 1, 2 * k)
                      AND sr.rn <= p.n_sold) t"""),
    ("booked seats", """
INSERT INTO reserved_seats (reservation_id, showtime_id, seat_id, is_active, base_price_cents,
                            seat_type_adjustment_cents, time_adjustment_cents, time_rule,
                            discount_cents, price_cents, created_at, updated_at, is_deleted)
SELECT p.showtime_id * 200 + (sr.rn + 1) / 2, p.showtime_id, sr.id,
       ((sr.rn + 1) / 2) % 29 <> 0, 1000, li.seat_type, p.base_price_cents - 1000, NULL,
       li.discount, 1000 + li.seat_type + p.base_price_cents - 1000 - li.discount,
       p.starts_at - interval '1 day', p.starts_at - interval '1 day', false
FROM plan p
JOIN seat_rank sr ON sr.auditorium_id = p.auditorium_id AND sr.rn <= p.n_sold
CROSS JOIN LATERAL (SELECT CASE sr.seat_type WHEN 'PREMIUM' THEN 300 WHEN 'COUPLE' THEN 500
                                ELSE 0 END AS seat_type,
                           CASE WHEN ((sr.rn + 1) / 2) % 10 = 0 THEN 150 ELSE 0 END AS discount
                   ) li"""),
    ("abandoned holds", """
INSERT INTO reservations (id, code, user_id, showtime_id, status, cancel_reason, cancelled_at,
                          hold_expires_at, total_price_cents, created_at, updated_at, is_deleted)
SELECT p.showtime_id * 200 + 190 + j, 'H' || (p.showtime_id * 200 + 190 + j),
       1 + (p.showtime_id * 31 + j * 7) % 60000, p.showtime_id, 'CANCELLED', 'EXPIRED',
       p.starts_at - interval '1 day', p.starts_at - interval '1 day 10 minutes' + interval '10 minutes',
       0, p.starts_at - interval '1 day 10 minutes', now(), false
FROM plan p CROSS JOIN generate_series(1, 3) j"""),
    ("charges", """
INSERT INTO payments (reservation_id, provider, kind, status, amount_cents, idempotency_key,
                      created_at, updated_at, is_deleted)
SELECT id, 'simulated', 'CHARGE', 'SUCCEEDED', total_price_cents, 'c' || id, confirmed_at,
       confirmed_at, false
FROM reservations WHERE confirmed_at IS NOT NULL"""),
    ("refunds", """
INSERT INTO payments (reservation_id, provider, kind, status, amount_cents, idempotency_key,
                      created_at, updated_at, is_deleted)
SELECT id, 'simulated', 'REFUND', 'SUCCEEDED', total_price_cents, 'r' || id, cancelled_at,
       cancelled_at, false
FROM reservations WHERE status = 'CANCELLED' AND confirmed_at IS NOT NULL AND id % 3 <> 0"""),
    ("emails", """
INSERT INTO email_outbox (kind, to_address, subject, message, status, attempts, next_attempt_at,
                          created_at, updated_at, is_deleted, last_error)
SELECT 'confirmation', 'patron' || g || '@bench.example', 'Your tickets', 'x'::bytea,
       CASE WHEN g % 500 = 0 THEN 'FAILED' ELSE 'SENT' END, 1, now(), now(), now(), false,
       CASE WHEN g % 500 = 0 THEN '550 mailbox unavailable' END
FROM generate_series(1, 20000) g"""),
]


def generate(connection) -> None:
    for label, sql in GENERATE:
        started = time.perf_counter()
        result = connection.execute(sa.text(sql))
        print(f"  {label:<16} {result.rowcount:>10,} rows  {time.perf_counter() - started:6.1f} s",
              flush=True)
    connection.execute(sa.text("SELECT setval(pg_get_serial_sequence('reservations', 'id'), "
                               "(SELECT max(id) FROM reservations))"))


def timed(label: str, func, results: list, runs: int = RUNS) -> None:
    samples = []
    for _ in range(runs):
        db.session.remove()
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    results.append((label, min(samples), statistics.median(samples)))
    print(f"  {label:<44} min {min(samples):8.0f} ms   median {statistics.median(samples):8.0f} ms",
          flush=True)


def run_reports(now: datetime, label: str, results: list) -> None:
    """Every report as of ``now``: before the year (nothing closed: all live) or after it
    (every day closed and every showtime over: read from the rollups)."""
    from cinema.reports import report_csv, reports, user_stats
    from cinema.reports.report_dates import DateRange

    year, quarter, month, week, day = (DateRange(date(2025, 1, 1), date(2025, 12, 31)),
                                       DateRange(date(2025, 7, 1), date(2025, 9, 30)),
                                       DateRange(date(2025, 7, 1), date(2025, 7, 31)),
                                       DateRange(date(2025, 7, 7), date(2025, 7, 13)),
                                       DateRange(date(2025, 7, 9), date(2025, 7, 9)))
    film = reports.Filters(movie_id=7)
    print(f"{label}:", flush=True)

    def revenue(rng, filters=reports.Filters()):
        return lambda: reports.revenue_report(rng, filters, now=now)

    def occupancy(rng, limit=400):
        return lambda: reports.occupancy_report(rng, showtime_limit=limit, now=now)

    timed("revenue, a day", revenue(day), results)
    timed("revenue, a week", revenue(week), results)
    timed("revenue, a month", revenue(month), results)
    timed("revenue, a month, one film", revenue(month, film), results)
    timed("revenue, a quarter", revenue(quarter), results)
    timed("revenue, the year", revenue(year), results)
    timed("revenue, the year, one film", revenue(year, film), results)
    timed("occupancy, a day (page)", occupancy(day), results)
    timed("occupancy, a week (page)", occupancy(week), results)
    timed("occupancy, a month (page)", occupancy(month), results)
    timed("occupancy, a quarter (page)", occupancy(quarter), results)
    timed("occupancy, the year (page)", occupancy(year), results)
    timed("user stats, a week by day", lambda: user_stats.user_stats(week, "day", now), results)
    timed("user stats, a month by day", lambda: user_stats.user_stats(month, "day", now), results)
    timed("user stats, the year by month", lambda: user_stats.user_stats(year, "month", now),
          results)
    timed("CSV: revenue, the year", lambda: report_csv.revenue_csv(revenue(year)()), results)
    timed("CSV: occupancy, the year (26,280 showtimes)",
          lambda: report_csv.occupancy_csv(occupancy(year, None)()), results)


def run_all() -> list:
    from cinema.reports import dashboard, report_rollup, reports
    from cinema.reports.report_dates import DateRange

    results: list = []
    run_reports(BEFORE, "Live (as of 31 Dec 2024: no day of 2025 closed, nothing summed)",
                results)
    print("Summing the rollups (once):", flush=True)
    year = DateRange(date(2025, 1, 1), date(2025, 12, 31))
    timed("revenue, the year, summing its 365 days", lambda: reports.revenue_report(
        year, now=AFTER), results, runs=1)
    timed("occupancy, the year, counting 26,280 showtimes", lambda: reports.occupancy_report(
        year, now=AFTER), results, runs=1)
    timed("worker tick with nothing new to sum", lambda: report_rollup.keep_up(AFTER), results)
    run_reports(AFTER, "From the rollups (as of 15 Jan 2026: the whole year closed)", results)
    timed("dashboard (15 Jul 2025, 18:00 local)", lambda: dashboard.dashboard(MIDYEAR), results)
    return results


def main() -> int:
    name = f"cinema_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    try:
        app = create_app(dict(SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=url, REDIS_URL=None,
                              RATELIMIT_STORAGE_URI="memory://",
                              INSTANCE_PATH=tempfile.mkdtemp(prefix="cinema-bench-")))
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            print(f"Generating a year of a 12-screen cinema in {name}:", flush=True)
            with db.engine.begin() as connection:
                generate(connection)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
                counts = conn.execute(sa.text(
                    "SELECT (SELECT count(*) FROM showtimes), (SELECT count(*) FROM reservations),"
                    " (SELECT count(*) FROM reserved_seats), (SELECT count(*) FROM payments)"
                )).one()
            print(f"  {counts[0]:,} showtimes, {counts[1]:,} reservations, {counts[2]:,} booked "
                  f"seats, {counts[3]:,} payments", flush=True)
            print(f"Timings ({RUNS} runs each, PostgreSQL "
                  f"{db.session.scalar(sa.text('SHOW server_version'))}):", flush=True)
            run_all()
            db.session.remove()
            db.engine.dispose()
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"Kept database {name} (BENCH_KEEP is set): drop it when done.")
        else:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
