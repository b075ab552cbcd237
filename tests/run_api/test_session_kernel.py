"""A session's live kernel on the local backend: what it keeps between cells, and what ends it.

Cells of a session run in one live interpreter (service/runs/live.py) while it lives; the
saved state is the fallback when it does not. Each case runs against a real server.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from grpo.tools import ToolClient
from tests.server import run_server

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """A local-backend server whose ceilings let a cell run past its limits quickly."""
    env = {"RLVR_WORKERS": "1", "RLVR_RUN_MAX_CONCURRENCY": "2", "RLVR_RUN_MAX_MEMORY_MB": "256"}
    with run_server(env=env) as base:
        yield base


def procs_named(name: str) -> list[int]:
    """Pids of the live processes on this host whose name (comm) is ``name`` (a zombie has ended: not counted)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            comm, state = (
                stat.read_text().rsplit(")", 1)[0].split("(", 1)[1],
                stat.read_text().rsplit(")", 1)[1].split()[0],
            )
        except (OSError, IndexError):
            continue
        if comm == name and state != "Z":
            found.append(int(stat.parent.name))
    return found


def gone(name: str, wait_s: float = 5.0) -> bool:
    """No live process named ``name`` within ``wait_s`` (a SIGKILL is delivered, not waited for)."""
    deadline = time.monotonic() + wait_s
    while procs_named(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    return procs_named(name) == []


def named(marker: str) -> str:
    """A cell line that gives its process the name ``marker`` (PR_SET_NAME)."""
    return f"import ctypes\nctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\n"


def test_unpicklable_values_yield_kept_while_the_kernel_lives(url: str) -> None:
    with ToolClient(url) as tools, tools.session() as py:
        assert py.exec("g = (i for i in range(5))\nf = lambda: 7\nnext(g)").result == "0"
        cell = py.exec("next(g), f()")
        assert (cell.status, cell.result) == ("ok", "(1, 7)")
        assert {"g", "f"} <= set(cell.not_kept)  # what a new kernel, from the saved state, would lack


# (cell, statuses it may end with): each ends the kernel, or is refused by it (memory without cgroups: MemoryError)
ENDINGS = {
    "os._exit": ("import os\nos._exit(3)", ("crashed",)),
    "SIGKILL to itself": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", ("crashed",)),
    "a CPU loop past its timeout": ("while True:\n    pass", ("timeout",)),
    "a sleep past its timeout": ("import time\ntime.sleep(30)", ("timeout",)),
    "memory past the session's limit": ("b = bytearray(600 << 20)\nb[::4096] = bytes(len(b[::4096]))", ("crashed",)),
}


@pytest.mark.parametrize(("code", "statuses"), ENDINGS.values(), ids=ENDINGS.keys())
def test_cell_ending_its_kernel_yields_its_status_and_the_saved_state(
    url: str, code: str, statuses: tuple[str, ...]
) -> None:
    with ToolClient(url) as tools, tools.session(memory_limit_mb=128) as py:
        py.exec("x = 41\ng = (i for i in [1])")
        started = time.monotonic()
        cell = py.exec(code, timeout=1.5)
        assert (cell.status, cell.state, cell.survived) == (statuses[0], "unchanged", True), cell
        assert time.monotonic() - started < 10
        assert py.exec("x + 1").result == "42"  # from the saved state
        assert py.exec("g").error == {"type": "NameError", "message": "name 'g' is not defined"}  # a new kernel


def test_process_started_by_a_cell_yields_gone_when_the_cell_ends(url: str) -> None:
    marker = f"rlvr{uuid.uuid4().hex[:11]}"
    renamed = named(marker) + "print('named', flush=True)\nimport time\ntime.sleep(300)"
    child = (  # the cell ends once its child has its name
        "import subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, '-c', {renamed!r}], stdout=subprocess.PIPE)\n"
        "p.stdout.readline().decode().strip()"
    )
    with ToolClient(url) as tools, tools.session() as py:
        assert py.exec(child).result == "'named'"
        assert gone(marker)
        assert py.exec("p.poll()").result == "-9"  # the kernel lives on; its cell's process does not


def test_deleted_session_yields_its_kernel_gone(url: str) -> None:
    marker = f"rlvr{uuid.uuid4().hex[:11]}"
    with ToolClient(url) as tools:
        with tools.session() as py:
            py.exec(named(marker))  # the cell runs in the kernel: the kernel gets the name
            assert len(procs_named(marker)) == 1
        assert gone(marker)


def test_kernel_killed_from_outside_yields_next_cell_from_the_saved_state(url: str) -> None:
    marker = f"rlvr{uuid.uuid4().hex[:11]}"
    with ToolClient(url) as tools, tools.session() as py:
        py.exec(named(marker) + "x = 41\ng = (i for i in [1])")
        (kernel,) = procs_named(marker)
        os.kill(kernel, signal.SIGKILL)
        assert gone(marker)
        cell = py.exec("x + 1")
        assert (cell.status, cell.result, cell.survived) == ("ok", "42", True)
        assert py.exec("g").status == "error"  # a new kernel: the generator was only in the killed one


# how a session's kernel is ended without a DELETE: by the service (what it is given, then the step)
ENDS = {
    "idle past the TTL": ({"RLVR_RUN_SESSION_TTL_S": "1"}, "idle"),
    "the service stopping": ({}, "stop"),
}


@pytest.mark.parametrize(("env", "how"), ENDS.values(), ids=ENDS.keys())
def test_session_ended_by_the_service_yields_its_kernel_gone(env: dict[str, str], how: str) -> None:
    marker = f"rlvr{uuid.uuid4().hex[:11]}"
    with run_server(env={"RLVR_WORKERS": "1", **env}) as base, ToolClient(base) as tools:
        py = tools.session()
        py.exec(named(marker))
        assert len(procs_named(marker)) == 1
        if how == "idle":
            assert gone(marker, wait_s=10)
    assert gone(marker)
