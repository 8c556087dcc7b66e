# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint schema system-deps bench-db examples clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt | $(PY)
	$(PIP) install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

## Serve the app at http://127.0.0.1:7860 (offline defaults unless settings say otherwise).
run: $(VENV)/.installed-run
	$(PY) app.py

## Install what the tests need (Python packages, Chromium for the browser test) and run them all.
test: $(VENV)/.installed-dev system-deps
	$(PY) -m pytest

## Debian packages the browser test needs (no-op when present or when not root).
system-deps:
	@bash scripts/install_system_deps.sh

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

## Regenerate db/create_tables.sql from the SQLModel classes.
schema: $(VENV)/.installed-run
	$(PY) -m db.schema > db/create_tables.sql

bench-db: $(VENV)/.installed-dev
	$(PY) benchmarks/db_bench.py

clean:
	rm -rf .pytest_cache .ruff_cache tests/artifacts
