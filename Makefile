# Meridian: the whole platform on one machine.
#   make up      venv + pinned deps + nginx, then the stack (returns once healthy)
#   make test    installs everything itself, then unit and integration tests
# Ports and paths: infra/config.py (each overridable by the environment variable of its name).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VPY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_GET := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
NGINX_BIN := $(shell command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
OPENSSL_BIN := $(shell command -v openssl)
REQUIREMENTS := requirements-dev.txt layers/common/requirements.txt $(wildcard functions/*/requirements.txt)
STAMP := $(VENV)/.installed
PYTEST_FLAGS ?= -q

.PHONY: up down status logs test unit integration lint bench invoke deps system-deps clean help

help:
	@sed -n '2,4p' Makefile; echo "  other targets: down status logs lint bench invoke FN=<LogicalId> clean"

# ---------------------------------------------------------------------- installs
# Debian packages: nginx (gateway), openssl (certificate), python3-venv when venv is missing.
system-deps:
	@missing=""; \
	[ -n "$(NGINX_BIN)" ] || missing="$$missing nginx"; \
	[ -n "$(OPENSSL_BIN)" ] || missing="$$missing openssl"; \
	$(PYTHON) -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "==> apt-get install$$missing"; \
		$(APT_GET) update -q && $(APT_GET) install -y -q --no-install-recommends $$missing; \
	else echo "==> system packages: nginx, openssl present"; fi

$(VPY):
	@echo "==> python venv in $(VENV) ($$($(PYTHON) --version))"
	@$(PYTHON) -c "import sys; assert sys.version_info >= (3, 11), 'Python 3.11+ is required'"
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(REQUIREMENTS) | $(VPY)
	@echo "==> pinned Python packages ($(REQUIREMENTS))"
	$(VPY) -m pip install -q --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	@touch $(STAMP)

deps: system-deps $(STAMP)

# ---------------------------------------------------------------------- the stack
up: deps
	@$(VPY) -m infra.stack up

down:
	@if [ -x $(VPY) ]; then $(VPY) -m infra.stack down; else echo "not running"; fi

status:
	@if [ -x $(VPY) ]; then $(VPY) -m infra.stack status; else echo "down"; fi

logs:
	@$(VPY) -m infra.stack logs

invoke: deps
	@test -n "$(FN)" || { echo "usage: make invoke FN=<logical id from template.yaml>"; exit 2; }
	@$(VPY) -m infra.runtime.invoke $(FN)

# ---------------------------------------------------------------------- checks
.NOTPARALLEL:
test: deps unit integration

unit: deps
	@echo "==> unit tests"
	$(VPY) -m pytest tests/unit -n 2 $(PYTEST_FLAGS)

integration: deps
	@echo "==> integration tests (a whole stack on free ports)"
	$(VPY) -m pytest tests/integration $(PYTEST_FLAGS)

lint: deps
	$(VPY) -m ruff check .
	$(VENV)/bin/cfn-lint template.yaml

bench: deps
	$(VPY) -m tests.bench

clean: down
	rm -rf .local .pytest_cache .ruff_cache
