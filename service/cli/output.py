"""Where the CLI writes: results and tables on stdout, messages and the progress bar on stderr."""

from __future__ import annotations

import os
import textwrap

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

err = Console(stderr=True, soft_wrap=True)  # a message is one line, however narrow the terminal or log
MAX_REASON_CHARS = 240
PLAIN_WIDTH = 200


def stdout() -> Console:
    """A console for reports: the terminal's width, else $COLUMNS, else (CI logs, files) a wide one."""
    probe = Console()
    return probe if probe.is_terminal or os.environ.get("COLUMNS", "").isdigit() else Console(width=PLAIN_WIDTH)


def print_wrapped(console: Console, text: str, indent: int = 0, style: str | None = None) -> None:
    """``text`` wrapped between words to the console's width, continuation lines indented two more.

    Words longer than a line are kept whole (the terminal folds them), so nothing is cut mid-word.
    """
    lines = textwrap.wrap(
        text,
        width=max(console.width, 20),
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + 2),
        break_long_words=False,
        break_on_hyphens=False,
    )
    for line in lines or [""]:
        console.print(Text(line, style=style or ""), soft_wrap=True)


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
