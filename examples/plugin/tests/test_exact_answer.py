"""exact_answer follows the rlvr verifier contract and scores real completions as specified."""

from __future__ import annotations

import importlib.metadata

import pytest
from rlvr_plugin_example import ExactAnswerParams, exact_answer

from rewards import Item, ParamError, Status, default_registry
from rewards.contract import contract_problems
from rewards.registry import spec_of

SPEC = spec_of(exact_answer)


def test_verifier_yields_no_contract_problems() -> None:
    assert contract_problems(SPEC) == []


@pytest.mark.parametrize(
    ("completion", "reference", "params", "score"),
    [
        ("<think>The capital of France is Paris.</think><answer>Paris</answer>", "Paris", {}, 1.0),
        ("<think>hm</think><answer>  paris\n</answer>", "Paris", {}, 1.0),
        ("<think>hm</think><answer>paris</answer>", "Paris", {"case_sensitive": True}, 0.0),
        ("<answer>Lyon</answer> no wait <answer>Paris</answer>", "Paris", {}, 1.0),
        ("<answer>Paris</answer> no wait <answer>Lyon</answer>", "Paris", {}, 0.0),
        ("<think>It is Paris.</think>Paris", "Paris", {}, 0.0),
        ("<final>Paris</final>", "Paris", {"tag": "final"}, 1.0),
        ("", "Paris", {}, 0.0),
    ],
)
def test_completion_yields_score(completion: str, reference: str, params: dict[str, object], score: float) -> None:
    verdict = exact_answer(Item(completion, reference), SPEC.parse_params(params))
    assert (verdict.status, verdict.score) == (Status.OK, score), verdict.reason


@pytest.mark.parametrize("reference", [None, "", "   ", 42, ["Paris"]])
def test_missing_or_non_text_reference_yields_bad_reference(reference: object) -> None:
    verdict = exact_answer(Item("<answer>Paris</answer>", reference), ExactAnswerParams())
    assert verdict.status is Status.BAD_REFERENCE
    assert verdict.score is None


def test_verdict_details_say_what_was_compared_and_which_rule_decided() -> None:
    verdict = exact_answer(Item("<answer>PARIS</answer>", "paris"), ExactAnswerParams())
    assert verdict.details == {"extracted": "paris", "expected": "paris", "rule": "exact match, case ignored"}


@pytest.mark.parametrize(("params", "message"), [({"tag": "<a>"}, "plain tag name"), ({"tags": "a"}, "valid: ")])
def test_bad_params_yield_param_error(params: dict[str, object], message: str) -> None:
    with pytest.raises(ParamError, match=message):
        SPEC.parse_params(params)


def test_installed_package_yields_registered_plugin() -> None:
    names = [ep.name for ep in importlib.metadata.entry_points(group="rlvr.verifiers")]
    assert "exact_answer" in names
    spec = default_registry().get("exact_answer")
    assert spec.source == "plugin:rlvr-plugin-example"
