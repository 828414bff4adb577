# GridGov: the two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DEMO_PASSWORD_FILE := gridgov/demo/password.txt
# The demo server's secret key and field keys, generated once per machine, never committed.
LOCAL_ENV := var/local.env
WITH_LOCAL_ENV := set -a && . ./$(LOCAL_ENV) && set +a &&
PORT ?= 8000
# `make test` runs the suite as two pytest sessions side by side: the browser tests (Playwright
# and Chromium; they mostly wait on the browser and the live server) on BROWSER_WORKERS processes,
# everything else on PYTEST_WORKERS. In one session pytest-django runs the transactional tests,
# the browser ones among them, after all the others: the workers spent the last 45 s of every
# run waiting on Chromium with the cores idle. CI machines have 2 cores; one browser process
# finishes within the other session's time, two made the machine so busy that page waits timed out.
PYTEST_WORKERS ?= 2
BROWSER_WORKERS ?= 1
BROWSER_TEST_FILES := $(sort $(wildcard gridgov/*/tests/test_*browser*.py))
# Tests go to the workers a few at a time (by default a worker is handed a quarter of what is
# left: one worker got every browser test and ran them alone for over a minute at the end). Not
# --dist worksteal: stealing can run a test after tests that pytest-django orders after it
# (a transactional test's flush empties the tables the data migrations filled).
# Python writes bytecode, whatever the shell says: without it every test process compiled the
# project and pytest rewrote the asserts of every test module again (7.9 s of collection per
# process instead of 2.5 s).
export PYTHONDONTWRITEBYTECODE :=
PYTEST := DJANGO_SETTINGS_MODULE=config.test_settings $(BIN)/pytest -p no:cacheprovider
PYTEST_XDIST := -n $(PYTEST_WORKERS) --maxschedchunk 4


.PHONY: load run simulate test jstest install install-test run-packages system-packages check lint typecheck compile pytest pytest-main pytest-browser test-pg test-redis prod-check fuzz attack messages migrate demo clean help

help:
	@echo "make run   - install, migrate, load the Taiping demo and serve on http://127.0.0.1:$(PORT)"
	@echo "make test  - install test tools and run the whole suite (lint, types, tests)"

# --- installation ---------------------------------------------------------------------

# uv installs the requirements (a tenth of pip's time with a warm cache: docs/benchmarks.md);
# pip, which every Python has, installs uv itself, and takes over where uv cannot reach an index
# (an intranet with only a pip mirror configured). Bytecode is compiled on every core.
PIP_INSTALL := $(PY) -m pip install --quiet --no-compile
UV_INSTALL := VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv pip install --quiet --compile-bytecode
COMPILE_VENV := $(PY) -m compileall -q -j 0 $(VENV)/lib

$(VENV)/.base-installed: requirements/base.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(PIP_INSTALL) uv 2>/dev/null || true
	$(UV_INSTALL) -r requirements/base.txt || { $(PIP_INSTALL) -r requirements/base.txt && $(COMPILE_VENV); }
	touch $@

$(VENV)/.test-installed: $(VENV)/.base-installed requirements/test.txt
	$(UV_INSTALL) -r requirements/test.txt || { $(PIP_INSTALL) -r requirements/test.txt && $(COMPILE_VENV); }
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(VENV)/.base-installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

messages: $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

install: $(VENV)/.base-installed node_modules/.installed messages run-packages

install-test: install $(VENV)/.test-installed system-packages

run-packages:
	@scripts/ensure-system-packages.sh

system-packages:
	@scripts/ensure-system-packages.sh test

# --- running ---------------------------------------------------------------------------

$(LOCAL_ENV): | $(VENV)/.base-installed
	$(PY) scripts/local_env.py $@

migrate: install $(LOCAL_ENV)
	$(WITH_LOCAL_ENV) DEBUG=1 $(PY) manage.py migrate --no-input

demo: migrate
	$(WITH_LOCAL_ENV) DEBUG=1 $(PY) manage.py load_demo

run: demo
	@echo ""
	@echo "GridGov is starting on http://127.0.0.1:$(PORT)  (Ctrl-C stops the server and the worker)"
	@echo "Demo accounts: admin center01 leader01 dept01 dept02 gridlead01 grid01 grid02 super01 sysadmin01 security01 audit01 upstream01"
	@echo "Administrators (admin, sysadmin01, security01, audit01) set up two-step verification (an authenticator app) at their first login;"
	@echo "to show the demo without one, start it with GRIDGOV_2FA_ROLES= make run"
	@echo "Demo password: $$(cat $(DEMO_PASSWORD_FILE))"
	@echo ""
	@# DEBUG off, as in production: the project's own error pages, never Django's technical one.
	$(WITH_LOCAL_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" DEBUG=0 GRIDGOV_PORT=$(PORT) $(BIN)/honcho -f Procfile start

# While `make run` is up: the simulated district hotline pushes N new orders (default 5).
N ?= 5
simulate: install
	$(WITH_LOCAL_ENV) $(PY) manage.py hotline_simulator push $(N) --url http://127.0.0.1:$(PORT)

# --- checks ----------------------------------------------------------------------------

# Style, the layers between the apps (import-linter contracts in pyproject.toml) and the
# architecture diagram, which is generated from the code and must be current.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(PY) scripts/architecture.py --check

typecheck: install-test
	$(BIN)/mypy gridgov config bench

compile: install-test
	$(PY) -m compileall -q -j 0 gridgov config

# The whole suite (both sessions; with -j they run side by side).
pytest: pytest-main pytest-browser

pytest-main: compile
	$(PYTEST) $(PYTEST_XDIST) -m "not browser"

pytest-browser: compile
	$(PYTEST) -n $(BROWSER_WORKERS) -m browser $(BROWSER_TEST_FILES)

# npm, apt and pip install side by side; then the checks run beside the suite: pytest's workers
# wait on the browser and on subprocesses often enough that the other checks fit in. Each
# check's output is printed in one piece when it ends; any failing one fails `make test`.
test:
	@$(MAKE) --no-print-directory -j 2 install-test
	@$(MAKE) --no-print-directory -j 6 --output-sync=target lint typecheck check jstest pytest-main pytest-browser

# The phone app's pure JavaScript modules (outbox, sync, requests, service-worker routes).
jstest:
	node --test gridgov/mobile/jstests/

# The suite again on PostgreSQL (DATABASE_URL must point at it), as CI runs it; here the test
# database is built by the migrations (elsewhere from the models, see gridgov/testing/fixtures.py).
test-pg: install-test
	$(PYTEST) $(PYTEST_XDIST) --migrations -m "not browser"

# The production settings of deploy/env.example (secrets generated, state in a temporary folder)
# through `manage.py check --deploy` and the project's own deployment checks, failing on any
# warning; then gunicorn reads deploy/gunicorn.conf.py (scripts/prod_check.py).
prod-check: install
	$(PY) scripts/prod_check.py

# Schemathesis over the whole API with two roles' tokens (zero 5xx), then the audit chain
# verified: scripts/api-fuzz.sh. Schemathesis gets a virtualenv of its own.
.venv-fuzz/.installed:
	test -d .venv-fuzz || $(PYTHON) -m venv .venv-fuzz
	.venv-fuzz/bin/python -m pip install --quiet schemathesis
	touch $@

fuzz: install .venv-fuzz/.installed
	scripts/api-fuzz.sh

# The attacker's-eye test of a running demo town, with figures: races, hostile payloads,
# authorization, and Schemathesis as `make fuzz` with the coverage phase (scripts/attack-rerun.sh).
# Minutes long and locks demo accounts on purpose, so not in `make test` or CI; docs/security.md
# has the last figures.
attack: install-test .venv-fuzz/.installed
	scripts/attack-rerun.sh

# Celery through a real Redis broker: a worker and beat started for the test.
test-redis: install-test
	GRIDGOV_REQUIRE_REDIS=1 $(PYTEST) -m redis

# Load with faults (issue 17): a district's busiest morning at ten times its peak through nginx,
# two gunicorn instances and two Celery workers, on a PostgreSQL cluster and a redis-server of
# its own (started and restarted by the script, never the machine's), while a web worker and
# a Celery worker are killed and PostgreSQL and Redis restart; then every acknowledged write,
# duplicates and the outbox are checked (bench/load/run.py, docs/benchmarks.md). About 8
# minutes; `make load ARGS=--quick` about 4. Locust gets a virtualenv of its own.
var/load-venv/.installed:
	test -d var/load-venv || $(PYTHON) -m venv var/load-venv
	VIRTUAL_ENV=$(CURDIR)/var/load-venv $(BIN)/uv pip install --quiet locust || var/load-venv/bin/python -m pip install --quiet locust
	touch $@

load: install var/load-venv/.installed
	@command -v nginx >/dev/null || { echo "nginx is needed (apt-get install nginx)"; exit 1; }
	@command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)"; exit 1; }
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "PostgreSQL is needed (apt-get install postgresql)"; exit 1; }
	PATH="$$PATH:$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)" $(PY) bench/load/run.py $(ARGS)

clean:
	rm -rf $(VENV) .venv-fuzz node_modules var
