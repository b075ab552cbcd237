"""Per-test overhead of the local sandbox against a bare ``subprocess.run`` of the same program.

python -m bench.bench_sandbox [--tests 40] [--rounds 5]

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


def compile_bare(argv: list[str], source: str, cwd: str) -> float:
    """Seconds for one host compile of ``source`` (without the sandbox's precompiled-header -I)."""
    Path(cwd, "main.cpp").write_text(source)
    start = time.perf_counter()
    subprocess.run([a for a in argv if not a.startswith("-I")], cwd=cwd, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    backend = LocalBackend()
    inputs = stdins(args.tests)
    py, cpp = resolve("python"), resolve("cpp")
    compile_argv = list(cpp.compile_argv() or ())
    build = (Step(tuple(compile_argv), policy=COMPILE_POLICY),)
    rows: dict[str, list[tuple[float, float]]] = {}

    def add(name: str, bare_s: float, box_s: float) -> None:
        rows.setdefault(name, []).append((bare_s, box_s))

    # Bare and sandboxed alternate within each round, and each ratio is taken within its
    # round: the machine is shared, and its load moves more between rounds than within one.
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "main.py").write_text(PY_SOURCE)
        for _ in range(args.rounds):
            py_files = {"main.py": PY_SOURCE.encode()}
            add("python stdin/stdout, per test", bare(list(py.run_argv()), inputs, tmp),
                sandboxed(backend, py_files, (), py.run_argv(), inputs)[0])
            add("python, 1-test job (start cost)", bare(list(py.run_argv()), inputs[:5], tmp),
                sandboxed(backend, py_files, (), py.run_argv(), inputs[:1])[0])
            iostream_compile = compile_bare(compile_argv, CPP_SOURCE, tmp)
            box_per_test, box_compile = sandboxed(backend, {"main.cpp": CPP_SOURCE.encode()}, build, cpp.run_argv(),
                                                  inputs)
            add("c++ binary, per test", bare(["./main"], inputs, tmp), box_per_test)
            add("c++ compile, <iostream>", iostream_compile, box_compile)
            add("c++ compile, <bits/stdc++.h>", compile_bare(compile_argv, CPP_STDCPP_SOURCE, tmp),
                sandboxed(backend, {"main.cpp": CPP_STDCPP_SOURCE.encode()}, build, cpp.run_argv(), inputs[:1])[1])

    print(f"tests per submission: {args.tests}, rounds: {args.rounds}; medians, ratio = median of per-round ratios")
    print(f"{'case':<34}{'bare ms':>10}{'sandbox ms':>12}{'ratio':>8}")
    for name, pairs in rows.items():
        b = statistics.median(p[0] for p in pairs)
        x = statistics.median(p[1] for p in pairs)
        ratio = statistics.median(p[1] / p[0] for p in pairs)
        print(f"{name:<34}{b * 1e3:>10.2f}{x * 1e3:>12.2f}{ratio:>7.2f}x")
    print("targets: <= 1.5x bare per test; <= 1500 ms sandboxed compile per C++ submission "
          "(bare <bits/stdc++.h> has no precompiled header)")


if __name__ == "__main__":
    main()
