"""The one-method contract every sandbox backend implements.

A :class:`Job` is one submission: files written into a fresh private work dir, then
steps (e.g. compile, then one step per test) run in order in that dir, each a fresh
process under its own policy. ``run`` yields one :class:`StepResult` per step as it
finishes, so a judge can stop early by closing the iterator; the backend then skips
the remaining steps and wipes the work dir. Infrastructure failures raise
:class:`~sandbox.errors.SandboxError`; a program's own failure is a StepResult.

Isolation every backend gives each step (see docs/threat-model.md): the step's processes
cannot see, signal, ptrace or read any process but their own (not the backend's agent or
runner, not another step's); nothing of the step outlives it; CPU time and processes are
counted over every process of the step. A step with a ``peer`` runs two processes that
cannot reach each other except through the two pipes between them: the judge harness
(trusted test code, whose stdout is the result) and the untrusted solution it calls.
A job whose ``cancel`` event is set is torn down at once and raises
:class:`~sandbox.errors.Cancelled`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sandbox.policy import DEFAULT_POLICY, Policy

Limit = Literal["wall_time", "cpu_time", "memory", "output", "file_size", "processes"]


@dataclass(frozen=True)
class Step:
    """One process to run: argv (never a shell string), stdin bytes, limits.

    ``peer``, if set, is the argv of a second, untrusted process started with the step
    and isolated from it (its own pid namespace or uid, its own /tmp, no shared files it
    could plant): the peer's stdin is written through the step's fd PEER_WRITE_FD and its
    stdout read on the step's fd PEER_READ_FD; its stderr is discarded. Both share the
    step's policy (CPU, memory and processes count both) and the peer is killed when the
    step's own process ends.
    """

    argv: tuple[str, ...]
    stdin: bytes = b""
    policy: Policy = DEFAULT_POLICY
    name: str = ""
    peer: tuple[str, ...] = ()


PEER_WRITE_FD = 3
PEER_READ_FD = 4


@dataclass(frozen=True)
class Preload:
    """Trusted code a backend may load once, ahead of jobs, into the interpreter its python steps fork from.

    ``sources``: ``python -c`` sources of the job's steps, compiled ahead; ``code``: marshal'd
    programs of definitions only, run ahead each in a namespace of its own that a step's
    bootstrap looks up by the program's bytes (``sys.rlvr_preloaded``) before it runs its own
    copy, then calls its ``main``. Only ever the backend's own or the judge's code (the harness
    and its peer's programs and bootstraps), never a submission's: the interpreter that loads
    it serves later jobs. A backend without such an interpreter ignores it.
    """

    sources: tuple[str, ...] = ()
    code: tuple[bytes, ...] = ()


NO_PRELOAD = Preload()


@dataclass(frozen=True)
class Job:
    """A submission: its files (relative path → bytes) and the steps to run on them."""

    files: Mapping[str, bytes]
    steps: tuple[Step, ...]
    language: str = ""
    cancel: threading.Event | None = field(default=None, compare=False)
    """Set by another thread (client gone, request deadline): the backend stops the job."""
    preload: Preload = NO_PRELOAD
    """What of the job's code the backend may load ahead (the judge harness's): the steps run the same either way."""


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

    def precompiled(self, python: str, source: str, filename: str) -> bytes:
        """Trusted ``source`` compiled ahead by the interpreter ``python`` of this backend's programs.

        In sandbox/precompile.py's format: a step that reads it skips compiling.
        """
        ...

    def run(self, job: Job) -> Iterator[StepResult]:
        """Run ``job``'s steps in order in a fresh work dir, yielding each result."""
        ...
