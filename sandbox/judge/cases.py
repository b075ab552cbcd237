"""The judge's internal test model: every data-set format is normalised into a TestSuite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["stdio", "call", "assert", "pytest"]


class BadTests(ValueError):
    """The tests (an item's ``reference``) are malformed or in no format the judge knows."""


@dataclass(frozen=True)
class TestCase:
    """One test. ``stdio``: ``input``/``output`` text; ``call``: ``args`` and the ``expected``
    JSON value; ``assert``/``pytest``: ``code`` run by the trusted harness."""

    __test__ = False  # not a pytest class

    input: str = ""
    output: str = ""
    args: tuple[Any, ...] = ()
    expected: Any = None
    code: str = ""


@dataclass(frozen=True)
class Checker:
    """A custom checker program (testlib argv order: input, contestant output, answer)."""

    source: str
    language: str = "python"


@dataclass(frozen=True)
class TestSuite:
    """All tests of one problem, in one kind.

    ``prelude`` runs before the solution and before the tests (imports, helper classes);
    ``setup`` runs before each assert-based test; ``fn_name`` names the function (or
    ``Solution`` method) a call-based test calls; ``unwrap`` accepts ``expected[0]``
    for single-element expected lists (the APPS/TACO convention).
    """

    __test__ = False

    kind: Kind
    cases: tuple[TestCase, ...]
    prelude: str = ""
    setup: str = ""
    fn_name: str = ""
    unwrap: bool = False
    checker: Checker | None = None
