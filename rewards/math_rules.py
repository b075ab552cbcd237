"""Rescue rules: equivalent readings of an answer or reference that math-verify misses.

Each rule takes (gold, answer, float_rounding, numeric_precision) and returns True when
its reading makes the two equal; its docstring's first line names it in verdicts. They
only ever run after math-verify said "unequal".
"""

from __future__ import annotations

import math
import re
from typing import Any

import sympy
from sympy import Basic, Eq, Symbol
from sympy.core.relational import Relational
from sympy.logic.boolalg import And

from rewards.math_normalize import clean, plain_number, strip_math_delims
from rewards.math_sympy import Side, as_set, boxed, first, mv_equal, mv_parse

_SETBUILDER_RE = re.compile(
    r"^\\\{\s*([a-zA-Z])\s*(?:\\in\s*\\mathbb\s*\{?[RZNQ]\}?\s*)?(?:\||\\mid|:)\s*+(.+)\\\}$"  # group 2 stripped
)
_ASSIGN_RE = re.compile(
    r"^\(?\s*[A-Za-z](?:_\{?\w+\}?)?(?:\(\s*[a-z]\s*\))?(?:\s*,\s*[A-Za-z](?:_\{?\w+\}?)?(?:\(\s*[a-z]\s*\))?)*\s*\)?$"
)
_FUNC_DEF_RE = re.compile(r"^([A-Za-z])\s*\(\s*([a-z])\s*\)\s*=(.+)$")
_CHAIN_SPLIT_RE = re.compile(r"\\lt(?![a-zA-Z])|<|\\gt(?![a-zA-Z])|>")
_DECIMAL_COMMA_RE = re.compile(r"^-?\d+,\d+$")
_THOUSANDS_RE = re.compile(r"^-?[1-9]\d{0,2}(?:,\d{3})+$")
_APPROX_RE = re.compile(r"^(?:.*\\approx)?\s*(-?\d*\.(\d+))\s*(\\?%)?$")
_DEGREES_RE = re.compile(r"\^\s*\{?\s*\\circ|°|\\degree")
_STOPWORDS = frozenset({"the", "a", "an", "it", "this", "that", "there", "is", "are", "was", "not"})
DUMMY_SYMBOLS = frozenset({"k", "n", "m", "j", "l", "c", "C", "K", "N", "M"})


def _set_builder(latex: str) -> str:
    m = _SETBUILDER_RE.match(strip_math_delims(latex).strip())
    return m.group(2).rstrip() if m else latex


