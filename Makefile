# Two entry points for a fresh machine:  make app  (set up + start the studio)
#                                         make test (set up + run the test suite)
VENV   := .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: app test setup chromium lint bench train screenshot

$(VENV)/installed.stamp: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/installed.stamp

# Debian's Chromium drives the end-to-end browser test (Playwright never downloads a browser).
chromium:
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

app: setup
	$(VENV)/bin/streamlit run app.py

test: setup chromium
	$(PY) -m pytest -q

# Refresh the README's docs/studio.png from the browser test (plain test runs leave it alone).
screenshot: setup chromium
	PFN_UPDATE_SCREENSHOT=1 $(PY) -m pytest -q tests/e2e

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) -m pfn_core.bench

train: setup
	$(PY) -m pfn_core.train --out runs/base --steps 6000 --threads 2 --max-minutes 105 \
		--export weights/pfn_clusterer.safetensors
