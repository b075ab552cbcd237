"""The ``rlvr`` command: serve the API, or score a JSONL file in-process or against a server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from grpo.wire import ItemResult, RewardsField, ScoreItem, ScoreRequest, ScoreResponse
from service.settings import DEFAULT_HOST, DEFAULT_PORT, Settings

app = typer.Typer(
    help="rlvr: verifiable rewards for RL on reasoning models.", no_args_is_help=True, pretty_exceptions_enable=False
)
err = Console(stderr=True)
DEFAULT_BATCH = 512
API_KEY_ENV = "RLVR_API_KEY"
HTTP_TIMEOUT_S = 600.0


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; non-loopback needs care (see README).")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_PORT,
    workers: Annotated[int | None, typer.Option(help="Worker processes for math (default: CPU count).")] = None,
    backend: Annotated[str | None, typer.Option(help="Sandbox backend for code: local or docker.")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the HTTP service on the embedded defaults (RLVR_* environment variables override them)."""
    import uvicorn

    from service.app import create_app
    from service.http_guard import guarded_protocol, http_limits
    from service.logs import configure_logging

    overrides: dict[str, Any] = {"host": host, "port": port, "log_level": log_level}
    if workers is not None:
        overrides["workers"] = workers
    if backend is not None:
        overrides["sandbox_backend"] = backend
    settings = _settings(**overrides)
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
        http=guarded_protocol(http_limits(settings)),  # read deadlines and a connection cap (slow clients)
    )


