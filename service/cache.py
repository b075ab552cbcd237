"""A bounded LRU of verdicts keyed by (verifier, params, the verifier's cache key)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from rewards import Verdict


class VerdictCache:
    """Least-recently-used verdicts; only judged verdicts are kept, errors are retried."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[Hashable, Verdict] = OrderedDict()

    def get(self, key: Hashable) -> Verdict | None:
        verdict = self._data.get(key)
        if verdict is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return verdict

    def put(self, key: Hashable, verdict: Verdict) -> None:
        if self.size <= 0 or not verdict.judged:
            return
        self._data[key] = verdict
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)
