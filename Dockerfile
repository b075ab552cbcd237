# The rlvr service image (production path: a normal `docker build` from a public Python base).
#   docker build -t rlvr:latest .          (or `make image-docker`)
# deploy/image/build.sh offline builds the same image without a registry; keep the two in step.
# The image runs the service with the docker sandbox backend (the local bubblewrap backend needs
# the language toolchains and user namespaces, which a container does not have): see deploy/.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/rlvr/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY rewards rewards
COPY sandbox sandbox
COPY service service
COPY grpo grpo
RUN /opt/rlvr/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/rlvr/venv/bin/pip install "$(ls /wheels/rlvr-*.whl)[server]"

FROM ${PYTHON_IMAGE}
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /opt/rlvr --shell /usr/sbin/nologin rlvr
COPY --from=builder /opt/rlvr/venv /opt/rlvr/venv
COPY deploy/socket_proxy /opt/rlvr/socket_proxy
ARG RLVR_HASH=unknown
LABEL rlvr.service="1" rlvr.service.hash="${RLVR_HASH}"
ENV PATH=/opt/rlvr/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 RLVR_SANDBOX_BACKEND=docker
USER 10001:10001
WORKDIR /opt/rlvr
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["rlvr", "serve", "--host", "0.0.0.0", "--port", "8000"]
