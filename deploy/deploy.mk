# The service image and the compose stack. The top-level Makefile includes this file
# (it uses PY and install from there, runner-image from sandbox/images/runner.mk).
.PHONY: image image-docker compose-smoke compose-up compose-down

COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
COMPOSE_ENV = DOCKER_GID=$$(stat -c %g /var/run/docker.sock)

# Offline build (debootstrap + docker import, no registry); a no-op when rlvr:latest is current.
image:
	deploy/image/build.sh offline

# Production build: `docker build` of the top-level Dockerfile from the public Python base image.
image-docker:
	deploy/image/build.sh docker

# Build or reuse both images, start the stack, score math and code through it, tear it down.
compose-smoke: install
	$(PY) -m pytest -q -p no:cacheprovider tests/integration/test_compose.py

# Run the stack in the background; RLVR_API_KEYS_SECRET names the file with the API keys.
compose-up: image runner-image
	@test -n "$(RLVR_API_KEYS_SECRET)" || { echo "set RLVR_API_KEYS_SECRET=/path/to/keys (one key per line)"; exit 2; }
	$(COMPOSE_ENV) $(COMPOSE) -f deploy/compose.yaml -p rlvr up -d

compose-down:
	$(COMPOSE_ENV) RLVR_API_KEYS_SECRET=/dev/null $(COMPOSE) -f deploy/compose.yaml -p rlvr down -v
