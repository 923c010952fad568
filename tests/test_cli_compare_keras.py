"""softlogit compare --engine keras: --keras-style, the loss-path explanation in the
terminal and the page, and a quiet TensorFlow (slow: Keras imports, subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from softlogit._cli import main
from softlogit._cli._compare import keras_engine
from softlogit.errors import CLIError

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--dataset", "synthetic", "--n-samples", "40", "--hidden", "3"]


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def _softlogit(
    args: list[str], backend: str, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KERAS_BACKEND": backend, "COLUMNS": "200"}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "softlogit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_keras_style_needs_the_keras_engine(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", "--keras-style", "fit", "--no-report", *TINY])
    assert code == 2
    assert "`--keras-style fit` needs `--engine keras`" in capsys.readouterr().err
    with pytest.raises(CLIError, match="needs `--engine keras`; got `--engine torch`"):
        keras_engine("torch", "fit-logits")


def test_keras_fit_explained_in_terminal_and_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TensorFlow: the networks take the cached logits, and both reports say so."""
    out_dir = tmp_path / "report"
    args = ["compare", "--engine", "keras", "--keras-style", "fit", *TINY]
    code = main([*args, "--steps", "6", "--out", str(out_dir)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    line = "note: Keras model.fit on the tensorflow backend: network 0: Dense(2), "
    assert line in captured.out
    assert "Dense(2, activation='softmax'), loss='categorical_crossentropy'" in (
        captured.out
    )
    assert "from the cached logits (as with from_logits=True)" in captured.out
    page = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "Keras model.fit on the tensorflow backend" in page
    assert "Loss paths (detected): network 0 from the cached logits" in page
    assert "keras-fit (Keras 3." in page
    assert "--keras-style fit" in page  # the command that reproduces the run


def test_quiet_keras_run_prints_nothing() -> None:
    """``-q`` with the TensorFlow backend: no TensorFlow log line on stderr."""
    proc = _softlogit(
        ["compare", "--engine", "keras", "-q", "--no-report", "--steps", "3", *TINY],
        "tensorflow",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr == ""


def test_learner_code_on_torch_clips_and_says_how_to_fix() -> None:
    """The torch backend: every network of the learner's code takes the clipped path,
    the terminal says what the code did and gives the one-line fix; stderr stays
    clean although network 1c's MultiOptimizer imports TensorFlow."""
    proc = _softlogit(
        [
            "compare",
            "--engine",
            "keras",
            "--keras-style",
            "fit",
            "--no-report",
            "--steps",
            "40",
            "--lr",
            "3",
            "--dtype",
            "float32",
        ],
        "torch",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = " ".join(proc.stdout.split())
    assert "Keras model.fit on the torch backend" in out
    # the default networks include the one-ulp control 0-ulp (network 0, perturbed)
    assert (
        "computed the loss of networks 0, 1, 2, 1c and 0-ulp from them clipped to"
        in out
    )
    assert "[1e-07, 1 − 1e-07]" in out
    assert "loss=keras.losses.CategoricalCrossentropy(from_logits=True)" in out
