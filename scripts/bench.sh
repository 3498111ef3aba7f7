#!/usr/bin/env bash
# `make bench`: the benchmarks, bench/*.py (they print numbers; nothing asserts on speed). What
# they serve or share lives in bench/support/ and is not run here.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-services.sh
for bench in bench/*.py; do
  [ -e "$bench" ] || continue
  echo "==> $bench"
  .venv/bin/python "$bench"
done
