# The README's two commands: `make demo` (the main job) and `make test` (lint, types, tests).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCK := requirements.lock

.PHONY: demo test lint typecheck pytest clean lock

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Installs the exact versions of requirements.lock, then jayul itself without resolving
# anything; `pip check` fails when pyproject.toml needs a package the lock lacks (run
# `make lock`).
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install -q -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

# Regenerate requirements.lock: resolve pyproject.toml (with the test extra) in a fresh
# virtual environment and freeze it. Run after changing dependencies; commit the result.
lock:
	rm -rf .lock-venv
	$(PY) -m venv .lock-venv
	.lock-venv/bin/pip install -q --upgrade pip
	.lock-venv/bin/pip install -q -e '.[test]'
	{ echo '# Exact versions for `make`; regenerate with `make lock` (see README).'; \
	  .lock-venv/bin/pip freeze --exclude-editable | sort -f; } > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK)
	rm -rf .lock-venv

demo: $(STAMP)
	$(BIN)/jayul demo --days 45 --no-ui

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
