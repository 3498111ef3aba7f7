"""When Redis goes away, sign-in keeps working and keeps being limited (per process, in memory).

Runs against a private redis-server (never the shared one) in a subprocess app on the run's
PostgreSQL database, so stopping Redis disturbs nothing else.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SCRIPT = """
import os, subprocess, sys, time
import redis
from cinema import create_app

port = int(os.environ["PRIVATE_REDIS_PORT"])
app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_LOGIN": "5 per minute",
                  "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/0"})
client = app.test_client()
def attempt():
    return client.post("/auth/login", data={"email": "x@example.com", "password": "wrong-pass"},
                       environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code
assert attempt() == 401            # counted in Redis
redis.Redis(port=port).shutdown(nosave=True)
time.sleep(0.5)
codes = [attempt() for _ in range(6)]
print("codes", codes)
assert 500 not in codes, codes      # Redis down is not an outage of the sign-in page
assert codes[:4] == [401] * 4, codes
assert 429 in codes, codes          # and the limit still holds, in memory
print("ok")
"""


def test_login_limits_fall_back_to_memory_when_redis_is_down(app, database_url, tmp_path):
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(INSTANCE_PATH=str(tmp_path), PRIVATE_REDIS_PORT=str(port),
                   DATABASE_URL=database_url)  # the run's PostgreSQL, already migrated
        result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().endswith("ok")
    finally:
        server.kill()
        server.wait()
