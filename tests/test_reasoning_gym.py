"""The reasoning_gym verifier: reasoning-gym's own scores through our extraction, entries, errors, the pool.

Needs the extra ``rlvr[gym]`` (``make install`` installs it): skipped without it, failed under CI=true.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grpo.wire import ScoreRequest
from rewards.item import Item
from rewards.reasoning_gym import ReasoningGymParams, gym_items, reasoning_gym, tasks
from rewards.registry import default_registry
from rewards.verdict import Status
from service.app import build_scorer
from tests.server import REPO
from tests.service.conftest import make_settings
from tests.test_check import GOLDEN, rlvr


def _gym() -> Any:
    try:
        import reasoning_gym
    except ImportError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: the reasoning_gym verifier must be tested; install rlvr[gym]: {exc}")
        pytest.skip("reasoning-gym is not installed (pip install -e '.[gym]')")
    return reasoning_gym


@pytest.fixture(scope="module")
def gym() -> Any:
    return _gym()


P = ReasoningGymParams()
# Tasks of different kinds: arithmetic, strings, puzzles with several right answers, grids compared as tuples
TASKS = [
    "leg_counting",
    "basic_arithmetic",
    "word_sorting",
    "spell_backward",
    "arc_agi",
    "rearc",
    "mini_sudoku",
    "propositional_logic",
    "countdown",
    "family_relationships",
]


def _score(completion: str, reference: Any) -> Any:
    return reasoning_gym(Item(completion, reference), P)


@pytest.mark.parametrize("task", TASKS)
def test_verdict_yields_reasoning_gym_own_score(gym: Any, task: str) -> None:
    """Through our extraction and entry handling, every answer scores what score_answer gives directly."""
    for item in gym_items(task, seed=11, size=3):
        entry = gym.create_dataset(task, seed=11, size=3)[item["reference"]["metadata"]["source_index"]]
        direct = gym.get_score_answer_fn(task)
        gold = entry["answer"] if isinstance(entry["answer"], str) else json.dumps(entry["answer"])
        for answer in (gold, "42", "", gold[::-1]):
            verdict = _score(f"<think>working...</think><answer>{answer}</answer>", item["reference"])
            assert verdict.status is Status.OK, verdict.reason
            assert verdict.score == pytest.approx(direct(answer.strip(), entry)), (task, answer)
            assert verdict.details["task"] == task


@pytest.mark.parametrize("task", ["arc_agi", "rearc"])
def test_tuple_metadata_entry_regenerated_from_config_yields_full_score(gym: Any, task: str) -> None:
    reference = gym_items(task, seed=3, size=1)[0]["reference"]
    completion = f"<answer>{reference['answer']}</answer>"
    assert _score(completion, reference).score == 1.0
    assert _score(completion, reference).details["entry"] == "regenerated from config"
    plain = {k: v for k, v in reference.items() if k != "config"}  # JSON turned its tuples into lists
    verdict = _score(completion, plain)
    assert verdict.status is Status.BAD_REFERENCE
    assert "send config to have it regenerated" in verdict.reason


def test_entry_as_json_string_yields_score(gym: Any) -> None:
    entry = json.loads(json.dumps(gym.create_dataset("leg_counting", seed=5, size=1)[0]))
    verdict = _score(f"<answer>{entry['answer']}</answer>", json.dumps(entry))
    assert (verdict.score, verdict.details["entry"]) == (1.0, "reference")


@pytest.mark.parametrize(
    ("completion", "score", "reason"),
    [
        ("<think>2*4 + ...</think><answer>292</answer>", 1.0, "answer '292' scored 1"),
        ("<answer>291</answer>", 0.0, "answer '291' scored 0"),
        ("<answer>300</answer> <answer>292</answer>", 1.0, "answer '292'"),  # reasoning-gym takes the last tag
        ("The total is 292.", 0.0, "no <answer>…</answer> tag"),
        ("<think>the answer is <answer>292</answer>", 0.0, "unterminated <think>"),
        ("<think>a</think> <think>b</think><answer>292</answer>", 1.0, "answer '292'"),
    ],
)
def test_completion_yields_extracted_answer(gym: Any, completion: str, score: float, reason: str) -> None:
    reference = gym_items("leg_counting", seed=1, size=1)[0]["reference"]
    assert reference["answer"] == "292"
    verdict = _score(completion, reference)
    assert verdict.score == score
    assert reason in verdict.reason


def test_final_text_extraction_yields_whole_answer(gym: Any) -> None:
    reference = gym_items("leg_counting", seed=1, size=1)[0]["reference"]
    verdict = reasoning_gym(Item("<think>...</think> 292 ", reference), ReasoningGymParams(extract="final_text"))
    assert verdict.score == 1.0


def test_scorer_crash_on_answer_yields_zero_not_error(gym: Any) -> None:
    """boxnet's scorer raises on a plan of the wrong shape; its reference has no single answer."""
    reference = gym_items("boxnet", seed=1, size=1)[0]["reference"]
    verdict = _score('<answer>[{"Agent[0.5, 0.5]": 7}]</answer>', reference)
    assert (verdict.status, verdict.score) == (Status.OK, 0.0)
    assert "raised" in verdict.reason


