# mjdesk developer commands. `make run` and `make test` do all set-up themselves.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The first interpreter found that is Python 3.11 or newer.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)

.PHONY: run test lint typecheck imports pytest bench dist clean help

help:
	@echo "make run    - set up .venv and start mjdesk"
	@echo "make test   - set up .venv with test tools; ruff, mypy, import-linter, pytest (offscreen)"
	@echo "make bench  - run the benchmarks in tests/bench and print their figures"
	@echo "make dist   - build the PyInstaller bundle (dist/mjdesk), self-test it, print size and start time"
	@echo "make clean  - remove .venv and build output"

$(PY):
	@test -n "$(PYTHON)" || { echo "mjdesk needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# A stamp per extra set: reinstall only when pyproject.toml changes.
$(VENV)/.installed-app: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,lint]'
	@touch $@ $(VENV)/.installed-app

$(VENV)/.installed-build: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[build]'
	@touch $@ $(VENV)/.installed-app

# Byte-compiled first, as an installed app is (pip compiles at install, the bundle holds .pyc):
# where PYTHONDONTWRITEBYTECODE is set, every start would otherwise compile mjdesk again.
run: $(VENV)/.installed-app
	@$(PY) -m compileall -q mjdesk
	$(PY) -m mjdesk $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check mjdesk tests resources
	$(BIN)/ruff format --check mjdesk tests resources

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

imports: $(VENV)/.installed-dev
	$(BIN)/lint-imports

# The frozen-bundle test (tests/frozen) builds with PyInstaller, hence the build extra.
# Tests marked keyring talk to a real Secret Service: .ci/with-keyring gives them a throw-away one.
pytest: $(VENV)/.installed-dev $(VENV)/.installed-build
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -m 'not keyring' --hypothesis-profile=repeatable $(PYTEST_ARGS)
	QT_QPA_PLATFORM=offscreen .ci/with-keyring $(BIN)/pytest -m keyring $(PYTEST_ARGS)

test: lint typecheck imports pytest

bench: $(VENV)/.installed-dev
	@set -e; for script in tests/bench/bench_*.py; do \
		echo "== $$script"; QT_QPA_PLATFORM=offscreen $(PY) $$script; done

dist: $(VENV)/.installed-build
	$(BIN)/pyinstaller --noconfirm --log-level WARN build.spec
	QT_QPA_PLATFORM=offscreen dist/mjdesk/mjdesk --self-test
	@du -sh dist/mjdesk
	QT_QPA_PLATFORM=offscreen $(PY) tests/bench/bundle_size.py dist/mjdesk --budget-mb 420 --start-time

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache
