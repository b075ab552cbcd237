"""Text-shaping rewards against hand-computed values: repetition (n-gram) and reasoning_steps (open-r1)."""

from __future__ import annotations

import pytest

from rewards.item import Item
from rewards.reasoning_steps import ReasoningStepsParams, reasoning_steps
from rewards.registry import spec_of
from rewards.repetition import RepetitionParams, repetition
from rewards.verdict import Status

LOOP_ZH = "我们再检查一下。" * 3  # 8 tokens a round (7 Han + "。"): 22 trigrams, 8 distinct


@pytest.mark.parametrize(
    ("completion", "ngram_size", "max_penalty", "expected"),
    [
        ("a b c a b c", 3, -1.0, -1 / 4),  # 4 trigrams, 3 distinct
        ("five five five five five", 2, -1.0, -3 / 4),  # TRL's docstring example: 4 bigrams, 1 distinct
        ("The sum is 27. So the answer is 27.", 3, -1.0, 0.0),  # no trigram repeats
        ("Wait wait WAIT wait", 1, -1.0, -3 / 4),  # lower-cased: 4 unigrams, 1 distinct
        ("a b c a b c", 3, -0.5, -1 / 8),
        ("", 3, -1.0, 0.0),
        ("a b", 3, -1.0, 0.0),  # fewer tokens than n
        (LOOP_ZH, 3, -1.0, -(1 - 8 / 22)),  # each CJK character is a token
        ("Let me check again. " * 50, 3, -1.0, -(1 - 4 / 198)),  # 200 words, 198 trigrams, 4 distinct
    ],
)
def test_ngram_repeats_yield_scaled_penalty(completion: str, ngram_size: int, max_penalty: float,
                                            expected: float) -> None:
    verdict = repetition(Item(completion), RepetitionParams(ngram_size=ngram_size, max_penalty=max_penalty))
    assert verdict.status is Status.OK
    assert verdict.score == pytest.approx(expected)
    assert f"{verdict.score:.3f}" in verdict.reason or "no penalty" in verdict.reason


def test_cjk_loop_without_spaces_yields_penalty_whitespace_split_would_miss() -> None:
    assert len(LOOP_ZH.split()) == 1  # open-r1's text.split() sees one word and no repetition
    assert (repetition(Item(LOOP_ZH), RepetitionParams()).score or 0) < -0.6


@pytest.mark.parametrize(("raw", "message"), [({"ngram_size": 0}, "ngram_size must be at least 1"),
                                              ({"max_penalty": 0.5}, "max_penalty must not be positive")])
def test_bad_repetition_params_yield_param_error(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spec_of(repetition).parse_params(raw)


@pytest.mark.parametrize(
    ("completion", "target", "steps", "expected"),
    [
        ("Step 1: factor 51 = 3 * 17.\nStep 2: add 3 + 17.\nStep 3: the sum is 20.", 3, 3, 1.0),
        ("First, we factor 51. Next, we add the factors.", 3, 2, 2 / 3),
        ("First, Second, Next, Finally, done.", 3, 4, 1.0),
        # open-r1's ^ has no MULTILINE: only a numbered item at the very start counts
        ("1. Factor 51.\n2. Add the factors.\n3. Report 20.", 3, 1, 1 / 3),
        ("We list:\n- 3\n- 17\n* and their sum 20", 3, 3, 1.0),
        ("- 3 at the start does not follow a newline\n- 17", 3, 1, 1 / 3),
        ("The answer is 20.", 3, 0, 0.0),
        ("", 3, 0, 0.0),
        ("First, 3 * 17 = 51.", 1, 1, 1.0),
    ],
)
def test_step_markers_yield_open_r1_score(completion: str, target: int, steps: int, expected: float) -> None:
    verdict = reasoning_steps(Item(completion), ReasoningStepsParams(target_steps=target))
    assert verdict.details["steps"] == steps
    assert verdict.score == pytest.approx(expected)
    assert verdict.reason.startswith(f"{steps} step marker(s) of {target} wanted")
