"""The ``softlogit`` command line.

Each subcommand lives in its own module and is imported only when it runs, so that
``softlogit --help`` stays fast. :func:`main` never shows a traceback for bad input: it
prints ``error: ...`` on stderr and returns a non-zero exit code (2 for bad usage or
input, 1 for a failed run). Bad input is what softlogit reports on purpose (its own
exceptions) and the OS errors of files (:data:`~softlogit._cli._errors.USER_ERRORS`);
any other exception is a bug and shows its traceback with a request to report it.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

import click

from softlogit._cli._encoding import ascii_streams
from softlogit._cli._errors import (
    ENVIRONMENT_ERRORS,
    RUN_FAILURES,
    USER_ERRORS,
    report_bug,
)
from softlogit._io import output_committed, record_commits
from softlogit.errors import CLIError

__all__ = ["Terminated", "main"]

# command name -> (module, attribute, one-line help)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "compare": (
        "softlogit._cli._compare",
        "compare",
        "Run the seed experiment: networks 0, 1, 2 trained side by side.",
    ),
    "convert": (
        "softlogit._cli._convert",
        "convert",
        "Convert a saved model's softmax head to a sigmoid head, or back.",
    ),
    "derive": (
        "softlogit._cli._derive",
        "derive",
        "Print the machine-checked derivation softmax -> sigmoid.",
    ),
    "fit": (
        "softlogit._cli._fit",
        "fit",
        "Fit a softmax or logistic regression on CSV or Parquet files.",
    ),
    "predict": (
        "softlogit._cli._predict",
        "predict",
        "Predict class probabilities with a saved model.",
    ),
    "sweep": (
        "softlogit._cli._sweep",
        "sweep",
        "Map where networks 0 and 1 end with similar weights: the atlas.",
    ),
}


class _LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            name
            for name, (module, _, _) in _COMMANDS.items()
            if importlib.util.find_spec(module) is not None
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None or importlib.util.find_spec(entry[0]) is None:
            return None
        command = getattr(importlib.import_module(entry[0]), entry[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="softlogit", prog_name="softlogit")
def cli() -> None:
    """softlogit: softmax regression, logistic regression and the exact bridge.

    For two classes, softmax(z1, z2)_2 = sigmoid(z2 - z1).
    """


class Terminated(BaseException):
    """``SIGTERM`` (or ``SIGHUP``) arrived: unwind, cleaning up, and exit.

    A ``BaseException`` like ``KeyboardInterrupt``: every ``finally`` and
    ``except BaseException`` on the way removes its temporary files, and the
    previous output stays as it was.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


# The signal that ended the command, if one did: an exception raised by a signal
# handler inside the import of a C extension comes out as an ImportError.
_received: list[int] = []
# Signals that came once the command's output was being moved into place: too late
# to undo it, so the command finishes (exit 0) and says so.
_late: list[int] = []


def _too_late(signum: int) -> bool:
    """Record a signal that arrives once an output is committed; True if it did."""
    if not output_committed():
        return False
    _late.append(signum)
    return True


def _terminate(signum: int, frame: object) -> None:
    # a second signal ends the process at once, as it would have without us
    signal.signal(signum, signal.SIG_DFL)
    if _too_late(signum):
        return
    _received.append(signum)
    raise Terminated(signum)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if _too_late(signum):
        signal.signal(signum, signal.SIG_DFL)  # a second Ctrl-C ends it at once
        return
    _received.append(signum)
    signal.default_int_handler(signum, frame)


#: Seconds after which :func:`_redeliver` sends a swallowed signal again.
_REDELIVERY_DELAY = 0.01


