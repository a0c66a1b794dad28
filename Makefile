# evalkit: two commands do everything from a fresh clone (see README.md).
#   make lab    set up .venv and open JupyterLab on notebooks/ with the bundled sample data
#   make test   set up .venv (+ Chromium) and run every test: unit, doctests, notebooks, browser
#               (two pytest processes side by side, .ci/test-main.sh); then the unit tests +
#               notebooks again with the newest pandas 3 / numpy and with the lowest declared
#               versions (make test-range, .ci/test-range.sh)
#   make test-phoenix   the Phoenix round trip against a real local server (own venv, opt-in)
#   make bench  run the benchmarks against their peers and print the ratios

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(shell command -v uv 2>/dev/null || echo $(VENV)/bin/uv)
TMP    := $(CURDIR)/.tmp
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: lab test test-main test-range test-phoenix bench venv sync sync-dev data chromium lint \
	typecheck clean

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "evalkit needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)

# uv comes from PATH when present, otherwise it is installed into the venv.
$(UV): | $(VENV)/bin/python
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade
	$(PY) -m pip install --quiet --disable-pip-version-check uv

venv: $(VENV)/bin/python $(UV)

sync: venv
	$(UV) sync --frozen --inexact --python $(PY)

# --inexact keeps uv and pip, which the bootstrap installed into .venv, out of uv's clean-up.
sync-dev: venv
	$(UV) sync --frozen --inexact --extra dev --python $(PY)

data: sync
	$(PY) -m evalkit.sample_data --out data --check

# JupyterLab refuses to run as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: sync data
	$(PY) -m jupyterlab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# Browser tests need Debian's Chromium; never `playwright install`.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install -y --no-install-recommends chromium'"; exit 2; fi; }

test: test-main
	$(MAKE) --no-print-directory test-range

test-main: sync-dev data chromium
	$(PY) -m ruff check evalkit tests benchmarks
	$(PY) -m mypy evalkit
	rm -rf $(TMP) && mkdir -p $(TMP)
	PY=$(PY) TMP=$(TMP) bash .ci/test-main.sh $(PYTEST_ARGS)

# The declared dependency range: newest pandas 3 + numpy, and uv's lowest-direct resolution
# (unit tests, doctests, notebooks; venvs .venv-pandas3 and .venv-lowest). RANGE="pandas3" runs one.
test-range: venv data
	UV=$(UV) BASE_PY=$(PY) TMP=$(TMP)/range bash .ci/test-range.sh $(RANGE)

# Phoenix round trip (arize-phoenix 20.26.1 server on 127.0.0.1, ~1 GB venv): opt-in, see README.
test-phoenix: venv
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venv-phoenix $(UV) sync --frozen --inexact --extra test \
	  --extra phoenix --python $(PY)
	mkdir -p $(TMP)/phoenix
	EVALKIT_PHOENIX=1 TMPDIR=$(TMP)/phoenix timeout 900 .venv-phoenix/bin/python -m pytest \
	  tests/phoenix -p no:cacheprovider -q --basetemp=$(TMP)/phoenix/pytest

bench: sync-dev
	@failed=""; for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "targets missed in:$$failed"; exit 1; fi

lint: sync-dev
	$(PY) -m ruff check evalkit tests benchmarks
	$(PY) -m mypy evalkit

clean:
	rm -rf $(VENV) .venv-pandas3 .venv-lowest .venv-phoenix $(TMP) .pytest_cache
