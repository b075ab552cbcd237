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

_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("rlvr_sll_first", default=False)
_original_create = latex2sympy2._Latex2Sympy.create_parser
_original_parse = latex2sympy2._Latex2Sympy.parse
_original_parse_number = latex2sympy2._Latex2Sympy.parse_number
_INTEGER_RE = re.compile(r"[0-9]+")
_DECIMAL_RE = re.compile(r"[0-9]+\.[0-9]+")


def _create_parser(self: Any, latex_str: str) -> Any:
    parser = _original_create(self, latex_str)
    if getattr(self, "_rlvr_sll", False):
        parser._interp.predictionMode = PredictionMode.SLL
    return parser


def _parse(self: Any, latex_str: str) -> Any:
    if not _ACTIVE.get():
        return _original_parse(self, latex_str)
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
