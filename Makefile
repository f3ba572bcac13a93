# Keel: `make run` starts the app with demo data; `make test` runs every check CI runs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-image lint format migrations-check chromium alertmanager oidc-peer oidc-dev bench vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Local settings for a development checkout (see keel/settings.py); never in production.
.env:
	printf 'DEBUG=true\n' > .env

run: $(VENV)/.installed .env
	$(BIN)/python -m keel.run

# Browser tests drive Debian's Chromium. Install it when missing and we may (root, or
# password-less sudo), waiting for the package manager's lock if another install holds it;
# otherwise the browser tests are skipped with a message saying so.
chromium:
	@bash .ci/install-debian-package $(CHROMIUM) chromium

# The inbound-alerts end-to-end test drives a real Alertmanager (and its amtool), installed
# the same way: waiting for the package manager's lock, skipped with a message if we may not.
alertmanager:
	@bash .ci/install-debian-package /usr/bin/prometheus-alertmanager prometheus-alertmanager

# The sign-in tests run a real OpenID Connect provider (panva/oidc-provider) with Node.js,
# installed from tests/peers/oidc's lock file; without npm those tests are skipped.
OIDC_PEER := tests/peers/oidc
oidc-peer:
	@if command -v npm >/dev/null; then \
		[ $(OIDC_PEER)/node_modules/.package-lock.json -nt $(OIDC_PEER)/package-lock.json ] \
		|| npm ci --prefix $(OIDC_PEER) --no-audit --no-fund --silent; \
	else echo "npm is not installed: the OpenID Connect sign-in tests will be skipped"; fi

# A local identity provider to try OpenID Connect sign-in with `make run` (README-sso.md):
# http://localhost:9000, account "sso-demo" (any password) in the group platform-oncall.
OIDC_DEV_PORT ?= 9000
OIDC_DEV_CLIENTS := [{"client_id": "keel-dev", "client_secret": "keel-dev-secret", \
	"redirect_uris": ["http://127.0.0.1:8000/accounts/oidc/local/login/callback/", \
	"http://localhost:8000/accounts/oidc/local/login/callback/"], \
	"post_logout_redirect_uris": ["http://127.0.0.1:8000/accounts/login/", \
	"http://localhost:8000/accounts/login/"]}]
OIDC_DEV_USERS := {"sso-demo": {"email": "sso-demo@keel.local", "email_verified": true, \
	"name": "Sam SSO", "groups": ["platform-oncall"]}}
oidc-dev: oidc-peer
	OIDC_PORT=$(OIDC_DEV_PORT) OIDC_CLIENTS='$(OIDC_DEV_CLIENTS)' OIDC_USERS='$(OIDC_DEV_USERS)' \
		node $(OIDC_PEER)/server.mjs

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.dev-installed
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

test: $(VENV)/.dev-installed .env chromium alertmanager oidc-peer lint migrations-check
	DEBUG=true $(BIN)/python manage.py check
	# CONN_MAX_AGE=0: connections opened in worker threads close after use, so the test
	# database can be dropped at the end.
	DEBUG=true CONN_MAX_AGE=0 $(BIN)/python -m pytest $(PYTEST_ARGS)

# The container image and compose.yaml, built and run with podman and checked from outside
# (.ci/image-check; as root, like CI, which runs it after `make test`).
test-image: $(VENV)/.dev-installed
	bash .ci/image-check

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/api_list.py

# Refresh the vendored front-end assets from their npm packages.
HTMX_VERSION := 2.0.11
vendor:
	cd $$(mktemp -d) && npm pack --silent htmx.org@$(HTMX_VERSION) && tar xzf htmx.org-$(HTMX_VERSION).tgz \
		&& cp package/dist/htmx.min.js $(CURDIR)/static/vendor/htmx.min.js

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
