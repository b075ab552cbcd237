"""``rlvr check``: run golden case files (or diff two score runs) and report for humans and CI."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from grpo.wire import ItemResult
from service.cli.batches import request_batches, score_batches
from service.cli.cases import Case, Outcome, case_files, compare, fmt, junit_xml, parse_cases, summarize
from service.cli.output import MAX_REASON_CHARS, err, progress, shorten, stdout
from service.cli.rundiff import diff_runs, read_results
from service.cli.runners import runner_for


def run_check(paths: list[Path], url: str | None, junit: Path | None, batch_size: int) -> None:
    """Score every case, print mismatches and the per-verifier summary, exit 1 on any mismatch."""
    files = case_files(paths)
    if not files:
        err.print(f"[red]no case files in {', '.join(map(str, paths))}[/red]")
        raise typer.Exit(2)
    try:
        cases = [c for f in files for c in parse_cases(f)]
    except OSError as exc:
        err.print(f"[red]cannot read {exc.filename}:[/red] {exc.strerror}")
        raise typer.Exit(2) from None
    started = time.perf_counter()
    outcomes = score_cases(cases, url, batch_size)
    seconds = time.perf_counter() - started
    print_report(stdout(), outcomes, seconds)
    if junit is not None:
        junit_xml(outcomes, seconds).write(junit, encoding="utf-8", xml_declaration=True)
    if not all(o.passed for o in outcomes):
        raise typer.Exit(1)


def score_cases(cases: list[Case], url: str | None, batch_size: int) -> list[Outcome]:
    """Each case compared with its result, in file order; invalid cases are not sent.

    One file per request and a group's cases in one request (group verifiers see the whole group).
    """
    return asyncio.run(_score_cases(cases, url, batch_size))


async def _score_cases(cases: list[Case], url: str | None, batch_size: int) -> list[Outcome]:
    items = [c.item for c in cases]
    batches = request_batches(items, batch_size, files=[c.file for c in cases])
    results: dict[int, ItemResult] = {}
    async with runner_for(url) as runner:
        total = sum(map(len, batches))
        with progress(total) as bar:
            task = bar.add_task("checking", total=total)
            async for scored in score_batches(runner, items, batches, None, lambda n: bar.advance(task, n)):
                results.update(scored)
    return [compare(c, results.get(n)) for n, c in enumerate(cases)]


def print_report(console: Console, outcomes: list[Outcome], seconds: float) -> None:
    """The mismatch table (if any), the per-verifier summary and a one-line verdict."""
    failed = [o for o in outcomes if not o.passed]
    if failed:
        table = Table(title="Mismatches", title_justify="left", show_lines=False)
        for col in ("case", "item", "component", "field", "expected", "got", "reason"):
            table.add_column(col, overflow="fold")
        for o in failed:
            for m in o.mismatches:
                reason = shorten(m.reason)
                table.add_row(
                    f"{Path(o.case.file).name}:{o.case.line}",
                    o.case.id,
                    m.component,
                    m.field,
                    fmt(m.expected),
                    fmt(m.got),
                    reason,
                    style="red",
                )
        console.print(table)
    summary = Table(title="Per verifier", title_justify="left")
    for col in ("verifier", "cases", "passed", "failed"):
        summary.add_column(col, justify="left" if col == "verifier" else "right")
    for s in summarize(outcomes):
        summary.add_row(s.name, str(s.cases), str(s.passed), str(s.failed), style="red" if s.failed else None)
    console.print(summary)
    if failed:
        console.print(f"[red]FAILED[/red]: {len(failed)} of {len(outcomes)} cases did not match ({seconds:.1f}s)")
    else:
        console.print(f"[green]OK[/green]: all {len(outcomes)} cases match ({seconds:.1f}s)")


def run_diff(a_path: Path, b_path: Path) -> None:
    """Print what changed between two ``rlvr score`` outputs; exit 1 when they differ."""
    try:
        diff = diff_runs(read_results(a_path), read_results(b_path))
    except (OSError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console = stdout()
    if diff.changes:
        table = Table(title=f"Changes from {a_path.name} to {b_path.name}", title_justify="left")
        for col in ("item", "component", "field", "before", "after", "why"):
            table.add_column(col, overflow="fold")
        for c in diff.changes:
            table.add_row(c.id, c.component, c.field, fmt(c.before), fmt(c.after), shorten(c.why, MAX_REASON_CHARS * 2))
        console.print(table)
    for label, keys in (("only in A", diff.only_a), ("only in B", diff.only_b)):
        if keys:
            console.print(f"{len(keys)} items {label}: {', '.join(keys[:20])}{' …' if len(keys) > 20 else ''}")
    console.print(
        f"{diff.compared} items compared, {diff.changed_items} changed; "
        f"mean reward {fmt(diff.mean_a)} → {fmt(diff.mean_b)}"
    )
    if not diff.identical:
        raise typer.Exit(1)
