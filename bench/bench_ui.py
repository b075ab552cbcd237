"""What the /ui page costs the service, against scoring at a high item rate (loopback only, bounded).

A real ``rlvr serve`` on 127.0.0.1 scores ``format`` batches as fast as one client sends them, with
the sample capture off (baseline) and on. The server's own CPU time (utime + stime from /proc) is
read around each phase, so the figures are CPU seconds the service spent, not wall time on a busy
machine. Then the page's requests are replayed alone against the warmed server (its /metrics
exposition and a full capture ring): CPU per /metrics poll and per sample-list request.

The page polls /metrics on the live tab and the sample list on the samples tab (periods read from
its app.js), one tab at a time; the report charges the costlier of the two against scoring at 1,000 items/s.

    python -m bench.bench_ui [--seconds 6] [--batch 512] [--polls 200]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.server import server_process

TARGET_ITEMS_PER_S = 1000.0
APP_JS = Path(__file__).resolve().parent.parent / "service" / "ui" / "static" / "app.js"
TICKS = os.sysconf("SC_CLK_TCK")
COMPLETION = "<think>Two plus two is four, checked twice.</think>The answer is 4."


def page_period_s(constant: str) -> float:
    """A polling period of the page, read from its script (so that this bench follows it)."""
    found = re.search(rf"const {constant} = (\d+);", APP_JS.read_text())
    if found is None:
        raise SystemExit(f"{constant} not found in {APP_JS}")
    return int(found.group(1)) / 1000


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of one process (its own threads, not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass(frozen=True)
class Scoring:
    items: int
    wall_s: float
    cpu_s: float

    @property
    def cpu_per_item_s(self) -> float:
        return self.cpu_s / self.items


def score_for(client: httpx.Client, pid: int, seconds: float, batch: int) -> Scoring:
    body = {"items": [{"id": i, "completion": COMPLETION} for i in range(batch)], "rewards": {"format": 1.0}}
    items, cpu0, t0 = 0, cpu_seconds(pid), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        client.post("/v1/score", json=body).raise_for_status()
        items += batch
    return Scoring(items, time.perf_counter() - t0, cpu_seconds(pid) - cpu0)


def cpu_per_request(client: httpx.Client, pid: int, path: str, n: int) -> tuple[float, int]:
    """Server CPU seconds per GET of ``path`` (mean of ``n``) and the response size in bytes."""
    size = len(client.get(path).raise_for_status().content)
    cpu0 = cpu_seconds(pid)
    for _ in range(n):
        client.get(path).raise_for_status()
    return (cpu_seconds(pid) - cpu0) / n, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="scoring time per phase")
    parser.add_argument("--batch", type=int, default=512, help="items per request")
    parser.add_argument("--polls", type=int, default=200, help="replayed page requests per kind")
    args = parser.parse_args()
    env = {"RLVR_WORKERS": "1", "RLVR_UI_CAPTURE_SIZE": "2000"}
    metrics_every, samples_every = page_period_s("POLL_MS"), page_period_s("SAMPLE_POLL_MS")
    runs = {}
    for capture in ("false", "true"):
        with (
            server_process(env={**env, "RLVR_UI_CAPTURE": capture}) as (url, proc),
            httpx.Client(base_url=url, timeout=120) as client,
        ):
            score_for(client, proc.pid, 1.0, args.batch)  # warm-up
            runs[capture] = score_for(client, proc.pid, args.seconds, args.batch)
            if capture == "true":
                metrics_cpu, metrics_bytes = cpu_per_request(client, proc.pid, "/metrics", args.polls)
                samples_cpu, samples_bytes = cpu_per_request(client, proc.pid, "/ui/api/samples?limit=200", args.polls)
    base, captured = runs["false"], runs["true"]
    scoring_cpu_per_s = base.cpu_per_item_s * TARGET_ITEMS_PER_S
    live = metrics_cpu / metrics_every
    browse = samples_cpu / samples_every
    print(f"scoring, capture off: {base.items / base.wall_s:,.0f} items/s, {base.cpu_per_item_s * 1e6:.1f} µs CPU/item")
    print(
        f"scoring, capture on:  {captured.items / captured.wall_s:,.0f} items/s, "
        f"{captured.cpu_per_item_s * 1e6:.1f} µs CPU/item (x{captured.cpu_per_item_s / base.cpu_per_item_s:.3f})"
    )
    print(f"GET /metrics: {metrics_cpu * 1e3:.2f} ms CPU, {metrics_bytes:,} bytes; every {metrics_every:g} s")
    print(
        f"GET /ui/api/samples?limit=200 (full ring): {samples_cpu * 1e3:.2f} ms CPU, {samples_bytes:,} bytes; "
        f"every {samples_every:g} s"
    )
    print(f"scoring {TARGET_ITEMS_PER_S:,.0f} items/s costs {scoring_cpu_per_s:.3f} CPU s/s")
    print(f"page, live tab:    {live * 1e3:.2f} ms CPU/s = {100 * live / scoring_cpu_per_s:.3f}% of that")
    print(f"page, samples tab: {browse * 1e3:.2f} ms CPU/s = {100 * browse / scoring_cpu_per_s:.3f}% of that")


if __name__ == "__main__":
    main()
