"""Format verifiers: tables of real completion shapes and what each verdict says."""

from __future__ import annotations

import pickle
import random
import re

import pytest

from rewards.format import (
    STRICT_PATTERN,
    FormatParams,
    TagCountParams,
    format_reward,
    multiline_match,
    strict_match,
    tag_count,
)
from rewards.item import Item
from rewards.registry import spec_of
from rewards.verdict import Status

R1_GOOD = (
    "<think>\nThe triangle has legs 3 and 4, so the hypotenuse is sqrt(9+16)=5.\n</think>\n\n"
    "The hypotenuse is $\\boxed{5}$."
)
STRICT_GOOD = "<think>\nWe need 17 * 3. 17 * 3 = 51.\n</think>\n<answer>\n51\n</answer>"

R1_CASES = [
    # (completion, think_prefilled, score, reason fragment)
    (R1_GOOD, False, 1.0, "well-formed"),
    ("  \n<think>Short thought.</think>Answer: 12", False, 1.0, "well-formed"),
    (STRICT_GOOD, False, 1.0, "well-formed"),
    ("The answer is 5.", False, 0.0, "no <think> tag"),
    ("Let me think. <think>x=2</think> so 2", False, 0.0, "text before the opening <think> (found at char 14)"),
    ("<think>I will add the numbers 2 and 3 and get 5", False, 0.0, "unclosed <think>"),
    ("<think>   \n </think>The answer is 7.", False, 0.0, "empty <think> block"),
    ("<think>2+2=4</think>\n\n   ", False, 0.0, "empty answer after </think>"),
    ("<think>first try</think>hmm<think>again</think>4", False, 0.0, "second </think> at char 39"),
    ("<think>first <think>nested</think>4", False, 0.0, "second <think> at char 13"),
    ("<think>ok</think>The answer is 4. <think>", False, 0.0, "stray <think> at char 34 after </think>"),
    ("2+2 is 4.</think>The answer is 4.", False, 0.0, "</think> without an opening <think>"),
    # a chat template that ends the prompt with "<think>\n": the completion starts inside the block
    ("Okay, 6 times 7 is 42.\n</think>\n\n**42**", True, 1.0, "well-formed"),
    ("<think>\nOkay, 6 times 7 is 42.\n</think>\n42", True, 0.0, "second <think> at char 0"),
    ("Okay, 6 times 7 is 42 and that is all", True, 0.0, "unclosed <think>"),
    ("\n</think>\n42", True, 0.0, "empty <think> block"),
]


@pytest.mark.parametrize(("completion", "prefilled", "score", "reason"), R1_CASES)
def test_r1_shape_yields_score_and_reason(completion: str, prefilled: bool, score: float, reason: str) -> None:
    verdict = format_reward(Item(completion), FormatParams(style="r1", think_prefilled=prefilled))
    assert verdict.status is Status.OK
    assert verdict.score == score
    assert reason in verdict.reason


STRICT_CASES = [
    (STRICT_GOOD, False, 1.0, "well-formed"),
    (STRICT_GOOD + "\n", False, 1.0, "well-formed"),
    ("<think>\n\n</think>\n<answer>\n\n</answer>", False, 1.0, "well-formed"),
    (R1_GOOD, False, 0.0, "'</think>' at char 74 is not followed by '\\n<answer>\\n'"),
    ("<think>We need 17 * 3.\n</think>\n<answer>\n51\n</answer>", False, 0.0, "does not start with '<think>\\n'"),
    ("<think>\nWe need 17 * 3.\n</think>\n<answer>\n51</answer>", False, 0.0, "does not end with '\\n</answer>'"),
    (STRICT_GOOD + "\nI hope this helps!", False, 0.0, "does not end with '\\n</answer>'"),
    ("<think>\nno closing tag\n<answer>\n51\n</answer>", False, 0.0, "no '\\n</think>\\n'"),
    ("We need 17 * 3. 17 * 3 = 51.\n</think>\n<answer>\n51\n</answer>", True, 1.0, "well-formed"),
    ("We need 17 * 3.\n</think>\n51", True, 0.0, "'</think>' at char 16"),
]


@pytest.mark.parametrize(("completion", "prefilled", "score", "reason"), STRICT_CASES)
def test_strict_shape_yields_score_and_reason(completion: str, prefilled: bool, score: float, reason: str) -> None:
    verdict = format_reward(Item(completion), FormatParams(style="strict", think_prefilled=prefilled))
    assert verdict.status is Status.OK
    assert verdict.score == score
    assert reason in verdict.reason


