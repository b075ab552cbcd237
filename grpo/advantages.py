"""Group-relative advantages from rewards, in the variants GRPO-style trainers use.

``method`` (with r a reward, m its group's mean, s a standard deviation, n the group size):

- ``"grpo"``: (r - m) / (s_group + eps), s Bessel-corrected, eps 1e-4: TRL's default
  ``scale_rewards="group"``.
- ``"batch"``: (r - m) / (s_batch + eps), s over the whole batch: TRL's ``scale_rewards="batch"``.
- ``"dr_grpo"``: r - m, no division by the std (Dr. GRPO; TRL's ``scale_rewards="none"``).
- ``"rloo"``: r - (sum of the other rewards of the group) / (n - 1), the leave-one-out baseline.

A reward that is None or NaN (an item the service could not judge) is left out of every
mean and std, as TRL's ``nanmean``/``nanstd`` do; its own advantage is ``missing``
(0.0 by default: no learning signal, pass ``missing=None`` to get None). A group whose
rewards are all equal, or that has a single judged item, yields zero advantages: there
is nothing to compare with. Plain Python; numpy is used for large batches when installed.

>>> compute_advantages([1.0, 0.0, None, 1.0], group_size=4, method="dr_grpo")
[0.33333333333333337, -0.6666666666666666, 0.0, 0.33333333333333337]
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Hashable, Sequence
from typing import Any, Literal

Method = Literal["grpo", "batch", "dr_grpo", "rloo"]
Backend = Literal["auto", "python", "numpy"]
METHODS: tuple[Method, ...] = ("grpo", "batch", "dr_grpo", "rloo")
EPS = 1e-4
NUMPY_MIN_ITEMS = 2048


def compute_advantages(
    rewards: Sequence[float | None],
    groups: Sequence[Hashable] | None = None,
    *,
    group_size: int | None = None,
    method: Method = "grpo",
    eps: float = EPS,
    missing: float | None = 0.0,
    backend: Backend = "auto",
) -> list[float | None]:
    """One advantage per reward; groups given by id per item, or as consecutive blocks of ``group_size``."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    index = _group_index(len(rewards), groups, group_size)
    values = [float("nan") if r is None else float(r) for r in rewards]
    use_numpy = backend == "numpy" or (
        backend == "auto" and len(values) >= NUMPY_MIN_ITEMS and importlib.util.find_spec("numpy") is not None
    )
    raw = _numpy_advantages(values, index, method, eps) if use_numpy else _python_advantages(values, index, method, eps)
    return [missing if math.isnan(v) else a for v, a in zip(values, raw, strict=True)]


def _group_index(n: int, groups: Sequence[Hashable] | None, group_size: int | None) -> list[int]:
    """Each item's group as 0..k-1, in order of first appearance."""
    if groups is not None and group_size is not None:
        raise ValueError("give groups (one id per reward) or group_size (consecutive blocks), not both")
    if group_size is not None:
        if group_size < 1 or n % group_size:
            raise ValueError(f"{n} rewards cannot be cut into groups of {group_size}")
        return [i // group_size for i in range(n)]
    if groups is None:
        raise ValueError("give groups (one id per reward) or group_size (consecutive blocks)")
    if len(groups) != n:
        raise ValueError(f"{len(groups)} group ids for {n} rewards")
    ids: dict[Hashable, int] = {}
    return [ids.setdefault(g, len(ids)) for g in groups]


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and Bessel-corrected std of the non-NaN values (std 0 below two values)."""
    valid = [v for v in values if not math.isnan(v)]
    if not valid:
        return 0.0, 0.0
    mean = math.fsum(valid) / len(valid)
    if len(valid) < 2:
        return mean, 0.0
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in valid) / (len(valid) - 1))


def _python_advantages(values: list[float], index: list[int], method: Method, eps: float) -> list[float]:
    members: dict[int, list[int]] = {}
    for i, g in enumerate(index):
        members.setdefault(g, []).append(i)
    batch_std = _mean_std(values)[1] if method == "batch" else 0.0
    out = [0.0] * len(values)
    for positions in members.values():
        group = [values[i] for i in positions]
        valid = [v for v in group if not math.isnan(v)]
        if len(valid) < 2 or min(valid) == max(valid):
            continue  # zeros: a lone or unanimous group carries no relative signal
        mean, std = _mean_std(group)
        total = math.fsum(valid)
        for i in positions:
            r = values[i]
            if method == "grpo":
                out[i] = (r - mean) / (std + eps)
            elif method == "batch":
                out[i] = (r - mean) / (batch_std + eps)
            elif method == "dr_grpo":
                out[i] = r - mean
            else:
                out[i] = r - (total - r) / (len(valid) - 1)
    return out


def _numpy_advantages(values: list[float], index: list[int], method: Method, eps: float) -> list[float]:
    import numpy as np

    r = np.asarray(values, dtype=np.float64)
    g = np.asarray(index, dtype=np.int64)
    k = int(g.max()) + 1 if len(g) else 0
    ok = ~np.isnan(r)
    rz = np.where(ok, r, 0.0)
    count = np.bincount(g, weights=ok.astype(np.float64), minlength=k)
    total = np.bincount(g, weights=rz, minlength=k)
    mean = np.divide(total, count, out=np.zeros(k), where=count > 0)
    dev = np.where(ok, r - mean[g], 0.0)
    sq = np.bincount(g, weights=dev * dev, minlength=k)
    std = np.sqrt(np.divide(sq, count - 1, out=np.zeros(k), where=count > 1))
    hi = np.full(k, -np.inf)
    lo = np.full(k, np.inf)
    np.maximum.at(hi, g[ok], r[ok])
    np.minimum.at(lo, g[ok], r[ok])
    live = (count >= 2) & (hi != lo)
    out: Any
    if method == "grpo":
        out = dev / (std[g] + eps)
    elif method == "batch":
        valid = r[ok]
        batch_std = float(valid.std(ddof=1)) if valid.size > 1 else 0.0
        out = dev / (batch_std + eps)
    elif method == "dr_grpo":
        out = dev
    else:
        denom = np.where(count > 1, count - 1, 1.0)[g]
        out = np.where(ok, rz - (total[g] - rz) / denom, 0.0)
    out = np.where(live[g] & ok, out, 0.0)
    return [float(x) for x in out]
