# Runner image for the docker sandbox backend. The top-level Makefile includes this file.
.PHONY: runner-image runner-image-docker runner-image-for-tests

# Offline build (debootstrap + docker import, needs root), used by CI; a no-op when the
# image's recipe hash matches, so it costs a second when nothing changed.
runner-image:
	sandbox/images/build_runner.sh offline

# Production build: a normal `docker build` from the public Debian base image.
runner-image-docker:
	sandbox/images/build_runner.sh docker

# For `make test`: build or reuse the image when an engine answers; without one the docker
# tests skip locally, and under CI=true the build (and so the test run) fails.
runner-image-for-tests:
	@if docker info >/dev/null 2>&1 || [ "$$CI" = true ]; then sandbox/images/build_runner.sh offline; \
	else echo "runner-image: no Docker engine here; the docker backend's tests will be skipped"; fi
