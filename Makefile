# Two entry points (see README): `make demo` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo test install bench lint clean browser lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Pin what a fresh install resolves today (the newest within pyproject's ranges) into constraints.txt;
## run the suite before committing the result
lock:
	rm -rf /tmp/govshare-lock && $(PYTHON) -m venv /tmp/govshare-lock
	/tmp/govshare-lock/bin/python -m pip install --quiet --upgrade pip
	/tmp/govshare-lock/bin/python -m pip install --quiet -e '.[test]'
	{ echo "# The versions the suite last passed with (make lock refreshes them); pyproject.toml keeps the ranges."; \
	  /tmp/govshare-lock/bin/pip freeze --exclude-editable; } > constraints.txt
	rm -rf /tmp/govshare-lock

## Build the demo city on SQLite (first run) and serve it on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/govshare demo

## Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser of its own), and a
## CJK font so that the screenshots show Chinese
BROWSER_PACKAGES := chromium fonts-wqy-microhei
browser:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null; }; fi

## Run the whole test suite (SQLite by default; GOVSHARE_DATABASE_URL=postgresql://... for PostgreSQL)
test: $(STAMP) browser
	$(BIN)/ruff check govshare tests bench scripts
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## All benchmarks on SQLite; BENCH_DB=postgresql+psycopg://… (a database they may wipe) runs them there too
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	$(BIN)/python bench/load_persons.py
	$(BIN)/python bench/catalog_search.py
	$(BIN)/python bench/governed_lookup.py
	$(BIN)/python bench/exchange_bulk.py
	$(BIN)/python bench/ledger_append.py
	$(BIN)/python bench/ledger_proofs.py
	$(BIN)/python bench/console_pages.py
	if [ -n "$(BENCH_DB)" ]; then for b in load_persons catalog_search governed_lookup exchange_bulk ledger_append \
	  ledger_proofs console_pages; do \
	  $(BIN)/python bench/$$b.py --database-url "$(BENCH_DB)" || exit 1; done; fi

clean:
	rm -rf $(VENV) data .pytest_cache
