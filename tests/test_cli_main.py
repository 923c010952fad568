"""The command-line entry point: help, version, unknown commands."""

from __future__ import annotations

import pytest

import softlogit
from softlogit._cli import main
from softlogit._cli._errors import USER_ERRORS
from softlogit.errors import (
    CLIError,
    InputTypeError,
    InputValueError,
    MissingExtraError,
    SoftlogitError,
)


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "softmax(z1, z2)_2 = sigmoid(z2 - z1)" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "0.1.0" in capsys.readouterr().out


def test_unknown_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "Traceback" not in err


def _install(monkeypatch: pytest.MonkeyPatch, command: object) -> None:
    """Make ``command`` the only subcommand of ``softlogit``."""
    from softlogit import _cli

    monkeypatch.setattr(_cli.cli, "get_command", lambda ctx, name: command)
    monkeypatch.setattr(_cli.cli, "list_commands", lambda ctx: ["boom"])


def _install_raising(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Make ``softlogit boom`` a command that raises ``error``."""
    import click

    @click.command()
    def boom() -> None:
        raise error

    _install(monkeypatch, boom)


def test_library_errors_become_error_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """softlogit's own errors are printed as `error: ...`, exit 2 (CLIError: its code)."""
    import click

    @click.command()
    @click.option("--kind", default="value")
    def boom(kind: str) -> None:
        if kind == "value":
            raise InputValueError("`x` must be positive; got -1.")
        if kind == "type":
            raise InputTypeError("`x` must be a real number; got 'a'.")
        if kind == "extra":
            raise MissingExtraError("PyTorch", "torch")
        raise CLIError("run failed", exit_code=1)

    _install(monkeypatch, boom)
    assert main(["boom"]) == 2
    assert capsys.readouterr().err == "error: `x` must be positive; got -1.\n"
    assert main(["boom", "--kind", "type"]) == 2
    assert capsys.readouterr().err == "error: `x` must be a real number; got 'a'.\n"
    assert main(["boom", "--kind", "extra"]) == 2
    assert "pip install 'softlogit[torch]'" in capsys.readouterr().err
    assert main(["boom", "--kind", "cli"]) == 1
    assert capsys.readouterr().err == "error: run failed\n"
    assert main(["boom", "--bad-option"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No such option")
    assert "--bad-option" in err
    assert "Traceback" not in err


def test_a_cluster_that_lost_its_workers_is_a_failed_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """WorkersLostError is softlogit's own error but not bad input: `error: ...`,
    exit 1, no traceback."""
    from softlogit import WorkersLostError

    _install_raising(
        monkeypatch,
        WorkersLostError("no Dask worker was running", kind="no-workers", task="t"),
    )
    assert main(["boom"]) == 1
    err = capsys.readouterr().err
    assert err == "error: no Dask worker was running\n"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (FileNotFoundError(2, "No such file or directory", "data.csv"), 2),
        (FileExistsError(17, "File exists", "out"), 2),
        (PermissionError(13, "Permission denied", "out"), 2),
        (IsADirectoryError(21, "Is a directory", "out"), 2),
        (OSError(28, "No space left on device"), 1),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, OSError) else str(v),
)
def test_file_errors_become_error_lines(
    error: OSError,
    code: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _install_raising(monkeypatch, error)
    assert main(["boom"]) == code
    err = capsys.readouterr().err
    assert err == f"error: {error}\n"


@pytest.mark.parametrize(
    "error",
    [
        ValueError("operands could not be broadcast together"),
        TypeError("unsupported operand type(s)"),
        KeyError("head.weight"),
        ImportError("cannot import name 'x'"),
        ZeroDivisionError("division by zero"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_programming_error_shows_its_traceback(
    error: Exception,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not softlogit's own exception: a bug, never dressed as a user error."""
    _install_raising(monkeypatch, error)
    assert main(["boom"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert f"{type(error).__name__}: " in err
    last = err.splitlines()[-1]
    assert last == (
        f"error: internal error in softlogit {softlogit.__version__} "
        f"({type(error).__name__}), not a problem with your input; please report it "
        "with the traceback above."
    )


def test_debug_shows_the_traceback_of_input_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _install_raising(monkeypatch, InputValueError("`x` must be positive; got -1."))
    monkeypatch.setenv("SOFTLOGIT_DEBUG", "1")
    with pytest.raises(InputValueError, match="`x` must be positive"):
        main(["boom"])


def test_user_errors_are_softlogits_own_and_file_errors() -> None:
    """The one list of what the command line reports as bad input."""
    assert set(USER_ERRORS) == {
        SoftlogitError,
        FileNotFoundError,
        FileExistsError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
    }
    for error in (ValueError, TypeError, KeyError, ImportError, OSError):
        assert not issubclass(error, USER_ERRORS), error
