"""A math item whose cost overruns the pool's deadline is judged 0 when the answer caused it, null otherwise.

Found by an outside round: ``\\boxed{{10^{8}}!!}`` (a double factorial whose operand was no
digit string, so the size guard let it through) made sympy multiply for ~12 s and ~4 GB in C,
where neither the verifier's 5 s deadline nor the pool's 10 s one can land; the pool counted
the item overrun and it came back null, which only trusted code may cause. The guard now
bounds bracketed operands (tests/test_math_limits.py), a worker's address space is capped
(MemoryError, judged 0), and an item that overran anyway is judged by the verifier's
``overrun``: 0 when the reference alone parses in time. Here the pool's deadline (1 s) is
shorter than the verifier's own (5 s), so every slow answer overruns it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.app import build_scorer
from service.dispatch import Scorer
from tests.service.conftest import make_settings
from tests.service.test_dispatch import score

SLOW = "2^{{10^{3}}!}"  # passes the guard (its exponent's digits look small), seconds of sympy


@pytest.fixture(scope="module")
def scorer() -> Iterator[Scorer]:
    s = build_scorer(make_settings(item_timeout_s=1.0))
    yield s
    s.close()


def test_answer_overrunning_the_pool_deadline_yields_judged_0_beside_honest_items(scorer: Scorer) -> None:
    completions = [f"\\boxed{{{SLOW}}}", "\\boxed{5}", "\\boxed{3}"]
    results = score(scorer, [{"completion": c, "reference": "5"} for c in completions], {"math": 1.0})
    assert [(r["reward"], r["status"]) for r in results] == [(0.0, "ok"), (1.0, "ok"), (0.0, "ok")], results
    assert "overran the worker's deadline" in results[0]["components"][0]["reason"]


def test_reference_overrunning_the_pool_deadline_yields_null(scorer: Scorer) -> None:
    [result] = score(scorer, [{"completion": "\\boxed{5}", "reference": SLOW}], {"math": 1.0})
    assert (result["reward"], result["status"]) == (None, "timeout"), result
