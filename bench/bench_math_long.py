"""Math throughput on long R1-style completions (2k-16k characters, the answer at the end).

The distinct-pairs bench (:mod:`bench.bench_math_distinct`) with long reasoning before each
answer: extraction must stay linear and find the answer at the end of long traces.

    python -m bench.bench_math_long [--pairs 300] [--reasoning-chars 8000] [--seed 11]
"""

from __future__ import annotations

import argparse

from bench.bench_math_distinct import compare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--reasoning-chars", type=int, default=8000, help="mean; each trace draws 2k-16k")
    parser.add_argument("--seed", type=int, default=11, help="of the pairs: other seeds, other pairs")
    args = parser.parse_args()
    compare(args.pairs, args.reasoning_chars, "math long completions", args.seed)


if __name__ == "__main__":
    main()
