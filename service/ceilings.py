"""Operator ceilings on the resources a request may ask of a verifier; a request above one is clamped.

A client chooses its verifier params (``time_limit_s``, ``memory_mb``…), so without a
ceiling it chooses its own limits. The service clamps each parsed params object to the
ceilings its settings name and says so in the verdict's details, e.g.
``details["clamped"] = {"memory_mb": [50000, 1024]}`` (asked, granted).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from service.settings import Settings

Clamped = dict[str, list[float]]
# ceilings with no setting of their own (RLVR_PARAM_CEILINGS overrides them): repetition's cost is
# n-gram size × words (n slices of the word list), math's answers over it go to sympy
REPETITION_MAX_NGRAM = 64
MATH_MAX_ANSWER_CHARS = 20_000


def ceilings_of(settings: Settings) -> dict[str, dict[str, float]]:
    """verifier → param → ceiling: the built-in verifiers' resource params, then the operator's extra table."""
    table: dict[str, dict[str, float]] = {
        "code": {
            "time_limit_s": settings.code_max_time_limit_s,
            "memory_mb": settings.code_max_memory_mb,
            "total_time_limit_s": settings.code_max_total_time_limit_s,
        },
        # math's own deadline past the worker's hard one would only turn a verdict into a killed worker
        "math": {
            "timeout_s": settings.item_timeout_s,
            "max_completion_chars": settings.max_completion_chars,
            "max_answer_chars": MATH_MAX_ANSWER_CHARS,
        },
        "language": {"max_chars": settings.max_completion_chars},
        "repetition": {"ngram_size": REPETITION_MAX_NGRAM},
    }
    for name, params in settings.param_ceilings.items():
        table[name] = {**table.get(name, {}), **params}
    return table


def clamp(params: Any, ceilings: Mapping[str, float]) -> tuple[Any, Clamped]:
    """``params`` with every field over its ceiling lowered to it, and what was lowered (name → [asked, granted]).

    A value that does not compare as at most its ceiling (NaN included) is lowered; a field
    the params type does not have is ignored, so one table serves every version of a plugin.
    """
    if not ceilings or not dataclasses.is_dataclass(params) or isinstance(params, type):
        return params, {}
    names = {f.name for f in dataclasses.fields(params)}
    changes: dict[str, Any] = {}
    clamped: Clamped = {}
    for name, ceiling in ceilings.items():
        value = getattr(params, name, None) if name in names else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= ceiling:
            continue
        granted = int(ceiling) if isinstance(value, int) else float(ceiling)
        changes[name] = granted
        clamped[name] = [value, granted]
    return (dataclasses.replace(params, **changes), clamped) if changes else (params, {})
