"""Math throughput on long R1-style completions (2k-16k characters, the answer at the end).

The distinct-pairs bench (:mod:`bench.bench_math_distinct`) with long reasoning before each
answer: extraction must stay linear and find the answer at the end of long traces.

    python -m bench.bench_math_long [--pairs 300] [--reasoning-chars 8000]
"""

from __future__ import annotations

import argparse

from bench.bench_math_distinct import pool_rounds, report, rlvr_rounds, rounds, sequential_rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--reasoning-chars", type=int, default=8000, help="mean; each trace draws 2k-16k")
    args = parser.parse_args()
    cold, warm = rounds(args.pairs, args.reasoning_chars)
    pool = pool_rounds(cold, warm)
    ours, rewards = rlvr_rounds(cold, warm)
    seq, baseline = sequential_rounds(cold, warm)
    sizes = sorted(len(s.completion) for s in cold + warm)
    title = (
        f"math long completions: {args.pairs} per round, {sizes[0]}-{sizes[-1]} chars (median {sizes[len(sizes) // 2]})"
    )
    report(title, args.pairs, seq, pool, ours)
    differ = sum(1 for x, y in zip(baseline, rewards, strict=True) if y is None or x != y)
    print(
        f"  verdicts differing from math-verify: {differ}/{len(rewards)}; "
        f"not judged by rlvr: {sum(r is None for r in rewards)}"
    )


if __name__ == "__main__":
    main()
