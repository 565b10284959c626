# Two commands on a fresh machine (Python 3.11 and the package registries only):
#   make plan   install into .venv and plan the example stacks offline (the main job)
#   make test   install into .venv and run the fast test suite (lint, unit, plan, policy,
#               promtool and Prometheus: installed from Debian's package where missing;
#               checkov over the example manifests: installed into .venv/checkov)
# Slower tiers, each also run by .ci/run:
#   make test-install   a plain non-editable install and the policy pack shipped alone
#   make engine         build the Pulumi CLI, providers and API server from Go modules (cached)
#   make engine-test    the users' workflows with the real CLI (needs make engine)
#   make trivy          build trivy from the Go module proxy (cached)
#   make trivy-test     trivy config over the example manifests: zero findings (needs make trivy)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Root installs packages itself; anyone else through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# checkov cannot share .venv (its packaging pin conflicts with pulumi's): a venv of its own.
CHECKOV       := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV)/.installed

.PHONY: plan test test-install engine engine-test trivy trivy-test lint typecheck install install-checkov clean prometheus-tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt | $(STAMP)
	$(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

install: $(STAMP)

# promtool (alert rules are checked and unit-tested with it) and prometheus (`paif verify` is
# tested against a real server) from Debian's `prometheus` package; nothing when both are on PATH.
prometheus-tools:
	@if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's prometheus package (promtool, prometheus)"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; \
	else \
	  echo "promtool and prometheus are needed (Debian/Ubuntu: apt-get install prometheus; macOS: brew install prometheus)" >&2; \
	  exit 1; \
	fi

# checkov, which the tests run over the example manifests (make test installs it too).
install-checkov: $(CHECKOV_STAMP)

plan: $(STAMP)
	$(BIN)/paif plan --stack prod --stack dr --out out

test: $(STAMP) $(CHECKOV_STAMP) prometheus-tools typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

test-install: $(STAMP)
	$(BIN)/python -m pytest tests/packaging

engine:
	bash engine/build.sh

engine-test: $(STAMP)
	$(BIN)/python -m pytest tests/engine

trivy:
	bash scanners/build-trivy.sh

trivy-test: $(STAMP)
	$(BIN)/python -m pytest tests/scanners

# One type checker (mypy, pyproject.toml) over the packages under the names they are installed as
# (docs/architecture.md, "The installed layout"): .typecheck/ links each name to its folder.
typecheck: $(STAMP)
	@mkdir -p .typecheck
	@ln -sfn ../components .typecheck/paif_components
	@ln -sfn ../policies .typecheck/paif_policies
	@ln -sfn ../paif_cli .typecheck/paif_cli
	MYPYPATH=.typecheck $(BIN)/mypy -p paif_components -p paif_policies -p paif_cli

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) out .engine .tools .typecheck
