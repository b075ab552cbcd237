"""The ``ifeval`` verifier: does the answer follow the IFEval constraints of its reference?

The reference carries ``instruction_id_list`` and ``kwargs`` as IFEval ships them
(:mod:`rewards.ifeval_reference`); each of the 25 instruction types is checked as the
paper defines it (:mod:`rewards.ifeval_checks`). Only the answer is judged: the text after
the last ``</think>`` (the content of an ``<answer>`` block when that is all of it); an
unterminated ``<think>`` leaves no answer, which follows nothing.

``strict`` checks the answer as it is; ``loose`` (the paper's upper bound) also accepts an
instruction when it holds after removing the first line, the last line or both, with or
without ``*`` characters. With ``guards`` on (the default), "at least" counts are taken
without code blocks, verbatim repeats and runs of one word (:mod:`rewards.ifeval_text`), so
padding and keyword stuffing earn nothing; ``guards=false`` is IFEval to the letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rewards.answer_text import final_answer
from rewards.ifeval_checks import Answer, Outcome
from rewards.ifeval_reference import Instruction, ReferenceProblem, parse_reference
from rewards.ifeval_text import loose_variants
from rewards.item import Item
from rewards.lang_model import ModelUnavailable
from rewards.registry import verifier
from rewards.verdict import Status, Verdict

DEFAULT_MAX_CHARS = 200_000
SHOWN_FAILURES = 3
SHOWN_KWARG_CHARS = 200  # prompt_to_repeat may be long: details show its start


@dataclass(frozen=True)
class IfevalParams:
    """Parameters of ``ifeval``.

    ``mode``: "strict" or "loose" (IFEval's two accuracies). ``scoring``: "all" scores 1
    only when every instruction is followed (IFEval's prompt-level accuracy), "fraction"
    the share followed (instruction-level). ``guards``: count "at least" constraints
    without code blocks and repeats (see the module docstring).
    """

    mode: Literal["strict", "loose"] = "strict"
    scoring: Literal["all", "fraction"] = "all"
    guards: bool = True
    max_chars: int = DEFAULT_MAX_CHARS
    """Longer completions get too_large instead of being checked."""

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise ValueError("max_chars must be positive")


IFEVAL_REFERENCE = {
    "description": "The IFEval constraints as the IFEval and IFBench data sets ship them (or that object as JSON "
    "text): instruction ids and one kwargs object per id (null values are dropped).",
    "anyOf": [
        {
            "type": "object",
            "required": ["instruction_id_list", "kwargs"],
            "properties": {
                "instruction_id_list": {"type": "array", "items": {"type": "string"}},
                "kwargs": {"type": "array", "items": {"type": "object"}},
            },
        },
        {"type": "string"},
    ],
    "examples": [
        {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
        {
            "instruction_id_list": ["length_constraints:number_words", "change_case:english_lowercase"],
            "kwargs": [{"relation": "at least", "num_words": 3}, {}],
        },
    ],
}


@verifier("ifeval", params=IfevalParams, heavy=True, reference=IFEVAL_REFERENCE)
def ifeval(item: Item, params: IfevalParams) -> Verdict:
    """Score the IFEval instructions of the reference, e.g. no_comma on "Yes. No." → 1.0.

    ``heavy``: fastText and regex passes over up to ``max_chars`` in eight loose variants,
    so it runs in the worker pool under the per-item deadline.

    >>> ifeval(Item("Hello there.", {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}),
    ...        IfevalParams()).score
    1.0
    """
    try:
        instructions = parse_reference(item.reference)
    except ReferenceProblem as exc:
        return Verdict.fail(Status.BAD_REFERENCE, f"ifeval: {exc}")
    if len(item.completion) > params.max_chars:
        return Verdict.fail(
            Status.TOO_LARGE, f"ifeval: completion of {len(item.completion)} chars exceeds max_chars={params.max_chars}"
        )
    region, note = final_answer(item.completion)
    response = region or ""
    keep_code = any(i.id == "detectable_format:json_format" for i in instructions)
    variants = loose_variants(response) if params.mode == "loose" else [("as is", response)]
    answers = [(name, Answer(text, params.guards, keep_code)) for name, text in variants]
    try:
        results = [_judge(instr, answers) for instr in instructions]
    except ModelUnavailable as exc:
        return Verdict.fail(Status.ERROR, f"ifeval: {exc}")
    followed = sum(1 for r in results if r["followed"])
    total = len(results)
    score = followed / total if params.scoring == "fraction" else float(followed == total)
    details = {
        "mode": params.mode,
        "scoring": params.scoring,
        "guards": params.guards,
        "answer_from": note,
        "followed": followed,
        "total": total,
        "instructions": results,
    }
    return Verdict.ok(score, _reason(results, params, note if region is None else ""), **details)


def _judge(instr: Instruction, answers: list[tuple[str, Answer]]) -> dict[str, Any]:
    """The first variant that follows ``instr`` (loose), or the strict outcome when none does."""
    shown = {k: v[:SHOWN_KWARG_CHARS] if isinstance(v, str) else v for k, v in instr.kwargs.items()}
    outcomes: list[Outcome] = []
    for name, answer in answers:
        # IFEval: an empty response follows no instruction
        outcome = instr.check(answer, instr.kwargs) if answer.text.strip() else Outcome(False, "empty answer")
        if outcome.followed:
            return {
                "id": instr.id,
                "followed": True,
                "observed": outcome.observed,
                "variant": name,
                "kwargs": shown,
            }
        outcomes.append(outcome)
    return {
        "id": instr.id,
        "followed": False,
        "observed": outcomes[0].observed,
        "variant": None,
        "kwargs": shown,
    }


def _reason(results: list[dict[str, Any]], params: IfevalParams, no_answer: str) -> str:
    """E.g. "2/3 instructions followed (strict); ✗ punctuation:no_comma: 4 commas"."""
    followed = sum(1 for r in results if r["followed"])
    head = f"{followed}/{len(results)} instructions followed ({params.mode})"
    if no_answer:
        return f"{head}; {no_answer}"
    failed = [r for r in results if not r["followed"]]
    shown = "; ".join(f"✗ {r['id']}: {r['observed']}" for r in failed[:SHOWN_FAILURES])
    more = f"; … {len(failed) - SHOWN_FAILURES} more" if len(failed) > SHOWN_FAILURES else ""
    return f"{head}; {shown}{more}" if failed else head
