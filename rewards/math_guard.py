"""Refuse answers that would make sympy hang or blow up, before any parsing.

Power towers (``10^{10^{10^{10}}}``, ``9^9^9^9``), huge factorials, very long digit
strings and deep brace nesting are found with linear scans; the caller turns a hit
into a ``too_large`` verdict instead of handing the text to sympy.
"""

from __future__ import annotations

import ast
import math
import re

MAX_DIGITS = 400
MAX_RESULT_DIGITS = 10_000
MAX_FACTORIAL = 2_000
MAX_NESTING = 16
MAX_BRACE_RUN = 4  # "{{{{{x}}}}}": the LaTeX parser is exponential in directly nested braces

_DIGITS_RE = re.compile(r"\d{" + str(MAX_DIGITS + 1) + ",}")
_FACTORIAL_RE = re.compile(r"(\d+)\s*!")
_BRACKETED_FACTORIAL_RE = re.compile(r"[)}\]]\s*!")  # "(10^8)!", "{10^{8}}!!", "\\left(2^{64}\\right)!"
_BINOM_RE = re.compile(r"\\[dt]?binom\s*+\{?\s*+(\d+)")
_BRACED_BINOM_RE = re.compile(r"\\[dt]?binom\s*+\{")
MAX_OPERAND_CHARS = 200
# LaTeX arithmetic as Python's, for _value_bound (which walks the syntax tree: nothing is evaluated)
_ARITHMETIC: tuple[tuple[str, str], ...] = (("\\left", ""), ("\\right", ""), ("\\cdot", "*"), ("\\times", "*"))
_ARITHMETIC += (("^", "**"), ("{", "("), ("}", ")"), ("[", "("), ("]", ")"))
_COMMAND_RE = re.compile(r"\\[a-zA-Z]+")
# A numeric power: base, then "^", then a digit or a braced group (read by _read_exponent).
_NUM_RE = re.compile(r"\d+(?:\.\d+)?")
_POW_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:\}\s*)?\^")


def complexity_problem(latex: str) -> str | None:
    """Why ``latex`` is too costly to evaluate symbolically, or None when it is safe."""
    depth = _max_nesting(latex)
    if depth > MAX_NESTING:
        return f"brace/paren nesting depth {depth} > {MAX_NESTING}"
    run = _max_brace_run(latex)
    if run > MAX_BRACE_RUN:
        return f"{run} directly nested braces > {MAX_BRACE_RUN}"
    if _DIGITS_RE.search(latex):
        return f"a number with more than {MAX_DIGITS} digits"
    for m in _FACTORIAL_RE.finditer(latex):
        if int(m.group(1)[:7]) > MAX_FACTORIAL:
            return f"factorial of {m.group(1)[:12]} is too large"
    for m in _BRACKETED_FACTORIAL_RE.finditer(latex):
        operand = _bracketed_before(latex, m.start())
        if _value_bound(operand) > MAX_FACTORIAL:
            return f"factorial of {operand[:40]!r} is too large or cannot be bounded"
    for m in _BINOM_RE.finditer(latex):
        if int(m.group(1)[:7]) > 10 * MAX_FACTORIAL:
            return "binomial coefficient too large"
    for m in _BRACED_BINOM_RE.finditer(latex):
        if _value_bound(_bracketed_after(latex, m.end() - 1)) > 10 * MAX_FACTORIAL:
            return "binomial coefficient too large or cannot be bounded"
    digits = _max_power_digits(latex)
    if digits > MAX_RESULT_DIGITS:
        shown = "astronomically many" if math.isinf(digits) else f"about {digits:.3g}"
        return f"a power with {shown} digits"
    return None