def _redeliver(previous: Callable[[Any], object]) -> Callable[[Any], object]:
    """A ``sys.unraisablehook`` for the command's duration.

    A signal's exception raised inside a callback that Python cannot raise from (a
    weakref callback or a ``__del__``, for example during an import) would only be
    printed ("Exception ignored in ...") and the signal lost: the command would go
    on. This hook sends that signal again instead, from another thread after
    :data:`_REDELIVERY_DELAY`, so that it lands outside the callback and the hook
    (and again if it lands in one once more); any other unraisable exception goes
    to ``previous``.
    """

    def hook(unraisable: Any) -> object:
        exc = unraisable.exc_value
        if isinstance(exc, Terminated):
            signum = exc.signum
            signal.signal(signum, _terminate)  # (the handler had reset it)
        elif isinstance(exc, KeyboardInterrupt) and signal.SIGINT in _received:
            signum = signal.SIGINT
        else:
            return previous(unraisable)
        # (after a pause: sent at once, it could land while this hook still runs)
        timer = threading.Timer(_REDELIVERY_DELAY, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return None

    return hook


@contextlib.contextmanager
def _signals_unwind(entry_point: bool) -> Iterator[None]:
    """Within the block ``SIGTERM`` and ``SIGHUP`` raise :class:`Terminated`.

    Only in the main thread (where Python runs signal handlers). Once an output is
    being committed (:func:`softlogit._io.output_committed`) a signal is only
    recorded: the command completes. The handlers are restored afterwards; at the
    process's entry point, after a commit, the signals are ignored instead for the
    rest of the (exiting) process, so that a late one cannot turn the finished
    command into a killed one. A signal whose exception a callback swallowed is
    sent again (:func:`_redeliver`).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    saved = {signum: signal.signal(signum, _terminate) for signum in wanted}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        saved[signal.SIGINT] = signal.signal(signal.SIGINT, _interrupt)
    _received.clear()
    _late.clear()
    unraisable_hook = sys.unraisablehook
    sys.unraisablehook = _redeliver(unraisable_hook)
    with record_commits():
        try:
            yield
        finally:
            sys.unraisablehook = unraisable_hook
            done = entry_point and output_committed()
            for signum, handler in saved.items():
                signal.signal(signum, signal.SIG_IGN if done else handler)


def _error(message: object) -> None:
    """Print ``error: <message>`` on one line (a name with a newline stays on it)."""
    text = " ".join(str(message).splitlines())
    click.echo(f"error: {text}", err=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Set the environment variable ``SOFTLOGIT_DEBUG`` to see the traceback of every
    error. ``SIGTERM`` and ``SIGHUP`` end the command as ``Ctrl-C`` does: temporary
    files are removed, earlier outputs kept, and the exit code is ``128 + signal``;
    a signal that arrives once the output is being moved into place is too late to
    stop the command, which completes (and says so on stderr).
    On a stream that cannot encode Unicode the output is spelled in ASCII
    (:mod:`softlogit._cli._encoding`).
    """
    with ascii_streams(), _signals_unwind(entry_point=argv is None):
        code = _main(argv)
        if _late and code == 0:
            click.echo(
                f"note: signal {_late[0]} arrived once the output was being written; "
                "the command completed",
                err=True,
            )
        return code


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = bool(os.environ.get("SOFTLOGIT_DEBUG"))
    try:
        result = cli.main(args=args, prog_name="softlogit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 130
    except click.ClickException as exc:
        _error(exc.format_message())
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            click.echo(f"try '{exc.ctx.command_path} --help'", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except CLIError as exc:
        _error(exc)
        return exc.exit_code
    except (*USER_ERRORS, *ENVIRONMENT_ERRORS) as exc:
        if debug:
            raise
        _error(exc)
        return (
            2
            if isinstance(exc, USER_ERRORS) and not isinstance(exc, RUN_FAILURES)
            else 1
        )
    except (KeyboardInterrupt, Terminated) as exc:
        return _signal_exit(exc)
    except Exception as exc:
        signal_exc = _interrupt_in_chain(exc)
        if signal_exc is not None:
            return _signal_exit(signal_exc)
        if debug:
            raise
        report_bug(exc)
        return 1
    return int(result) if isinstance(result, int) else 0


def _signal_exit(exc: BaseException) -> int:
    """Say how a signal ended the command; its exit code (130 for Ctrl-C)."""
    if isinstance(exc, Terminated):
        click.echo(f"error: terminated by signal {exc.signum}", err=True)
        return 128 + exc.signum
    click.echo("error: interrupted", err=True)
    return 130


def _interrupt_in_chain(exc: BaseException) -> BaseException | None:
    """The ``KeyboardInterrupt`` or :class:`Terminated` behind ``exc``, if any.

    A signal that lands while a C extension is being imported (NumPy's, pandas')
    comes out as that import's ``ImportError`` (the interrupt as its cause or
    context, or only recorded by the handler): it is still the user's signal, not
    a bug.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (KeyboardInterrupt, Terminated)):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    if isinstance(exc, ImportError) and _received:
        signum = _received[-1]
        return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)
    return None
