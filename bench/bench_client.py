"""The grpo client against a real local service scoring ``format``, in the two shapes trainers use.

- OpenRLHF shape: 8,192 one-item requests, 256 in flight at once (AsyncRewardClient).
- TRL shape: one 8,192-item batch (RewardClient, chunked and sent concurrently).

Baseline, measured in the same run: the same 8,192 items scored in-process as one batch
by the service's own Scorer (no HTTP, no JSON); the same Scorer called once per item is
shown too, to tell the per-request cost of HTTP from that of the scorer. Prints items/s
and the ratio to the baseline.

python -m bench.bench_client [--items 8192] [--concurrency 256] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from grpo import AsyncRewardClient, RewardClient
from grpo.wire import ScoreItem, ScoreRequest
from service.app import build_scorer
from service.settings import Settings
from tests.server import run_server

REWARDS = {"format": 1.0}
THOUGHTS = [
    "Let me set up the equation. Substituting the given values gives a linear relation in x.",
    "First simplify: combining like terms and factoring makes the structure clear.",
    "Check small cases first; the boundary values confirm the pattern.",
    "Wait, the previous step dropped a sign. Correcting it, the sum telescopes.",
]


def completions(n: int, seed: int = 0) -> list[str]:
    """R1-style completions, about 3 in 4 well-formed; each one distinct so no verdict is reused."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        thought = " ".join(rng.choice(THOUGHTS) for _ in range(rng.randint(2, 8)))
        answer = f"The answer is $\\boxed{{{rng.randint(0, 999)}}}$ (#{i})."
        shape = rng.random()
        if shape < 0.75:
            out.append(f"<think>{thought}</think>{answer}")
        elif shape < 0.9:
            out.append(f"{thought} {answer}")
        else:
            out.append(f"<think>{thought}<think>{answer}")
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def in_process(texts: list[str], workers: int, concurrency: int) -> tuple[tuple[float, list[float | None]], float]:
    """The service's Scorer called directly: seconds for one batch (and its rewards), seconds for one-item calls."""
    scorer = build_scorer(Settings(workers=workers))

    async def singles() -> float:
        gate = asyncio.Semaphore(concurrency)

        async def one(text: str) -> None:
            async with gate:
                await scorer.score(ScoreRequest(items=[ScoreItem(completion=text)], rewards=REWARDS))

        start = time.perf_counter()
        await asyncio.gather(*(one(t) for t in texts))
        return time.perf_counter() - start

    request = ScoreRequest(items=[ScoreItem(completion=t) for t in texts], rewards=REWARDS)
    try:
        asyncio.run(scorer.score(ScoreRequest(items=request.items[:64], rewards=REWARDS)))  # warm-up
        seconds, response = timed(lambda: asyncio.run(scorer.score(request)))
        singles_s = asyncio.run(singles())
    finally:
        scorer.close()
    return (seconds, [r.reward for r in response.results]), singles_s


def one_item_requests(url: str, texts: list[str], concurrency: int) -> tuple[float, list[float | None]]:
    """Seconds to score ``texts`` as one request each, ``concurrency`` in flight."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def run() -> tuple[float, list[float | None]]:
        async with AsyncRewardClient(url, rewards=REWARDS, limits=limits) as client:
            gate = asyncio.Semaphore(concurrency)

            async def one(text: str) -> float | None:
                async with gate:
                    return (await client.score_texts([text]))[0]

            await asyncio.gather(*(one(t) for t in texts[:concurrency]))  # warm-up: open the connections
            start = time.perf_counter()
            rewards = await asyncio.gather(*(one(t) for t in texts))
            return time.perf_counter() - start, list(rewards)

    return asyncio.run(run())


def one_batch(url: str, texts: list[str]) -> tuple[float, list[float | None]]:
    """Seconds to score ``texts`` as one batch through RewardClient (chunked, concurrent)."""
    with RewardClient(url, rewards=REWARDS) as client:
        client.score_texts(texts[:64])  # warm-up
        return timed(lambda: client.score_texts(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=8192)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--workers", type=int, default=1, help="service worker processes (format runs on threads)")
    args = parser.parse_args()
    texts = completions(args.items)

    (base_s, expected), singles_s = in_process(texts, args.workers, args.concurrency)
    n = args.items
    print(f"{'in-process Scorer, one batch (baseline)':<44}{n / base_s:8.0f} items/s  {base_s:7.2f}s")
    print(
        f"{f'in-process Scorer, one-item calls @{args.concurrency}':<44}{n / singles_s:8.0f} items/s  {singles_s:7.2f}s"
        f"  {base_s / singles_s:.2f}x baseline"
    )
    with run_server("--workers", str(args.workers), "--log-level", "warning") as url:
        rows = [
            (f"HTTP, {n} one-item requests @{args.concurrency}", one_item_requests(url, texts, args.concurrency)),
            (f"HTTP, one {n}-item batch (RewardClient)", one_batch(url, texts)),
        ]
    for label, (seconds, rewards) in rows:
        if rewards != expected:
            raise SystemExit(f"{label}: rewards differ from in-process scoring")
        print(f"{label:<44}{n / seconds:8.0f} items/s  {seconds:7.2f}s  {base_s / seconds:.2f}x baseline")


if __name__ == "__main__":
    main()
