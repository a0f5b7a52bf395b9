# West Midlands ADASS balanced scorecard: everyday commands. `make help` lists them.
# Every command runs the venv's own Python, so nothing needs activating.

VENV ?= .venv
PYTHON := $(VENV)/bin/python
MANAGE := $(PYTHON) manage.py
# Re-install only when pyproject.toml changes.
INSTALLED := $(VENV)/.installed

HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

ASCOF_FILES := \
	data/ascof/ascof_timeseries_2015-16_to_2024-25_official.ods \
	data/ascof/ascof_outcomes_total_2017-18_to_2023-24.csv.gz \
	data/ascof/ascof_2020-21_official_open_data.csv.gz \
	data/ascof/ascof_2022-23_regions_num_den.csv

.DEFAULT_GOAL := help
.PHONY: help install demo demo-data serve test lint format migrations-check bench clean

help:
	@echo "make demo              venv, SQLite database, reference + ASCOF + demo data, then runserver"
	@echo "make install           create $(VENV) and install the project with its test extras"
	@echo "make serve             runserver on http://$(HOST):$(PORT)/ (DEBUG on)"
	@echo "make test              pytest on SQLite; again on PostgreSQL when DATABASE_URL is set"
	@echo "make lint              ruff check and ruff format --check"
	@echo "make format            ruff format and ruff check --fix"
	@echo "make migrations-check  fail if a model change has no migration"
	@echo "make bench             run every bench/*.py"
	@echo "make clean             remove caches, collected static files and test artifacts"

$(PYTHON):
	python3 -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install -e '.[test]'
	touch $@

install: $(INSTALLED)

# Every step is safe to repeat, so a second `make demo` starts the server on the same data.
demo-data: $(INSTALLED)
	$(MANAGE) migrate --noinput
	$(MANAGE) load_reference
	$(MANAGE) import_ascof $(ASCOF_FILES)
	$(MANAGE) load_demo
	$(MANAGE) load_demo_returns

demo: demo-data serve

# DEBUG on so runserver serves static files without collectstatic.
serve: $(INSTALLED)
	@echo "Scorecard at http://$(HOST):$(PORT)/ (admin at http://$(HOST):$(PORT)/admin/)"
	DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

# The SQLite pass leaves tests marked `postgres` to the PostgreSQL pass when one follows.
test: $(INSTALLED)
	@echo "== pytest on SQLite =="
	env -u DATABASE_URL $(PYTHON) -m pytest $(if $(DATABASE_URL),-m "not postgres") $(PYTEST_ARGS)
ifneq ($(strip $(DATABASE_URL)),)
	@echo "== pytest on PostgreSQL (DATABASE_URL) =="
	$(PYTHON) -m pytest --create-db $(PYTEST_ARGS)
endif

lint: $(INSTALLED)
	$(PYTHON) -m ruff check . ; status=$$? ; $(PYTHON) -m ruff format --check . && exit $$status

format: $(INSTALLED)
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

migrations-check: $(INSTALLED)
	$(MANAGE) makemigrations --check --dry-run

# Every benchmark runs, whatever an earlier one found; the exit status says whether any missed.
bench: $(INSTALLED)
	@status=0; for script in bench/*.py; do \
		[ -e "$$script" ] || { echo "no benchmarks in bench/"; break; }; \
		echo "== $$script =="; \
		DJANGO_SETTINGS_MODULE=scorecard.settings PYTHONPATH="$(CURDIR)" $(PYTHON) "$$script" \
			|| { echo "== $$script missed a target or failed"; status=1; }; \
	done; exit $$status

clean:
	rm -rf staticfiles test-artifacts .pytest_cache .ruff_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
