# Two commands: `make run` serves the API, `make test` runs the whole suite.
# Both install what they need first (Debian packages, a virtualenv, the data dir).

VENV    := .venv
BIN     := $(VENV)/bin
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# WeasyPrint needs Pango; libharfbuzz-subset0 makes font subsetting ~5x faster (perf-notes).
# Word templates: LibreOffice driven through python3-uno, with fonts metric-compatible with
# Word's (Carlito for Calibri, Liberation for Arial/Times). poppler-utils (pdfsig, pdftotext,
# pdftoppm, also the verification page's thumbnails), qpdf, zbar-tools (QR codes),
# libnss3-tools (a trust store for pdfsig) and mupdf-tools (`mutool sign -v`) check
# documents in tests; chromium is the real browser the page tests drive.
DEBS    := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 softhsm2 \
           libreoffice-writer-nogui python3-uno fonts-crosextra-carlito fonts-liberation2 \
           poppler-utils qpdf zbar-tools libnss3-tools mupdf-tools chromium

.PHONY: run worker test bench lint setup system-packages clean audit lock

run: setup
	$(BIN)/amiable serve

# Scale-out: a Celery batch worker (needs AMIABLE_BROKER_URL and a shared database/data dir).
worker: setup
	$(BIN)/amiable worker

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: setup
	$(BIN)/python scripts/bench.py

lint: setup
	$(BIN)/ruff check .

# Known vulnerabilities in the locked dependencies (pip-audit, in a virtualenv of its own so
# it adds nothing to the service's). Needs PyPI's JSON API (or AUDIT_SERVICE=osv); fails
# loudly when it cannot reach it. Not part of `make test`.
audit: setup .venv-audit/.installed
	./scripts/audit.sh

.venv-audit/.installed:
	python3 -m venv .venv-audit
	.venv-audit/bin/pip install -q --disable-pip-version-check --upgrade pip pip-audit
	touch $@

# requirements.lock: the exact versions in .venv, pip and setuptools included; `make audit`
# checks it still matches, so a dependency change shows up in review.
lock: setup
	$(BIN)/pip freeze --all --exclude-editable > requirements.lock

setup: system-packages $(VENV)/.installed
	$(BIN)/amiable init

system-packages:
	@missing="$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done)"; \
	python3 -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$(echo $$missing)" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# The pip and setuptools bundled with Python 3.11 have known vulnerabilities.
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip setuptools
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	$(BIN)/python -c 'import service, signing'
	touch $@

clean:
	rm -rf $(VENV) .venv-audit .pytest_cache .ruff_cache
