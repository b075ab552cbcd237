"""Cut a chain of thought into counted words by script, for the ``language`` reward.

The steps, each a regex pass (no per-character Python loop, so 100k-character CoTs stay fast):

1. **CoT**: the text inside ``<think>…</think>`` blocks; with only ``</think>`` (the
   prompt pre-filled ``<think>``) the text before it; with only ``<think>`` (truncated)
   the text after it; without tags the whole completion.
2. **Neutral spans are blanked**: fenced code, inline code, ``$$…$$``, ``\\[…\\]``,
   ``\\(…\\)``, ``$…$``, ``\\begin{…}…\\end{…}``, URLs, e-mail addresses and bare LaTeX
   commands with their brace arguments (``\\frac{1}{2}``); an opener never closed (a
   truncated code block or display) blanks the rest of the text. Digits, punctuation, symbols
   and emoji are never letters, so they never count.
3. **Sentences**: split at newlines and ``. ! ? ; 。 ！ ？ ； । ॥ ؟ ؛``.
4. **Words**, per sentence and script (Unicode ranges in :data:`SCRIPTS`):
   - alphabetic scripts (Latin, Cyrillic, Greek, Arabic, Hebrew, Indic, …): each maximal
     run of the script's letters is a word; runs of one letter (math variables, ``π``),
     Latin runs touching a digit or ``_`` (identifiers such as ``x2``, ``dp_table``) and
     math function names (``sin``, ``log``, ``gcd``…) are neutral;
   - Hangul: each run is a word (Korean separates words by spaces);
   - Han: each run of up to two characters is a word (a run of n counts ceil(n/2): Chinese
     words average 1.5–2 characters, so a sentence weighs about what its English
     translation does); Kana: each run is a word;
   - Thai, Lao, Khmer, Myanmar, Tibetan (written without spaces): one word per 4 letters of a run.
5. **Language of a word**: where the script alone decides (Han → ``zh``, or ``ja`` when
   its sentence has Kana, or it is a Han-only sentence of at most 4 words (8 characters) next to a
   sentence with Kana; Kana → ``ja``; Hangul → ``ko``; Greek →
   ``el``; Hebrew → ``he``; Thai → ``th``; Bengali → ``bn``…), the script's language.
   Scripts shared by several languages (Latin, Cyrillic, Arabic, Devanagari) are
   classified by fastText in chunks: consecutive sentences' words of that script are
   joined until a chunk has at least ``min_chunk_words`` words, and every word of a chunk
   gets the chunk's language (see :mod:`rewards.lang_model`). A chunk also keeps its one-letter
   words (Spanish "a", "y", Bulgarian "е", Russian "в"): they count for no language, but
   fastText reads them with a short chunk's words, where they are much of the evidence.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

SENTENCE = re.compile(r"[^\n.!?;。！？；।॥؟؛]+")
# (trigger substring, pattern, replacement). An opener without its closer blanks the rest of
# the text: a lazy ``.*?`` that may fail would rescan to the end from every opener (quadratic).
NEUTRAL_PATTERNS = (
    ("```", re.compile(r"```.*?(?:```|\Z)", re.DOTALL), "\n"),
    ("`", re.compile(r"`[^`\n]*`"), " "),
    ("$$", re.compile(r"\$\$.*?(?:\$\$|\Z)", re.DOTALL), "\n"),
    ("\\[", re.compile(r"\\\[.*?(?:\\\]|\Z)", re.DOTALL), "\n"),
    ("\\(", re.compile(r"\\\(.*?(?:\\\)|\Z)", re.DOTALL), " "),
    ("\\begin", re.compile(r"\\begin\{([A-Za-z*]+)\}.*?(?:\\end\{\1\}|\Z)", re.DOTALL), "\n"),
    ("$", re.compile(r"\$[^$\n]+\$"), " "),
    ("://", re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://\S+"), " "),
    ("www.", re.compile(r"(?<![\w.])www\.\S+"), " "),
    ("@", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+"), " "),
    ("\\", re.compile(r"\\[A-Za-z]+\*?(?:\s*\{[^{}]*\})*"), " "),
)
MATH_WORDS = frozenset(
    [
        "sin",
        "cos",
        "tan",
        "cot",
        "sec",
        "csc",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "log",
        "ln",
        "lg",
        "exp",
        "max",
        "min",
        "gcd",
        "lcm",
        "mod",
        "det",
        "lim",
        "sqrt",
        "argmax",
        "argmin",
    ]
)

LATIN_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u1e00-\u1eff"
# script name -> (letter ranges, how words are counted, language when the script alone decides)
SCRIPTS: dict[str, tuple[str, str, str | None]] = {
    "latin": (LATIN_LETTERS, "alpha", None),
    "cyrillic": ("\u0400-\u0482\u048a-\u052f", "alpha", None),
    "arabic": (
        "\u0620-\u065f\u066e-\u06d3\u06d5-\u06ef\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc",
        "alpha",
        None,
    ),
    "devanagari": ("\u0900-\u0963\u0971-\u097f", "alpha", None),
    "greek": ("\u0370-\u0373\u0376-\u03ff\u1f00-\u1fff", "alpha", "el"),
    "hebrew": ("\u0591-\u05f2", "alpha", "he"),
    "armenian": ("\u0531-\u0587", "alpha", "hy"),
    "georgian": ("\u10a0-\u10ff", "alpha", "ka"),
    "bengali": ("\u0980-\u09e5\u09f0-\u09ff", "alpha", "bn"),
    "gurmukhi": ("\u0a00-\u0a65\u0a70-\u0a7f", "alpha", "pa"),
    "gujarati": ("\u0a80-\u0ae5\u0af0-\u0aff", "alpha", "gu"),
    "oriya": ("\u0b00-\u0b65\u0b70-\u0b7f", "alpha", "or"),
    "tamil": ("\u0b80-\u0be5\u0bf0-\u0bff", "alpha", "ta"),
    "telugu": ("\u0c00-\u0c65\u0c70-\u0c7f", "alpha", "te"),
    "kannada": ("\u0c80-\u0ce5\u0cf0-\u0cff", "alpha", "kn"),
    "malayalam": ("\u0d00-\u0d65\u0d70-\u0d7f", "alpha", "ml"),
    "sinhala": ("\u0d80-\u0de5\u0df0-\u0dff", "alpha", "si"),
    "ethiopic": ("\u1200-\u135f", "alpha", "am"),
    "thai": ("\u0e01-\u0e4e", "unspaced", "th"),
    "lao": ("\u0e80-\u0ecf", "unspaced", "lo"),
    "tibetan": ("\u0f40-\u0fbc", "unspaced", "bo"),
    "myanmar": ("\u1000-\u103f\u1050-\u109f", "unspaced", "my"),
    "khmer": ("\u1780-\u17d3", "unspaced", "km"),
    "hangul": ("\u1100-\u11ff\u3131-\u318e\uac00-\ud7a3", "run", "ko"),
    "kana": ("\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d", "run", "ja"),
    "han": ("\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f", "pairs", "zh"),
}
SHARED_SCRIPTS = ("latin", "cyrillic", "arabic", "devanagari")
UNSPACED_CHARS_PER_WORD = 4
HAN_CHARS_PER_WORD = 2  # Chinese words average 1.5-2 characters (jieba); a run of n counts ceil(n/2)
SHORT_HAN_SENTENCE = 4  # a Han-only sentence this short next to Kana is Japanese (a heading, 解答)


def _word_pattern(script: str, shortest: int = 2) -> re.Pattern[str]:
    letters, kind, _ = SCRIPTS[script]
    if script == "latin":
        return re.compile(f"(?<![0-9_{letters}])[{letters}]{{{shortest},}}(?![0-9_{letters}])")
    if kind == "alpha":
        return re.compile(f"[{letters}]{{{shortest},}}")
    if kind == "pairs":
        return re.compile(f"[{letters}]{{1,{HAN_CHARS_PER_WORD}}}")
    return re.compile(f"[{letters}]+")


WORDS = {script: _word_pattern(script) for script in SCRIPTS}
TOKENS = {script: _word_pattern(script, 1) for script in SHARED_SCRIPTS}  # words and one-letter words


class Chunk(NamedTuple):
    """Counted words of a shared script classified together, and the sentences they come from."""

    words: list[str]
    sentences: list[str]

    def text(self, script: str) -> str:
        """The chunk's words with its one-letter words ("a", "y", "е", "в"), which count for no language."""
        tokens = [t for s in self.sentences for t in TOKENS[script].findall(s)]
        return " ".join(t for t in tokens if t.lower() not in MATH_WORDS) if script == "latin" else " ".join(tokens)


