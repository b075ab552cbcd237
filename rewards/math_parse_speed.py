"""Faster LaTeX parsing for rewards' own parses, with the same results: SLL-first prediction, plain numbers.

latex2sympy2's ANTLR parser runs in full LL mode, whose full-context predictions are not
cached: every distinct answer pays ~50 ms in ``execATNWithFullContext``, which is why a batch
of new answer shapes is slow in every worker. SLL prediction is cached in the DFA and is the
standard first stage (ANTLR's "two-stage parsing"): where SLL parses without a syntax error the
tree is the one LL gives for this grammar; where it reports one, the text is parsed again with
LL, so no input parses differently from math-verify's own call. Only ``rewards`` parses run
this way (a context flag), so math-verify called directly elsewhere keeps its own behaviour.

Numbers: latex2sympy2 turns every number token into ``sympy.Number(text)``, which runs sympy's
expression parser (about 0.5 ms a number, a large share of parsing a plain answer). A plain
integer or decimal becomes ``Integer(int(text))`` or ``Float(text)`` directly: the very objects
(value, class and precision) that sympy's parser builds from that text. Other spellings keep
the original path.

Literals: an answer that is only numbers — a number (``-12.5``, ``1,000,000``), an integer
fraction ``-\\frac{3}{4}``, a power ``10^{6}``, a percentage ``12\\%``, an interval ``(1, 3]``, a
set ``\\{1, 2, 3\\}``, a tuple of three or more ``(1, 2, 3)`` — is built without the parser at all,
as latex2sympy2's converters build it (an interval whose ends make it empty is a Tuple, as there).
A new shape costs the parser 5-20 ms of prediction in every worker; these cost microseconds.
tests/test_math_parse_speed.py compares every such result with math-verify's own parse.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sympy
from antlr4.atn.PredictionMode import PredictionMode
from latex2sympy2_extended import latex2sympy2
from latex2sympy2_extended.sets import FiniteSet  # its own subclass, as its converters build

_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("rlvr_sll_first", default=False)
_original_create = latex2sympy2._Latex2Sympy.create_parser
_original_parse = latex2sympy2._Latex2Sympy.parse
_original_parse_number = latex2sympy2._Latex2Sympy.parse_number
_INTEGER_RE = re.compile(r"[0-9]+")
_DECIMAL_RE = re.compile(r"[0-9]+\.[0-9]+")
_N = r"-?[0-9]+(?:\.[0-9]+)?"  # spaces only between tokens ("\s" would take more than the lexer skips)
_NUMBER_RE = re.compile(_N)
_NUMBER_ONLY_RE = re.compile(rf" *{_N} *")
_INTERVAL_RE = re.compile(rf" *([(\[]) *({_N}) *, *({_N}) *([)\]]) *")
_SET_RE = re.compile(rf" *\\\{{ *{_N}(?: *, *{_N})* *\\\}} *")
_TUPLE_RE = re.compile(rf" *\( *{_N}(?: *, *{_N}){{2,}} *\) *")
_FRACTION_RE = re.compile(r" *(-?) *\\[dt]?frac *\{ *(-?) *([0-9]+) *\} *\{ *([0-9]+) *\} *")
_POWER_RE = re.compile(r" *([0-9]+) *\^ *(?:([0-9])|\{ *(-?) *([0-9]+) *\}) *")  # unbraced: one digit, as in TeX
_PERCENT_RE = re.compile(rf" *(-?) *({_N.removeprefix('-?')})\\% *")  # "12  \%", "007 \%" fail to lex


def _create_parser(self: Any, latex_str: str) -> Any:
    parser = _original_create(self, latex_str)
    if getattr(self, "_rlvr_sll", False):
        parser._interp.predictionMode = PredictionMode.SLL
    return parser


def literal(text: str) -> Any:
    """``text`` as latex2sympy2 converts it when it is only numbers (see the module's docstring), else None."""
    if _NUMBER_ONLY_RE.fullmatch(text):
        return _number(text.strip())
    if latex2sympy2.comma_number_regex.match(text):  # "1,000,000": a number, as the original decides
        return latex2sympy2.convert_number(text)
    fraction = _FRACTION_RE.fullmatch(text)
    if fraction and int(fraction.group(4)) != 0:
        outer, inner, numerator, denominator = fraction.groups()
        negative = bool(outer) != bool(inner)
        return sympy.Rational(-int(numerator) if negative else int(numerator), int(denominator))
    power = _POWER_RE.fullmatch(text)
    if power:
        base, digit, sign, digits = power.groups()
        exponent = int(digit) if digit is not None else int(sign + digits)
        return sympy.Pow(sympy.Integer(int(base)), sympy.Integer(exponent), evaluate=False)
    percent = _PERCENT_RE.fullmatch(text)
    if percent:
        sign, number = percent.groups()
        factors = (sympy.Integer(-1),) if sign else ()
        return sympy.Mul(*factors, _number(number), sympy.UnevaluatedExpr(sympy.Rational(1, 100)), evaluate=False)
    interval = _INTERVAL_RE.fullmatch(text)
    if interval:
        opening, low, high, closing = interval.groups()
        left, right = _number(low), _number(high)
        left_open, right_open = opening == "(", closing == ")"
        if (left_open and right_open and right <= left) or (not left_open and not right_open and right < left):
            return sympy.Tuple(left, right)
        return sympy.Interval(left, right, left_open=left_open, right_open=right_open)
    if _SET_RE.fullmatch(text):
        return FiniteSet(*(_number(n) for n in _NUMBER_RE.findall(text)))
    if _TUPLE_RE.fullmatch(text):
        return sympy.Tuple(*(_number(n) for n in _NUMBER_RE.findall(text)))
    return None


def _number(text: str) -> Any:
    """A signed integer or decimal as latex2sympy2 converts it: the number, negated when signed."""
    value = sympy.Integer(int(text.lstrip("-"))) if "." not in text else sympy.Float(text.lstrip("-"))
    return -value if text.startswith("-") else value


def _parse(self: Any, latex_str: str) -> Any:
    if not _ACTIVE.get():
        return _original_parse(self, latex_str)
    if not self.var:
        value = literal(latex_str)
        if value is not None:
            return value
    self._rlvr_sll = True
    try:
        return _original_parse(self, latex_str)
    except Exception:  # SLL's syntax error may be a false one: LL decides, exactly as without this module
        self._rlvr_sll = False
        return _original_parse(self, latex_str)
    finally:
        self._rlvr_sll = False


def _parse_number(self: Any, text: str) -> Any:
    if _ACTIVE.get():
        plain = text.replace(",", "")  # as the original does
        if _INTEGER_RE.fullmatch(plain):
            return sympy.Integer(int(plain))
        if _DECIMAL_RE.fullmatch(plain):
            return sympy.Float(plain)
    return _original_parse_number(self, text)


latex2sympy2._Latex2Sympy.create_parser = _create_parser  # type: ignore[method-assign]
latex2sympy2._Latex2Sympy.parse = _parse  # type: ignore[method-assign]
latex2sympy2._Latex2Sympy.parse_number = _parse_number  # type: ignore[method-assign]


def fast_paths_active() -> bool:
    """Whether rewards' fast paths are on here (inside :func:`fast_paths`)."""
    return _ACTIVE.get()


@contextmanager
def fast_paths() -> Iterator[None]:
    """rewards' fast paths (this module's, math_verify_speed's) inside the block, in this thread or task only."""
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
