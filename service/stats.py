"""Rolling statistics of the last minutes, for GET /v1/stats: throughput, rewards, error rates."""

from __future__ import annotations

import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from rewards import Verdict

BUCKET_S = 10.0
SAMPLES_PER_BUCKET = 512


@dataclass
class _Bucket:
    start: float
    items: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    scores: dict[str, list[float]] = field(default_factory=dict)
    requests: int = 0


class RollingStats:
    """Per-verifier counts and a sample of scores, in 10-second buckets over ``window_s``."""

    def __init__(self, window_s: float = 300.0, clock: Any = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._buckets: deque[_Bucket] = deque()
        self._started = clock()
        self._rng = random.Random(0)

    def record_request(self) -> None:
        self._bucket().requests += 1

    def record(self, verifier: str, verdict: Verdict) -> None:
        bucket = self._bucket()
        bucket.items[verifier] += 1
        bucket.statuses.setdefault(verifier, Counter())[verdict.status.value] += 1
        if verdict.score is not None:
            scores = bucket.scores.setdefault(verifier, [])
            if len(scores) < SAMPLES_PER_BUCKET:
                scores.append(verdict.score)
            else:  # reservoir sampling keeps the distribution honest under load
                j = self._rng.randrange(bucket.items[verifier])
                if j < SAMPLES_PER_BUCKET:
                    scores[j] = verdict.score

    def snapshot(self) -> dict[str, Any]:
        now = self._clock()
        self._expire(now)
        span = max(min(self.window_s, now - self._started), 1e-9)
        items: Counter[str] = Counter()
        statuses: dict[str, Counter[str]] = {}
        scores: dict[str, list[float]] = {}
        requests = 0
        for b in self._buckets:
            items.update(b.items)
            requests += b.requests
            for name, c in b.statuses.items():
                statuses.setdefault(name, Counter()).update(c)
            for name, s in b.scores.items():
                scores.setdefault(name, []).extend(s)
        verifiers = {}
        for name in sorted(items):
            errors = items[name] - statuses[name].get("ok", 0)
            verifiers[name] = {
                "components": items[name],
                "per_s": round(items[name] / span, 3),
                "statuses": dict(statuses[name]),
                "error_rate": round(errors / items[name], 4),
                "score": _distribution(scores.get(name, [])),
            }
        return {
            "window_s": round(span, 1),
            "requests": requests,
            "requests_per_s": round(requests / span, 3),
            "components": sum(items.values()),
            "verifiers": verifiers,
        }

    def _bucket(self) -> _Bucket:
        now = self._clock()
        if not self._buckets or now - self._buckets[-1].start >= BUCKET_S:
            self._buckets.append(_Bucket(now))
            self._expire(now)
        return self._buckets[-1]

    def _expire(self, now: float) -> None:
        while self._buckets and now - self._buckets[0].start > self.window_s:
            self._buckets.popleft()


def _distribution(scores: list[float]) -> dict[str, float] | None:
    if not scores:
        return None
    s = sorted(scores)

    def q(p: float) -> float:
        return round(s[min(len(s) - 1, int(p * len(s)))], 4)

    return {
        "mean": round(sum(s) / len(s), 4),
        "min": s[0],
        "p10": q(0.1),
        "p50": q(0.5),
        "p90": q(0.9),
        "max": s[-1],
        "sampled": len(s),
    }
