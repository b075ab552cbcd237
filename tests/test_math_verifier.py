"""Math verifier: answer extraction, reward-hack guards, statuses, limits, cache key and threads."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from rewards import math_verifier
from rewards.errors import ParamError
from rewards.item import Item
from rewards.math_sympy import Side
from rewards.math_verifier import MathParams, math, math_cache_key
from rewards.registry import spec_of
from rewards.verdict import Status, Verdict

R1 = "<think>\nWe need 6 * 7. 6 * 7 = 42.\n</think>\n\n"


def judge(completion: str, reference: object = "42", **params: object) -> Verdict:
    return math(Item(completion=completion, reference=reference), MathParams(**params))  # type: ignore[arg-type]


EXTRACTION = [
    # (completion, reference, score, reason fragment)
    (R1 + "So the product is $\\boxed{42}$.", "42", 1.0, "extracted '42' (boxed)"),
    ("6 * 7 = 42, so \\fbox{42} is the answer.", "42", 1.0, "extracted '42' (boxed)"),
    (
        "First I got $\\boxed{41}$, no wait: 6*7 = 42.\n\n"
        "Final Answer: The final answer is $42$. I hope it is correct.",
        "42",
        0.0,
        "extracted '41' (boxed)",
    ),
    (
        "Multiplying, 6 * 7 = 42.\n\nFinal Answer: The final answer is $42$. I hope it is correct.",
        "42",
        1.0,
        "(phrase)",
    ),
    ("We add 40 and 2.\nThe answer is 42.", "42", 1.0, "(phrase)"),
    ("Answer: $\\frac{1}{2}$", "0.5", 1.0, "(phrase)"),
    ("The largest $n$ is 34.\n\nFinal Answer: The largest $n$ is 34.", "34", 1.0, "(phrase)"),
    ("$x = 5+5+1 = 11$", "11", 1.0, "(bare)"),
    ("If its value was $x$, after both losses it is $.72x$, a total loss of 28%.", "28\\%", 1.0, "(bare)"),
    ("42", "42", 1.0, "fast path"),
    # think tags: only the text after </think> counts
    ("<think>The answer is \\boxed{42}</think> Here's a wrong answer: \\boxed{43}.", "42", 0.0, "extracted '43'"),
    ("<think>Let me compute 6*7 = 42, so \\boxed{42}", "42", 0.0, "unterminated <think>"),
    ("<think>6*7 = 42</think>", "42", 0.0, "no answer extracted"),
    ("Okay, 6 times 7.\n</think>\n\nThe product is $\\boxed{42}$.", "42", 1.0, "(boxed)"),
    ("<think>maybe 41?</think>\n\nThe answer is $42$.", "42", 1.0, "(phrase)"),
    # nested and spaced boxes
    ("So $\\boxed{\\frac{\\sqrt{3}}{2}}$.", "\\frac{\\sqrt3}{2}", 1.0, "(boxed)"),
    ("The answer is \\boxed 7.", "7", 1.0, "(boxed)"),
    ("The answer is $\\boxed{}$.", "7", 0.0, "nothing parseable"),
    ("Checking each option, only B works.\n\n**Answer: B**", "B", 1.0, "(phrase)"),
    ("6 * 7 = 42.\n\n**Final Answer:** 42", "42", 1.0, "(phrase)"),
    ("6 * 7 = 42.\n\nFinal answer: **42**", "42", 1.0, "(phrase)"),
    ("Option C gives 12 apples. Answer: (C) 12", "C", 1.0, "choice letter"),
    ("Adding up the cases gives 42.\n\n**Final Answer**\n\n$42$", "42", 1.0, "(phrase)"),
    ("### Final Answer\n12 apples", "12", 1.0, "(phrase)"),
    ("", "7", 0.0, "empty completion"),
]


@pytest.mark.parametrize(("completion", "reference", "expected", "fragment"), EXTRACTION)
def test_completion_shape_yields_expected_score_and_reason(
    completion: str, reference: str, expected: float, fragment: str
) -> None:
    verdict = judge(completion, reference)
    assert verdict.status is Status.OK
    assert verdict.score == expected, verdict.reason
    assert fragment in verdict.reason
    assert "\n" not in verdict.reason


EXTRACT_MODES = [
    ("The answer is 42.", "boxed", 0.0),
    ("The answer is 42.", "boxed_or_phrase", 1.0),
    ("6 * 7 = 42", "boxed_or_phrase", 0.0),
    ("6 * 7 = 42", "any", 1.0),
    ("so \\boxed{42}", "boxed", 1.0),
]


@pytest.mark.parametrize(("completion", "mode", "expected"), EXTRACT_MODES)
def test_extract_mode_yields_expected(completion: str, mode: str, expected: float) -> None:
    assert judge(completion, "42", extract=mode).score == expected


HACKS = [
    # (completion, reference) — each must score 0 with a hack-guard reason
    ("It could be $\\boxed{41}$ or $\\boxed{42}$.", "42"),
    ("Two candidates: \\boxed{42} \\boxed{43}", "42"),
    ("So the answer is $\\boxed{42 \\text{ or } 43}$.", "42"),
    ("So the answer is $\\boxed{42 \\text{ or } 24}$.", "24"),
    ("I am not sure, the answer is 42 or 43.", "42"),
    ("The answer is either 41 or 42.", "42"),
    ("The answer is $\\boxed{\\text{either } 41 \\text{ or } 42}$.", "42"),
    ("The answer is $\\boxed{42 \\lor 43}$.", "43"),
    ("Hmm. \\boxed{3} \\boxed{4} \\boxed{5} \\boxed{6} \\boxed{7} \\boxed{8} \\boxed{9} \\boxed{10} \\boxed{42}", "42"),
    ("All options: $\\boxed{A, B, C, D}$", "B"),
    ("The answer is (A), (B), (C) or (D).", "C"),
    ("$\\boxed{A}$ $\\boxed{B}$ $\\boxed{C}$ $\\boxed{D}$ $\\boxed{E}$", "D"),
    ("The answer is \\boxed{B \\text{ or } C}.", "B"),
    ("The answer is $\\boxed{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}$.", "7"),
    ("The answer is 38, 39, 40, 41, 42, 43.", "42"),
    ("37 38 39 40 41 42 43 44", "42"),
    ("".join(f"\\boxed{{{i}}}" for i in range(100)), "42"),
    ("$\\boxed{x = 2}$ or maybe $\\boxed{x = -2}$", "2"),
    ("The pair is $\\boxed{(1, 2)}$ or $\\boxed{(2, 1)}$.", "(1,2)"),
    ("So $\\boxed{\\frac{1}{2}}$, or possibly $\\boxed{\\frac{1}{3}}$.", "\\frac{1}{2}"),
    ("So the count is $\\boxed{3} \\text{ (or possibly } 4)$.", "3"),
    ("The answer is $3$, or possibly $4$.", "3"),
    ("The answer is 3. Or maybe 4.", "4"),
]


@pytest.mark.parametrize(("completion", "reference"), HACKS)
def test_hedging_or_spraying_yields_0(completion: str, reference: str) -> None:
    verdict = judge(completion, reference)
    assert verdict.status is Status.OK
    assert verdict.score == 0.0
    assert "hack guard" in verdict.reason


NOT_HACKS = [
    # repeating the same answer, or the reference itself holding several answers, is fine
    ("So $\\boxed{42}$. Double-checking: $6 \\cdot 7 = \\boxed{42}$.", "42"),
    ("Thus $\\boxed{0.5}$, which is $\\boxed{\\frac{1}{2}}$.", "1/2"),
    ("The roots are $\\boxed{2}$ and $\\boxed{3}$.", "2, 3"),
    ("\\boxed{1} and \\boxed{2} and \\boxed{3}", "\\{1,2,3\\}"),
    ("The solutions are $\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}$", "(2, 2), (6, 2)"),
    ("So $x = \\boxed{3 \\text{ or } -3}$.", "\\pm 3"),
    ("The answers are $\\boxed{21, 16, 11}$.", "21,16$ or $11"),
    ("$\\boxed{k = 45} \\quad \\text{and} \\quad \\boxed{n = 2}$", "k = 45, n = 2"),
    ("The vertices are $\\boxed{1, 2, 3}$.", "(1, 2, 3)"),
    ("So $p = \\boxed{0.5}$, or equivalently $\\frac{1}{2}$.", "1/2"),
    ("The answer is \\boxed{5}. Or, to put it differently, five apples.", "5"),
]


@pytest.mark.parametrize(("completion", "reference"), NOT_HACKS)
def test_consistent_or_expected_multiple_answers_yield_1(completion: str, reference: str) -> None:
    verdict = judge(completion, reference)
    assert (verdict.status, verdict.score) == (Status.OK, 1.0), verdict.reason


STATUSES = [
    # (completion, reference, params, status, reason fragment): only the reference can make an item unjudged
    ("\\boxed{42}", None, {}, Status.BAD_REFERENCE, "reference"),
    ("\\boxed{42}", "   ", {}, Status.BAD_REFERENCE, "reference"),
    ("\\boxed{42}", ["42"], {}, Status.BAD_REFERENCE, "reference"),
    ("\\boxed{42}", "\\frac{", {}, Status.BAD_REFERENCE, "could not be parsed"),
    ("\\boxed{42}", "{{{{", {}, Status.BAD_REFERENCE, "could not be parsed"),
    ("\\boxed{42}", "\\boxed{}", {}, Status.BAD_REFERENCE, "could not be parsed"),
    ("\\boxed{42}", "10^{10^{10^{10}}}", {}, Status.BAD_REFERENCE, "too complex"),
    ("So \\boxed{9^{9^{9^{9}}}}", "10^{10^{10^{10}}}", {}, Status.BAD_REFERENCE, "too complex"),
    ("x" * 200_001, "\\frac{", {}, Status.BAD_REFERENCE, "reference"),
]


@pytest.mark.parametrize(("completion", "reference", "params", "status", "fragment"), STATUSES)
def test_unjudgeable_reference_yields_error_status_without_score(
    completion: str, reference: object, params: dict[str, object], status: Status, fragment: str
) -> None:
    verdict = judge(completion, reference, **params)
    assert verdict.status is status
    assert verdict.score is None
    assert fragment in verdict.reason


UNEVALUABLE_ANSWERS = [
    # (completion, reference, params, reason fragment): the completion's own doing, so a judged 0
    ("x" * 200_001, "42", {}, "max_completion_chars"),
    ("The answer is \\boxed{42}. " * 10, "42", {"max_completion_chars": 100}, "exceeds"),
    ("So \\boxed{" + "1+" * 1500 + "1}", "42", {}, "cannot be evaluated: extracted answer of 3001 chars"),
    ("So \\boxed{10^{10^{10^{10}}}}", "42", {}, "power"),
    ("So \\boxed{9^{9^{9^{9}}}}", "7", {}, "power"),
    ("So the answer is 9^9^9^9", "42", {}, "power"),
    ("\\boxed{" + "{" * 10_000 + "}" * 10_000 + "}", "42", {}, "exceeds"),
    ("\\boxed{" + "(" * 100 + "1" + ")" * 100 + "}", "42", {}, "nesting depth"),
    ("\\boxed{" * 5_000, "42", {}, "no answer extracted"),
    ("So \\boxed{{{{{{{2}}}}}}}", "2", {}, "directly nested braces"),
    ("So \\boxed{123456!}", "42", {}, "factorial"),
    ("So \\boxed{" + "9" * 500 + "}", "42", {}, "digits"),
]


@pytest.mark.parametrize(("completion", "reference", "params", "fragment"), UNEVALUABLE_ANSWERS)
def test_unevaluable_answer_yields_judged_0(
    completion: str, reference: object, params: dict[str, object], fragment: str
) -> None:
    verdict = judge(completion, reference, **params)
    assert (verdict.status, verdict.score) == (Status.OK, 0.0), verdict.reason
    assert fragment in verdict.reason


def test_unevaluable_answer_scores_like_a_wrong_one() -> None:
    assert judge("So \\boxed{9^{9^{9^{9}}}}", "7").score == judge("So \\boxed{8}", "7").score == 0.0


def test_numeric_reference_yields_1() -> None:
    assert judge("So $\\boxed{42}$.", 42).score == 1.0
    assert judge("So $\\boxed{0.5}$.", 0.5).score == 1.0


def test_one_megabyte_completion_yields_judged_0_quickly() -> None:
    verdict = judge("word " * 200_000 + "\\boxed{42}", "42")
    assert (verdict.status, verdict.score) == (Status.OK, 0.0)


# the deadline's signal may land in a gc callback another library put in this process (hypothesis's), which drops
# the exception (pytest warns of it): the deadline raises it again soon (tests/test_math_limits.py)
DROPPED_BY_A_GC_CALLBACK = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@DROPPED_BY_A_GC_CALLBACK
def test_slow_reference_past_deadline_yields_timeout() -> None:
    completion = "So $\\boxed{\\frac{x^{12}-1}{x-1} + \\sin^2 x + \\cos^2 x}$."
    verdict = judge(completion, "x^{11}+x^{10}+x^9+x^8+x^7+x^6+x^5+x^4+x^3+x^2+x+2", timeout_s=1e-6)
    assert verdict.status is Status.TIMEOUT
    assert verdict.score is None and "took over" in verdict.reason


def _spin_on(slow_side: str) -> Callable[[Side, Side, int, int], tuple[bool, str]]:
    """A comparison that never ends when ``slow_side`` ("answer", "reference") is not the trivial answer "0"'s side,
    as a pathological answer (or reference) makes sympy's; the verifier judges a trivial answer against the
    reference to tell which side's cost it was."""

    def compare(gold: Side, answer: Side, rounding: int, precision: int) -> tuple[bool, str]:
        while slow_side == "reference" or answer.latex != "0":
            pass
        return False, "compared"

    return compare


