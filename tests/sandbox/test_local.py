"""What only the local (bubblewrap) backend promises: infrastructure errors, teardown, degraded mode."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from sandbox import bwrap
from sandbox.backend import Job, Step
from sandbox.cgroups import CGROUP_ROOT
from sandbox.errors import SandboxError
from sandbox.languages import resolve
from sandbox.local import LocalBackend
from sandbox.policy import Policy
from tests.sandbox.conftest import FAST, python_step, run_python, skip_or_fail

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


def test_bwrap_refusing_to_start_yields_sandbox_error(local: LocalBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bwrap, "_system_binds", lambda: ("--ro-bind", "/rlvr-no-such-dir", "/usr"))
    with pytest.raises(SandboxError, match="bwrap failed"):
        run_python(local, "print(1)")


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


def test_closing_the_iterator_early_yields_no_leftover_process_or_cgroup(local: LocalBackend) -> None:
    marker = f"rlvr{uuid.uuid4().hex[:11]}"  # the daemon's name (comm): its command line is its init's
    name = f"import ctypes, os, time\nctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\n"  # PR_SET_NAME
    daemon = name + "if os.fork() == 0:\n    os.setsid(); time.sleep(60)\nprint('started')"
    steps = (python_step(daemon), python_step("print('second')"), python_step("print('third')"))
    earlier = _own_cgroups()  # other backends' jobs, possibly still draining
    results = local.run(Job({}, steps))
    first = next(results)
    assert first.stdout == b"started\n"
    results.close()
    assert _procs_with(marker) == []
    draining = _own_cgroups() - earlier  # killed processes may still be exiting: removed by the next job
    deadline = time.monotonic() + 10  # each later job removes the drained cgroups it finds empty
    while True:
        (later,) = local.run(Job({}, (python_step("print('next')"),)))
        assert later.stdout == b"next\n"
        if not draining & _own_cgroups() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not draining & _own_cgroups()


def _own_cgroups() -> set[Path]:
    return {p for p in CGROUP_ROOT.glob("*/**/rlvr-sandbox/*") if p.name.startswith(f"{os.getpid()}-")}


@pytest.mark.parametrize("killer", [
    "import os, signal\nos.kill(-1, signal.SIGKILL)",
    "import os, signal\nfor p in range(1, 64):\n    try: os.kill(p, signal.SIGKILL)\n    except OSError: pass",
    "import os, signal\nfor p in range(1, 64):\n    try: os.kill(p, signal.SIGSTOP)\n    except OSError: pass",
])
def test_program_signalling_every_pid_yields_its_own_fate_and_later_steps_run(local: LocalBackend,
                                                                              killer: str) -> None:
    # the runner and the step's init are out of reach: the step ends as the program does, the job goes on
    first, second = local.run(Job({}, (python_step(killer), python_step("print('next')"))))
    assert not any("runner" in n for n in first.notes)
    assert second.stdout == b"next\n"


@pytest.mark.parametrize(("source", "policy", "limit"), [
    ("import os\nwhile True: os.fork()", replace(FAST, max_processes=8), "processes"),
    ("a = []\nwhile True: a.append(b'x' * (1 << 20))", replace(FAST, memory_mb=96), "memory"),
])
def test_without_cgroups_rlimits_still_yield_the_limit(local: LocalBackend, source: str, policy: Policy,
                                                       limit: str) -> None:
    degraded = LocalBackend(use_cgroups=False)
    result = run_python(degraded, source, policy=policy)
    assert result.limit == limit
    assert any("rlimits only" in n or "cgroups disabled" in n for n in result.notes)
