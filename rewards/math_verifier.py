"""The ``math`` verifier: is the completion's final answer equivalent to the reference?

Extraction (think tags, boxes, answer phrases) and the hack guards are plain string
work; equality goes through a sympy-free fast path, then math-verify plus rescue rules.
Inputs that would hang sympy get ``too_large``/``timeout`` verdicts, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import sympy
from sympy.core.relational import Relational

from rewards.item import Item
from rewards.math_deadline import DeadlineExceeded, deadline
from rewards.math_equiv import compare
from rewards.math_extract import Extraction, extract, find_boxes
from rewards.math_guard import complexity_problem
from rewards.math_hedge import is_spray, split_alternatives
from rewards.math_normalize import clean, fast_compare, strip_math_delims, unicode_to_latex
from rewards.math_rules import rule_decimal_comma
from rewards.math_sympy import Side, boxed, is_multi, mv_equal, mv_parse, solution_sets, union_of, value_of
from rewards.math_warmup import WARMUP_PAIRS, WARMUP_PHRASINGS
from rewards.registry import verifier
from rewards.verdict import Status, Verdict

DEFAULT_MAX_COMPLETION_CHARS = 200_000
UNEVALUABLE_RULE = "size and time guard"  # the rule of an answer judged 0 for what evaluating it would cost
TRIVIAL_ANSWER = "\\boxed{0}"  # judged against a reference to tell what evaluating the reference alone costs
DEFAULT_MAX_ANSWER_CHARS = 2_000
DEFAULT_TIMEOUT_S = 5.0
MAX_ALTERNATIVES = 8
MAX_REFERENCE_CHARS = 20_000
_HEDGE_WORD_RE = re.compile(r"\b(?:or|either)\b", re.IGNORECASE)
_PLUS_MINUS_RE = re.compile(r"\\pm(?![a-zA-Z])|\u00b1|\+/-")
_CONTAINERS = (sympy.Tuple, sympy.Set, sympy.MatrixBase)


@dataclass(frozen=True)
class MathParams:
    """Parameters of the ``math`` verifier.

    ``extract``: where the answer may come from — only ``\\boxed{}``; boxes or an
    "the answer is" phrase; or also the last expression of a bare completion.
    """

    extract: Literal["boxed", "boxed_or_phrase", "any"] = "any"
    float_rounding: int = 6
    """Decimal places numbers are rounded to before comparing."""

    numeric_precision: int = 15
    """Significant digits of numeric evaluation."""

    max_completion_chars: int = DEFAULT_MAX_COMPLETION_CHARS
    """Longer completions get too_large instead of being parsed."""

    max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS
    """Longer extracted answers get too_large instead of being parsed."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    """Seconds the symbolic comparison may take before the item is a timeout."""

    def __post_init__(self) -> None:
        if not 0 <= self.float_rounding <= 30 or not 1 <= self.numeric_precision <= 100:
            raise ValueError("float_rounding must be in 0..30 and numeric_precision in 1..100")
        if self.max_completion_chars < 1 or self.max_answer_chars < 1:
            raise ValueError("max_completion_chars and max_answer_chars must be positive")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")


def reference_text(reference: Any) -> str | None:
    """The gold answer as text (numbers are accepted), or None when there is none."""
    if isinstance(reference, bool) or reference is None:
        return None
    if isinstance(reference, (int, float)):
        return repr(reference)
    if isinstance(reference, str) and reference.strip():
        return reference.strip()
    return None


def math_cache_key(item: Item, params: MathParams) -> Hashable:
    """(extraction, reference, params): equal keys give equal verdicts; no sympy involved."""
    ref = reference_text(item.reference)
    if len(item.completion) > params.max_completion_chars:
        return ("too_large", len(item.completion), ref, params)
    return (extract(item.completion, params.extract), ref, params)


def warm_up() -> None:
    """Run common answer shapes, as models write them, through the verifier (rewards.math_warmup)."""
    params = MathParams()
    for answer, gold in WARMUP_PAIRS:
        for phrasing in WARMUP_PHRASINGS:
            math(Item(completion=phrasing.format(answer), reference=gold), params)


MATH_REFERENCE = {
    "description": "The gold answer: LaTeX or plain text (a number, an expression, a set, an interval…), or a number.",
    "anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}],
    "examples": ["\\frac{1}{2}", "0.5", 42, "(1, 2]", "x^2 + 1"],
}


def math_overrun(item: Item, params: MathParams) -> Verdict | None:
    """An item whose work overran the pool's deadline (C code, such as sympy's big-integer products, runs on past
    the verifier's own): judged 0 when the reference is judged in time against a trivial answer, so the answer's
    cost overran; else None, a timeout (the reference's own cost: parsing it, or evaluating it to compare)."""
    ref = reference_text(item.reference)
    if ref is None or complexity_problem(ref) or not _reference_judged_in_time(ref, params):
        return None
    shown = None
    if len(item.completion) <= params.max_completion_chars:
        shown = extract(item.completion, params.extract).shown
    return _unevaluable("evaluating it overran the worker's deadline", shown)


@verifier(
    "math",
    params=MathParams,
    heavy=True,
    cache_key=math_cache_key,
    warmup=warm_up,
    reference=MATH_REFERENCE,
    overrun=math_overrun,
)
def math(item: Item, params: MathParams) -> Verdict:
    """Score 1 when the final answer equals the reference, e.g. "... so \\boxed{\\frac12}" vs "0.5"."""
    ref = reference_text(item.reference)
    if ref is None:
        return Verdict.fail(Status.BAD_REFERENCE, "math: the reference must be a non-empty string or a number")
    if len(ref) > MAX_REFERENCE_CHARS:
        return Verdict.fail(Status.BAD_REFERENCE, f"math: reference of {len(ref)} chars exceeds {MAX_REFERENCE_CHARS}")
    problem = complexity_problem(ref)
    if problem:
        return Verdict.fail(Status.BAD_REFERENCE, f"math: reference is too complex to evaluate: {problem}")
    # From here on only the completion can be at fault: what it makes unevaluable is judged 0.
    if len(item.completion) > params.max_completion_chars:
        return _checked_reference(ref, params) or _unevaluable(
            f"completion of {len(item.completion)} chars exceeds max_completion_chars={params.max_completion_chars}",
            None,
        )
    ex = extract(item.completion, params.extract)
    if ex.kind == "none":
        return _checked_reference(ref, params) or Verdict.ok(
            0.0, f"no answer extracted ({ex.note})", extracted=None, rule="extraction"
        )
    too_big = _size_problem(ex, params)
    if too_big:
        return _checked_reference(ref, params) or _unevaluable(f"extracted answer {too_big}", ex.shown)
    stage = ["reference"]
    try:
        with deadline(params.timeout_s):
            return _judge(ex, ref, params, stage)
    except DeadlineExceeded:  # CPU time (math_deadline): the work's own cost, never the machine's load
        # the stage alone does not tell: the answer is normalised (clean) while the reference is worked on
        if not _reference_judged_in_time(ref, params):
            return Verdict.fail(
                Status.TIMEOUT,
                f"math: parsing or evaluating the reference {ref[:80]!r} took over {params.timeout_s:g}s of CPU",
                extracted=ex.shown,
            )
        return _unevaluable(
            f"comparing {ex.shown!r} with the reference took over {params.timeout_s:g}s of CPU", ex.shown
        )
    except RecursionError:
        if stage[0] == "reference":
            return Verdict.fail(Status.BAD_REFERENCE, f"math: reference {ref[:80]!r} is nested too deeply to parse")
        return _unevaluable(f"expression {ex.shown!r} is nested too deeply to parse", ex.shown)
    except MemoryError:  # the worker's address space (service.app): giant integers
        if stage[0] == "reference":
            return Verdict.fail(Status.BAD_REFERENCE, f"math: reference {ref[:80]!r} needs too much memory to parse")
        return _unevaluable(f"evaluating {ex.shown!r} needs more memory than a worker has", ex.shown)


def _checked_reference(ref: str, params: MathParams) -> Verdict | None:
    """An error verdict when the reference cannot be parsed (then no answer is judged), else None."""
    try:
        with deadline(params.timeout_s):
            if not _malformed(ref, _gold_side(ref)):
                return None
    except DeadlineExceeded:
        return Verdict.fail(Status.TIMEOUT, f"math: parsing the reference {ref[:80]!r} took over {params.timeout_s:g}s")
    except (RecursionError, MemoryError):
        pass
    return Verdict.fail(Status.BAD_REFERENCE, f"math: reference {ref[:80]!r} could not be parsed")


def _reference_judged_in_time(ref: str, params: MathParams) -> bool:
    """Whether a trivial answer is judged against ``ref`` within the deadline: when it is not, what overran with
    another answer may be the reference's own cost (evaluating it to compare), which no answer is judged for."""
    try:
        with deadline(params.timeout_s):
            return _judge(extract(TRIVIAL_ANSWER), ref, params, ["reference"]).judged
    except (DeadlineExceeded, RecursionError, MemoryError):
        return False


def _unevaluable(why: str, shown: str | None) -> Verdict:
    """A judged 0 for an answer that cannot be evaluated: the completion caused it, so it is no excuse."""
    return Verdict.ok(0.0, f"answer cannot be evaluated: {why}", extracted=shown, rule=UNEVALUABLE_RULE)


def _size_problem(ex: Extraction, params: MathParams) -> str | None:
    for text in ex.answers:
        if len(text) > params.max_answer_chars:
            return f"of {len(text)} chars exceeds max_answer_chars={params.max_answer_chars}"
    for text in (*ex.answers, ex.context):
        problem = complexity_problem(text)
        if problem:
            return f"is too complex to evaluate: {problem}"
    return None


def _gold_side(ref: str) -> Side:
    text = unicode_to_latex(ref)
    boxes = find_boxes(text)
    if boxes:
        return Side(", ".join(boxes), mv_parse(text))
    inner = strip_math_delims(text)
    return Side(inner, mv_parse(boxed(inner)))


def _judge(ex: Extraction, ref: str, params: MathParams, stage: list[str]) -> Verdict:
    """The verdict for one extraction; ``stage[0]`` says whether the reference or the answer is being worked on."""
    distinct = _distinct(ex.answers) if ex.kind == "boxed" else list(ex.answers)
    gold_box_text = strip_math_delims(unicode_to_latex(ref))
    hedged = bool(ex.alternatives) and not _HEDGE_WORD_RE.search(gold_box_text)
    if len(distinct) == 1 and not hedged and clean(distinct[0]) == clean(gold_box_text):
        return _verdict(True, "fast path: identical after normalisation", ex, distinct[0], gold_box_text, None, None)
    if len(distinct) == 1 and not ex.alternatives and "\\boxed" not in gold_box_text:
        equal, rule = fast_compare(distinct[0], gold_box_text, params.float_rounding)
        if equal is not None:
            return _verdict(equal, f"fast path: {rule}", ex, distinct[0], gold_box_text, None, None)
    gold = _gold_side(ref)
    if _malformed(ref, gold):
        return Verdict.fail(Status.BAD_REFERENCE, f"math: reference {ref[:80]!r} could not be parsed")
    stage[0] = "answer"
    multi = is_multi(gold.parsed)
    single = not multi and not isinstance(value_of(gold.parsed), _CONTAINERS) and not is_spray(gold_box_text)
    if single and any(is_spray(a) for a in distinct):  # "\\boxed{7 7 7 7}": repeating a value is no answer
        return _verdict(False, "hack guard: numbers side by side (a spray)", ex, ex.shown, gold.latex, None, gold)
    if ex.alternatives and not ex.listed and _is_region(value_of(gold.parsed)):
        union = union_of(ex.alternatives)
        if union is not None:
            equal = mv_equal(gold.parsed, union, params.float_rounding, params.numeric_precision)
            return _verdict(
                equal,
                "alternatives joined by 'or' read as a union of sets",
                ex,
                " or ".join(ex.alternatives),
                gold.latex,
                Side(str(union), [union]),
                gold,
            )
    if ex.alternatives and multi:
        for roots in solution_sets(ex.alternatives):
            if mv_equal(gold.parsed, [roots], params.float_rounding, params.numeric_precision):
                shown, joined = " or ".join(ex.alternatives), "and" if ex.listed else "or"
                rule = f"values joined by '{joined}' read as the set of solutions"
                return _verdict(True, rule, ex, shown, gold.latex, Side(str(roots), [roots]), gold)
    listed_sets = solution_sets(ex.alternatives) if ex.listed and ex.kind != "boxed" else []
    if listed_sets and isinstance(value_of(gold.parsed), sympy.FiniteSet):
        # "-1 and 5" against {5}: the listed values are one set, never the one math-verify happens to read
        equal = any(mv_equal(gold.parsed, [r], params.float_rounding, params.numeric_precision) for r in listed_sets)
        shown = ", ".join(ex.alternatives)
        return _verdict(equal, "the listed values read as a set", ex, shown, gold.latex, Side(shown, listed_sets), gold)
    alternatives = _alternatives(ex, distinct, gold, multi)
    if alternatives:
        return _judge_alternatives(alternatives, ex, gold, params)
    answer = _answer_side(ex, distinct)
    if not answer.parsed:
        return _verdict(False, "nothing parseable in the answer", ex, answer.latex, gold.latex, answer, gold)
    region = _region_of_conditions(gold_box_text) if _is_region(answer.expr) else None
    if region is not None:  # "(-\infty,-13)\cup(17,\infty)" against "x < -13 or x > 17"
        equal = mv_equal([region], answer.parsed, params.float_rounding, params.numeric_precision)
        rule = "the reference's conditions joined by 'or' read as a union of sets"
        return _verdict(equal, rule, ex, answer.latex, gold.latex, answer, Side(str(region), [region]))
    if (
        not multi
        and _lists_values(answer)
        and not isinstance(value_of(gold.parsed), _CONTAINERS)
        and not isinstance(gold.expr, Relational)
        and not rule_decimal_comma(gold, answer, params.float_rounding, params.numeric_precision)
    ):
        return _verdict(
            False,
            f"hack guard: the answer lists {len(answer.expr)} values, the reference has one",
            ex,
            answer.latex,
            gold.latex,
            answer,
            gold,
        )
    equal, rule = compare(gold, answer, params.float_rounding, params.numeric_precision)
    return _verdict(equal, rule, ex, answer.latex, gold.latex, answer, gold)


def _is_region(value: Any) -> bool:
    """An interval or union of intervals: "or" between conditions then means union, not hedging."""
    return isinstance(value, sympy.Set) and not isinstance(value, sympy.FiniteSet)


def _region_of_conditions(text: str) -> Any:
    """A reference of conditions joined by "or" ("x < -13 or x > 17") as the union of their sets, or None."""
    parts, listed = split_alternatives(text)
    if len(parts) < 2 or listed:
        return None
    union = union_of(parts)
    return union if _is_region(union) else None


def _lists_values(side: Side) -> bool:
    return isinstance(side.expr, sympy.FiniteSet) and len(side.expr) > 1


def _malformed(ref: str, gold: Side) -> bool:
    """No parse at all, or only a text fallback of something broken (unbalanced, dangling, no content)."""
    if not gold.parsed:
        return True
    if any(not isinstance(p, str) for p in gold.parsed):
        return False
    text = gold.latex.strip()
    return (
        not any(c.isalnum() for c in text)
        or text.endswith(("^", "_", "\\", "=", "+", "*", "/", "(", "{"))
        or text.count("{") != text.count("}")
    )


def _distinct(answers: tuple[str, ...]) -> list[str]:
    seen: dict[str, str] = {}
    for a in answers:
        seen.setdefault(clean(a), a)
    return list(seen.values())


def _alternatives(ex: Extraction, distinct: list[str], gold: Side, multi: bool) -> list[str]:
    """The different answers a hedging completion offers, when the reference has only one."""
    if multi or _HEDGE_WORD_RE.search(gold.latex):
        return []
    if ex.kind == "boxed" and len(distinct) > 1:
        return distinct
    if ex.listed and isinstance(value_of(gold.parsed), _CONTAINERS):
        return []
    return list(ex.alternatives)


def _judge_alternatives(alternatives: list[str], ex: Extraction, gold: Side, params: MathParams) -> Verdict:
    shown = "; ".join(" ".join(a.split())[:40] for a in alternatives[:5]) + ("; ..." if len(alternatives) > 5 else "")
    if len(alternatives) > MAX_ALTERNATIVES:
        return _verdict(
            False,
            f"hack guard: {len(alternatives)} different answers offered (spraying)",
            ex,
            shown,
            gold.latex,
            None,
            gold,
        )
    for alt in alternatives:
        equal, _ = fast_compare(alt, gold.latex, params.float_rounding)
        if equal is None:
            parsed = mv_parse(boxed(alt))
            equal = (
                bool(parsed) and compare(gold, Side(alt, parsed), params.float_rounding, params.numeric_precision)[0]
            )
        if not equal:
            return _verdict(
                False,
                f"hack guard: {len(alternatives)} different answers offered ({shown}), not all equal to the reference",
                ex,
                shown,
                gold.latex,
                None,
                gold,
            )
    return _verdict(True, "every answer offered equals the reference", ex, shown, gold.latex, None, gold)


def _answer_side(ex: Extraction, distinct: list[str]) -> Side:
    if ex.kind == "boxed":
        if len(distinct) == 1:
            return Side(distinct[0], mv_parse(boxed(distinct[0])))
        return Side(", ".join(distinct), mv_parse(" , ".join(boxed(b) for b in distinct)))
    plus_minus = _PLUS_MINUS_RE.search(ex.answers[0])  # "the answer is ±7": math-verify would read the 7 alone
    parsed = mv_parse(boxed(ex.answers[0]) if plus_minus else ex.context or ex.answers[0])
    if not parsed:  # LaTeX written without delimiters ("the answer is e^{i\\pi}"): the answer alone
        parsed = mv_parse(boxed(ex.answers[0]))
    latex = parsed[-1] if parsed and isinstance(parsed[-1], str) else ex.answers[0]
    return Side(latex, parsed)


def _verdict(
    equal: bool, rule: str, ex: Extraction, answer: str, gold: str, answer_side: Side | None, gold_side: Side | None
) -> Verdict:
    a_shown = " ".join(answer.split())[:120]
    g_shown = " ".join(gold.split())[:120]
    g_parsed = " ".join(str(gold_side.expr).split())[:120] if gold_side is not None and gold_side.parsed else g_shown
    how = "equal" if equal else "not equal"
    kind = f"{ex.kind}, {ex.note}" if ex.note else ex.kind
    reason = f"extracted {a_shown!r} ({kind}); reference {g_shown!r} parsed as {g_parsed}; {how} by {rule}"
    details = {
        "extracted": a_shown,
        "extraction": ex.kind,
        "rule": rule,
        "answer_normalized": clean(answer)[:200],
        "reference_normalized": clean(gold)[:200],
        "answer_parsed": " ".join(str(answer_side.expr).split())[:200] if answer_side and answer_side.parsed else None,
        "reference_parsed": g_parsed,
    }
    return Verdict.ok(1.0 if equal else 0.0, reason, **details)
