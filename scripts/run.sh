#!/usr/bin/env bash
# `make run`: migrate, load the demo cinema, serve. Two modes, chosen by the environment:
#   nothing set                   -> SQLite in instance/, background jobs in-process
#   DATABASE_URL and REDIS_URL    -> PostgreSQL and Redis, plus worker.py (RQ + scheduler)
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=wsgi
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
# Links in emails written outside a request (demo bookings, reminders) point at this server.
export SITE_URL=${SITE_URL:-http://$HOST:$PORT}

if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
  echo "==> Mode: PostgreSQL ($DATABASE_URL) + Redis ($REDIS_URL) with the RQ worker"
  mode=services
else
  echo "==> Mode: embedded: SQLite in instance/, background jobs in-process (set DATABASE_URL and REDIS_URL for PostgreSQL + Redis)"
  mode=embedded
fi
echo "==> Migrating"
$BIN/flask db upgrade
echo "==> Loading the demo cinema"
$BIN/flask seed-demo

if [ "$mode" = services ]; then
  $BIN/python worker.py &
  worker=$!
  trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
fi
echo "==> Open http://$HOST:$PORT/"
$BIN/flask serve --host "$HOST" --port "$PORT"
