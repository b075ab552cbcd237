"""Where a docker harness step's time goes: one warm container, arms interleaved, medians.

python -m bench.bench_docker_harness [--rounds 30]

Arms: an assert-based test judged as the judge plans it (the harness compiled by the
image's interpreter, Backend.precompiled), the same with the harness compiled by this
host's interpreter (what a build mismatch costs: every step compiles it), and forked
steps that do nothing, alone and with a peer (empty, then the real peer program): the
floor a harness step stands on. Job wall is as the caller sees it (agent protocol
included); step wall and CPU are the agent's. Ratios are to the empty step with a peer.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from sandbox.backend import Job, Step
from sandbox.docker import DockerBackend, DockerConfig
from sandbox.judge.formats import parse_tests
from sandbox.judge.program import Limits, peer_program, plan
from sandbox.precompile import precompiled

SOLUTION = "def add(a, b):\n    return a + b\n"
PYTHON = ("python3", "-I", "-S", "-B", "-c")
WARMUP = 2
PEER_MAIN = peer_program() + "\nmain()\n"  # the program is definitions; its bootstrap calls main


def arms(backend: DockerBackend) -> dict[str, Callable[[], Job]]:
    """Name → a fresh job of that arm."""
    suite = parse_tests({"test_list": ["assert add(1, 2) == 3"]})

    def judged(precompile: Callable[[str, str, str], bytes]) -> Callable[[], Job]:
        return lambda: plan(SOLUTION, suite, "python", Limits(), check_host=False, precompile=precompile).job

    return {
        "harness, image's blob": judged(backend.precompiled),
        "harness, host's blob": judged(precompiled),
        "empty step": lambda: Job({}, (Step((*PYTHON, "pass")),)),
        "empty step + empty peer": lambda: Job({}, (Step((*PYTHON, "pass"), peer=(*PYTHON, "pass")),)),
        "empty step + peer program": lambda: Job({}, (Step((*PYTHON, "pass"), peer=(*PYTHON, PEER_MAIN)),)),
    }


def main() -> None:
    """Run every arm ``--rounds`` times, interleaved, and print medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with DockerBackend(DockerConfig(pool_size=1)) as backend:
        jobs = arms(backend)
        seen: dict[str, list[tuple[float, float, float]]] = {name: [] for name in jobs}
        for n in range(args.rounds + WARMUP):
            for name, make in jobs.items():
                job = make()
                started = time.perf_counter()
                (result,) = backend.run(job)
                took = time.perf_counter() - started
                if result.exit_code != 0:
                    raise SystemExit(f"{name}: {result}")
                if n >= WARMUP:
                    seen[name].append((took, result.wall_time_s, result.cpu_time_s or 0.0))
    floor = statistics.median(w for _, w, _ in seen["empty step + empty peer"])
    head = f"{'arm':28s} {'job wall':>9s} {'step wall':>10s} {'step cpu':>9s} {'x floor':>8s}"
    print(f"{head}  (ms, medians of {args.rounds})")
    for name, rows in seen.items():
        job, wall, cpu = (statistics.median(column) for column in zip(*rows, strict=True))
        print(f"{name:28s} {job * 1e3:9.1f} {wall * 1e3:10.1f} {cpu * 1e3:9.1f} {wall / floor:8.2f}")


if __name__ == "__main__":
    main()
