# Every target creates .venv and installs what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve test test-setup check lint typecheck bench clean toolchains verifier-docs

include sandbox/images/runner.mk
include deploy/deploy.mk
include tests/trainers/trainers.mk

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[server,dev,ray,gym]'
	$(PY) -m pip install --quiet --no-deps 'verl==0.9.1'  # tests/run_api import only its sandbox_fusion reward code
	touch $(STAMP)

serve: install
	$(VENV)/bin/rlvr serve --host $(HOST) --port $(PORT)

# Language toolchains for the local sandbox, the runner image for the docker backend, the
# service image for the compose smoke test: each reused when current.
test-setup: install toolchains runner-image-for-tests

# The suite, then the trainer suites in their own environments (tests/trainers/trainers.mk).
test: test-setup
	$(PY) -m pytest -q --durations=25
	$(MAKE) test-trainers

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check rewards sandbox service grpo

typecheck: install
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy deploy/socket_proxy

check: lint typecheck test

verifier-docs: install  # docs/verifiers/ from what GET /v1/verifiers publishes (tests/test_verifier_docs.py checks it)
	$(PY) -m rewards.reference_docs

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info

# Language toolchains for the local sandbox and the headless Chromium of the /ui browser tests (Debian
# packages; only the missing ones, only as root),
# then the precompiled <bits/stdc++.h> the C++ compile step uses (sandbox/pch.py; skipped when up to date).
TOOLCHAIN_PKGS := /usr/bin/python3:python3 /usr/bin/g++:g++ /usr/bin/javac:default-jdk-headless \
	/usr/bin/node:nodejs /usr/bin/rustc:rustc /usr/bin/go:golang-go \
	/usr/lib/python3/dist-packages/pytest:python3-pytest \
	/usr/bin/chromium:chromium /usr/bin/chromedriver:chromium-driver
toolchains:
	@missing=""; for pair in $(TOOLCHAIN_PKGS); do \
	  test -e "$${pair%%:*}" || missing="$$missing $${pair#*:}"; done; \
	if [ -z "$$missing" ]; then echo "toolchains: all present"; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	  echo "toolchains: missing$$missing (install them as root with apt-get)"; \
	else echo "toolchains: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi
	@if [ "$$(id -u)" = 0 ] && [ -x /usr/bin/g++ ]; then $(PYTHON) -m sandbox.pch; \
	else echo "toolchains: no precompiled <bits/stdc++.h> (needs root and g++)"; fi
