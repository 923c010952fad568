"""Which exceptions the command line reports as a problem with the input.

softlogit raises its own exceptions (:mod:`softlogit.errors`) on purpose, for bad
input, and the file operations raise the OS errors below for missing, existing or
unreadable files; :func:`softlogit._cli.main` prints those as ``error: <message>`` and
exits with code 2 (:class:`~softlogit.errors.CLIError` with its own code; a failed
run such as :class:`~softlogit.errors.WorkersLostError` or
:class:`~softlogit.errors.SchedulerLostError`, code 1). Any other
exception is a bug, not a problem with the input: the command shows the traceback and
asks for a report (:func:`report_bug`), exit code 1.
"""

from __future__ import annotations

import sys
import traceback
from typing import TextIO

from softlogit.errors import SchedulerLostError, SoftlogitError, WorkersLostError

__all__ = ["ENVIRONMENT_ERRORS", "RUN_FAILURES", "USER_ERRORS", "report_bug"]

#: reported as ``error: <message>``, exit code 2
USER_ERRORS: tuple[type[BaseException], ...] = (
    SoftlogitError,
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)

#: other failures of the machine (a full disk, a closed pipe): ``error: <message>``,
#: exit code 1
ENVIRONMENT_ERRORS: tuple[type[BaseException], ...] = (OSError,)

#: softlogit's own errors that report a failed run, not bad input (a Dask cluster
#: that lost its workers or its scheduler): ``error: <message>``, exit code 1
RUN_FAILURES: tuple[type[BaseException], ...] = (WorkersLostError, SchedulerLostError)


def report_bug(exc: BaseException, file: TextIO | None = None) -> None:
    """Print the traceback of ``exc`` and a one-line request to report it.

    Examples
    --------
    >>> import io
    >>> err = io.StringIO()
    >>> try:
    ...     {}["missing"]
    ... except KeyError as exc:
    ...     report_bug(exc, err)
    >>> print(err.getvalue().splitlines()[-1])  # doctest: +ELLIPSIS
    error: internal error in softlogit ... (KeyError), not a problem with your input; please report it with the traceback above.
    """
    from softlogit._version import version

    stream = sys.stderr if file is None else file
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=stream)
    stream.write(
        f"error: internal error in softlogit {version()} ({type(exc).__name__}), "
        "not a problem with your input; please report it with the traceback above.\n"
    )
