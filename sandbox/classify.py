"""Which limit stopped a step, from what the sandbox observed: one pure function.

Kernel evidence wins over guesses: output size, cgroup OOM kills and refused forks,
then the rlimit signals (SIGXFSZ, SIGXCPU), CPU used, the wall deadline; only then
the runtime's own words on stderr (MemoryError, std::bad_alloc, EFBIG, EAGAIN on fork…),
and only for a program that failed.
"""

from __future__ import annotations

import math
import signal
from dataclasses import dataclass

from sandbox.backend import Limit, StepResult
from sandbox.policy import Policy

MEMORY_WORDS = (
    b"MemoryError",
    b"bad_alloc",
    b"OutOfMemoryError",
    b"out of memory",
    b"Cannot allocate memory",
    b"memory allocation of ",
)
PROCESS_WORDS = (
    b"Resource temporarily unavailable",
    b"fork: retry",
    b"can't start new thread",
    b"unable to create native thread",
    b"Cannot fork",
)
FILE_SIZE_WORDS = (b"File too large",)
STDERR_TAIL_BYTES = 4096  # each end: Go prints the cause first, then pages of goroutines
# the kernel stops a process at its CPU rlimit counted in scheduler ticks, which run ahead of the precise count
# a step reports (seen: killed at 0.91-0.96 s under a 1 s limit, on a busy machine)
PEER_KILLED_CPU_SHARE = 0.8


@dataclass(frozen=True)
class Outcome:
    """What was observed about one finished step."""

    exit_code: int | None
    signal: int | None
    wall_time_s: float
    cpu_time_s: float | None
    timed_out: bool
    stdout_bytes: int
    stderr_bytes: int
    stderr: bytes
    oom_kills: int = 0
    pids_refused: int = 0
    peer_signal: int | None = None
    """The signal that ended the step's peer (the solution behind a judge harness), if one did and the backend did
    not send it. A SIGKILL with the CPU near the limit is the kernel's at the peer's hard CPU limit: a peer is PID 1
    of its namespace (local), which ignores the soft limit's SIGXCPU, so its hard limit is its soft one. Without the
    CPU it is the peer's own doing (its child may ptrace it and inject one): a death like any other."""


def classify(outcome: Outcome, policy: Policy, cgroup: bool = True) -> Limit | None:
    """The limit that stopped the step, or None if it ended on its own terms."""
    cap = policy.max_output_bytes
    cpu = outcome.cpu_time_s or 0.0
    if outcome.stdout_bytes > cap or outcome.stderr_bytes > cap:
        return "output"
    if outcome.oom_kills:
        return "memory"
    if outcome.pids_refused:
        return "processes"
    signals = (outcome.signal, outcome.peer_signal)
    if signal.SIGXFSZ in signals:
        return "file_size"
    if (
        signal.SIGXCPU in signals
        or cpu > policy.cpu_time_s
        or (outcome.signal == signal.SIGKILL and cpu >= math.ceil(policy.cpu_time_s))
        or (outcome.peer_signal == signal.SIGKILL and cpu >= PEER_KILLED_CPU_SHARE * math.ceil(policy.cpu_time_s))
    ):
        return "cpu_time"
    if outcome.timed_out:
        return "wall_time"
    failed = outcome.signal is not None or outcome.exit_code != 0
    tail = outcome.stderr[:STDERR_TAIL_BYTES] + outcome.stderr[-STDERR_TAIL_BYTES:]
    if failed and any(word in tail for word in MEMORY_WORDS):
        return "memory"
    if failed and any(word in tail for word in FILE_SIZE_WORDS):
        return "file_size"
    if failed and not cgroup and any(word in tail for word in PROCESS_WORDS):
        return "processes"
    return None


def step_result(
    outcome: Outcome, stdout: bytes, stderr: bytes, policy: Policy, *, cgroup: bool, notes: tuple[str, ...] = ()
) -> StepResult:
    """The StepResult of a finished step, with the limit that stopped it (see :func:`classify`)."""
    return StepResult(
        outcome.exit_code,
        outcome.signal,
        stdout,
        stderr,
        outcome.wall_time_s,
        outcome.cpu_time_s,
        classify(outcome, policy, cgroup=cgroup),
        outcome.stdout_bytes > policy.max_output_bytes,
        notes,
    )
