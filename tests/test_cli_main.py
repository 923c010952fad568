"""The command-line entry point: help, version, unknown commands."""

from __future__ import annotations

import pytest

from softlogit._cli import main


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


def test_library_errors_become_error_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ValueError raised by a command is printed as `error: ...`, exit 2."""
    import click

    from softlogit import _cli
    from softlogit.errors import CLIError

    @click.command()
    @click.option("--kind", default="value")
    def boom(kind: str) -> None:
        if kind == "value":
            raise ValueError("`x` must be positive; got -1.")
        raise CLIError("run failed", exit_code=1)

    monkeypatch.setattr(_cli.cli, "get_command", lambda ctx, name: boom)
    monkeypatch.setattr(_cli.cli, "list_commands", lambda ctx: ["boom"])
    assert main(["boom"]) == 2
    assert capsys.readouterr().err == "error: `x` must be positive; got -1.\n"
    assert main(["boom", "--kind", "cli"]) == 1
    assert capsys.readouterr().err == "error: run failed\n"
    assert main(["boom", "--bad-option"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No such option")
    assert "--bad-option" in err
    assert "Traceback" not in err
