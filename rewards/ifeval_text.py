"""Text measures for the ``ifeval`` verifier: words, sentences, the loose variants, the counted view.

Words are runs of ``\\w`` (IFEval's ``RegexpTokenizer(r"\\w+")``). IFEval counts sentences
with NLTK's Punkt model, a data download we cannot make; :func:`sentences` is a rule-based
splitter instead: a sentence ends at ``.``, ``!`` or ``?`` (runs such as ``?!`` or ``...``
count once) followed by whitespace or the end, except after a title (Mr., Dr.), a common
abbreviation (etc.), dotted initials (e.g., p.m., U.S.), a single initial, a list number
opening a line ("1. ") or inside a number (3.14); an ellipsis ends one only before a capital.

The *counted view* (:func:`counted_view`) is what "at least" constraints count in when the
anti-gaming guards are on: fenced code blocks are dropped, a sentence or line repeated
verbatim counts once, and a run of three or more identical words counts as one word. It
only ever lowers a count, so it can make an "at least" constraint fail, never pass.
"""

from __future__ import annotations

import re

WORD_RE = re.compile(r"\w+")
CODE_FENCE_RE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "inc", "ltd", "co", "vs", "etc"}
    | {"eg", "ie", "e.g", "i.e", "fig", "approx", "dept", "ph.d", "capt", "lt"}
)
# from the start of a run of marks only, possessive: tried at every mark of a run, each attempt scanned the rest
_SENTENCE_END_RE = re.compile(r"(?<![.!?])[.!?]++[\"'”’)\]]*+(?=\s|\Z)")
_SEGMENT_END_RE = re.compile(r"(?<![.!?])[.!?]++[\"'”’)\]]*+(?=\s|\Z)|\n")
_DOTTED_RE = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]$")  # e.g, p.m, U.S: dotted initials
MIN_RUN = 3


def count_words(text: str) -> int:
    """Words as IFEval counts them: maximal runs of word characters."""
    return len(WORD_RE.findall(text))


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    """Is this terminal punctuation a real sentence end (not Dr., e.g., J., 3.14, a list's "1." or "... and")?"""
    marks = match.group(0).rstrip("\"'”’)]")
    if marks.startswith("..."):  # an ellipsis ends a sentence only before a capital (Punkt's orthographic rule)
        following = text[match.end() : match.end() + 3].lstrip()
        return not following or not following[0].islower()
    if marks[0] != "." or len(marks) > 1:
        return True
    window = text[max(0, match.start() - 40) : match.start()]
    before = window.rsplit(None, 1)
    word = before[-1].lower().lstrip("(\"'“‘") if before else ""
    if word in _ABBREVIATIONS or _DOTTED_RE.match(word):
        return False
    if word.isdigit() and not window.rsplit("\n", 1)[-1][: -len(word)].strip():
        return False  # "1." opening a line enumerates, it does not end a sentence
    return not (len(word) == 1 and word.isalpha())


def sentences(text: str) -> list[str]:
    """The non-empty sentences of ``text`` (rule-based; see the module docstring)."""
    out, start = [], 0
    for match in _SENTENCE_END_RE.finditer(text):
        if _ends_sentence(text, match):
            out.append(text[start : match.end()])
            start = match.end()
    out.append(text[start:])
    return [s.strip() for s in out if WORD_RE.search(s)]


def count_sentences(text: str) -> int:
    """The number of sentences in ``text``."""
    return len(sentences(text))


def loose_variants(response: str) -> list[tuple[str, str]]:
    """The eight texts IFEval's loose mode tries, each with its name (the paper, Section 3).

    The response as is, without its first line, its last line or both, and each of these
    with every ``*`` removed (markdown emphasis).
    """
    lines = response.split("\n")
    trimmed = [
        ("as is", response),
        ("first line removed", "\n".join(lines[1:]).strip()),
        ("last line removed", "\n".join(lines[:-1]).strip()),
        ("first and last lines removed", "\n".join(lines[1:-1]).strip()),
    ]
    return trimmed + [
        (f"{name}, * removed" if name != "as is" else "* removed", text.replace("*", "")) for name, text in trimmed
    ]


def strip_code_blocks(text: str) -> str:
    """``text`` without fenced (```) code blocks; an unclosed fence runs to the end."""
    return CODE_FENCE_RE.sub("\n", text)


def counted_view(text: str, *, keep_code: bool) -> str:
    """What "at least" constraints count when guards are on: no code, no repeats (module docstring)."""
    body = text if keep_code else strip_code_blocks(text)
    seen: set[str] = set()
    kept = []
    start = 0
    body += "\n"
    for match in _SEGMENT_END_RE.finditer(body):
        segment = body[start : match.end()]
        start = match.end()
        key = " ".join(segment.lower().split())
        if not WORD_RE.search(key) or key in seen:
            continue
        seen.add(key)
        kept.append(_collapse_runs(segment.strip()))
    return "\n".join(kept)


def _collapse_runs(segment: str) -> str:
    """A run of ``MIN_RUN`` or more identical words (case-insensitive) becomes one word."""
    tokens = segment.split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        j = i
        while j + 1 < len(tokens) and tokens[j + 1].lower() == tokens[i].lower():
            j += 1
        out.extend(tokens[i : j + 1] if j - i + 1 < MIN_RUN else tokens[i : i + 1])
        i = j + 1
    return " ".join(out)
