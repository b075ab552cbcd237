"""Test doubles for the judge's unit tests: backends that run steps without any isolation."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from sandbox.backend import Job, StepResult
from sandbox.judge.program import harness_prefix
from sandbox.precompile import precompiled


class HostCompiled:
    """Backend.precompiled as the local backend's: compiled by this host's interpreter."""

    def precompiled(self, python: str, source: str, filename: str) -> bytes:
        return precompiled(python, source, filename)


class PlainBackend(HostCompiled):
    """Runs each step with subprocess in a temp dir: real processes, no sandbox (unit tests only)."""

    name = "plain"
    host_toolchains = True

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.ran: list[str] = []

    def run(self, job: Job) -> Iterator[StepResult]:
        self.jobs.append(job)
        with tempfile.TemporaryDirectory() as work:
            for path, data in job.files.items():
                Path(work, path).write_bytes(data)
            for step in job.steps:
                self.ran.append(step.name)
                try:
                    p = subprocess.run(
                        step.argv,
                        input=step.stdin,
                        capture_output=True,
                        cwd=work,
                        timeout=step.policy.wall_time_s,
                        env={"PATH": os.environ["PATH"]},
                    )
                except subprocess.TimeoutExpired as exc:
                    yield StepResult(
                        None, 9, exc.stdout or b"", exc.stderr or b"", step.policy.wall_time_s, limit="wall_time"
                    )
                    continue
                yield StepResult(
                    p.returncode if p.returncode >= 0 else None,
                    -p.returncode if p.returncode < 0 else None,
                    p.stdout,
                    p.stderr,
                    0.01,
                )


class ScriptedBackend(HostCompiled):
    """Replays given StepResults, one per step, recording how many were consumed."""

    name = "scripted"
    host_toolchains = True

    def __init__(self, results: Sequence[StepResult]) -> None:
        self.results = list(results)
        self.consumed = 0
        self.closed = False
        self.jobs: list[Job] = []

    def run(self, job: Job) -> Iterator[StepResult]:
        self.jobs.append(job)
        try:
            for result in self.results[: len(job.steps)]:
                self.consumed += 1
                yield result
        finally:
            self.closed = True


class ReplyingBackend(HostCompiled):
    """Answers every harness step with the given result line, signed with that step's own nonce."""

    name = "replying"
    host_toolchains = True

    def __init__(self, result: dict, *, extra: bytes = b"", exit_code: int = 0) -> None:
        self.result, self.extra, self.exit_code = result, extra, exit_code

    def run(self, job: Job) -> Iterator[StepResult]:
        for step in job.steps:
            nonce = json.loads(step.stdin[len(harness_prefix(step.argv[0])) :])["nonce"]
            line = f"{nonce} {json.dumps(self.result)}\n".encode() + self.extra
            yield StepResult(self.exit_code, None, line, b"", 0.01)


class FailingBackend(HostCompiled):
    """A backend whose infrastructure is broken."""

    name = "failing"
    host_toolchains = True

    def __init__(self, error: Exception) -> None:
        self.error = error

    def run(self, job: Job) -> Iterator[StepResult]:
        raise self.error
        yield  # a generator, like real backends
