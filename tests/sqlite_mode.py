"""Running the app the way `make run` does with nothing configured: SQLite in an instance
folder, no Redis, commands in subprocesses (so the test process's app is left alone)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask"]


def run(args, env) -> str:
    """Run a command from the repository root; fail the test with its output if it fails."""
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def embedded_env(instance_path: Path) -> dict:
    """The environment of a fresh clone: no database, Redis, secret or production setting."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "CINEMA_ENV", "SECRET_KEY")}
    env.update(INSTANCE_PATH=str(instance_path), FLASK_APP="wsgi")
    return env


def run_python(code: str, env) -> str:
    return run([sys.executable, "-c", code], env)