COT = "We need 17 * 3. Ten threes are 30, seven threes are 21, and 30 + 21 = 51."
ONE_OF_EACH = [
    # (completion, think_prefilled, strict score, open_r1_exact score): the regex alone accepts repeated tags
    (f"<think>\n{COT}\n</think>\n<answer>\n51\n</answer>", False, 1.0, 1.0),
    (f"<think>\n{COT}\n</think>\n<think>\nCheck: 51/3 = 17.\n</think>\n<answer>\n51\n</answer>", False, 0.0, 1.0),
    (f"<think>\nFirst <think>\n{COT}\n</think>\n<answer>\n51\n</answer>", False, 0.0, 1.0),
    (f"<think>\n{COT}\n</think>\n<answer>\n51\n</answer>\n<answer>\n52\n</answer>", False, 0.0, 1.0),
    (f"<think>\n{COT}\n</think>\n<answer>\n51 <answer> 52\n</answer>", False, 0.0, 1.0),
    (f"<think>\n{COT}\n</think>\n<answer>\n51\n</answer>\nThanks for asking!", False, 0.0, 1.0),
    (f"<think>\n{COT} The tag </answer> closes the answer.\n</think>\n<answer>\n51\n</answer>", False, 0.0, 1.0),
    (f"{COT}\n</think>\n<answer>\n51\n</answer>", True, 1.0, 1.0),
    (f"<think>\n{COT}\n</think>\n<answer>\n51\n</answer>", True, 0.0, 1.0),
    (f"{COT}\n</think>\n<answer>\n51\n</answer>\n<answer>\n51\n</answer>", True, 0.0, 1.0),
    (f"<think>\n{COT}\n</think>\n<answer>\n51</answer>", False, 0.0, 0.0),
]


@pytest.mark.parametrize(("completion", "prefilled", "strict", "exact"), ONE_OF_EACH)
def test_repeated_tags_yield_0_unless_open_r1_exact(
    completion: str, prefilled: bool, strict: float, exact: float
) -> None:
    ours = format_reward(Item(completion), FormatParams(style="strict", think_prefilled=prefilled))
    theirs = format_reward(
        Item(completion), FormatParams(style="strict", think_prefilled=prefilled, open_r1_exact=True)
    )
    assert (ours.score, theirs.score) == (strict, exact), (ours.reason, theirs.reason)
    if strict == 0.0 and exact == 1.0:
        assert "each tag must occur once" in ours.reason or "does not end" in ours.reason


def test_open_r1_exact_yields_same_as_open_r1_call_on_random_shapes() -> None:
    pieces = ["<think>", "</think>", "<answer>", "</answer>", "\n", "x", " "]
    rng = random.Random(11)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        for candidate in (text, "<think>\n" + text, "<think>\n" + text + "\n</answer>\nmore"):
            expected = bool(re.match(STRICT_PATTERN.pattern, candidate, re.DOTALL | re.MULTILINE))
            assert multiline_match(candidate) == expected, repr(candidate)


def test_open_r1_exact_with_r1_style_yields_param_error() -> None:
    with pytest.raises(ValueError, match="open_r1_exact"):
        spec_of(format_reward).parse_params({"style": "r1", "open_r1_exact": True})


TAG_CASES = [
    (STRICT_GOOD, False, 1.0),
    ("<think>\nhm\n</think>\nThe answer is 3.", False, 0.5),
    ("plain answer 3", False, 0.0),
    ("<think>\na\n</think>\n<think>\nb\n</think>\n<answer>\n3\n</answer>", False, 0.5),
    ("x\n</think>\n<answer>\n3\n</answer>", True, 1.0),
    ("x\n</think>\n<answer>\n3\n</answer>", False, 0.75),
]


@pytest.mark.parametrize(("completion", "prefilled", "score"), TAG_CASES)
def test_tag_count_yields_quarter_per_tag_found_once(completion: str, prefilled: bool, score: float) -> None:
    verdict = tag_count(Item(completion), TagCountParams(think_prefilled=prefilled))
    assert verdict.status is Status.OK
    assert verdict.score == score
    assert verdict.reason.startswith(f"{int(score * 4)}/4 tags once")
    assert sum(n == 1 for n in verdict.details["counts"].values()) == int(score * 4)


def test_unknown_style_yields_param_error_naming_choices() -> None:
    with pytest.raises(ValueError, match="'r1', 'strict'"):
        spec_of(format_reward).parse_params({"style": "xml"})


@pytest.mark.parametrize("fn", [format_reward, tag_count])
def test_verifiers_pickle_and_survive_huge_input(fn: object) -> None:
    spec = spec_of(pickle.loads(pickle.dumps(fn)))
    huge = "<think>\n" + "step " * 400_000 + "\n</think>\n<answer>\n1\n</answer>"
    assert spec.fn(Item(huge), spec.parse_params({})).score == 1.0
    assert spec.fn(Item(""), spec.parse_params({})).score == 0.0


