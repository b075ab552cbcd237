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

import pytest

from rewards.item import Item
from rewards.math_final import strip_trailer
from rewards.math_verifier import DEFAULT_MAX_COMPLETION_CHARS, MathParams, math_cache_key

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
