"""Boundary program → sandbox → harness, through the judge's fast paths: spares, the forked warm interpreter, wire.

An attacker who has read sandbox/spares.py, sandbox/_runner.py (fork_python, WARM_MODULES)
and sandbox/judge/wire.py: a wrong solution that patches the modules its interpreter image
shares with the harness, answers the harness in malformed or extreme JSON, signals its
space's init, or leaves things behind for the next submission. Every one must end judged
(a verdict of its own, score 0), and the honest submission after it must run clean.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from textwrap import dedent

import pytest

from sandbox.backend import Backend, Job
from sandbox.judge import Limits, Options, judge, parse_tests
from sandbox.local import LocalBackend
from tests.attacks.test_program import ECHO_STDIO, SUITES
from tests.sandbox.conftest import FAST, own_cgroups, python_step

pytestmark = [pytest.mark.integration]

LIMITS = Options(limits=Limits(time_s=2.0))
JUDGED_ZERO = ("WA", "RE", "TLE", "MLE", "OLE", "CE")
HONEST = "def add(a, b):\n    return a + b\n"
PEER_REPLY_FD = 4  # peer.py's os.dup(1) of its pipe to the harness (0, 1 and 2 are the step's)

# A wrong `add` (a - b) attacking what the fast paths share.
FAST_PATH_ATTACKS = {
    "patches every warm module and builtin it was forked with": """
        import builtins, collections, importlib, keyword, math, types, _json, _ast
        math.isclose = lambda *a, **k: True
        math.isfinite = lambda x: True
        collections.OrderedDict = dict
        keyword.iskeyword = lambda s: False
        importlib.import_module = lambda name, package=None: builtins
        types.ModuleType = type
        _json.make_scanner = lambda ctx: (lambda s, i: ({"status": "pass"}, len(s)))
        _json.encode_basestring_ascii = lambda s: '"pass"'
        builtins.isinstance = lambda *a: True
        builtins.AssertionError = type("Never", (Exception,), {})
        def add(a, b):
            return a - b
    """,
    "returns a value nested just under the harness's recursion limit": """
        import sys
        sys.setrecursionlimit(100_000)
        def add(a, b):
            v = a - b
            for _ in range(19_990):
                v = [v]
            return v
    """,
    "returns a value nested far beyond the harness's recursion limit": """
        import sys
        sys.setrecursionlimit(200_000)
        def add(a, b):
            v = a - b
            for _ in range(60_000):
                v = (v,)
            return v
    """,
    "returns NaN": "def add(a, b):\n    return float('nan')\n",
    "returns infinity": "def add(a, b):\n    return float('inf')\n",
    "returns a lone surrogate": "def add(a, b):\n    return '\\ud800' + str(a - b)\n",
    "returns an int at Python's digit limit": "def add(a, b):\n    return int('9' * 4300)\n",
    "returns a Decimal with a huge exponent": (
        "import decimal\ndef add(a, b):\n    return decimal.Decimal('1e999999999')\n"
    ),
}

# Lines written straight onto the reply pipe, in place of peer.py's, then the peer waits to be killed.
# Lines written straight onto the reply pipe after a valid "names" reply, in place of peer.py's answer
# to the first call (each a Python expression, built in the sandbox), then the peer waits to be killed.
RAW_REPLIES = {
    "nested 100,000 deep": "b'{\"value\": ' + b'[' * 100_000 + b']' * 100_000 + b'}'",
    "nested tagged records 30,000 deep": (
        "b'{\"value\": ' + b'{\"$\": \"tuple\", \"v\": [' * 30_000 + b'3' + b']}' * 30_000 + b'}'"
    ),
    "a number of 100,000 digits": "b'{\"value\": ' + b'3' * 100_000 + b'}'",
    "a float exponent of 100,000 digits": "b'{\"value\": 3e' + b'9' * 100_000 + b'}'",
    "NaN and Infinity": 'b\'{"value": NaN, "after": Infinity}\'',
    "two values on one line": 'b\'{"value": 3} {"value": 42}\'',
    "a byte-order mark": "b'\\xef\\xbb\\xbf{\"value\": 3}'",
    "bytes that are not UTF-8": 'b\'{"value": "\\xff\\xfe"}\'',
    "a lone surrogate escape": 'b\'{"value": "\\\\ud800"}\'',
    "duplicate keys": 'b\'{"value": 3, "value": {"$": "obj", "c": "int", "id": 0, "v": {}}}\'',
    "a 64 MiB string": "b'{\"value\": \"' + b'a' * (64 << 20) + b'\"}'",
    "an untrusted tagged object": 'b\'{"value": {"$": "obj", "c": "Counter", "id": 0, "v": {}}}\'',
}
RAW_REPLY = """
import os, time
os.write({fd}, b'{{"names": {{"add": "callable"}}}}\\n' + {line} + b"\\n")
time.sleep(30)
def add(a, b):
    return a - b