LEG = {"question": "How many legs?", "answer": "4", "metadata": {"source_dataset": "leg_counting", "source_index": 0}}


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (None, "must be a reasoning-gym entry"),
        ("4", "must be a reasoning-gym entry"),
        ("{not json", "must be a reasoning-gym entry as JSON"),
        ({"answer": "4"}, "must be a reasoning-gym entry"),
        ({**LEG, "metadata": {"source_dataset": "no_such_task"}}, "unknown reasoning-gym task 'no_such_task'"),
        ({**LEG, "metadata": {}}, "metadata has no source_dataset"),
        ({"metadata": LEG["metadata"]}, "the entry has no answer"),
        ({**LEG, "config": {"seed": 1, "size": 2, "bogus": 1}}, "cannot build task 'leg_counting' from config"),
        (
            {
                **LEG,
                "config": {"seed": 1, "size": 2},
                "metadata": {"source_dataset": "leg_counting", "source_index": 9},
            },
            "outside the dataset's 2 entries",
        ),
        ({**LEG, "config": "seed=1"}, "config must be an object"),
        ({**LEG, "metadata": {"source_dataset": "arc_agi", "source_index": 0}}, "own answer scores 0.0, not 1"),
        ({**LEG, "answer": None, "metadata": {"source_dataset": "word_sorting"}}, "fails on this entry"),
    ],
)
def test_malformed_entry_yields_bad_reference(gym: Any, reference: Any, message: str) -> None:
    verdict = _score("<answer>4</answer>", reference)
    assert verdict.status is Status.BAD_REFERENCE, verdict.reason
    assert verdict.score is None
    assert message in verdict.reason


def test_gym_items_yield_all_tasks_and_deterministic_items(gym: Any) -> None:
    assert len(tasks()) >= 100
    assert "leg_counting" in tasks()
    first, again = gym_items("word_sorting", seed=9, size=2), gym_items("word_sorting", seed=9, size=2)
    assert first == again
    assert [i["id"] for i in first] == ["word_sorting-9-0", "word_sorting-9-1"]
    assert first[0]["prompt"] == first[0]["reference"]["question"]