def _range_table() -> list[tuple[int, int, str]]:
    """Sorted, disjoint (first, last, script) code-point ranges of every script's letters."""
    ranges = [
        (ord(m.group(1)), ord(m.group(2) or m.group(1)), script)
        for script, (letters, _, _) in SCRIPTS.items()
        for m in re.finditer(r"(.)(?:-(.))?", letters)
    ]
    return sorted(ranges)


_RANGES = _range_table()
_STARTS = [r[0] for r in _RANGES]


@dataclass
class Segmented:
    """Word counts of one text: decided by script, and chunks of shared-script words for fastText."""

    decided: Counter[str] = field(default_factory=Counter)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    sentences: int = 0
    han_words: int = 0
    kana: bool = False


def chain_of_thought(completion: str) -> tuple[str, str]:
    """The CoT part of a completion and where it came from ("think", "before </think>", …)."""
    blocks = []
    start = completion.find("<think>")
    while start >= 0:  # str.find, not a lazy regex: many unclosed <think> must stay linear
        end = completion.find("</think>", start + 7)
        if end < 0:
            break
        blocks.append(completion[start + 7 : end])
        start = completion.find("<think>", end + 8)
    if blocks:
        return "\n".join(blocks), "think"
    if "</think>" in completion:
        return completion.split("</think>", 1)[0].replace("<think>", " "), "before </think>"
    if "<think>" in completion:
        return completion.split("<think>", 1)[1], "after <think> (unclosed)"
    return completion, "whole completion"