def _bracketed_before(text: str, close: int) -> str:
    """The text inside the bracket closed at ``text[close]`` (from its matching opener, of any kind)."""
    depth = 0
    for i in range(close, max(-1, close - MAX_OPERAND_CHARS - 2), -1):
        depth += text[i] in ")}]"
        depth -= text[i] in "({["
        if depth == 0:
            return text[i + 1 : close]
    return text[max(0, close - MAX_OPERAND_CHARS - 1) : close]  # too long to bound: _value_bound says so


def _bracketed_after(text: str, open_: int) -> str:
    """The text inside the bracket opened at ``text[open_]`` (to its matching closer, of any kind)."""
    depth = 0
    for i in range(open_, min(len(text), open_ + MAX_OPERAND_CHARS + 2)):
        depth += text[i] in "({["
        depth -= text[i] in ")}]"
        if depth == 0:
            return text[open_ + 1 : i]
    return text[open_ + 1 : open_ + MAX_OPERAND_CHARS + 2]


def _value_bound(operand: str) -> float:
    """A bound of the size of a numeric operand (``10^8``, ``2 \\cdot 10^{3}``), never computing it; 0 when it
    names a variable (the factorial stays symbolic), inf when it cannot be bounded (a command, a division, a
    factorial, a character beyond ASCII, or too long): such an operand is refused rather than evaluated."""
    plain = _COMMAND_RE.sub(" ", operand)
    if len(operand) > MAX_OPERAND_CHARS or not plain.isascii():
        return math.inf
    if re.search(r"[a-zA-Z]", plain):
        return 0.0
    for latex, python in _ARITHMETIC:
        operand = operand.replace(latex, python)
    try:
        return _node_bound(ast.parse(operand.strip() or "0", mode="eval").body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return math.inf


def _node_bound(node: ast.expr) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        try:
            return abs(float(node.value))
        except OverflowError:
            return math.inf
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        return _node_bound(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Pow)):
        left, right = _node_bound(node.left), _node_bound(node.right)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return left + right
        if isinstance(node.op, ast.Mult):
            return left * right
        if left <= 1.0:
            return 1.0
        return math.inf if right * math.log10(left) > 15 else left**right
    return math.inf


def _max_nesting(text: str) -> int:
    depth = best = 0
    for c in text:
        if c in "{([":
            depth += 1
            best = max(best, depth)
        elif c in "})]":
            depth = max(0, depth - 1)
    return best


def _max_brace_run(text: str) -> int:
    """Longest chain of '{' opened one directly inside the other (whitespace between is ignored)."""
    run = best = 0
    for c in text:
        if c == "{":
            run += 1
            best = max(best, run)
        elif not c.isspace():
            run = 0
    return best


def _max_power_digits(text: str) -> float:
    """Largest number of decimal digits of a numeric power tower in ``text`` (inf when astronomical)."""
    best = 0.0
    for m in _POW_RE.finditer(text):
        base = float(m.group(1))
        if base <= 1.0:
            continue
        log_exp = _exponent_log10(text, m.end())
        if log_exp is None:
            continue
        if log_exp > 300:
            return math.inf
        digits = (10.0**log_exp) * math.log10(base)
        best = max(best, digits)
    return best


def _exponent_log10(text: str, i: int, level: int = 0) -> float | None:
    """log10 of the numeric exponent starting at ``text[i]`` (a digit run or a braced tower), else None."""
    if level > 8:
        return math.inf
    n = len(text)
    while i < n and text[i] == " ":
        i += 1
    if i < n and text[i] == "{":
        i += 1
        while i < n and text[i] == " ":
            i += 1
    m = _NUM_RE.match(text, i)
    if m is None:
        return None
    value = float(m.group())
    j = m.end()
    while j < n and text[j] in " }":
        j += 1
    if j < n and text[j] == "^":  # a tower: value ^ (next exponent)
        inner = _exponent_log10(text, j + 1, level + 1) if value > 1.0 else None
        if inner is not None:
            if inner > 300:
                return math.inf
            return (10.0**inner) * math.log10(value)
    return math.log10(value) if value > 0 else None
