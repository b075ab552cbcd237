"""What the shaping rewards share: completion lengths, token estimates and a correctness verdict.

Correctness comes from another registered verifier (``math`` by default), looked up by
name at call time in a registry built once per process: the shaping modules import no
verifier module, so there is no import cycle and nothing is registered twice.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Literal

from rewards.errors import RegistryError
from rewards.item import Item
from rewards.registry import Registry, VerifierSpec
from rewards.run import run_item
from rewards.verdict import Status, Verdict

CORRECTNESS_REFERENCE = {
    "description": "What the correctness verifier (param `correctness`, default math) reads; "
    "for math, the gold answer.",
    "anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}],
    "examples": ["\\frac{1}{2}", 42],
}

CJK = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]"
)
CHARS_PER_TOKEN = 4  # the usual rule of thumb for English BPE vocabularies
ESTIMATE_HOW = "estimated as CJK characters + other characters / 4; send completion_tokens for exact counts"
# Verifiers that call a correctness verifier themselves: naming one of them as correctness would recurse.
NOT_CORRECTNESS = frozenset({"cosine_length", "length_penalty"})
Unit = Literal["chars", "tokens"]


def estimate_tokens(text: str) -> int:
    """Tokens of ``text`` without a tokenizer: one per CJK character, one per 4 other characters."""
    cjk = len(text) - len(CJK.sub("", text))
    return cjk + math.ceil((len(text) - cjk) / CHARS_PER_TOKEN)


def token_length(item: Item) -> tuple[int, bool]:
    """(tokens, estimated): the trainer's ``completion_tokens`` when sent, else :func:`estimate_tokens`."""
    if item.completion_tokens is not None:
        return item.completion_tokens, False
    return estimate_tokens(item.completion), True


def length(item: Item, unit: Unit) -> tuple[int, str]:
    """The completion's length in ``unit`` and a note on how it was measured."""
    if unit == "chars":
        return len(item.completion), "chars"
    tokens, estimated = token_length(item)
    return tokens, "tokens (estimated)" if estimated else "tokens"


@functools.lru_cache(maxsize=1)
def correctness_registry() -> Registry:
    """Built-in verifiers and plugins, built on first use in each process."""
    from rewards.registry import default_registry

    return default_registry()


def correctness_spec(name: str) -> VerifierSpec | Verdict:
    """The item-scoped verifier ``name``, or a failed verdict saying why it cannot judge correctness."""
    if name in NOT_CORRECTNESS:
        return Verdict.fail(Status.BAD_PARAMS, f"correctness verifier {name!r} is itself a shaping reward")
    try:
        spec = correctness_registry().get(name)
    except RegistryError as exc:
        return Verdict.fail(Status.UNKNOWN_VERIFIER, f"correctness: {exc}")
    if spec.scope != "item":
        return Verdict.fail(Status.BAD_PARAMS, f"correctness verifier {name!r} is group-scoped")
    return spec


def judge(item: Item, name: str) -> Verdict:
    """The verdict of verifier ``name`` (default params) on ``item``, never an exception."""
    spec = correctness_spec(name)
    if isinstance(spec, Verdict):
        return spec
    return run_item(spec, item, spec.parse_params({}))


def is_correct(verdict: Verdict, threshold: float) -> bool:
    """A judged correctness verdict counts as correct when its score reaches ``threshold``."""
    return verdict.score is not None and verdict.score >= threshold - 1e-9


def not_judged(verdict: Verdict, name: str) -> Verdict:
    """Pass on why correctness could not be judged; a shaping score without it would be made up."""
    return Verdict.fail(
        verdict.status, f"correctness ({name}) not judged: {verdict.reason}"[:500], correctness=verdict.details
    )
