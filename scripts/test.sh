#!/usr/bin/env bash
# `make test`: make sure PostgreSQL, Redis and Chromium are there, then run the whole suite.
# The suite creates (and drops) its own PostgreSQL database, so runs never collide.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-services.sh
.venv/bin/ruff check --quiet cinema tests bench migrations/env.py worker.py wsgi.py
# The layers (.importlinter; docs/ARCHITECTURE.md, "Layers").
.venv/bin/lint-imports --no-cache --no-logo >/dev/null || .venv/bin/lint-imports --no-cache --no-logo
# Test files are shared out to TEST_WORKERS processes (pytest-xdist; default: one per CPU), a
# file's tests all in one: much of the suite waits (outages, restarts, Chromium), and each
# process has its own database, Redis prefix and ports. ARGS may say -n 0 to run in one.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --dist loadfile "$@"
