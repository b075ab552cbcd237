"""``rlvr explain``: score one item and print the full trace of how its reward came about."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from grpo.wire import RewardsField, ScoreItem, ScoreRequest
from service.cli.cases import compare, describe, parse_case
from service.cli.output import err, stdout
from service.cli.runners import http_runner, load_settings, local_runner
from service.cli.score import no_rewards
from service.explain import ExplainedResponse, ItemTrace, explain_response


def run_explain(source: str, url: str | None, rewards: RewardsField | None, item_id: str | None, as_json: bool) -> None:
    """Explain the item given as JSON text, a file (one object, or JSONL with ``item_id``) or ``-``."""
    raw = _select(_load(source), item_id)
    expected = raw.pop("expected", None)
    try:
        item = ScoreItem.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
        err.print(f"not a valid item: {problems}", style="red", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if not (rewards or item.rewards):
        err.print(no_rewards("explain"), markup=False, highlight=False)
        raise typer.Exit(2)
    request = ScoreRequest(items=[item], rewards=rewards)
    explained = asyncio.run(_remote(url, request) if url else _local(request))
    trace = explained.explanations[0]
    if as_json:
        typer.echo(trace.model_dump_json(indent=2))
    else:
        _print_trace(stdout(), trace)
    if expected is not None:
        line = json.dumps({**raw, "expected": expected})
        outcome = compare(parse_case(source, 1, line), explained.results[0])
        for m in outcome.mismatches:
            err.print(f"[red]mismatch:[/red] {escape(describe(m))}")
        if not outcome.passed:
            raise typer.Exit(1)
        err.print("[green]matches the expected outcome[/green]")


def _load(source: str) -> tuple[str, str]:
    """The text to explain and what it came from (a file's name, stdin or "the argument")."""
    if source == "-":
        return sys.stdin.read(), "stdin"
    path = Path(source)
    if source.lstrip().startswith(("{", "[")):
        return source, "the argument"
    if path.is_file():
        try:
            return path.read_text(), source
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read {source}: {exc}")
    if path.suffix.lower() in (".json", ".jsonl"):
        _fail(f"cannot read {source}: no such file (or give the item itself as JSON)")
    return source, "the argument"


def _select(loaded: tuple[str, str], item_id: str | None) -> dict[str, Any]:
    """The one item of ``loaded``: its only JSON object, or the JSONL line whose id is ``item_id``."""
    text, origin = loaded
    try:
        objects = [json.loads(text)]
    except ValueError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            _fail(f"{origin} is not JSON: {whole}")
        objects = []
        for number, line in lines:
            try:
                objects.append(json.loads(line))
            except ValueError as exc:
                if item_id is None:
                    _fail(f"{origin} line {number} is not JSON: {exc}")
    if item_id is not None:
        matching = [o for o in objects if isinstance(o, dict) and str(o.get("id")) == item_id]
        if len(matching) != 1:
            ids = [str(o.get("id")) for o in objects if isinstance(o, dict)]
            shown = ", ".join(ids[:20]) + (", …" if len(ids) > 20 else "")
            found = "no item" if not matching else f"{len(matching)} items"
            _fail(f"{found} with id {item_id!r} in {origin} (ids: {shown or 'none'})")
        objects = matching
    if len(objects) != 1:
        _fail(f"{origin} holds {len(objects)} items: pick one with --id")
    if not isinstance(objects[0], dict):
        _fail(f"{origin}: an item is a JSON object, got {type(objects[0]).__name__}")
    return dict(objects[0])


def _fail(message: str) -> NoReturn:
    err.print(message, style="red", markup=False, highlight=False)
    raise typer.Exit(2)


async def _local(request: ScoreRequest) -> ExplainedResponse:
    """Scored in this process on the RLVR_* settings (one worker unless RLVR_WORKERS says otherwise)."""
    settings = load_settings()
    if "workers" not in settings.model_fields_set:
        settings = load_settings(workers=1)  # one item: one worker process starts faster than a CPU's worth
    async with local_runner(settings) as runner:
        response = await runner.score(request)
        return explain_response(runner.registry, request.items, request.rewards, response)


async def _remote(url: str, request: ScoreRequest) -> ExplainedResponse:
    async with http_runner(url) as runner:
        return ExplainedResponse.model_validate_json(await runner.post(request, explain="true"))


def _print_trace(console: Console, trace: ItemTrace) -> None:
    reward = "null (not judged)" if trace.reward is None else f"{trace.reward:g}"
    label = "item" if trace.id is None else f"item {escape(str(trace.id))}"
    root = Tree(f"[bold]{label}[/bold]: reward {reward}, status {trace.status}")
    root.add(f"reward = {escape(trace.formula)}")
    if trace.error:
        root.add(f"[red]error:[/red] {escape(trace.error)}")
    for c in trace.components:
        style = "green" if c.status == "ok" else "red"
        score = "—" if c.score is None else f"{c.score:g}"
        node = root.add(
            f"[bold]{escape(c.name)}[/bold]: score {score}, [{style}]{c.status}[/{style}], weight {c.weight:g}"
        )
        if c.verifier is not None:
            v = c.verifier
            kind = ", ".join(k for k, on in (("heavy", v.heavy), ("blocking", v.blocking)) if on) or "light"
            node.add(f"verifier: {escape(v.source)} {escape(v.version)} ({v.scope} scope, {kind})")
        node.add(f"params: {escape(json.dumps(c.params, default=str))}")
        for label, value in (("extracted", c.extracted), ("compared with", c.expected), ("decided by", c.rule)):
            if value is not None:
                node.add(f"{label}: {escape(json.dumps(value, default=str, ensure_ascii=False))}")
        node.add(f"reason: {escape(c.reason)}")
        if c.traceback:
            node.add("[red]traceback:[/red]\n" + escape(c.traceback.rstrip()))
        details = node.add("details")
        for key, value in c.details.items():
            details.add(f"{escape(key)}: {escape(json.dumps(value, default=str, ensure_ascii=False))}")
    console.print(root)
