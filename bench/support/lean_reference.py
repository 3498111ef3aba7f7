"""The lean reference: the least a Flask app could do for a hold and a seat map, to measure the
app against in the same run (``bench/holds.py`` serves it with the same gunicorn and client).

Flask and SQLAlchemy Core on the project's own schema and database, and nothing else: no ORM,
no session, no sign-in, no CSRF, no Redis, no validation beyond what the database enforces.

- ``POST /hold`` (form: user_id, showtime_id, seat_ids): in one transaction, the same hold the
  app makes. Statement 1 retires the patron's previous hold for the showtime and any expired
  hold on the wanted seats (reservations and their seat rows, one CTE); statement 2 inserts the
  reservation and its seat rows against the same partial unique index
  ``uq_reserved_seats_active`` (``ON CONFLICT DO NOTHING``: fewer rows back than seats asked
  means someone else has one, so the transaction is rolled back and the answer is 409). Then
  COMMIT and 303, as the app answers.
- ``GET /showtimes/<id>/seats``: the showtime's seats with their live claims (one statement
  after the showtime's), rendered with the app's own ``partials/_seat_map.html``.

Served as ``lean_reference:app`` from this folder (``bench/support/``: not a benchmark, so
`make bench`, which runs ``bench/*.py``, does not run it); DATABASE_URL as for the app.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, Flask, redirect, render_template, request

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from cinema.models.enums import SeatType  # noqa: E402 - an enum, not a model
from cinema.money import format_money  # noqa: E402
from cinema.templating import seat_cells_renderer  # noqa: E402

HOLD_SECONDS = 600
# The app's default seat-type adjustments (cinema/config.py), so the map shows similar prices.
SEAT_TYPE_CENTS = {SeatType.REGULAR: 0, SeatType.PREMIUM: 300, SeatType.COUPLE: 400,
                   SeatType.WHEELCHAIR: 0}

engine = sa.create_engine(
    os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1),
    pool_size=int(os.environ.get("LEAN_POOL_SIZE", "10")), max_overflow=10)

RETIRE = sa.text("""
WITH retired AS (
    UPDATE reservations SET status = 'CANCELLED', cancelled_at = :now, updated_at = :now,
        cancel_reason = CASE WHEN user_id = :user_id THEN 'REPLACED' ELSE 'EXPIRED' END
    WHERE id IN (
        SELECT r.id FROM reservations r
        WHERE r.showtime_id = :showtime_id AND r.status = 'HELD'
          AND (r.user_id = :user_id
               OR (r.hold_expires_at <= :now AND r.id IN (
                   SELECT rs.reservation_id FROM reserved_seats rs
                   WHERE rs.showtime_id = :showtime_id AND rs.is_active
                     AND rs.seat_id = ANY(:seat_ids))))
        ORDER BY r.id FOR UPDATE)
    RETURNING id)
UPDATE reserved_seats SET is_active = false, updated_at = :now
WHERE is_active AND reservation_id IN (SELECT id FROM retired)
""")

CLAIM = sa.text("""
WITH reservation AS (
    INSERT INTO reservations (code, user_id, showtime_id, status, hold_expires_at,
        total_price_cents, created_at, updated_at, is_deleted, created_by)
    VALUES (upper(substr(md5(random()::text), 1, 10)), :user_id, :showtime_id, 'HELD',
            :expires, :total, :now, :now, false, :user_id)
    RETURNING id)
INSERT INTO reserved_seats (reservation_id, showtime_id, seat_id, is_active, base_price_cents,
    seat_type_adjustment_cents, time_adjustment_cents, time_rule, discount_cents, price_cents,
    created_at, updated_at, is_deleted, created_by)
SELECT reservation.id, :showtime_id, seat_id, true, :price, 0, 0, NULL, 0, :price,
       :now, :now, false, :user_id
FROM reservation, unnest(CAST(:seat_ids AS integer[])) AS seat_id
ORDER BY seat_id
ON CONFLICT (showtime_id, seat_id) WHERE is_active DO NOTHING
RETURNING reservation_id
""")

SHOWTIME = sa.text("""
SELECT id, auditorium_id, starts_at, base_price_cents, cancelled_at
FROM showtimes WHERE id = :showtime_id AND NOT is_deleted
""")

SEATS = sa.text("""
SELECT s.id, s.row_label, s.number, s.row_index, s.col_index, s.seat_type, s.is_blocked,
       s.partner_seat_id, c.status
