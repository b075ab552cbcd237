"""Equivalence of a parsed answer and reference: math-verify plus a few general rescue rules.

math-verify decides first. When it says "unequal", the rules below retry with a
different but equivalent reading of one side (an inequality as an interval, a column
vector as a tuple, a renamed dummy variable, an exact value against a rounded
reference...). When it says "equal" on statements it cannot parse (quantifiers), the
normalised texts must match instead. Every function returns the rule that decided.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sympy
from math_verify import parse, verify
from sympy import Basic, Eq, MatrixBase, Symbol, Tuple
from sympy.core.relational import Relational
from sympy.logic.boolalg import And

from rewards.math_normalize import clean, plain_number, strip_math_delims, strip_qualifier

# We run math-verify with its own (signal-based) timeouts off and keep our own deadline;
# its warnings about that, and its per-comparison timeout logs, are noise for us.
logging.getLogger("math_verify").setLevel(logging.ERROR)

_TEXT_NUMBER_RE = re.compile(r"\\text\s*\{\s*(-?[\d.,]+)\s+([A-Za-z][A-Za-z ]{0,40})\}")
_SETBUILDER_RE = re.compile(
    r"^\\\{\s*([a-zA-Z])\s*(?:\\in\s*\\mathbb\s*\{?[RZNQ]\}?\s*)?(?:\||\\mid|:)\s*(.+?)\s*\\\}$"
)
_ASSIGN_RE = re.compile(
    r"^\(?\s*[A-Za-z](?:_\{?\w+\}?)?(?:\(\s*[a-z]\s*\))?(?:\s*,\s*[A-Za-z](?:_\{?\w+\}?)?(?:\(\s*[a-z]\s*\))?)*\s*\)?$"
)
_FUNC_DEF_RE = re.compile(r"^([A-Za-z])\s*\(\s*([a-z])\s*\)\s*=(.+)$")
_CHAIN_SPLIT_RE = re.compile(r"\\lt(?![a-zA-Z])|<|\\gt(?![a-zA-Z])|>")
_UNPARSEABLE_RE = re.compile(r"\\(?:forall|exists|nexists|Rightarrow|Leftrightarrow|iff|implies)(?![a-zA-Z])")
_DECIMAL_COMMA_RE = re.compile(r"^-?\d+,\d+$")
_THOUSANDS_RE = re.compile(r"^-?[1-9]\d{0,2}(?:,\d{3})+$")
_APPROX_RE = re.compile(r"^(?:.*\\approx)?\s*(-?\d*\.(\d+))\s*(\\?%)?$")
_STOPWORDS = frozenset({"the", "a", "an", "it", "this", "that", "there", "is", "are", "was", "not"})
DUMMY_SYMBOLS = frozenset({"k", "n", "m", "j", "l", "c", "C", "K", "N", "M"})


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the latex that was parsed and math-verify's parse of it."""

    latex: str
    parsed: list[Any]

    @property
    def expr(self) -> Any:
        return self.parsed[0] if self.parsed else None

    @property
    def shown(self) -> str:
        text = self.parsed[-1] if self.parsed and isinstance(self.parsed[-1], str) else self.latex
        text = " ".join(str(text).split())
        return text if len(text) <= 120 else text[:117] + "..."


def mv_parse(latex: str) -> list[Any]:
    """math-verify's parse with its signal-based timeout off (it fails off the main thread)."""
    return list(_parse_cached(latex))


@lru_cache(maxsize=4096)
def _parse_cached(latex: str) -> tuple[Any, ...]:
    # A GRPO group repeats one reference and a few answers; sympy objects are immutable.
    return tuple(parse(latex, parsing_timeout=None))  # type: ignore[arg-type]


def boxed(latex: str) -> str:
    """``latex`` as a boxed answer, so that math-verify reads all of it as one expression."""
    latex = _TEXT_NUMBER_RE.sub(r"\1\\text{ \2}", strip_qualifier(strip_math_delims(latex)))
    latex = latex.replace("\\varnothing", "\\emptyset").replace("\\langle", "(").replace("\\rangle", ")")
    return "\\boxed{" + latex + "}"


def union_of(alternatives: Sequence[str]) -> Any:
    """"x < 0 or x > 1" as one set (the union of each alternative's solution set), or None."""
    sets = [_as_set(_first(mv_parse(boxed(alt)))) for alt in alternatives]
    if any(s is None or not isinstance(s, sympy.Set) for s in sets):
        return None
    return sympy.Union(*sets)


def mv_equal(gold: Sequence[Any] | Any, answer: Sequence[Any] | Any, rounding: int, precision: int) -> bool:
    """math-verify's verify without its signal-based timeout; errors in a comparison count as unequal."""
    return bool(verify(gold, answer, float_rounding=rounding, numeric_precision=precision,  # type: ignore[arg-type]
                       timeout_seconds=None))


def value_of(parsed: Sequence[Any]) -> Any:
    """The value a parsed reference states: the right-hand side of an assignment like ``n = 1, 2, 3``."""
    expr = parsed[0] if parsed else None
    return expr.rhs if isinstance(expr, Eq) else expr


def is_multi(parsed: Sequence[Any]) -> bool:
    """Whether a parsed reference holds several answers (a set of values, several equations)."""
    expr = value_of(parsed)
    return (isinstance(expr, sympy.FiniteSet) and len(expr) > 1) or isinstance(expr, And)


