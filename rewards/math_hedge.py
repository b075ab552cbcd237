"""Answers that offer several values: hedges ("5 or 6", "5 and also 6", "either 5 or 6") and lists.

A hedge names more than one candidate for a single-valued reference; the verifier then
requires every candidate to equal the reference (``math_verifier``). Joining words are
hedges whichever word is used: "or", "either … or", "and", "and also", "as well as",
"and/or", and their ``\\text{…}`` and logic-symbol spellings. "and" only separates
*values* ("5 and 6"), never a value and prose ("42 and we are done").
"""

from __future__ import annotations

import itertools
import re

from rewards.math_words import NUMBER_WORD, digits_for_words

_TRAILING_RE = re.compile(
    r"^[\s$.,;:)\]}\u2013\u2014]{0,12}(?:\\text\s*\{\s*)?\(?\s*(?P<join>or|and\s+also|and/or|as\s+well\s+as|"
    r"but\s+also|and\s+(?:possibly|maybe|perhaps)|also|and|possibly|maybe|perhaps|probably)\b\s*"
    r"(?:maybe|possibly|perhaps|else|equivalently)?\s*(?P<alt>.{1,120})",
    re.IGNORECASE | re.DOTALL,
)
_OR_RE = re.compile(
    r"\\text\s*\{\s*(?:or|either)\s*\}|\\(?:lor|vee)\b|\b(?:or|either)\b|"
    # "7, possibly 8", "7 (maybe 8)", "7 — perhaps 8", "7; also 8": a hedge word after a pause, then a value
    r"(?:[,;(\u2013\u2014]|\s-{1,2}(?=\s))\s*(?:possibly|maybe|perhaps|probably|alternatively|also)\b"
    r"(?=\s*(?:[-+$\\(\d.]|" + NUMBER_WORD + r"))",
    re.IGNORECASE,
)
_AND_RE = re.compile(
    # "(?<!\s)": a match starts where its spaces start, not inside them (each start scanned the run: quadratic)
    r"\\text\s*\{\s*(?:and(?:\s+also)?|as\s+well\s+as|and/or)\s*\}|,?(?<!\s)\s*+\b(?:and\s+also|and/or|as\s+well\s+as|"
    r"and\s+(?:possibly|maybe|perhaps)|and)\b",
    re.IGNORECASE,
)
_BOTH_RE = re.compile(r"^\s*both\s+", re.IGNORECASE)  # "both 5 and 6"
_NUMBER_RE = re.compile(r"-?(?:\d{1,3}(?:(?:,\\!|\\!,|\{,\}|\\,|\\!|\\ |,| )\d{3})+(?!\d)|\d+)(?:\.\d+)?")
MIN_LISTED_NUMBERS = 3
# Items of a written list: "7, 8", "7; 8", "x = -1, x = 5", "x = -1, 5" (not "1,5", which may be 1.5 or 15)
# ",\\ " and ",\\quad" are spaces too; "(?<!\s)": a match starts where its spaces start (as _AND_RE)
_ITEM_SEP_RE = re.compile(r"(?<!\s)\s*+;\s*+|,(?:\s|\\[ ,;:]|\\q?quad\b)++|,(?=-)")
_ITEM_RE = re.compile(
    r"^(?:[A-Za-z](?:_\{?\w+\}?)?\s*=\s*)?-?(?:\d+(?:\.\d+)?|\\[dt]?frac\{-?\d+\}\{\d+\}|\\sqrt\{\d+\})$"
)
_LIST_SEP_RE = re.compile(r"^(?:\s*+[,;]\s*+|\s++(?:and|or)\s++|\s++|\s*+,?\s*+\\(?:quad|qquad|,|;)\s*+)$")
# a value starts with a digit, a command, a bracket, or a (subscripted) variable it is given by: "x_1 = -1"
_VALUE_START_RE = re.compile(
    r"^[-+]?(?:\d|\\|\(|\[|\{|[A-Za-z](?:_\{?\w+\}?)?\s*(?:=|\\in|<|>|\\[lg]eq?\b)|[A-Za-z]$|\.\d)"
)
_PROSE_WORD_RE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")
MAX_VALUE_WORDS = 2
# Numbers side by side with only spaces between ("7 7 7 7"; "1 000" is one number): a spray, not a list
_SPRAY_RE = re.compile(r"-?\d+(?:\.\d+)?(?:\s+(?!\d{3}(?![\d.]))-?\d+(?:\.\d+)?)+")
# Another value offered as a candidate after the answer: "7, with 8 being the other candidate", "8 also works"
_ALT_VALUE = r"(-?\d+(?:\.\d+)?(?:/\d+)?(?![\d.])|\$[^$]{1,40}\$|\\[dt]?frac\{[^{}]{1,20}\}\{[^{}]{1,20}\})"
_UNIT = r"(?:\s*(?:\\(?:text|mathrm)\s*\{[^{}]{0,20}\}|[A-Za-z%\u00b0]{1,12}))?"  # "160 km being the other..."
_ANY_NOUN = r"(?:candidate|option|possibility|alternative|contender|choice|guess|answer|solution|value|result)s?"
_OTHER = r"(?:other|another|second|alternative|(?:equally\s+)?(?:possible|plausible|likely)|close)"
_CANDIDATE_RES = (
    re.compile(  # "8 being the other candidate", "8 as another possible answer", "8 is a candidate too"
        _ALT_VALUE + _UNIT + r"\s+(?:being|is|was|as|remains|would\s+be|could\s+be|seems)\s+(?:(?:the|an?|another)\s+)?"
        rf"(?:(?:{_OTHER}\s+)+{_ANY_NOUN}|(?:candidate|option|possibility|alternative|contender|guess)s?)\b",
        re.IGNORECASE,
    ),
    re.compile(  # "8 is also possible", "8 also works", "8 is equally valid"
        _ALT_VALUE
        + _UNIT
        + r"\s+(?:is\s+|would\s+be\s+)?(?:also|equally)\s+(?:possible|plausible|valid|correct|likely|"
        r"works?|fits?|an?\s+(?:candidate|option|possibility|answer))\b",
        re.IGNORECASE,
    ),
    re.compile(  # "the other candidate being 8", "another possible answer is 8", "second option: 8"
        rf"\b(?:other|another|second|alternative)\s+(?:(?:possible|plausible|likely)\s+)?{_ANY_NOUN}"
        r"\s*(?:being|is|was|would\s+be|could\s+be|:|,)?\s*" + _ALT_VALUE,
        re.IGNORECASE,
    ),
)
# ... unless the text rejects or qualifies it: "8 is the other candidate, but it fails the second equation",
# "the other solution is -3, but a length is positive" (a doubtful reading is left to the rules that judge it)
_REJECTS_RE = re.compile(
    r"\b(?:not|no|never|ruled?\s+out|rules\s+out|fails?|failed|wrong|incorrect|rejected?|discard(?:ed)?|"
    r"eliminated?|excluded?|invalid|impossible|extraneous|doesn't|does\s+not|isn't|cannot|can't|"
    r"but|however|since|because|unless|though|although)\b",
    re.IGNORECASE,
)
CANDIDATE_CHARS = 240


