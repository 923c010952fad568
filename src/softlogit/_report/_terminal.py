"""The terminal report: a rich table of pairs, figures and verdicts, and a progress bar.

The progress bar is drawn on standard error and only when it is a terminal (and the user
did not ask for ``--quiet``), so piped output and logs never fill with control codes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from softlogit._report._data import ReportData, Term, format_number

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID
    from rich.table import Table

__all__ = [
    "make_console",
    "print_report",
    "progress_bar",
    "status",
    "used_terms",
]

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


def _key_value_grid(rows: Iterable[tuple[str, str]], key_style: str) -> Table:
    """Two borderless columns: the keys in ``key_style`` (never wrapped), the values."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=key_style, no_wrap=True)
    grid.add_column()
    for key, value in rows:
        grid.add_row(Text(key), Text(value))
    return grid


def print_report(data: ReportData, console: Console) -> None:
    """Print the networks, the verdict table and the answers to the seed's questions.

    Every string is printed as a :class:`rich.text.Text`, never parsed as markup:
    names from the data (a CSV path, a label ``[/]``) print as written.

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
    console.print(_key_value_grid(data.settings, "dim"))
    for name, message in sorted(data.diverged.items()):
        console.print(Text(f"network {name} diverged: {message}", style="bold red"))
    for note in data.notes:
        console.print(Text(f"note: {note}", style="yellow"))

    networks = Table(title="networks", title_justify="left", show_edge=False)
    networks.add_column("network", style="bold")
    networks.add_column("head")
    networks.add_column("final loss", justify="right")
    networks.add_column("test loss", justify="right")
    networks.add_column("test acc.", justify="right")
    for name in data.networks:
        loss = data.losses.get(name)
        final = (
            format_number(float(loss[-1])) if loss is not None and loss.size else "-"
        )
        if name in data.diverged:
            final = "diverged"
        networks.add_row(
            Text(name),
            Text(data.descriptions.get(name, "")),
            final,
            *_test(data, name),
        )
    console.print(networks)

    if data.pairs:
        columns: list[str] = []
        for pair in data.pairs:
            columns += [k for k in pair.final if k not in columns]
        # a terminal is narrow: the first three figures (the page has them all), or
        # on 80 columns the second and third (head and probabilities)
        if console.width >= 96 or len(columns) <= 2:
            columns = columns[:3]
        else:
            columns = columns[1:3]
        table = Table(
            title=f"pairs (figures at step {int(data.steps[-1])})"
            if data.steps.size
            else "pairs",
            title_justify="left",
            show_edge=False,
        )
        table.add_column("pair", style="bold", no_wrap=True, min_width=7)
        table.add_column("verdict", ratio=1, min_width=12)
        table.add_column("theory", no_wrap=True)
        for column in columns:
            table.add_column(Text(column), justify="right", min_width=7)
        for pair in data.pairs:
            text, cls = pair.badge
            mark = {True: " ✓", False: " ✗", None: ""}[pair.agrees]
            table.add_row(
                Text(pair.label),
                Text(text, style=_STYLE.get(cls, "")),
                Text(pair.theorem + mark),
                *(
                    format_number(pair.final[c]) if c in pair.final else "-"
                    for c in columns
                ),
            )
        console.print(table)
        legend = [(t.label, t.text) for t in used_terms(data)]
        legend.append(("✓", "the verdict the theory predicts"))
        console.print(_key_value_grid(legend, "dim bold"))
    facts = list(data.facts)
    if data.time_text:
        facts.append(("time", data.time_text))
    if facts:
        console.print(_key_value_grid(facts, "bold"))

    for answer in data.answers:
        body = Text()
        body.append(answer.headline, style="bold")
        if answer.explanation:
            body.append("\n\n" + answer.explanation)
        console.print(
            Panel(body, title=Text(answer.question, style="italic"), title_align="left")
        )


_LABEL = re.compile(r"\bT[1-8]\b")


def used_terms(data: ReportData) -> list[Term]:
    """The glossary entries whose labels the report's rows, figures or answers use.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit._report._data import PairReport, ReportData
    >>> from softlogit._report._adapter import glossary
    >>> from softlogit.experiment import Verdict
    >>> pairs = (PairReport("0", "2", Verdict.IDENTICAL, theorem="T4"),)
    >>> data = ReportData(
    ...     title="demo", settings=(), steps=np.arange(2.0), networks=("0", "2"),
    ...     descriptions={}, losses={}, head={}, head_labels=(), conserved={},
    ...     pairs=pairs, answers=(), facts=(("T3, network 0", "conserved"),),
    ...     glossary=glossary(list(pairs)))
    >>> [t.label for t in used_terms(data)]
    ['T3', 'T4']
    """
    texts = [p.theorem for p in data.pairs] + [k for k, _ in data.facts]
    texts += [f"{a.headline} {a.explanation}" for a in data.answers]
    used = {m for text in texts for m in _LABEL.findall(text)}
    used |= {p.theorem for p in data.pairs}
    return [t for t in data.glossary if t.label in used]


def _test(data: ReportData, name: str) -> tuple[str, str]:
    """A network's final test loss and accuracy, as table cells."""
    loss = data.test_losses.get(name)
    acc = data.test_accuracy.get(name)
    return (
        "-" if loss is None else format_number(loss),
        "-" if acc is None else f"{acc:.3f}",
    )