def compare(gold: Side, answer: Side, rounding: int, precision: int) -> tuple[bool, str]:
    """(equal?, rule) for one answer against the reference."""
    if _UNPARSEABLE_RE.search(gold.latex) or _UNPARSEABLE_RE.search(answer.latex):
        return clean(gold.latex) == clean(answer.latex), "quantified statement compared as normalised text"
    g_const, a_const = _constant(gold.expr), _constant(answer.expr)
    both_constant = g_const is not None and a_const is not None
    if both_constant and _clearly_different(g_const, a_const):
        different = True  # skip math-verify's simplify(): the numeric values already differ
    elif mv_equal(gold.parsed, answer.parsed, rounding, precision):
        return True, "math-verify"
    else:
        different = False
    for rule in _CHEAP_RULES if both_constant else _RULES:
        if rule(gold, answer, rounding, precision):
            return True, rule.__doc__.splitlines()[0].strip().rstrip(".") if rule.__doc__ else rule.__name__
    return False, "numeric value" if different else "math-verify"


def _constant(expr: Any) -> Any:
    """A plain numeric constant (no symbols, floats or percent) ``expr`` or ``x = expr`` states, else None."""
    if isinstance(expr, Eq) and isinstance(expr.lhs, Symbol):
        expr = expr.rhs
    if not isinstance(expr, sympy.Expr) or expr.free_symbols:
        return None
    if expr.has(sympy.Float) or expr.has(sympy.UnevaluatedExpr):
        return None
    return expr


def _clearly_different(a: Any, b: Any) -> bool:
    """Whether two exact constants differ by far more than any rounding could explain."""
    try:
        va, vb = complex(a.evalf(30)), complex(b.evalf(30))
    except (TypeError, ValueError, AttributeError):
        return False
    return abs(va - vb) > 1e-9 * max(1.0, abs(va), abs(vb))


def _as_set(expr: Any) -> Any:
    """A one-variable relation as its solution set, ``x \\in S`` as S, a vector as a tuple; else None."""
    if isinstance(expr, MatrixBase) and 1 in expr.shape:
        return Tuple(*list(expr))
    if isinstance(expr, Eq) and isinstance(expr.rhs, sympy.Set) and isinstance(expr.lhs, Symbol):
        return expr.rhs
    if isinstance(expr, sympy.FiniteSet) and expr.args and all(isinstance(a, Relational) for a in expr.args) \
            and len(expr.free_symbols) == 1:  # "x >= 2 and x < 5", parsed as a set of two conditions
        expr = And(*expr.args)
    if isinstance(expr, (Relational, And)) and len(expr.free_symbols) == 1:
        try:
            return expr.as_set()
        except Exception:
            return None
    return None


def _set_builder(latex: str) -> str:
    m = _SETBUILDER_RE.match(strip_math_delims(latex).strip())
    return m.group(2) if m else latex


def rule_relation_as_set(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """Inequality, set-builder or vector read as an interval, set or tuple."""
    g_expr, a_expr = gold.expr, answer.expr
    g_cond, a_cond = _set_builder(gold.latex), _set_builder(answer.latex)
    if g_cond != gold.latex:
        g_expr = _first(mv_parse(boxed(g_cond)))
    if a_cond != answer.latex:
        a_expr = _first(mv_parse(boxed(a_cond)))
    g_set, a_set = _as_set(g_expr), _as_set(a_expr)
    if g_set is None and a_set is None:
        return False
    if isinstance(g_expr, (Relational, And)) and isinstance(a_expr, (Relational, And)) \
            and g_expr.free_symbols != a_expr.free_symbols:
        return False
    g = g_set if g_set is not None else g_expr
    a = a_set if a_set is not None else a_expr
    return g is not None and a is not None and mv_equal(g, a, rounding, precision)


def _first(parsed: list[Any]) -> Any:
    return parsed[0] if parsed else None


def _rhs_of_assignment(latex: str) -> str | None:
    text = strip_math_delims(latex)
    depth = 0
    for i, c in enumerate(text):
        depth += c in "({["
        depth -= c in ")}]"
        if c == "=" and depth == 0 and text[i - 1:i] not in ("<", ">", "!"):
            lhs = text[:i].strip()
            return text[i + 1:].strip() if _ASSIGN_RE.match(lhs) else None
    return None


def rule_assignment_rhs(gold: Side, answer: Side, rounding: int, precision: int) -> bool:
    """Named assignment such as (P(x), Q(x)) = (...) or f(z) = z compared by its right-hand side."""
    g_text, a_text = strip_math_delims(gold.latex), strip_math_delims(answer.latex)
    g_def, a_def = _FUNC_DEF_RE.match(g_text), _FUNC_DEF_RE.match(a_text)
    if g_def and a_def and g_def.group(1) == a_def.group(1):
        g_rhs, a_rhs = _first(mv_parse(boxed(g_def.group(3)))), _first(mv_parse(boxed(a_def.group(3))))
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
    if [w.lower() for w in g_words[:len(a_words)]] != [w.lower() for w in a_words]:
        return False
    return g_words[len(a_words)].lower() not in ("and", "or", "nor")  # "Alice and Bob win" is not "Alice"


_CHEAP_RULES = (rule_rounded_reference, rule_decimal_comma)
_RULES = (rule_relation_as_set, rule_assignment_rhs, rule_dummy_rename, rule_ordering_chain,
          rule_rounded_reference, rule_decimal_comma, rule_leading_words)
