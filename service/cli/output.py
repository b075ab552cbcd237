"""Where the CLI writes: results and tables on stdout, messages and the progress bar on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

err = Console(stderr=True, soft_wrap=True)  # a message is one line, however narrow the terminal or log
MAX_REASON_CHARS = 240
PLAIN_WIDTH = 200


def stdout() -> Console:
    """A console for tables: the terminal's width, or (not a terminal: CI logs, files) a wide one."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=PLAIN_WIDTH)


def progress(total: int) -> Progress:
    """A transient progress bar on stderr, shown only on a terminal and for more than one item."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal or total < 2,
        transient=True,
    )


def shorten(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """``text`` cut in the middle to ``limit`` characters: the end of a reason often holds the verdict."""
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]} … {text[-half:]}"
