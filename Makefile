# Videoatención: `make run` starts the whole service locally, `make test` runs every test.
# Everything installs into .venv and web/node_modules; Debian packages (Chromium) via apt-get.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

WEB_SOURCES := $(shell find web/src web/public web/index.html web/vite.config.ts web/tsconfig*.json -type f 2>/dev/null)

.PHONY: help setup run check test lint bench web clean system-packages verify-records synth localstack-test checkov-venv \
	spa-test infra-test stack-test chalice-cache localstack-venv

help:
	@echo "make run    install what is needed, start the whole service locally with demo data"
	@echo "make check  the quick lane, many times a day: lint, types, unit, property, API, media-node unit, SPA tests"
	@echo "make test   install what is needed, run the whole test suite (CI's lane)"
	@echo "make setup  install only (.venv, web/node_modules, Chromium)"
	@echo "make lint   ruff + mypy"
	@echo "make bench  benchmarks (print figures)"
	@echo "make synth  every stack's CloudFormation template into infra/cdk.out/ (STAGE=prod|dev, no AWS account)"
	@echo "make localstack-test  deploy the keys and records stacks to LocalStack on this host and check them"
	@echo "make verify-records [FROM=YYYY-MM-DD] [TO=YYYY-MM-DD]"
	@echo "           verify the running stack's audit trail (digest chain, signatures, log file hashes)"

$(VENV)/.installed: requirements.txt requirements-dev.txt media-node/pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q "pip<26.3"
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build --silent

web: web/dist/index.html

# Chromium from Debian's packages (tests drive it through Playwright; nothing downloads a browser of its own).
system-packages:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }

setup: $(VENV)/.installed web/node_modules/.installed system-packages

run: $(VENV)/.installed web
	$(PY) -m dev.run

# Tests that share nothing run on every core (pytest-xdist); each worker builds moto's resources once.
FAST_TESTS := tests/unit tests/property tests/api media-node/tests
PYTEST_PARALLEL := $(PY) -m pytest -n auto -m "not integration" $(FAST_TESTS)

# Steps that need nothing of each other run side by side (make -j; each one's output printed whole when it ends).
SIDE_BY_SIDE := $(MAKE) --no-print-directory --output-sync=target

check: $(VENV)/.installed web/node_modules/.installed
	$(SIDE_BY_SIDE) -j2 lint spa-test
	$(PYTEST_PARALLEL)

# CI's lane: installs side by side; lint, the SPA's build and its tests side by side; the fast lanes on every core;
# then the CDK tests (one process, each stack synthesised once per session: mostly CPU) beside the tests of the
# running stack (one at a time, they share its ports and accounts: mostly waiting on browsers and calls). The two
# share no port, file or account.
test:
	$(SIDE_BY_SIDE) -j3 setup checkov-venv
	$(SIDE_BY_SIDE) -j5 lint web spa-test chalice-cache localstack-venv
	$(PYTEST_PARALLEL)
	$(SIDE_BY_SIDE) -j2 infra-test stack-test

# LocalStack's own Python 3.13 venv (infra/localstack/runtime.py; 44 s on a fresh checkout), installed with the others
# instead of inside the CDK lane's LocalStack test.
localstack-venv: $(VENV)/.installed
	$(PY) -m infra.localstack.runtime

# The Lambda packages chalice caches in .chalice/deployments/ (a fresh checkout builds its dependency layer, ~1 min of
# pip and zip, mostly waiting): made beside lint and the SPA's tests instead of inside the CDK lane's first synthesis.
chalice-cache: $(VENV)/.installed
	$(PY) -m infra.stacks.chalice_package

spa-test: web/node_modules/.installed
	cd web && npm test --silent

infra-test: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(PY) -m pytest infra/tests

stack-test: $(VENV)/.installed web system-packages
	$(PY) -m pytest -n 2 --dist loadfile -m integration tests media-node/tests

# checkov pins an older boto3 than the app: its own virtual environment (infra/tests/test_checkov.py runs it over
# every synthesised template of both stages).
$(CHECKOV_VENV)/.installed: infra/requirements-checkov.txt
	@[ -x $(CHECKOV_VENV)/bin/python ] || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q "pip<26.3"
	$(CHECKOV_VENV)/bin/python -m pip install -q -r infra/requirements-checkov.txt
	@touch $@

checkov-venv: $(CHECKOV_VENV)/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(VENV)/.installed
	$(PY) -m bench

# The CDK app, offline. Production needs the operator's values (infra/README.md, "Synthesise"): without CONTEXT=…,
# `make synth` uses placeholders of the right shape, for reading the templates only, never for deploying them.
# Only `make synth STAGE=…` chooses the stage: a STAGE in the environment (the API's own variable) does not.
SYNTH_STAGE := $(if $(filter command line,$(origin STAGE)),$(STAGE),prod)
SENDER ?= cita-previa@ajuntament.example
EXAMPLE_CONTEXT := -c public_base_url=https://cita.ajuntament.example -c media_domain=media.cita.ajuntament.example \
	-c media_hosted_zone_id=Z0123456789ABCDEFGHIJ -c media_allowed_origins=https://cita.ajuntament.example \
	-c media_tls_secret_arn=arn:aws:secretsmanager:eu-south-2:123456789012:secret:videoatencion/media-tls-AbCdEf
CONTEXT ?= $(if $(filter prod,$(SYNTH_STAGE)),$(EXAMPLE_CONTEXT))
synth: $(VENV)/.installed
	$(PY) infra/app.py -c stage=$(SYNTH_STAGE) -c sender_email=$(SENDER) $(CONTEXT) -o infra/cdk.out

localstack-test: $(VENV)/.installed
	$(PY) -m infra.localstack.run

# Against the stack `make run` started: the audit bucket on moto (port 5000), the public key from the API (port 8000).
# Elsewhere: AWS credentials that can read the bucket, and --public-key or TRAIL_PUBLIC_KEYS_URL.
FROM ?= 2020-01-01
TO ?=
verify-records: $(VENV)/.installed
	AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL-http://127.0.0.1:5000} AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID-dev} \
	AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY-dev} AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION-eu-south-2} \
	AWS_EC2_METADATA_DISABLED=true \
	$(PY) -m chalicelib.verify_records --from "$(FROM)" $(if $(TO),--to "$(TO)")

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) web/node_modules web/dist infra/cdk.out .pytest_cache .mypy_cache .ruff_cache
