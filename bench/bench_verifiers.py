"""Throughput of ``ifeval``, ``choice`` and ``reasoning_gym`` against calling the underlying scorer directly.

Same items, same run, best of three:

- ``ifeval``: the realistic answers of ``tests/test_ifeval.py`` with their constraints; the
  baseline calls each instruction's check on the raw answer with kwargs parsed once (no
  reference parsing, think split, counted view or details).
- ``choice``: the answer styles and hedges of ``tests/test_choice.py``; the baseline is the
  usual one-regex scorer (lm-eval's GPQA ``strict-match``: "The answer is (X)").
- ``reasoning_gym`` (needs ``rlvr[gym]``): items of several tasks, gold and wrong answers;
  the baseline is reasoning-gym's ``extract_answer`` + ``score_answer`` on the entry.

    python -m bench.bench_verifiers [--repeat 20]
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from bench.bench_language import timed
from rewards.choice import choice
from rewards.ifeval import IfevalParams, ifeval
from rewards.ifeval_checks import Answer
from rewards.ifeval_reference import parse_reference
from rewards.item import Item
from rewards.params import NoParams
from rewards.reasoning_gym import ReasoningGymParams, gym_items, reasoning_gym
from tests.test_choice import HEDGES, STYLES
from tests.test_ifeval import CASES, GAMING_CASES

GYM_TASKS = [
    "leg_counting",
    "basic_arithmetic",
    "word_sorting",
    "spell_backward",
    "mini_sudoku",
    "countdown",
    "family_relationships",
    "propositional_logic",
]
GPQA_STRICT = re.compile(r"answer is \(?([A-J])\)?")


def report(name: str, n: int, t_ours: float, t_base: float, baseline: str) -> None:
    print(
        f"{name:14s} rlvr {n / t_ours:9.0f} items/s   {baseline} {n / t_base:9.0f} items/s   "
        f"ratio {t_ours / t_base:5.2f}x the time"
    )


def bench_ifeval(repeat: int) -> None:
    cases = [(c, {"instruction_id_list": [i], "kwargs": [kw]}) for i, kw, c, *_ in [*CASES, *GAMING_CASES]] * repeat
    items = [Item(c, ref) for c, ref in cases]
    parsed = [(c, parse_reference(ref)) for c, ref in cases]
    params = IfevalParams()
    ifeval(items[0], params)  # load fastText

    def direct() -> None:
        for text, instructions in parsed:
            answer = Answer(text, guards=False)
            [i.check(answer, i.kwargs) for i in instructions]

    report("ifeval", len(items), timed(lambda: [ifeval(i, params) for i in items]), timed(direct), "checks alone")
    loose = IfevalParams(mode="loose")
    report("ifeval loose", len(items), timed(lambda: [ifeval(i, loose) for i in items]), timed(direct), "checks alone")


def bench_choice(repeat: int) -> None:
    items = [Item(c, r) for c, r, *_ in [*STYLES, *HEDGES]] * repeat
    golds = [r if isinstance(r, str) else "C" for _, r, *_ in [*STYLES, *HEDGES]] * repeat

    def regex() -> None:
        for item, gold in zip(items, golds, strict=True):
            m = GPQA_STRICT.search(item.completion)
            _ = m is not None and m.group(1) == gold

    report("choice", len(items), timed(lambda: [choice(i, NoParams()) for i in items]), timed(regex), "one regex")


def bench_reasoning_gym(repeat: int) -> None:
    try:
        import reasoning_gym as gym
    except ImportError:
        print("reasoning_gym  skipped: install rlvr[gym]")
        return
    refs = [item["reference"] for task in GYM_TASKS for item in gym_items(task, seed=1, size=4)]
    pairs: list[tuple[str, Any]] = []
    for ref in refs:
        gold = ref["answer"] if isinstance(ref["answer"], str) else "[]"
        pairs += [(f"<think>...</think><answer>{gold}</answer>", ref), ("<think>...</think><answer>7</answer>", ref)]
    pairs *= repeat
    plain = [(c, {k: v for k, v in r.items() if k != "config"}) for c, r in pairs]
    items = [Item(c, r) for c, r in plain]
    regen = [Item(c, r) for c, r in pairs]
    params = ReasoningGymParams()
    [reasoning_gym(i, params) for i in regen]  # fill the regeneration cache: a group shares its prompt
    scorers = {t: gym.get_score_answer_fn(t) for t in GYM_TASKS}

    def direct() -> None:
        for completion, entry in plain:
            scorers[entry["metadata"]["source_dataset"]](gym.utils.extract_answer(completion), entry)

    t_base = timed(direct)
    report(
        "reasoning_gym", len(items), timed(lambda: [reasoning_gym(i, params) for i in items]), t_base, "score_answer"
    )
    report(
        "  regenerated", len(regen), timed(lambda: [reasoning_gym(i, params) for i in regen]), t_base, "score_answer"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="copies of the case tables")
    args = parser.parse_args()
    bench_ifeval(args.repeat)
    bench_choice(args.repeat)
    bench_reasoning_gym(args.repeat)


if __name__ == "__main__":
    main()
