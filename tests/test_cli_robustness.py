"""The command line on hostile ground: ASCII-only streams, signals, huge options.

Each command must work on a stream that cannot encode Unicode (spelling it in
ASCII), end cleanly on SIGTERM or SIGINT at any point (the previous output intact,
no temporary left), and refuse options that cannot run with one ``error:`` line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import softlogit._cli as cli_package
from softlogit import load_model
from softlogit._cli import Terminated, main
from softlogit.experiment import ExperimentResult
from softlogit.experiment._memory import BUILTIN_SHAPES, check_memory
from softlogit.experiment._spec import ExperimentSpec


def _cli(
    *argv: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "softlogit", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def _csv(tmp_path: Path, rng: np.random.Generator, name: str = "data.csv") -> Path:
    X = rng.normal(size=(300, 3))
    y = np.array(["ant", "bee"])[(X[:, 0] + rng.logistic(size=300) > 0).astype(int)]
    path = tmp_path / name
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "kind": y}).to_csv(
        path, index=False
    )
    return path


def _one_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


# ------------------------------------------------------------------ encodings
@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
@pytest.mark.parametrize(
    "argv",
    [
        ["derive", "--classes", "2"],
        ["fit", "{csv}", "--target", "kind"],
        ["compare", "--steps", "20", "--hidden", "2", "--no-report"],
    ],
    ids=["derive", "fit", "compare"],
)
def test_every_command_works_on_a_non_utf8_stream(
    tmp_path: Path, rng: np.random.Generator, encoding: str, argv: list[str]
) -> None:
    csv = _csv(tmp_path, rng)
    args = [a.format(csv=csv) for a in argv]
    proc = _cli(*args, env={"PYTHONIOENCODING": encoding, "LC_ALL": "C", "LANG": "C"})
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode(encoding, "replace")
    text = out.decode(encoding)  # strict: every character is in the encoding
    err.decode(encoding)
    assert len(text) > 200
    if args[0] == "derive":  # formulas spelled, not replaced by "?"
        assert "sigma" in text or "σ" not in text
        assert "verified" in text


def test_the_ascii_spelling_of_a_summary_keeps_the_numbers(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    csv = _csv(tmp_path, rng)
    utf = _cli("fit", str(csv), "--target", "kind", env={"PYTHONIOENCODING": "utf-8"})
    asc = _cli("fit", str(csv), "--target", "kind", env={"PYTHONIOENCODING": "ascii"})
    numbers = [
        [w for w in p.communicate(timeout=120)[0].decode().split() if w[:1].isdigit()]
        for p in (utf, asc)
    ]
    assert numbers[0] == numbers[1]


# ------------------------------------------------------------------ signals
def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _assert_clean_exit(code: int, err: bytes, sig: int) -> None:
    """Finished, or ended by the signal; a traceback only from Python's start-up.

    A signal that arrives while the interpreter is still importing (before
    ``main`` installs its handlers) ends the process as it would any Python
    program: killed by SIGTERM (-15), or a traceback inside the imports (a
    ``KeyboardInterrupt``, or the ``ImportError`` NumPy raises when the interrupt
    lands inside its C extension's import). Once ``main`` runs, the exit is
    ``error: ...`` and 128 + signal (130 for Ctrl-C).
    """
    if code in (0, 128 + sig, 130):
        assert b"Traceback" not in err, err
        return
    if code == -sig:
        return
    assert sig == signal.SIGINT, (code, err)
    assert err.rstrip().endswith(b"KeyboardInterrupt") or b"ImportError" in err, err
    assert b"in main" not in err, err  # interrupted before main, while importing


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_compare_interrupted_at_random_points_keeps_the_report(
    tmp_path: Path, sig: int, seed: int
) -> None:
    """The previous report stays loadable and no temporary is left, wherever the
    signal lands (bounded: a few points from start-up to the final swap)."""
    out = tmp_path / "rep"
    args = ["compare", "--steps", "400", "--hidden", "8", "-q", "--out", str(out)]
    assert main([*args[:-2], "--steps", "20", "--out", str(out)]) == 0
    before = (out / "result.json").read_bytes()
    rng = np.random.default_rng(seed)
    for delay in sorted(rng.uniform(0.2, 4.0, size=4)):
        proc = _cli(*args)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
        _assert_clean_exit(proc.returncode, err, sig)
        assert _listing(tmp_path) == ["rep"], (delay, _listing(tmp_path))
        ExperimentResult.load(out / "data")  # loadable, old or new
        if proc.returncode != 0:
            assert (out / "result.json").read_bytes() == before
        else:
            before = (out / "result.json").read_bytes()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_fit_interrupted_at_random_points_keeps_the_model(
    tmp_path: Path, rng: np.random.Generator, sig: int
) -> None:
    X = rng.normal(size=(20_000, 30))
    y = (X @ rng.normal(size=30) + rng.logistic(size=20_000) > 0).astype(int)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(30)])
    frame["y"] = y
    csv = tmp_path / "big.csv"
    frame.to_csv(csv, index=False)
    model = tmp_path / "model.json"
    model.write_text("{}")  # a stand-in earlier output: must survive
    for delay in sorted(rng.uniform(0.3, 3.0, size=4)):
        before = model.read_bytes()
        proc = _cli("fit", str(csv), "--target", "y", "--out", str(model), "--force")
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
        _assert_clean_exit(proc.returncode, err, sig)
        assert _listing(tmp_path) == ["big.csv", "model.json"], _listing(tmp_path)
        if proc.returncode != 0:
            assert model.read_bytes() == before  # the old model
        else:
            load_model(model)  # a complete new one


def _raising_cli(exc: BaseException) -> object:
    def fake(*args: object, **kwargs: object) -> None:
        raise exc

    return fake


@pytest.mark.parametrize(
    ("cause", "code", "message"),
    [
        (Terminated(signal.SIGTERM), 128 + signal.SIGTERM, "terminated by signal 15"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_a_signal_inside_a_c_import_is_the_signal(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cause: BaseException,
    code: int,
    message: str,
) -> None:
    """A signal raised inside a C extension's import surfaces as its ImportError
    (the signal as the cause): the command ends as the signal asks, no bug report."""
    error = ImportError("numpy._core failed to import")
    error.__cause__ = cause
    monkeypatch.setattr(cli_package.cli, "main", _raising_cli(error))
    assert main(["fit", "x.csv", "--target", "y"]) == code
    err = capsys.readouterr().err
    assert err.strip() == f"error: {message}"


def test_a_bare_import_error_after_a_signal_is_the_signal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Some C imports drop the interrupt's exception: the handler's record of the
    signal decides; without a signal an ImportError is a bug report."""
    error = ImportError("PyCapsule_Import could not import module 'datetime'")

    def fake(*args: object, **kwargs: object) -> None:
        cli_package._received.append(signal.SIGTERM)
        raise error

    monkeypatch.setattr(cli_package.cli, "main", fake)
    assert main(["fit", "x.csv", "--target", "y"]) == 128 + signal.SIGTERM
    assert capsys.readouterr().err.strip() == "error: terminated by signal 15"
    monkeypatch.setattr(cli_package.cli, "main", _raising_cli(error))
    assert main(["fit", "x.csv", "--target", "y"]) == 1
    assert "ImportError" in capsys.readouterr().err


# ------------------------------------------------------------------ options
def test_C_below_the_normal_range_names_the_option(
    tmp_path: Path, rng: np.random.Generator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["fit", str(_csv(tmp_path, rng)), "--target", "kind", "--C", "1e-320"])
    _one_error(code, capsys.readouterr().err, "--C", "1e-320", "2.2e-308")


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--steps", "100000000000000000000"], ["`--steps`", "2**63 - 1"]),
        (["--hidden", "1000000000"], ["TB of memory", "`--hidden`"]),
        (
            ["--dataset", "synthetic", "--n-samples", "1000000000000"],
            ["of memory", "`--n-samples`"],
        ),
        (["--steps", "1000000000000", "--batch-size", "10"], ["`--batch-size`"]),
    ],
)
def test_compare_refuses_what_cannot_run(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragments: list[str]
) -> None:
    start = time.perf_counter()
    code = main(["compare", "--no-report", *argv])
    _one_error(code, capsys.readouterr().err, *fragments)
    assert time.perf_counter() - start < 30  # refused before allocating


