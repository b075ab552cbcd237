"""The ``reasoning_gym`` verifier: reasoning-gym's own ``score_answer`` for the task of the reference.

The reference is an entry as reasoning-gym produces it (``{"question", "answer",
"metadata": {"source_dataset": <task>, ...}}``, or that object as a JSON string); the score
is ``get_score_answer_fn(task)(answer, entry)``, a float in [0, 1] (some tasks give
partial credit). A JSON round trip turns tuples into lists, which a few scorers compare
against (``arc_agi``, ``rearc``): a reference that also carries ``config`` (the dataset's
configuration, with ``seed`` and ``size``, as :func:`gym_items` writes it) is regenerated
from it, so it is scored exactly as reasoning-gym produced it.

The answer is what reasoning-gym's ``extract_answer`` finds in ``<answer>…</answer>`` after
the last ``</think>`` (``extract="answer_tag"``), or the whole text after it
(``extract="final_text"``). reasoning-gym is the optional extra ``rlvr[gym]``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Literal

from rewards.item import Item
from rewards.math_extract import answer_region
from rewards.registry import verifier
from rewards.verdict import Status, Verdict

DEFAULT_MAX_CHARS = 200_000
SHOWN_CHARS = 120
INSTALL_HINT = "reasoning-gym is not installed; install the extra rlvr[gym]"


class BadEntry(ValueError):
    """The reference is not a reasoning-gym entry that can be scored; the message says why."""


@dataclass(frozen=True)
class ReasoningGymParams:
    """``extract``: "answer_tag" (reasoning-gym's ``<answer>`` convention) or "final_text" (all after </think>)."""

    extract: Literal["answer_tag", "final_text"] = "answer_tag"
    max_chars: int = DEFAULT_MAX_CHARS
    """Longer completions get too_large instead of being scored."""

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise ValueError("max_chars must be positive")


def _gym() -> Any:
    """The reasoning_gym module, or None when the extra is not installed."""
    try:
        import reasoning_gym
    except ImportError:
        return None
    return reasoning_gym


def tasks() -> list[str]:
    """The names of reasoning-gym's tasks (its registered datasets); empty without the extra."""
    gym = _gym()
    return [] if gym is None else sorted(gym.factory.DATASETS)


def gym_items(task: str, seed: int, size: int, config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """``size`` items of ``task`` drawn with ``seed``: id, prompt and a reference the verifier regenerates.

    Raises BadEntry for an unknown task or configuration, RuntimeError without the extra.
    """
    gym = _gym()
    if gym is None:
        raise RuntimeError(INSTALL_HINT)
    full = {**(config or {}), "seed": seed, "size": size}
    dataset = _dataset(task, json.dumps(full, sort_keys=True))
    items = []
    for i in range(size):
        entry = json.loads(json.dumps(dataset[i], default=str))
        items.append({"id": f"{task}-{seed}-{i}", "prompt": entry["question"], "reference": {**entry, "config": full}})
    return items


@functools.lru_cache(maxsize=64)
def _dataset(task: str, config_json: str) -> Any:
    """A reasoning-gym dataset built from a configuration (JSON, so that it can be a cache key)."""
    gym = _gym()
    if task not in gym.factory.DATASETS:
        raise BadEntry(f"unknown reasoning-gym task {task!r} ({len(gym.factory.DATASETS)} known)")
    try:
        return gym.create_dataset(task, **json.loads(config_json))
    except (TypeError, ValueError, AssertionError) as exc:
        raise BadEntry(f"cannot build task {task!r} from config: {type(exc).__name__}: {exc}"[:300]) from None


@functools.lru_cache(maxsize=256)
def _scorer(task: str) -> Any:
    """reasoning-gym's ``score_answer`` of a task, built once per process (it builds a dataset each call)."""
    return _gym().get_score_answer_fn(task)


def _entry(reference: Any) -> tuple[str, dict[str, Any], str]:
    """(task, entry, where the entry came from) of a reference, or BadEntry."""
    if isinstance(reference, str):
        try:
            reference = json.loads(reference)
        except ValueError:
            raise BadEntry("a string reference must be a reasoning-gym entry as JSON") from None
    if not isinstance(reference, dict) or not isinstance(reference.get("metadata"), dict):
        raise BadEntry("the reference must be a reasoning-gym entry: an object with answer and metadata")
    task = reference["metadata"].get("source_dataset")
    if task is None:
        raise BadEntry("the entry's metadata has no source_dataset (the task name)")
    if not isinstance(task, str) or task not in _gym().factory.DATASETS:
        raise BadEntry(f"unknown reasoning-gym task {str(task)[:80]!r} in metadata.source_dataset")
    config = reference.get("config")
    if config is None:
        if "answer" not in reference:
            raise BadEntry("the entry has no answer")
        return task, reference, "reference"
    index = reference["metadata"].get("source_index")
    if not isinstance(config, dict) or not isinstance(index, int) or isinstance(index, bool):
        raise BadEntry("config must be an object and metadata.source_index an integer to regenerate the entry")
    return task, dict(_regenerated(task, json.dumps(config, sort_keys=True), index)), "regenerated from config"


@functools.lru_cache(maxsize=4096)
def _regenerated(task: str, config_json: str, index: int) -> dict[str, Any]:
    """Entry ``index`` of a dataset, cached: a GRPO group scores 8-16 completions of one prompt."""
    dataset = _dataset(task, config_json)
    if not 0 <= index < len(dataset):
        raise BadEntry(f"metadata.source_index {index} is outside the dataset's {len(dataset)} entries")
    return dict(dataset[index])


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


GYM_REFERENCE = {
    "description": "A reasoning-gym entry as the library produces it (or that object as JSON text); with `config` "
    "(seed and size, as gym_items writes it) the entry is regenerated and scored exactly as produced.",
    "anyOf": [
        {
            "type": "object",
            "required": ["question", "answer", "metadata"],
            "properties": {
                "question": {"type": "string"},
                "answer": {"type": ["string", "null"]},
                "metadata": {
                    "type": "object",
                    "required": ["source_dataset"],
                    "properties": {"source_dataset": {"type": "string"}},
                },
                "config": {"type": "object"},
            },
        },
        {"type": "string"},
    ],
    "examples": [
        {
            "question": "What is 2 + 3?",
            "answer": "5",
            "metadata": {"source_dataset": "basic_arithmetic", "expression": "2 + 3"},
        }
    ],
}


@verifier("reasoning_gym", params=ReasoningGymParams, heavy=True, reference=GYM_REFERENCE)
def reasoning_gym(item: Item, params: ReasoningGymParams) -> Verdict:
    """reasoning-gym's score for the task in the reference, e.g. leg_counting "<answer>292</answer>" → 1.0.

    ``heavy``: some tasks' scorers and generators are CPU-bound (sympy, search), so it runs
    in the worker pool under the per-item deadline. No warm-up: a worker imports reasoning-gym
    on its first item (under a second, 60 MB), so a service that never scores it pays nothing.
    """
    gym = _gym()
    if gym is None:
        return Verdict.fail(Status.ERROR, f"reasoning_gym: {INSTALL_HINT}")
    try:
        task, entry, entry_from = _entry(item.reference)
    except BadEntry as exc:
        return Verdict.fail(Status.BAD_REFERENCE, f"reasoning_gym: {exc}")
    if len(item.completion) > params.max_chars:
        return Verdict.fail(
            Status.TOO_LARGE,
            f"reasoning_gym: completion of {len(item.completion)} chars exceeds max_chars={params.max_chars}",
        )
    region, note = answer_region(item.completion)
    if region is None:
        answer = None
    elif params.extract == "answer_tag":
        answer = gym.utils.extract_answer(region)
    else:
        answer = region.strip()
    details = {
        "task": task,
        "entry": entry_from,
        "extracted": None if answer is None else _shown(answer),
        "reference_answer": _shown(entry.get("answer")),
        "extract": params.extract,
    }
    scorer = _scorer(task)
    try:
        score, crash = scorer(answer, entry), None
    except Exception as exc:  # the scorer choked: on the entry (bad reference) or on this answer (wrong)
        score, crash = 0.0, f"{type(exc).__name__}: {exc}"[:200]
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not (0.0 <= score <= 1.0):
        return Verdict.fail(Status.ERROR, f"reasoning_gym: {task}'s score_answer returned {score!r}", **details)
    problem = _entry_problem(scorer, entry) if crash or score < 1.0 else None
    if problem:
        return Verdict.fail(Status.BAD_REFERENCE, f"reasoning_gym: {task}: {problem}", **details)
    if crash:
        return Verdict.ok(
            0.0,
            f"{task}: score_answer raised {crash} on this answer (it scores the reference's own "
            f"answer), so the answer is wrong",
            **details,
        )
    if answer is None:
        why = note or ("no <answer>…</answer> tag" if params.extract == "answer_tag" else "empty answer")
        return Verdict.ok(float(score), f"{task}: no answer extracted ({why}); score {score:g}", **details)
    return Verdict.ok(
        float(score),
        f"{task}: answer {details['extracted']!r} scored {score:g} by "
        f"reasoning-gym's score_answer (reference {details['reference_answer']!r})",
        **details,
    )


def _entry_problem(scorer: Any, entry: dict[str, Any]) -> str | None:
    """Why the entry cannot be scored, or None: the scorer must take the entry's own answer (and give it 1).

    Checked only when an answer scores below 1, so a correct answer costs one scorer call.
    Tasks without a single oracle answer (``answer`` null) only have to be scorable.
    """
    gold = entry.get("answer")
    try:
        gold_score = scorer(gold if gold is None or isinstance(gold, str) else json.dumps(gold), entry)
    except Exception as exc:
        return f"score_answer fails on this entry ({type(exc).__name__}: {exc})"[:300]
    if gold is not None and gold_score != 1.0:
        return (
            f"the entry's own answer scores {gold_score!r}, not 1: its metadata is incomplete or damaged "
            f"(JSON turns tuples into lists: send config to have it regenerated)"
        )
    return None