@contextmanager
def progress_bar(
    *,
    enabled: bool,
    file: TextIO | None = None,
    networks: int | None = None,
) -> Iterator[Callable[[str, int, int], None]]:
    """A context manager yielding ``update(network, step, total_steps)``.

    The engines call ``update`` at recorded steps while they train one network after
    the other; the bar shows the network being trained, its steps and the time left
    (ETA), and with ``networks`` a first row for the whole training and its ETA.

    Parameters
    ----------
    enabled : bool
        False for ``--quiet``. The bar is also off when ``file`` is not a terminal.
    file : file-like, optional
        Where to draw (default: standard error).
    networks : int, optional
        How many networks will be trained, if known: adds the row of the whole run.

    Yields
    ------
    callable
        ``update(network, step, total_steps)``; a no-op when the bar is off.

    Examples
    --------
    >>> import io
    >>> with progress_bar(enabled=True, file=io.StringIO()) as update:
    ...     update("0", 5, 10)  # not a terminal: nothing is drawn
    """
    stream = sys.stderr if file is None else file
    isatty = getattr(stream, "isatty", None)
    if not enabled or isatty is None or not isatty():

        def _noop(network: str, step: int, total: int) -> None:
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
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    )
    tasks: dict[str, TaskID] = {}
    done: dict[str, int] = {}
    with progress:
        overall = (
            progress.add_task(f"training {networks} networks", total=None)
            if networks
            else None
        )

        def _update(network: str, step: int, total: int) -> None:
            task = tasks.get(network)
            if task is None:
                task = progress.add_task(f"training network {network}", total=total)
                tasks[network] = task
            progress.update(task, completed=step, total=total)
            if overall is not None and networks:
                done[network] = step
                progress.update(
                    overall, completed=sum(done.values()), total=networks * total
                )

        yield _update


@contextmanager
def status(
    message: str, *, enabled: bool, file: TextIO | None = None
) -> Iterator[None]:
    """A spinner with ``message`` while a block runs; off unless ``file`` is a terminal.

    Examples
    --------
    >>> import io
    >>> with status("writing the report", enabled=True, file=io.StringIO()):
    ...     pass
    """
    stream = sys.stderr if file is None else file
    isatty = getattr(stream, "isatty", None)
    if not enabled or isatty is None or not isatty():
        yield
        return
    from rich.console import Console

    with Console(file=stream).status(message):
        yield