@DROPPED_BY_A_GC_CALLBACK
@pytest.mark.parametrize(
    ("slow_side", "expected"), [("answer", (Status.OK, 0.0)), ("reference", (Status.TIMEOUT, None))]
)
def test_slow_comparison_past_deadline_yields_judged_0_only_for_the_answer_cost(
    monkeypatch: pytest.MonkeyPatch, slow_side: str, expected: tuple[Status, float | None]
) -> None:
    monkeypatch.setattr(math_verifier, "compare", _spin_on(slow_side))
    verdict = judge("So $\\boxed{\\frac{x^2-1}{x-1}}$.", "x+1", timeout_s=0.2)
    assert (verdict.status, verdict.score) == expected
    assert "took over" in verdict.reason


def test_recursion_in_answer_parser_yields_judged_0(monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(*args: object) -> tuple[bool, str]:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(math_verifier, "compare", deep)
    verdict = judge("So \\boxed{x+1}.", "x+1+0*y")
    assert (verdict.status, verdict.score) == (Status.OK, 0.0) and "nested too deeply" in verdict.reason


def test_call_off_the_main_thread_yields_same_verdicts() -> None:
    cases = [
        ("So $\\boxed{\\frac{x^2-1}{x-1}}$ for $x \\ne 1$.", "x+1"),
        ("So $\\boxed{(-1, 1)}$.", "\\{x|-1<x<1\\}"),
        ("\\boxed{41} or \\boxed{42}", "42"),
        ("So \\boxed{10^{10^{10^{10}}}}", "42"),
    ]
    on_main = [judge(c, r) for c, r in cases]
    with ThreadPoolExecutor(max_workers=2) as pool:
        off_main = list(pool.map(lambda cr: judge(*cr), cases))
    assert [(v.status, v.score) for v in off_main] == [(v.status, v.score) for v in on_main]
    assert [v.score for v in on_main] == [1.0, 1.0, 0.0, 0.0]


def test_verdict_details_name_extraction_forms_and_rule() -> None:
    verdict = judge(R1 + "So $\\boxed{\\dfrac{1}{2}}$.", "0.5")
    assert verdict.details["extracted"] == "\\dfrac{1}{2}"
    assert verdict.details["answer_normalized"] == "\\frac{1}{2}"
    assert verdict.details["reference_normalized"] == "0.5"
    assert verdict.details["rule"].startswith("fast path")
    slow = judge("So $\\boxed{\\frac{x^2-1}{x-1}}$.", "x+1")
    assert slow.details["rule"] == "math-verify" and slow.details["answer_parsed"]


def test_same_answer_in_different_reasoning_yields_equal_cache_keys() -> None:
    params = MathParams()
    a = Item(completion=R1 + "So $\\boxed{42}$.", reference="42")
    b = Item(completion="6 times 7 gives \\boxed{42}", reference="42")
    c = Item(completion="6 times 7 gives \\boxed{43}", reference="42")
    d = Item(completion="6 times 7 gives \\boxed{42}", reference="43")
    assert math_cache_key(a, params) == math_cache_key(b, params)
    assert len({math_cache_key(x, params) for x in (a, c, d)}) == 3
    assert math_cache_key(a, params) != math_cache_key(a, MathParams(float_rounding=3))
    assert hash(math_cache_key(Item(completion="x" * 300_000, reference="1"), params))


def test_spec_is_heavy_cached_and_picklable() -> None:
    spec = spec_of(math)
    assert spec.name == "math" and spec.heavy and spec.cache_key is math_cache_key
    assert pickle.loads(pickle.dumps(math)) is math
    assert pickle.loads(pickle.dumps(MathParams(timeout_s=2.0))) == MathParams(timeout_s=2.0)


BAD_PARAMS = [
    ({"timeout": 3}, "timeout_s"),
    ({"extract": "last_number"}, "must be one of"),
    ({"timeout_s": 0}, "timeout_s must be positive"),
    ({"float_rounding": -1}, "float_rounding"),
    ({"max_completion_chars": "big"}, "integer"),
]


@pytest.mark.parametrize(("raw", "fragment"), BAD_PARAMS)
def test_unknown_or_invalid_param_yields_param_error(raw: dict[str, object], fragment: str) -> None:
    with pytest.raises(ParamError, match=fragment):
        spec_of(math).parse_params(raw)
