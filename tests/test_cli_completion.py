"""Shell completion: click's script for bash, zsh and fish, and live completions."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from softlogit._cli import main


def _softlogit(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point (completion ends the process with sys.exit)."""
    code = "import sys; from softlogit._cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _softlogit_completion softlogit"),
        ("zsh", "compdef _softlogit_completion softlogit"),
        ("fish", "complete --no-files --command softlogit"),
    ],
)
def test_completion_script_is_produced(shell: str, marker: str) -> None:
    done = _softlogit({"_SOFTLOGIT_COMPLETE": f"{shell}_source"})
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
    assert "_SOFTLOGIT_COMPLETE" in done.stdout


def test_bash_completes_subcommands_and_options() -> None:
    done = _softlogit(
        {
            "_SOFTLOGIT_COMPLETE": "bash_complete",
            "COMP_WORDS": "softlogit co",
            "COMP_CWORD": "1",
        }
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["plain,compare", "plain,convert"]
    done = _softlogit(
        {
            "_SOFTLOGIT_COMPLETE": "bash_complete",
            "COMP_WORDS": "softlogit compare --opt",
            "COMP_CWORD": "2",
        }
    )
    assert done.stdout.split() == ["plain,--optimizer"]


def test_version_names_the_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert (
        capsys.readouterr().out.strip() == f"softlogit, version {version('softlogit')}"
    )
