"""Find the option a multiple-choice answer picks: a letter, or an option's text.

Where the answer may be, in order: ``\\boxed{…}`` (every box: several different options
boxed is a hedge), then the answer phrases ("the answer is (C)", "Answer: C", "final
answer: **C**"; all of them, skipping conditional ones such as "if the answer is A", so
that stating different answers in turn is a hedge too), or the whole answer (or its last
line) when it starts with an option ("C", "(C) Paris") or is an option's text. At the
start of a span, letters joined by "or", "and", ",", "/" offer several options; so does a
span naming two options' texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rewards.math_extract import find_boxes

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PHRASE_RE = re.compile(
    r"(?:(?:final|correct|best|right)\s+)?(?:answer|option|choice)\s*(?:is|:|would\s+be|will\s+be|=)\s*:?"
    r"|\banswer\s*+(?:is)?\s*+[-—]",
    re.IGNORECASE,
)
# possessive: the two runs match the same characters, and splitting a run between them was quadratic
_WRAP = r"[\s*_`$\"'“”]*+(?:\\text(?:bf)?\{)?[\s*_`]*+"
_LETTER_TOKEN = r"(?:option\s+|choice\s+)?[\(\[]?([A-Za-z])[\)\]]?"
_LEAD_RE = re.compile(rf"^{_WRAP}(?:either\s+|both\s+)?{_LETTER_TOKEN}(?=$|[^\w])", re.IGNORECASE)
_NEXT_RE = re.compile(
    rf"^[\s*_`}}]*+(?:,|/|&|\bor\b|\band\b|\beither\b)+{_WRAP}{_LETTER_TOKEN}(?=$|[^\w])", re.IGNORECASE
)
_CONDITIONAL_RE = re.compile(r"\b(?:if|whether|suppose|assum\w*|not|unless)\b[^.!?\n]*$", re.IGNORECASE)
_CONNECTIVES = frozenset({"because", "since", "as", "given", "which", "from", "here"})
_NORM_RE = re.compile(r"\\text\{|[^\w%.\-+/]+")
_SPLIT_RE = re.compile(r"(?<!\s)\s*+(?:,|;|/|\bor\b|\band\b)\s*+", re.IGNORECASE)  # starts where its spaces do


@dataclass(frozen=True)
class Picked:
    """The options an answer names (letters), how they were found, and the span they were read from."""

    letters: tuple[str, ...] = ()
    how: str = "none"
    span: str = ""
    notes: list[str] = field(default_factory=list)


def normalize(text: str) -> str:
    """Option text for comparison: lower case, no LaTeX ``\\text{``, punctuation runs as one space."""
    return " ".join(_NORM_RE.sub(" ", text.lower()).split()).strip(" .")


def lead_letters(span: str, n_options: int | None, *, whole: bool) -> tuple[str, ...]:
    """The letters a span starts with ("C", "(B) or (D)"); () when it does not start with an option letter.

    A lower-case letter counts only when it is the whole span or bracketed ("(c)"), and
    "A"/"I" followed by a lower-case word is English ("A prime", "I think"), not an option.
    """
    letters: list[str] = []
    rest = span
    match = _LEAD_RE.match(rest)
    while match:
        letter = match.group(1)
        after = rest[match.end() :]
        bracketed = any(b in match.group(0) for b in "()[]")
        if not _is_option_letter(letter, after, n_options, whole=whole and not letters, bracketed=bracketed):
            break
        letters.append(letter.upper())
        rest = after
        match = _NEXT_RE.match(rest)
    return tuple(dict.fromkeys(letters))


def _is_option_letter(letter: str, after: str, n_options: int | None, *, whole: bool, bracketed: bool) -> bool:
    limit = n_options or len(LETTERS)
    if letter.upper() not in LETTERS[:limit]:
        return False
    if bracketed:
        return True
    if letter.islower():
        return whole and not re.search(r"\w", after)
    word = re.match(r"\s+([a-z]+)", after)
    return not (letter in "AI" and word and word.group(1) not in _CONNECTIVES)


def by_text(span: str, options: dict[str, str]) -> tuple[str, ...]:
    """The options whose whole text the span is, or that it lists ("Paris or Lyon", "Paris, the capital")."""
    norm = {letter: normalize(text) for letter, text in options.items()}
    whole = normalize(span)
    exact = [letter for letter, text in norm.items() if text and text == whole]
    if exact:
        return tuple(exact)
    parts = [normalize(p) for p in _SPLIT_RE.split(span) if p.strip()]
    return tuple(letter for letter, text in norm.items() if text and text in parts)


def pick(answer: str, options: dict[str, str]) -> Picked:
    """The options ``answer`` (the text after ``</think>``) names; see the module docstring."""
    n = len(options) or None
    boxes = [b for b in find_boxes(answer) if b.strip()]
    if boxes:
        found: list[str] = []
        for box in boxes:
            found += lead_letters(box, n, whole=True) or by_text(box, options)
        shown = " | ".join(" ".join(b.split())[:40] for b in boxes[:5])
        return Picked(tuple(dict.fromkeys(found)), "boxed", shown)
    stated: list[str] = []
    spans = []
    for phrase in _PHRASE_RE.finditer(answer):
        if _CONDITIONAL_RE.search(answer[max(0, phrase.start() - 40) : phrase.start()].rsplit(".", 1)[-1]):
            continue
        span = answer[phrase.end() :].split("\n", 1)[0].strip()
        letters = lead_letters(span, n, whole=_short(span)) or by_text(_first_clause(span), options)
        if letters:
            stated += letters
            spans.append(" ".join(answer[phrase.start() : phrase.end() + 40].split()))
    if stated:
        return Picked(
            tuple(dict.fromkeys(stated)),
            "phrase" if len(spans) == 1 else f"{len(spans)} phrases",
            " | ".join(spans[-3:]),
        )
    stripped = answer.strip()
    for span, how in ((stripped, "whole answer"), (stripped.split("\n")[-1].strip(), "last line")):
        if not span or "\n" in span:
            continue
        letters = lead_letters(span, n, whole=_short(span)) or by_text(span, options)
        if letters:
            return Picked(letters, how, " ".join(span.split())[:80])
    return Picked()


def _short(span: str) -> bool:
    """Nothing but an option mark: "C", "(C).", "**C**", "C) Paris" is not short."""
    return len(re.sub(r"[\s*_`$().\[\]\\{}:]|text", "", span)) <= 1


def _first_clause(span: str) -> str:
    return re.split(r"(?<=[^\s])[.;](?:\s|$)|\s[-—]\s|\bbecause\b", span, maxsplit=1)[0].strip(" *_`$")
