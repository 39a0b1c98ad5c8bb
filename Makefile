# make run   - the main job (the terminal chat when no Slack or Teams credentials are set)
# make test  - the test suite, on SQLite and, where a PostgreSQL server is installed, on PostgreSQL
# make bench - the benchmarks

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/preflight run

test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
