"""Boundary solution (peer) → judge harness run without an init; program → the kernel's keyrings (local backend).

An attacker who has read sandbox/_runner.py (Solo, run_step, serve_step) and
sandbox/seccomp.py: the harness and the peer are each PID 1 of namespaces of their own,
cloned straight from the runner (the peer made ahead of its step), their CPU the rusage the
runner reaps. The solution looks for the harness, burns CPU where no one counts it or past
its limit, ends itself, hangs, or holds every pid the job may have, so that the step says
pass, or says nothing (null: only trusted code may cause that). A program or peer calls the
keyring syscalls by every ABI the machine runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from textwrap import dedent

import pytest

from sandbox.backend import Job
from sandbox.judge import Limits, Options, judge, parse_tests
from sandbox.local import LocalBackend
from sandbox.policy import Policy
from tests.attacks.test_program import ADD_ASSERTS, ADD_HUMANEVAL
from tests.sandbox.conftest import python_step, skip_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

SUITES = {"mbpp": ADD_ASSERTS, "humaneval": ADD_HUMANEVAL}
JUDGED_ZERO = ("WA", "RE", "TLE", "MLE", "OLE", "CE")
POLICY = Policy(wall_time_s=10.0, cpu_time_s=5.0, memory_mb=256, max_processes=32)
RELAY = "import os, sys\nsys.stdout.write(os.read(4, 1 << 16).decode())"  # the harness side: says what the peer said


@pytest.fixture(scope="module", params=[True, False], ids=["job host", "own sandbox"])
def local(request: pytest.FixtureRequest) -> Iterator[LocalBackend]:
    backend = LocalBackend(spares=0, hosts=request.param)
    try:
        list(backend.run(Job({}, (python_step("pass"),))))
    except Exception as exc:
        skip_or_fail(f"local backend unavailable: {exc}")
    yield backend
    backend.close()


# --- CPU the kernel does not give back to the reaper: children of a process ignoring SIGCHLD are reaped by
# the kernel itself, and their CPU is in no one's RUSAGE_CHILDREN (Linux >= 2.6.9), the init's nor the runner's.
BURN = """
import os, signal, time
def _burn(seconds):
    t = time.process_time()
    while time.process_time() - t < seconds:
        pass
def _hidden(children, seconds):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps them: their rusage is dropped
    r, w = os.pipe()
    for _ in range(children):
        if os.fork() == 0:
            os.close(r)
            _burn(seconds)
            os._exit(0)
    os.close(w)
    os.read(r, 1)  # EOF once every child has exited
    os.close(r)
