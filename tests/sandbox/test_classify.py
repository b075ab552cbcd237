"""Which limit stopped a step: kernel evidence first, the runtime's own words last."""

from __future__ import annotations

import signal

import pytest

from sandbox.classify import Outcome, classify
from sandbox.policy import Policy

POLICY = Policy(wall_time_s=2.0, cpu_time_s=1.5, max_output_bytes=100)


def outcome(exit_code: int | None = 0, sig: int | None = None, cpu: float = 0.1, timed_out: bool = False,
            out: int = 0, err: int = 0, stderr: bytes = b"", ooms: int = 0, refused: int = 0) -> Outcome:
    return Outcome(exit_code, sig, 0.5, cpu, timed_out, out, err, stderr, ooms, refused)


@pytest.mark.parametrize(("seen", "cgroup", "limit"), [
    (outcome(), True, None),
    (outcome(exit_code=1, stderr=b"ValueError: bad"), True, None),
    (outcome(exit_code=None, sig=signal.SIGSEGV), True, None),
    (outcome(out=101), True, "output"),
    (outcome(exit_code=None, sig=signal.SIGKILL, err=101), True, "output"),
    (outcome(exit_code=None, sig=signal.SIGKILL, ooms=1), True, "memory"),
    (outcome(exit_code=1, refused=3, stderr=b"BlockingIOError"), True, "processes"),
    (outcome(exit_code=None, sig=signal.SIGXFSZ), True, "file_size"),
    (outcome(exit_code=1, stderr=b"OSError: [Errno 27] File too large"), True, "file_size"),
    (outcome(exit_code=None, sig=signal.SIGXCPU, cpu=1.9), True, "cpu_time"),
    (outcome(exit_code=None, sig=signal.SIGKILL, cpu=2.0), True, "cpu_time"),
    (outcome(cpu=1.6), True, "cpu_time"),
    (outcome(exit_code=None, sig=signal.SIGKILL, timed_out=True), True, "wall_time"),
    (outcome(exit_code=1, stderr=b"Traceback...\nMemoryError\n"), True, "memory"),
    (outcome(exit_code=None, sig=signal.SIGABRT, stderr=b"what():  std::bad_alloc"), True, "memory"),
    (outcome(exit_code=1, stderr=b"java.lang.OutOfMemoryError: Java heap space"), True, "memory"),
    (outcome(exit_code=0, stderr=b"MemoryError"), True, None),
    (outcome(exit_code=1, stderr=b"BlockingIOError: [Errno 11] Resource temporarily unavailable"), False, "processes"),
    (outcome(exit_code=1, stderr=b"BlockingIOError: [Errno 11] Resource temporarily unavailable"), True, None),
])
def test_observed_outcome_yields_limit(seen: Outcome, cgroup: bool, limit: str | None) -> None:
    assert classify(seen, POLICY, cgroup=cgroup) == limit
