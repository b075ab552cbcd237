"""What only the local (bubblewrap) backend promises: infrastructure errors, teardown, degraded mode."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, replace
from pathlib import Path

import pytest

from sandbox import bwrap
from sandbox.backend import Job, Step
from sandbox.cgroups import JobCgroup, Leftover
from sandbox.errors import SandboxError
from sandbox.languages import resolve
from sandbox.local import LocalBackend
from sandbox.policy import Policy
from tests.sandbox.conftest import FAST, busy_cgroups, own_cgroups, python_step, run_python, skip_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]


@pytest.fixture(scope="module")
def local() -> LocalBackend:
    try:
        backend = LocalBackend()
        list(backend.run(Job({}, (Step(("/bin/true",)),))))
    except SandboxError as exc:
        skip_or_fail(f"local backend unavailable: {type(exc).__name__}: {exc}")
        raise
    return backend


@pytest.fixture(scope="module", params=[False, True], ids=["own sandbox", "job host"])
def cold(request: pytest.FixtureRequest) -> LocalBackend:
    """A backend that runs every job in a sandbox started when the job comes, or in a job host (never a spare)."""
    return LocalBackend(spares=0, hosts=request.param)


def _procs_with(marker: str) -> list[tuple[int, int]]:
    """(pid, real uid) of host processes whose command line or name (comm) holds ``marker``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker.encode() in (proc / "cmdline").read_bytes() + (proc / "comm").read_bytes():
                status = (proc / "status").read_text()
                uid = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("Uid:"))
                found.append((int(proc.name), uid))
        except (OSError, StopIteration):
            continue
    return found


@pytest.mark.parametrize("spares", [0, 1], ids=["cold", "with spares"])
def test_bwrap_refusing_to_start_yields_sandbox_error(spares: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bwrap, "_system_binds", lambda: ("--ro-bind", "/rlvr-no-such-dir", "/usr"))
    backend = LocalBackend(spares=spares)
    try:
        for _ in range(2):  # the second job finds no spare either: none could start
            with pytest.raises(SandboxError, match="bwrap failed"):
                run_python(backend, "print(1)")
    finally:
        backend.close()


# (how a job host fails, what the backend says): every job then runs in a sandbox of its own
HOST_FAILURES = [
    ("its jobs' mounts", 'mount_tmpfs("/box", tmp_bytes, 0o755)', "raise OSError(1, 'no mounts here')"),
    ("its jobs' namespaces", "last = clone(JOB_NAMESPACES)", "raise OSError(1, 'no namespaces here')"),
]


