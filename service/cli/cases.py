"""Golden cases for reward correctness: parse case files, compare expected with got, report.

A case file is JSONL; each line is an item exactly as in ``POST /v1/score`` plus an
``expected`` object::

    {"id": "frac", "completion": "... \\\\boxed{5/6}", "reference": "5/6", "rewards": {"math": 1},
     "expected": {"reward": 1.0, "status": "ok", "tolerance": 1e-6,
                  "components": {"math": {"score": 1.0, "status": "ok", "reason_contains": "equal"}}}}

Every key of ``expected`` is optional; a component may also be given as a bare number
(its expected score). ``"reward": null`` expects an item that could not be judged.
The format is documented in docs/golden-cases.md, with a JSON Schema (docs/golden-case.schema.json).
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from grpo.wire import ItemResult, ScoreItem

DEFAULT_TOLERANCE = 1e-6
EXPECTED_KEYS = {"reward", "status", "tolerance", "components"}
COMPONENT_KEYS = {"score", "status", "reason_contains"}
_MISSING = object()


@dataclass(frozen=True)
class Case:
    """One golden case: where it comes from, the item to score and what must come back."""

    file: str
    line: int
    id: str
    item: ScoreItem | None
    expected: dict[str, Any]
    problem: str | None = None

    @property
    def verifiers(self) -> list[str]:
        names = list(self.expected.get("components", {}))
        rewards = self.item.rewards if self.item is not None else None
        if isinstance(rewards, dict):
            names += list(rewards)
        elif rewards:
            names += [r.name for r in rewards]
        return list(dict.fromkeys(names)) or ["(none)"]


@dataclass(frozen=True)
class Mismatch:
    """One way a result differs from its case: what, expected, got and the verdict's reason."""

    case: Case
    component: str
    field: str
    expected: Any
    got: Any
    reason: str


@dataclass
class Outcome:
    """A case with its result and mismatches (empty when the case passed)."""

    case: Case
    result: ItemResult | None
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches


def case_files(paths: Iterable[Path]) -> list[Path]:
    """The given files, with directories expanded to their ``*.jsonl`` files (sorted)."""
    out: list[Path] = []
    for p in paths:
        out += sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    return out


def parse_cases(path: Path) -> list[Case]:
    """Every non-blank line of ``path`` as a Case; a malformed line is a Case with a ``problem``."""
    cases = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            cases.append(parse_case(str(path), number, line))
    return cases


def parse_case(file: str, number: int, line: str) -> Case:
    """One case line; what is wrong with it goes to ``problem`` instead of raising."""
    fallback = f"line-{number}"
    try:
        raw = json.loads(line)
    except ValueError as exc:
        return Case(file, number, fallback, None, {}, f"not JSON: {exc}")
    if not isinstance(raw, dict):
        return Case(file, number, fallback, None, {}, "a case must be a JSON object")
    case_id = str(raw["id"]) if isinstance(raw.get("id"), (str, int)) else fallback
    expected = raw.pop("expected", None)
    problem = _expected_problem(expected)
    if problem:
        return Case(file, number, case_id, None, {}, problem)
    try:
        item = ScoreItem.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "item"
        return Case(file, number, case_id, None, {}, f"invalid item: {where}: {first['msg']}")
    return Case(file, number, case_id, item, expected)


def _expected_problem(expected: Any) -> str | None:
    if not isinstance(expected, dict) or not expected:
        return "no 'expected' object (give reward, status and/or components)"
    unknown = set(expected) - EXPECTED_KEYS
    if unknown:
        return f"unknown key(s) in expected: {', '.join(sorted(unknown))}; valid: {', '.join(sorted(EXPECTED_KEYS))}"
    problem = _type_problem("reward", expected.get("reward"), number_or_null=True)
    problem = problem or _type_problem("status", expected.get("status", ""), text=True)
    tolerance = expected.get("tolerance", 0)
    problem = problem or _type_problem("tolerance", tolerance) or ("tolerance must be >= 0" if tolerance < 0 else None)
    components = expected.get("components", {})
    if problem or not isinstance(components, dict):
        return problem or "expected components must be an object {verifier name: expectation}"
    for name, comp in components.items():
        if isinstance(comp, dict) and set(comp) - COMPONENT_KEYS:
            bad = ", ".join(sorted(set(comp) - COMPONENT_KEYS))
            return f"unknown key(s) in expected component {name!r}: {bad}; valid: {', '.join(sorted(COMPONENT_KEYS))}"
        if not isinstance(comp, dict):
            comp = {"score": comp}
        problem = (
            _type_problem(f"{name}.score", comp.get("score"), number_or_null=True)
            or _type_problem(f"{name}.status", comp.get("status", ""), text=True)
            or _type_problem(f"{name}.reason_contains", comp.get("reason_contains", ""), text=True)
        )
        if problem:
            return problem
    return None


