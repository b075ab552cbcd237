"""Running attack programs on the docker backend: a Python step, a job of steps."""

from __future__ import annotations

from sandbox.backend import Job, Step, StepResult
from sandbox.docker import DockerBackend
from sandbox.policy import Policy

PYTHON = "/usr/bin/python3"
POLICY = Policy(wall_time_s=10.0, cpu_time_s=5.0, memory_mb=512, max_processes=32)


def python(source: str, stdin: bytes = b"", policy: Policy = POLICY, peer: tuple[str, ...] = ()) -> Step:
    """A step running ``source`` with the runner image's python3 (and ``peer`` beside it, if given)."""
    return Step((PYTHON, "-c", source), stdin, policy, peer=peer)


def run(backend: DockerBackend, *steps: Step, files: dict[str, bytes] | None = None) -> list[StepResult]:
    """Run ``steps`` as one job (one submission) and return every result."""
    return list(backend.run(Job(files or {}, steps)))