@app.command()
def score(
    input: Annotated[
        Path, typer.Argument(help="JSONL file, one item per line as in POST /v1/score ('-' = stdin).", allow_dash=True)
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Where to write results (default stdout).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Score against a running service instead of in-process.")] = None,
    rewards: Annotated[
        str | None, typer.Option(help="Default rewards for items without their own, as JSON: '{\"math\": 1.0}'.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Items per request/batch.")] = DEFAULT_BATCH,
) -> None:
    """Score a JSONL file; each output line is that item's result exactly as the HTTP API returns it."""
    default = _parse_rewards(rewards)
    lines = _read_lines(input)
    started = time.perf_counter()
    out: TextIO = output.open("w") if output else sys.stdout
    statuses: Counter[str] = Counter()
    total, judged, reward_sum = 0, 0, 0.0
    try:
        with _progress(len(lines)) as progress:
            task = progress.add_task("scoring", total=len(lines))
            for result in _score_lines(lines, default, url, batch_size):
                out.write(result.model_dump_json() + "\n")
                statuses[result.status] += 1
                total += 1
                if result.reward is not None:
                    judged += 1
                    reward_sum += result.reward
                progress.advance(task)
    finally:
        if output:
            out.close()
    mean = f"{reward_sum / judged:.4f}" if judged else "n/a"
    err.print(
        f"{total} items in {time.perf_counter() - started:.1f}s; judged {judged}, mean reward {mean}; "
        f"statuses: {', '.join(f'{k} {v}' for k, v in statuses.most_common())}"
    )


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err.print(f"[red]invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None


def _parse_rewards(raw: str | None) -> RewardsField | None:
    if raw is None:
        return None
    try:
        return TypeAdapter(RewardsField).validate_json(raw)  # type: ignore[arg-type]
    except ValidationError as exc:
        err.print(f'[red]--rewards must be JSON like {{"math": 1.0}} or [{{"name": "math"}}]:[/red] {exc}')
        raise typer.Exit(2) from None


def _read_lines(path: Path) -> list[str]:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text()
    except OSError as exc:
        err.print(f"[red]cannot read {path}:[/red] {exc.strerror}")
        raise typer.Exit(2) from None
    return [line for line in text.splitlines() if line.strip()]


def _progress(total: int) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal or total < 2,
        transient=True,
    )


def _score_lines(
    lines: list[str], default: RewardsField | None, url: str | None, batch_size: int
) -> Iterator[ItemResult]:
    """Results in input order; a line that is not a valid item gets its own error result."""
    parsed: list[ScoreItem | ItemResult] = [_parse_line(n, line) for n, line in enumerate(lines, 1)]
    runner = _HttpRunner(url) if url else _LocalRunner()
    try:
        for start in range(0, len(parsed), batch_size):
            chunk = parsed[start : start + batch_size]
            items = [p for p in chunk if isinstance(p, ScoreItem)]
            scored = iter(runner.score(ScoreRequest(items=items, rewards=default)).results if items else [])
            for p in chunk:
                yield p if isinstance(p, ItemResult) else next(scored)
    finally:
        runner.close()


def _parse_line(number: int, line: str) -> ScoreItem | ItemResult:
    try:
        return ScoreItem.model_validate_json(line)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "line"
        return ItemResult(
            id=_id_of(line, number),
            reward=None,
            status="invalid_item",
            components=[],
            error=f"line {number}: {where}: {first['msg']}",
        )


def _id_of(line: str, number: int) -> str | int:
    try:
        value = json.loads(line).get("id")
    except (ValueError, AttributeError):
        return f"line-{number}"
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else f"line-{number}"


class _LocalRunner:
    """Scores in this process with the same scorer the service uses."""

    def __init__(self) -> None:
        from service.app import build_scorer

        self._loop = asyncio.new_event_loop()
        self._scorer = build_scorer(Settings())

    def score(self, request: ScoreRequest) -> ScoreResponse:
        from service.dispatch import RequestError

        try:
            return self._loop.run_until_complete(self._scorer.score(request))
        except RequestError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None

    def close(self) -> None:
        self._scorer.close()
        self._loop.close()


class _HttpRunner:
    """Scores against a running service, with the API key from ``RLVR_API_KEY`` when set."""

    def __init__(self, url: str) -> None:
        import httpx

        key = os.environ.get(API_KEY_ENV)
        headers = {"content-type": "application/json", **({"authorization": f"Bearer {key}"} if key else {})}
        self._client = httpx.Client(base_url=url.rstrip("/"), timeout=HTTP_TIMEOUT_S, headers=headers)

    def score(self, request: ScoreRequest) -> ScoreResponse:
        return ScoreResponse.model_validate_json(self.post(request))

    def post(self, request: ScoreRequest, **params: str) -> bytes:
        """The body of POST /v1/score, or a message and exit 1 when the service cannot answer."""
        import httpx

        try:
            response = self._client.post("/v1/score", params=params, content=request.model_dump_json(exclude_none=True))
        except httpx.HTTPError as exc:
            err.print(f"[red]cannot reach {self._client.base_url}:[/red] {exc}")
            raise typer.Exit(1) from None
        if response.status_code != 200:
            err.print(f"[red]{response.status_code} from the service:[/red] {response.text[:500]}")
            raise typer.Exit(1)
        return response.content

    def close(self) -> None:
        self._client.close()


def main() -> None:
    app()


@app.command()
def check(
    cases: Annotated[
        list[Path], typer.Argument(help="Golden case files or directories of *.jsonl (with --diff: two score outputs).")
    ],
    url: Annotated[str | None, typer.Option(help="Score against a running service instead of in-process.")] = None,
    junit: Annotated[Path | None, typer.Option(help="Also write a JUnit XML report here, for CI.")] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Compare two `rlvr score` outputs A B: what changed.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Items per request/batch.")] = DEFAULT_BATCH,
) -> None:
    """Check golden cases (items plus their expected reward); exit 1 on any mismatch."""
    from service.cli.check import run_check, run_diff

    if diff:
        if len(cases) != 2:
            err.print("[red]--diff takes exactly two files: A.jsonl B.jsonl[/red]")
            raise typer.Exit(2)
        run_diff(cases[0], cases[1])
    else:
        run_check(cases, url, junit, batch_size)


@app.command()
def explain(
    item: Annotated[str, typer.Argument(help="The item as JSON, a file holding it (or JSONL with --id), or '-'.")],
    url: Annotated[str | None, typer.Option(help="Ask a running service (?explain=true) instead.")] = None,
    rewards: Annotated[str | None, typer.Option(help="Rewards if the item names none, as JSON.")] = None,
    id: Annotated[str | None, typer.Option("--id", help="Which item of a JSONL file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
) -> None:
    """Score one item and print the full trace: extracted answer, comparison, deciding rule, details."""
    from service.cli.explain import run_explain

    run_explain(item, url, _parse_rewards(rewards), id, as_json)


@app.command("gym-items")
def gym_items(
    task: Annotated[str, typer.Argument(help="A reasoning-gym task (dataset) name, e.g. leg_counting.")],
    seed: Annotated[int, typer.Option(help="Seed of the procedural generator.")] = 0,
    size: Annotated[int, typer.Option(min=1, max=100_000, help="How many items.")] = 100,
    config: Annotated[str | None, typer.Option(help="More of the task's configuration, as JSON.")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")] = None,
) -> None:
    """Write reasoning-gym items (id, prompt, reference) as JSONL for the reasoning_gym verifier."""
    from rewards.reasoning_gym import BadEntry
    from rewards.reasoning_gym import gym_items as make_items

    try:
        extra = json.loads(config) if config else {}
        if not isinstance(extra, dict):
            raise BadEntry("--config must be a JSON object")
        items = make_items(task, seed, size, extra)
    except (ValueError, RuntimeError) as exc:  # BadEntry and json's errors are ValueErrors
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    if output is None:
        sys.stdout.write(lines)
    else:
        output.write_text(lines)
        err.print(f"{len(items)} {task} items (seed {seed}) written to {output}")
