"""Boundary job → job host → the next job (local backend): a host serves many jobs, each in fresh namespaces.

An attacker who has read sandbox/hosts.py and sandbox/_runner.py (serve_jobs, job_runner):
a submission that leaves files, SysV IPC objects, listening sockets, a renamed host and
detached processes behind, signals every pid it can name, or is cancelled mid-step, for
the next submission served by the same host to find; and a submission that looks for
another one running at the same time. The next job must find nothing, and run clean.
"""

from __future__ import annotations

import os
import select
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from sandbox.backend import Job, Step
from sandbox.errors import Cancelled
from sandbox.hosts import HostJob
from sandbox.judge import judge, parse_tests
from sandbox.local import LocalBackend
from tests.sandbox.conftest import FAST, python_step, skip_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

KEY = 0x5EED  # the SysV key both submissions use
PORT = 47011
LEAVE_BEHIND = f"""
import ctypes, os, signal, socket, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
for d in ('/tmp', '/box', '/dev/shm'):
    open(f'{{d}}/left-behind', 'w').write('x' * 4096)
libc.shmget({KEY}, 1 << 20, 0o1666)  # IPC_CREAT | 0666
libc.semget({KEY}, 1, 0o1666)
libc.msgget({KEY}, 0o1666)
libc.sethostname(b'planted', 7)
daemon = '''
import os, socket, time
tcp = socket.socket(); tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("127.0.0.1", {PORT})); tcp.listen()
unix = socket.socket(socket.AF_UNIX); unix.bind("\\\\0rlvr-planted"); unix.listen()
time.sleep(60)
'''
subprocess.Popen([sys.executable, '-c', daemon], start_new_session=True)
subprocess.Popen(['sleep', '61'], start_new_session=True)
for pid in range(2, 4096):  # everything it can name, but itself
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass
print('left')
"""
LOOK_AROUND = f"""
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
def refused(family, address):
    s = socket.socket(family)
    try:
        s.connect(address)
        return False
    except OSError:
        return True
    finally:
        s.close()
ipc = [len(open(f'/proc/sysvipc/{{n}}').read().splitlines()) - 1 for n in ('shm', 'sem', 'msg')]
print(sorted(os.listdir('/tmp') + os.listdir('/box') + os.listdir('/dev/shm')),
      ipc, libc.shmget({KEY}, 0, 0) == -1,
      refused(socket.AF_INET, ('127.0.0.1', {PORT})), refused(socket.AF_UNIX, '\\0rlvr-planted'),
      socket.gethostname(),
      sorted(open(f'/proc/{{p}}/comm').read().strip() for p in os.listdir('/proc') if p.isdigit()),
      os.statvfs('/dev/shm').f_bfree == os.statvfs('/dev/shm').f_blocks)
"""
# the runner (PID 1 of the job), its space's init (python3), and the program (python3)
CLEAN = "[] [0, 0, 0] True True True sandbox ['python3', 'python3', 'python3'] True\n"
EIGHT_PROCESSES = replace(FAST, max_processes=8)
IDLE = ("/usr/bin/python3", "-I", "-S", "-B", "-c", "import sys; sys.stdin.read()")


@pytest.fixture(scope="module")
def hosted() -> Iterator[LocalBackend]:
    backend = LocalBackend(spares=0)  # one host serves every job of the module
    if backend.hosts.problem is None:
        list(backend.run(Job({}, (Step(("/bin/true",)),))))
    if backend.hosts.problem is not None:
        skip_or_fail(f"job hosts unavailable: {backend.hosts.problem}")
    yield backend
    backend.close()


# where the submission's program runs: a plain job's space; the harness side of a step with a peer (a Solo: its own
# pid namespace); a harness job's step without a peer (a space, beside the peer and harness made ahead)
WHERE = {"plain job": "plain", "harness side": "harness", "harness job's plain step": "plain step"}
THEN_PEER = Step(IDLE, policy=FAST, peer=IDLE)  # after the looked-at step: makes its job a harness job


FIRST = {"host of a plain job": "plain", "host of a harness job": "harness"}


@pytest.fixture
def host_made_for(request: pytest.FixtureRequest) -> Iterator[LocalBackend]:
    """A backend of one host that has served a first job of the kind ``request.param`` names ("plain", "harness"):
    its host makes every later runner ahead of that kind."""
    backend = LocalBackend(spares=0)
    try:
        list(backend.run(_job("pass", request.param)))
        if backend.hosts.problem is not None:
            skip_or_fail(f"job hosts unavailable: {backend.hosts.problem}")
        yield backend
    finally:
        backend.close()


