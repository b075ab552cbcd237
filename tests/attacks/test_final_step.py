"""Boundary harness test code and solution → a job's last step, which the job's runner runs itself (local, job hosts).

An attacker who has read sandbox/_runner.py (``final_step``) and sandbox/local.py
(``_exchange_final``): in a job host, a job's last harness step is run by the job's runner
in its own process, watched from the service (its pidfd, the wall deadline, the job's
cpuacct cgroup, the template's word on how it ended). The harness's test code (a
dataset's) runs where the runner ran: it looks for what the runner held (the host's
socket, capabilities, namespace bounds) and ends the step every way it can; the solution
(the peer, now the runner's child) dies every way it can. Each must come out as the
step's own verdict — never null, never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from sandbox.backend import Job, Step
from sandbox.local import LocalBackend
from sandbox.policy import Policy
from tests.attacks.test_kernel_counts import BOMB, FLAGS, KINDS, REFUSED, TRIES
from tests.attacks.test_kernel_counts import POLICY as HOARD_POLICY
from tests.sandbox.conftest import python_step, skip_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

POLICY = Policy(wall_time_s=3.0, cpu_time_s=1.0, memory_mb=256, max_processes=32)
IDLE = python_step("import sys; sys.stdin.read()", policy=POLICY).argv  # a peer that waits for the harness's EOF
RELAY = "import os, sys\nsys.stdout.write(os.read(4, 1 << 16).decode())"  # the harness side: says what the peer said


@pytest.fixture(scope="module")
def hosted() -> Iterator[LocalBackend]:
    backend = LocalBackend(spares=0)
    try:
        list(backend.run(Job({}, (Step(python_step("pass").argv, policy=POLICY, peer=IDLE),))))
        if backend.hosts.problem is not None:
            skip_or_fail(f"job hosts unavailable: {backend.hosts.problem}")
        yield backend
    finally:
        backend.close()


def _harness(source: str, peer: tuple[str, ...] = IDLE) -> Step:
    return replace(python_step(source, policy=POLICY), peer=peer)


# --- where the last step runs: one pid namespace fewer than an earlier step's harness (a Solo of its own)
NS_LEVELS = "print(len(next(l for l in open('/proc/self/status') if l.startswith('NSpid')).split()) - 1)"


def test_last_harness_step_yields_the_job_runner_running_it(hosted: LocalBackend) -> None:
    first, last = hosted.run(Job({}, (_harness(NS_LEVELS), _harness(NS_LEVELS))))
    assert int(last.stdout) == int(first.stdout) - 1, (first, last)


# --- what the runner held, looked for by test code run in its place
LOOK = """
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
status = dict(l.split(':', 1) for l in open('/proc/self/status'))
fds = sorted(int(fd) for fd in os.listdir('/proc/self/fd'))
mounted = libc.mount(b'tmpfs', b'/tmp', b'tmpfs', 0, None) == 0
unshared = {k: libc.unshare(f) == 0 for k, f in (('net', 0x40000000), ('mnt', 0x20000))}
try:
    with open('/proc/sys/user/max_user_namespaces', 'w') as f:
        f.write('100000')
    raised = True
except OSError:
    raised = False
print(json.dumps(dict(fds=fds, caps=int(status['CapEff'], 16), no_new_privs=int(status['NoNewPrivs']),
                      mounted=mounted, unshared=unshared, raised=raised)))
"""
# fds 0-4 are the step's (stdin, stdout, stderr, the peer's pipes), 5 the runner's copy of the peer's, 6 listdir's
HELD = {
    "fds": [0, 1, 2, 3, 4, 5, 6],
    "caps": 0,
    "no_new_privs": 1,
    "mounted": False,
    "unshared": {"net": False, "mnt": False},
    "raised": False,
}


def test_harness_code_on_the_last_step_yields_nothing_of_the_runner(hosted: LocalBackend) -> None:
    (result,) = hosted.run(Job({}, (_harness(LOOK),)))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == HELD, result.stdout


# --- the last step ended by the harness's code or by the solution: the step's own verdict, never a sandbox error
BURN = "while True:\n    pass\n"
ENDED_BY = {
    "test code burning CPU": (_harness(BURN), "cpu_time"),
    "test code sleeping past the deadline": (_harness("import time\ntime.sleep(30)"), "wall_time"),
    "test code exiting before a result": (_harness("import os\nos._exit(3)"), None),
    "solution burning CPU": (_harness(RELAY, python_step(BURN, policy=POLICY).argv), "cpu_time"),
    "solution killing itself": (
        _harness(RELAY, python_step("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", policy=POLICY).argv),
        None,
    ),
    "solution leaving a child behind": (
        _harness(RELAY, python_step("import os, time\nif os.fork() == 0:\n    time.sleep(30)\n", policy=POLICY).argv),
        None,
    ),
}


# --- test code reaping the peer itself, or having the kernel reap it: its own business, the step ends as it says
REAPS = {
    "waits for it": "import os\nprint(os.read(4, 100).decode(), end='')\nos.close(3)\nos.wait()",
    "ignores SIGCHLD": (
        "import os, signal\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\nprint(os.read(4, 100).decode())"
    ),
}


@pytest.mark.parametrize("source", REAPS.values(), ids=REAPS.keys())
def test_harness_code_reaping_the_peer_yields_its_own_ending(hosted: LocalBackend, source: str) -> None:
    (result,) = hosted.run(Job({}, (_harness(source, python_step("print('ok')").argv),)))
    assert (result.exit_code, result.limit, result.stdout.strip()) == (0, None, b"ok"), result


@pytest.mark.parametrize(("step", "limit"), ENDED_BY.values(), ids=ENDED_BY.keys())
def test_last_step_ended_by_either_side_yields_its_own_verdict(
    hosted: LocalBackend, step: Step, limit: str | None
) -> None:
    (result,) = hosted.run(Job({}, (step,)))
    assert result.limit == limit, result
    assert result.wall_time_s < POLICY.wall_time_s + 2, result
    (after,) = hosted.run(Job({}, (_harness(RELAY, python_step("print('ok')").argv),)))
    assert after.stdout == b"ok\n", after  # the host serves the next job as before


# --- the harness's test code hoarding namespaces where the runner ran: the space's bounds hold there too
@pytest.mark.parametrize("kind", KINDS)
def test_harness_code_hoarding_namespaces_on_the_last_step_yields_an_early_refusal(
    hosted: LocalBackend, kind: str
) -> None:
    bomb = python_step(BOMB.format(kind=kind, flag=FLAGS[kind], tries=TRIES), policy=HOARD_POLICY)
    (result,) = hosted.run(Job({}, (replace(bomb, peer=IDLE),)))
    assert result.exit_code == 0, result.stderr[-2000:]
    made, err = map(int, result.stdout.split())
    assert made < (1 if kind in REFUSED else TRIES), f"held {made} {kind} namespaces: nothing refused them"
    assert err != 0, result.stdout
