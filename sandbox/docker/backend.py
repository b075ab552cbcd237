"""DockerBackend: the backend contract on hardened runner containers, warm-pooled or fresh."""

from __future__ import annotations

import os
import threading
from collections.abc import Generator
from typing import Any

import docker
import docker.errors

from sandbox.backend import Job, StepResult
from sandbox.docker.cleanup import owner_labels, remove_leftovers
from sandbox.docker.config import DockerConfig
from sandbox.docker.pool import WarmPool
from sandbox.docker.precompile import ImageCompiler
from sandbox.docker.runner import Runner
from sandbox.errors import BackendUnavailable, Cancelled, SandboxError


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("the job was cancelled")


class DockerBackend:
    """Runs jobs in runner containers through the Docker Engine API.

    The daemon is contacted lazily (and again in a forked child): a backend built while
    the daemon is down reports it in :meth:`health`, and ``run`` raises
    BackendUnavailable until the daemon is back. Leftover containers of dead owners are
    removed on first contact.
    """

    name = "docker"
    host_toolchains = False  # the runner image has every toolchain

    def __init__(self, config: DockerConfig | None = None) -> None:
        self.config = config or DockerConfig()
        self._labels = owner_labels()
        self._lock = threading.Lock()
        self._client: docker.DockerClient | None = None
        self._pool: WarmPool | None = None
        self._pid = os.getpid()
        self._closed = False
        self._compiler = ImageCompiler(self.config.image)

    def _connect(self) -> docker.DockerClient:
        """The client, connecting (and cleaning up leftovers) on first use."""
        with self._lock:
            if self._closed:
                raise SandboxError("the docker backend is closed")
            if self._pid != os.getpid():
                # A forked child: the parent's connection and pool threads are not ours to use.
                self._client, self._pool, self._pid = None, None, os.getpid()
                self._labels = owner_labels()
            if self._client is not None:
                return self._client
            kwargs: dict[str, Any] = {"timeout": int(self.config.api_timeout_s)}
            try:
                if self.config.base_url:
                    client = docker.DockerClient(base_url=self.config.base_url, version="auto", **kwargs)
                else:
                    client = docker.from_env(**kwargs)
                remove_leftovers(client)
            except Exception as exc:  # docker raises several unrelated types for a dead daemon
                raise BackendUnavailable(f"cannot reach the Docker daemon: {_describe(exc)}") from exc
            self._client = client
            if not self.config.fresh_container:
                self._pool = WarmPool(
                    self._start_runner,
                    self.config.pool_size,
                    self.config.max_jobs_per_container,
                    self.config.acquire_timeout_s,
                )
            return client

    def _start_runner(self) -> Runner:
        if self._client is None:
            raise BackendUnavailable("not connected to the Docker daemon")
        return Runner(self._client, self.config, self._labels)

    def start(self) -> None:
        """Connect and begin warming the pool now rather than on the first job."""
        self._connect()

    def health(self) -> tuple[bool, str]:
        """(ok, what is wrong or what is running), for /readyz."""
        try:
            client = self._connect()
            client.ping()
            client.images.get(self.config.image)
        except docker.errors.ImageNotFound:
            return False, f"runner image {self.config.image} is missing: run `make runner-image`"
        except Exception as exc:
            return False, f"Docker daemon unreachable: {_describe(exc)}"
        if self._pool is None:
            return True, f"docker: fresh container per submission from {self.config.image}"
        if self._pool.last_error is not None:
            return False, self._pool.last_error
        return True, f"docker: warm pool of {self.config.pool_size} ({self._pool.idle} idle) from {self.config.image}"

    def precompiled(self, python: str, source: str, filename: str) -> bytes:
        """``source`` compiled by the runner image's ``python`` (sandbox/precompile.py's format), once per source."""
        return self._compiler.precompiled(self._connect(), self._labels, python, source, filename)

    def run(self, job: Job) -> Generator[StepResult, None, None]:
        """Run ``job`` in a pooled (or fresh) container; SandboxError if the container fails.

        Cancelled once ``job.cancel`` is set: while waiting for a container, between steps
        (the container goes back to be wiped) or mid-step (the container is discarded, which
        kills the step).
        """
        self._connect()
        cancel = job.cancel
        runner = self._pool.acquire(cancel) if self._pool is not None else self._fresh_runner()
        # clean: the runner sits between requests and hit no limit, so the pool's wipe makes it reusable
        # (also when the consumer closes the iterator early).
        clean = violated = False
        try:
            _check(cancel)
            clean = True
            files: dict[str, bytes] | None = dict(job.files)  # sent with the first step
            for step in job.steps:
                _check(cancel)
                clean = False
                result = runner.run_step(step, cancel, files)
                files = None
                violated = violated or result.limit is not None
                clean = not violated
                yield result
        except Cancelled:
            raise
        except SandboxError as exc:
            raise SandboxError(f"{exc}; {runner.death_notice()}") from exc
        finally:
            self._give_back(runner, clean)

    def _fresh_runner(self) -> Runner:
        try:
            return self._start_runner()
        except SandboxError:
            raise
        except Exception as exc:
            raise BackendUnavailable(f"cannot start a runner container: {_describe(exc)}") from exc

    def _give_back(self, runner: Runner, reusable: bool) -> None:
        if self._pool is None:
            runner.remove()
            return
        self._pool.release(runner, reusable)

    def close(self) -> None:
        """Remove every container this backend started."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> DockerBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
