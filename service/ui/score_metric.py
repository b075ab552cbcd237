"""The distribution of component scores as Prometheus metrics, for /ui and Grafana.

``rlvr_component_score{verifier}`` is a histogram of every judged component's score (unjudged
ones have none). Its buckets go below 0 (shaping rewards are negative), so it has a ``_count``
but no ``_sum`` (a sum that can fall is no counter); the mean instead comes from two sums that only grow,
``rlvr_component_score_positive_total`` and ``rlvr_component_score_negative_total`` (magnitudes):
mean = (positive − negative) / count, over any window.

Observing is on the scoring path of every component, so it is plain arithmetic on this object
(about a tenth of prometheus_client's locked histogram); the families are built at scrape time.
Observers run on the event loop, like the scrape, so no lock is needed.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from rewards import Verdict

SCORE_BUCKETS = (-1.0, -0.5, -0.25, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1.0)


@dataclass(slots=True)
class _Scores:
    """One verifier's counts: per bucket (the last is +Inf, not cumulative), positive and negative sums."""

    buckets: list[int] = field(default_factory=lambda: [0] * (len(SCORE_BUCKETS) + 1))
    positive: float = 0.0
    negative: float = 0.0


class ScoreMetric(Collector):
    """A Scorer observer of component scores, and the Prometheus collector that exposes them."""

    def __init__(self) -> None:
        self._by_verifier: dict[str, _Scores] = {}

    def observe(self, verifier: str, verdict: Verdict, seconds: float) -> None:
        # only judged components: their verifier was found in the registry, so the label set stays bounded
        score = verdict.score
        if score is None:
            return
        scores = self._by_verifier.get(verifier)
        if scores is None:
            scores = self._by_verifier[verifier] = _Scores()
        scores.buckets[bisect.bisect_left(SCORE_BUCKETS, score)] += 1  # le semantics: a score on a bound counts there
        if score > 0:
            scores.positive += score
        elif score < 0:
            scores.negative -= score

    def collect(self) -> Iterator[Metric]:
        histogram = HistogramMetricFamily(
            "rlvr_component_score", "Score of each judged component, by verifier", labels=["verifier"]
        )
        positive = CounterMetricFamily(
            "rlvr_component_score_positive", "Sum of the positive scores, by verifier", labels=["verifier"]
        )
        negative = CounterMetricFamily(
            "rlvr_component_score_negative",
            "Sum of the magnitudes of the negative scores, by verifier",
            labels=["verifier"],
        )
        for name, s in sorted(self._by_verifier.items()):
            cumulative, total = [], 0
            for bound, count in zip((*map(str, SCORE_BUCKETS), "+Inf"), s.buckets, strict=True):
                total += count
                cumulative.append((bound, total))
            histogram.add_metric([name], cumulative, sum_value=None)
            # prometheus_client leaves _count out along with _sum; a histogram's count is still well defined
            histogram.samples.append(Sample("rlvr_component_score_count", {"verifier": name}, float(total)))
            positive.add_metric([name], s.positive)
            negative.add_metric([name], s.negative)
        yield from (histogram, positive, negative)
