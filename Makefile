# PrepDesk: `make run` starts the app with demo data; `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test test-clock bench lint browser pytest clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

# Local settings for a laptop: DEBUG on and a random secret key (git-ignored; real env vars win).
.env:
	printf 'DEBUG=1\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@

# Beside the web server: one task worker (it sends the emails, shown on the console) and the
# reminder sweep every minute (what cron does in production); both stop when the server does.
# Links printed or emailed (seed_demo's patient link, digests, notices) name the address served on.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.run-deps .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compile_translations
	$(PY) manage.py seed_demo
	$(PY) manage.py db_worker --no-reload & worker=$$!; \
	  (while true; do $(PY) manage.py send_due_notifications || true; sleep 60; done) & sweep=$$!; \
	  trap 'kill $$worker $$sweep 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

# Production: gunicorn behind a TLS proxy, static files collected and served by WhiteNoise. Needs
# the production environment (DEBUG off, SECRET_KEY, ALLOWED_HOSTS, SITE_URL, CLINIC_TIME_ZONE,
# DATABASE_URL; see deploy/prepdesk.env.example) and refuses to start if `check --deploy` warns.
# WORKERS: 2 × CPU cores + 1 (gunicorn's rule; 3 for a one-core machine). The task worker and the
# sweep run beside it as their own services (deploy/systemd).
WORKERS ?= 3
serve: $(VENV)/.run-deps
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compile_translations
	$(PY) manage.py collectstatic --noinput
	$(VENV)/bin/gunicorn clinic.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile - --error-logfile -

lint: $(VENV)/.dev-deps .env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

# Two workers (pytest-xdist) halve the suite's time on a two-core machine; the order is random
# (pytest-randomly: the seed is printed; rerun that order with PYTEST_ARGS=--randomly-seed=N).
XDIST ?= -n auto
pytest: $(VENV)/.dev-deps .env
	$(PY) manage.py compile_translations
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

# Browser tests use Debian's chromium; install it when possible (CI is root), else they skip.
browser:
	@bash .ci/ensure-chromium || echo "Browser tests will be skipped here (no chromium)."

test: lint browser pytest

# The suite must pass at any hour: run it (browser tests aside) with its clock just after
# midnight, just before midnight, and across the spring-forward night in a clinic zone with DST.
CLOCKS := 2026-11-23T00:30:00+00:00 2026-11-23T23:30:00+00:00 2027-03-14T06:45:00+00:00@America/New_York
test-clock: $(VENV)/.dev-deps .env
	$(PY) manage.py compile_translations
	@set -e; for clock in $(CLOCKS); do \
	  moment=$${clock%@*}; zone=UTC; case $$clock in *@*) zone=$${clock#*@};; esac; \
	  echo "== pytest at $$moment, clinic zone $$zone"; \
	  PREPDESK_CLOCK=$$moment CLINIC_TIME_ZONE=$$zone $(PY) -m pytest -q -p no:cacheprovider $(XDIST) --ignore=tests/e2e $(PYTEST_ARGS); \
	done

# Scale benchmark, by hand only (never part of `make test`): 1000 bench cases (500 in the next
# fortnight) in /tmp/prepdesk-bench.sqlite3, or DATABASE_URL's throwaway database; see bench/RESULTS.md.
bench: $(VENV)/.dev-deps .env
	$(PY) bench/seed.py 1000 --dense --reset
	$(PY) bench/http_load.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
