"""Boundary completion text → the text rules run on it (rewards/), some on the service's event loop.

An attacker who has read the rules' regular expressions writes a completion that makes
one of them backtrack for ever: the math cache key (``math_cache_key`` → ``extract``) is
computed in the service process, where one match holds the interpreter's lock, so one
such completion would freeze the whole service, every client's requests and its health
checks with it (found by an outside round: the trailer rule, 34 repeats of " <|a|>", 200
characters). Every completion here, up to the largest one the math verifier reads, yields
its key within seconds; pytest-timeout ends a run that does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rewards.choice import choice
from rewards.code import extract_code
from rewards.format import FormatParams, format_reward
from rewards.ifeval import IfevalParams, ifeval
from rewards.item import Item
from rewards.math_final import strip_trailer
from rewards.math_guard import complexity_problem
from rewards.math_verifier import DEFAULT_MAX_COMPLETION_CHARS, MathParams, math, math_cache_key
from service.routes.openrlhf import parse_rewards

MAX = DEFAULT_MAX_COMPLETION_CHARS
ADVERSARIAL = {  # each: a unit that more than one part of a rule can match, repeated, then what makes it fail
    "trailer tokens then text": "x" + " <|a|>" * (MAX // 6 - 1) + "x",
    "trailer tokens with roles": "x" + " <|im_start|> user " * (MAX // 20 - 1) + "x",
    "sign-offs then text": "x" + " I hope it is correct. " * (MAX // 24) + "x",
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("completion", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_adversarial_completion_yields_its_cache_key_in_time(completion: str) -> None:
    assert len(completion) <= MAX
    assert math_cache_key(Item(completion=completion, reference="5"), MathParams()) is not None


def _ifeval(instruction: str, kwargs: dict[str, Any], mode: str = "strict") -> Callable[[str], object]:
    reference = {"instruction_id_list": [instruction], "kwargs": [kwargs]}
    return lambda text: ifeval(Item(completion=text, reference=reference), IfevalParams(mode=mode)).score


def _math(reference: str) -> Callable[[str], object]:
    return lambda text: math(Item(completion=text, reference=reference), MathParams(timeout_s=60)).score


def _key(text: str) -> object:
    return math_cache_key(Item(text, "5"), MathParams()) is not None


CHOICE = {"answer": "B", "options": {"A": "yes", "B": "no"}}
# (what is called, the text, what it yields): each rule was quadratic or worse (second outside round: 13 of them)
RULES = {
    "math: a qualifier's separators (exponential)": (_math("2"), "\\boxed{1" + ", " * 40 + "!}", 0.0),
    "math: spaces in a box (hedge words)": (_key, "\\boxed{1" + " " * (MAX - 10) + "x}", True),
    "math: number words ending in 'a'": (_key, "\\boxed{one" + " a" * (MAX // 2 - 8) + "}", True),
    "math: a set builder's spaces (cubic)": (_math("(1,2)"), "\\boxed{\\{x|" + " " * 1980 + "y}", 0.0),
    "math: spaces after binom": (complexity_problem, "\\binom" + " " * 20_000 + "x", None),
    "choice: a run of emphasis": (lambda t: choice(Item(t, "B"), None).score, "*" * 50_000 + "1", 0.0),
    "choice: spaces after the answer phrase": (
        lambda t: choice(Item(t, CHOICE), None).score,
        "The answer is zz" + " " * 50_000 + "yy",
        0.0,
    ),
    "choice: spaces after 'answer'": (lambda t: choice(Item(t, "B"), None).score, "answer" + " " * 50_000 + "x", 0.0),
    "format: spaces in a tag-like": (
        lambda t: format_reward(Item(t), FormatParams()).score,
        "<think>x</think><" + " " * 100_000 + "x",
        1.0,  # a "<" and spaces after the think block are no tag
    ),
    "code: an unclosed fence": (lambda t: extract_code(t, "python"), "```" + "a" * 200_000, None),
    "ifeval: a run of dots": (
        _ifeval("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"}),
        "." * 100_000 + "x",
        0.0,
    ),
    "ifeval: blank lines before bullets": (
        _ifeval("detectable_format:number_bullet_lists", {"num_bullets": 3}, "loose"),
        "a" + "\n" * 100_000 + "a",
        0.0,
    ),
    "ifeval: unclosed placeholders": (
        _ifeval("detectable_content:number_placeholders", {"num_placeholders": 3}),
        "[a" * 50_000,
        0.0,
    ),
    "ifeval: spaces before a postscript": (
        _ifeval("detectable_content:postscript", {"postscript_marker": "P.S."}, "loose"),
        "a" + " " * 100_000 + "a",
        0.0,
    ),
    "ifeval: a run of '<'": (_ifeval("detectable_format:title", {}), "<" * 100_000, 0.0),
    "openrlhf: spaces in a rewards spec": (parse_rewards, "math" + " " * 60_000 + "x", {"math": 1.0, "x": 1.0}),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("call", "text", "expected"), RULES.values(), ids=RULES.keys())
def test_adversarial_text_yields_its_verdict_in_time(
    call: Callable[[str], object], text: str, expected: object
) -> None:
    assert call(text) == expected


TRAILERS = [  # (text, without its trailer)
    ("so \\boxed{5}<|im_end|>", "so \\boxed{5}"),
    ("so 5 <|im_end|>\n<|im_start|>assistant\n", "so 5"),
    ("so 5. I hope it is correct.</s>", "so 5."),
    ("so 5 <|IM_END|> I hope this is correct", "so 5"),
    ("so 5 and <|a|> more", "so 5 and <|a|> more"),
    ("so 5   ", "so 5   "),  # spaces alone are no trailer
    ("x" + " <|a|>" * 5000, "x"),
]


@pytest.mark.parametrize(("text", "stripped"), TRAILERS)
def test_text_ending_in_chat_tokens_or_sign_offs_yields_it_stripped(text: str, stripped: str) -> None:
    assert strip_trailer(text) == stripped
