"""The progress bar of a sweep: cells done, cells per second and the time left.

Drawn on standard error and only when it is a terminal, as the experiment's bar
(:func:`softlogit._report._terminal.progress_bar`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["sweep_progress_bar"]


@contextmanager
def sweep_progress_bar(
    *, enabled: bool, seeds: int, file: TextIO | None = None
) -> Iterator[Callable[[int, int], None]]:
    """A context manager yielding ``update(rows_done, rows_total)``.

    A row is a cell at one seed; the bar counts cells (``rows / seeds``), their
    rate since the start and the estimated time left.

    Examples
    --------
    >>> import io
    >>> with sweep_progress_bar(enabled=True, seeds=3, file=io.StringIO()) as update:
    ...     update(3, 12)  # not a terminal: nothing is drawn
    """
    stream = sys.stderr if file is None else file
    isatty = getattr(stream, "isatty", None)
    if not enabled or isatty is None or not isatty():

        def _noop(done: int, total: int) -> None:
            return None

        yield _noop
        return

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[cells]}"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    )
    start = time.perf_counter()
    first: list[int] = []
    with progress:
        task = progress.add_task("sweep", total=None, cells="", rate="")

        def _update(done: int, total: int) -> None:
            if not first:
                first.append(done)  # rows found in the store: not timed
            elapsed = max(time.perf_counter() - start, 1e-9)
            rate = (done - first[0]) / seeds / elapsed
            progress.update(
                task,
                completed=done,
                total=total,
                cells=f"{done / seeds:.0f}/{total / seeds:.0f} cells",
                rate=f"{rate:.2f} cells/s",
            )

        yield _update
