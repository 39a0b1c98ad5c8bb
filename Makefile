# make run   - the main job (the terminal chat when no Slack or Teams credentials are set)
# make test  - the test suite, on SQLite and, where a PostgreSQL server is installed, on PostgreSQL
# make bench - the benchmarks

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: run test check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/preflight run

test: $(STAMP) check
	PATH="$(abspath $(BIN)):$$PATH" scripts/with-browser.sh scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint, format and types: quick, and first, so a slip shows before the long run.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
