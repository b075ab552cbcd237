"""A session cell attacking its live kernel's channel to the service, or living on past its cell.

A cell runs in the kernel's process (service/runs/kernel.py KERNEL), so it can write on
the pipe the service reads the kernel's answers from (``answer``, found up its frames).
Whatever it writes, the service must answer the cell (``crashed`` at worst) and go on, never
a 500; nothing a cell starts may run on between its cells; and kernels idle between
cells may hold no more memory than the run slots could. Each case runs against a
real server on the local backend (the one with live kernels).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grpo.tools import ToolClient
from tests.server import run_server

pytestmark = [pytest.mark.integration]

FIND_ANSWER = "import sys\nf = sys._getframe()\nwhile 'answer' not in f.f_globals:\n    f = f.f_back\n"

# what the cell writes on the kernel's channel, as the head line of its answer
FORGED_HEADS = {
    "sizes of infinity": b'{"report": null, "sizes": [1e400, 0, 0], "over": true}\n',
    "sizes past any C long": b'{"report": null, "sizes": [' + b"9" * 4000 + b', 0, 0], "over": true}\n',
    "nesting past the recursion limit": b'{"a": ' + b"[" * 200_000 + b"\n",
    "a head that is a list": b"[1, 2]\n",
}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """A local-backend server (live kernels)."""
    with run_server(env={"RLVR_WORKERS": "1", "RLVR_RUN_MAX_CONCURRENCY": "2"}) as base:
        yield base


@pytest.mark.parametrize("head", FORGED_HEADS.values(), ids=FORGED_HEADS.keys())
def test_cell_forging_its_kernels_answer_yields_crashed_and_the_session_goes_on(url: str, head: bytes) -> None:
    with ToolClient(url) as tools, tools.session() as py:
        assert py.exec("x = 41").status == "ok"
        cell = py.exec(f"{FIND_ANSWER}f.f_globals['answer']({head!r})\n1")
        assert cell.status == "crashed", cell
        after = py.exec("x + 1")
        assert (after.status, after.result) == ("ok", "42"), after


THREAD = (
    "import _thread, time\nn = [0]\n"
    "def count():\n    while True:\n        n[0] += 1\n        time.sleep(0.01)\n"
    "_thread.start_new_thread(count, ())"
)
PROCESS = (
    "import os, time\nopen('/tmp/count', 'w').write('0')\n"
    "if os.fork() == 0:\n    n = 0\n    while True:\n        n += 1\n"
    "        open('/tmp/count', 'w').write(str(n))\n        time.sleep(0.01)"
)
SEEN_THREAD = "import time\nseen = n[0]\ntime.sleep(0.5)\nn[0] - seen"
SEEN_PROCESS = (
    "import os, time\ncount = lambda: int(os.path.exists('/tmp/count') and open('/tmp/count').read() or 0)\n"
    "seen = count()\ntime.sleep(0.5)\ncount() - seen"
)
# (first cell, second cell): the first leaves a thread threading does not know of or a process, the kernel's own
# clean-up defeated or not; the second sees if it ran on between them
LEFT_RUNNING = {
    "a _thread thread counting": (THREAD, SEEN_THREAD),
    "a process counting": (PROCESS, SEEN_PROCESS),
    "a _thread thread, os.listdir patched": ("import os\nos.listdir = lambda path: ['1']\n" + THREAD, SEEN_THREAD),
    "a process, os.kill patched": ("import os\nos.kill = lambda *args: None\n" + PROCESS, SEEN_PROCESS),
}


@pytest.mark.parametrize(("first", "second"), LEFT_RUNNING.values(), ids=LEFT_RUNNING.keys())
def test_thread_or_process_left_by_a_cell_yields_nothing_running_in_the_next_cell(
    url: str, first: str, second: str
) -> None:
    with ToolClient(url) as tools, tools.session() as py:
        assert py.exec(first).status == "ok"
        cell = py.exec(second)
        assert (cell.status, cell.result) == ("ok", "0"), cell


def resident_mib(name: str) -> int:
    """MiB resident in the live processes on this host named ``name`` (comm)."""
    total_kib = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"Name:\t{name}\n" in text:
            total_kib += sum(int(line.split()[1]) for line in text.splitlines() if line.startswith("VmRSS:"))
    return total_kib >> 10


HOG = "import sys, ctypes\nctypes.CDLL(None).prctl(15, b'kernhog', 0, 0, 0)\nsys.hog = bytearray({mib} << 20)\n"
HOG += "sys.hog[::4096] = b'x' * len(sys.hog[::4096])"

# (run slots, memory ceiling MiB, sessions, MiB each holds in its kernel between cells, in a module: not in the state)
IDLE_HOLDERS = {"four sessions past one slot's ceiling": (1, 512, 4, 300)}


@pytest.mark.parametrize(("slots", "ceiling", "sessions", "mib"), IDLE_HOLDERS.values(), ids=IDLE_HOLDERS.keys())
def test_idle_kernels_holding_memory_yield_no_more_than_the_run_slots_could(
    slots: int, ceiling: int, sessions: int, mib: int
) -> None:
    env = {"RLVR_WORKERS": "1", "RLVR_RUN_MAX_CONCURRENCY": str(slots), "RLVR_RUN_MAX_MEMORY_MB": str(ceiling)}
    with run_server(env=env) as base, ToolClient(base) as tools:
        opened = [tools.session() for _ in range(sessions)]
        try:
            for py in opened:
                assert py.exec(HOG.format(mib=mib)).status == "ok"
            deadline = time.monotonic() + 5.0  # a kernel ended is SIGKILLed, not waited for
            while resident_mib("kernhog") > slots * ceiling and time.monotonic() < deadline:
                time.sleep(0.05)
            assert resident_mib("kernhog") <= slots * ceiling
        finally:
            for py in opened:
                py.close()
