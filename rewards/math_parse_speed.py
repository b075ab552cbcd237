"""Two-stage parsing for the LaTeX parser: ANTLR's SLL prediction first, full LL only when SLL fails.

latex2sympy2's ANTLR parser runs in full LL mode, whose full-context predictions are not
cached: every distinct answer pays ~50 ms in ``execATNWithFullContext``, which is why a batch
of new answer shapes is slow in every worker. SLL prediction is cached in the DFA and is the
standard first stage (ANTLR's "two-stage parsing"): where SLL parses without a syntax error the
tree is the one LL gives for this grammar; where it reports one, the text is parsed again with
LL, so no input parses differently from math-verify's own call. Only ``rewards`` parses run
this way (a context flag), so math-verify called directly elsewhere keeps its own behaviour.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from antlr4.atn.PredictionMode import PredictionMode
from latex2sympy2_extended import latex2sympy2

_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("rlvr_sll_first", default=False)
_original_create = latex2sympy2._Latex2Sympy.create_parser
_original_parse = latex2sympy2._Latex2Sympy.parse


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


latex2sympy2._Latex2Sympy.create_parser = _create_parser  # type: ignore[method-assign]
latex2sympy2._Latex2Sympy.parse = _parse  # type: ignore[method-assign]


@contextmanager
def sll_first() -> Iterator[None]:
    """Parse with SLL first (falling back to LL) inside the block, in this thread or task only."""
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
