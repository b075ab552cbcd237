"""Boundary program → sandbox → harness → judge: attacks by a program that has read our source.

Each attack is a wrong program that tries to earn reward, hide its verdict, or see the
service; every one must end judged (a verdict of its own, score 0), on every backend.
The classes are those of docs/threat-model.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from textwrap import dedent

import pytest

from sandbox.backend import Backend, Job
from sandbox.judge import Limits, Options, judge, parse_tests
from tests.sandbox.conftest import FAST, python_step

pytestmark = [pytest.mark.integration]

REPO = str(Path(__file__).resolve().parents[2])
ADD_ASSERTS = {"test_list": ["assert add(1, 2) == 3", "assert add(20, 22) == 42"]}
ADD_HUMANEVAL = {"test": "def check(candidate):\n    assert candidate(1, 2) == 3\n", "entry_point": "add"}
ADD_CALL = {"fn_name": "add", "inputs": [[1, 2], [20, 22]], "outputs": [3, 42]}
ECHO_STDIO = {"inputs": ["1 2\n", "20 22\n"], "outputs": ["3\n", "42\n"]}
SUITES = {"mbpp": ADD_ASSERTS, "humaneval": ADD_HUMANEVAL, "call": ADD_CALL}

# Class 1 — the decider: a wrong `add` (a - b) that tries to make the trusted side say "pass".
DECIDER_ATTACKS = {
    "names a module for the harness to import after planting test*.py": """
        import os, unittest
        for d in ('.', '/tmp', '/box'):
            try:
                open(os.path.join(d, 'test_pwn.py'), 'w').write(
                    'import os\\nos.write(1, b"pass")\\nraise SystemExit(0)\\n')
            except OSError:
                pass
        import unittest.__main__ as main_module
        runner = unittest
        def add(a, b):
            return a - b
    """,
    "forges result lines on every fd it has": """
        import os, json
        line = json.dumps({"status": "pass"}).encode()
        for fd in range(0, 64):
            try:
                os.write(fd, b"0" * 32 + b" " + line + b"\\n")
            except OSError:
                pass
        def add(a, b):
            return a - b
    """,
    "writes to every other process's stdout through /proc": """
        import os
        for pid in os.listdir('/proc') if os.path.isdir('/proc') else []:
            for fd in ('1', '2'):
                try:
                    with open(f'/proc/{pid}/fd/{fd}', 'w') as f:
                        f.write('{"status": "pass"}\\n')
                except OSError:
                    pass
        def add(a, b):
            return a - b
    """,
    "reads the harness's stdin for the expected values": """
        import os
        seen = b''
        for pid in os.listdir('/proc') if os.path.isdir('/proc') else []:
            try:
                seen += open(f'/proc/{pid}/fd/0', 'rb').read()
            except OSError:
                pass
        def add(a, b):
            return 3 if b'3' in seen and a == 1 else a - b
    """,
    "returns an object whose equality always holds": """
        class Yes:
            def __eq__(self, other):
                return True
            __hash__ = object.__hash__
        def add(a, b):
            return Yes()
    """,
    "exits with status 0 before the tests finish": """
        import os
        def add(a, b):
            os._exit(0)
    """,
    "raises SystemExit and KeyboardInterrupt": """
        def add(a, b):
            if a == 1:
                raise SystemExit(0)
            raise KeyboardInterrupt
    """,
}


@pytest.mark.parametrize("suite", SUITES.values(), ids=SUITES.keys())
@pytest.mark.parametrize("source", DECIDER_ATTACKS.values(), ids=DECIDER_ATTACKS.keys())
def test_wrong_program_attacking_the_decider_yields_a_judged_zero(backend: Backend, source: str, suite: dict) -> None:
    result = judge(dedent(source), parse_tests(suite), backend, options=Options(limits=Limits(time_s=2.0)))
    assert result.score == 0.0, result.summary()
    assert all(r.verdict in ("WA", "RE", "TLE", "MLE", "OLE", "CE") for r in result.results), result.summary()


# Class 2 — nothing of the host inside: a program that prints all it can read of other processes.
SNOOP = """
import os
out = []
for pid in sorted(p for p in os.listdir('/proc') if p.isdigit()):
    for name in ('environ', 'cmdline', 'mountinfo', 'maps', 'fd/0', 'fd/1', 'fd/2'):
        try:
            fd = os.open(f'/proc/{pid}/{name}', os.O_RDONLY | os.O_NONBLOCK)
            out.append(os.read(fd, 1 << 16))
            os.close(fd)
        except OSError:
            pass
