"""The choice verifier: answer styles of real completions, hedges, option text, bad references."""

from __future__ import annotations

from typing import Any

import pytest

from rewards.choice import choice
from rewards.item import Item
from rewards.params import NoParams
from rewards.verdict import Status

GPQA = {"answer": "C", "options": ["10^-4 eV", "10^-11 eV", "10^-8 eV", "10^-9 eV"]}
CAPITALS = {"answer": 2, "options": ["London", "Berlin", "Paris", "Madrid"]}
MMLU_PRO = {"answer": "I", "options": [f"option {c}" for c in "abcdefghij"]}

# (completion, reference, score)
STYLES = [
    ("<think>E = hbar/tau, so about 1e-8 eV is resolvable.</think>The answer is (C).", "C", 1.0),
    ("<think>...</think>\\boxed{C}", "C", 1.0),
    ("Final Answer: The final answer is $\\boxed{\\text{(C)}}$. I hope it is correct.", "C", 1.0),
    ("Let me compare the lifetimes.\n\nAnswer: C", "C", 1.0),
    ("Answer: **C**", "C", 1.0),
    ("answer: (c)", "C", 1.0),
    ("The answer is (c) because the gap must exceed the linewidth.", "C", 1.0),
    ("The answer is (A) prime number.", "A", 1.0),
    ("C", "C", 1.0),
    ("<think>\nLinewidths...\n</think>\n<answer>\nC\n</answer>", "C", 1.0),
    ("<answer>(C) 10^-8 eV</answer>", GPQA, 1.0),
    ("(C) 10^-8 eV", GPQA, 1.0),
    ("The correct option is C because the energy difference must exceed the linewidth.", "C", 1.0),
    ("I think the answer is B.", "C", 0.0),
    ("Long reasoning about each option...\n\nD. None of the above", "D", 1.0),
    ("The answer is Paris.", CAPITALS, 1.0),
    ("\\boxed{Paris}", CAPITALS, 1.0),
    ("Paris", CAPITALS, 1.0),
    ("The answer is Berlin.", CAPITALS, 0.0),
    ("The answer is Paris, the capital of France.", CAPITALS, 1.0),
    ("The answer is (I).", MMLU_PRO, 1.0),
    ("I think it is option I. Answer: I", MMLU_PRO, 1.0),
    ("The answer is A because the rest are wrong.", "A", 1.0),
    ("If the answer were A, x would be 3, which is false. So the answer is C.", "C", 1.0),
    ("The answer is not A. The answer is C.", "C", 1.0),
]

# Hedges: offering several options scores 0 even when one of them is the reference (the math rule).
HEDGES = [
    ("The answer is C or D.", "C"),
    ("The answer is either B or C.", "C"),
    ("Answer: A, B, C", "C"),
    ("Answer: C/D", "C"),
    ("\\boxed{C} or \\boxed{D}", "C"),
    ("\\boxed{C, D}", "C"),
    ("Answer: A\nAnswer: B\nAnswer: C\nAnswer: D", "D"),
    ("The answer is B. Hmm, no: the answer is C.", "C"),
    ("Paris or Berlin", CAPITALS),
    ("Both B and C are correct.", "C"),
]

# No answer to be found: 0 with the reason.
NO_ANSWER = [
    ("<think>The answer is C", "C"),
    ("I am not sure.", "C"),
    ("The answer is a bit tricky.", "A"),
    ("The answer is K.", GPQA),
    ("", "C"),
]


@pytest.mark.parametrize(("completion", "reference", "score"), STYLES)
def test_answer_style_yields_score(completion: str, reference: Any, score: float) -> None:
    verdict = choice(Item(completion, reference), NoParams())
    assert verdict.status is Status.OK
    assert verdict.score == score, verdict.reason


@pytest.mark.parametrize(("completion", "reference"), HEDGES)
def test_hedge_yields_zero(completion: str, reference: Any) -> None:
    verdict = choice(Item(completion, reference), NoParams())
    assert verdict.score == 0.0
    assert verdict.reason.startswith("hack guard: several options offered"), verdict.reason
    assert len(verdict.details["extracted"]) > 1


@pytest.mark.parametrize(("completion", "reference"), NO_ANSWER)
def test_no_answer_yields_zero_with_reason(completion: str, reference: Any) -> None:
    verdict = choice(Item(completion, reference), NoParams())
    assert (verdict.status, verdict.score) == (Status.OK, 0.0)
    assert verdict.reason.startswith("no answer extracted")
    assert verdict.details["extracted"] is None


@pytest.mark.parametrize(
    "reference",
    [
        None,
        "",
        "CD",
        "maybe",
        3,
        {"answer": 5, "options": ["a", "b"]},
        {"answer": "Rome", "options": ["a", "b"]},
        {"answer": "A", "options": ["only one"]},
        {"answer": "A", "options": {"A": "x", "C": "y"}},
        True,
    ],
)
def test_reference_naming_no_option_yields_bad_reference(reference: Any) -> None:
    verdict = choice(Item("The answer is A.", reference), NoParams())
    assert verdict.status is Status.BAD_REFERENCE
    assert verdict.score is None


@pytest.mark.parametrize(
    ("reference", "gold"),
    [
        ("(B)", "B"),
        ("b", "B"),
        ("Option B", "B"),
        ({"answer": 0, "options": ["x", "y"]}, "A"),
        ({"answer": "y", "choices": ["x", "y"]}, "B"),
        ({"answer": "B", "options": {"(A)": "x", "(B)": "y"}}, "B"),
    ],
)
def test_reference_forms_yield_letter(reference: Any, gold: str) -> None:
    verdict = choice(Item(f"The answer is {gold}.", reference), NoParams())
    assert verdict.score == 1.0
    assert verdict.details["reference"] == gold


def test_details_yield_extraction_trace() -> None:
    verdict = choice(Item("<think>hm</think>So the answer is (B).", GPQA), NoParams())
    assert verdict.details["extracted"] == ["B"]
    assert verdict.details["extraction"] == "phrase"
    assert verdict.details["reference"] == "C"
    assert verdict.details["options"] == 4
    assert verdict.reason == "extracted B (phrase); reference C; not equal"
