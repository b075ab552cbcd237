"""A cell past its time limit, and a cell's threads, on both paths: a live kernel (local), a job per cell (docker).

A cell is interrupted at its time limit (as Jupyter's interrupt does): its answer says so,
carries what it printed up to then, and the session goes on from its state before the cell.
A cell is over when its threads are: none runs on between cells. Each case runs against a real server.
"""

from __future__ import annotations

import pytest

from grpo.tools import ToolClient

pytestmark = [pytest.mark.integration]

SPIN = "while True:\n    pass"
SWALLOW = """print('flushed', flush=True)
print('not flushed')
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
"""
# (cell, what its stdout shows, what its message says): each runs past its 1.5 s limit
TIMEOUTS = {
    "a CPU loop": (f"print('step 1')\n{SPIN}", "step 1", "interrupted"),
    "a sleep": ("import time\nprint('before the sleep')\ntime.sleep(60)", "before the sleep", "interrupted"),
    "a loop in a function": ("def f():\n    print('in f')\n    while True: pass\nf()", "in f", "interrupted"),
    "a thread still running": (
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), name='sleeper').start()\nprint('on')",
        "on",
        "interrupted",
    ),
    "a cell that swallows the interrupt": (SWALLOW, "", "killed"),
}


@pytest.mark.parametrize(("code", "printed", "says"), TIMEOUTS.values(), ids=TIMEOUTS.keys())
def test_cell_past_its_time_limit_yields_timeout_with_its_output_and_the_session_on(
    url: str, code: str, printed: str, says: str
) -> None:
    with ToolClient(url) as tools, tools.session() as py:
        py.exec("x = 41")
        cell = py.exec(f"x = 0\n{code}", timeout=1.5)
        assert (cell.status, cell.state, cell.survived) == ("timeout", "unchanged", True), cell
        assert printed in cell.stdout and says in cell.message and "survived" in cell.message, cell
        assert cell.execution_time is not None and cell.execution_time < 10, cell
        assert py.exec("x + 1").result == "42"  # from before the cell


def test_cell_after_one_that_set_its_own_alarm_handler_yields_interrupted(url: str) -> None:
    with ToolClient(url) as tools, tools.session() as py:
        assert py.exec("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)").status == "ok"
        cell = py.exec(f"print('again')\n{SPIN}", timeout=1.0)
        assert (cell.status, cell.stdout) == ("timeout", "again\n") and "interrupted" in cell.message, cell


def test_interrupted_thread_wait_yields_the_thread_named(url: str) -> None:
    code = "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), name='sleeper').start()"
    with ToolClient(url) as tools, tools.session() as py:
        cell = py.exec(code, timeout=1.0)
        assert cell.status == "timeout" and cell.error is not None and "'sleeper'" in cell.error["message"], cell


THREAD = (
    "import threading, time\ndef work(n):\n    time.sleep(0.3)\n    print('thread', n)\n    done.append(n)\ndone = []\n"
)
# (cell starting threads, what the cell's answer shows): the answer comes once they have all ended
THREADS = {
    "a thread": (THREAD + "threading.Thread(target=work, args=(1,)).start()", "thread 1"),
    "a daemon thread": (THREAD + "threading.Thread(target=work, args=(2,), daemon=True).start()", "thread 2"),
    "a thread starting another": (
        THREAD + "threading.Thread(target=lambda: threading.Thread(target=work, args=(3,)).start()).start()",
        "thread 3",
    ),
    "a pool used as a context": (
        THREAD + "from concurrent.futures import ThreadPoolExecutor\n"
        "with ThreadPoolExecutor(2) as pool:\n    pool.submit(work, 4)",
        "thread 4",
    ),
}


@pytest.mark.parametrize(("code", "printed"), THREADS.values(), ids=THREADS.keys())
def test_cell_starting_threads_yields_its_answer_once_they_end(url: str, code: str, printed: str) -> None:
    with ToolClient(url) as tools, tools.session() as py:
        cell = py.exec(code, timeout=5)
        assert (cell.status, cell.stdout.strip()) == ("ok", printed), cell
        after = py.exec("import threading\nlen(done), threading.active_count()")
        assert after.result == "(1, 1)", after  # its work is done, and no thread of it is left
