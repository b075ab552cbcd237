"""The ``rlvr`` commands and their options; each command's work lives in its own module of this package."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from service.cli.output import err
from service.settings import DEFAULT_HOST, DEFAULT_PORT

app = typer.Typer(
    help="rlvr: verifiable rewards for RL on reasoning models.", no_args_is_help=True, pretty_exceptions_enable=False
)
DEFAULT_BATCH = 512


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
    from service.cli.runners import load_settings
    from service.http_guard import guarded_protocol, http_limits
    from service.logs import configure_logging

    overrides: dict[str, Any] = {"host": host, "port": port, "log_level": log_level}
    if workers is not None:
        overrides["workers"] = workers
    if backend is not None:
        overrides["sandbox_backend"] = backend
    settings = load_settings(**overrides)
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
    """Score a JSONL file; each output line is that item's result exactly as the HTTP API returns it.

    In-process scoring uses the RLVR_* settings as `rlvr serve` would (sandbox backend included).

    Exit codes:
    0 scored (per-item problems are in the results);
    1 the service cannot answer (unreachable, busy, 5xx);
    2 bad input: a malformed --rewards or one naming an unknown verifier,
    no reward named at all, or a request the service refuses (4xx).
    """
    from service.cli.score import parse_rewards, run_score

    run_score(input, output, url, parse_rewards(rewards), batch_size)


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
    """Check golden cases (items plus their expected reward); exit 1 on any mismatch.

    Case format: docs/golden-cases.md.

    Exit codes:
    0 every case matches;
    1 a case did not match (or is malformed);
    2 it could not run (no case files, an unreadable file, a --url that cannot answer).

    With --diff A B:
    0 the two runs are identical;
    1 a reward, status or component changed, or an item is only in one run;
    2 a file cannot be read or is not `rlvr score` output.
    """
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
    from service.cli.score import parse_rewards

    run_explain(item, url, parse_rewards(rewards), id, as_json)


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


def main() -> None:
    """``python -m service``: the same as the ``rlvr`` console script."""
    app()
