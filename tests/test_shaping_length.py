"""Length-shaping rewards against hand-computed values at the boundaries: overlong, cosine_length, length_penalty."""

from __future__ import annotations

import math

import pytest

from rewards import shaping
from rewards.cosine_length import CosineLengthParams, cosine_length
from rewards.item import Item
from rewards.length_penalty import LengthPenaltyParams, length_penalty
from rewards.overlong import OverlongParams, overlong
from rewards.registry import Registry, default_registry, spec_of, verifier
from rewards.verdict import Status, Verdict


@verifier("math")
def fake_math(item: Item, params: object) -> Verdict:
    """Correct when the reference says "right"; "hang" stands for a math timeout."""
    if item.reference == "hang":
        return Verdict.fail(Status.TIMEOUT, "math timed out after 5.0 s")
    return Verdict.ok(1.0 if item.reference == "right" else 0.0, f"reference {item.reference}")


@pytest.fixture
def fake_correctness(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests judge correctness with a fake ``math`` so the formulas are tested alone."""
    registry = Registry()
    registry.register(fake_math)
    monkeypatch.setattr(shaping, "correctness_registry", lambda: registry)


@pytest.mark.parametrize(
    ("tokens", "max_length", "cache_length", "factor", "expected"),
    [
        (0, 20480, 4096, 1.0, 0.0),
        (16384, 20480, 4096, 1.0, 0.0),  # exactly L_max - L_cache: still free
        (16385, 20480, 4096, 1.0, -1 / 4096),
        (18432, 20480, 4096, 1.0, -0.5),
        (20480, 20480, 4096, 1.0, -1.0),  # exactly L_max
        (20481, 20480, 4096, 1.0, -1.0),
        (1_000_000, 20480, 4096, 1.0, -1.0),
        (90, 100, 20, 1.0, -0.5),  # TRL's docstring example
        (80, 100, 20, 1.0, 0.0),
        (100, 100, 0, 1.0, 0.0),  # no soft zone: a cliff at L_max
        (101, 100, 0, 1.0, -1.0),
        (90, 100, 20, 0.5, -0.25),  # veRL's penalty_factor
    ],
)
def test_token_length_yields_dapo_eq13(tokens: int, max_length: int, cache_length: int, factor: float,
                                       expected: float) -> None:
    params = OverlongParams(max_length=max_length, cache_length=cache_length, penalty_factor=factor)
    verdict = overlong(Item("ignored", completion_tokens=tokens), params)
    assert verdict.score == pytest.approx(expected)
    assert verdict.reason.startswith(f"{tokens} tokens")
    assert verdict.details["estimated"] is False


@pytest.mark.parametrize(
    ("completion", "tokens"),
    [("hello world", 3), ("你好世界", 4), ("答案是 42", 4), ("", 0), ("x" * 81_924, 20_481)],
)
def test_missing_completion_tokens_yields_estimate_said_in_reason(completion: str, tokens: int) -> None:
    verdict = overlong(Item(completion), OverlongParams())
    assert {k: verdict.details[k] for k in ("tokens", "estimated", "max_length", "cache_length")} == {
        "tokens": tokens, "estimated": True, "max_length": 20480, "cache_length": 4096}
    assert verdict.details["rule"].startswith("DAPO Eq. 13")
    assert verdict.reason.startswith(f"≈{tokens} tokens (estimated as CJK characters + other characters / 4")
    assert verdict.score == (-1.0 if tokens > 20480 else 0.0)


@pytest.mark.parametrize(("raw", "message"), [({"cache_length": 30000}, "cache_length must be within"),
                                              ({"max_length": 0}, "max_length must be positive"),
                                              ({"penalty_factor": -1}, "must not be negative")])
def test_inconsistent_overlong_params_yield_param_error(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spec_of(overlong).parse_params(raw)


@pytest.mark.parametrize(
    ("chars", "reference", "expected"),
    [
        (0, "right", 1.0),
        (250, "right", 0.5 + 0.25 * (1 + math.cos(math.pi / 4))),
        (500, "right", 0.75),
        (1000, "right", 0.5),
        (2000, "right", 0.5),  # clipped: open-r1's unclipped cosine would climb back to 1.0 here
        (0, "wrong", -1.0),
        (500, "wrong", -0.75),
        (1000, "wrong", -0.5),
        (5000, "wrong", -0.5),
    ],
)
@pytest.mark.usefixtures("fake_correctness")
def test_length_and_correctness_yield_cosine_scaled_reward(chars: int, reference: str, expected: float) -> None:
    verdict = cosine_length(Item("x" * chars, reference=reference), CosineLengthParams())
    assert verdict.status is Status.OK
    assert verdict.score == pytest.approx(expected)
    assert verdict.details["correct"] is (reference == "right")
    assert f"{chars} chars of max_len 1000" in verdict.reason


@pytest.mark.usefixtures("fake_correctness")
def test_cosine_in_tokens_yields_reward_from_completion_tokens() -> None:
    verdict = cosine_length(Item("x" * 10, reference="right", completion_tokens=500),
                            CosineLengthParams(unit="tokens"))
    assert verdict.score == pytest.approx(0.75)
    assert "500 tokens of max_len 1000" in verdict.reason


@pytest.mark.parametrize(
    ("correctness", "reference", "status", "reason"),
    [
        ("math", "hang", Status.TIMEOUT, "correctness (math) not judged: math timed out after 5.0 s"),
        ("mathh", "right", Status.UNKNOWN_VERIFIER, "unknown verifier 'mathh'; known: math"),
        ("cosine_length", "right", Status.BAD_PARAMS, "is itself a shaping reward"),
    ],
)
@pytest.mark.usefixtures("fake_correctness")
def test_unjudged_correctness_yields_its_status(correctness: str, reference: str, status: Status, reason: str) -> None:
    verdict = cosine_length(Item("x", reference=reference), CosineLengthParams(correctness=correctness))
    assert verdict.status is status
    assert verdict.score is None
    assert reason in verdict.reason


def group(*specs: tuple[int, str], name: str | None = "g1", tokens: bool = False) -> list[Item]:
    return [Item("y" * n, reference=ref, group=name, completion_tokens=n if tokens else None) for n, ref in specs]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        # lengths 100/200/300: λ = 0.5, 0.0, -0.5
        (group((100, "right"), (200, "right"), (300, "right")), [0.5, 0.0, -0.5]),
        (group((100, "wrong"), (200, "wrong"), (300, "wrong")), [0.0, 0.0, -0.5]),
        (group((100, "wrong"), (150, "right"), (300, "right")), [0.0, 0.25, -0.5]),
        (group((400, "right"), (100, "wrong")), [-0.5, 0.0]),
        (group((120, "right"), (120, "wrong"), (120, "right")), [0.0, 0.0, 0.0]),  # no length signal
        (group((100, "right"), (300, "right"), tokens=True), [0.5, -0.5]),
    ],
)
@pytest.mark.usefixtures("fake_correctness")
def test_group_lengths_yield_kimi_penalty(items: list[Item], expected: list[float]) -> None:
    verdicts = length_penalty(items, LengthPenaltyParams())
    assert [v.score for v in verdicts] == pytest.approx(expected)
    assert all(v.status is Status.OK for v in verdicts)
    unit = "tokens" if items[0].completion_tokens is not None else "chars"
    assert all(v.details["unit"] == unit for v in verdicts)


@pytest.mark.parametrize(
    ("items", "params", "reason"),
    [
        (group((100, "right"), (200, "right"), name=None), LengthPenaltyParams(), "item has no group"),
        (group((100, "right")), LengthPenaltyParams(), "group 'g1' has 1 item(s); length_penalty needs at least 2"),
        (group((100, "right"), (200, "right"), (300, "wrong")), LengthPenaltyParams(group_size=4),
         "group 'g1' has 3 item(s); length_penalty needs all 4"),
    ],
)
@pytest.mark.usefixtures("fake_correctness")
def test_incomplete_group_yields_incomplete_group_status(items: list[Item], params: LengthPenaltyParams,
                                                         reason: str) -> None:
    verdicts = length_penalty(items, params)
    assert len(verdicts) == len(items)
    assert all(v.status is Status.INCOMPLETE_GROUP and v.score is None and reason in v.reason for v in verdicts)


@pytest.mark.usefixtures("fake_correctness")
def test_mixed_groups_yield_verdicts_in_input_order() -> None:
    items = [*group((100, "right"), name="a"), *group((300, "right"), name="b"), *group((300, "right"), name="a")]
    verdicts = length_penalty(items, LengthPenaltyParams())
    assert [v.score for v in verdicts] == [0.5, None, -0.5]
    assert verdicts[1].status is Status.INCOMPLETE_GROUP


@pytest.mark.usefixtures("fake_correctness")
def test_unjudged_item_in_group_yields_its_status_and_others_scored() -> None:
    verdicts = length_penalty(group((100, "right"), (200, "hang"), (300, "right")), LengthPenaltyParams())
    assert [v.status for v in verdicts] == [Status.OK, Status.TIMEOUT, Status.OK]
    assert [verdicts[0].score, verdicts[2].score] == [0.5, -0.5]


@pytest.mark.parametrize(
    ("completion", "reference", "correct"),
    [
        ("<think>\n17 * 3 = 51.\n</think>\nThe answer is $\\boxed{51}$.", "51", True),
        ("<think>\n17 * 3 = 41.\n</think>\nThe answer is $\\boxed{41}$.", "51", False),
    ],
)
def test_real_math_correctness_yields_cosine_reward(completion: str, reference: str, correct: bool) -> None:
    """Through the real registry: cosine_length finds ``math`` by name, no import of it needed."""
    shaping.correctness_registry.cache_clear()
    verdict = cosine_length(Item(completion, reference=reference), CosineLengthParams())
    assert verdict.status is Status.OK, verdict.reason
    assert verdict.details["correct"] is correct
    cosine = math.cos(math.pi * len(completion) / 1000)
    expected = 0.75 + 0.25 * cosine if correct else -0.75 - 0.25 * cosine
    assert verdict.score == pytest.approx(expected)


def test_shaping_rewards_are_registered_once() -> None:
    names = default_registry(plugins=False).names()
    for name in ("overlong", "cosine_length", "repetition", "reasoning_steps", "length_penalty", "language",
                 "format", "tag_count"):
        assert names.count(name) == 1
