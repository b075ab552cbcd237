"""DeepSeek-R1's language-consistency reward: the share of CoT words in the target language.

R1 (Eq. 7) rewards Num(words in the target language) / Num(words) of the chain of
thought. How the CoT is cut into words, what counts as neutral and how each word gets
its language is documented in :mod:`rewards.lang_segment`; fastText (``lid.176``) decides
among languages that share a script, see :mod:`rewards.lang_model`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rewards.item import Item
from rewards.lang_model import SURE_WORDS, ModelUnavailable, chunk_language, classify_chunks, load_model
from rewards.lang_segment import chain_of_thought, neutralize, segment
from rewards.registry import NO_REFERENCE, verifier
from rewards.verdict import Status, Verdict

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*$")
ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi"}
DEFAULT_MAX_CHARS = 2_000_000
SHOWN_LANGUAGES = 3
HAN_LANGUAGES = frozenset(["zh", "ja"])


@dataclass(frozen=True)
class LanguageParams:
    """Parameters of ``language``.

    ``language``: target ISO 639-1 code ("en", "zh", "pt-BR" is read as "pt"); when null,
    the language with most words in ``item.prompt``. The fastText model is the operator's
    choice (``RLVR_LID_MODEL_PATH``, default the bundled ``lid.176.ftz``), not a parameter.
    ``min_chunk_words``: words of a shared script (Latin, Cyrillic, Arabic, Devanagari)
    classified together. ``no_words_score``: the score of a CoT with no word at all (only
    math, code or numbers), which no language can be inconsistent in.
    """

    language: str | None = None
    min_chunk_words: int = 5
    no_words_score: float = 1.0
    max_chars: int = DEFAULT_MAX_CHARS
    """Longer completions get too_large instead of being read."""

    def __post_init__(self) -> None:
        if self.language is not None and not LANGUAGE_TAG.match(self.language):
            raise ValueError(f"language must be an ISO 639-1 code such as 'en' or 'zh', got {self.language!r}")
        if self.min_chunk_words < 1:
            raise ValueError(f"min_chunk_words must be at least 1, got {self.min_chunk_words}")
        if not 0.0 <= self.no_words_score <= 1.0:
            raise ValueError(f"no_words_score must be within [0, 1], got {self.no_words_score}")


def normalize_language(tag: str) -> str:
    """ISO 639-1 primary subtag, lower-cased, with retired codes mapped ("zh-Hans" → "zh", "iw" → "he")."""
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    return ALIASES.get(primary, primary)


def count_words(text: str, model: Any, min_chunk_words: int, target: str | None = None) -> Counter[str]:
    """Words of ``text`` per language (segmentation in :mod:`rewards.lang_segment`).

    With a ``target``, a short CoT's only chunk of a shared script gives it the benefit of the
    doubt against close languages (:func:`rewards.lang_model.short_chunk_language`), and so
    does Han text without any Kana when the target is Japanese or Chinese: kanji-only
    Japanese ("証明終了") and Chinese share the script, and only fastText's reading of the
    text (and characters only one of them writes, :mod:`rewards.lang_evidence`) tells them apart.
    """
    seg = segment(text, min_chunk_words)
    counts = Counter(seg.decided)
    for script, chunks in seg.chunks.items():
        counts.update(classify_chunks(model, script, chunks, target))
    if (  # without Kana, all Han words were counted as zh; a long Chinese CoT stays so (one predict less)
        target in HAN_LANGUAGES
        and seg.han_words
        and not seg.kana
        and (target == "ja" or seg.han_words < SURE_WORDS)
        and chunk_language(model, "han", neutralize(text), seg.han_words, target, allowed=HAN_LANGUAGES) == "ja"
    ):
        counts["ja"] += counts.pop("zh")
    return counts


@verifier("language", params=LanguageParams, heavy=True, reference=NO_REFERENCE)
def language(item: Item, params: LanguageParams) -> Verdict:
    """Fraction of chain-of-thought words in the target language (R1 Eq. 7).

    The exact segmentation (CoT, neutral spans, words per script, how each word gets its
    language) is the docstring of :mod:`rewards.lang_segment`. ``heavy``: CPU-bound (regex
    passes and fastText, about 10 ms per 20k characters), so it runs in the worker pool, in
    parallel and under the per-item deadline.

    >>> language(Item("<think>Let me add the two numbers first.</think>4"), LanguageParams(language="en")).score
    1.0
    """
    if len(item.completion) > params.max_chars:
        return Verdict.fail(
            Status.TOO_LARGE, f"completion of {len(item.completion)} chars exceeds max_chars={params.max_chars}"
        )
    try:
        model = load_model()
    except ModelUnavailable as exc:
        return Verdict.fail(Status.ERROR, str(exc))
    if params.language is not None:
        target, target_from = normalize_language(params.language), "params"
    else:
        prompt_counts = count_words((item.prompt or "")[: params.max_chars], model, params.min_chunk_words)
        if not prompt_counts:
            why = "has no words to detect its language" if item.prompt else "is missing"
            return Verdict.fail(
                Status.BAD_REFERENCE, f"no target language: params.language is not set and the prompt {why}"
            )
        target, target_from = prompt_counts.most_common(1)[0][0], "prompt"
    cot, cot_from = chain_of_thought(item.completion)
    counts = count_words(cot, model, params.min_chunk_words, target)
    total = sum(counts.values())
    details = {
        "target": target,
        "target_from": target_from,
        "cot": cot_from,
        "words": total,
        "counts": dict(counts.most_common()),
        "rule": "R1 Eq. 7: target-language words / words of the CoT",
    }
    if total == 0:
        return Verdict.ok(
            params.no_words_score, f"no words in the chain of thought ({cot_from}); target {target}", **details
        )
    return Verdict.ok(counts[target] / total, _reason(counts, total, target, target_from), **details)


def _reason(counts: Counter[str], total: int, target: str, target_from: str) -> str:
    """E.g. "en 0.62, zh 0.38 of 214 words; target en (from params)"."""
    shown = counts.most_common(SHOWN_LANGUAGES)
    parts = [f"{lang} {n / total:.2f}" for lang, n in shown]
    rest = total - sum(n for _, n in shown)
    if rest:
        parts.append(f"other {rest / total:.2f}")
    if target not in dict(shown):
        parts.append(f"{target} {counts[target] / total:.2f}")
    return f"{', '.join(parts)} of {total} words; target {target} (from {target_from})"
