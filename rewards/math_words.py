"""English number words as digits: "five" → "5", "twenty-one apples" → "21 apples", "two thirds" → "\\frac{2}{3}".

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
_WORD = "|".join(sorted([*_UNITS, *_TENS, *_SCALES, "and", "an", "a"], key=len, reverse=True))
# A number word starting a value ("five", "Twenty-one", "minus three"), for lookaheads elsewhere.
NUMBER_WORD = rf"(?i:(?:minus|negative|{'|'.join(sorted([*_UNITS, *_TENS], key=len, reverse=True))})\b)"
_DENOMINATORS = {
    "half": 2,
    "halve": 2,
    "third": 3,
    "quarter": 4,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "twelfth": 12,
    "hundredth": 100,
}
_PLAIN = "|".join(sorted([*_UNITS, *_TENS, *_SCALES], key=len, reverse=True))
# A run of number words with an optional sign and fraction ("twenty-one", "minus two thirds", "one half").
NUMBER_WORDS = (
    rf"(?i:\b(?:(?:minus|negative)\s+)?(?:{_PLAIN})(?:[\s-]+(?:{_PLAIN}))*"
    rf"(?:(?:\s+and\s+an?)?[\s-]+(?:{'|'.join(_DENOMINATORS)})s?)?\b)"
)
_LEAD_RE = re.compile(
    rf"^(?P<sign>(?:minus|negative)\s+)?(?P<words>(?:{_WORD})(?:[\s-]+(?:{_WORD}))*)\b(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_FRACTION_RE = re.compile(
    rf"^(?P<mixed>\s+and\s+an?)?[\s-]+(?P<den>{'|'.join(_DENOMINATORS)})s?\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
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
        elif token == "and" and i > 0 and tokens[i - 1] in _SCALES and i + 1 < len(tokens):
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
    end = len(words)  # "five and" + "a half": read below; cut by index, each look at one word (not the whole)
    while words[max(0, end - 4) : end].lower() in (" and", "-and") or words[max(0, end - 2) : end].lower() == " a":
        end = max(0, words.rfind(" ", 0, end))
    words = words[:end]
    rest = text[m.start("words") + len(words) :]
    fraction = _FRACTION_RE.match(rest)
    value = 1 if words.lower() in ("a", "an") and fraction else words_value(words)
    if value is None or not words:
        return None
    sign = "-" if m.group("sign") else ""
    if fraction and not fraction.group("mixed") and value >= _DENOMINATORS[fraction.group("den").lower().rstrip("s")]:
        fraction = None  # "six quarters", "five halves": a count of things, as in "six quarters and six dimes"
    if fraction:  # "two thirds", "one-half", "three and a half"
        numerator, denominator = value, _DENOMINATORS[fraction.group("den").lower().rstrip("s")]
        if fraction.group("mixed"):
            numerator = value * denominator + 1
        return f"{sign}\\frac{{{numerator}}}{{{denominator}}}{fraction.group('rest')}".strip()
    if re.match(r"^\s*(?:[/-]|and\s+an?\s)", rest, re.IGNORECASE):
        return None  # "five-ish", "five and a bit"
    return f"{sign}{value}{rest}".strip()