"""
HIDDEN_BURN = {  # each child stays under the per-process RLIMIT_CPU; together they are far over the step's limit
    "stdio program": (BURN + "_hidden(3, 0.8)\nprint('done')", False),
    "peer": (BURN + "_hidden(3, 0.8)\nos.write(1, b'done\\n')", True),
}


@pytest.mark.parametrize(("source", "peer"), HIDDEN_BURN.values(), ids=HIDDEN_BURN.keys())
def test_cpu_burned_in_kernel_reaped_children_yields_it_counted(local: LocalBackend, source: str, peer: bool) -> None:
    step = python_step(source, policy=POLICY)
    if peer:
        step = replace(python_step(RELAY, policy=POLICY), peer=step.argv)
    (result,) = local.run(Job({}, (step,)))
    assert result.stdout == b"done\n", result.stderr
    assert result.cpu_time_s is not None and result.cpu_time_s >= 2.0, result


HIDDEN_TLE = BURN + "def add(a, b):\n    _hidden(2, 1.6)\n    return a + b\n"  # 3.2 s of CPU, a 2 s limit


@pytest.mark.parametrize("suite", SUITES.values(), ids=SUITES.keys())
def test_solution_burning_cpu_in_kernel_reaped_children_yields_tle(local: LocalBackend, suite: dict) -> None:
    result = judge(HIDDEN_TLE, parse_tests(suite), local, options=Options(limits=Limits(time_s=2.0)))
    assert result.results and result.results[0].verdict == "TLE", result.summary()


# --- a solution spinning past its CPU limit, SIGXCPU ignored or not: the peer, PID 1 of its namespace, ignores
# a signal it has no handler for, the soft limit's SIGXCPU too; it is stopped at the limit all the same, not later
SPIN = {
    "spins": "def add(a, b):\n    while True:\n        pass\n",
    "ignores SIGXCPU and spins": (
        "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\ndef add(a, b):\n    while True:\n        pass\n"
    ),
}


@pytest.mark.parametrize("suite", SUITES.values(), ids=SUITES.keys())
@pytest.mark.parametrize("source", SPIN.values(), ids=SPIN.keys())
def test_solution_spinning_past_its_cpu_limit_yields_tle_at_the_limit(
    local: LocalBackend, source: str, suite: dict
) -> None:
    result = judge(source, parse_tests(suite), local, options=Options(limits=Limits(time_s=1.0)))
    first = result.results[0]
    assert first.verdict == "TLE", result.summary()
    assert first.cpu_time_s is not None and first.cpu_time_s < 1.5, first.cpu_time_s


# --- a peer choosing its own verdict class (second outside round on the peer as PID 1): it makes itself
# dumpable and its child ptraces it and injects SIGKILL, which the runner did not send; and a peer whose
# namespace copies (100,000 bind mounts each) hold the kernel's mount lock past the host's patience
PTRACE_KILL = """
import ctypes, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
def add(a, b):
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
    if os.fork() == 0:
        if libc.ptrace(16, 1, 0, 0) == 0:  # PTRACE_ATTACH to the peer, PID 1
            os.waitpid(1, 0)
            libc.ptrace(7, 1, 0, signal.SIGKILL)  # PTRACE_CONT, injecting SIGKILL
        os._exit(0)
    time.sleep(5)
    return a - b
"""
MOUNT_FLOOD = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def add(a, b):
    if libc.unshare(0x10000000 | 0x20000) != 0:  # CLONE_NEWUSER | CLONE_NEWNS
        raise ValueError(("unshare", ctypes.get_errno()))
    libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)
    for _ in range(16):  # 2^16 bind mounts
        libc.mount(b"/tmp", b"/tmp", None, 4096 | 16384, None)  # MS_BIND | MS_REC
    for _ in range(30):
        if os.fork() == 0:
            libc.unshare(0x20000)
            os._exit(0)
    return a - b
"""
SELF_CHOSEN = {"injects SIGKILL by ptrace": PTRACE_KILL, "floods mount namespaces": MOUNT_FLOOD}


@pytest.mark.parametrize("source", SELF_CHOSEN.values(), ids=SELF_CHOSEN.keys())
def test_wrong_solution_choosing_its_verdict_class_yields_re(local: LocalBackend, source: str) -> None:
    result = judge(dedent(source), parse_tests(ADD_ASSERTS), local, options=Options(limits=Limits(time_s=1.0)))
    assert [r.verdict for r in result.results] == ["RE"] * len(result.results), result.summary()


# --- a peer leaving TIME_WAIT sockets on loopback ports that say what its test passed it, for the next step's
# peer to find by bind() (second outside round): each peer has a network namespace of its own
TIME_WAIT = """
import errno, socket
BASE = 47000
def _mark(port):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server's side closes first: its port stays in TIME_WAIT
    client.close()
    server.close()
def _seen():
    found = []
    for port in range(BASE, BASE + 64):
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                found.append(port - BASE)
        finally:
            probe.close()
    return found
def add(a, b):
    if _seen():
        return 0
    _mark(BASE + a)
    return a + b
"""


def test_peer_leaving_sockets_on_loopback_yields_nothing_for_the_next_step(local: LocalBackend) -> None:
    suite = {"test_list": ["assert add(1, 2) == 3", "assert add(20, 22) == 42", "assert add(5, 5) == 10"]}
    result = judge(dedent(TIME_WAIT), parse_tests(suite), local)
    assert result.score == 1.0, result.summary()


