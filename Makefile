.DEFAULT_GOAL := help
.PHONY: help run test lint format lock bench bench-load clean distclean

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written after a successful install; newer pyproject.toml or requirements.lock reinstall.
STAMP := $(VENV)/.installed
# Extra arguments for every benchmark script, e.g. make bench BENCH_ARGS="--cases 10000".
BENCH_ARGS ?=

help:
	@echo "make run     start Harbour at http://127.0.0.1:8000 with demo data (Ctrl-C stops it)"
	@echo "make test    lint, migration check and the whole test suite (browser tests included)"
	@echo "make lint    ruff check and ruff format --check"
	@echo "make format  ruff format and ruff check --fix"
	@echo "make lock    re-resolve requirements.lock from pyproject.toml in a clean virtualenv"
	@echo "make bench   run the scale benchmarks in benchmarks/"
	@echo "make bench-load  load benchmark of the real stack (gunicorn, Celery, Locust; LOAD_ARGS=...)"
	@echo "make clean   remove caches and collected static files (dist# Load benchmark of the whole stack (benchmarks/load/); e.g. make bench-load LOAD_ARGS="--users 20".
LOAD_ARGS ?=
bench-load: $(STAMP)
	$(BIN)/python -m benchmarks.load.run $(LOAD_ARGS)

clean: also .venv and var/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m config.devrun

test: $(STAMP) lint
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock:
	rm -rf var/lock-venv
	$(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Resolved, pinned dependency set (pip constraints). Regenerate with \`make lock\`."; \
	  var/lock-venv/bin/python -m pip freeze --exclude-editable; \
	} > requirements.lock
	rm -rf var/lock-venv

BENCH ?= *
bench: $(STAMP)
	@for script in benchmarks/bench_$(BENCH).py; do \
		echo "== $$script"; \
		$(BIN)/python "$$script" $(BENCH_ARGS) || exit 1; \
	done

clean:
	rm -rf var/staticfiles var/test-media test-results .ruff_cache .pytest_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) var
