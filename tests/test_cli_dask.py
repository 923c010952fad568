"""`softlogit fit` and `predict` on globs and Parquet files, through Dask."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from softlogit import load_model
from softlogit._cli import main


def _frame(rng: np.random.Generator, n: int, k: int = 3) -> pd.DataFrame:
    X = rng.normal(size=(n, 2))
    W = rng.normal(size=(k, 2))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, k)), axis=1)
    names = np.array(["ant", "bee", "cat"])[:k]
    return pd.DataFrame({"size": X[:, 0], "speed": X[:, 1], "kind": names[y]})


@pytest.fixture
def parts(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, pd.DataFrame]:
    """Three Parquet and three CSV files of one data set, and the whole of it."""
    whole = _frame(rng, 900)
    for i in range(3):
        part = whole.iloc[300 * i : 300 * (i + 1)]
        part.to_parquet(tmp_path / f"part{i}.parquet", index=False)
        part.to_csv(tmp_path / f"part{i}.csv", index=False)
    whole.to_csv(tmp_path / "whole.csv", index=False)
    return tmp_path, whole


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rel(got: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_fit_on_a_glob_equals_the_in_memory_fit(
    capsys: pytest.CaptureFixture[str], parts: tuple[Path, pd.DataFrame], suffix: str
) -> None:
    tmp, _ = parts
    ref_path, got_path = tmp / "ref.json", tmp / "got.json"
    code, _, err = _run(
        capsys,
        "fit",
        str(tmp / "whole.csv"),
        "--target",
        "kind",
        "--out",
        str(ref_path),
    )
    assert code == 0, err
    assert "pass" not in err  # one small CSV file: in memory, as before
    code, out, err = _run(
        capsys,
        "fit",
        str(tmp / f"part*.{suffix}"),
        "--target",
        "kind",
        "--scheduler",
        "threads",
        "--out",
        str(got_path),
    )
    assert code == 0, err
    assert "fitting on 3 file(s)" in err
    assert "with Dask on threads in this process" in err
    assert "pass   1 check" in err
    assert "gradient     objective" in err
    assert "hessian" in err
    assert "MLE existence:         proven" in out
    ref, got = load_model(ref_path), load_model(got_path)
    assert got.classes_.tolist() == ["ant", "bee", "cat"]
    assert got.feature_names_in_.tolist() == ["size", "speed"]
    assert _rel(got.coef_, ref.coef_) <= 1e-8
    assert _rel(got.intercept_, ref.intercept_) <= 1e-8
    ref_se = ref.summary().std_err
    assert _rel(got.summary().std_err, ref_se) <= 1e-8


def test_fit_larger_than_the_memory_fraction_starts_a_local_cluster(
    capsys: pytest.CaptureFixture[str], parts: tuple[Path, pd.DataFrame]
) -> None:
    tmp, _ = parts
    code, out, err = _run(
        capsys,
        "fit",
        str(tmp / "whole.csv"),
        "--target",
        "kind",
        "--C",
        "1",
        "--memory-fraction",
        "0",
    )
    assert code == 0, err
    assert "with Dask on a local cluster (2 worker processes)" in err
    assert "penalized fit: coefficients only" in out


def test_unreachable_scheduler_is_an_error_naming_it(
    capsys: pytest.CaptureFixture[str], parts: tuple[Path, pd.DataFrame]
) -> None:
    tmp, _ = parts
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    code, _, err = _run(
        capsys,
        "fit",
        str(tmp / "part*.parquet"),
        "--target",
        "kind",
        "--scheduler",
        address,
        "--connect-timeout",
        "0.5",
    )
    assert code == 2
    assert (
        f"error: could not reach the Dask scheduler at {address!r} within 0.5 s" in err
    )
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("change", "argv", "message"),
    [
        (None, ["nothing*.parquet", "--target", "kind"], "matches no file"),
        (None, ["part*.parquet", "--target", "colour"], "--target 'colour' is not"),
        ("text", ["part*.parquet", "--target", "kind"], "'size' of"),
        ("missing", ["part*.parquet", "--target", "kind"], "1 missing value(s)"),
        ("one", ["part*.parquet", "--target", "kind"], "single class ('ant')"),
        (
            None,
            ["part*.parquet", "--target", "kind", "--model", "logistic"],
            "exactly 2 classes",
        ),
    ],
    ids=["no-file", "no-target", "text-feature", "missing-label", "one-class", "K3"],
)
def test_fit_errors(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    rng: np.random.Generator,
    change: str | None,
    argv: list[str],
    message: str,
) -> None:
    frame = _frame(rng, 60)
    if change == "text":
        frame["size"] = frame["size"].astype(str)
    elif change == "missing":
        frame["kind"] = frame["kind"].astype(object)
        frame.loc[7, "kind"] = None
    elif change == "one":
        frame["kind"] = "ant"
    frame.to_parquet(tmp_path / "part0.parquet", index=False)
    argv = [str(tmp_path / argv[0]), *argv[1:], "--scheduler", "threads"]
    code, _, err = _run(capsys, "fit", *argv)
    assert code == 2, err
    assert "error: " in err
    assert "Traceback" not in err
    assert message in err


def test_predict_partition_by_partition(
    capsys: pytest.CaptureFixture[str], parts: tuple[Path, pd.DataFrame]
) -> None:
    tmp, whole = parts
    model_path = tmp / "model.json"
    code, _, err = _run(
        capsys,
        "fit",
        str(tmp / "whole.csv"),
        "--target",
        "kind",
        "--out",
        str(model_path),
    )
    assert code == 0, err
    model = load_model(model_path)
    expected = model.predict_proba(whole[["size", "speed"]])
    out_dir = tmp / "predictions"
    code, _, err = _run(
        capsys,
        "predict",
        str(model_path),
        str(tmp / "part*.parquet"),
        "--out",
        str(out_dir),
    )
    assert code == 0, err
    assert "wrote 900 predictions" in err
    files = sorted(out_dir.glob("part-*.csv"))
    assert [f.name for f in files] == [f"part-0000{i}.csv" for i in range(3)]
    got = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    np.testing.assert_allclose(got[["proba_ant", "proba_bee", "proba_cat"]], expected)
    assert got["predicted"].tolist() == model.predict(whole[["size", "speed"]]).tolist()
    # again into the same directory: refused without --force, then replaced
    code, _, err = _run(
        capsys,
        "predict",
        str(model_path),
        str(tmp / "part*.csv"),
        "--out",
        str(out_dir),
    )
    assert code == 0, err  # an earlier prediction directory is replaced
    (tmp / "other").mkdir()
    (tmp / "other" / "keep.txt").write_text("mine")
    code, _, err = _run(
        capsys,
        "predict",
        str(model_path),
        str(tmp / "part*.csv"),
        "--out",
        str(tmp / "other"),
    )
    assert code == 2
    assert "already exists" in err
    # into one CSV file, and to standard output
    out_file = tmp / "pred.csv"
    code, _, err = _run(
        capsys,
        "predict",
        str(model_path),
        str(tmp / "part*.csv"),
        "--out",
        str(out_file),
    )
    assert code == 0, err
    np.testing.assert_allclose(
        pd.read_csv(out_file)[["proba_ant", "proba_bee", "proba_cat"]], expected
    )
    # a new file with the mode of any other output (the umask's), no temporary left
    umask = os.umask(0)
    os.umask(umask)
    assert out_file.stat().st_mode & 0o777 == 0o666 & ~umask
    assert not list(tmp.glob(".pred.csv*"))
    code, out, err = _run(capsys, "predict", str(model_path), str(tmp / "part*.csv"))
    assert code == 0, err
    assert out == out_file.read_text()


def test_missing_dask_names_the_extra(
    capsys: pytest.CaptureFixture[str],
    parts: tuple[Path, pd.DataFrame],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tmp, _ = parts
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)  # import fails
    code, _, err = _run(capsys, "fit", str(tmp / "part*.parquet"), "--target", "kind")
    assert code == 2
    assert "pip install 'softlogit[dask]'" in err
