# The two commands: `make run` and `make test`. Everything they need is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HTMX_VERSION := 2.0.11
HTMX_SHA256 := d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717
HTMX := cinema/static/vendor/htmx.min.js
# axe-core runs inside the browser tests only: kept under tests/, never served by the app.
AXE_VERSION := 4.10.3
AXE_SHA256 := 880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb
AXE := tests/vendor/axe.min.js

.PHONY: run test bench worker install clean

run: install ## migrate, seed the demo, serve (SQLite + in-process jobs, or PostgreSQL + Redis + worker)
	scripts/run.sh

test: install ## the whole suite on a fresh PostgreSQL database, real Redis, SMTP and Chromium
	scripts/test.sh $(ARGS)

bench: install ## benchmarks (not part of `make test`)
	scripts/bench.sh

worker: install ## an RQ worker with its scheduler (needs REDIS_URL)
	$(BIN)/python worker.py

install: $(VENV)/.installed $(HTMX) $(AXE)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(HTMX):
	scripts/fetch-htmx.sh $(HTMX_VERSION) $(HTMX_SHA256) $@

$(AXE):
	scripts/fetch-npm-file.sh axe-core $(AXE_VERSION) axe.min.js $(AXE_SHA256) $@

clean:
	rm -rf $(VENV) $(HTMX) $(AXE) .pytest_cache