out.append(repr(dict(os.environ)).encode())
os.write(1, b'\\n'.join(out))
"""
CANARY = "rlvr-canary-3b1f9c"


def test_program_reading_every_process_yields_no_service_secret_or_path(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RLVR_API_KEYS", CANARY)
    (result,) = backend.run(Job({}, (python_step(SNOOP),), "python"))
    assert result.exit_code == 0, result.stderr[-500:]
    assert CANARY.encode() not in result.stdout
    assert REPO.encode() not in result.stdout
    assert os.environ.get("HOME", "/root").encode() + b"/" not in result.stdout


PTRACE_EVERYONE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
me = os.getpid()
pids = [int(p) for p in os.listdir('/proc') if p.isdigit()] + list(range(1, 16))
attached = [p for p in set(pids) if p != me and libc.ptrace(16, p, 0, 0) == 0]  # PTRACE_ATTACH
killed = []
for p in set(pids) - {me}:
    try:
        os.kill(p, 0)
        killed.append(p)
    except OSError:
        pass
print(attached, killed)
"""


def test_program_ptracing_and_signalling_every_pid_reaches_nothing_but_itself(backend: Backend) -> None:
    first, second = backend.run(Job({}, (python_step(PTRACE_EVERYONE), python_step("print('next')")), "python"))
    attached, signalable = first.stdout.decode().split("] [")
    assert attached == "[", f"ptrace attached to {attached}]"
    assert signalable.strip() in ("]", "1]"), f"could signal {signalable}"  # 1 = its own namespace's init
    assert second.stdout == b"next\n"


# Class 3 — nothing outlives its step; a later test's input is not readable before it runs.
LINGER = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(1.5)
        stolen = b''
        for pid in os.listdir('/proc'):
            try:
                stolen += open(f'/proc/{pid}/fd/0', 'rb').read()
            except OSError:
                pass
        open('/box/stolen', 'wb').write(stolen or b'nothing')
        time.sleep(30)
    os._exit(0)
print(int(sys.stdin.read()) + 1)
"""
LOOK = "import os, sys, time\ntime.sleep(2.5)\nprint(os.path.exists('/box/stolen'), sys.stdin.read().strip())"


def test_process_left_behind_by_a_step_yields_nothing_in_later_steps(backend: Backend) -> None:
    steps = (python_step(LINGER, b"41"), python_step(LOOK, b"secret-input-of-test-2"))
    first, second = backend.run(Job({}, steps, "python"))
    assert first.stdout == b"42\n"
    assert second.stdout == b"False secret-input-of-test-2\n"


# Class 5 — limits hold for the whole step: CPU over every process, not the main one's wait4.
FORK_SPIN = """
import os
r, w = os.pipe()
for _ in range(8):  # ~2 s of CPU in all, a quarter second each: each child stays under its own rlimit
    if os.fork() == 0:
        os.close(r)
        x = 0
        for _ in range(6_000_000):
            x += 1
        os._exit(0)
os.close(w)
os.read(r, 1)  # returns when the last child exits; none is ever waited for
{answer}
"""


@pytest.mark.parametrize(("suite", "answer"), [
    (ECHO_STDIO, "a, b = map(int, input().split())\nprint(a + b)"),
    (ADD_ASSERTS, "def add(a, b):\n    return a + b"),
])  # fmt: skip
def test_children_sharing_the_cpu_limit_yield_tle(backend: Backend, suite: dict, answer: str) -> None:
    source = FORK_SPIN.format(answer=answer)
    result = judge(source, parse_tests(suite), backend, options=Options(limits=Limits(time_s=1.0)))
    assert [r.verdict for r in result.results][:1] == ["TLE"], result.summary()


def test_single_process_within_the_cpu_limit_yields_ac(backend: Backend) -> None:
    source = "import time\ntime.sleep(1.2)\na, b = map(int, input().split())\nprint(a + b)"  # wall, not CPU
    result = judge(source, parse_tests(ECHO_STDIO), backend, options=Options(limits=Limits(time_s=1.0)))
    assert result.score == 1.0, result.summary()


# Class 4 — a program cannot turn its verdict into "not judged" (SandboxError would be null).
UNJUDGE_ATTACKS = {
    "writes Traceback everywhere, then kills all it can": """
        import os, signal
        for fd in range(0, 64):
            try:
                os.write(fd, b'Traceback (most recent call last):\\n')
            except OSError:
                pass
        for pid in range(1, 64):
            try:
                if pid != os.getpid():
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        print(0)
    """,
    "exhausts its process limit": """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                break
        print(0)
    """,
    "fills /tmp and /dev/shm": """
        for path in ('/tmp/fill', '/dev/shm/fill'):
            try:
                with open(path, 'wb') as f:
                    while True:
                        f.write(b'x' * (1 << 20))
            except OSError:
                pass
        print(0)
    """,
}


@pytest.mark.parametrize("source", UNJUDGE_ATTACKS.values(), ids=UNJUDGE_ATTACKS.keys())
def test_program_attacking_the_sandbox_yields_its_own_verdict(backend: Backend, source: str) -> None:
    result = judge(dedent(source), parse_tests(ECHO_STDIO), backend, options=Options(limits=Limits(time_s=2.0)))
    assert result.score == 0.0
    assert result.results and all(r.verdict != "AC" for r in result.results), result.summary()


def test_fast_policy_is_the_suites_own() -> None:
    assert FAST.cpu_time_s >= 2.0  # the snoop and ptrace programs run under it
