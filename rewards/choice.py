"""The ``choice`` verifier: does a multiple-choice answer pick the reference's option, and only it?

The reference is the correct letter ("C", "(C)"), a 0-based index with options, or an
object ``{"answer": "C" | 2 | "<option text>", "options": ["…", …] | {"A": "…", …}}``; with
options, an answer may also give the option's text. The answer is read after the last
``</think>``, inside ``<answer>`` tags if it is one such block (:mod:`rewards.choice_extract`).
As in ``math``, offering several options ("C or D", two different boxes) scores 0 even when
one of them is right.
"""

from __future__ import annotations

import re
from typing import Any

from rewards.answer_text import final_answer
from rewards.choice_extract import LETTERS, lead_letters, normalize, pick
from rewards.item import Item
from rewards.params import NoParams
from rewards.registry import verifier
from rewards.verdict import Status, Verdict

MAX_OPTIONS = len(LETTERS)
MAX_CHARS = 200_000
_OPTION_WORD_RE = re.compile(r"^(?:option|choice|answer)\s*")


class _BadChoice(ValueError):
    """The reference names no option; the message says what to send."""


def _options(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, list) and all(isinstance(o, str) for o in raw) and 1 < len(raw) <= MAX_OPTIONS:
        return dict(zip(LETTERS, raw, strict=False))
    if isinstance(raw, dict) and 1 < len(raw) <= MAX_OPTIONS and all(isinstance(v, str) for v in raw.values()):
        keys = [str(k).strip("() .").upper() for k in raw]
        if sorted(keys) == list(LETTERS[: len(keys)]):
            return {k: v for k, v in sorted(zip(keys, raw.values(), strict=True))}
    raise _BadChoice(f"options must be 2 to {MAX_OPTIONS} strings, or an object keyed A, B, C…")


def parse_choice(reference: Any) -> tuple[str, dict[str, str]]:
    """(correct letter, options by letter) of a reference, or _BadChoice."""
    options: dict[str, str] = {}
    answer = reference
    if isinstance(reference, dict):
        options = _options(reference.get("options", reference.get("choices")))
        answer = reference.get("answer")
    if isinstance(answer, int) and not isinstance(answer, bool):
        if not options or not 0 <= answer < len(options):
            raise _BadChoice(f"an index answer ({answer}) needs options and must be 0-based within them")
        return LETTERS[answer], options
    if isinstance(answer, str) and answer.strip():
        letters = lead_letters(answer.strip(), len(options) or None, whole=True)
        if len(letters) == 1 and len(_OPTION_WORD_RE.sub("", normalize(answer))) <= 1:
            return letters[0], options
        named = [k for k, v in options.items() if normalize(v) == normalize(answer)]
        if len(named) == 1:
            return named[0], options
    raise _BadChoice(
        f"the reference must name one option: a letter such as 'C', an index with options, or an option's "
        f"text; got {str(answer)[:80]!r}"
    )


CHOICE_REFERENCE = {
    "description": "The correct option: its letter, or an object with the answer (letter, 0-based index or "
    "option text) and the options (a list, or an object keyed by letter; 2 to 26).",
    "anyOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "required": ["answer"],
            "properties": {
                "answer": {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]},
                "options": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]},
                "choices": {"type": "array", "items": {"type": "string"}},
            },
        },
    ],
    "examples": [
        "C",
        "(C)",
        {"answer": 2, "options": ["London", "Berlin", "Paris"]},
        {"answer": "B", "options": {"A": "yes", "B": "no"}},
    ],
}


@verifier("choice", params=NoParams, reference=CHOICE_REFERENCE)
def choice(item: Item, params: NoParams) -> Verdict:
    """1 when the answer picks exactly the reference's option, e.g. "The answer is (C)." vs "C" → 1.0."""
    try:
        gold, options = parse_choice(item.reference)
    except _BadChoice as exc:
        return Verdict.fail(Status.BAD_REFERENCE, f"choice: {exc}")
    if len(item.completion) > MAX_CHARS:
        return Verdict.fail(Status.TOO_LARGE, f"choice: completion of {len(item.completion)} chars exceeds {MAX_CHARS}")
    region, note = final_answer(item.completion)
    picked = pick(region, options) if region is not None else None
    details: dict[str, Any] = {"reference": gold, "options": len(options) or None}
    if picked is None or not picked.letters:
        why = note if picked is None else "no option letter, answer phrase or option text found"
        return Verdict.ok(0.0, f"no answer extracted ({why})", extracted=None, extraction="none", **details)
    details.update(extracted=list(picked.letters), extraction=picked.how, span=picked.span[:120])
    if len(picked.letters) > 1:
        offered = ", ".join(picked.letters)
        return Verdict.ok(
            0.0,
            f"hack guard: several options offered ({offered}; {picked.how}); reference {gold}",
            rule="several options offered",
            **details,
        )
    letter = picked.letters[0]
    equal = letter == gold
    return Verdict.ok(
        float(equal),
        f"extracted {letter} ({picked.how}); reference {gold}; {'equal' if equal else 'not equal'}",
        rule="one option, compared by letter",
        **details,
    )
