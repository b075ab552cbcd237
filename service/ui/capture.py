"""Opt-in capture of recently scored items into a bounded ring buffer, for the /ui sample browser.

Off by default (``RLVR_UI_CAPTURE``): when off nothing is recorded and nothing is kept. When on,
the newest ``size`` items are kept, each text cut to ``max_chars`` so that memory stays bounded
whatever the completions weigh, and prompts are dropped when the operator asks for it. The trace
of a sample is built only when someone opens it, never on the scoring path.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from grpo.wire import ItemResult, RewardRequest, ScoreRequest, ScoreResponse, normalize_rewards

CUT_MARK = "…"


@dataclass(slots=True)  # not frozen: a frozen init costs a third more, on the scoring path
class Sample:
    """One captured item: what was scored (texts cut), what was asked, and its result. Never changed once made."""

    seq: int
    at: float
    prompt: str | None
    completion: str
    reference: Any
    asked: list[RewardRequest]
    result: ItemResult

    @property
    def verifiers(self) -> list[str]:
        return [c.name for c in self.result.components]


@dataclass(frozen=True)
class SampleFilter:
    """Which samples to list: by verifier (any component), item status and reward bounds (inclusive)."""

    verifier: str | None = None
    status: str | None = None
    min_reward: float | None = None
    max_reward: float | None = None

    def matches(self, sample: Sample) -> bool:
        r = sample.result
        if self.verifier is not None and self.verifier not in sample.verifiers:
            return False
        if self.status is not None and r.status != self.status:
            return False
        if self.min_reward is not None and (r.reward is None or r.reward < self.min_reward):
            return False
        return not (self.max_reward is not None and (r.reward is None or r.reward > self.max_reward))


class SampleCapture:
    """The newest ``size`` scored items; ``record`` is a Scorer batch observer."""

    def __init__(self, size: int, *, max_chars: int, drop_prompts: bool) -> None:
        self.size = size
        self.max_chars = max_chars
        self.drop_prompts = drop_prompts
        self._samples: deque[Sample] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self.recorded = 0

    def record(self, request: ScoreRequest, response: ScoreResponse) -> None:
        """Keep every item of a scored batch (the oldest fall out of the ring)."""
        default = normalize_rewards(request.rewards) if request.rewards is not None else []
        now = time.time()
        for wire, result in zip(request.items, response.results, strict=True):
            asked = normalize_rewards(wire.rewards) if wire.rewards is not None else default
            prompt = None if self.drop_prompts or wire.prompt is None else cut(wire.prompt, self.max_chars)
            completion = cut(wire.completion, self.max_chars)
            reference = cut_value(wire.reference, self.max_chars)
            self._samples.append(Sample(next(self._seq), now, prompt, completion, reference, asked, result))
        self.recorded += len(request.items)

    def find(self, where: SampleFilter, limit: int) -> list[Sample]:
        """The newest ``limit`` samples that match, newest first."""
        return list(itertools.islice((s for s in reversed(self._samples) if where.matches(s)), limit))

    def get(self, seq: int) -> Sample | None:
        """The sample numbered ``seq``, if it is still in the ring."""
        if not self._samples or not self._samples[0].seq <= seq <= self._samples[-1].seq:
            return None
        return self._samples[seq - self._samples[0].seq]  # numbers are consecutive within the ring

    def __len__(self) -> int:
        return len(self._samples)


def cut(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters, marked when cut."""
    return text if len(text) <= max_chars else text[:max_chars] + CUT_MARK


def cut_value(value: Any, max_chars: int) -> Any:
    """A reference kept as is when small, else its JSON text cut (references may be whole test suites)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return cut(value, max_chars)
    text = json.dumps(value, default=str)
    return value if len(text) <= max_chars else cut(text, max_chars)
