"""Per-test verdicts and the judged result of one submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Outcome = Literal["AC", "WA", "TLE", "MLE", "RE", "CE", "OLE"]
PENDING = "pending"  # ran cleanly; the checker decides


@dataclass(frozen=True)
class TestResult:
    """One test's verdict; ``test`` counts from 1."""

    __test__ = False

    test: int
    verdict: str
    wall_time_s: float = 0.0
    cpu_time_s: float | None = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "verdict": self.verdict,
            "wall_time_s": round(self.wall_time_s, 4),
            "cpu_time_s": None if self.cpu_time_s is None else round(self.cpu_time_s, 4),
            "message": self.message,
        }


@dataclass(frozen=True)
class JudgeResult:
    """All verdicts (tests skipped after an early stop are absent) and the score."""

    results: tuple[TestResult, ...]
    total: int
    score: float
    compile_time_s: float | None = None

    @property
    def passed(self) -> int:
        return sum(r.verdict == "AC" for r in self.results)

    def summary(self) -> str:
        """E.g. ``7/10 passed; test 3: WA (expected 5, got 4)``."""
        text = f"{self.passed}/{self.total} passed"
        first = next((r for r in self.results if r.verdict != "AC"), None)
        if first is not None:
            text += f"; test {first.test}: {first.verdict}" + (f" ({first.message})" if first.message else "")
            if len(self.results) < self.total:
                text += f"; stopped after {len(self.results)}"
        return text
