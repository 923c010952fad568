"""Exceptions of softlogit, in one place.

Every exception softlogit raises on purpose derives from :class:`SoftlogitError`, so
that a caller (the command-line interface first of all) can tell a reported problem
with the input from a programming error: bad values and shapes raise
:class:`InputValueError` (a ``ValueError``), bad types :class:`InputTypeError` (a
``TypeError``), so code written against NumPy's and scikit-learn's conventions keeps
catching them as ``ValueError`` and ``TypeError``. Each message names the argument,
what was expected and what was received.

The public classes report themselves as ``softlogit.<Name>`` (their ``__module__``
is ``"softlogit"``, where they are exported), so tracebacks read
``softlogit.SeparationError: ...``. :class:`CLIError` is the command line's own and
stays here.
"""

from __future__ import annotations

__all__ = [
    "CLIError",
    "InputTypeError",
    "InputValueError",
    "MissingExtraError",
    "SchedulerConnectionError",
    "SchedulerLostError",
    "SeparationError",
    "SoftlogitError",
    "WorkersLostError",
]


class SoftlogitError(Exception):
    """Base class of the exceptions softlogit raises on purpose."""


class InputValueError(SoftlogitError, ValueError):
    """An argument has a bad value or shape (a ``ValueError``).

    Examples
    --------
    >>> import softlogit as sl
    >>> issubclass(sl.InputValueError, ValueError), sl.InputValueError.__module__
    (True, 'softlogit')
    """


class InputTypeError(SoftlogitError, TypeError):
    """An argument has a bad type (a ``TypeError``)."""


class SeparationError(InputValueError):
    """The data are (quasi-)separated: the unpenalized MLE does not exist.

    Raised by :func:`~softlogit.check_separation` and by unpenalized fits
    (``C=np.inf``). The remedy is a penalized fit (a finite ``C``), or removing the
    separating feature.

    Attributes
    ----------
    kind : {"complete", "quasi-complete"}
        Complete separation: a direction classifies every sample strictly correctly.
        Quasi-complete: every sample is on the correct side or on the boundary.
    classes : tuple of int
        Encoded labels of the classes whose probabilities can be driven to 0 or 1.
    """

    def __init__(self, message: str, *, kind: str, classes: tuple[int, ...]) -> None:
        super().__init__(message)
        self.kind = kind
        self.classes = classes

    def __reduce__(self) -> tuple[object, ...]:
        return _make_separation_error, (str(self), self.kind, self.classes)


def _make_separation_error(
    message: str, kind: str, classes: tuple[int, ...]
) -> SeparationError:
    return SeparationError(message, kind=kind, classes=classes)


class MissingExtraError(SoftlogitError, ImportError):
    """An optional dependency is missing; the message names the ``pip install``."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"this feature needs {package}; install it with "
            f"`pip install 'softlogit[{extra}]'`."
        )


class SchedulerConnectionError(SoftlogitError, ConnectionError):
    """A Dask scheduler could not be reached within the time allowed.

    Raised by ``softlogit fit --scheduler ADDRESS`` (and ``predict``) when nothing
    answers at ``ADDRESS`` within ``--connect-timeout`` seconds.

    Attributes
    ----------
    address : str
    timeout : float
        Seconds waited.
    """

    def __init__(self, address: str, timeout: float, reason: str) -> None:
        super().__init__(
            f"could not reach the Dask scheduler at {address!r} within {timeout:g} s "
            f"({reason}); check that the scheduler runs and that its address and "
            "port are right, or allow more time."
        )
        self.address = address
        self.timeout = timeout
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return SchedulerConnectionError, (self.address, self.timeout, self.reason)


class SchedulerLostError(SoftlogitError, RuntimeError):
    """A computation on a Dask cluster lost its connection to the scheduler.

    When a client's connection to its scheduler breaks (the scheduler stopped, or
    the network between them failed), Dask cancels every computation the client
    had submitted, and the work must be submitted again; the client tries to
    reconnect for ``distributed.comm.timeouts.connect`` and then closes. A pass
    over the data of a fit (or a prediction written partition by partition) ends
    with this error as soon as the loss is seen, instead of waiting for results
    that will not come. Dask's own exception, if any, is the ``__cause__``.

    Attributes
    ----------
    address : str
        The scheduler's address.
    status : str
        The client's status when the loss was seen (``"connecting"`` while Dask
        tries to reconnect, ``"closed"`` once it has given up).
    """

    def __init__(self, address: str, status: str) -> None:
        super().__init__(
            f"lost the connection to the Dask scheduler at {address!r} during the "
            f"computation (client status {status!r}): Dask cancelled the work it "
            "had submitted, so the computation was given up. Check that the "
            "scheduler still runs (its log says why it stopped) and run it again."
        )
        self.address = address
        self.status = status

    def __reduce__(self) -> tuple[object, ...]:
        return SchedulerLostError, (self.address, self.status)


class WorkersLostError(SoftlogitError, RuntimeError):
    """A computation on a Dask cluster lost its workers and was given up.

    Dask recovers a worker that dies once: its tasks run again on the others. A
    pass over the data of a fit gives up, with this error, when Dask gave up on
    one of its tasks (the workers died ``distributed.scheduler.allowed-failures``
    + 1 times while running it: ``kind="killed"``), or when no worker was running
    for ``distributed.scheduler.no-workers-timeout`` seconds (when that is null,
    Dask's default, ``distributed.scheduler.worker-ttl``: ``kind="no-workers"``).
    Dask's own exception, if any, is the ``__cause__``.

    Attributes
    ----------
    kind : {"killed", "no-workers"}
    task : str
        The Dask key of the task given up on.
    """

    def __init__(self, message: str, *, kind: str, task: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.task = task

    def __reduce__(self) -> tuple[object, ...]:
        return _make_workers_lost_error, (str(self), self.kind, self.task)


def _make_workers_lost_error(message: str, kind: str, task: str) -> WorkersLostError:
    return WorkersLostError(message, kind=kind, task=task)


class CLIError(SoftlogitError):
    """A user-facing command-line error: printed as ``error: <message>``.

    Parameters
    ----------
    message : str
        What went wrong, naming the option or file.
    exit_code : int, default=2
        The process exit code (2 for bad usage or input, 1 for a failed run).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


for _cls in (
    SoftlogitError,
    InputValueError,
    InputTypeError,
    SeparationError,
    MissingExtraError,
    SchedulerConnectionError,
    SchedulerLostError,
    WorkersLostError,
):
    _cls.__module__ = "softlogit"
del _cls