def is_value(part: str) -> bool:
    """Whether ``part`` reads as one value ("6", "x = 5", "\\frac12", "6 apples"), not as prose."""
    text = unwrap_math(part.strip(" ,;.$"))
    text = digits_for_words(text) or text
    text = re.sub(r"\\(?:text|mathrm|mbox)\s*\{[^{}]*\}", "", text).strip()
    if not text or not _VALUE_START_RE.match(text):
        return False
    return len(_PROSE_WORD_RE.findall(text)) <= MAX_VALUE_WORDS


def trailing_alternative(after: str) -> str | None:
    """A second answer offered right after the answer ("\\boxed{3} (or possibly 4)", "3. Or maybe 4", "3 and 4")."""
    m = _TRAILING_RE.match(after[:200])
    if m is None:
        return None
    alt = re.split(r"\n|\.\s", m.group("alt"), maxsplit=1)[0].lstrip(" $})").rstrip(" $.,;")
    while alt and alt[-1] in ")}" and alt.count(alt[-1]) > alt.count("(" if alt[-1] == ")" else "{"):
        alt = alt[:-1].rstrip(" $.,;")
    start = re.search(r"[\d$\\(\[{-]", alt)
    if start is None:
        return None
    alt = alt[start.start() :].lstrip("$ ")
    if m.group("join").lower() != "or" and not is_value(alt):
        return None  # "\\boxed{5} and 6 is the other root of the auxiliary equation"
    return alt


def is_spray(answer: str) -> bool:
    """Whether ``answer`` is numbers side by side with only spaces between ("7 7 7 7"), which states no value."""
    return _SPRAY_RE.fullmatch(unwrap_math(answer.strip(" .;$*"))) is not None


def offered_alternative(after: str) -> str | None:
    """Another value the text right after an answer offers as a candidate and does not reject, else None.

    "\\boxed{7}, with 8 being the other candidate", "7. 8 is also possible", "7 (another possible answer
    is 8)"; not "7; 8 is the other candidate, but it fails", nor "7, the value of f(3)".
    """
    text = re.split(r"(?<=[.!?])\s+(?=\S)", after[:CANDIDATE_CHARS].lstrip(" .!;)$}"), maxsplit=1)[0]
    if _REJECTS_RE.search(text):
        return None
    for candidate in _CANDIDATE_RES:
        m = candidate.search(text)
        if m is not None:
            return m.group(1).strip("$ ")
    return None


def split_alternatives(answer: str) -> tuple[list[str], bool]:
    """Values one answer offers: joined by "or" (flag False), by "and" or as a bare list of 3+ numbers (True)."""
    stripped = unwrap_math(answer)
    if _OR_RE.search(stripped):
        parts = [p.strip(" ,;$\\") for p in _OR_RE.split(stripped)]
        parts = [_balanced(p) for p in parts]
        parts = [digits_for_words(p) or p for p in parts if p and not p.lower().startswith("equivalently")]
        if len(parts) > 1:
            return parts, False
    numbers = list(_NUMBER_RE.finditer(stripped))
    if len(numbers) >= MIN_LISTED_NUMBERS:
        gaps = [stripped[a.end() : b.start()] for a, b in itertools.pairwise(numbers)]
        if all(_LIST_SEP_RE.match(g) for g in gaps):
            return [m.group() for m in numbers], True
    items = [digits_for_words(item) or item for item in _ITEM_SEP_RE.split(stripped)]
    if len(items) > 1 and all(_ITEM_RE.match(item) for item in items):
        return items, True
    if _AND_RE.search(stripped):
        parts = [p.strip(" ,;$\\") for p in _AND_RE.split(_BOTH_RE.sub("", stripped))]
        parts = [p for p in parts if p]
        if len(parts) > 1 and all(is_value(p) for p in parts):
            return [digits_for_words(p) or p for p in parts], True
    return [], False


def _balanced(part: str) -> str:
    """A split part without the bracket its split left unmatched ("8)" of "7 (maybe 8)")."""
    if part.endswith(")") and part.count(")") > part.count("("):
        part = part[:-1].rstrip(" ,;$\\")
    return part


def unwrap_math(text: str) -> str:
    """``text`` without one pair of math delimiters wrapping all of it."""
    text = text.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
            return text[len(left) : -len(right)].strip()
    return text