def test_strict_match_yields_same_as_open_r1_regex_on_random_shapes() -> None:
    pieces = ["<think>", "</think>", "<answer>", "</answer>", "\n", "x", " "]
    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        for candidate in (text, "<think>\n" + text, text + "\n</answer>", "<think>\n" + text + "\n</answer>\n"):
            assert strict_match(candidate) == bool(STRICT_PATTERN.match(candidate)), repr(candidate)


@pytest.mark.parametrize(
    "completion",
    [
        "<think>\n" + "\n</think>\n<answer>\n" * 50_000 + "x",  # quadratic for the lazy regex
        "<think>" * 100_000,
        "<think>x</think>" + "</think>" * 100_000,
    ],
)
@pytest.mark.parametrize("style", ["r1", "strict"])
def test_adversarial_repeated_tags_yield_zero(completion: str, style: str) -> None:
    params = spec_of(format_reward).parse_params({"style": style})
    assert format_reward(Item(completion), params).score == 0.0


T, A = "Ten threes are 30, seven threes are 21, and 30 + 21 = 51.", "51"
OPEN_R1 = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL | re.MULTILINE)
STRICT_TABLE = [
    # (completion, strict score): one think block, one answer block, the four exact tags, nothing around them
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>", 1.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>\n", 1.0),  # "$" also matches before one final newline
    (f"<think>\n{T}\nSo x < 3 and y > 2.\n</think>\n<answer>\n{A}\n</answer>", 1.0),  # comparisons are not tags
    (f"<think>\n\n{T}\n\n</think>\n<answer>\n\n{A}\n\n</answer>", 1.0),  # blank lines inside blocks
    (f"<think>\nFirst,\n{T}\nThinking more, yes.\n</think>\n<answer>\n```\n{A}\n```\n</answer>", 1.0),
    ("<think>\n\n</think>\n<answer>\n\n</answer>", 1.0),  # empty blocks: open-r1's pattern allows them
    # repeated, nested or misplaced tags
    (f"<think>\n{T}\n</think>\n<think>\nCheck.\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n<think>\n{T}\n</think>\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\nHmm <think>\n{T}\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>\n<answer>\n52\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>\n<answer>\n{A}\n</answer>", 0.0),  # even the same answer
    (f"<think>\n{T}\n</think>\n<answer>\n{A} <answer> 52\n</answer>", 0.0),
    (f"<think>\n{T} <answer>52</answer>\n</think>\n<answer>\n{A}\n</answer>", 0.0),  # an answer inside the think
    (f"<think>\n{T} so </answer>\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A} </think>\n</answer>", 0.0),
    (f"<answer>\n{A}\n</answer>\n<think>\n{T}\n</think>", 0.0),  # out of order
    (f"</think>\n{T}\n<think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n<answer>\n{A}\n</answer>\n</think>", 0.0),
    # tag-like variants: case, spaces, attributes, self-closing
    (f"<THINK>\n{T}\n</THINK>\n<ANSWER>\n{A}\n</ANSWER>", 0.0),
    (f"<Think>\n{T}\n</Think>\n<Answer>\n{A}\n</Answer>", 0.0),
    (f"<think>\n{T} <ANSWER>52</ANSWER>\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A} <Answer>52</Answer>\n</answer>", 0.0),
    (f"<think>\n{T} <Think>again\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>\n< answer >52</ answer >", 0.0),
    (f"< think >\n{T}\n</ think >\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer type='final'>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T} <answer id=2>52</answer>\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T} <think/>\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    # whitespace and newlines around the tags
    (f" <think>\n{T}\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"\n<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think> \n{T}\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>{T}\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think><answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think> <answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A}</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>\n\n", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer> ", 0.0),
    (f"<think>\r\n{T}\r\n</think>\r\n<answer>\r\n{A}\r\n</answer>", 0.0),
    # text outside the blocks, missing blocks
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>\nHope this helps!", 0.0),
    (f"Sure!\n<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\nSo:\n<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n{A}", 0.0),
    (f"<answer>\n{A}\n</answer>", 0.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A}", 0.0),
    (f"<think>\n{T}\n<answer>\n{A}\n</answer>", 0.0),
    ("", 0.0),
]


