"""The one-method contract every sandbox backend implements.

A :class:`Job` is one submission: files written into a fresh private work dir, then
steps (e.g. compile, then one step per test) run in order in that dir, each a fresh
process under its own policy. ``run`` yields one :class:`StepResult` per step as it
finishes, so a judge can stop early by closing the iterator; the backend then skips
the remaining steps and wipes the work dir. Infrastructure failures raise
:class:`~sandbox.errors.SandboxError`; a program's own failure is a StepResult.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sandbox.policy import DEFAULT_POLICY, Policy

Limit = Literal["wall_time", "cpu_time", "memory", "output", "file_size", "processes"]


@dataclass(frozen=True)
class Step:
    """One process to run: argv (never a shell string), stdin bytes, limits."""

    argv: tuple[str, ...]
    stdin: bytes = b""
    policy: Policy = DEFAULT_POLICY
    name: str = ""


@dataclass(frozen=True)
class Job:
    """A submission: its files (relative path → bytes) and the steps to run on them."""

    files: Mapping[str, bytes]
    steps: tuple[Step, ...]
    language: str = ""


@dataclass(frozen=True)
class StepResult:
    """What one step did. ``limit`` names the limit that stopped it, if any."""

    exit_code: int | None
    signal: int | None
    stdout: bytes
    stderr: bytes
    wall_time_s: float
    cpu_time_s: float | None = None
    limit: Limit | None = None
    stdout_truncated: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Exited by itself with status 0 and hit no limit."""
        return self.exit_code == 0 and self.signal is None and self.limit is None


class Backend(Protocol):
    """A place to run untrusted code."""

    name: str
    host_toolchains: bool
    """True when programs run with this host's toolchains (so one missing here is missing for
    the backend); False when the backend brings its own (the docker runner image)."""

    def run(self, job: Job) -> Iterator[StepResult]:
        """Run ``job``'s steps in order in a fresh work dir, yielding each result."""
        ...
