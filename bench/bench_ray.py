"""One rlvr process vs the two-replica Ray Serve deployment, on the same math and code batches.

Both sides get the same CPUs: `rlvr serve --workers 1` (baseline) and two Serve replicas of
one worker each on a two-node local Ray cluster (one CPU per node, as in tests/integration/
test_ray.py). Batches are sent with the grpo client in chunks, the cache is defeated by
distinct items, and the Serve overhead is the median latency of a tiny request through the
Serve proxy minus straight to uvicorn. Prints items/s, the ratios and the overhead.

    python -m bench.bench_ray [--math 512] [--code 64] [--chunk 32]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import httpx

from bench.grpo_batch import grpo_batch
from grpo import RewardClient
from tests.ray_cluster import local_cluster, serve_run
from tests.server import run_server

PROBES = 50
SUM_TESTS = {"inputs": [f"{i} {i + 1}\n" for i in range(3)], "outputs": [f"{2 * i + 1}\n" for i in range(3)]}
CODE = "```python\nimport sys\n# variant {n}\nprint(sum(int(x) for x in sys.stdin.read().split()))\n```"
TINY = {"items": [{"completion": "\\boxed{4}", "reference": "4", "rewards": {"math": 1.0}}]}


def math_items(n: int, seed: int) -> list[dict[str, Any]]:
    samples = grpo_batch(max(1, n // 16), 16, seed=seed)[:n]
    return [{"completion": s.completion, "reference": s.gold, "group": s.group, "rewards": {"math": 1.0}}
            for s in samples]


def code_items(n: int, seed: int) -> list[dict[str, Any]]:
    # the variant comment makes every item distinct, so no verdict comes from the cache
    return [{"completion": CODE.format(n=f"{seed}-{i}"), "reference": SUM_TESTS, "rewards": {"code": 1.0}}
            for i in range(n)]


def throughput(url: str, items: list[dict[str, Any]], chunk: int) -> tuple[float, list[float | None]]:
    """items/s for one batch through the grpo client (chunks sent concurrently)."""
    with RewardClient(url, chunk_size=chunk, max_concurrency=8, timeout=600.0) as client:
        started = time.perf_counter()
        response = client.score(items)
        elapsed = time.perf_counter() - started
    return len(items) / elapsed, [r.reward for r in response.results]


def median_latency_ms(url: str) -> float:
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("/v1/score", json=TINY).raise_for_status()
        times = []
        for _ in range(PROBES):
            started = time.perf_counter()
            client.post("/v1/score", json=TINY).raise_for_status()
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(url: str, args: argparse.Namespace, seed: int) -> dict[str, Any]:
    throughput(url, math_items(32, seed + 1) + code_items(4, seed + 1), 8)  # warm-up: pools, imports, compiles
    math_rate, math_rewards = throughput(url, math_items(args.math, seed), args.chunk)
    code_rate, code_rewards = throughput(url, code_items(args.code, seed), max(1, args.chunk // 4))
    return {"math": math_rate, "code": code_rate, "latency_ms": median_latency_ms(url),
            "rewards": (math_rewards, code_rewards)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--math", type=int, default=512, help="math items in the batch")
    parser.add_argument("--code", type=int, default=64, help="code items in the batch")
    parser.add_argument("--chunk", type=int, default=32, help="items per request")
    args = parser.parse_args()
    print(f"ray bench: {args.math} math + {args.code} code items, {args.chunk} per request")
    with run_server("--workers", "1") as url:
        one = measure(url, args, seed=0)
    with local_cluster() as cluster, serve_run(cluster) as url:
        two = measure(url, args, seed=0)
    for kind in ("math", "code"):
        print(f"  {kind:<5} one process {one[kind]:8.1f} items/s   two Serve replicas {two[kind]:8.1f} items/s"
              f"   ratio {two[kind] / one[kind]:.2f}x")
    print(f"  tiny request median: direct {one['latency_ms']:.1f} ms, through Serve {two['latency_ms']:.1f} ms;"
          f" Serve overhead {two['latency_ms'] - one['latency_ms']:.1f} ms/request")
    print(f"  same rewards on both: {one['rewards'] == two['rewards']}")


if __name__ == "__main__":
    main()
