"""The distribution of component scores as a Prometheus histogram, for /ui and Grafana.

``rlvr_component_score{verifier}``: every judged component's score (unjudged ones have none),
so that a reward curve, its mean (``_sum / _count``) and its shape can be read per verifier.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

from rewards import Verdict

SCORE_BUCKETS = (-1.0, -0.5, -0.25, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1.0)


class ScoreMetric:
    """Observes verdicts (a Scorer observer) into ``rlvr_component_score``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.histogram = Histogram(
            "rlvr_component_score",
            "Score of each judged component, by verifier",
            ["verifier"],
            buckets=SCORE_BUCKETS,
            registry=registry,
        )

    def observe(self, verifier: str, verdict: Verdict, seconds: float) -> None:
        # only judged components: their verifier was found in the registry, so the label set stays bounded
        if verdict.score is not None:
            self.histogram.labels(verifier).observe(verdict.score)
