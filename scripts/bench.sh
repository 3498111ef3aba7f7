#!/usr/bin/env bash
# `make bench`: the benchmarks in bench/ (they print numbers; nothing asserts on speed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-services.sh
for bench in bench/*.py; do
  [ -e "$bench" ] || continue
  echo "==> $bench"
  .venv/bin/python "$bench"
done
