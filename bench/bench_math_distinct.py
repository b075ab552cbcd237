"""Math throughput on distinct pairs (no answer repeats): a cold round, then a warm round.

Every pair has its own numbers, so neither a verdict cache nor a parse cache helps: each
answer pays the LaTeX parser and sympy. Three contenders, each measured on the same two
rounds in this run: math-verify called sequentially (TRL's accuracy_reward), a plain
``multiprocessing.Pool(2)`` of it, and rlvr in-process (its worker pool, started and warmed
up as the service starts). Round 1 is the first batch after start-up; round 2 is new pairs
on the same, now warm, processes.

    python -m bench.bench_math_distinct [--pairs 500] [--reasoning-chars 0] [--seed 11]

On a shared, loaded machine run it a few times with other seeds (each run is a fresh process,
so every run's first round is a cold start) and compare the ratios, not the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing

from bench.bench_math import request_for, trl_accuracy, warmup_overlap
from bench.distinct_pairs import distinct_pairs
from bench.grpo_batch import Sample
from bench.proc_tree import timed_round
from service.app import build_scorer
from service.settings import Settings

POOL_WORKERS = 2


def _one(sample: Sample) -> float:
    return trl_accuracy([sample])[0]


def _noop(_: int) -> int:
    return 0


def rounds(pairs: int, reasoning_chars: int, seed: int = 11) -> tuple[list[Sample], list[Sample]]:
    """Two rounds of distinct pairs, no (answer, gold) shared between them."""
    both = distinct_pairs(2 * pairs, seed=seed, reasoning_chars=reasoning_chars)
    return both[:pairs], both[pairs:]


Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process and its workers)


def pool_rounds(cold: list[Sample], warm: list[Sample]) -> list[Timing]:
    """Wall and CPU seconds per round for a Pool(2) of math-verify (processes started before round 1)."""
    import math_verify  # noqa: F401  (imported before the fork, as a trainer would have it)

    times = []
    with multiprocessing.get_context("fork").Pool(POOL_WORKERS) as pool:
        pool.map(_noop, range(POOL_WORKERS))
        for batch in (cold, warm):
            times.append(timed_round(lambda b=batch: pool.map(_one, b, chunksize=8))[1])
    return times


def rlvr_rounds(cold: list[Sample], warm: list[Sample]) -> tuple[list[Timing], list[float | None]]:
    """Wall and CPU seconds per round for rlvr in-process (workers started and warmed up by one tiny request)."""
    scorer = build_scorer(Settings())
    loop = asyncio.new_event_loop()  # one loop for the scorer's life, as in the service (bench_math.SCORER_LOOP)
    times, rewards = [], []
    try:
        loop.run_until_complete(scorer.score(request_for([Sample(0, "The answer is \\boxed{7}.", "7")])))
        for batch in (cold, warm):
            response, timing = timed_round(lambda b=batch: loop.run_until_complete(scorer.score(request_for(b))))
            times.append(timing)
            rewards += [r.reward for r in response.results]
    finally:
        loop.close()
        scorer.close()
    return times, rewards


def sequential_rounds(cold: list[Sample], warm: list[Sample]) -> tuple[list[Timing], list[float]]:
    times, rewards = [], []
    for batch in (cold, warm):
        out, timing = timed_round(lambda b=batch: trl_accuracy(b))
        rewards += out
        times.append(timing)
    return times, rewards


def report(title: str, n: int, seq: list[Timing], pool: list[Timing], ours: list[Timing]) -> None:
    """Rates and ratios by the wall clock, then by CPU seconds (the load-independent cost)."""
    print(title)
    for i, name in enumerate(("round 1 (cold)", "round 2 (warm)")):
        (s_wall, s_cpu), (p_wall, p_cpu), (o_wall, o_cpu) = seq[i], pool[i], ours[i]
        print(
            f"  {name}: math-verify sequential {n / s_wall:7.1f}/s  Pool({POOL_WORKERS}) {n / p_wall:7.1f}/s  "
            f"rlvr {n / o_wall:7.1f}/s  ->  rlvr/sequential {s_wall / o_wall:5.2f}x  "
            f"rlvr/Pool({POOL_WORKERS}) {p_wall / o_wall:5.2f}x"
        )
        print(
            f"  {' ' * len(name)}  CPU s: sequential {s_cpu:6.2f}  Pool({POOL_WORKERS}) {p_cpu:6.2f}  rlvr {o_cpu:6.2f}"
            f"  ->  Pool({POOL_WORKERS})/rlvr CPU {p_cpu / max(o_cpu, 1e-9):5.2f}x"
        )


def compare(pairs: int, reasoning_chars: int, name: str, seed: int = 11) -> None:
    """Both rounds for all three contenders, then the report (ratios from this one run)."""
    cold, warm = rounds(pairs, reasoning_chars, seed)
    assert not warmup_overlap(cold + warm), f"the math warm-up scores {warmup_overlap(cold + warm)} too: unfair"
    # Pool first and rlvr second: both fork from this process while it has parsed nothing yet
    pool = pool_rounds(cold, warm)
    ours, rewards = rlvr_rounds(cold, warm)
    seq, baseline = sequential_rounds(cold, warm)
    sizes = sorted(len(s.completion) for s in cold + warm)
    title = f"{name}: {pairs} per round, completions of {sizes[0]}-{sizes[-1]} chars (median {sizes[len(sizes) // 2]})"
    report(title, pairs, seq, pool, ours)
    differ = sum(1 for x, y in zip(baseline, rewards, strict=True) if y is None or x != y)
    print(
        f"  verdicts differing from math-verify: {differ}/{len(rewards)}; not judged by rlvr: "
        f"{sum(r is None for r in rewards)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--reasoning-chars", type=int, default=0)
    parser.add_argument("--seed", type=int, default=11, help="of the pairs: other seeds, other pairs")
    args = parser.parse_args()
    compare(args.pairs, args.reasoning_chars, "math distinct pairs", args.seed)


if __name__ == "__main__":
    main()
