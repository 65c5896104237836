# Pupil Voice: `make demo` to try it, `make test` to test it. `make help` lists everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app survey
PORT ?= 5000
ASSETS := survey/static/build/app.css
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard survey/translations/*/LC_MESSAGES/messages.po))

.DEFAULT_GOAL := help
.PHONY: help install install-test db demo serve test typecheck doctest audit lint chromium clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-app: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-app
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(ASSETS): node_modules/.package-lock.json $(shell find survey/assets -type f 2>/dev/null) scripts/build-assets.mjs
	npm run --silent build

survey/translations/%/LC_MESSAGES/messages.mo: survey/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed-app
	$(BIN)/pybabel compile --use-fuzzy -d survey/translations -l $* >/dev/null

install: $(VENV)/.installed-app $(ASSETS) $(CATALOGUES) ## Install the app, its front-end assets and translations

install-test: install $(VENV)/.installed-test chromium ## Install what the tests need, including Debian's chromium

db: install ## Upgrade the database (instance/survey.db, or DATABASE_URL) and load the questionnaires
	$(FLASK) db upgrade
	$(FLASK) load-questionnaires

# LOCAL_HTTP=true: plain http on this machine, so cookies are not marked Secure and no HSTS is sent.
demo: db ## Load demo data, print pupil codes and staff logins, and serve on http://127.0.0.1:$(PORT)
	LOCAL_HTTP=true $(FLASK) demo
	@echo "\nServing on http://127.0.0.1:$(PORT) (Ctrl+C to stop)"
	LOCAL_HTTP=true $(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production: HTTPS ends at the load balancer; SECRET_KEY must be set. Settings: survey/gunicorn_conf.py.
# Run the results worker beside the web processes (same environment), e.g. in another terminal or unit:
#   .venv/bin/flask --app survey worker      # publishes results releases on RESULTS_RELEASE_SCHEDULE
serve: db ## Upgrade DATABASE_URL, load the questionnaires and serve with gunicorn on port $(PORT)
	PORT=$(PORT) $(BIN)/gunicorn --config python:survey.gunicorn_conf 'survey:create_app()'

# The checks run side by side (pip-audit mostly waits on PyPI; mypy and the doctests take a core each),
# each one's output printed whole when it ends; then the tests, on a worker per core (pytest-xdist,
# a module per worker at a time, the longest first: tests/conftest.py LONGEST_FIRST, tests/shared.py).
# Any failure fails `make test`.
PYTEST_WORKERS ?= auto
test: install-test ## Check dependencies, types (mypy) and analysis's examples, then run every test
	@$(MAKE) --no-print-directory -j3 --output-sync=target audit typecheck doctest
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

doctest: $(VENV)/.installed-test
	$(BIN)/pytest --doctest-modules analysis -q -p no:cacheprovider -p no:xdist

# pip-audit asks PyPI about each installed version. A package it cannot look up is listed as "could
# not be audited" and does not fail the run (AUDIT_STRICT=1 makes it fail): the count is printed.
AUDIT_LOG := $(VENV)/pip-audit.txt
audit: $(VENV)/.installed-test ## Check the installed packages for known vulnerabilities (pip-audit)
	@status=0; $(BIN)/pip-audit --progress-spinner off --skip-editable $(if $(AUDIT_STRICT),--strict) \
		>$(AUDIT_LOG) 2>&1 || status=$$?; \
	skipped=$$(grep -c "could not be audited" $(AUDIT_LOG)); \
	if [ $$status -ne 0 ]; then cat $(AUDIT_LOG); else head -n 1 $(AUDIT_LOG); fi; \
	if [ $$skipped -gt 0 ]; then echo "pip-audit: $$skipped packages could not be audited (see $(AUDIT_LOG))"; fi; \
	exit $$status

lint: $(VENV)/.installed-test ## Check the code with ruff, and the types with mypy (settings: setup.cfg)
	$(BIN)/ruff check .
	$(BIN)/mypy

chromium: ## Install Debian's chromium for the browser tests, if missing (needs root)
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is not installed and this is not root: browser tests will be skipped (CI fails them)"; fi

clean: ## Remove the virtualenv, node_modules and built assets (keeps instance/)
	rm -rf $(VENV) node_modules survey/static/build
