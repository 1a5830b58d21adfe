# SEND Ready: `make run` serves the app on http://127.0.0.1:5000 with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app:create_app

.PHONY: setup run oidc-demo test lint bench clean system-packages screenshots

setup: $(VENV)/.installed node_modules/.installed app/static/app.css

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

app/static/app.css: node_modules/.installed $(wildcard app/assets/*)
	npm run --silent build

# The demo password is printed last, after the server's address (scripts/run-demo.sh).
run: setup
	@scripts/run-demo.sh

# The demo with "Sign in with Microsoft" and "Sign in with Google" working, and no real provider: the
# test OpenID provider (tests/people/oidc/provider.mjs, with Oakfield's people as its accounts in
# tests/people/oidc/demo.json) on 127.0.0.1:5001 plays both. Ctrl-C stops both servers.
OIDC_DEMO := http://127.0.0.1:5001
oidc-demo: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	node tests/people/oidc/provider.mjs tests/people/oidc/demo.json & provider=$$!; \
	trap 'kill $$provider' EXIT; \
	MICROSOFT_CLIENT_ID=send-ready-demo MICROSOFT_CLIENT_SECRET=demo-secret-for-the-test-provider-only \
	MICROSOFT_METADATA_URL=$(OIDC_DEMO)/organizations/v2.0/.well-known/openid-configuration \
	GOOGLE_CLIENT_ID=send-ready-demo GOOGLE_CLIENT_SECRET=demo-secret-for-the-test-provider-only \
	GOOGLE_METADATA_URL=$(OIDC_DEMO)/google/.well-known/openid-configuration \
	PUBLIC_BASE_URL=http://127.0.0.1:5000 \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Every test on SQLite, spread over TEST_WORKERS processes; the browser tests; then, when
# TEST_DATABASE_URL names a PostgreSQL database, every database test again on PostgreSQL (each
# process uses its own database on that server, named after it).
TEST_WORKERS ?= 2
test: setup system-packages lint
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not browser"
	$(BIN)/pytest -m browser
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== The database tests again, on PostgreSQL ($$TEST_DATABASE_URL) =="; \
		$(BIN)/pytest -n $(TEST_WORKERS) --database=postgresql -m "not browser"; \
	else \
		echo "TEST_DATABASE_URL is not set: the PostgreSQL pass was skipped (SQLite only)."; \
	fi

# Chromium and Pango: installed when missing and possible (root, or sudo without a password), otherwise
# one line saying what to install.
system-packages:
	@scripts/system-packages.sh

# Screenshots at 390 px and 1280 px of home, training, the staff dashboard and the board report, from
# the demo data in Chromium, into screenshots/ (git-ignored).
screenshots: setup system-packages
	$(BIN)/python scripts/screenshots.py

# The load benchmark (docs/performance.md): rebuilds the PostgreSQL database `bench` with generated
# data, serves it with gunicorn on 127.0.0.1 and drives it with wrk (installed from Debian if missing).
# 6 to 8 minutes; flags go in BENCH_ARGS, for example `make bench BENCH_ARGS="--schools 20 --runs 1"`.
bench: setup
	$(BIN)/python -m tests.benchmark.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules app/static .pytest_cache
