"""The per-item CPU deadline of the worker pool: an overrun is a timeout whatever the verifier's code catches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.app import build_scorer
from service.dispatch import Scorer
from tests.service.conftest import make_settings
from tests.service.test_dispatch import score

ITEM_TIMEOUT_S = 0.3  # t_overrun burns 0.8 s of CPU


@pytest.fixture(scope="module")
def strict() -> Iterator[Scorer]:
    s = build_scorer(make_settings(item_timeout_s=ITEM_TIMEOUT_S))
    yield s
    s.close()


@pytest.mark.parametrize(
    "mode",
    [
        "catch_exception",  # except Exception around the slow loop
        "bare_except",  # except: around it (the deadline's exception is caught; the verifier judges on)
        "finalizer",  # the slow work runs in a __del__, where Python swallows the exception
        "gc_finalizer",  # the same, run by the garbage collector
        "gc_callback",  # the same in a gc.callbacks hook: hypothesis leaves one in the test process, workers inherit it
        "disarm_timer",  # the verifier stops the CPU timer
        "ignore_signal",  # the verifier ignores the timer's signal
    ],
)
def test_overrun_yields_timeout_whatever_the_verifier_catches(strict: Scorer, mode: str) -> None:
    [result] = score(strict, [{"completion": mode}], {"t_overrun": 1.0})
    assert (result["reward"], result["status"]) == (None, "timeout"), result
    assert "deadline" in result["components"][0]["reason"]


def test_overrun_leaves_the_rest_of_its_chunk_judged(strict: Scorer) -> None:
    items = [{"completion": "ok", "reference": "ok"}, {"completion": "bare_except"}, {"completion": "no"}]
    rewards = [{"t_heavy": 1.0}, {"t_overrun": 1.0}, {"t_heavy": 1.0}]
    results = score(strict, [{**item, "rewards": r} for item, r in zip(items, rewards, strict=True)])
    assert [(r["reward"], r["status"]) for r in results] == [(1.0, "ok"), (None, "timeout"), (0.0, "ok")]
