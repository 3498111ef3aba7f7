"""The zero-setup default: SQLite in instance/, no Redis. Run in subprocesses, as `make run` does."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args, env):
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_default_path_migrates_seeds_serves_and_books_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "CINEMA_ENV", "SECRET_KEY")}
    env.update(INSTANCE_PATH=str(tmp_path), FLASK_APP="wsgi")
    flask = [sys.executable, "-m", "flask"]
    run(flask + ["db", "upgrade"], env)
    assert (tmp_path / "cinema.sqlite3").exists()
    output = run(flask + ["seed-demo"], env)
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
r = client.post("/bookings/hold", data={"showtime_id": 5, "seat_ids": [10, 11]})
assert r.status_code == 303, r.status_code
r = client.post(r.headers["Location"] + "/confirm", data={"payment_method": "card",
    "card_number": "4242424242424242", "card_expiry": "12/34", "card_cvc": "123"})
assert r.status_code == 303, r.status_code
assert b"QR code of booking" in client.get(r.headers["Location"]).data
print("ok")
"""
    assert run([sys.executable, "-c", check], env).strip().endswith("ok")