def test_memory_estimate_is_checked_against_the_limit() -> None:
    spec = ExperimentSpec().replace(hidden=(64,), steps=100)
    check_memory(spec, *BUILTIN_SHAPES["breast_cancer"], available=10**9)
    with pytest.raises(
        ValueError, match=r"needs about [\d.]+ MB of memory, .*\(set by `"
    ):
        check_memory(spec, *BUILTIN_SHAPES["breast_cancer"], available=10**5)


def test_builtin_shapes_are_the_data_sets() -> None:
    from sklearn import datasets

    for name, (n, p, k) in BUILTIN_SHAPES.items():
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        assert (n, p, k) == (X.shape[0], X.shape[1], np.unique(y).size)


def test_derive_refuses_a_directory_as_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["derive", "--out", str(tmp_path), "--force"])
    _one_error(code, capsys.readouterr().err, "is a directory", "name a file")


def test_separation_message_speaks_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True)
    frame = data.data.copy()
    frame["species"] = data.target_names[data.target]
    frame.to_csv(tmp_path / "iris.csv", index=False)
    code = main(["fit", str(tmp_path / "iris.csv"), "--target", "species"])
    err = capsys.readouterr().err
    _one_error(code, err, "--C 1", "--C inf", "'setosa' from 'versicolor'")
    assert "encoded" not in err
    assert "C=1.0" not in err


def test_a_row_index_column_gets_a_warning(
    tmp_path: Path, rng: np.random.Generator, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _csv(tmp_path, rng)
    frame = pd.read_csv(csv)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    frame.to_csv(csv, index=False)
    assert main(["fit", str(csv), "--target", "kind", "--C", "1"]) == 0
    err = capsys.readouterr().err
    assert "'id' looks like a row index" in err
    assert main(["fit", str(csv), "--target", "kind", "--features", "a,b"]) == 0
    assert "row index" not in capsys.readouterr().err


def test_compare_csv_features(
    tmp_path: Path, rng: np.random.Generator, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _csv(tmp_path, rng)
    base = ["compare", "--csv", str(csv), "--target", "kind", "--steps", "10"]
    assert main([*base, "--features", "a,b", "--no-report", "--json"]) == 0
    doc = __import__("json").loads(capsys.readouterr().out)
    assert doc["data"]["feature_names"] == ["a", "b"]
    assert doc["spec"]["data"]["features"] == ["a", "b"]
    code = main([*base, "--features", "a,zzz", "--no-report"])
    _one_error(code, capsys.readouterr().err, "`--features`", "'zzz'")
    code = main([*base, "--features", "a,kind", "--no-report"])
    _one_error(code, capsys.readouterr().err, "`--features`", "`--target`")


def test_a_column_name_with_a_newline_keeps_the_error_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by fuzzing: a quoted column name holding a newline split the message
    of `compare --csv` over two lines."""
    csv = tmp_path / "d.csv"
    csv.write_text('"a\nb",kind\nx,1\ny,0\nz,1\nw,0\n')
    code = main(["compare", "--csv", str(csv), "--target", "kind", "--no-report"])
    _one_error(code, capsys.readouterr().err, "must be numeric", "'a\\nb'")
