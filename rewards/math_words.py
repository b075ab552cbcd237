"""English number words as digits: "five" → "5", "twenty-one apples" → "21 apples", "minus three" → "-3".

Models often state a count in words ("The answer is five."); math-verify reads no words, so an
extracted answer that *starts* with a number in words is rewritten with digits before parsing.
Only whole answers are rewritten, never the reasoning, so "the three given conditions" inside a
sentence is not a candidate value.
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_SIGN = {"minus": -1, "negative": -1}
_WORD = "|".join(sorted([*_UNITS, *_TENS, *_SCALES, "and", "a"], key=len, reverse=True))
_LEAD_RE = re.compile(
    rf"^(?P<sign>(?:minus|negative)\s+)?(?P<words>(?:{_WORD})(?:[\s-]+(?:{_WORD}))*)\b(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_TEXT_RE = re.compile(r"^\\(?:text|textbf|mathrm|mbox)\s*\{([^{}]*)\}(.*)$", re.DOTALL)


def words_value(words: str) -> int | None:
    """The integer a run of English number words names ("one hundred and five" → 105), else None."""
    tokens = [t for t in re.split(r"[\s-]+", words.lower().strip()) if t]
    total = current = 0
    seen_number = False
    for i, token in enumerate(tokens):
        if token in _UNITS:
            current += _UNITS[token]
        elif token in _TENS:
            current += _TENS[token]
        elif token in _SCALES:
            if token == "hundred":
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * _SCALES[token]
                current = 0
        elif token == "a" and i + 1 < len(tokens) and tokens[i + 1] in _SCALES:
            current += 1
            continue
        elif token == "and" and seen_number and i + 1 < len(tokens):
            continue
        else:
            return None
        seen_number = True
    return total + current if seen_number else None


def digits_for_words(answer: str) -> str | None:
    """``answer`` with a leading number in words replaced by digits ("five apples" → "5 apples"), else None."""
    text = answer.strip().strip("$").strip()
    boxed = _TEXT_RE.match(text)
    if boxed:
        text = boxed.group(1).strip() + boxed.group(2)
    m = _LEAD_RE.match(text)
    if m is None:
        return None
    words = m.group("words")
    while words.lower().endswith((" and", " a", "-and")):  # "five and" + "a half" is not ours to read
        words = words[: words.rfind(" ") if " " in words else 0]
    value = words_value(words)
    if value is None or not words:
        return None
    rest = text[m.start("words") + len(words) :]
    if re.match(r"^\s*(?:[/-]|and\s+a\s+half|halves|thirds|quarters|fourths|fifths)", rest, re.IGNORECASE):
        return None  # fractions in words ("two thirds") are not integers
    sign = -1 if m.group("sign") else 1
    return f"{sign * value}{rest}".strip()
