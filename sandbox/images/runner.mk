# Runner image for the docker sandbox backend. The top-level Makefile includes this file.
.PHONY: runner-image runner-image-docker

# Offline build (debootstrap + docker import), used by CI; a no-op when the image is current.
runner-image:
	sandbox/images/build_runner.sh offline

# Production build: a normal `docker build` from the public Debian base image.
runner-image-docker:
	sandbox/images/build_runner.sh docker
