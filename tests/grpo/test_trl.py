"""The TRL adapter, called exactly as TRL 1.16's GRPOTrainer._calculate_rewards calls reward functions.

TRL builds ``reward_kwargs`` from every dataset column but prompt/completion/completion_ids,
adds ``trainer_state``, ``log_extra`` and ``log_metric``, calls sync functions with keyword
arguments only, awaits those ``is_async_callable`` recognises on a daemon event loop, turns
None into NaN, and names each function by ``get_callable_name``.
"""

from __future__ import annotations

import inspect
import json
import math
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from grpo.trl import AsyncRLVRReward, RLVRReward, message_text, rlvr_reward
from tests.grpo.fakes import UNJUDGEABLE, score_handler
from tests.grpo.harness import TrainerLike, callable_name, is_async_callable


@pytest.fixture
def trainer() -> Any:
    t = TrainerLike()
    yield t
    t.close()


STANDARD = {
    "prompts": ["What is 2+2?", "What is 2+2?", "Name a prime."],
    "completions": ["<think>2+2=4</think>4", UNJUDGEABLE, "<think>hm</think>7"],
}
CONVERSATIONAL = {
    "prompts": [
        [{"role": "system", "content": "Think first."}, {"role": "user", "content": "What is 2+2?"}],
        [{"role": "system", "content": "Think first."}, {"role": "user", "content": "What is 2+2?"}],
        [{"role": "user", "content": "Name a prime."}],
    ],
    "completions": [
        [{"role": "assistant", "content": "<think>2+2=4</think>4"}],
        [{"role": "assistant", "content": UNJUDGEABLE}],
        [{"role": "assistant", "content": [{"type": "text", "text": "<think>hm</think>7"}]}],
    ],
}
INPUTS = [
    {"prompt": "p", "solution": "4", "difficulty": 1},
    {"prompt": "p", "solution": "4", "difficulty": 1},
    {"prompt": "q", "solution": "7", "difficulty": 3},
]
IDS = [[1, 2, 3], [4], [5, 6]]


def make(kind: str, seen: list[httpx.Request], **options: Any) -> Callable[..., Any]:
    client_options = {"transport": httpx.MockTransport(score_handler(seen))}
    if kind == "async-factory":
        return rlvr_reward({"format": 1.0}, asynchronous=True, client_options=client_options, **options)
    if kind == "async-class":
        return AsyncRLVRReward({"format": 1.0}, client_options=client_options, **options)
    return RLVRReward({"format": 1.0}, client_options=client_options, **options)


KINDS = ["sync", "async-factory"] + (["async-class"] if hasattr(inspect, "markcoroutinefunction") else [])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch", [STANDARD, CONVERSATIONAL], ids=["standard", "conversational"])
def test_trl_call_yields_one_reward_per_completion_with_nan_for_unjudged(
    trainer: TrainerLike, kind: str, batch: dict[str, list[Any]]
) -> None:
    seen: list[httpx.Request] = []
    rewards = trainer.calculate_rewards(make(kind, seen), INPUTS, batch["prompts"], batch["completions"], IDS)
    assert rewards[0] == len("<think>2+2=4</think>4")
    assert math.isnan(rewards[1])
    assert rewards[2] == len("<think>hm</think>7")
    items = json.loads(seen[0].content)["items"]
    assert [i["completion"] for i in items] == ["<think>2+2=4</think>4", UNJUDGEABLE, "<think>hm</think>7"]
    assert [i["reference"] for i in items] == ["4", "4", "7"]
    assert [i["group"] for i in items] == [0, 0, 1]
    assert [i["prompt"] for i in items] == ["What is 2+2?", "What is 2+2?", "Name a prime."]
    assert [i["completion_tokens"] for i in items] == [3, 1, 2]


@pytest.mark.parametrize("kind", KINDS)
def test_trl_logging_hooks_yield_component_scores_and_unjudged_fraction(trainer: TrainerLike, kind: str) -> None:
    fn = make(kind, [], name="fmt")
    trainer.calculate_rewards(fn, INPUTS, STANDARD["prompts"], STANDARD["completions"], IDS)
    assert trainer.metrics["fmt/unjudged_fraction"] == [pytest.approx(1 / 3)]
    assert trainer.metrics["fmt/format"] == [pytest.approx((21 + 18) / 2)]
    assert trainer.extra["fmt/format"] == [21.0, None, 18.0]
    assert trainer.extra["fmt/status"] == ["ok", "timeout", "ok"]


@pytest.mark.parametrize(
    ("rewards", "name", "expected"),
    [({"math": 1.0, "format": 0.2}, None, "rlvr_math_format"), ("math", None, "rlvr_math"), ("math", "acc", "acc")],
)
def test_reward_function_name_yields_what_trl_logs(rewards: Any, name: str | None, expected: str) -> None:
    assert callable_name(rlvr_reward(rewards, name=name)) == expected
    # regression: the async form was a partial over a bound __call__, which TRL logs as "__call__"
    assert callable_name(rlvr_reward(rewards, name=name, asynchronous=True)) == expected


@pytest.mark.parametrize(("asynchronous", "is_async"), [(False, False), (True, True)])
def test_factory_yields_functions_trl_classifies_correctly(asynchronous: bool, is_async: bool) -> None:
    fn = rlvr_reward("format", asynchronous=asynchronous)
    assert is_async_callable(fn) is is_async


@pytest.mark.parametrize("kind", KINDS)
def test_reward_function_yields_a_working_copy_through_pickle(trainer: TrainerLike, kind: str) -> None:
    fn = make(kind, [])
    trainer.calculate_rewards(fn, INPUTS, STANDARD["prompts"], STANDARD["completions"], IDS)  # opens a client
    restored = pickle.loads(pickle.dumps(fn))
    assert restored.__name__ == fn.__name__
    assert is_async_callable(restored) == is_async_callable(fn)
    rewards = trainer.calculate_rewards(restored, INPUTS, STANDARD["prompts"], STANDARD["completions"], IDS)
    assert rewards[0] == 21.0


def test_missing_reference_column_yields_key_error_naming_it(trainer: TrainerLike) -> None:
    fn = make("sync", [], reference_column="answer")
    with pytest.raises(KeyError, match="'answer'"):
        trainer.calculate_rewards(fn, INPUTS, STANDARD["prompts"], STANDARD["completions"], IDS)


def test_no_reference_column_yields_items_without_reference(trainer: TrainerLike) -> None:
    seen: list[httpx.Request] = []
    fn = make("sync", seen, reference_column=None)
    trainer.calculate_rewards(fn, [{"prompt": "p"}] * 3, STANDARD["prompts"], STANDARD["completions"], IDS)
    assert all("reference" not in i for i in json.loads(seen[0].content)["items"])


def test_fill_value_yields_it_instead_of_none(trainer: TrainerLike) -> None:
    fn = make("sync", [], fill_value=0.0)
    assert trainer.calculate_rewards(fn, INPUTS, STANDARD["prompts"], STANDARD["completions"], IDS)[1] == 0.0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        (
            [
                {"role": "assistant", "content": "a"},
                {"role": "tool", "content": "t"},
                {"role": "assistant", "content": "b"},
            ],
            "a\nb",
        ),
        (
            [{"role": "system", "content": "s"}, {"role": "user", "content": "u1"}, {"role": "user", "content": "u2"}],
            "u2",
        ),
        ([{"role": "assistant", "content": [{"type": "image"}, {"type": "text", "text": "x"}]}], "x"),
        ([{"role": "assistant", "content": None}], ""),
    ],
)
def test_message_text_yields_the_scored_text(value: Any, text: str) -> None:
    assert message_text(value) == text