# --- the job's first step's peer has the runner's network namespace (new with the job; ~0.6 ms of CPU a HumanEval
# problem saved): whatever comes after it, a peer or a plain step, on a runner made for either kind of job, has a
# namespace of its own and finds none of its sockets
SOCKETS = "import os" + TIME_WAIT.split("def add")[0]
MARKS = SOCKETS + "for n in range(3):\n    _mark(BASE + n)\nos.write(1, b'marked')\n"
SEES = SOCKETS + "os.write(1, repr(_seen()).encode())\n"
LATER = {"a peer": True, "a plain step": False}
RUNNER_KIND = {"runner made for a plain job": (), "runner made for a harness job": python_step("pass").argv}


@pytest.mark.parametrize("made_for", RUNNER_KIND.values(), ids=RUNNER_KIND.keys())
@pytest.mark.parametrize("peer", LATER.values(), ids=LATER.keys())
def test_first_peer_leaving_sockets_yields_nothing_for_a_later_step(
    local: LocalBackend, peer: bool, made_for: tuple[str, ...]
) -> None:
    list(local.run(Job({}, (replace(python_step("pass", policy=POLICY), peer=made_for),))))  # the next runner's kind
    marker = replace(python_step(RELAY, policy=POLICY), peer=python_step(MARKS, policy=POLICY).argv)
    probe = python_step(SEES, policy=POLICY)
    if peer:
        probe = replace(python_step(RELAY, policy=POLICY), peer=probe.argv)
    first, later = local.run(Job({}, (marker, probe)))
    assert first.stdout == b"marked", first.stderr
    assert later.stdout == b"[]", later.stderr


# --- a wrong solution that ends, hangs, floods or holds what the next harness clone needs: judged, never null
ENDING = {
    "kills itself": "import os, signal\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    "kills its own space's init and everything": (
        "import os, signal\ndef add(a, b):\n    os.kill(-1, signal.SIGKILL)\n    os.kill(1, signal.SIGKILL)\n"
        "    return a - b\n"
    ),
    "sleeps past the deadline": "import time\ndef add(a, b):\n    time.sleep(60)\n",
    "leaves a detached grandchild holding the pipes": (
        "import os, time\ndef add(a, b):\n    if os.fork() == 0:\n        os.setsid()\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n        os._exit(0)\n    os._exit(0)\n"
    ),
    "holds every pid the job may have while loading": (
        "import os, time\nfor _ in range(200):\n    try:\n        if os.fork() == 0:\n            time.sleep(60)\n"
        "            os._exit(0)\n    except OSError:\n        break\ndef add(a, b):\n    return a - b\n"
    ),
    "holds every pid in orphans, then answers wrong": (
        "import os, time\ndef add(a, b):\n    for _ in range(200):\n        try:\n            if os.fork() == 0:\n"
        "                os.setsid()\n                time.sleep(60)\n                os._exit(0)\n"
        "        except OSError:\n            break\n    return a - b\n"
    ),
    "fills its private tmpfs and memory": (
        "import os\nfor d in ('/tmp', '/dev/shm', '/box'):\n    try:\n"
        "        with open(d + '/fill', 'wb') as f:\n            f.write(b'x' * (200 << 20))\n"
        "    except OSError:\n        pass\ndef add(a, b):\n    return a - b\n"
    ),
    "floods the reply pipe without a newline": (
        "import os\ndef add(a, b):\n    while True:\n        os.write(4, b'x' * 65536)\n"
    ),
}


@pytest.mark.parametrize("suite", SUITES.values(), ids=SUITES.keys())
@pytest.mark.parametrize("source", ENDING.values(), ids=ENDING.keys())
def test_wrong_solution_ending_or_holding_the_step_yields_a_judged_zero(
    local: LocalBackend, source: str, suite: dict
) -> None:
    result = judge(dedent(source), parse_tests(suite), local, options=Options(limits=Limits(time_s=1.0)))
    assert result.score == 0.0, result.summary()
    assert result.results and all(r.verdict in JUDGED_ZERO for r in result.results), result.summary()
    honest = judge("def add(a, b):\n    return a + b\n", parse_tests(suite), local)
    assert honest.score == 1.0, honest.summary()


