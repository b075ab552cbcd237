"""Read an ``ifeval`` reference: the constraints as the IFEval and IFBench data sets ship them.

A reference is ``{"instruction_id_list": [...], "kwargs": [{...}, ...]}`` (other keys such
as ``key`` and ``prompt`` are ignored), or the same object as a JSON string. Hugging Face's
copy of IFEval gives every kwargs dict every key, ``null`` where unused: null values are
dropped. A kwarg the instruction does not take, a missing one, or a value of the wrong
kind is a :class:`ReferenceProblem` (IFEval would draw a random value instead).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from rewards.ifeval_checks import INSTRUCTIONS, RELATIONS, Check
from rewards.language import LANGUAGE_TAG, normalize_language

MAX_INSTRUCTIONS = 64
MAX_WORDS = 64
MAX_TEXT_CHARS = 20_000


class ReferenceProblem(ValueError):
    """The reference is not a usable IFEval constraint list; the message says what to fix."""


@dataclass(frozen=True)
class Instruction:
    """One constraint: its IFEval id, its checked kwargs and its check."""

    id: str
    kwargs: dict[str, Any]
    check: Check


def parse_reference(reference: Any) -> list[Instruction]:
    """The instructions of ``reference``, or ReferenceProblem naming the first thing wrong."""
    if isinstance(reference, str):
        try:
            reference = json.loads(reference)
        except ValueError:
            raise ReferenceProblem("a string reference must be JSON with instruction_id_list and kwargs") from None
    if not isinstance(reference, dict) or not isinstance(reference.get("instruction_id_list"), list):
        raise ReferenceProblem("the reference must be an object with instruction_id_list (and kwargs)")
    ids = reference["instruction_id_list"]
    kwargs_list = reference.get("kwargs")
    if kwargs_list is None:
        kwargs_list = [{}] * len(ids)
    if not isinstance(kwargs_list, list) or len(kwargs_list) != len(ids):
        raise ReferenceProblem(f"kwargs must be a list of {len(ids)} objects, one per instruction id")
    if not ids or len(ids) > MAX_INSTRUCTIONS:
        raise ReferenceProblem(f"instruction_id_list must hold 1 to {MAX_INSTRUCTIONS} ids, got {len(ids)}")
    return [_instruction(i, iid, kw) for i, (iid, kw) in enumerate(zip(ids, kwargs_list, strict=True))]


def _instruction(index: int, iid: Any, raw: Any) -> Instruction:
    if not isinstance(iid, str) or iid not in INSTRUCTIONS:
        raise ReferenceProblem(
            f"instruction {index}: {str(iid)[:80]!r} is not one of the 25 IFEval instruction ids "
            "(IFBench's own instruction types are not supported yet)"
        )
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ReferenceProblem(f"instruction {index} ({iid}): kwargs must be an object, got {type(raw).__name__}")
    kinds, check = INSTRUCTIONS[iid]
    given = {k: v for k, v in raw.items() if v is not None}
    extra = sorted(set(given) - set(kinds))
    missing = sorted(set(kinds) - set(given))
    if extra or missing:
        what = "; ".join(([f"unexpected {extra}"] if extra else []) + ([f"missing {missing}"] if missing else []))
        raise ReferenceProblem(f"instruction {index} ({iid}): {what}; it takes {sorted(kinds) or 'no kwargs'}")
    try:
        kwargs = {name: _value(kinds[name], value) for name, value in given.items()}
    except ValueError as exc:
        raise ReferenceProblem(f"instruction {index} ({iid}): {exc}") from None
    if iid == "length_constraints:nth_paragraph_first_word" and kwargs["nth_paragraph"] > kwargs["num_paragraphs"]:
        raise ReferenceProblem(f"instruction {index} ({iid}): nth_paragraph exceeds num_paragraphs")
    return Instruction(iid, kwargs, check)


def _value(kind: str, value: Any) -> Any:
    """``value`` checked (and normalized) as a kwarg of ``kind``; ValueError says what is wrong."""
    if kind in ("count", "position"):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < (1 if kind == "position" else 0):
            raise ValueError(f"{value!r} is not a {'positive' if kind == 'position' else 'non-negative'} integer")
        return value
    if kind == "relation":
        if value not in RELATIONS:
            raise ValueError(f"relation must be one of {list(RELATIONS)}, got {value!r}")
        return value
    if kind == "words":
        if (
            not isinstance(value, list)
            or not 0 < len(value) <= MAX_WORDS
            or not all(isinstance(w, str) and w.strip() and len(w) <= MAX_TEXT_CHARS for w in value)
        ):
            raise ValueError(f"expected a list of 1 to {MAX_WORDS} non-empty strings, got {str(value)[:80]}")
        return [w.strip() for w in value]
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_CHARS:
        raise ValueError(f"expected a non-empty string of at most {MAX_TEXT_CHARS} chars, got {str(value)[:80]!r}")
    if kind == "letter" and len(value.strip()) != 1:
        raise ValueError(f"letter must be one character, got {value!r}")
    if kind == "language":
        if not LANGUAGE_TAG.match(value.strip()):
            raise ValueError(f"language must be an ISO 639-1 code such as 'en', got {value!r}")
        return normalize_language(value)
    return value
