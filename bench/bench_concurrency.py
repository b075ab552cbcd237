"""16,384 concurrent one-item requests through one AsyncRewardClient against one local service.

Trainer scale: OpenRLHF-style rollouts each await their own reward, all at once. Every
request is started at the same time (no semaphore in the caller); the client has to
bound what it puts on the wire itself. NeMo-Gym reports a 40-minute hang at 16,000
concurrent requests on httpx: here the whole run has a deadline (``--deadline``), and
every item must come back with the reward in-process scoring gives it (no hang, no lost
or mismatched item).

Baseline, measured in the same run: the same items as 256-in-flight one-item requests
(the caller bounding concurrency itself, as bench_client does). Prints items/s, the
ratio to the baseline (the mean of a run before and one after) and the slowest request's
time from call to reward.

python -m bench.bench_concurrency [--requests 16384] [--workers 1] [--deadline 600]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.bench_client import REWARDS, completions
from grpo import AsyncRewardClient, RewardClient
from tests.server import run_server

BASELINE_CONCURRENCY = 256
BASELINE = f"{BASELINE_CONCURRENCY} in flight (baseline)"
ROUNDS = ((BASELINE, BASELINE_CONCURRENCY), ("all at once", None), (BASELINE, BASELINE_CONCURRENCY))


async def all_at_once(url: str, texts: list[str], gate: int | None) -> tuple[float, float, list[float | None]]:
    """Seconds for every text as its own request, all started at once (or ``gate`` at a time); slowest latency."""
    async with AsyncRewardClient(url, rewards=REWARDS) as client:
        await asyncio.gather(*(client.score_texts([t]) for t in texts[:64]))  # open the connections
        limit = asyncio.Semaphore(gate) if gate else None
        slowest = 0.0

        async def one(text: str) -> float | None:
            nonlocal slowest
            started = time.perf_counter()
            if limit is None:
                reward = (await client.score_texts([text]))[0]
            else:
                async with limit:
                    reward = (await client.score_texts([text]))[0]
            slowest = max(slowest, time.perf_counter() - started)
            return reward

        start = time.perf_counter()
        rewards = await asyncio.gather(*(one(t) for t in texts))
        return time.perf_counter() - start, slowest, list(rewards)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=16_384)
    parser.add_argument("--workers", type=int, default=1, help="service worker processes (format runs on threads)")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds before the run counts as a hang")
    args = parser.parse_args()
    texts = completions(args.requests, seed=1)
    n = args.requests
    with run_server("--workers", str(args.workers), "--log-level", "warning") as url:
        with RewardClient(url, rewards=REWARDS) as client:
            expected = client.score_texts(texts)  # one chunked batch: the reward each item must get back
        rows = []
        # baseline, all at once, baseline again: the machine's load drifts, the ratio uses their mean
        for label, gate in ROUNDS:
            try:
                result = asyncio.run(asyncio.wait_for(all_at_once(url, texts, gate), args.deadline))
            except TimeoutError:
                raise SystemExit(f"{label}: not finished after {args.deadline:.0f} s (hang)") from None
            rows.append((label, *result))
    base_s = (rows[0][1] + rows[2][1]) / 2
    for label, seconds, slowest, rewards in rows:
        lost = sum(1 for got, want in zip(rewards, expected, strict=True) if got != want)
        if len(rewards) != n or lost:
            raise SystemExit(f"{label}: {lost} of {n} items lost or wrong")
        print(
            f"{n} one-item requests, {label:<26}{n / seconds:8.0f} items/s  {seconds:7.2f}s  "
            f"{base_s / seconds:.2f}x baseline  slowest {slowest:6.2f}s  all {n} rewards as expected"
        )


if __name__ == "__main__":
    main()