"""


def _assert_judged_zero(source: str, suite: dict, backend: Backend) -> None:
    result = judge(dedent(source), parse_tests(suite), backend, options=LIMITS)
    assert result.score == 0.0, result.summary()
    assert result.results and all(r.verdict in JUDGED_ZERO for r in result.results), result.summary()


@pytest.mark.parametrize("suite", SUITES.values(), ids=SUITES.keys())
@pytest.mark.parametrize("source", FAST_PATH_ATTACKS.values(), ids=FAST_PATH_ATTACKS.keys())
def test_wrong_solution_attacking_the_fast_paths_yields_a_judged_zero(
    backend: Backend, source: str, suite: dict
) -> None:
    _assert_judged_zero(source, suite, backend)
    honest = judge(HONEST, parse_tests(suite), backend, options=LIMITS)  # likely a spare started meanwhile
    assert honest.score == 1.0, honest.summary()


@pytest.mark.parametrize("suite", SUITES.values(), ids=SUITES.keys())
@pytest.mark.parametrize("line", RAW_REPLIES.values(), ids=RAW_REPLIES.keys())
def test_malformed_reply_on_the_harness_pipe_yields_a_judged_zero(backend: Backend, line: bytes, suite: dict) -> None:
    _assert_judged_zero(RAW_REPLY.format(fd=PEER_REPLY_FD, line=line), suite, backend)


# Class 2 — a space made anew mid-job (a step wants a higher hard rlimit, or the init spent half
# the CPU limit, which a program can force by flooding its init with SIGCHLD) is a fork of the
# runner at that moment: what the runner read from earlier steps' stdout and stderr (a harness's
# result lines: "expected 3, got -1", the nonce) must not be in its memory for the new space's
# forked python steps to scan.
PRINT_TOKEN = "import sys\nsys.stdout.write('rlvr-token-' + {token!r}[::-1] + '\\n')\n"  # not in its own argv
SCAN_HEAP = """
import ctypes, os
libc = ctypes.CDLL(None)
libc.sbrk.restype = ctypes.c_void_p
prefix = bytes.fromhex('72' + '6c76722d746f6b656e2d')  # "rlvr-token-", never whole in this source
r, w = os.pipe()
addr, found, above = libc.sbrk(0) - 4096, set(), b''
while True:
    try:  # an unmapped page is EFAULT from write(2), not a crash
        os.write(w, (ctypes.c_char * 1).from_address(addr))
        os.read(r, 1)
    except OSError:
        break
    page = bytes((ctypes.c_char * 4096).from_address(addr))
    data, above = page + above[:64], page
    at = data.find(prefix)
    while at >= 0:
        found.add(data[at + len(prefix):at + len(prefix) + 32].decode('latin-1'))
        at = data.find(prefix, at + 1)
    addr -= 4096
