# Two commands on a fresh machine (Python 3.11 to 3.13 and the package registries only):
#   make plan   install what a plan needs into .venv and plan the example stacks offline
#   make test   also install the test tools into .venv and run the fast test suite (lint, unit,
#               plan, policy, promtool and Prometheus: installed from Debian's package where
#               missing; checkov over the example manifests: installed into .venv/checkov)
# Slower tiers, each also run by .ci/run:
#   make test-install   a plain non-editable install and the policy pack shipped alone
#   make engine         build the Pulumi CLI, providers and API server from Go modules (cached)
#   make engine-test    the users' workflows with the real CLI (needs make engine)
#   make trivy          build trivy from the Go module proxy (cached)
#   make trivy-test     trivy config over the example manifests: zero findings (needs make trivy)
#   make dr-drill       the DR data drill: real PostgreSQL + pgvector per site (pgserver, from
#                       PyPI through the dev extra); lose the primary, fail over, count the loss
#   make clean          remove .venv, out/ and the built tools (start over)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# What `paif plan` needs (the package and its pinned runtime dependencies), then the test tools.
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP         := $(VENV)/.installed
PIP    := $(BIN)/python -m pip install --disable-pip-version-check
# Root installs packages itself; anyone else through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# checkov cannot share .venv (its packaging pin conflicts with pulumi's): a venv of its own.
CHECKOV       := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV)/.installed

.PHONY: plan test test-install engine engine-test trivy trivy-test dr-drill lint typecheck install install-checkov clean prometheus-tools

.DEFAULT_GOAL := install

# Before make looks at any stamp: the Python must be one pyproject.toml accepts (one line and a
# stop otherwise), and a .venv made by another Python is removed (one line), so it is rebuilt.
# Not for the targets that need no Python of ours.
ifneq ($(filter-out clean engine trivy,$(or $(MAKECMDGOALS),install)),)
PYTHON_PROBLEM := $(shell \
  if ! command -v $(PYTHON) >/dev/null 2>&1; then \
    echo "paif-pulumi needs Python 3.11 to 3.13 (pyproject.toml); $(PYTHON) was not found: run make PYTHON=/path/to/python3.11"; \
  else \
    out=$$($(PYTHON) scripts/venv_python.py $(VENV) $(PYTHON)); rc=$$?; \
    if [ -n "$$out" ]; then echo "$$out"; \
    elif [ $$rc -ne 0 ]; then echo "paif-pulumi needs Python 3.11 to 3.13 (pyproject.toml); $(PYTHON) could not run scripts/venv_python.py"; fi; \
  fi)
ifneq ($(PYTHON_PROBLEM),)
$(error $(PYTHON_PROBLEM))
endif
endif

$(RUNTIME_STAMP): pyproject.toml
	@echo "make: installing paif-pulumi and what a plan needs (pulumi, the provider SDKs, pydantic, about 45 packages from PyPI) into $(VENV): 1 to 5 minutes on a fresh machine"
	$(PYTHON) -m venv $(VENV)
	$(PIP) --progress-bar on -e .
	touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	@echo "make: installing the test tools (pytest, hypothesis, ruff, kubernetes-validate, check-jsonschema; pgserver and psycopg for the DR drill) into $(VENV)"
	$(PIP) --quiet -e '.[dev]'
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

plan: $(RUNTIME_STAMP)
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

# Writes the measured figures to out/dr-drill/results.json (docs/architecture.md's table).
dr-drill: $(STAMP)
	rm -f out/dr-drill/results.json
	$(BIN)/python -m pytest tests/drill -p no:warnings -s

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

# The machine-wide cache of built binaries (~/.cache/paif-pulumi) stays: it is keyed by
# everything a build reads, so it cannot hold a stale binary.
clean:
	rm -rf $(VENV) out .engine .tools .typecheck
