# make run   - the main job (the terminal chat when no Slack or Teams credentials are set)
# make export - every assessment's results (FORMAT=csv|json|md, OUTPUT=FILE)
# make test  - the test suite, on SQLite and, where a PostgreSQL server is installed, on PostgreSQL
# make bench - the benchmarks

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: run export test check bench clean

# The installers' output goes to a log, shown only when a step fails.
$(STAMP): pyproject.toml
	@scripts/quietly.sh $(VENV)/install.log "Setting up $(VENV) for Preflight (a minute or two the first time)..." \
		sh -c '$(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --upgrade pip && $(BIN)/python -m pip install -e ".[test]"'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/preflight run

# FORMAT=csv|json|md (default json), OUTPUT=FILE (default: the screen)
export: $(STAMP)
	@$(BIN)/preflight export --format $(or $(FORMAT),json) $(if $(OUTPUT),--output "$(OUTPUT)")

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