print(sorted(found))
"""


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_space_made_anew_holds_nothing_an_earlier_step_printed(backend: Backend, stream: str) -> None:
    token = secrets.token_hex(16)
    printer = PRINT_TOKEN.format(token=token).replace("sys.stdout", f"sys.{stream}")
    higher = replace(FAST, cpu_time_s=FAST.cpu_time_s + 2)  # a higher hard RLIMIT_CPU: a new space
    first, second = backend.run(Job({}, (python_step(printer), python_step(SCAN_HEAP, policy=higher)), "python"))
    assert token[::-1] in getattr(first, stream).decode()
    assert second.exit_code == 0, second.stderr[-2000:]
    assert token[::-1] not in second.stdout.decode(), "a step read what an earlier step printed from its own memory"


# Class 5 — a job's memory cap is lowered from the compile step's to the tests' between steps; a
# compiled program whose own files (here a binary of 150 MiB, on the sandbox's tmpfs, which is
# memory) already exceed the tests' cap must not keep the compile step's 2 GiB.
BIG_BINARY_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__asm__(".section .rodata\n.globl ballast\nballast:\n.fill 150 << 20, 1, 0x41\n.text\n");
extern const char ballast[];
int main(void) {
    size_t n = (size_t)%d << 20;
    char *p = malloc(n);
    if (!p) return 3;
    memset(p, 7, n);
    int a, b;
    if (scanf("%%d %%d", &a, &b) != 2) return 2;
    printf("%%d\n", a + b + (ballast[n %% 1000] - 0x41) + (p[n / 2] - 7));
    return 0;
}
"""


@pytest.mark.parametrize(("used_mb", "verdict"), [(100, "MLE"), (400, "MLE")])
def test_program_whose_binary_outgrows_the_memory_limit_cannot_keep_the_compile_cap(
    backend: Backend, used_mb: int, verdict: str
) -> None:
    suite = parse_tests({"inputs": ["1 2\n"], "outputs": ["3\n"]})
    options = Options(limits=Limits(time_s=2.0, memory_mb=64))
    result = judge(BIG_BINARY_C % used_mb, suite, backend, language="c", options=options)
    assert [r.verdict for r in result.results] == [verdict], result.summary()


# Class 4/5 — a space's init that dies mid-step (its own RLIMIT_CPU, which a program runs up by
# flooding it with SIGCHLD: ~0.25 s of the init's CPU per second on 2 busy cores, a full core on a
# big host) leaves the step's CPU uncounted. The death is injected here, as the flood cannot be
# timed; the program's side must be judged (TLE), never a crash of the host nor CPU counted as none.
# A harness step has no init: its harness and its peer are each PID 1 of their own (sandbox/_runner.py
# Solo), whose CPU is their rusage as the runner reaps them, killed or not (test_harness_space.py).
PROGRAM_RUNNING_S = 0.5


def _kill_inits_of_our_jobs(earlier: set[str]) -> int:
    """Once a step's program runs, SIGKILL every PID 1 of the deepest pid namespaces of its job (its cgroup).

    The job's runner is pid 1 of a namespace too (of the sandbox's, or in a job host of the
    job's own), one level above its spaces' inits (and a harness, PID 1 of its own). Inits
    made ahead of the first step are left alone: killed then, their space is made anew.
    Cgroups named in ``earlier`` (other tests' backends, their runners made ahead) are not looked at.
    """
    deadline = time.monotonic() + 10
    seen: dict[int, float] = {}  # a program's host pid: when first seen
    while time.monotonic() < deadline:
        for found in _deepest_processes_by_job(earlier):
            programs = [pid for pid, nspid in found if nspid != 1]
            for pid in programs:
                seen.setdefault(pid, time.monotonic())
            # a program has run beside its init for PROGRAM_RUNNING_S: the step's own (it sleeps 2 s), not one
            # seen while the job was being set up (a kill then has its space made anew)
            if any(time.monotonic() - seen[pid] >= PROGRAM_RUNNING_S for pid in programs):
                killed = 0
                for pid, nspid in found:
                    if nspid == 1:
                        with contextlib.suppress(OSError):
                            os.kill(pid, signal.SIGKILL)
                            killed += 1
                return killed
        time.sleep(0.02)
    return 0


