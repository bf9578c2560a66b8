# ChurnOps: `make demo` runs the whole product on this machine; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_CUSTOMERS ?= 4000
HOST ?= 127.0.0.1
PORT ?= 8000
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: install messages makemessages demo demo-data serve test lint format worker beat bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "ChurnOps needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1). Set PYTHON=/path/to/python3.11"; exit 1; }
	@test ! -e $(VENV) || $(VENV)/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "removing $(VENV): it was made with an older Python"; rm -rf $(VENV); }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) messages

# The translations (.po in every locale/ directory) compiled to .mo; GNU gettext's msgfmt does it.
messages: $(STAMP)
	@command -v msgfmt >/dev/null || \
		{ echo "msgfmt not found: install GNU gettext (apt-get install gettext, brew install gettext) to compile the translations"; exit 1; }
	$(PY) manage.py compilemessages --ignore=$(VENV) --ignore=staticfiles --verbosity 0

# Refresh the project catalog (locale/zh_Hans) from the sources and templates; scoring, reports, nightly and
# webhooks keep their own (run makemessages inside each). `dir/**` ignores that top folder only: `dir/*` would
# also skip templates/scoring and templates/reports, which belong to the project catalog.
makemessages: install
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete $(foreach d,scoring reports nightly webhooks demo bench tests $(VENV) staticfiles,--ignore='$(d)/**')

demo-data: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --customers $(DEMO_CUSTOMERS) --reset
	# 12 weeks of operation replayed: the first model, nightly runs, account managers' work, weekly reports
	$(PY) manage.py demo_history --weeks 12
	$(PY) manage.py run_nightly
	# one SLA sweep at the present moment (the replay swept its past weeks as they happened); its e-mails stay in
	# memory (the notifications are listed in the app)
	EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend $(PY) manage.py sla_sweep

demo: demo-data serve

# Start the server on the data as it is (no reseeding): `make serve`, `make serve PORT=8080`.
serve: install
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@$(PY) manage.py demo_logins --url http://$(HOST):$(PORT)/
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

test: install
	$(PY) -m pytest -q

# The floors of docs/architecture.md: import-linter holds the contracts in .importlinter; the shared layering
# check (cycles, cross-app pages, module size) runs too where ../shared is beside the project (CI has it).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
	if [ -f ../shared/tools/layers.py ]; then $(PY) ../shared/tools/layers.py; fi
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .

# Production set-up: set DATABASE_URL and CELERY_BROKER_URL, then run these (one per process).
worker: install
	$(VENV)/bin/celery -A churnops worker --loglevel INFO --concurrency 2 --prefetch-multiplier 1

beat: install
	$(VENV)/bin/celery -A churnops beat --loglevel INFO

bench: install
	$(PY) bench/nightly.py --customers 100000 --events-per-customer 20

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