FROM seats s
LEFT JOIN (
    SELECT rs.seat_id, r.status FROM reserved_seats rs
    JOIN reservations r ON r.id = rs.reservation_id
    WHERE rs.showtime_id = :showtime_id AND rs.is_active
      AND (r.status IN ('CONFIRMED', 'COMPLETED')
           OR (r.status = 'HELD' AND r.hold_expires_at > :now))) c ON c.seat_id = s.id
WHERE s.auditorium_id = :auditorium_id AND NOT s.is_deleted
ORDER BY s.row_index, s.col_index
""")

app = Flask(__name__, template_folder=str(REPO_ROOT / "cinema" / "templates"))
app.config["CURRENCY"] = "GBP"
app.jinja_env.filters["money"] = format_money
# The partial's seats rendered one by one on every request, as a plain template does (the app
# keeps each rendered seat: templating.seat_cells_renderer).
app.jinja_env.globals["seat_cells"] = seat_cells_renderer(app, kept=0)
showtimes = Blueprint("showtimes", __name__, url_prefix="/showtimes")


@app.post("/hold")
def hold():
    """Hold the form's seats for the form's patron: 303, or 409 if one is taken."""
    user_id = int(request.form["user_id"])
    showtime_id = int(request.form["showtime_id"])
    seat_ids = sorted(int(s) for s in request.form.getlist("seat_ids"))
    now = datetime.now(timezone.utc)
    price = 1000
    with engine.connect() as conn:
        conn.execute(RETIRE, dict(user_id=user_id, showtime_id=showtime_id, seat_ids=seat_ids,
                                  now=now))
        claimed = conn.execute(CLAIM, dict(
            user_id=user_id, showtime_id=showtime_id, seat_ids=seat_ids, now=now,
            expires=now + timedelta(seconds=HOLD_SECONDS), total=price * len(seat_ids),
            price=price)).all()
        if len(claimed) != len(seat_ids):
            conn.rollback()
            return "taken", 409
        conn.commit()
    return redirect(f"/bookings/{claimed[0].reservation_id}", 303)


@showtimes.get("/<int:showtime_id>/seats")
def seats(showtime_id: int):
    """The seat map partial of a showtime."""
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        showtime = conn.execute(SHOWTIME, dict(showtime_id=showtime_id)).one_or_none()
        if showtime is None:
            return "no such showtime", 404
        rows_found = conn.execute(SEATS, dict(showtime_id=showtime_id, now=now,
                                              auditorium_id=showtime.auditorium_id)).all()
    columns = max((s.col_index for s in rows_found), default=-1) + 1
    rows: dict[int, SimpleNamespace] = {}
    counts = {"free": 0, "held": 0, "sold": 0, "blocked": 0}
    types = set()
    for seat in rows_found:
        seat_type = SeatType(seat.seat_type)
        state = ("blocked" if seat.is_blocked else "free" if seat.status is None
                 else "held" if seat.status == "HELD" else "sold")
        counts[state] += 1
        types.add(seat_type)
        row = rows.setdefault(seat.row_index, SimpleNamespace(label=seat.row_label,
                                                              cells=[None] * columns))
        row.cells[seat.col_index] = SimpleNamespace(
            id=seat.id, row_label=seat.row_label, number=seat.number, col_index=seat.col_index,
            seat_type=seat_type, state=state, label=f"{seat.row_label}{seat.number}",
            selectable=state == "free", partner_id=seat.partner_seat_id,
            pair_kind=None if seat.partner_seat_id is None else
            "couple" if seat_type is SeatType.COUPLE else
            "space" if seat_type is SeatType.WHEELCHAIR else "companion")
    labels = {seat.id: f"{seat.row_label}{seat.number}" for seat in rows_found}
    seat_map = SimpleNamespace(rows=[rows[k] for k in sorted(rows)], available=counts["free"],
                               capacity=len(rows_found) - counts["blocked"],
                               labels=lambda: labels)
    type_prices = {t: showtime.base_price_cents + SEAT_TYPE_CENTS[t]
                   for t in SeatType if t in types}
    return render_template("partials/_seat_map.html", seat_map=seat_map, showtime=showtime,
                           selected=frozenset(), type_prices=type_prices,
                           map_version=f"{now.timestamp()}",
                           is_bookable=showtime.cancelled_at is None and showtime.starts_at > now)


@app.get("/")
def hello():
    return "lean"


app.register_blueprint(showtimes)
