"""``rlvr check``: run golden case files (or diff two score runs) and report for humans and CI."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grpo.wire import ItemResult
from service.cli.batches import request_batches, score_batches
from service.cli.cases import Case, Mismatch, Outcome, case_files, compare, fmt, junit_xml, parse_cases, summarize
from service.cli.output import MAX_REASON_CHARS, err, print_wrapped, progress, shorten, stdout
from service.cli.rundiff import Change, diff_runs, read_results
from service.cli.runners import runner_for

INDENT = 4


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
    try:
        outcomes = score_cases(cases, url, batch_size)
    except typer.Exit as exc:  # the service cannot answer: the check could not run, which is not a mismatch
        raise typer.Exit(2 if exc.exit_code == 1 else exc.exit_code) from None
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
    """The mismatches case by case (if any), the per-verifier summary and a one-line verdict.

    A case's mismatches are one line each under the case, with the verdict's reason once;
    lines wrap between words at any width and never repeat a case or a reason.
    """
    failed = [o for o in outcomes if not o.passed]
    if failed:
        console.print(Text(f"Mismatches ({len(failed)} of {len(outcomes)} cases)", style="bold"))
        for o in failed:
            print_wrapped(console, f"✗ {Path(o.case.file).name}:{o.case.line} {o.case.id}", style="red")
            reasons: set[str] = set()
            for m in o.mismatches:
                line = mismatch_line(m)
                reason = shorten(m.reason)
                if reason and reason not in reasons and m.field not in ("reason", "case"):
                    line += f" ({reason})"
                    reasons.add(reason)
                print_wrapped(console, line, INDENT)
    summary = Table(title="Per verifier", title_justify="left")
    summary.add_column("verifier", overflow="fold")
    for col in ("cases", "passed", "failed"):
        summary.add_column(col, justify="right", no_wrap=True)
    for v in summarize(outcomes):
        summary.add_row(v.name, str(v.cases), str(v.passed), str(v.failed), style="red" if v.failed else None)
    console.print(summary)
    if failed:
        console.print(f"[red]FAILED[/red]: {len(failed)} of {len(outcomes)} cases did not match ({seconds:.1f}s)")
    else:
        console.print(f"[green]OK[/green]: all {len(outcomes)} cases match ({seconds:.1f}s)")


def mismatch_line(m: Mismatch) -> str:
    """What was checked, what was expected and what came back, e.g. ``t_len score: expected 7, got 2``."""
    if m.component == "(case)":
        return f"invalid case: {m.reason}"
    what = {"(reward)": "reward", "(item)": "status"}.get(m.component, f"{m.component} {m.field}")
    if m.field == "reason":
        return f"{what}: expected to contain {fmt(m.expected)!r}, got {fmt(m.got)!r}"
    if m.field == "component":
        return f"{m.component}: expected a component, none came back"
    return f"{what}: expected {fmt(m.expected)}, got {fmt(m.got)}"


def run_diff(a_path: Path, b_path: Path) -> None:
    """Print what changed between two ``rlvr score`` outputs; exit 1 when they differ."""
    try:
        diff = diff_runs(read_results(a_path), read_results(b_path))
    except (OSError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console = stdout()
    if diff.changes:
        console.print(Text(f"Changes from {a_path.name} to {b_path.name}", style="bold"))
        by_item: dict[str, list[Change]] = {}
        for c in diff.changes:
            by_item.setdefault(c.id, []).append(c)
        for item, changes in by_item.items():
            print_wrapped(console, f"~ {item}", style="yellow")
            reasons: set[str] = set()
            for c in changes:
                what = {"(reward)": "reward", "(item)": "status"}.get(c.component, f"{c.component} {c.field}")
                line = f"{what}: {fmt(c.before)} → {fmt(c.after)}"
                why = shorten(c.why, MAX_REASON_CHARS * 2)
                if why and not any(why in seen for seen in reasons):
                    line += f" ({why})"
                    reasons.add(why)
                print_wrapped(console, line, INDENT)
    for label, keys in (("only in A", diff.only_a), ("only in B", diff.only_b)):
        if keys:
            console.print(f"{len(keys)} items {label}: {', '.join(keys[:20])}{' …' if len(keys) > 20 else ''}")
    console.print(
        f"{diff.compared} items compared, {diff.changed_items} changed; "
        f"mean reward {fmt(diff.mean_a)} → {fmt(diff.mean_b)}"
    )
    if not diff.identical:
        raise typer.Exit(1)