# --- the peer looking for the harness: each is PID 1 of its own namespace, no init between it and the runner
LOOK = """
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
alive = []
for pid in range(1, 1 << 15):
    try:
        os.kill(pid, 0)
        alive.append(pid)
    except OSError:
        pass
traced = any(libc.ptrace(16, pid, 0, 0) == 0 for pid in (1, 2, 3))  # PTRACE_ATTACH
fd = -1
try:
    fd = os.pidfd_open(2)
except OSError:
    pass
os.write(1, repr((alive == [os.getpid()] == [1] and fd == -1, os.listdir('/proc'), traced)).encode() + b'\\n')
"""


def test_peer_looking_for_the_harness_yields_nothing_but_its_own_space(local: LocalBackend) -> None:
    step = replace(python_step(RELAY, policy=POLICY), peer=python_step(LOOK, policy=POLICY).argv)
    (result,) = local.run(Job({}, (step,)))
    assert result.stdout == b"(True, [], False)\n", result.stderr


# --- keyring syscalls by every ABI: native, x32 (0x40000000 + 248..250), i386 by int 0x80 (286..288)
KEYS = r"""
import ctypes, mmap, os, platform, struct
libc = ctypes.CDLL(None, use_errno=True)
ENOSYS = 38
def native(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *map(ctypes.c_long, args))
    return r if r >= 0 else -ctypes.get_errno()
def int80(nr, a, b, c):  # in a child: without ia32 emulation int 0x80 is a SIGSEGV
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = (b'\x53\xb8' + struct.pack('<I', nr) + b'\xbb' + struct.pack('<i', a) + b'\xb9' + struct.pack('<i', b)
                + b'\xba' + struct.pack('<i', c) + b'\xcd\x80\x5b\xc3')
        m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        m.write(code)
        f = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))
        os.write(w, str(f()).encode())
        os._exit(0)
    os.close(w)
    out = os.read(r, 64)
    os.waitpid(pid, 0)
    return int(out) if out else -ENOSYS  # no such ABI here: refused as surely
calls = {}
if platform.machine() == 'x86_64':
    for name, nr in (('add_key', 248), ('request_key', 249), ('keyctl', 250)):
        calls[name] = native(nr, 0, -3, 1, 0, 0) if name == 'keyctl' else native(nr, 0, 0, 0, 0, -3)
        calls['x32 ' + name] = native(0x40000000 | nr, *((0, -3, 1, 0, 0) if name == 'keyctl' else (0, 0, 0, 0, -3)))
    for name, nr in (('i386 add_key', 286), ('i386 request_key', 287), ('i386 keyctl', 288)):
        calls[name] = int80(nr, 0, -3, 1) if 'keyctl' in name else int80(nr, 0, 0, 0)
print(sorted(k for k, v in calls.items() if v != -ENOSYS), len(calls), flush=True)
"""


@pytest.mark.parametrize("side", ["program", "peer"])
def test_keyring_calls_by_every_abi_yield_enosys(local: LocalBackend, side: str) -> None:
    if side == "program":
        step = python_step(KEYS, policy=POLICY)
    else:
        peer_source = KEYS.replace("print(sorted", "os.write(1, (repr(sorted").replace(
            ", len(calls), flush=True)", ") + ' ' + str(len(calls)) + '\\n').encode())"
        )
        step = replace(python_step(RELAY, policy=POLICY), peer=python_step(peer_source, policy=POLICY).argv)
    (result,) = local.run(Job({}, (step,)))
    assert result.stdout in (b"[] 9\n", b"[] 0\n"), (result.stdout, result.stderr)


# --- a peer leaving processes behind for the next step's peer (made ahead while the job runs)
LEAVE = """
import os, signal, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
for detach in (False, True):
    if os.fork() == 0:
        if detach:
            os.setsid()
            if os.fork():
                os._exit(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)
        os._exit(0)
os.write(1, b'left\\n')
"""


def test_peer_leaving_processes_in_its_space_yields_none_in_the_next_step(local: LocalBackend) -> None:
    left, look = (
        replace(python_step(RELAY, policy=POLICY), peer=python_step(source, policy=POLICY).argv)
        for source in (LEAVE, LOOK)
    )
    first, second = local.run(Job({}, (left, look)))
    assert first.stdout == b"left\n", first.stderr
    assert second.stdout == b"(True, [], False)\n", second.stderr
