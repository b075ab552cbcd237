"""Load and fault test: 64 clients for minutes against a real server while workers and sandboxes are killed.

Clients send one-item and 256-item requests (math and code) to a real `rlvr serve` on
loopback; a fault injector SIGKILLs a math worker process and a sandbox process every few
seconds. Reports requests, items, latency percentiles, 429s, items lost (must be 0),
5xx other than 503 (must be 0) and the server's memory at start and end.

    python -m bench.load_test [--seconds 180] [--clients 64]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import time
from dataclasses import dataclass, field

import httpx

from bench.grpo_batch import grpo_batch
from bench.proc_tree import descendants, rss_mb
from tests.server import server_process

CODE_OK = "```python\nimport sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n```"
CODE_WRONG = "```python\nimport sys\nprint(len(sys.stdin.read().split()))\n```"
CODE_SLOW = "```python\nwhile True:\n    pass\n```"
REQUEST_DEADLINE_S = 120  # the server answers by then (timeout verdicts for what is left); the client waits longer
CODE_TESTS = {"inputs": ["1 2\n", "3 4 5\n", "10\n"], "outputs": ["3\n", "12\n", "10\n"]}


@dataclass
class Tally:
    requests: int = 0
    items_sent: int = 0
    items_answered: int = 0
    items_lost: int = 0
    status_429: int = 0
    status_503: int = 0
    other_5xx: int = 0
    other_errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    kills: dict[str, int] = field(default_factory=lambda: {"math_worker": 0, "sandbox": 0})


def make_items(rng: random.Random, n: int, math_pool: list[dict]) -> list[dict]:
    items = []
    for i in range(n):
        if rng.random() < 0.8:
            items.append({**rng.choice(math_pool), "id": i})
        else:
            code = rng.choices([CODE_OK, CODE_WRONG, CODE_SLOW], weights=[6, 3, 1])[0]
            items.append(
                {
                    "id": i,
                    "completion": code,
                    "reference": CODE_TESTS,
                    "rewards": [{"name": "code", "params": {"time_limit_s": 1.0}}],
                }
            )
    return items


async def client(url: str, deadline: float, tally: Tally, seed: int, math_pool: list[dict]) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_DEADLINE_S + 60) as http:
        while time.monotonic() < deadline:
            items = make_items(rng, 256 if rng.random() < 0.15 else 1, math_pool)
            body = {"items": items, "rewards": {"math": 1.0}}
            while True:
                started = time.monotonic()
                try:
                    response = await http.post("/v1/score", json=body)
                except httpx.HTTPError as exc:
                    tally.other_errors.append(f"{type(exc).__name__}: {exc}")
                    tally.items_lost += len(items)
                    break
                tally.requests += 1
                if response.status_code in (429, 503):
                    tally.status_429 += response.status_code == 429
                    tally.status_503 += response.status_code == 503
                    await asyncio.sleep(float(response.headers.get("retry-after", "1")) * rng.uniform(0.5, 1.5))
                    if time.monotonic() > deadline:
                        break
                    continue
                tally.latencies.append(time.monotonic() - started)
                if response.status_code >= 500:
                    tally.other_5xx += 1
                    tally.items_lost += len(items)
                elif response.status_code != 200:
                    tally.other_errors.append(f"{response.status_code}: {response.text[:200]}")
                    tally.items_lost += len(items)
                else:
                    results = response.json()["results"]
                    answered = [r for r in results if r["status"]]
                    tally.items_answered += len(answered)
                    tally.items_lost += len(items) - len(answered)
                    for r in results:
                        tally.statuses[r["status"]] = tally.statuses.get(r["status"], 0) + 1
                tally.items_sent += len(items)
                break


async def inject_faults(server_pid: int, deadline: float, tally: Tally, every_s: float) -> None:
    """Every ``every_s``: SIGKILL one math worker (a direct python child) and one sandbox process."""
    rng = random.Random(1)
    while time.monotonic() < deadline:
        await asyncio.sleep(every_s)
        procs = descendants(server_pid)
        workers = [p for p in procs if p.ppid == server_pid and "python" in p.name]
        sandboxes = [p for p in procs if p.name == "bwrap"]
        for kind, candidates in (("math_worker", workers), ("sandbox", sandboxes)):
            if candidates:
                victim = rng.choice(candidates)
                try:
                    os.kill(victim.pid, signal.SIGKILL)
                    tally.kills[kind] += 1
                except ProcessLookupError:
                    pass


def memory_mb(pid: int) -> float:
    return rss_mb([pid] + [p.pid for p in descendants(pid)])


async def run(url: str, pid: int, seconds: float, clients: int, fault_every_s: float) -> Tally:
    tally = Tally()
    math_pool = [
        {"completion": s.completion, "reference": s.gold, "group": s.group} for s in grpo_batch(64, 16, seed=7)
    ]
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        inject_faults(pid, deadline, tally, fault_every_s),
        *(client(url, deadline, tally, seed, math_pool) for seed in range(clients)),
    )
    return tally


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))] if s else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--fault-every", type=float, default=3.0)
    parser.add_argument("--max-inflight", type=int, default=1024)
    parser.add_argument("--url", help="target a server already running here (with --pid) instead of starting one")
    parser.add_argument("--pid", type=int, help="that server's process id, for fault injection and memory")
    args = parser.parse_args()
    env = {"RLVR_MAX_INFLIGHT_ITEMS": str(args.max_inflight), "RLVR_ITEM_TIMEOUT_S": "5", "RLVR_LOG_LEVEL": "warning",
           "RLVR_REQUEST_TIMEOUT_S": str(REQUEST_DEADLINE_S)}
    with contextlib.ExitStack() as stack:
        if args.url:
            url, pid = args.url, args.pid
        else:
            url, proc = stack.enter_context(server_process(env=env))
            pid = proc.pid
        mem_start = memory_mb(pid)
        started = time.monotonic()
        tally = asyncio.run(run(url, pid, args.seconds, args.clients, args.fault_every))
        elapsed = time.monotonic() - started
        mem_end = memory_mb(pid)
        alive = os.path.exists(f"/proc/{pid}")
    print(
        f"load test: {args.clients} clients for {elapsed:.0f}s, faults every {args.fault_every:g}s "
        f"(killed {tally.kills['math_worker']} math workers, {tally.kills['sandbox']} sandbox processes)"
    )
    print(
        f"  requests {tally.requests}  items sent {tally.items_sent}  answered {tally.items_answered}  "
        f"({tally.items_answered / elapsed:.1f} items/s)"
    )
    p50, p99 = percentile(tally.latencies, 0.5), percentile(tally.latencies, 0.99)
    print(f"  latency p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms")
    print(f"  429s {tally.status_429}  503s {tally.status_503}  5xx other than 503: {tally.other_5xx} (must be 0)")
    print(
        f"  items lost: {tally.items_lost} (must be 0); other errors: {len(tally.other_errors)} "
        f"{tally.other_errors[:3]}"
    )
    print(f"  item statuses: {dict(sorted(tally.statuses.items()))}")
    print(
        f"  server memory (with workers): start {mem_start:.0f} MiB, end {mem_end:.0f} MiB; "
        f"server alive at end: {alive}"
    )
    if tally.items_lost or tally.other_5xx or not alive:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
