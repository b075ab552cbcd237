"""``rlvr check``: run golden case files (or diff two score runs) and report for humans and CI."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from grpo.wire import ItemResult, ScoreRequest
from service.cli.cases import Case, Outcome, case_files, compare, fmt, junit_xml, parse_cases, summarize
from service.cli.commands import _HttpRunner, _LocalRunner, _progress, err
from service.cli.rundiff import diff_runs, read_results

MAX_REASON_CHARS = 240


def stdout() -> Console:
    """A console for tables; wide when not a terminal so CI logs keep one row per line."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=200)


def shorten(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """``text`` cut in the middle to ``limit`` characters: the end of a reason often holds the verdict."""
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]} … {text[-half:]}"


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
    """Each case compared with its result, in file order; invalid cases are not sent."""
    runner = _HttpRunner(url) if url else _LocalRunner()
    results: dict[int, ItemResult] = {}
    batches = _batches(cases, batch_size)
    try:
        with _progress(sum(map(len, batches))) as progress:
            task = progress.add_task("checking", total=sum(map(len, batches)))
            for batch in batches:
                request = ScoreRequest(items=[item for n in batch if (item := cases[n].item) is not None])
                for n, result in zip(batch, runner.score(request).results, strict=True):
                    results[n] = result
                progress.advance(task, len(batch))
    finally:
        runner.close()
    return [compare(c, results.get(n)) for n, c in enumerate(cases)]


def _batches(cases: list[Case], batch_size: int) -> list[list[int]]:
    """Indexes of valid cases in requests of about ``batch_size``; one file per request, groups never split.

    Group verifiers (length_penalty…) see the items of one group in one request, so a
    group's cases stay together, and a group id in one file never meets its namesake in another.
    """
    units: dict[tuple[str, str], list[int]] = {}
    for n, c in enumerate(cases):
        if c.item is not None:
            key = (c.file, f"group:{c.item.group}" if c.item.group is not None else f"line:{n}")
            units.setdefault(key, []).append(n)
    batches: list[list[int]] = []
    last_file = None
    for (file, _), members in units.items():
        if not batches or file != last_file or len(batches[-1]) + len(members) > batch_size:
            batches.append([])
        batches[-1].extend(members)
        last_file = file
    return batches


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
