# The two commands: `make run` (set up, build the demo installation, serve the dashboard) and
# `make test` (dev tools, Debian's Chromium when missing, ruff, mypy and the whole pytest suite).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev

.PHONY: run test lint chromium demo-data notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV): $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# Reports draw their charts in Debian's Chromium (kaleido), so the served app needs it too.
run: $(STAMP) chromium
	$(VENV)/bin/bms init
	$(VENV)/bin/bms demo
	$(VENV)/bin/bms serve

test: $(DEV) chromium lint
	$(VENV)/bin/pytest

lint: $(DEV)
	$(VENV)/bin/ruff check etl dashboard tests benchmarks data/demo/generate.py
	$(VENV)/bin/ruff format --check etl dashboard tests benchmarks data/demo/generate.py
	$(VENV)/bin/mypy

# Browser tests drive Debian's Chromium through Playwright; they are never skipped.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Regenerate the bundled demo data (seeded: the output is byte-identical every time).
demo-data: $(STAMP)
	$(PY) data/demo/generate.py

# JupyterLab on a demo installation of its own (built once in .notebook-demo/; BMS_DATA_DIR points the
# notebooks at it). Set NOTEBOOK_DATA=/path/to/data to open them on a real installation instead.
NOTEBOOK_DATA ?= $(CURDIR)/.notebook-demo/data

notebooks: $(DEV)
	$(PY) -m pip install --quiet -e ".[dev,notebooks]"
	@test -e "$(NOTEBOOK_DATA)/warehouse/current.duckdb" || $(VENV)/bin/bms demo --data-dir "$(NOTEBOOK_DATA)"
	BMS_DATA_DIR="$(NOTEBOOK_DATA)" $(VENV)/bin/jupyter lab --notebook-dir=notebooks

clean:
	rm -rf $(VENV) data/inbox data/archive data/rejected data/warehouse .notebook-demo