def rule_relation_as_set(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """Inequality, set-builder or vector read as an interval, set or tuple."""
    g_expr, a_expr = gold.expr, answer.expr
    g_cond, a_cond = _set_builder(gold.latex), _set_builder(answer.latex)
    if g_cond != gold.latex:
        g_expr = first(mv_parse(boxed(g_cond)))
    if a_cond != answer.latex:
        a_expr = first(mv_parse(boxed(a_cond)))
    g_set, a_set = as_set(g_expr), as_set(a_expr)
    if g_set is None and a_set is None:
        return False
    if (
        isinstance(g_expr, (Relational, And))
        and isinstance(a_expr, (Relational, And))
        and g_expr.free_symbols != a_expr.free_symbols
    ):
        return False
    g = g_set if g_set is not None else g_expr
    a = a_set if a_set is not None else a_expr
    return g is not None and a is not None and mv_equal(g, a, rounding, precision)


def _rhs_of_assignment(latex: str) -> str | None:
    text = strip_math_delims(latex)
    depth = 0
    for i, c in enumerate(text):
        depth += c in "({["
        depth -= c in ")}]"
        if c == "=" and depth == 0 and text[i - 1 : i] not in ("<", ">", "!"):
            lhs = text[:i].strip()
            return text[i + 1 :].strip() if _ASSIGN_RE.match(lhs) else None
    return None


def rule_assignment_rhs(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """Named assignment such as (P(x), Q(x)) = (...) or f(z) = z compared by its right-hand side."""
    g_text, a_text = strip_math_delims(gold.latex), strip_math_delims(answer.latex)
    g_def, a_def = _FUNC_DEF_RE.match(g_text), _FUNC_DEF_RE.match(a_text)
    if g_def and a_def and g_def.group(1) == a_def.group(1):
        g_rhs, a_rhs = first(mv_parse(boxed(g_def.group(3)))), first(mv_parse(boxed(a_def.group(3))))
        if isinstance(g_rhs, Basic) and isinstance(a_rhs, Basic):
            g_var = _symbol_named(g_rhs, g_def.group(2))
            a_var = _symbol_named(a_rhs, a_def.group(2))
            if g_var is not None and a_var is not None:
                a_rhs = a_rhs.subs(a_var, g_var)
            return mv_equal(g_rhs, a_rhs, rounding, precision)
        return False
    g_rhs_text, a_rhs_text = _rhs_of_assignment(g_text), _rhs_of_assignment(a_text)
    if g_rhs_text is None and a_rhs_text is None:
        return False
    if "(" not in g_text.partition("=")[0] and "(" not in a_text.partition("=")[0]:
        return False  # math-verify already reads "x = ..." as its right-hand side
    g = mv_parse(boxed(g_rhs_text)) if g_rhs_text is not None else gold.parsed
    a = mv_parse(boxed(a_rhs_text)) if a_rhs_text is not None else answer.parsed
    return bool(g and a) and mv_equal(g, a, rounding, precision)


def _symbol_named(expr: Basic, name: str) -> Symbol | None:
    """The symbol called ``name`` in ``expr`` (parsed symbols carry assumptions, so build none)."""
    return next((s for s in expr.free_symbols if isinstance(s, Symbol) and s.name == name), None)


def rule_dummy_rename(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """Integer parameter or constant renamed (k vs n, C vs c)."""
    g, a = gold.expr, answer.expr
    if isinstance(g, Eq) and isinstance(g.lhs, Symbol) and not isinstance(a, Relational):
        g = g.rhs
    if not isinstance(g, Basic) or not isinstance(a, Basic):
        return False
    only_g, only_a = g.free_symbols - a.free_symbols, a.free_symbols - g.free_symbols
    if len(only_g) != 1 or len(only_a) != 1:
        return False
    (sg,), (sa,) = only_g, only_a
    if str(sg) not in DUMMY_SYMBOLS or str(sa) not in DUMMY_SYMBOLS:
        return False
    return mv_equal(g, a.subs(sa, sg), rounding, precision)


def rule_ordering_chain(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """An ordering a < b < c written as the list a, b, c (or the reverse)."""
    for chain, listing in ((gold.latex, answer.latex), (answer.latex, gold.latex)):
        c = clean(chain)
        ops = _CHAIN_SPLIT_RE.findall(c)
        if len(ops) < 2 or len({op.replace("\\lt", "<").replace("\\gt", ">") for op in ops}) != 1:
            continue
        terms = [t for t in _CHAIN_SPLIT_RE.split(c)]
        items = clean(listing).split(",")
        if len(items) == len(terms) and all(t and t == i for t, i in zip(terms, items, strict=True)):
            return True
    return False


def rule_rounded_reference(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """Exact answer that rounds to the decimal reference (at its precision, 3+ significant digits)."""
    m = _APPROX_RE.match(clean(gold.latex))
    if m is None or "." in clean(answer.latex) or len(m.group(1).lstrip("-0.")) < 3:
        return False
    target, places = float(m.group(1)), len(m.group(2))
    value = _number(answer.expr)
    if value is None:
        return False
    scales = (1.0, 100.0) if m.group(3) else (1.0,)
    return any(abs(round(value * s, places) - target) < 10 ** -(places + 3) for s in scales)


def _number(expr: Any) -> float | None:
    if not isinstance(expr, Basic) or isinstance(expr, (sympy.Set, Relational)) or expr.free_symbols:
        return None
    try:
        value = complex(expr.evalf(30))
    except (TypeError, ValueError, AttributeError):
        return None
    return value.real if abs(value.imag) < 1e-12 else None


def rule_decimal_comma(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """Decimal comma (1,22 = 1.22) when the other side is a decimal number."""
    for comma, other in ((clean(gold.latex), answer.latex), (clean(answer.latex), gold.latex)):
        if _DECIMAL_COMMA_RE.match(comma) and not _THOUSANDS_RE.match(comma):
            dotted, number = plain_number(comma.replace(",", ".")), plain_number(other)
            if dotted is not None and number is not None and number[1] and dotted[0] == number[0]:
                return True
    return False


def rule_leading_words(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """Short text answer naming the subject of a prose reference ("Petya" for "Petya will win")."""
    g_words = re.findall(r"[A-Za-z]+", re.sub(r"\\[a-zA-Z]+", " ", gold.latex))
    a_text = re.sub(r"\\(?:text|mathrm|textbf)\s*\{([^{}]*)\}", r"\1", strip_math_delims(answer.latex))
    if re.search(r"[\d\\^_{}=]", a_text) or len(g_words) < 2:
        return False
    a_words = re.findall(r"[A-Za-z]+", a_text)
    if not 1 <= len(a_words) <= 3 or a_words[0].lower() in _STOPWORDS or len(a_words[0]) < 2:
        return False
    if [w.lower() for w in g_words[: len(a_words)]] != [w.lower() for w in a_words]:
        return False
    return g_words[len(a_words)].lower() not in ("and", "or", "nor")  # "Alice and Bob win" is not "Alice"


def rule_degrees_radians(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """An angle in degrees on one side and in radians (a multiple of pi) on the other."""
    for deg, rad in ((gold, answer), (answer, gold)):
        if _DEGREES_RE.search(deg.latex) and "\\pi" in rad.latex and "\\pi" not in deg.latex:
            d, r = _number(deg.expr), _number(rad.expr)
            if d is not None and r is not None and abs(r * 180 / math.pi - d) < 1e-9 * max(1.0, abs(d)):
                return True
    return False


def rule_imaginary_unit(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """The letter i read as the imaginary unit (e^{i\\pi} = -1) when it is the only symbol on either side."""
    sides = (gold.expr, answer.expr)
    if not all(isinstance(e, sympy.Expr) for e in sides):
        return False
    symbols = gold.expr.free_symbols | answer.expr.free_symbols
    if not symbols or any(getattr(s, "name", "") != "i" for s in symbols):
        return False
    g, a = (e.subs({s: sympy.I for s in e.free_symbols}) for e in sides)
    return mv_equal(g, a, rounding, precision)


CHEAP_RULES = (rule_rounded_reference, rule_decimal_comma, rule_degrees_radians)
RULES = (
    rule_relation_as_set,
    rule_assignment_rhs,
    rule_dummy_rename,
    rule_ordering_chain,
    rule_rounded_reference,
    rule_decimal_comma,
    rule_leading_words,
    rule_degrees_radians,
    rule_imaginary_unit,
)
