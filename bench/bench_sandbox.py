"""Per-test overhead of the local sandbox against a bare ``subprocess.run`` of the same program.

python -m bench.bench_sandbox [--tests 40] [--rounds 3]

Same interpreter and argv on both sides (``/usr/bin/python3 -I -S -B``; a C++ binary
built with the table's ``g++ -O2 -std=c++17``). The sandbox runs one job per submission
(one bubblewrap start, then one step per test), so per test = job wall time / tests,
sandbox start included. Also: C++ compile time per submission, bare and sandboxed, for
<iostream> and for <bits/stdc++.h> (sandboxed with the precompiled header of
``make toolchains``; bare without it, as a plain host compile would be).
Targets: <= 1.5x bare per test, <= 1.5 s of compile per C++ submission.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sandbox.backend import Job, Step
from sandbox.languages import resolve
from sandbox.local import LocalBackend
from sandbox.policy import COMPILE_POLICY, DEFAULT_POLICY

PY_SOURCE = "import sys\nnums = sys.stdin.read().split()\nprint(sum(int(x) for x in nums))\n"
CPP_SOURCE = """#include <iostream>
int main() { long long s = 0, x; while (std::cin >> x) s += x; std::cout << s << "\\n"; }
"""
CPP_STDCPP_SOURCE = """#include <bits/stdc++.h>
using namespace std;
int main() { long long s = 0, x; while (cin >> x) s += x; cout << s << "\\n"; }
"""


def stdins(n: int) -> list[bytes]:
    """``n`` small test inputs, all different."""
    return [" ".join(str(i * j) for j in range(20)).encode() for i in range(n)]


def best_of(rounds: int, fn: Callable[[], float]) -> float:
    """Median of ``rounds`` runs (the machine is shared: the median is the honest figure)."""
    return statistics.median(fn() for _ in range(rounds))


def bare(argv: list[str], inputs: list[bytes], cwd: str) -> float:
    """Seconds per test for ``subprocess.run`` of ``argv`` on each input."""
    start = time.perf_counter()
    for data in inputs:
        subprocess.run(argv, input=data, capture_output=True, cwd=cwd, check=True)
    return (time.perf_counter() - start) / len(inputs)


def sandboxed(backend: LocalBackend, files: dict[str, bytes], build: tuple[Step, ...], argv: tuple[str, ...],
              inputs: list[bytes]) -> tuple[float, float]:
    """(seconds per test, sandbox start included and compile excluded; compile seconds) for one job."""
    steps = build + tuple(Step(argv, data, DEFAULT_POLICY) for data in inputs)
    start = time.perf_counter()
    results = iter(backend.run(Job(files, steps)))
    compile_s = 0.0
    if build:
        built = next(results)
        if not built.ok:
            raise RuntimeError(f"compile failed: {built.stderr!r}")
        compile_s = built.wall_time_s
    outs = list(results)
    if not all(r.ok for r in outs):
        raise RuntimeError(f"a test failed: {next(r for r in outs if not r.ok)}")
    return (time.perf_counter() - start - compile_s) / len(inputs), compile_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    backend = LocalBackend()
    inputs = stdins(args.tests)
    py = resolve("python")
    cpp = resolve("cpp")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "main.py").write_text(PY_SOURCE)
        Path(tmp, "main.cpp").write_text(CPP_SOURCE)
        compile_argv = list(cpp.compile_argv() or ())
        start = time.perf_counter()
        subprocess.run(compile_argv, cwd=tmp, check=True)
        bare_compile = time.perf_counter() - start

        py_bare = best_of(args.rounds, lambda: bare(list(py.run_argv()), inputs, tmp))
        py_box = best_of(args.rounds, lambda: sandboxed(backend, {"main.py": PY_SOURCE.encode()}, (),
                                                          py.run_argv(), inputs)[0])
        cpp_bare = best_of(args.rounds, lambda: bare(["./main"], inputs, tmp))
        build = (Step(tuple(compile_argv), policy=COMPILE_POLICY),)
        runs = [sandboxed(backend, {"main.cpp": CPP_SOURCE.encode()}, build, cpp.run_argv(), inputs)
                for _ in range(args.rounds)]
        cpp_box = statistics.median(r[0] for r in runs)
        box_compile = statistics.median(r[1] for r in runs)
        stdcpp = [sandboxed(backend, {"main.cpp": CPP_STDCPP_SOURCE.encode()}, build, cpp.run_argv(), inputs[:1])[1]
                  for _ in range(args.rounds)]
        Path(tmp, "main.cpp").write_text(CPP_STDCPP_SOURCE)
        start = time.perf_counter()
        subprocess.run([a for a in compile_argv if not a.startswith("-I")], cwd=tmp, check=True)
        bare_stdcpp = time.perf_counter() - start
        one_py = best_of(args.rounds, lambda: sandboxed(backend, {"main.py": PY_SOURCE.encode()}, (),
                                                          py.run_argv(), inputs[:1])[0])

    print(f"tests per submission: {args.tests}, rounds: {args.rounds} (medians)")
    print(f"{'case':<34}{'bare ms':>10}{'sandbox ms':>12}{'ratio':>8}")
    for name, b, s in (("python stdin/stdout, per test", py_bare, py_box),
                       ("c++ binary, per test", cpp_bare, cpp_box),
                       ("python, 1-test job (start cost)", py_bare, one_py)):
        print(f"{name:<34}{b * 1e3:>10.2f}{s * 1e3:>12.2f}{s / b:>7.2f}x")
    print(f"{'c++ compile, <iostream>':<34}{bare_compile * 1e3:>10.0f}{box_compile * 1e3:>12.0f}"
          f"{box_compile / bare_compile:>7.2f}x   (target <= 1500 ms)")
    box_stdcpp = statistics.median(stdcpp)
    print(f"{'c++ compile, <bits/stdc++.h>':<34}{bare_stdcpp * 1e3:>10.0f}{box_stdcpp * 1e3:>12.0f}"
          f"{box_stdcpp / bare_stdcpp:>7.2f}x   (bare: no precompiled header)")


if __name__ == "__main__":
    main()