def neutralize(text: str) -> str:
    """Blank code, math, URLs and LaTeX commands, which count for no language."""
    for trigger, pattern, repl in NEUTRAL_PATTERNS:
        if trigger in text:
            text = pattern.sub(repl, text)
    return text


def scripts_present(text: str) -> set[str]:
    """Scripts whose letters occur in ``text`` (one pass over its distinct characters)."""
    found = set()
    for ch in set(text):
        code = ord(ch)
        i = bisect.bisect_right(_STARTS, code) - 1
        if i >= 0 and code <= _RANGES[i][1]:
            found.add(_RANGES[i][2])
    return found


def segment(text: str, min_chunk_words: int) -> Segmented:
    """Count the words of ``text`` (already the CoT) by script; see the module docstring."""
    text = neutralize(text)
    present = scripts_present(text)
    sentences = SENTENCE.findall(text)
    out = Segmented(sentences=len(sentences))
    shared = [s for s in SHARED_SCRIPTS if s in present]
    decided = [s for s in present if s not in SHARED_SCRIPTS and s not in ("han", "kana")]
    han, kana = "han" in present, "kana" in present
    pending: dict[str, list[str]] = {s: [] for s in shared}
    pending_sentences: dict[str, list[str]] = {s: [] for s in shared}
    chunks: dict[str, list[Chunk]] = {s: [] for s in shared}
    han_counts: list[int] = []
    kana_flags: list[bool] = []
    for sentence in sentences:
        for script in shared:
            words = WORDS[script].findall(sentence)
            if script == "latin":
                words = [w for w in words if w.lower() not in MATH_WORDS]
            if words:
                pending[script].extend(words)
                pending_sentences[script].append(sentence)
                if len(pending[script]) >= min_chunk_words:
                    chunks[script].append(Chunk(pending[script], pending_sentences[script]))
                    pending[script], pending_sentences[script] = [], []
        for script in decided:
            runs = WORDS[script].findall(sentence)
            kind, lang = SCRIPTS[script][1], SCRIPTS[script][2]
            n = sum(math.ceil(len(r) / UNSPACED_CHARS_PER_WORD) for r in runs) if kind == "unspaced" else len(runs)
            out.decided[lang or script] += n
        if kana:
            n_kana = len(WORDS["kana"].findall(sentence))
            out.decided["ja"] += n_kana
            kana_flags.append(n_kana > 0)
        if han:
            han_counts.append(len(WORDS["han"].findall(sentence)))
    for script in shared:
        if pending[script]:
            if chunks[script]:
                last = chunks[script][-1]
                chunks[script][-1] = Chunk(last.words + pending[script], last.sentences + pending_sentences[script])
            else:
                chunks[script].append(Chunk(pending[script], pending_sentences[script]))
    out.chunks = {s: c for s, c in chunks.items() if c}
    out.han_words, out.kana = sum(han_counts), kana
    for i, n in enumerate(han_counts):
        near_kana = kana and (kana_flags[i] or (n <= SHORT_HAN_SENTENCE and any(kana_flags[max(0, i - 1) : i + 2])))
        out.decided["ja" if near_kana else "zh"] += n
    out.decided = Counter({k: v for k, v in out.decided.items() if v})
    return out
