"""The terminal report: a rich table of pairs, figures and verdicts, and a progress bar.

The progress bar is drawn on standard error and only when it is a terminal (and the user
did not ask for ``--quiet``), so piped output and logs never fill with control codes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from softlogit._report._data import ReportData, format_number

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["make_console", "print_report", "progress_bar"]

_STYLE = {
    "ok": "bold green",
    "warn": "bold yellow",
    "bad": "bold red",
    "info": "bold cyan",
}


def make_console(file: TextIO | None = None, *, width: int | None = None) -> Console:
    """A rich console writing to ``file`` (default: standard output).

    Colours and terminal codes are used only when ``file`` is a terminal.
    """
    from rich.console import Console

    stream = sys.stdout if file is None else file
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def print_report(data: ReportData, console: Console) -> None:
    """Print the networks, the verdict table and the answers to the seed's questions.

    Parameters
    ----------
    data : ReportData
        The experiment.
    console : rich.console.Console
        Where to print.
    """
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    console.print(Text(data.title, style="bold"))
    console.print(
        Text("  ".join(f"{k}: {v}" for k, v in data.settings[:6]), style="dim")
    )
    for name, message in sorted(data.diverged.items()):
        console.print(Text(f"network {name} diverged: {message}", style="bold red"))
    for note in data.notes:
        console.print(Text(f"note: {note}", style="yellow"))

    networks = Table(title="networks", title_justify="left", show_edge=False)
    networks.add_column("network", style="bold")
    networks.add_column("head")
    networks.add_column("final loss", justify="right")
    for name in data.networks:
        loss = data.losses.get(name)
        final = (
            format_number(float(loss[-1])) if loss is not None and loss.size else "-"
        )
        if name in data.diverged:
            final = "diverged"
        networks.add_row(name, data.descriptions.get(name, ""), final)
    console.print(networks)

    if data.pairs:
        columns: list[str] = []
        for pair in data.pairs:
            columns += [k for k in pair.final if k not in columns]
        table = Table(
            title=f"pairs (figures at step {int(data.steps[-1])})"
            if data.steps.size
            else "pairs",
            title_justify="left",
            show_edge=False,
        )
        table.add_column("pair", style="bold", no_wrap=True)
        table.add_column("verdict")
        table.add_column("theory", no_wrap=True)
        for column in columns:
            table.add_column(column, justify="right", no_wrap=True)
        for pair in data.pairs:
            text, cls = pair.badge
            table.add_row(
                pair.label,
                Text(text, style=_STYLE.get(cls, "")),
                pair.theorem,
                *(
                    format_number(pair.final[c]) if c in pair.final else "-"
                    for c in columns
                ),
            )
        console.print(table)

    for answer in data.answers:
        body = Text()
        body.append(answer.short + "\n", style="bold")
        body.append(answer.answer)
        console.print(
            Panel(body, title=Text(answer.question, style="italic"), title_align="left")
        )


@contextmanager
def progress_bar(
    total: int,
    *,
    enabled: bool,
    description: str = "training",
    file: TextIO | None = None,
) -> Iterator[Callable[[int], None]]:
    """A context manager yielding ``update(completed)`` for a progress bar.

    Parameters
    ----------
    total : int
        The number of units of work (training steps of all networks).
    enabled : bool
        False for ``--quiet``. The bar is also off when ``file`` is not a terminal.
    description : str, default="training"
        The label on the left of the bar.
    file : file-like, optional
        Where to draw (default: standard error).

    Yields
    ------
    callable
        ``update(completed)``, to be called with the number of units done so far; a
        no-op when the bar is off.

    Examples
    --------
    >>> import io
    >>> with progress_bar(10, enabled=True, file=io.StringIO()) as update:
    ...     update(5)  # not a terminal: nothing is drawn
    """
    stream = sys.stderr if file is None else file
    isatty = getattr(stream, "isatty", None)
    if not enabled or isatty is None or not isatty():

        def _noop(completed: int) -> None:
            return None

        yield _noop
        return

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=stream),
        transient=True,
    )
    with progress:
        task = progress.add_task(description, total=total)

        def _update(completed: int) -> None:
            progress.update(task, completed=completed)

        yield _update
