"""The verifier contract as executable checks, for built-ins, plugins and their authors.

``contract_problems(spec)`` returns what a verifier does wrong (empty when it follows
the contract): params that accept typos or wrong types, a function that does not pickle,
a call that raises or returns something other than a Verdict on empty, huge or
off-main-thread input. Plugin authors run it in their own tests.
"""

from __future__ import annotations

import dataclasses
import pickle
import threading
import typing
from collections.abc import Callable
from typing import Any

from rewards.errors import ParamError
from rewards.interrupt import raise_in_thread
from rewards.item import Item
from rewards.params import default_problems
from rewards.registry import VerifierSpec
from rewards.verdict import Status, Verdict

HUGE_CHARS = 1_000_000
LOAD_CALL_TIMEOUT_S = 10.0
_WRONG_VALUES: dict[Any, Any] = {str: 12345, int: "twelve", float: "1.5", bool: "yes"}


class _LoadCallStopped(BaseException):
    """Raised in a load-check call that gave no answer in time, so that it stops spinning."""


def contract_problems(spec: VerifierSpec) -> list[str]:
    """Every way ``spec`` breaks the verifier contract, as readable sentences."""
    problems = _param_problems(spec)
    try:
        if pickle.loads(pickle.dumps(spec.fn)) is not spec.fn:
            problems.append("the verifier function does not unpickle to itself")
    except Exception as exc:
        problems.append(f"the verifier function cannot be pickled ({type(exc).__name__}: {exc})")
    try:
        params = spec.parse_params({})
    except ParamError:
        return problems  # required params: calls need a real configuration
    for label, item in sample_items():
        problems += _call_problems(spec, params, label, item, threaded=False)
    problems += _call_problems(spec, params, "a call off the main thread", Item("The answer is 4.", "4"), threaded=True)
    return problems


def load_problems(spec: VerifierSpec) -> list[str]:
    """The quick part of the contract, checked when a plugin loads: params, pickling, one plain call."""
    problems = _param_problems(spec)
    try:
        pickle.dumps(spec.fn)
    except Exception as exc:
        problems.append(f"the verifier function cannot be pickled ({type(exc).__name__}: {exc})")
    try:
        params = spec.parse_params({})
    except ParamError:
        return problems
    label, item = sample_items()[2]
    return problems + _call_problems(spec, params, label, item, threaded=True, timeout_s=LOAD_CALL_TIMEOUT_S)


def sample_items() -> list[tuple[str, Item]]:
    """Inputs every verifier must survive with a Verdict."""
    return [
        ("an empty completion", Item(completion="", reference=None)),
        ("an empty completion with a reference", Item(completion="", reference="42")),
        (
            "a plain completion",
            Item(
                completion="<think>2+2=4</think>The answer is \\boxed{4}.",
                reference="4",
                prompt="What is 2+2?",
                group="g",
                completion_tokens=12,
            ),
        ),
        ("a huge completion", Item(completion="word " * (HUGE_CHARS // 5), reference="4")),
        ("10,000 nested braces", Item(completion="\\boxed{" + "{" * 10_000 + "}" * 10_000 + "}", reference="4")),
    ]


def _param_problems(spec: VerifierSpec) -> list[str]:
    problems = []
    if not (dataclasses.is_dataclass(spec.params) and spec.params.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        problems.append(f"params class {spec.params.__name__} is not a frozen dataclass")
        return problems
    problems += default_problems(spec.params)
    names = [f.name for f in dataclasses.fields(spec.params)]
    try:
        spec.parse_params({"no_such_param__": 1})
        problems.append("an unknown parameter was accepted")
    except ParamError as exc:
        missing = [n for n in names if n not in str(exc)]
        if missing:
            problems.append(f"the error for an unknown parameter does not name the valid ones {missing}: {exc}")
    hints = typing.get_type_hints(spec.params)
    for name in names:
        wrong = _WRONG_VALUES.get(hints[name])
        if wrong is None:
            continue
        try:
            spec.parse_params({name: wrong})
            problems.append(f"parameter {name!r} ({hints[name].__name__}) accepted {wrong!r}")
        except ParamError:
            pass
    return problems


def _call_problems(
    spec: VerifierSpec, params: Any, label: str, item: Item, *, threaded: bool, timeout_s: float | None = None
) -> list[str]:
    call: Callable[[], Any] = (
        (lambda: spec.fn([item, item], params)) if spec.scope == "group" else (lambda: spec.fn(item, params))
    )
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)
        except _LoadCallStopped:
            pass

    if threaded:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(timeout_s)
        if thread.is_alive() and thread.ident is not None:
            raise_in_thread(thread.ident, _LoadCallStopped)  # a Python loop stops; a call blocked in C stays
    else:
        target()
    if not outcome:
        return [f"{label}: no answer within {timeout_s:g}s"]
    result = outcome[0]
    if isinstance(result, Exception):
        return [f"{label}: raised {type(result).__name__}: {result}"[:300]]
    verdicts = result if spec.scope == "group" else [result]
    if spec.scope == "group" and (not isinstance(result, list) or len(result) != 2):
        return [f"{label}: a group verifier must return one Verdict per item, got {result!r:.100}"]
    for v in verdicts:
        if not isinstance(v, Verdict):
            return [f"{label}: returned {type(v).__name__}, not a Verdict"]
        if not isinstance(v.status, Status):
            return [f"{label}: status {v.status!r} is not a rewards.Status"]
        if v.judged and (v.score is None or v.score != v.score):
            return [f"{label}: status ok but score {v.score!r}"]
        if not v.judged and v.score is not None:
            return [f"{label}: status {v.status.value} must carry no score, got {v.score!r}"]
        if not v.reason:
            return [f"{label}: empty reason"]
    return []
