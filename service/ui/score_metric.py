"""The distribution of component scores as Prometheus metrics, for /ui and Grafana.

``rlvr_component_score{verifier}`` is a histogram of every judged component's score (unjudged
ones have none). Its buckets go below 0 (shaping rewards are negative), so prometheus_client does
not expose its ``_sum`` (a sum that can fall is no counter); the mean instead comes from two sums
that only grow, ``rlvr_component_score_positive_total`` and ``rlvr_component_score_negative_total``
(magnitudes): mean = (positive − negative) / count, over any window.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from rewards import Verdict

SCORE_BUCKETS = (-1.0, -0.5, -0.25, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1.0)


class ScoreMetric:
    """Observes verdicts (a Scorer observer) into the score histogram and the two sums."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.histogram = Histogram(
            "rlvr_component_score",
            "Score of each judged component, by verifier",
            ["verifier"],
            buckets=SCORE_BUCKETS,
            registry=registry,
        )
        self.positive = Counter(
            "rlvr_component_score_positive", "Sum of the positive scores, by verifier", ["verifier"], registry=registry
        )
        self.negative = Counter(
            "rlvr_component_score_negative",
            "Sum of the magnitudes of the negative scores, by verifier",
            ["verifier"],
            registry=registry,
        )

    def observe(self, verifier: str, verdict: Verdict, seconds: float) -> None:
        # only judged components: their verifier was found in the registry, so the label set stays bounded
        score = verdict.score
        if score is None:
            return
        self.histogram.labels(verifier).observe(score)
        if score > 0:
            self.positive.labels(verifier).inc(score)
        elif score < 0:
            self.negative.labels(verifier).inc(-score)
