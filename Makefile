# Two commands on a fresh machine (Python 3.11 and the package registries only):
#   make plan   install into .venv and plan the example stacks offline (the main job)
#   make test   install into .venv and run the fast test suite (lint, unit, plan, policy)
# Slower tiers, each also run by .ci/run:
#   make test-install   a plain non-editable install and the policy pack shipped alone
#   make engine         build the Pulumi CLI, providers and API server from Go modules (cached)
#   make engine-test    the users' workflows with the real CLI (needs make engine)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: plan test test-install engine engine-test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

plan: $(STAMP)
	$(BIN)/paif plan --stack prod --stack dr --out out

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

test-install: $(STAMP)
	$(BIN)/python -m pytest tests/packaging

engine:
	bash engine/build.sh

engine-test: $(STAMP)
	$(BIN)/python -m pytest tests/engine

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) out .engine
