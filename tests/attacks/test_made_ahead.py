"""Boundary job → the next job's runner made ahead (sandbox/hosts.py), and the peer's bootstrap (judge/program.py).

An attacker who has read sandbox/hosts.py (JobHosts.give_back, _made_ahead, open, close),
sandbox/local.py (_JobRun, _release, _remove_drained) and the judge's two-process harness
(PEER_BOOTSTRAP, Link.start): a submission that leaves state for the runner made ahead to
inherit or for the job that takes it to find (kernel keys, cgroup counters at their limits),
that relies on a runner of another kind (tmpfs size, harness) or on an earlier job's limits,
and a solution that touches its stdin and stdout before and while the peer's program loads.
And the service's side of it: runners made ahead of another kind, or made long ago, and a
backend closed while a runner is being made, must leave no process or cgroup behind.
Every test asserts the secure outcome: a failure is a hole.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from textwrap import dedent

import pytest

from bench.proc_tree import descendants
from sandbox import local
from sandbox.backend import Job, Step
from sandbox.judge import Limits, Options, judge, parse_tests
from sandbox.local import LocalBackend
from sandbox.policy import Policy
from tests.attacks.test_job_hosts import IDLE, made_ahead_runner
from tests.sandbox.conftest import FAST, own_cgroups, python_step, skip_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

CGROUP_ROOT = "/sys/fs/cgroup"
ADD_ASSERTS = {"test_list": ["assert add(1, 2) == 3", "assert add(20, 22) == 42"]}
DRAIN_LIMIT_S = 2.0  # sandbox/local.py DRAIN_LIMIT_S (60 s), shortened so that a runner can idle past it


def _bwraps() -> set[int]:
    """Pids of the bubblewrap processes under this process (other tests' backends may keep theirs: taken first)."""
    return {p.pid for p in descendants(os.getpid()) if p.name == "bwrap"}


def _settled() -> tuple[set[Path], set[int]]:
    """This process's job cgroups and bwraps, once other tests' backends have made their next runners ahead."""
    time.sleep(0.3)
    return own_cgroups(), _bwraps()


def _sandboxes(others: set[int]) -> list[int]:
    """Pids of the bwraps under this process but ``others``, and of what they run."""
    return [pid for bwrap in _bwraps() - others for pid in [bwrap, *(p.pid for p in descendants(bwrap))]]


# ---------------------------------------------------------------------------------------------
# Class 1 — state the next job (in the runner made ahead) or a job running alongside can find.
# Kernel keys are not namespaced: a key linked into a keyring that outlives the job, or readable
# by the sandbox's uid, is a channel between submissions.
PLANT_KEY = """
import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
for ring in (-3, -4, -5, -2):  # session, user, user-session, process keyrings
    key = libc.syscall(248, b"user", b"{marker}", b"payload-{marker}", {size}, ring)  # add_key
    if key > 0:
        libc.syscall(250, 5, key, 0x3F3F3F3F)  # KEYCTL_SETPERM: everything for everyone
print('planted', flush=True)
time.sleep({sleep})
"""
FIND_KEY = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
try:
    lines = open('/proc/keys').read().splitlines()
except OSError:
    lines = []
found = []
for line in lines:
    if '{prefix}' in line:
        buf = ctypes.create_string_buffer(256)
        n = libc.syscall(250, 11, int(line.split()[0], 16), buf, 256)  # KEYCTL_READ
        found.append((line.split()[-2], buf.raw[: max(n, 0)].decode()))
print(found)
"""


def _plant_key(marker: str, sleep: float) -> Step:
    return python_step(PLANT_KEY.format(marker=marker, size=len(f"payload-{marker}"), sleep=sleep))


def _find_keys(marker: str) -> Step:
    return python_step(FIND_KEY.format(prefix=marker[:8]))


@pytest.mark.parametrize("when", ["the next job", "a job running alongside"])
@pytest.mark.parametrize("hosts", [True, False], ids=["job host", "own sandbox"])
def test_job_planting_kernel_keys_yields_nothing_for_another_job(when: str, hosts: bool) -> None:
    marker = f"rlvr-key-{uuid.uuid4().hex[:12]}"
    backend = LocalBackend(spares=0, hosts=hosts)
    try:
        if when == "the next job":
            (planted,) = backend.run(Job({}, (_plant_key(marker, 0),)))
            assert planted.stdout == b"planted\n", planted.stderr
            (seen,) = backend.run(Job({}, (_find_keys(marker),)))
        else:
            with ThreadPoolExecutor(1) as pool:
                planting = pool.submit(lambda: list(backend.run(Job({}, (_plant_key(marker, 3),)))))
                time.sleep(1.5)
                (seen,) = backend.run(Job({}, (_find_keys(marker),)))
                (planted,) = planting.result()
            assert planted.stdout == b"planted\n", planted.stderr
    finally:
        backend.close()
    assert seen.exit_code == 0, seen.stderr
    assert seen.stdout == b"[]\n", seen.stdout  # neither the key's name nor its payload


# A job that runs its cgroup into its limits (refused forks, an OOM kill) and fills its tmpfs:
# the job in the runner made ahead after it must be judged on its own counters and limits.
HIT_LIMITS = """
import os
for _ in range(200):  # refused forks: pids.events max
    try:
        if os.fork() == 0:
            import time; time.sleep(30)
    except OSError:
        break
open('/tmp/fill', 'wb').write(b'x' * (8 << 20))
x = bytearray(600 << 20)  # an OOM kill in the job's cgroup
x[::4096] = b'x' * len(x[::4096])
"""
SMALL = Policy(wall_time_s=5.0, cpu_time_s=3.0, memory_mb=64, max_processes=4, max_output_bytes=1 << 20)
PLAIN_NEXT = {
    "prints": ("print('ok')", FAST, (0, None, b"ok\n")),
    "allocates within a smaller limit": (
        "x = bytearray(24 << 20)\nx[::4096] = b'x' * len(x[::4096])\nprint('ok')",
        SMALL,
        (0, None, b"ok\n"),
    ),
    "allocates over a smaller limit than the last job's": (
        "x = bytearray(200 << 20)\nx[::4096] = b'x' * len(x[::4096])\nprint('ok')",
        SMALL,
        (None, "memory", b""),
    ),
    "forks over a smaller process limit than the last job's": (
        "import os, time\nn = 0\ntry:\n    for _ in range(20):\n        if os.fork() == 0:\n"
        "            time.sleep(5); os._exit(0)\n        n += 1\nexcept OSError:\n    pass\nprint(n)",
        SMALL,
        (0, "processes", None),
    ),
}


@pytest.mark.parametrize(("source", "policy", "expected"), PLAIN_NEXT.values(), ids=PLAIN_NEXT.keys())
def test_job_after_one_at_its_limits_yields_its_own_counters_and_limits(
    one_host: LocalBackend, source: str, policy: Policy, expected: tuple
) -> None:
    big = Policy(wall_time_s=10.0, cpu_time_s=5.0, memory_mb=512, max_processes=64, max_output_bytes=1 << 20)
    (hit,) = one_host.run(Job({}, (python_step(HIT_LIMITS, policy=big),)))
    assert hit.limit in ("memory", "processes"), (hit.limit, hit.stderr[-300:])
    made = made_ahead_runner(one_host)
    (nxt,) = one_host.run(Job({}, (python_step(source, policy=policy),)))
    assert made.closed  # it ran in the runner made ahead
    exit_code, limit, stdout = expected
    assert (nxt.exit_code, nxt.limit) == (exit_code, limit), (nxt, nxt.stderr[-300:])
    if stdout is not None:
        assert nxt.stdout == stdout


# What a job sees of its kind: its tmpfs size (the largest file limit of its steps, at least
# 64 MiB) and, for a harness job, its peer. A runner made ahead of the last job's kind must
# never serve a job of another.
TMPFS_OF = "import os\nprint(*(os.statvfs(d).f_blocks * os.statvfs(d).f_frsize >> 20 for d in ('/tmp', '/box')))"
KINDS = {
    "plain 64": (64, False),
    "plain 200": (200, False),
    "harness 64": (64, True),
    "harness 200": (200, True),
}


def _kind_step(size_mb: int, harness: bool) -> Step:
    policy = Policy(
        wall_time_s=5.0,
        cpu_time_s=3.0,
        memory_mb=256,
        max_processes=32,
        max_output_bytes=1 << 20,
        max_file_bytes=size_mb << 20,
    )
    extra = {"peer": IDLE} if harness else {}
    return Step(python_step(TMPFS_OF, policy=policy).argv, policy=policy, **extra)


@pytest.mark.parametrize(
    ("first", "then"),
    [(a, b) for a in KINDS for b in KINDS if a != b] + [("plain 200", "plain 200")],
)
def test_job_after_one_of_another_kind_yields_its_own_tmpfs_size(one_host: LocalBackend, first: str, then: str) -> None:
    list(one_host.run(Job({}, (_kind_step(*KINDS[first]),))))
    made_ahead_runner(one_host)
    (seen,) = one_host.run(Job({}, (_kind_step(*KINDS[then]),)))
    size = KINDS[then][0]
    assert seen.exit_code == 0, seen.stderr
    assert seen.stdout == f"{size} {size}\n".encode(), (first, then, seen.stdout)


# ---------------------------------------------------------------------------------------------
# Class 2 — the service's side: runners made ahead must not outlive their use, or the backend.
@pytest.mark.parametrize("taker", ["same kind (takes it)", "other tmpfs size (discards it)"])
def test_runners_made_ahead_long_before_their_job_yield_no_cgroup_left(
    taker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a runner's cgroup is created when it is made ahead; local.py gives up on a cgroup still busy
    # DRAIN_LIMIT_S after it was released. Four hosts idle past that limit (the kept one waits for
    # ever), then four jobs at once take (or, of another size, discard) their runners: every cgroup must go.
    monkeypatch.setattr(local, "DRAIN_LIMIT_S", DRAIN_LIMIT_S)
    backend = LocalBackend(spares=0, host_idle_s=3600.0)
    extra = {"policy": replace(FAST, max_file_bytes=128 << 20)} if taker.startswith("other") else {"policy": FAST}
    try:
        with ThreadPoolExecutor(4) as pool:  # four hosts, each making a plain runner ahead
            list(pool.map(lambda _: list(backend.run(Job({}, (python_step("import time; time.sleep(1)"),)))), range(4)))
        if backend.hosts.problem is not None:
            skip_or_fail(f"job hosts unavailable: {backend.hosts.problem}")
        aged = {m.cgroup.pids.name for m in backend.hosts.made_ahead(wait_s=10) if m.cgroup is not None}
        assert len(aged) == 4
        time.sleep(DRAIN_LIMIT_S + 1)
        step = Step(python_step("import time; time.sleep(0.5)").argv, **extra)
        with ThreadPoolExecutor(4) as pool:  # they end together
            list(pool.map(lambda _: list(backend.run(Job({}, (step,)))), range(4)))
        for _ in range(5):  # later jobs remove the drained cgroups they find empty
            list(backend.run(Job({}, (python_step("pass"),))))
            time.sleep(0.1)
        backend.hosts.made_ahead(wait_s=10)
    finally:
        backend.close()
    left = {p.name for p in own_cgroups()} & aged
    assert not left, left


CLOSE_AFTER = {
    "a plain job": lambda b: list(b.run(Job({}, (python_step("pass"),)))),
    "a harness-kind job": lambda b: list(b.run(Job({}, (Step(python_step("pass").argv, policy=FAST, peer=IDLE),)))),
    "a judged submission": lambda b: judge(
        "def add(a, b):\n    return a - b\n", parse_tests(ADD_ASSERTS), b, options=Options(limits=Limits(time_s=2.0))
    ),
}


@pytest.mark.parametrize("last", CLOSE_AFTER.values(), ids=CLOSE_AFTER.keys())
def test_backend_closed_while_the_next_runner_is_made_yields_no_error_and_nothing_left(last: Callable) -> None:
    # close() retires the idle host (Sandbox.kill) while the background thread, whose runner died
    # with the host, kills the same host (Sandbox.kill) too: one of them must not close its fds twice
    before, others = _settled()
    errors = []
    for _ in range(10):
        backend = LocalBackend(spares=0)
        list(backend.run(Job({}, (python_step("pass"),))))
        last(backend)  # ends in a warm host: it starts making the next runner
        try:
            backend.close()
        except OSError as exc:
            errors.append(repr(exc))
    deadline = time.monotonic() + 5
    while (own_cgroups() - before or _sandboxes(others)) and time.monotonic() < deadline:
        time.sleep(0.1)
    left, running = sorted(p.name for p in own_cgroups() - before), _sandboxes(others)
    assert not errors and not left and not running, f"close raised {errors}; cgroups left {left}; pids {running}"


def test_backend_closed_with_several_runners_made_ahead_yields_nothing_left() -> None:
    before, others = _settled()
    backend = LocalBackend(spares=0)
    with ThreadPoolExecutor(3) as pool:
        kinds = [{}, {"peer": IDLE}, {}]
        list(
            pool.map(
                lambda extra: list(backend.run(Job({}, (Step(python_step("pass").argv, policy=FAST, **extra),)))),
                kinds,
            )
        )
    backend.close()
    deadline = time.monotonic() + 5
    while (own_cgroups() - before or _sandboxes(others)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not own_cgroups() - before
    assert not _sandboxes(others)


# ---------------------------------------------------------------------------------------------
# Class 3 — the peer's bootstrap and the new pipe protocol: the solution runs only after the
# bootstrap has read its program and the harness's init message; what it does to fds 0 and 1
# (its stdin and stdout: /dev/null by then) or to the pipes must not change a verdict.
ADD_CALL = {"fn_name": "add", "inputs": [[1, 2], [20, 22]], "outputs": [3, 42]}
SUITES = {"mbpp": ADD_ASSERTS, "call": ADD_CALL}
FD_TOUCHES = {
    "reads its stdin": "import sys\nsys.stdin.read()\n",
    "reads fd 0 raw": "import os\nos.read(0, 1 << 16)\n",
    "writes to its stdout": "print('names add: pass ' * 100)\nimport sys; sys.stdout.flush()\n",
    "writes to fd 1 raw": "import os\nos.write(1, b'{\"value\": 3}\\n' * 100)\n",
    "closes fds 0 and 1": "import os\nos.close(0)\nos.close(1)\n",
    "closes fds 0 to 2": "import os\nfor fd in (0, 1, 2):\n    os.close(fd)\n",
    "reopens fd 0 and 1 on /dev/null": "import os\nfd = os.open('/dev/null', 2)\nos.dup2(fd, 0)\nos.dup2(fd, 1)\n",
    "reads its own argv": "import sys\nsys.argv.append(sys.orig_argv[-1])\n",
    "execs the bootstrap's globals": "r = None\nh = d = b''\nv = n = m = '0'\n",
}


@pytest.mark.parametrize("suite", SUITES.values(), ids=SUITES.keys())
@pytest.mark.parametrize("touch", FD_TOUCHES.values(), ids=FD_TOUCHES.keys())
@pytest.mark.parametrize(("body", "score"), [("a + b", 1.0), ("a - b", 0.0)], ids=["right", "wrong"])
def test_solution_touching_its_stdio_when_loaded_yields_its_own_verdict(
    one_host: LocalBackend, touch: str, suite: dict, body: str, score: float
) -> None:
    source = touch + f"def add(a, b):\n    return {body}\n"
    result = judge(source, parse_tests(suite), one_host, options=Options(limits=Limits(time_s=2.0)))
    assert result.score == score, result.summary()
    if score == 1.0:
        assert all(r.verdict == "AC" for r in result.results), result.summary()


def test_humaneval_canonical_solutions_yield_a_pass_and_wrong_ones_a_zero(one_host: LocalBackend) -> None:
    from bench.bench_judge import humaneval

    problems = humaneval()[:8]
    for p in problems:
        suite = parse_tests({"test": p["test"], "entry_point": p["entry_point"]})
        right = judge(p["prompt"] + p["canonical_solution"], suite, one_host)
        assert right.score == 1.0, (p["task_id"], right.summary())
        wrong = judge(p["prompt"] + "    return None\n", suite, one_host)
        assert wrong.score == 0.0, (p["task_id"], wrong.summary())


def test_peer_program_arrives_whole_when_the_first_request_is_large(one_host: LocalBackend) -> None:
    # the harness writes the program, then the init message (with a large prelude) down one pipe
    prelude = "BIG = " + repr("x" * (200 << 10)) + "\n"  # sent to the peer in its init message
    suite = parse_tests(
        {"prelude": prelude, "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n", "entry_point": "add"}
    )
    result = judge(dedent("def add(a, b):\n    return a + b\n"), suite, one_host)
    assert result.score == 1.0, result.summary()


# ---------------------------------------------------------------------------------------------
# Class 4 — racing the preparation: jobs of alternating kinds from several threads (each discarding
# the runner made for another kind), and a job cancelled mid-step holding memory, then the next.
HOG = "x = bytearray(300 << 20)\nx[::4096] = b'x' * len(x[::4096])\nprint('hog', flush=True)\nwhile True: pass"


def test_jobs_of_alternating_kinds_from_several_threads_yield_all_run_and_nothing_left() -> None:
    before, others = _settled()
    backend = LocalBackend(spares=0)
    kinds = [(64, False), (64, True), (200, False), (200, True)]
    try:
        with ThreadPoolExecutor(3) as pool:
            seen = list(pool.map(lambda n: list(backend.run(Job({}, (_kind_step(*kinds[n % 4]),)))), range(24)))
    finally:
        backend.close()
    sizes = [(r.exit_code, r.stdout) for (r,) in seen]
    assert sizes == [(0, f"{kinds[n % 4][0]} {kinds[n % 4][0]}\n".encode()) for n in range(24)]
    deadline = time.monotonic() + 5
    while (own_cgroups() - before or _sandboxes(others)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not own_cgroups() - before and not _sandboxes(others)


def test_job_cancelled_holding_memory_yields_a_next_job_that_runs(one_host: LocalBackend) -> None:
    import threading

    from sandbox.errors import Cancelled

    big = Policy(wall_time_s=10.0, cpu_time_s=8.0, memory_mb=512, max_processes=8, max_output_bytes=1 << 20)
    for _ in range(3):
        cancel = threading.Event()
        threading.Timer(1.5, cancel.set).start()
        with pytest.raises(Cancelled):
            list(one_host.run(Job({}, (python_step(HOG, policy=big),), cancel=cancel)))
        (nxt,) = one_host.run(Job({}, (python_step("print('next')"),)))  # at once: its runner is being made
        assert (nxt.exit_code, nxt.stdout, nxt.limit) == (0, b"next\n", None), nxt