@pytest.mark.parametrize(("code", "failure"), [f[1:] for f in HOST_FAILURES], ids=[f[0] for f in HOST_FAILURES])
def test_job_host_that_cannot_make_jobs_yields_jobs_in_sandboxes_of_their_own(
    code: str, failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert code in bwrap._RUNNER_SOURCE
    monkeypatch.setattr(bwrap, "_RUNNER_SOURCE", bwrap._RUNNER_SOURCE.replace(code, failure))
    backend = LocalBackend(spares=0)
    try:
        outputs = [run_python(backend, f"print({n})").stdout for n in range(3)]
    finally:
        backend.close()
    assert outputs == [b"0\n", b"1\n", b"2\n"]
    assert backend.hosts.problem is not None and failure.split("'")[1] in backend.hosts.problem
    assert backend.hosts.started == 1


def test_missing_toolchain_binary_yields_sandbox_error(local: LocalBackend) -> None:
    with pytest.raises(SandboxError, match="cannot execute /usr/bin/rlvr-no-such-compiler"):
        list(local.run(Job({}, (Step(("/usr/bin/rlvr-no-such-compiler",)),))))


def test_missing_program_in_work_dir_yields_exit_127(local: LocalBackend) -> None:
    (result,) = local.run(Job({}, (Step(("./main",)),)))
    assert (result.exit_code, result.limit) == (127, None)
    assert b"No such file" in result.stderr


# (how the step is started, its argv before the source): a python -I -S -B -c step is a fork of the
# space's init (sandbox/_runner.py fork_python), any other command is spawned
STARTS = [("forked", ("-I", "-S", "-B", "-c")), ("spawned", ("-I", "-S", "-c"))]


@pytest.mark.parametrize("flags", [s[1] for s in STARTS], ids=[s[0] for s in STARTS])
def test_program_runs_as_uid_1000_inside_and_non_root_on_the_host(local: LocalBackend, flags: tuple[str, ...]) -> None:
    marker = f"rlvr{uuid.uuid4().hex[:11]}"  # fits a process name (comm: 15 characters)
    name = f"import ctypes, os, time\nctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\n"  # PR_SET_NAME
    source = name + "print(os.getuid(), os.getgid())\n"
    python = resolve("python").run_argv(FAST)[0]
    job = Job({}, (Step((python, *flags, source + "time.sleep(1.5)"), policy=FAST),))
    with ThreadPoolExecutor(1) as pool:
        results = pool.submit(lambda: list(local.run(job)))
        deadline = time.monotonic() + 10
        while not (seen := _procs_with(marker)) and time.monotonic() < deadline:
            time.sleep(0.05)
        (result,) = results.result()
    assert result.stdout == b"1000 1000\n"
    assert seen and all(uid != 0 for _, uid in seen)


def test_closing_the_iterator_early_yields_no_leftover_process_or_cgroup(cold: LocalBackend) -> None:
    local = cold  # spares would add cgroups of their own meanwhile
    marker = f"rlvr{uuid.uuid4().hex[:11]}"  # the daemon's name (comm): its command line is its init's
    name = f"import ctypes, os, time\nctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\n"  # PR_SET_NAME
    daemon = name + "if os.fork() == 0:\n    os.setsid(); time.sleep(60)\nprint('started')"
    steps = (python_step(daemon), python_step("print('second')"), python_step("print('third')"))
    earlier = own_cgroups()  # other backends' jobs, possibly still draining
    results = local.run(Job({}, steps))
    first = next(results)
    assert first.stdout == b"started\n"
    results.close()
    assert _procs_with(marker) == []
    made = local.hosts.made_ahead(wait_s=10)  # a host's next runner, made ahead in a cgroup of its own
    draining = own_cgroups() - earlier - {d for m in made if m.cgroup for d in astuple(m.cgroup) if d}
    deadline = time.monotonic() + 10  # killed processes may still be exiting
    while draining & busy_cgroups() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not draining & busy_cgroups()  # emptied: kept for a later job, or removed
    (later,) = local.run(Job({}, (python_step("print('next')"),)))
    assert later.stdout == b"next\n"


@pytest.mark.parametrize(
    "killer",
    [
        "import os, signal\nos.kill(-1, signal.SIGKILL)",
        "import os, signal\nfor p in range(1, 64):\n    try: os.kill(p, signal.SIGKILL)\n    except OSError: pass",
        "import os, signal\nfor p in range(1, 64):\n    try: os.kill(p, signal.SIGSTOP)\n    except OSError: pass",
    ],
)
def test_program_signalling_every_pid_yields_its_own_fate_and_later_steps_run(local: LocalBackend, killer: str) -> None:
    # the runner and the step's init are out of reach: the step ends as the program does, the job goes on
    first, second = local.run(Job({}, (python_step(killer), python_step("print('next')"))))
    assert not any("runner" in n for n in first.notes)
    assert second.stdout == b"next\n"


@pytest.mark.parametrize(
    ("source", "policy", "limit"),
    [
        ("import os\nwhile True: os.fork()", replace(FAST, max_processes=8), "processes"),
        ("a = []\nwhile True: a.append(b'x' * (1 << 20))", replace(FAST, memory_mb=96), "memory"),
    ],
)
def test_without_cgroups_rlimits_still_yield_the_limit(
    local: LocalBackend, source: str, policy: Policy, limit: str
) -> None:
    degraded = LocalBackend(use_cgroups=False)
    result = run_python(degraded, source, policy=policy)
    assert result.limit == limit
    assert any("rlimits only" in n or "cgroups disabled" in n for n in result.notes)


# Spares: sandboxes started ahead of demand (sandbox/spares.py), each lent to one job only.
LIST_WORK_DIR = (
    "import os\n"
    "for root, dirs, files in sorted(os.walk('.')):\n"
    "    for f in sorted(files):\n"
    "        p = os.path.join(root, f)\n"
    "        print(p, open(p).read(), oct(os.stat(p).st_mode & 0o777))\n"
)
FILE_SETS = {
    "none": {},
    "one": {"main.py": b"x"},
    "nested": {"pkg/sub/mod.py": b"m", "pkg/init.txt": b"i", "top": b"t"},
    "more than one message": {f"f{n:02}": str(n).encode() for n in range(19)},
}


@pytest.mark.parametrize("hosts", [False, True], ids=["spares", "job hosts"])
@pytest.mark.parametrize("files", FILE_SETS.values(), ids=FILE_SETS.keys())
def test_job_on_a_spare_sandbox_or_host_sees_exactly_its_files(files: dict[str, bytes], hosts: bool) -> None:
    backend = LocalBackend(spares=1, hosts=hosts)
    try:
        seen = []
        for _ in range(3):  # the first job starts its own; later ones find a spare (or start their own)
            (result,) = backend.run(Job(files, (python_step(LIST_WORK_DIR),)))
            seen.append(result.stdout.decode())
            time.sleep(0.3)  # time for a spare to be started
    finally:
        backend.close()
    expected = "".join(f"./{name} {data.decode()} 0o644\n" for name, data in sorted(files.items(), key=_walk_order))
    assert seen == [expected] * 3


def _walk_order(item: tuple[str, bytes]) -> tuple[str, str]:
    directory, _, name = item[0].rpartition("/")
    return ("." + ("/" + directory if directory else ""), name)


LEAVE_BEHIND = (
    "import os, subprocess\n"
    "for d in ('/tmp', '/box', '/dev/shm'):\n"
    "    open(f'{d}/left-behind', 'w').write('x')\n"
    "subprocess.Popen(['sleep', '60'], start_new_session=True)\n"
    "print(os.getpid())\n"
)
LOOK_AROUND = (
    "import os\n"
    "print(sorted(os.listdir('/tmp') + os.listdir('/box') + os.listdir('/dev/shm')),\n"
    "      sorted(p for p in os.listdir('/proc') if p.isdigit() and open(f'/proc/{p}/comm').read() == 'sleep\\n'))\n"
)


@pytest.mark.parametrize("peer", [False, True], ids=["plain", "harness kind"])
def test_spare_sandboxes_share_nothing_between_jobs(peer: bool) -> None:
    # a harness-kind job (a step with a peer) takes a harness-kind spare: the same promise
    # (job hosts: tests/attacks/test_job_hosts.py)
    backend = LocalBackend(spares=2, hosts=False)
    idle = ("/usr/bin/python3", "-I", "-S", "-B", "-c", "import sys; sys.stdin.read()")
    extra = {"peer": idle} if peer else {}
    try:
        looks = []
        for _ in range(4):
            first = Step(python_step(LEAVE_BEHIND).argv, policy=FAST, **extra)
            second = Step(python_step(LOOK_AROUND).argv, policy=FAST, **extra)
            (left,) = backend.run(Job({}, (first,)))
            assert left.exit_code == 0, left.stderr
            (look,) = backend.run(Job({}, (second,)))
            looks.append(look.stdout)
            time.sleep(0.3)
    finally:
        backend.close()
    assert looks == [b"[] []\n"] * 4


CLOSE_SCRIPT = """
import os, sys, time
from pathlib import Path
from sandbox.backend import Job, Step
from sandbox.cgroups import JobCgroup
from sandbox.cgroups import CGROUP_ROOT
from sandbox.local import LocalBackend

def bwraps():
    found = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found += fields[1] == str(os.getpid())  # our children: only the spares (or the idle host) are left
    return found

def cgroups():
    return sum(
        name.startswith(f"{os.getpid()}-")
        for top, subdirs, _ in os.walk(CGROUP_ROOT)  # passes over cgroups others remove meanwhile
        if os.path.basename(top) == "rlvr-sandbox"
        for name in subdirs
    )

hosts = sys.argv[1] == "hosts"
backend = LocalBackend(spares=2, hosts=hosts)
list(backend.run(Job({}, (Step(("/bin/true",)),))))
deadline = time.monotonic() + 20
while bwraps() < (1 if hosts else 2) and time.monotonic() < deadline:
    time.sleep(0.05)
ready = bwraps()
backend.close()
deadline = time.monotonic() + 10
while (bwraps() or cgroups()) and time.monotonic() < deadline:
    time.sleep(0.05)
print(ready, bwraps(), cgroups())
"""


# (what runs ahead of demand, how many bwrap sandboxes are left idle after one job)
AHEAD = [("spares", 2), ("hosts", 1)]


@pytest.mark.parametrize(("ahead", "idle"), AHEAD, ids=[a[0] for a in AHEAD])
def test_closing_a_backend_tears_down_its_spares_or_hosts_and_their_cgroups(ahead: str, idle: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLOSE_SCRIPT, ahead],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    ready, processes, cgroups = map(int, done.stdout.split())
    assert (ready, processes, cgroups) == (idle, 0, 0)


# what a finished job leaves in its cgroup (its program, whether its parent has reaped it, whether it has exited):
# the cgroup is used again only if nothing is left, waited for while a task is
LEFT_IN_CGROUP = {
    "nothing": ("pass", True, True, Leftover.NOTHING),
    "a process": ("import time; time.sleep(30)", False, False, Leftover.TASKS),  # one still exiting, say
    "an exited process not yet reaped": ("pass", False, True, Leftover.TASKS),  # a runner whose parent is the job host
    "4 MiB on a tmpfs": ("open('/dev/shm/{name}', 'wb').write(b'x' * (4 << 20))", True, True, Leftover.MEMORY),
}


@pytest.mark.parametrize(("program", "reaped", "exited", "left"), LEFT_IN_CGROUP.values(), ids=LEFT_IN_CGROUP.keys())
def test_job_cgroup_leftover_yields_reuse_only_with_nothing_left(
    program: str, reaped: bool, exited: bool, left: Leftover
) -> None:
    try:
        cgroup = JobCgroup.create()
    except OSError as exc:
        skip_or_fail(f"cgroups unavailable: {exc}")
    name = f"rlvr-test-{uuid.uuid4().hex[:8]}"
    go = "import sys; sys.stdin.read(1)\n"  # it runs its program once in the cgroup
    child = subprocess.Popen([sys.executable, "-c", go + program.format(name=name)], stdin=subprocess.PIPE)
    try:
        cgroup.attach([child.pid])
        cgroup.set_limits(64 << 20, 4)
        assert child.stdin is not None
        child.stdin.write(b"x")
        child.stdin.close()
        if exited:
            os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # it has exited, not yet reaped
        if reaped:
            child.wait()
        assert cgroup.leftover() is left
        if left is Leftover.NOTHING:
            assert (cgroup.pids / "pids.max").read_text() == "max\n"
            assert int((cgroup.memory / "memory.limit_in_bytes").read_text()) > 1 << 40
    finally:
        child.kill()
        child.wait()
        Path(f"/dev/shm/{name}").unlink(missing_ok=True)
        cgroup.close()
