"""``rlvr score``: a JSONL file of items in, one API result per line out, and a summary on stderr."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import typer
from pydantic import TypeAdapter, ValidationError

from grpo.wire import ItemResult, RewardsField, ScoreItem
from service.cli.batches import request_batches, score_batches
from service.cli.output import err, progress
from service.cli.runners import runner_for
from service.intake import INVALID_ITEM, check_item, problem_text, readable

INVALID_SHOWN = 3
REWARDS_EXAMPLE = '{"math": 1.0} or [{"name": "math", "weight": 1.0, "params": {}}]'


def no_rewards(command: str) -> str:
    """What to do when ``rlvr <command>`` was given items but no reward to score them with."""
    return (
        f"no rewards named: give --rewards '{{\"math\": 1.0}}' (a default for every item) "
        f'or a "rewards" field on the items (see `rlvr {command} --help`)'
    )


def parse_rewards(raw: str | None) -> RewardsField | None:
    """``--rewards`` as the API's rewards field, or one line saying what is wrong and exit 2."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        _bad_rewards(f"not JSON ({exc})")
    try:
        rewards: RewardsField = TypeAdapter(RewardsField).validate_python(value)  # type: ignore[arg-type]
    except ValidationError as exc:
        _bad_rewards(_first_problem(exc, value))
    if not rewards:
        _bad_rewards("it names no reward")
    return rewards


def _bad_rewards(problem: str) -> None:
    err.print(f"--rewards must be JSON like {REWARDS_EXAMPLE}: {problem}", markup=False, highlight=False)
    raise typer.Exit(2)


def _first_problem(exc: ValidationError, value: object) -> str:
    """The one error of the union's many that fits the shape given (an object: the short form, a list: the full)."""
    if not isinstance(value, (dict, list)):
        return f"not an object or a list (got {json.dumps(value)[:60]})"
    shape = "dict" if isinstance(value, dict) else "list"
    errors = exc.errors(include_url=False)
    first = next((e for e in errors if e["loc"] and str(e["loc"][0]).startswith(shape)), errors[0])
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"][1:]).lstrip(".")
    got = json.dumps(first.get("input"), default=str)[:60]
    return f"{where + ': ' if where else ''}{first['msg'].lower()} (got {got})"


def read_lines(path: Path) -> list[tuple[int, str]]:
    """The file's non-blank lines with their own line numbers (blank lines count, but are not items)."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text()
    except OSError as exc:
        err.print(f"[red]cannot read {path}:[/red] {exc.strerror}")
        raise typer.Exit(2) from None
    return [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]


def parse_line(number: int, line: str) -> ScoreItem | ItemResult:
    """The item on line ``number``, or its own ``invalid_item`` result saying where the line is wrong.

    Checked as the service checks an item of POST /v1/score (service.intake), in the same words.
    """
    try:
        value = json.loads(line)
    except ValueError as exc:
        return _invalid(f"line-{number}", f"line {number}: not JSON: {exc}")
    checked = check_item(value)
    if isinstance(checked, ScoreItem):
        return checked
    raw = value if isinstance(value, dict) else {}
    item_id = readable(raw.get("id"))
    return _invalid(f"line-{number}" if item_id is None else item_id, f"line {number}: {problem_text(checked)}")


def _invalid(item_id: str | int, error: str) -> ItemResult:
    return ItemResult(id=item_id, reward=None, status=INVALID_ITEM, components=[], error=error)


def names_a_reward(parsed: list[ScoreItem | ItemResult], default: RewardsField | None) -> bool:
    """Whether any reward is named: by ``--rewards`` or by one valid item at least (or no item is valid)."""
    items = [p for p in parsed if isinstance(p, ScoreItem)]
    return bool(default) or not items or any(i.rewards for i in items)


def run_score(input: Path, output: Path | None, url: str | None, default: RewardsField | None, batch_size: int) -> None:
    """Score every line of ``input`` and write the results in input order; exit 2 when no reward is named."""
    lines = read_lines(input)
    parsed = [parse_line(number, line) for number, line in lines]
    if not names_a_reward(parsed, default):
        err.print(no_rewards("score"), markup=False, highlight=False)
        raise typer.Exit(2)
    started = time.perf_counter()
    statuses: Counter[str] = Counter()
    rewards: list[float] = []
    invalid: list[str] = []
    out: TextIO = output.open("w") if output else sys.stdout

    def write(result: ItemResult) -> None:
        out.write(result.model_dump_json() + "\n")
        statuses[result.status] += 1
        if result.reward is not None:
            rewards.append(result.reward)
        if result.status == INVALID_ITEM:
            invalid.append(result.error or "")

    try:
        asyncio.run(_score(parsed, url, default, batch_size, write))
    finally:
        if output:
            out.close()
    seconds = time.perf_counter() - started
    judged = len(rewards)
    mean = f"{sum(rewards) / judged:.4f}" if judged else "n/a"
    rate = f"{len(parsed) / seconds:.1f}" if seconds > 0 else "n/a"
    count = "1 item" if len(parsed) == 1 else f"{len(parsed)} items"
    err.print(
        f"{count} in {seconds:.1f}s ({rate} items/s); judged {judged}, mean reward {mean}; "
        f"statuses: {', '.join(f'{k} {v}' for k, v in statuses.most_common())}",
        markup=False,
        highlight=False,
    )
    if invalid:
        err.print(invalid_summary(invalid), markup=False, highlight=False)


def invalid_summary(errors: list[str]) -> str:
    """How many items were invalid (reward null, not scored), and the first few problems, one a line."""
    shown = "\n  ".join(errors[:INVALID_SHOWN])
    more = (
        f"\n  … and {len(errors) - INVALID_SHOWN} more (status invalid_item in the output)"
        if len(errors) > INVALID_SHOWN
        else ""
    )
    return f"{len(errors)} invalid item{'s' if len(errors) > 1 else ''} not scored (reward null); fix:\n  {shown}{more}"


async def _score(
    parsed: list[ScoreItem | ItemResult],
    url: str | None,
    default: RewardsField | None,
    batch_size: int,
    write: Callable[[ItemResult], None],
) -> None:
    """``write`` each result in input order, as soon as the ones before it are in; invalid lines are not sent."""
    items = [p if isinstance(p, ScoreItem) else None for p in parsed]
    ready: dict[int, ItemResult] = {n: p for n, p in enumerate(parsed) if isinstance(p, ItemResult)}
    sent = len(parsed) - len(ready)
    written = 0

    def flush() -> None:
        nonlocal written
        while written in ready:
            write(ready.pop(written))
            written += 1

    flush()  # invalid lines before the first item sent
    async with runner_for(url) as runner:
        with progress(sent) as bar:
            task = bar.add_task("scoring", total=sent)
            batches = request_batches(items, batch_size)
            async for scored in score_batches(runner, items, batches, default, lambda n: bar.advance(task, n)):
                ready.update(scored)
                flush()