@pytest.mark.parametrize(("completion", "strict"), STRICT_TABLE)
def test_strict_table_yields_one_of_each_tag_and_open_r1_exact_yields_its_regex(completion: str, strict: float) -> None:
    ours = format_reward(Item(completion), FormatParams(style="strict"))
    assert ours.score == strict, ours.reason
    exact = format_reward(Item(completion), FormatParams(style="strict", open_r1_exact=True))
    assert exact.score == float(bool(OPEN_R1.match(completion))), exact.reason


PREFILLED_STRICT_TABLE = [
    (f"{T}\n</think>\n<answer>\n{A}\n</answer>", 1.0),
    (f"{T}\n</think>\n<answer>\n{A}\n</answer>\n", 1.0),
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>", 0.0),  # a second <think>: the prompt opened one
    (f"{T} <think>\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"{T}\n</think>\n<answer>\n{A}\n</answer>\n<answer>\n52\n</answer>", 0.0),
    (f"{T} <answer>52</answer>\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"{T} <Answer>52</Answer>\n</think>\n<answer>\n{A}\n</answer>", 0.0),
    (f"{T}\n</think>\n\n<answer>\n{A}\n</answer>", 0.0),
    (f"{T}\n</think>\n{A}", 0.0),
]


@pytest.mark.parametrize(("completion", "score"), PREFILLED_STRICT_TABLE)
def test_prefilled_strict_table_yields_one_of_each_tag(completion: str, score: float) -> None:
    verdict = format_reward(Item(completion), FormatParams(style="strict", think_prefilled=True))
    assert verdict.score == score, verdict.reason


R1_TABLE = [
    # (completion, think_prefilled, score): one think block, then one answer (optionally one <answer> block)
    (f"<think>{T}</think>{A}", False, 1.0),
    (f"\n\n<think>\n{T}\n</think>\n\nThe answer is {A}.", False, 1.0),
    (f"<think>{T} So x < 3 and y > 2.</think>{A}", False, 1.0),
    (f"<think>{T}</think> <answer>{A}</answer>", False, 1.0),  # R1-Zero's template
    (f"<think>\n{T}\n</think>\n<answer>\n{A}\n</answer>\n", False, 1.0),
    (f"<think>{T}</think>So the final answer is <answer>{A}</answer>", False, 1.0),
    (f"{T}</think>{A}", True, 1.0),
    (f"{T}</think><answer>{A}</answer>", True, 1.0),
    # two answers, misplaced or malformed answer tags
    (f"<think>{T}</think><answer>{A}</answer><answer>52</answer>", False, 0.0),
    (f"<think>{T}</think><answer>{A}</answer> or <answer>52</answer>", False, 0.0),
    (f"<think>{T}</think><answer>{A} <answer>52</answer></answer>", False, 0.0),
    (f"<think>{T}</think><answer>{A}", False, 0.0),
    (f"<think>{T}</think>{A}</answer>", False, 0.0),
    (f"<think>{T}</think></answer>{A}<answer>", False, 0.0),
    (f"<think>{T}</think><answer>  </answer>", False, 0.0),
    (f"<think>{T}</think><answer>{A}</answer> Hope this helps!", False, 0.0),
    (f"<think>{T} <answer>52</answer></think>{A}", False, 0.0),
    (f"<think>{T} </answer></think>{A}", False, 0.0),
    (f"<think>{T}</think><Answer>{A}</Answer>", False, 0.0),
    (f"<think>{T}</think><answer type='final'>{A}</answer>", False, 0.0),
    (f"{T} <answer>52</answer></think>{A}", True, 0.0),
    (f"{T}</think><answer>{A}</answer><answer>52</answer>", True, 0.0),
    # think tags: repeated, nested, variants
    (f"<think>{T}</think><think>Check.</think>{A}", False, 0.0),
    (f"<think><think>{T}</think></think>{A}", False, 0.0),
    (f"<think>{T} <Think>more</Think></think>{A}", False, 0.0),
    (f"<think>{T} <think/></think>{A}", False, 0.0),
    (f"<think>{T}</think>{A} <THINK>", False, 0.0),
    (f"<THINK>{T}</THINK>{A}", False, 0.0),
    (f"<Think>{T}</Think>{A}", False, 0.0),
    (f"<think >{T}</think>{A}", False, 0.0),
    (f"<think type='cot'>{T}</think>{A}", False, 0.0),
    (f"{T} <Think></think>{A}", True, 0.0),
]


@pytest.mark.parametrize(("completion", "prefilled", "score"), R1_TABLE)
def test_r1_table_yields_one_think_block_and_at_most_one_answer_block(
    completion: str, prefilled: bool, score: float
) -> None:
    verdict = format_reward(Item(completion), FormatParams(style="r1", think_prefilled=prefilled))
    assert verdict.score == score, verdict.reason
