"""The pipeline of ``softlogit compare``: run the experiment, print and write the report.

The experiment decides everything (verdicts, answers); the report package renders it
and writes the directory; this module runs them in order, shows the progress, and
turns softlogit's own errors about the spec or the data into :class:`CLIError`\\ s
that name the command-line flags.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from softlogit._cli._names import to_cli_names
from softlogit.errors import CLIError, SoftlogitError

if TYPE_CHECKING:
    from softlogit._report._data import ReportData
    from softlogit.experiment import ExperimentResult, ExperimentSpec

__all__ = ["run_and_report"]


def _expected_classes(spec: ExperimentSpec) -> int | None:
    """The number of classes of the spec's data, when it is known without loading."""
    from softlogit.experiment._memory import known_shape

    shape = known_shape(spec.data)
    return None if shape is None else shape[2]


def _train(
    spec: ExperimentSpec, engine: str, quiet: bool, err: TextIO
) -> ExperimentResult:
    """Train and compare, with a progress bar; softlogit's errors name the flags."""
    from softlogit._report._terminal import progress_bar
    from softlogit.experiment import run_experiment

    n_classes = _expected_classes(spec)
    try:
        networks = (
            len(spec.resolved_networks(n_classes)) if n_classes is not None else None
        )
    except SoftlogitError:
        networks = None  # run_experiment says what is wrong, naming the flags
    with progress_bar(enabled=not quiet, file=err, networks=networks) as update:
        try:
            return run_experiment(spec, engine=engine, progress=update)
        except SoftlogitError as exc:
            raise CLIError(to_cli_names(str(exc))) from None


def _with_phase(data: ReportData, label: str, since: float) -> ReportData:
    """``data`` with one more phase: the wall-clock time from ``since`` to now."""
    phase = (label, time.perf_counter() - since)
    return dataclasses.replace(data, phases=(*data.phases, phase))


def run_and_report(
    spec: ExperimentSpec,
    *,
    engine: str = "numpy",
    out: Path | None,
    force: bool = False,
    as_json: bool = False,
    quiet: bool = False,
    command: str | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    marker: str = ".softlogit-report",
) -> int:
    """Run an experiment, print its report and write the report directory.

    Parameters
    ----------
    spec : ExperimentSpec
        The experiment.
    engine : str, default="numpy"
        The engine that trains the networks.
    out : Path or None
        The report directory, or None to write nothing.
    force : bool, default=False
        Replace ``out`` even if it is not an earlier report.
    as_json : bool, default=False
        Print the JSON document on ``stdout`` instead of the table.
    quiet : bool, default=False
        No progress bar and no table.
    command : str, optional
        The command line, recorded in the page.
    stdout, stderr : file-like, optional
        Where to print (default: the process's streams).
    marker : str
        Marker file of a report directory.

    Returns
    -------
    int
        The exit code: 0.

    Raises
    ------
    CLIError
        For a spec the data cannot satisfy or bad data (the message names the
        option, as a flag).
    OSError
        If the report directory cannot be written (``FileExistsError`` if ``out``
        exists, is not an earlier report and ``force`` is false).
    """
    from softlogit._report._adapter import report_data
    from softlogit._report._json import dumps, report_json
    from softlogit._report._terminal import make_console, print_report, status
    from softlogit._report._write import DerivationInBackground, write_report
    from softlogit._version import version

    started = time.perf_counter()
    out_stream = sys.stdout if stdout is None else stdout
    err_stream = sys.stderr if stderr is None else stderr
    # the derivation is checked in a child process while the networks train
    background = DerivationInBackground(
        _expected_classes(spec) if out is not None else None
    )
    derivation: str | None = None
    try:
        result = _train(spec, engine, quiet, err_stream)
        data = report_data(result)
        if out is not None:
            waited = time.perf_counter()
            with status("checking the derivation", enabled=not quiet, file=err_stream):
                derivation = background.result(result.data.n_classes)
            # the time the run waited for the check (it ran during the training)
            data = _with_phase(data, "derivation check", waited)
    finally:
        background.close()
    doc = {**result.to_json_dict(), "report": report_json(data)}
    written: Path | None = None
    if out is not None:
        writing = time.perf_counter()
        with status(f"writing {out}", enabled=not quiet, file=err_stream):
            written = write_report(
                out,
                data,
                doc,
                result=result,
                command=command,
                force=force,
                marker=marker,
                derivation=derivation,
                version=version(),
            )
        data = _with_phase(data, "report", writing)
    data = _with_phase(data, "total", started)
    if as_json:
        out_stream.write(dumps(doc))
    elif not quiet:
        from rich.text import Text

        console = make_console(out_stream)
        print_report(data, console)
        if written is not None:
            console.print(Text(f"report: {written}"))
    return 0
