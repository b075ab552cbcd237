"""Format verifiers: is the completion shaped as the training recipe asks?

``format`` checks one shape, chosen by ``style``; in both, a completion has **one** think
block and at most one answer block (two answers are a hedge, a nested think is not a think
block), and only the four exact tags: a tag-like variant of them (``<Think>``, ``< answer >``,
``<answer id=1>``, ``<think/>``) is a malformed tag, never a way around the count.

- ``"r1"`` (DeepSeek-R1): exactly one non-empty ``<think>…</think>`` block first (leading
  whitespace allowed), then a non-empty answer, and no other think tag anywhere. The answer
  may be wrapped in one ``<answer>…</answer>`` block (R1-Zero's template): then the block is
  non-empty, comes after ``</think>``, and only whitespace follows it.
- ``"strict"`` (open-r1's ``format_reward``): the whole completion matches
  ``^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$`` with DOTALL, *and* each of
  ``<think>``, ``</think>``, ``<answer>``, ``</answer>`` occurs exactly once, with no malformed
  tag. The regex alone accepts two think blocks, a nested one or two answer blocks.
  ``open_r1_exact=True`` gives open-r1's behaviour to the letter instead: the regex only,
  with its MULTILINE flag too (which lets any text follow the ``</answer>`` line).

``think_prefilled`` is for chat templates that end the prompt with the opening
``<think>`` (DeepSeek-R1-Distill, Qwen3…): the completion then starts inside the think
block, so a ``<think>`` in it is a stray second one.

``tag_count`` is open-r1's ``tag_count_reward``: 0.25 for each of ``<think>\\n``,
``\\n</think>\\n``, ``\\n<answer>\\n`` and ``\\n</answer>`` found exactly once (kept to the
letter: it is a partial-credit shaping term, and a repeated tag already loses its 0.25).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rewards.item import Item
from rewards.registry import NO_REFERENCE, verifier
from rewards.verdict import Verdict

OPEN, CLOSE = "<think>", "</think>"
STRICT_PATTERN = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL)
STRICT_PREFIX, STRICT_MIDDLE, STRICT_SUFFIX = "<think>\n", "\n</think>\n<answer>\n", "\n</answer>"
TAGS = ("<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>")
RULES = {
    "r1": "one non-empty <think> block first, then a non-empty answer, no other think tag",
    "strict": "^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$ (DOTALL), each tag exactly once",
    "open_r1_exact": "open-r1: ^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$ (DOTALL | MULTILINE)",
}
ONCE = ("<think>", "</think>", "<answer>", "</answer>")
# Anything a reader (or a lenient parser) would take for a think/answer tag: any case, spaces, attributes.
TAG_LIKE = re.compile(r"<\s*+/?\s*+(?:think|answer)\b[^<>]*+>", re.IGNORECASE)  # possessive: one way to match


@dataclass(frozen=True)
class FormatParams:
    """``style``: "r1" or "strict"; ``think_prefilled``: the prompt already ends with ``<think>``.

    ``open_r1_exact`` (strict only): open-r1's regex to the letter (DOTALL | MULTILINE), without
    the one-of-each-tag rule.
    """

    style: Literal["r1", "strict"] = "r1"
    think_prefilled: bool = False
    open_r1_exact: bool = False

    def __post_init__(self) -> None:
        if self.open_r1_exact and self.style != "strict":
            raise ValueError("open_r1_exact applies to style='strict' only")


@dataclass(frozen=True)
class TagCountParams:
    """``think_prefilled``: the prompt already ends with ``<think>\\n``, so that tag counts as present."""

    think_prefilled: bool = False


@verifier("format", params=FormatParams, reference=NO_REFERENCE)
def format_reward(item: Item, params: FormatParams) -> Verdict:
    """1 if the completion has the requested shape, else 0 with what is wrong.

    >>> format_reward(Item("<think>2+2 is 4</think>The answer is 4."), FormatParams()).score
    1.0
    """
    text = item.completion
    if params.style == "r1":
        problem = _r1_problem(text, params.think_prefilled)
    else:
        problem = _strict_problem(text, params.think_prefilled, params.open_r1_exact)
    rule = RULES["open_r1_exact"] if params.open_r1_exact else RULES[params.style]
    details = {"style": params.style, "think_prefilled": params.think_prefilled, "rule": rule}
    if problem:
        return Verdict.ok(0.0, problem, **details)
    return Verdict.ok(1.0, f"well-formed {params.style} shape", **details)


@verifier("tag_count", params=TagCountParams, reference=NO_REFERENCE)
def tag_count(item: Item, params: TagCountParams) -> Verdict:
    """0.25 per think/answer tag that occurs exactly once, as open-r1's tag_count_reward.

    >>> tag_count(Item("<think>\\nhm\\n</think>\\n<answer>\\n4\\n</answer>"), TagCountParams()).score
    1.0
    """
    text = (STRICT_PREFIX + item.completion) if params.think_prefilled else item.completion
    counts = {tag: text.count(tag) for tag in TAGS}
    good = [tag for tag, n in counts.items() if n == 1]
    bad = [f"{tag!r} x{n}" for tag, n in counts.items() if n != 1]
    reason = f"{len(good)}/4 tags once" + (f"; wrong count: {', '.join(bad)}" if bad else "")
    return Verdict.ok(0.25 * len(good), reason, counts=counts, rule="0.25 per tag found exactly once")


def _tags(text: str) -> list[tuple[int, str]]:
    """(position, tag) of every think/answer tag and tag-like variant, in order (one linear scan)."""
    if "<" not in text:
        return []
    return [(m.start(), m.group(0)) for m in TAG_LIKE.finditer(text)]


def _malformed(tags: list[tuple[int, str]], shift: int = 0) -> str:
    """The first tag-like variant of the four exact tags, as a problem, or ""."""
    for pos, tag in tags:
        if tag not in ONCE:
            return f"malformed tag {tag!r} at char {pos - shift}: only <think>, </think>, <answer>, </answer> are tags"
    return ""


def _r1_problem(text: str, prefilled: bool) -> str:
    """What breaks the R1 shape, or "" when it holds."""
    if prefilled:
        body_start = 0
    else:
        stripped = len(text) - len(text.lstrip())
        if not text.startswith(OPEN, stripped):
            where = text.find(OPEN)
            if where < 0:
                if CLOSE in text:
                    return "</think> without an opening <think>"
                return _malformed(_tags(text)) or "no <think> tag"
            return f"text before the opening <think> (found at char {where})"
        body_start = stripped + len(OPEN)
    close = text.find(CLOSE, body_start)
    if close < 0:
        return "unclosed <think>: no </think>"
    tags = _tags(text)
    inside = [(pos, tag) for pos, tag in tags if body_start <= pos < close]
    for pos, tag in inside:
        if tag == OPEN:
            first = " (the prompt pre-fills the opening one)" if prefilled else ""
            return f"second <think> at char {pos}{first}"
    if inside:
        pos, tag = inside[0]
        return _malformed(inside) or f"{tag} at char {pos} inside the think block"
    if not text[body_start:close].strip():
        return "empty <think> block"
    answer_start = close + len(CLOSE)
    after = [(pos, tag) for pos, tag in tags if pos >= answer_start]
    for pos, tag in after:
        if tag == CLOSE:
            return f"second </think> at char {pos}"
    for pos, tag in after:
        if tag == OPEN:
            return f"stray <think> at char {pos} after </think>"
    problem = _malformed(after)
    if problem:
        return problem
    if not text[answer_start:].strip():
        return "empty answer after </think>"
    return _answer_block_problem(text, after)


def _answer_block_problem(text: str, tags: list[tuple[int, str]]) -> str:
    """With answer tags after </think>: exactly one non-empty ``<answer>…</answer>`` ending the text, or a problem."""
    if not tags:
        return ""
    names = [tag for _, tag in tags]
    if names != ["<answer>", "</answer>"]:
        opened = names.count("<answer>")
        if opened > 1:
            return f"{opened} <answer> blocks: one answer, not several"
        return f"unbalanced answer tags: {' '.join(names)}"
    (start, _), (end, _) = tags
    if not text[start + len("<answer>") : end].strip():
        return "empty <answer> block"
    rest = end + len("</answer>")
    if text[rest:].strip():
        return f"text after </answer> (char {rest}): the answer block ends the completion"
    return ""


def strict_match(text: str) -> bool:
    """``STRICT_PATTERN.match(text)``, in linear time.

    The lazy regex retries the second ``.*?`` from every ``\\n</think>\\n<answer>\\n`` to the
    end, which is quadratic on a completion repeating that line; the earliest middle
    marker is the only one worth trying, since a later one leaves less room.
    """
    if not text.startswith(STRICT_PREFIX):
        return False
    body = text[:-1] if text.endswith("\n") else text  # "$" also matches before one final newline
    if not body.endswith(STRICT_SUFFIX):
        return False
    middle = text.find(STRICT_MIDDLE, len(STRICT_PREFIX))
    return middle >= 0 and middle + len(STRICT_MIDDLE) <= len(body) - len(STRICT_SUFFIX)


def multiline_match(text: str) -> bool:
    """``re.match(STRICT_PATTERN, text, DOTALL | MULTILINE)`` (open-r1's exact call), in linear time.

    With MULTILINE, ``$`` also matches before any newline, so the answer block may end at any
    ``\\n</answer>`` followed by a newline; the earliest middle marker leaves the most room.
    """
    if not text.startswith(STRICT_PREFIX):
        return False
    middle = text.find(STRICT_MIDDLE, len(STRICT_PREFIX))
    if middle < 0:
        return False
    end = text.find(STRICT_SUFFIX, middle + len(STRICT_MIDDLE))
    while end >= 0:
        after = end + len(STRICT_SUFFIX)
        if after == len(text) or text[after] == "\n":
            return True
        end = text.find(STRICT_SUFFIX, end + 1)
    return False


def _strict_problem(text: str, prefilled: bool, exact: bool) -> str:
    """What breaks the strict shape (open-r1's regex, and one of each tag unless ``exact``), or ""."""
    full = (STRICT_PREFIX + text) if prefilled else text
    if exact:
        return "" if multiline_match(full) else "does not match open-r1's pattern (DOTALL | MULTILINE)"
    shift = len(STRICT_PREFIX) if prefilled else 0
    if strict_match(full):
        tags = _tags(full)
        repeated = [f"{tag} x{n}" for tag in ONCE if (n := sum(t == tag for _, t in tags)) != 1]
        if repeated:
            return f"each tag must occur once: {', '.join(repeated)}"
        return _malformed(tags, shift)
    if not full.startswith(STRICT_PREFIX):
        return "does not start with '<think>\\n'"
    middle = full.find(STRICT_MIDDLE, len(STRICT_PREFIX))
    if middle < 0:
        close = full.find("</think>")
        if close < 0:
            return "no '\\n</think>\\n' closing the think block"
        return f"'</think>' at char {close - shift} is not followed by '\\n<answer>\\n' on its own line"
    if not full.rstrip("\n").endswith("\n</answer>") or full.endswith("\n\n"):
        return "does not end with '\\n</answer>'"
    return "does not match <think>\\n…\\n</think>\\n<answer>\\n…\\n</answer>"
