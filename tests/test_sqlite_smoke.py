"""The zero-setup default: SQLite in instance/, no Redis. Run in subprocesses, as `make run` does."""
from __future__ import annotations

from tests.sqlite_mode import FLASK, embedded_env, run, run_python


def test_default_path_migrates_seeds_serves_and_books_on_sqlite(tmp_path):
    env = embedded_env(tmp_path)
    run(FLASK + ["db", "upgrade"], env)
    assert (tmp_path / "cinema.sqlite3").exists()
    # Every migration keeps the indexes a rebuilt table would lose (SQLite's batch mode does):
    # above all the partial unique index that makes a double booking impossible.
    import sqlite3

    with sqlite3.connect(tmp_path / "cinema.sqlite3") as db:
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"uq_reserved_seats_active", "uq_seats_label", "uq_seats_position",
            "uq_users_email_lower", "ix_reservations_refund_due"} <= indexes, sorted(indexes)
    output = run(FLASK + ["seed-demo"], env)
    assert "patron@lumen.example" in output
    check = """
from cinema import create_app
app = create_app({"WTF_CSRF_ENABLED": False})
client = app.test_client()
assert client.get("/").status_code == 200
health = client.get("/healthz").get_json()
assert health["checks"]["database"]["backend"] == "sqlite", health
assert health["checks"]["redis"] == {"ok": True, "configured": False}, health
r = client.post("/auth/login", data={"email": "patron@lumen.example", "password": "patron-demo-pass"})
assert r.status_code == 303, r.status_code
assert client.get("/bookings/my").status_code == 200
from cinema.booking import best_available, seatmap
from cinema.extensions import db
from cinema.models import Showtime, utcnow
with app.app_context():  # two seats the demo's own bookings leave free together
    pair = [cell.id for cell in best_available.best_seats(
        seatmap.build(db.session.get(Showtime, 5), utcnow()).rows, 2)]
r = client.post("/bookings/hold", data={"showtime_id": 5, "seat_ids": pair},
                headers={"Accept": "application/json"})
assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:500])
r = client.post(r.headers["Location"] + "/confirm", data={"payment_method": "card",
    "card_number": "4242424242424242", "card_expiry": "12/34", "card_cvc": "123"})
assert r.status_code == 303, r.status_code
booking_url = r.headers["Location"]
assert b"QR code of booking" in client.get(booking_url).data
# Moving the booking to another showtime of the film, paying or getting back the difference.
import sqlalchemy as sa
with app.app_context():
    film = db.session.get(Showtime, 5).movie_id
    other = db.session.scalar(sa.select(Showtime).where(
        Showtime.movie_id == film, Showtime.id != 5, Showtime.starts_at > utcnow())
        .order_by(Showtime.starts_at.desc()))
    target, pair = other.id, [cell.id for cell in best_available.best_seats(
        seatmap.build(other, utcnow()).rows, 2)]
r = client.post(f"{booking_url}/exchange/{target}", data={"seat_ids": pair})
assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:500])
review = r.headers["Location"]
assert b"Move booking" in client.get(review).data
hold_id = review.rstrip("/").rsplit("/", 1)[1]
r = client.post(f"{booking_url}/exchange/{hold_id}/confirm", data={
    "card_number": "4242424242424242", "card_expiry": "12/34", "card_cvc": "123"})
assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:500])
assert b"Your booking has moved" in client.get(r.headers["Location"]).data
print("ok")
"""
    assert run_python(check, env).strip().endswith("ok")
