"""Prometheus metrics of one app, on a registry of its own (no process-wide globals)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from rewards import Verdict

LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    """Request, item and verifier metrics, plus live gauges read from the scorer at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "rlvr_requests",
            "HTTP requests by route, method and status code",
            ["route", "method", "code"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "rlvr_request_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.items = Counter(
            "rlvr_items", "Scored components by verifier and status", ["verifier", "status"], registry=self.registry
        )
        self.verifier_seconds = Histogram(
            "rlvr_verifier_seconds",
            "Time to score one component, by verifier",
            ["verifier"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.invalid_items = Counter(
            "rlvr_invalid_items",
            "Items answered invalid_item: malformed, so not scored (the rest of their batch was)",
            registry=self.registry,
        )
        self.rejected = Counter(
            "rlvr_rejected_requests", "Requests refused for backpressure (429/503)", ["reason"], registry=self.registry
        )

    def observe(self, verifier: str, verdict: Verdict, seconds: float) -> None:
        self.items.labels(verifier, verdict.status.value).inc()
        self.verifier_seconds.labels(verifier).observe(seconds)

    def watch(self, read: Callable[[], dict[str, Any]]) -> None:
        """Expose the live state that ``read()`` returns (in-flight items, cache, pool and sandbox health)."""
        self.registry.register(_LiveCollector(read))


class _LiveCollector(Collector):
    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Any]:
        state = self._read()
        yield GaugeMetricFamily(
            "rlvr_inflight_items",
            "Verifier calls (components of items) being scored now",
            value=state["inflight_items"],
        )
        yield GaugeMetricFamily(
            "rlvr_inflight_limit", "Most verifier calls scored at once", value=state["inflight_limit"]
        )
        yield CounterMetricFamily("rlvr_cache_hits", "Verdict cache hits", value=state["cache_hits"])
        yield CounterMetricFamily("rlvr_cache_misses", "Verdict cache misses", value=state["cache_misses"])
        yield GaugeMetricFamily("rlvr_cache_entries", "Verdicts in the cache", value=state["cache_entries"])
        yield GaugeMetricFamily(
            "rlvr_stuck_threads",
            "Verifier threads written off: a built-in call ignored its deadline's interrupt and has not returned",
            value=state["stuck_threads"],
        )
        killed = CounterMetricFamily(
            "rlvr_workers_killed", "Worker processes killed because an item overran its deadline", labels=["pool"]
        )
        for pool, count in state["workers_killed"].items():
            killed.add_metric([pool], count)
        yield killed
        healthy = GaugeMetricFamily(
            "rlvr_component_healthy", "1 when a dependency (worker pool, sandbox) is healthy", labels=["component"]
        )
        for name, check in state["health"].items():
            healthy.add_metric([name], 1.0 if check["ok"] else 0.0)
        yield healthy
