"""Writing a report directory, and the derivation it includes.

A report directory holds::

    report.html      the self-contained page (plots inline, derivation included)
    result.json      every figure, machine-readable (see softlogit._report._json)
    loss.png/.svg, differences.png/.svg, head.png/.svg, conserved.png/.svg
    data/            the experiment result (ExperimentResult.save: JSON + NPZ)
    .softlogit-report  marker: a later run may replace this directory

The directory is built in a temporary sibling and moved into place only when complete
(:func:`softlogit._io.atomic_directory`), so an interrupted or failed run leaves the
previous report untouched. The command line's ``softlogit compare`` runs the
experiment and calls :func:`write_report` (:mod:`softlogit._cli._pipeline`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softlogit._io import atomic_directory
from softlogit._report._data import ReportData
from softlogit._report._json import dumps

if TYPE_CHECKING:
    from softlogit.experiment import ExperimentResult

__all__ = [
    "DerivationInBackground",
    "derivation_fragment",
    "write_report",
]


# n_classes -> fragment; the derivation depends only on K (and the code)
_DERIVATIONS: dict[int, str] = {}

_WORKER = (
    "import sys\n"
    "from softlogit._report._write import derivation_fragment\n"
    "fragment = derivation_fragment(int(sys.argv[1]))\n"
    "sys.stdout.buffer.write((fragment or '').encode('utf-8'))\n"
)


def derivation_fragment(n_classes: int) -> str | None:
    """The derivation as an HTML ``<section id="derivation">`` with step anchors.

    Every step is an element with ``id="step-<id>"``; verdicts link there. The checks
    are cached on disk (``softlogit derive --recheck`` renews them), the fragment per
    process. Returns None when the derivation cannot be built (SymPy
    missing); the report then names the theorems without linking to them.
    """
    if n_classes in _DERIVATIONS:
        return _DERIVATIONS[n_classes]
    try:
        from softlogit._derivation import derivation
        from softlogit._derivation._cache import checked
        from softlogit._derivation._html import derivation_html_section
    except ImportError:
        return None
    steps = derivation(n_classes)
    checks, _ = checked(steps)
    fragment = derivation_html_section(
        steps, checks, heading="The derivation, every step checked by SymPy"
    )
    _DERIVATIONS[n_classes] = fragment
    return fragment


class DerivationInBackground:
    """Check and render the derivation in a child process while the networks train.

    SymPy's checks take seconds of pure-Python work that holds the interpreter lock;
    a child process does them on another core. :meth:`result` falls back to computing
    in this process if the child fails or guessed the wrong number of classes.
    """

    def __init__(self, n_classes: int | None) -> None:
        self.n_classes = n_classes
        self._proc: subprocess.Popen[bytes] | None = None
        if n_classes is None or n_classes in _DERIVATIONS:
            return
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(n_classes)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._proc = None

    def result(self, n_classes: int) -> str | None:
        """The fragment for ``n_classes`` classes."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                out, _ = proc.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
            else:
                if proc.returncode == 0 and out and self.n_classes is not None:
                    _DERIVATIONS[self.n_classes] = out.decode("utf-8")
        return derivation_fragment(n_classes)

    def close(self) -> None:
        """Stop the child process if it is still running."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate()


def write_report(
    out: Path,
    data: ReportData,
    doc: Mapping[str, Any],
    *,
    result: ExperimentResult | None = None,
    command: str | None = None,
    force: bool = False,
    marker: str = ".softlogit-report",
    derivation: str | None = None,
    version: str = "",
) -> Path:
    """Write the report directory ``out`` atomically.

    Parameters
    ----------
    out : Path
        The directory to create or replace.
    data : ReportData
        What the reports show.
    doc : mapping
        The ``result.json`` document.
    result : ExperimentResult, optional
        Saved under ``data/`` with its own ``save``.
    command : str, optional
        The command line, shown in the page.
    force : bool, default=False
        Replace ``out`` even if it is not an earlier report (one holding ``marker``).
    marker : str
        Name of the marker file.
    derivation : str, optional
        HTML fragment of the derivation.
    version : str
        softlogit's version.

    Returns
    -------
    Path
        The path of ``report.html``.

    Raises
    ------
    FileExistsError
        If ``out`` exists, is not an earlier report and ``force`` is false.
    """
    from softlogit._report._html import render_html
    from softlogit._report._plots import (
        figure_png,
        figure_svg,
        make_figures,
        prefix_svg_ids,
    )

    with atomic_directory(out, force=force, marker=marker, name="--out") as tmp:
        pool = ThreadPoolExecutor(max_workers=1)
        saved: Future[Any] | None = None
        try:
            # the saved result is compressed by zlib, which releases the interpreter
            # lock: it runs on another core while the figures are drawn
            saved = (
                pool.submit(result.save, tmp / "data") if result is not None else None
            )
            figures = make_figures(data)
            svgs: dict[str, str] = {}
            for stem, fig in figures.items():
                svg = figure_svg(fig)
                (tmp / f"{stem}.svg").write_text(svg, encoding="utf-8")
                # inline copies get figure-specific ids: ids are unique in the page
                svgs[stem] = prefix_svg_ids(svg, f"{stem}-")
                (tmp / f"{stem}.png").write_bytes(figure_png(fig))
            page = render_html(data, svgs, derivation, command=command, version=version)
            (tmp / "report.html").write_text(page, encoding="utf-8")
            (tmp / "result.json").write_text(dumps(doc), encoding="utf-8")
            if saved is not None:
                saved.result()  # re-raises an error of the save
        finally:
            if saved is not None:
                _wait_through_signals(saved)
            pool.shutdown(wait=False)  # its task is done: the thread ends by itself
    return out / "report.html"


def _wait_through_signals(task: Future[Any]) -> None:
    """Wait for ``task`` to end, even when a signal interrupts the wait.

    The task writes into the temporary directory that is removed next on failure:
    removing it under a running writer would leave files behind. A signal that
    interrupts the wait is raised once the task has ended. (A thread's ``join``
    cannot be retried this way: interrupted, it takes the thread for ended.)
    """
    interrupted: BaseException | None = None
    while True:
        try:
            wait([task])
            break
        except BaseException as exc:  # KeyboardInterrupt, Terminated: wait on
            interrupted = interrupted or exc
    if interrupted is not None:
        raise interrupted