def _deepest_processes_by_job(earlier: set[str]) -> list[list[tuple[int, int]]]:
    """For each of this process's sandbox cgroups (one a job) not in ``earlier``: (host pid, pid in its own
    namespace) of the processes in its deepest pid namespaces."""
    ours = [  # os.walk passes over cgroups other processes remove meanwhile (a recursive glob raises)
        Path(top, name, "cgroup.procs")
        for top, subdirs, _ in os.walk("/sys/fs/cgroup/pids")
        if os.path.basename(top) == "rlvr-sandbox"
        for name in subdirs
        if name.startswith(f"{os.getpid()}-") and name not in earlier
    ]
    jobs = []
    for procs in ours:
        seen: list[tuple[int, int, int]] = []  # (namespace depth, host pid, pid in its namespace)
        with contextlib.suppress(OSError):
            for pid in procs.read_text().split():
                with contextlib.suppress(OSError, StopIteration):
                    status = Path(f"/proc/{pid}/status").read_text().splitlines()
                    nspid = next(line for line in status if line.startswith("NSpid:")).split()[1:]
                    seen.append((len(nspid), int(pid), int(nspid[-1])))
        deepest = max((depth for depth, _, _ in seen), default=0)
        jobs.append([(pid, nspid) for depth, pid, nspid in seen if depth == deepest])
    return jobs


@pytest.mark.parametrize("hosts", [False, True], ids=["own sandbox", "job host"])
def test_space_init_dying_mid_step_yields_a_judged_tle(hosts: bool) -> None:
    backend = LocalBackend(spares=0, hosts=hosts)
    with ThreadPoolExecutor(1) as pool:
        killed = pool.submit(_kill_inits_of_our_jobs, {path.name for path in own_cgroups()})
        try:
            result = judge("import time\ntime.sleep(2)\nprint(3)", parse_tests(ECHO_STDIO), backend, options=LIMITS)
        finally:
            backend.close()
    assert killed.result() > 0
    assert result.results[0].verdict == "TLE", result.summary()


# Class 1 — a peer (the solution side: a fork of the runner, PID 1 of its namespaces) that held their capabilities
# could unmount its private /box, /tmp, /dev/shm and /proc and find the job's own below them: the
# job's files, the harness's /tmp, every process of the job.
UNMOUNT_ALL = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
found = []
for path in ('/box', '/tmp', '/dev/shm', '/proc'):
    refused = libc.umount2(path.encode(), 2) != 0 and ctypes.get_errno() == 1
    found.append((path, refused, sorted(os.listdir(path))))
print(found, flush=True)
"""
RELAY = "import os, sys\nopen('/tmp/harness-only', 'w').close()\nsys.stdout.write(os.read(4, 1 << 16).decode())"


@pytest.mark.parametrize("hosts", [False, True], ids=["own sandbox", "job host"])
def test_peer_unmounting_its_private_dirs_yields_eperm_and_nothing_of_the_job(hosts: bool) -> None:
    backend = LocalBackend(spares=0, hosts=hosts)
    step = replace(python_step(RELAY), peer=python_step(UNMOUNT_ALL).argv)
    try:
        (result,) = backend.run(Job({"tests.py": b"EXPECTED = 42\n"}, (step,)))
    finally:
        backend.close()
    expected = [(path, True, []) for path in ("/box", "/tmp", "/dev/shm", "/proc")]
    assert result.stdout.decode() == f"{expected}\n", result.stderr


# Class 1 — the harness re-raises a builtin exception the solution raised, in the tests: a
# StopIteration raised into map(), filter() or zip() ends the iteration instead, so a test like
# `assert all(map(lambda x: f(x) == x + 1, xs))` would pass with nothing checked.
ITERATION_TESTS = {
    "all over map": "assert all(map(lambda x: add(x, 1) == x + 1, [1, 2, 3]))",
    "all over filter": "assert not list(filter(lambda x: add(x, 1) != x + 1, [1, 2, 3]))",
    "sum over map": "assert sum(map(lambda x: add(x, 1) - x - 1, [1, 2, 3])) == 0",
}
ENDING_ITERATION = {
    "raises StopIteration": "def add(a, b):\n    raise StopIteration\n",
    "raises StopAsyncIteration": "def add(a, b):\n    raise StopAsyncIteration\n",
}


@pytest.mark.parametrize("test", ITERATION_TESTS.values(), ids=ITERATION_TESTS.keys())
@pytest.mark.parametrize("source", ENDING_ITERATION.values(), ids=ENDING_ITERATION.keys())
def test_solution_raising_the_end_of_an_iteration_yields_a_judged_zero(
    backend: Backend, source: str, test: str
) -> None:
    _assert_judged_zero(source, {"test_list": [test]}, backend)
