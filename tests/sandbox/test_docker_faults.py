"""Faults of the docker backend against the real engine: killed containers, a dead daemon, overload."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import docker
import pytest

from sandbox.backend import Job, Step, StepResult
from sandbox.docker import DockerBackend, DockerConfig
from sandbox.errors import BackendUnavailable, Cancelled, SandboxError
from sandbox.policy import Policy
from tests.sandbox.docker_engine import docker_backend, hostname_of, our_container_ids, require_engine

pytestmark = [pytest.mark.docker, pytest.mark.integration]

SHORT = Policy(wall_time_s=1.0, cpu_time_s=1.0, memory_mb=128)
ECHO_SUM = b"import sys\nprint(sum(map(int, sys.stdin.read().split())))\n"


@pytest.fixture(autouse=True)
def no_leaked_containers() -> Iterator[None]:
    """Every test leaves the engine with exactly the runner containers it found."""
    before = our_container_ids() if _engine_up() else set()
    yield
    if _engine_up():
        assert our_container_ids() == before


def _engine_up() -> bool:
    try:
        docker.from_env(timeout=5).ping()
    except Exception:
        return False
    return True


@pytest.mark.parametrize("base_url", ["unix:///nonexistent.sock", "tcp://127.0.0.1:9"])
def test_unreachable_daemon_yields_unhealthy_and_backend_unavailable(base_url: str) -> None:
    with DockerBackend(DockerConfig(base_url=base_url, api_timeout_s=2)) as backend:
        ok, detail = backend.health()
        assert not ok
        assert "Docker daemon" in detail
        with pytest.raises(BackendUnavailable, match="cannot reach the Docker daemon"):
            list(backend.run(Job({}, (Step(("/bin/true",)),))))


def test_missing_image_yields_unhealthy_naming_the_make_target() -> None:
    require_engine()
    with DockerBackend(DockerConfig(image="rlvr-runner:no-such-tag")) as backend:
        ok, detail = backend.health()
        assert not ok
        assert "make runner-image" in detail
        with pytest.raises(BackendUnavailable, match="no-such-tag"):
            list(backend.run(Job({}, (Step(("/bin/true",)),))))


def test_container_killed_mid_run_yields_sandbox_error_and_a_replacement() -> None:
    backend = docker_backend(pool_size=1)
    try:
        job = Job({}, (Step(("/bin/cat", "/etc/hostname")), Step(("/bin/sleep", "30"), policy=Policy(wall_time_s=60))))
        steps = backend.run(job)
        victim = next(steps).stdout.decode().strip()
        timer = threading.Timer(0.5, docker.from_env().api.kill, args=(victim,))
        timer.start()
        with pytest.raises(SandboxError, match=r"died or was killed|cannot write to the container|lost the container"):
            next(steps)
        timer.join()
        assert hostname_of(backend) not in ("", victim)
    finally:
        backend.close()


def _submission(backend: DockerBackend, i: int) -> list[StepResult]:
    """Submission ``i``: a sum, and for some a timeout (the container is recycled) or an early close."""
    steps = [Step(("/usr/bin/python3", "main.py"), stdin=f"{i} {i} 1".encode())]
    if i % 3 == 0:
        steps.append(Step(("/usr/bin/python3", "-c", "while True: pass"), policy=SHORT))
    steps.append(Step(("/bin/echo", f"done {i}")))
    run = backend.run(Job({"main.py": ECHO_SUM}, tuple(steps)))
    if i % 4 == 1:
        first = next(run)
        run.close()
        return [first]
    return list(run)


def test_many_concurrent_submissions_yield_every_answer_and_no_leak() -> None:
    pool_size, submissions = 2, 12
    backend = docker_backend(pool_size=pool_size)
    try:
        with ThreadPoolExecutor(max_workers=submissions) as threads:
            answers = list(threads.map(lambda i: _submission(backend, i), range(submissions)))
    finally:
        backend.close()
    for i, results in enumerate(answers):
        assert results[0].stdout == f"{2 * i + 1}\n".encode()
        if i % 4 == 1:
            assert len(results) == 1
            continue
        assert results[-1].stdout == f"done {i}\n".encode()
        if i % 3 == 0:
            assert results[1].limit in ("cpu_time", "wall_time")


CANCEL_WITHIN_S = 1.0
SLEEPER = Step(("/bin/sleep", "30"), policy=Policy(wall_time_s=60))


@pytest.mark.parametrize(
    ("when", "steps"),
    [
        ("before_start", (Step(("/bin/echo", "never")),)),
        ("mid_step", (SLEEPER,)),
        ("between_steps", (Step(("/bin/echo", "first")), SLEEPER, Step(("/bin/echo", "never")))),
    ],
)
def test_cancel_set_yields_cancelled_at_once_and_the_pool_serves_on(when: str, steps: tuple[Step, ...]) -> None:
    backend = docker_backend(pool_size=1)
    try:
        hostname_of(backend)  # a warm container first, so the cancel lands where the row says
        cancel = threading.Event()
        if when == "before_start":
            cancel.set()
        else:
            threading.Timer(0.5, cancel.set).start()
        started = time.monotonic()
        seen: list[StepResult] = []
        with pytest.raises(Cancelled):
            seen.extend(backend.run(Job({}, steps, cancel=cancel)))
        assert time.monotonic() - started < 0.5 + CANCEL_WITHIN_S
        assert [r.stdout for r in seen] == ([b"first\n"] if when == "between_steps" else [])
        assert hostname_of(backend)  # the next job runs (on a wiped or a replacement container)
    finally:
        backend.close()


def test_cancel_while_waiting_for_a_busy_pool_yields_cancelled() -> None:
    backend = docker_backend(pool_size=1)
    try:
        hostname_of(backend)
        busy = backend.run(Job({}, (Step(("/bin/echo", "holding")), SLEEPER)))
        assert next(busy).stdout == b"holding\n"  # the only container is lent out
        cancel = threading.Event()
        threading.Timer(0.3, cancel.set).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            list(backend.run(Job({}, (Step(("/bin/true",)),), cancel=cancel)))
        assert time.monotonic() - started < 0.3 + CANCEL_WITHIN_S
        busy.close()
    finally:
        backend.close()