def _job(source: str, where: str) -> Job:
    step = Step(python_step(source).argv, policy=FAST, peer=IDLE if where == "harness" else ())
    return Job({}, (step, THEN_PEER) if where == "plain step" else (step,))


def _look(backend: LocalBackend, where: str) -> bytes:
    look, *_ = backend.run(_job(LOOK_AROUND, where))
    assert look.exit_code == 0, look.stderr
    return look.stdout


@pytest.mark.parametrize("where", WHERE.values(), ids=WHERE.keys())
def test_job_leaving_things_behind_in_its_host_yields_a_clean_next_job(hosted: LocalBackend, where: str) -> None:
    started = hosted.hosts.started
    looks = []
    for _ in range(3):
        left, *_ = hosted.run(_job(LEAVE_BEHIND, where))
        assert left.stdout == b"left\n", left.stderr
        looks.append(_look(hosted, where).decode())
    clean = {CLEAN.replace("'python3', 'python3', 'python3'", ", ".join(["'python3'"] * n)) for n in _counts(where)}
    assert set(looks) <= clean, looks
    assert hosted.hosts.started == started  # all six jobs were served by the host of the first


def _counts(where: str) -> set[int]:
    """How many processes the looking job's /proc may show: its runner, its space's init and itself; on the harness
    side (the job's last step, which its runner runs itself) itself and its peer, and the job's space's init, on its
    way out, if the runner was made for a plain job; for a plain step of a harness job also the peer made ahead, if
    the runner was made for a harness job."""
    return {"plain": {3}, "harness": {2, 3}, "plain step": {3, 4}}[where]


ECHO = """
import socket
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname())
client.sendall(b"echo")
print(server.accept()[0].recv(4).decode())
"""


@pytest.mark.parametrize("host_made_for", FIRST.values(), ids=FIRST.keys(), indirect=True)
@pytest.mark.parametrize("where", WHERE.values(), ids=WHERE.keys())
def test_program_talking_to_itself_over_loopback_yields_its_own_words(host_made_for: LocalBackend, where: str) -> None:
    for _ in range(2):  # a runner made ahead of the first job's kind, each time
        echo, *_ = host_made_for.run(_job(ECHO, where))
        assert echo.stdout == b"echo\n", echo.stderr
    assert host_made_for.hosts.started == 1


ALL_ITS_PROCESSES = """
import os, time
children = []
for _ in range(7):  # with itself, the 8 processes its policy allows, all alive at once
    pid = os.fork()
    if pid == 0:
        time.sleep(0.5)
        os._exit(0)
    children.append(pid)
print(sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 for pid in children))
"""


@pytest.mark.parametrize("host_made_for", FIRST.values(), ids=FIRST.keys(), indirect=True)
def test_program_using_all_the_processes_it_may_yields_them_all(host_made_for: LocalBackend) -> None:
    for _ in range(2):  # a runner made ahead for a harness job has made a peer and harness ahead
        (result,) = host_made_for.run(Job({}, (Step(python_step(ALL_ITS_PROCESSES).argv, policy=EIGHT_PROCESSES),)))
        assert (result.stdout, result.limit) == (b"7\n", None), result.stderr


# a dataset's test that uses the network on the harness side: a fixed loopback port, closed by the accepting side
# first (its port stays in TIME_WAIT), in the namespace the harness shares with its job's runner (outside round)
FIXED_PORT_TEST = """
import socket
s = socket.socket(); s.bind(("127.0.0.1", 47123)); s.listen()
c = socket.create_connection(("127.0.0.1", 47123)); a, _ = s.accept()
a.close(); c.close(); s.close()
assert add(1, 2) == 3
"""
RUNNER_SOCKETS = "print(open('/proc/1/net/tcp').read().splitlines()[1:])"  # PID 1: the job's runner
ADD = "def add(a, b):\n    return a + b\n"


@pytest.mark.parametrize("host_made_for", ["harness"], indirect=True)
def test_harness_test_leaving_time_wait_yields_nothing_for_the_next_submissions(host_made_for: LocalBackend) -> None:
    for _ in range(3):
        verdict = judge(ADD, parse_tests({"test_list": [FIXED_PORT_TEST]}), host_made_for)
        assert verdict.score == 1.0, verdict.summary()
        (look,) = host_made_for.run(Job({}, (Step(python_step(RUNNER_SOCKETS).argv, policy=FAST),)))
        assert look.stdout == b"[]\n", look.stdout  # no socket of the harness job before it
    assert host_made_for.hosts.started == 1


