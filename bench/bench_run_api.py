"""The run API against a bare subprocess of the same program, sessions' cell latency, and 64 sessions' memory.

python -m bench.bench_run_api [--calls 40] [--sessions 64] [--backend local|docker]

1. ``/run_code`` (Python, warm: after a few calls) one call at a time through ``grpo.tools``,
   against ``subprocess.run`` of the same program with the sandbox's own interpreter and
   argv (``/usr/bin/python3 -I -S -B main.py``) in a temp dir. Goal: p50 <= 1.5x bare.
   Also the same program through the run API's ``execute`` on a local sandbox in this
   process: what the sandbox costs, apart from HTTP and the queue.
2. A trivial session cell (``x + 1``) one at a time. Goal: p50 <= 10 ms. On the local backend
   it runs on the session's live kernel; the first cell of a session, which starts the kernel,
   is measured apart (over ``--calls / 4`` sessions).
3. ``--sessions`` sessions opened at once, each holding some state, one cell in each at
   once; the memory of the server's process tree (RSS and PSS sums) with none open, during
   the round (peak of samples), with all open (on the local backend each holds a live kernel:
   a sandbox), after they are closed, and once the job hosts the round started have been idle
   past the server's ``RLVR_SANDBOX_HOST_IDLE_S`` (set to 5 s here), and the round's wall time.
4. ``/run_code`` of a program writing a 4 KiB file, with ``fetch_files``: against bare and
   against ``/run_code`` without it (the fetch step's cost).
Run with a quiet machine; quote ``/proc/loadavg`` with the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.proc_tree import descendants
from grpo.tools import AsyncToolClient, ToolClient
from sandbox.backend import Backend
from sandbox.docker import DockerBackend
from sandbox.local import LocalBackend
from service.runs.execute import execute
from service.runs.spec import Ceilings, run_spec
from tests.server import server_process

PROGRAM = "import sys\nnums = sys.stdin.read().split()\nprint(sum(int(x) for x in nums))\n"
STDIN = " ".join(str(i) for i in range(100))
ARGV = ["/usr/bin/python3", "-I", "-S", "-B", "main.py"]
WARMUP = 5
STATE_CELL = "data = {i: str(i) for i in range(2000)}\nimport json"
FETCH_PROGRAM = "open('out.txt', 'w').write('x' * 4096)\n"
HOST_IDLE_S = 5.0  # the server's RLVR_SANDBOX_HOST_IDLE_S here: the burst's job hosts go within the run
GOAL_RATIO = 1.5
GOAL_CELL_MS = 10.0


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bare(calls: int) -> list[float]:
    """Seconds per ``subprocess.run`` of the program, in a temp dir, as the sandbox runs it."""
    with tempfile.TemporaryDirectory() as work:
        Path(work, "main.py").write_text(PROGRAM)
        out = []
        for n in range(WARMUP + calls):
            start = time.perf_counter()
            subprocess.run(ARGV, input=STDIN.encode(), capture_output=True, cwd=work, check=True)
            if n >= WARMUP:
                out.append(time.perf_counter() - start)
        return out


def sandbox_alone(backend: Backend, calls: int) -> list[float]:
    """Seconds per program through the run API's own code (``execute``) on the sandbox, no HTTP, no queue."""
    spec = run_spec(
        code=PROGRAM,
        language="python",
        stdin=STDIN,
        files={},
        fetch_files=[],
        run_timeout_s=10,
        compile_timeout_s=10,
        memory_mb=None,
        ceilings=Ceilings(),
    )
    out = []
    for n in range(WARMUP + calls):
        start = time.perf_counter()
        result = execute(backend, spec)
        took = time.perf_counter() - start
        assert result.status == "Success", result
        if n >= WARMUP:
            out.append(took)
    return out


def run_code(tools: ToolClient, calls: int) -> list[float]:
    out = []
    for n in range(WARMUP + calls):
        start = time.perf_counter()
        result = tools.run(PROGRAM, stdin=STDIN)
        took = time.perf_counter() - start
        assert result.status == "Success" and result.run_result is not None, result
        if n >= WARMUP:
            out.append(took)
    return out


def run_code_fetch(tools: ToolClient, calls: int) -> list[float]:
    """Seconds per ``/run_code`` of a program that writes a file, fetched back (``fetch_files``)."""
    out = []
    for n in range(WARMUP + calls):
        start = time.perf_counter()
        result = tools.run(FETCH_PROGRAM, fetch_files=["out.txt"])
        took = time.perf_counter() - start
        assert result.status == "Success" and "out.txt" in result.files, result
        if n >= WARMUP:
            out.append(took)
    return out


def cells(tools: ToolClient, calls: int) -> list[float]:
    out = []
    with tools.session() as py:
        py.exec("x = 1")
        for n in range(WARMUP + calls):
            start = time.perf_counter()
            cell = py.exec("x + 1")
            took = time.perf_counter() - start
            assert cell.result == "2", cell
            if n >= WARMUP:
                out.append(took)
    return out


def first_cells(tools: ToolClient, sessions: int) -> list[float]:
    """Seconds for the first cell of each of ``sessions`` fresh sessions (on the local backend: the kernel's start)."""
    out = []
    for _ in range(sessions):
        with tools.session() as py:
            start = time.perf_counter()
            cell = py.exec("x = 1")
            out.append(time.perf_counter() - start)
            assert cell.status == "ok", cell
    return out