def _type_problem(name: str, value: Any, *, number_or_null: bool = False, text: bool = False) -> str | None:
    if text:
        return None if isinstance(value, str) else f"expected {name} must be a string, got {value!r}"
    if value is None and number_or_null:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected {name} must be a number{' or null' if number_or_null else ''}, got {value!r}"
    return None


def compare(case: Case, result: ItemResult | None) -> Outcome:
    """Check ``result`` against ``case.expected``; every difference is one Mismatch."""
    outcome = Outcome(case, result)
    if case.problem is not None or result is None:
        outcome.mismatches.append(Mismatch(case, "(case)", "case", "a valid case", "invalid", case.problem or "?"))
        return outcome
    exp = case.expected
    tol = float(exp.get("tolerance", DEFAULT_TOLERANCE))
    first_reason = (
        next((c.reason for c in result.components if c.status != "ok"), None)
        or result.error
        or "; ".join(f"{c.name}: {c.reason}" for c in result.components)
    )
    if "reward" in exp and not _close(exp["reward"], result.reward, tol):
        outcome.mismatches.append(Mismatch(case, "(reward)", "reward", exp["reward"], result.reward, first_reason))
    if "status" in exp and exp["status"] != result.status:
        outcome.mismatches.append(Mismatch(case, "(item)", "status", exp["status"], result.status, first_reason))
    for name, want in exp.get("components", {}).items():
        want = want if isinstance(want, dict) else {"score": want}
        got = next((c for c in result.components if c.name == name), None)
        if got is None:
            outcome.mismatches.append(Mismatch(case, name, "component", "present", "absent", result.error or ""))
            continue
        if "score" in want and not _close(want["score"], got.score, tol):
            outcome.mismatches.append(Mismatch(case, name, "score", want["score"], got.score, got.reason))
        if "status" in want and want["status"] != got.status:
            outcome.mismatches.append(Mismatch(case, name, "status", want["status"], got.status, got.reason))
        if "reason_contains" in want and str(want["reason_contains"]) not in got.reason:
            outcome.mismatches.append(Mismatch(case, name, "reason", want["reason_contains"], got.reason, ""))
    return outcome


def _close(want: Any, got: Any, tol: float) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return math.isclose(float(want), float(got), rel_tol=0.0, abs_tol=tol)


@dataclass(frozen=True)
class VerifierSummary:
    name: str
    cases: int
    passed: int

    @property
    def failed(self) -> int:
        return self.cases - self.passed


def summarize(outcomes: list[Outcome]) -> list[VerifierSummary]:
    """Per verifier: cases that use it and how many passed (an item-level mismatch fails them all)."""
    cases: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for o in outcomes:
        blamed = {m.component for m in o.mismatches}
        whole = bool(blamed & {"(reward)", "(item)", "(case)"})
        for name in o.case.verifiers:
            cases[name] += 1
            if whole or name in blamed:
                failed[name] += 1
    return [VerifierSummary(n, cases[n], cases[n] - failed[n]) for n in sorted(cases)]


def junit_xml(outcomes: list[Outcome], seconds: float) -> ET.ElementTree:
    """A JUnit report: one testsuite per case file, one testcase per case, one failure per failed case."""
    root = ET.Element("testsuites", name="rlvr check")
    by_file: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_file.setdefault(o.case.file, []).append(o)
    for file, group in by_file.items():
        errors = sum(1 for o in group if o.case.problem is not None)
        failures = sum(1 for o in group if not o.passed) - errors
        suite = ET.SubElement(
            root, "testsuite", name=file, tests=str(len(group)), failures=str(failures), errors=str(errors)
        )
        for o in group:
            classname = f"{Path(file).stem}.{'+'.join(o.case.verifiers)}"
            tc = ET.SubElement(suite, "testcase", classname=classname, name=f"{o.case.id} (line {o.case.line})")
            if o.case.problem is not None:
                ET.SubElement(tc, "error", message=o.case.problem, type="invalid_case")
            elif o.mismatches:
                text = "\n".join(describe(m) for m in o.mismatches)
                ET.SubElement(tc, "failure", message=describe(o.mismatches[0]), type="mismatch").text = text
    total = len(outcomes)
    errors_all = sum(1 for o in outcomes if o.case.problem is not None)
    root.set("tests", str(total))
    root.set("failures", str(sum(1 for o in outcomes if not o.passed) - errors_all))
    root.set("errors", str(errors_all))
    root.set("time", f"{seconds:.3f}")
    return ET.ElementTree(root)


def describe(m: Mismatch) -> str:
    """One line for a mismatch, as in the table."""
    return f"{m.case.id} {m.component} {m.field}: expected {fmt(m.expected)}, got {fmt(m.got)} ({m.reason})"


def fmt(value: Any) -> str:
    """A value for a table cell: floats short, None as null."""
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