def test_job_cancelled_mid_step_yields_a_clean_next_job(hosted: LocalBackend) -> None:
    cancel = threading.Event()
    busy = python_step(LEAVE_BEHIND.replace("print('left')", "print('left', flush=True)\nwhile True: pass"))
    threading.Timer(1.0, cancel.set).start()
    with pytest.raises(Cancelled):
        list(hosted.run(Job({}, (busy,), cancel=cancel)))
    assert _look(hosted, False).decode() == CLEAN


def test_job_looking_for_another_running_at_the_same_time_finds_nothing(hosted: LocalBackend) -> None:
    marker = f"rlvr{uuid.uuid4().hex[:11]}"
    sleeper = python_step(f"import time\n# {marker}\ntime.sleep(2)\nprint('slept')")
    seeker = python_step(
        "import os, time\ntime.sleep(0.5)\n"
        f"marker = b'{marker[:6]}' + b'{marker[6:]}'\n"
        "print(sum(open(f'/proc/{p}/cmdline', 'rb').read().count(marker) for p in os.listdir('/proc')"
        " if p.isdigit()))"
    )
    with ThreadPoolExecutor(2) as pool:
        sleeping = pool.submit(lambda: list(hosted.run(Job({}, (sleeper,)))))
        time.sleep(0.2)
        (seen,) = hosted.run(Job({}, (seeker,)))
        (slept,) = sleeping.result()
    assert (seen.stdout, slept.stdout) == (b"0\n", b"slept\n")


CGROUP_OF = "print(open('/proc/self/cgroup').read())"


def made_ahead_runner(backend: LocalBackend) -> HostJob:
    """The next job's runner that the last job's host made ahead (waiting for it to be made)."""
    (made,) = backend.hosts.made_ahead(wait_s=10)
    assert made.cgroup is not None
    return made


BIG_FILES = replace(FAST, max_file_bytes=128 << 20)  # a job whose tmpfs are twice the smallest


@pytest.mark.parametrize("peer", [(), IDLE], ids=["plain job", "harness job"])
def test_next_job_yields_a_run_in_the_runner_and_cgroup_made_ahead(one_host: LocalBackend, peer: tuple) -> None:
    made = made_ahead_runner(one_host)  # for a plain job, as the last was: a harness job makes its peer's space itself
    (seen,) = one_host.run(Job({}, (Step(python_step(CGROUP_OF).argv, policy=FAST, peer=peer),)))
    assert made.cgroup is not None and f"/{made.cgroup.pids.name}\n" in seen.stdout.decode(), seen.stdout
    assert made.closed  # ended with its job


def _holds_tasks(pids_cgroup: Path) -> bool:
    """Whether a job's pids cgroup still counts a task (a process, or one not yet reaped); False once removed."""
    try:
        return int((pids_cgroup / "pids.current").read_text()) > 0
    except FileNotFoundError:
        return False


def test_runner_made_ahead_with_other_tmpfs_yields_no_process_or_cgroup_left(one_host: LocalBackend) -> None:
    made = made_ahead_runner(one_host)
    assert made.cgroup is not None
    procs = [os.pidfd_open(pid) for pid in made.cgroup.procs()]  # pidfds: a pid may be reused meanwhile
    assert procs  # its runner and its space's init wait in it
    (look,) = one_host.run(Job({}, (Step(python_step(CGROUP_OF).argv, policy=BIG_FILES),)))
    assert look.exit_code == 0 and made.cgroup.pids.name not in look.stdout.decode(), look.stdout
    deadline = time.monotonic() + 10  # its killed processes exit; a later job's clean-up takes the cgroup
    while _holds_tasks(made.cgroup.pids) and time.monotonic() < deadline:
        list(one_host.run(Job({}, (python_step("pass"),))))
        time.sleep(0.05)
    assert not _holds_tasks(made.cgroup.pids)  # removed, or emptied and kept for a later job (C5)
    assert all(select.select([fd], [], [], 5)[0] for fd in procs)  # a pidfd is readable once its process is gone
    for fd in procs:
        os.close(fd)
