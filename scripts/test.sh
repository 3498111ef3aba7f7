#!/usr/bin/env bash
# `make test`: make sure PostgreSQL, Redis and Chromium are there, then run the whole suite.
# The suite creates (and drops) its own PostgreSQL database, so runs never collide.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-services.sh
.venv/bin/ruff check --quiet cinema tests bench migrations/env.py worker.py wsgi.py
# The layers (.importlinter; docs/ARCHITECTURE.md, "Layers").
.venv/bin/lint-imports --no-cache --no-logo >/dev/null || .venv/bin/lint-imports --no-cache --no-logo
exec .venv/bin/python -m pytest "$@"
