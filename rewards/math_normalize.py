"""String normalisation of math answers and the sympy-free fast path for easy comparisons.

The fast path only answers when the result is certain (identical strings, plain numbers,
choice letters); anything else returns None and goes to math-verify.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from functools import lru_cache

_UNICODE = {
    "≥": r"\geq ",
    "≤": r"\leq ",
    "≠": r"\neq ",
    "∀": r"\forall ",
    "∃": r"\exists ",
    "π": r"\pi ",
    "√": r"\sqrt",
    "×": r"\times ",
    "·": r"\cdot ",
    "−": "-",
    "∞": r"\infty ",
    "∈": r"\in ",
    "∪": r"\cup ",
    "∩": r"\cap ",
    "⁄": "/",
    "°": r"^\circ",
    "±": r"\pm ",
    "⩽": r"\leq ",
    "⩾": r"\geq ",
    "→": r"\to ",
}
# NFKC would turn "x²" into "x2"; superscripts and subscripts become ^{..} and _{..} first.
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉₊₋", "0123456789+-")
_SUPERSCRIPTS_RE = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]+")
_SUBSCRIPTS_RE = re.compile("[₀₁₂₃₄₅₆₇₈₉₊₋]+")
_HTML_RE = re.compile(r"<(sup|sub)>(.{0,200}?)</\1>", re.IGNORECASE)
_MATH_DELIMS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_DROP_RE = re.compile(
    r"\\(?:left|right|displaystyle|textstyle|big|Big|bigg|Bigg)(?![a-zA-Z])|\\[!,;: ]|\\q?quad(?![a-zA-Z])|~"
)
_FRAC_RE = re.compile(r"\\[dtc]frac(?![a-zA-Z])")
_TEXT_RE = re.compile(
    r"\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]{0,200})\}"
)
_DEGREE_RE = re.compile(r"\^\s*\{?\\circ\}?|\\degree(?![a-zA-Z])")
_THOUSANDS_RE = re.compile(r"(?<=\d)(?:\{,\}|,\\!|\\!,)(?=\d{3})")
_QUALIFIER_RE = re.compile(
    # separators, spaces around each matched one way only (possessive: "\s*" twice in a row backtracked 2^n ways)
    r"(?<=\S)(?:\s*+(?:[,;(]|\\q?quad))++\s*+(?:\\text\s*\{\s*(?:for|where)\s*(?:all|any|some)?\s*\}\s*)?"
    r"[a-zA-Z]\s*\\in\s*\\mathbb\s*\{?[ZNR]\}?\s*\)?\s*$"
)
_SINGLE_BRACE_RE = re.compile(r"([\^_])\{(\w)\}")
_CHOICE_RE = re.compile(r"^\(?([A-Ea-e])\)?(?:[.:)]|\s|$)")
_CHOICE_ONLY_RE = re.compile(r"^\(?([A-E])\)?$")
_INT = r"(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)"
_DEC_RE = re.compile(rf"^([+-]?)({_INT})?(?:\.(\d+))?$")
_REPEATING_RE = re.compile(r"^([+-]?)(\d*)\.(\d*)\\overline\{?(\d{1,20})\}?$")
_SCI_RE = re.compile(r"^(.+?)(?:\\times|\\cdot|\*|x)10\^\{?([+-]?\d{1,3})\}?$|^(.+?)[eE]([+-]?\d{1,3})$")
# Without braces \frac takes one digit per argument: \frac123 is (1/2)*3, not 12/3.
_FRAC_NUM_RE = re.compile(r"^([+-]?)\\frac(?:\{(\d{1,30})\}|(\d))(?:\{(\d{1,30})\}|(\d))$|^([+-]?\d{1,30})/(\d{1,30})$")
_CURRENCY_RE = re.compile(r"^(?:\\\$|\$)|(?:\\\$|\$)$|\\euro|€|£")


def unicode_to_latex(text: str) -> str:
    """Fold full-width characters, HTML super/subscripts and math symbols into LaTeX."""
    text = _SUPERSCRIPTS_RE.sub(lambda m: "^{" + m.group().translate(_SUPERSCRIPTS) + "}", text)
    text = _SUBSCRIPTS_RE.sub(lambda m: "_{" + m.group().translate(_SUBSCRIPTS) + "}", text)
    text = unicodedata.normalize("NFKC", text)
    text = _HTML_RE.sub(lambda m: ("^{" if m.group(1).lower() == "sup" else "_{") + m.group(2) + "}", text)
    return "".join(_UNICODE.get(c, c) for c in text)


def strip_math_delims(text: str) -> str:
    """Remove one pair of surrounding ``$``, ``$$``, ``\\(\\)`` or ``\\[\\]`` when they wrap the whole text."""
    text = text.strip()
    for left, right in _MATH_DELIMS:
        inner = text[len(left) : -len(right)] if len(text) > len(left) + len(right) else ""
        if text.startswith(left) and text.endswith(right) and "$" not in inner:
            return inner.strip()
    return text


def strip_qualifier(text: str) -> str:
    """Drop a trailing "k \\in \\mathbb{Z}" style qualifier of a general solution."""
    return _QUALIFIER_RE.sub("", text)


@lru_cache(maxsize=4096)  # a pure function of short strings a group repeats: each answer and reference, many times
def clean(text: str) -> str:
    """Canonical spelling of an answer for string comparison: no spacing, delimiters or style macros."""
    text = strip_qualifier(strip_math_delims(unicode_to_latex(text)))
    text = _DROP_RE.sub("", text)
    text = _FRAC_RE.sub(r"\\frac", text)
    text = _THOUSANDS_RE.sub(",", text)
    for _ in range(3):
        new = _TEXT_RE.sub(r"\1", text)
        if new == text:
            break
        text = new
    text = _DEGREE_RE.sub("", text).replace("\\varnothing", "\\emptyset")
    text = "".join(text.split())
    text = _SINGLE_BRACE_RE.sub(r"\1\2", text)
    return text.rstrip(".").replace("\\%", "%")


def choice_letter(text: str) -> str | None:
    """The multiple-choice letter an answer names ("(B)", "B", "\\text{(B)} 42"), else None."""
    c = clean(text)
    m = _CHOICE_RE.match(c)
    if m is None:
        return None
    rest = c[m.end() :]
    if rest and not re.match(r"^[-+]?\d", rest):
        return None
    return m.group(1).upper()


def is_choice(text: str) -> bool:
    """Whether ``text`` is nothing but a choice letter A-E (the shape of a multiple-choice reference)."""
    return _CHOICE_ONLY_RE.match(clean(text)) is not None


def plain_number(text: str) -> tuple[Fraction, bool, bool] | None:
    """(value, written with decimals, written as percent) for a plain number, fraction or x10^n; else None."""
    c = clean(text)
    percent = c.endswith("%")
    if percent:
        c = c[:-1]
    c = _CURRENCY_RE.sub("", c)
    sci = _SCI_RE.match(c)
    if sci:
        mant = plain_number(sci.group(1) or sci.group(3) or "")
        if mant is None or mant[2]:
            return None
        exp = int(sci.group(2) or sci.group(4))
        return mant[0] * Fraction(10) ** exp, True, percent
    rep = _REPEATING_RE.match(c)
    if rep:
        sign, whole, fixed, period = rep.groups()
        value = (
            Fraction(int(whole or "0"))
            + Fraction(int(fixed or "0"), 10 ** len(fixed))
            + Fraction(int(period), (10 ** len(period) - 1) * 10 ** len(fixed))
        )
        return (-value if sign == "-" else value), False, percent
    m = _DEC_RE.match(c)
    if m and (m.group(2) or m.group(3)):
        whole = Fraction(int((m.group(2) or "0").replace(",", "")))
        frac = Fraction(int(m.group(3)), 10 ** len(m.group(3))) if m.group(3) else Fraction(0)
        value = whole + frac
        return (-value if m.group(1) == "-" else value), m.group(3) is not None, percent
    f = _FRAC_NUM_RE.match(c)
    if f:
        if f.group(6) is None:
            num, den, sign = int(f.group(2) or f.group(3)), int(f.group(4) or f.group(5)), f.group(1)
        else:
            num, den, sign = int(f.group(6)), int(f.group(7)), ""
        if den == 0:
            return None
        value = Fraction(num, den)
        return (-value if sign == "-" else value), False, percent
    return None


def fast_compare(answer: str, gold: str, float_rounding: int) -> tuple[bool | None, str]:
    """(equal?, rule) when certain without sympy, else (None, "")."""
    a, g = clean(answer), clean(gold)
    if a and a == g:
        return True, "identical after normalisation"
    if is_choice(gold):
        letter = choice_letter(answer)
        if letter is not None:
            return letter == g.strip("()").upper(), "choice letter"
        return None, ""
    if (gold_letter := choice_letter(gold)) is not None:  # a reference like "(C) 12"
        if is_choice(answer):
            return clean(answer).strip("()").upper() == gold_letter, "choice letter"
        value = clean(gold)[_CHOICE_RE.match(clean(gold)).end() :]  # type: ignore[union-attr]
        if value:
            equal, rule = fast_compare(answer, value, float_rounding)
            return equal, f"value of choice {gold_letter}: {rule}" if equal is not None else ""
    na, ng = plain_number(answer), plain_number(gold)
    if na is None or ng is None:
        return None, ""
    (va, dec_a, pct_a), (vg, dec_g, pct_g) = na, ng
    if pct_a != pct_g:
        if va == vg or (pct_g and va * 100 == vg) or (pct_a and vg * 100 == va):
            return True, "plain numbers (percent)"
        return None, ""
    if va == vg:
        return True, "plain numbers"
    if not dec_a and not dec_g:
        return False, "plain numbers"
    if dec_a and round(va, float_rounding) == round(vg, float_rounding):
        return True, "plain numbers (rounded)"
    if dec_a:
        return False, "plain numbers"
    return None, ""