def test_missing_extra_yields_error_naming_it() -> None:
    """Without reasoning-gym the verdict is an error (we could not judge), never a score."""
    code = (
        "import sys; sys.modules['reasoning_gym'] = None\n"
        "from rewards import Item\n"
        "from rewards.reasoning_gym import reasoning_gym, ReasoningGymParams\n"
        "v = reasoning_gym(Item('<answer>4</answer>', {'answer': '4', 'metadata': {}}), ReasoningGymParams())\n"
        "print(v.status.value, v.score, v.reason)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "error None reasoning_gym: reasoning-gym is not installed; install the extra rlvr[gym]"


@pytest.fixture(scope="module")
def scorer() -> Iterator[Any]:
    s = build_scorer(make_settings(item_timeout_s=30.0))
    yield s
    s.close()


def test_service_scores_in_worker_pool_yields_direct_scores(gym: Any, scorer: Any) -> None:
    assert default_registry(plugins=False).get("reasoning_gym").heavy
    items = gym_items("basic_arithmetic", seed=4, size=4)
    request = ScoreRequest.model_validate(
        {
            "items": [{**i, "completion": f"<answer>{i['reference']['answer']}</answer>"} for i in items]
            + [{"completion": "<answer>1</answer>", "reference": {"metadata": {"source_dataset": "nope"}}}],
            "rewards": {"reasoning_gym": 1.0},
        }
    )
    results = asyncio.run(scorer.score(request)).results
    assert [r.reward for r in results] == [1.0, 1.0, 1.0, 1.0, None]
    assert results[-1].components[0].status == "bad_reference"


def test_golden_cases_of_reasoning_gym_yield_pass(gym: Any) -> None:
    proc = rlvr("check", str(GOLDEN / "gym"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = len((GOLDEN / "gym" / "reasoning_gym.jsonl").read_text().splitlines())
    assert f"OK: all {lines} cases match" in proc.stdout


def test_gym_items_command_yields_items_the_verifier_scores(gym: Any, tmp_path: Path) -> None:
    out = tmp_path / "items.jsonl"
    proc = rlvr("gym-items", "basic_arithmetic", "--seed", "3", "--size", "5", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    items = [json.loads(line) for line in out.read_text().splitlines()]
    assert [i["id"] for i in items] == [f"basic_arithmetic-3-{n}" for n in range(5)]
    rollouts = tmp_path / "rollouts.jsonl"
    rollouts.write_text(
        "".join(
            json.dumps(
                {**i, "completion": f"<answer>{i['reference']['answer']}</answer>", "rewards": {"reasoning_gym": 1}}
            )
            + "\n"
            for i in items
        )
    )
    proc = rlvr("score", str(rollouts))
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["reward"] for line in proc.stdout.splitlines()] == [1.0] * 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no_such_task"], "unknown reasoning-gym task 'no_such_task'"),
        (["leg_counting", "--config", "[1]"], "--config must be a JSON object"),
        (["leg_counting", "--config", '{"bogus": 1}'], "unexpected keyword argument 'bogus'"),
    ],
)
def test_gym_items_command_bad_input_yields_exit_2(gym: Any, args: list[str], message: str) -> None:
    proc = rlvr("gym-items", *args)
    assert proc.returncode == 2
    assert message in " ".join(proc.stderr.split())


@pytest.fixture
def gc_hook() -> Iterator[None]:
    """A Python gc.callbacks hook, as hypothesis leaves in the test process for good (forked workers inherit it)."""

    def hook(phase: str, info: dict[str, int]) -> None:
        time.perf_counter()

    gc.callbacks.append(hook)
    yield
    gc.callbacks.remove(hook)


@pytest.mark.usefixtures("gc_hook")
def test_slow_entry_yields_timeout_under_item_deadline(gym: Any) -> None:
    """Regenerating this knight_swap entry takes over 1 s of CPU: a 0.2 s deadline stops it.

    Workers forked from this process inherit its gc hook: the deadline's exception, raised
    while a collection runs, was swallowed in the hook and the entry judged 0 (after the
    suite's hypothesis tests, in CI). Forked workers also inherit the entries this process
    has regenerated (an lru_cache), so the seed is one no other test uses.
    """
    reference = {
        "answer": "x",
        "metadata": {"source_dataset": "knight_swap", "source_index": 2},
        "config": {"seed": 889022955, "size": 3},
    }
    slow = build_scorer(make_settings(item_timeout_s=0.2))
    try:
        request = ScoreRequest.model_validate(
            {"items": [{"completion": "<answer>x</answer>", "reference": reference}], "rewards": {"reasoning_gym": 1}}
        )
        (result,) = asyncio.run(slow.score(request)).results
    finally:
        slow.close()
    assert (result.reward, result.components[0].status) == (None, "timeout"), result.components[0].reason
