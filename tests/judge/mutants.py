"""Generic mutations of a Python solution, for checking that the judge rejects wrong programs.

Every kind here changes what the function returns on some input: ``returns_none``
replaces the body, ``perturbed_return`` shifts every returned value (ints +1, strings
+"?", bools negated…), ``swapped_branches`` negates the first condition. (Changing a
constant by one was tried and dropped: 18 of 128 HumanEval mutants were equivalent.)
"""

from __future__ import annotations

import ast
import copy

PERTURB = """
def __perturb(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, (list, tuple)):
        return type(value)([*value, None])
    if value is None:
        return 0
    return None
"""


def mutate(source: str, entry_point: str, kind: str) -> str | None:
    """``source`` with ``entry_point`` mutated by ``kind``, or None if that mutation does not apply."""
    tree = ast.parse(source)
    fn = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == entry_point), None)
    if fn is None:
        return None
    if kind == "returns_none":
        fn.body = [ast.Return(ast.Constant(None))]
    elif kind == "perturbed_return":
        returns = [n for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
        if not returns:
            return None
        for node in returns:
            node.value = ast.Call(ast.Name("__perturb", ast.Load()), [node.value], [])
        tree.body.insert(0, ast.parse(PERTURB).body[0])
    elif kind == "swapped_branches":
        branch = next((n for n in ast.walk(fn) if isinstance(n, ast.If | ast.IfExp)), None)
        if branch is None:
            return None
        branch.test = ast.UnaryOp(ast.Not(), copy.deepcopy(branch.test))
    else:
        raise ValueError(f"unknown mutation {kind!r}")
    return ast.unparse(ast.fix_missing_locations(tree))