def tree_memory_mb(root: int) -> tuple[float, float]:
    """(RSS sum, PSS sum) in MiB of ``root`` and its descendants (sandboxes included)."""
    rss = pss = 0
    for pid in [root, *(p.pid for p in descendants(root))]:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss / 1024, pss / 1024


async def many_sessions(url: str, n: int, pid: int) -> tuple[float, float, tuple[float, float]]:
    """Open ``n`` sessions at once, then one cell in each at once.

    (open seconds, round seconds, the tree's memory with the ``n`` sessions open and idle after their cell)
    """
    async with AsyncToolClient(url) as tools:
        start = time.perf_counter()
        sessions = await asyncio.gather(*(tools.session() for _ in range(n)))
        opened = time.perf_counter() - start
        try:
            start = time.perf_counter()
            results = await asyncio.gather(*(s.exec(STATE_CELL) for s in sessions))
            round_s = time.perf_counter() - start
            assert all(r.status == "ok" for r in results), [r.status for r in results]
            holding = tree_memory_mb(pid)
        finally:
            await asyncio.gather(*(s.close() for s in sessions))
        return opened, round_s, holding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--sessions", type=int, default=64)
    parser.add_argument("--backend", choices=("local", "docker"), default="local")
    args = parser.parse_args()
    print(f"load before: {Path('/proc/loadavg').read_text().strip()}; backend {args.backend}")
    env = {
        "RLVR_WORKERS": "1",
        "RLVR_RUN_MAX_SESSIONS_PER_CALLER": str(args.sessions),
        "RLVR_LOG_LEVEL": "warning",
        "RLVR_SANDBOX_BACKEND": args.backend,
        "RLVR_SANDBOX_HOST_IDLE_S": str(HOST_IDLE_S),
    }
    backend: Backend = LocalBackend() if args.backend == "local" else DockerBackend()
    with server_process(env=env) as (url, proc), ToolClient(url) as tools:
        bare_s = bare(args.calls)
        alone_s = sandbox_alone(backend, args.calls)
        run_s = run_code(tools, args.calls)
        fetch_s = run_code_fetch(tools, args.calls)
        cell_s = cells(tools, args.calls)
        first_s = first_cells(tools, max(1, args.calls // 4))
        ratio = p50_ms(run_s) / p50_ms(bare_s)
        print(f"bare subprocess   p50 {p50_ms(bare_s):7.1f} ms")
        print(f"sandbox job alone p50 {p50_ms(alone_s):7.1f} ms  = {p50_ms(alone_s) / p50_ms(bare_s):.2f}x bare")
        print(
            f"/run_code         p50 {p50_ms(run_s):7.1f} ms  = {ratio:.2f}x bare (goal <= {GOAL_RATIO}x), "
            f"{p50_ms(run_s) / p50_ms(alone_s):.2f}x the sandbox job alone"
        )
        print(
            f"/run_code + fetch p50 {p50_ms(fetch_s):7.1f} ms  = {p50_ms(fetch_s) / p50_ms(bare_s):.2f}x bare, "
            f"{p50_ms(fetch_s) / p50_ms(run_s):.2f}x /run_code without fetch_files"
        )
        print(
            f"session cell      p50 {p50_ms(cell_s):7.1f} ms  = {p50_ms(cell_s) / p50_ms(bare_s):.2f}x bare, "
            f"{p50_ms(cell_s) / p50_ms(run_s):.2f}x /run_code (goal <= {GOAL_CELL_MS:g} ms)"
        )
        print(f"first cell        p50 {p50_ms(first_s):7.1f} ms  = {p50_ms(first_s) / p50_ms(run_s):.2f}x /run_code")
        idle = tree_memory_mb(proc.pid)
        peak = list(idle)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                rss, pss = tree_memory_mb(proc.pid)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            opened, round_s, holding = asyncio.run(many_sessions(url, args.sessions, proc.pid))
        finally:
            done.set()
            sampler.join()
        after = tree_memory_mb(proc.pid)
        time.sleep(HOST_IDLE_S * 2 + 1)  # the idle time, then at most half of it to the next look
        settled = tree_memory_mb(proc.pid)
        print(f"{args.sessions} sessions: opened in {opened:.2f} s, one cell each at once in {round_s:.2f} s")
        print(f"  server tree, no session open: RSS {idle[0]:7.1f} MiB  PSS {idle[1]:7.1f} MiB")
        print(f"  peak during the round:        RSS {peak[0]:7.1f} MiB  PSS {peak[1]:7.1f} MiB")
        print(f"  all open, idle after a cell:  RSS {holding[0]:7.1f} MiB  PSS {holding[1]:7.1f} MiB")
        print(f"  after (sessions closed):      RSS {after[0]:7.1f} MiB  PSS {after[1]:7.1f} MiB")
        print(f"  {HOST_IDLE_S:g} s idle hosts' time later: RSS {settled[0]:7.1f} MiB  PSS {settled[1]:7.1f} MiB")
    close = getattr(backend, "close", None)
    if close is not None:
        close()
    print(f"load after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
