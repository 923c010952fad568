"""`softlogit fit` / `predict` on a scipy.sparse .npz DATA with --labels, run
in-process through main(); fits checked against scikit-learn on the same sparse
matrix, and X proven never densified."""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from softlogit import load_model
from softlogit._cli import main
from softlogit._testing.sparse import NoDense


@pytest.fixture
def no_dense(monkeypatch):
    """Every matrix the CLI loads from a .npz file refuses to be densified."""
    load = sp.load_npz
    monkeypatch.setattr(sp, "load_npz", lambda path: NoDense(load(path)))


def _data(seed: int, n_classes: int, n: int = 400, p: int = 12):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.25, format="csr", random_state=seed + 7)
    X.data = rng.normal(size=X.data.size)
    logits = X @ rng.normal(size=(p, n_classes)) * 1.5
    y = np.argmax(logits + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


def _write(tmp_path: Path, X, y) -> tuple[Path, Path]:
    data, labels = tmp_path / "X.npz", tmp_path / "y.npy"
    sp.save_npz(data, X)
    np.save(labels, y)
    return data, labels


def _run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _sk(X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SkLogisticRegression(tol=1e-12, max_iter=100_000, **kw).fit(X, y)


def _predictions(capsys, model: Path, data: Path) -> pd.DataFrame:
    code, out, err = _run(capsys, "predict", model, data)
    assert code == 0, err
    return pd.read_csv(pd.io.common.StringIO(out))


def test_logistic_elastic_net_equals_saga(capsys, tmp_path, seed, no_dense):
    X, y = _data(seed, 2)
    data, labels = _write(tmp_path, X, y)
    model = tmp_path / "m.json"
    code, out, err = _run(
        capsys, "fit", data, "--labels", labels, "--model", "logistic",
        "--C", "0.3", "--l1-ratio", "0.5", "--tol", "1e-10", "--out", model,
    )  # fmt: skip
    assert code == 0, err
    sk = _sk(X, y, C=0.3, l1_ratio=0.5, solver="saga")
    fitted = load_model(model)
    np.testing.assert_allclose(fitted.coef_, sk.coef_, atol=1e-6)
    np.testing.assert_allclose(fitted.intercept_, sk.intercept_, atol=1e-6)
    assert list(fitted.feature_names_in_) == [f"x{i}" for i in range(X.shape[1])]
    assert "x11" in out
    assert "l1_ratio=0.5" in out
    pred = _predictions(capsys, model, data)
    np.testing.assert_allclose(pred["proba_1"], sk.predict_proba(X)[:, 1], atol=1e-6)
    np.testing.assert_array_equal(pred["predicted"], sk.predict(X))


def test_softmax_l2_with_string_labels_equals_sklearn(capsys, tmp_path, seed, no_dense):
    X, k = _data(seed, 3)
    y = np.array(["ant", "bee", "cat"])[k]
    data = tmp_path / "X.npz"
    sp.save_npz(data, X, compressed=False)
    labels = tmp_path / "y.csv"
    pd.DataFrame({"species": y, "other": 1}).to_csv(labels, index=False)
    model = tmp_path / "m.json"
    code, _, err = _run(
        capsys, "fit", data, "--labels", labels, "--target", "species",
        "--C", "2", "--tol", "1e-10", "--out", model,
    )  # fmt: skip
    assert code == 0, err
    sk = _sk(X, y, C=2.0)  # multinomial, lbfgs
    pred = _predictions(capsys, model, data)
    for c in ("ant", "bee", "cat"):
        k = list(sk.classes_).index(c)
        np.testing.assert_allclose(
            pred[f"proba_{c}"], sk.predict_proba(X)[:, k], atol=1e-6
        )


@pytest.mark.parametrize("fmt", ["npy", "csv", "txt"])
def test_label_formats_give_the_same_fit(capsys, tmp_path, seed, fmt):
    X, y = _data(seed, 2)
    data = tmp_path / "X.npz"
    sp.save_npz(data, X)
    labels = tmp_path / f"y.{fmt}"
    if fmt == "npy":
        np.save(labels, y.reshape(-1, 1))  # a column is one label per row too
    elif fmt == "csv":
        pd.DataFrame({"y": y}).to_csv(labels, index=False)
    else:
        labels.write_text("\n".join(map(str, y)) + "\n")
    model = tmp_path / "m.json"
    code, _, err = _run(
        capsys, "fit", data, "--labels", labels, "--model", "logistic",
        "--C", "1", "--out", model,
    )  # fmt: skip
    assert code == 0, err
    sk = _sk(X, y, C=1.0)
    np.testing.assert_allclose(load_model(model).coef_, sk.coef_, atol=1e-5)


def test_features_name_the_columns_and_json(capsys, tmp_path, seed):
    X, y = _data(seed, 2, p=3)
    data, labels = _write(tmp_path, X, y)
    code, out, err = _run(
        capsys, "fit", data, "--labels", labels, "--C", "1",
        "--features", "dose,age,weight", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["features"] == ["dose", "age", "weight"]
    assert doc["coefficients"]["terms"] == ["intercept", "dose", "age", "weight"]


def test_cv_and_path_on_sparse_data(capsys, tmp_path, seed, no_dense):
    X, y = _data(seed, 2)
    data, labels = _write(tmp_path, X, y)
    code, out, err = _run(
        capsys, "fit", data, "--labels", labels, "--cv", "3", "--l1-ratio", "1"
    )
    assert code == 0, err
    assert "chosen C" in out
    assert "x0" in out
    code, out, err = _run(
        capsys, "fit", data, "--labels", labels, "--path", "--Cs", "4",
        "--l1-ratio", "0.5", "--plot", tmp_path / "path.png",
    )  # fmt: skip
    assert code == 0, err
    assert "regularization path" in out
    assert (tmp_path / "path.png").stat().st_size > 0


def _corrupt(path: Path) -> None:
    """Flip bytes inside the first member's compressed data (the CRC fails)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 40
    raw[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(raw))


def _bad_files(tmp_path: Path, X, y) -> dict[str, Path]:
    files = {}
    files["dense"] = tmp_path / "dense.npz"
    np.savez(files["dense"], X=X.toarray(), y=y)
    files["text"] = tmp_path / "text.npz"
    files["text"].write_text("not a zip archive")
    files["corrupt"] = tmp_path / "corrupt.npz"
    sp.save_npz(files["corrupt"], X, compressed=True)
    _corrupt(files["corrupt"])
    files["vector"] = tmp_path / "vector.npz"
    sp.save_npz(files["vector"], sp.coo_array(np.array([1.0, 0.0, 2.0])))
    files["empty"] = tmp_path / "empty.npz"
    sp.save_npz(files["empty"], sp.csr_matrix((0, 3)))
    files["complex"] = tmp_path / "complex.npz"
    sp.save_npz(files["complex"], (X * 1j).tocsr())
    files["nan"] = tmp_path / "nan.npz"
    bad = X.copy()
    bad.data[0] = np.nan
    sp.save_npz(files["nan"], bad)
    files["coo"] = tmp_path / "coo.npz"
    sp.save_npz(files["coo"], X.tocoo())
    files["object"] = tmp_path / "object.npy"
    np.save(files["object"], np.array(["a", None] * 200, dtype=object))
    files["table"] = tmp_path / "table.npy"
    np.save(files["table"], np.zeros((len(y), 2)))
    files["short"] = tmp_path / "short.npy"
    np.save(files["short"], y[:-1])
    files["gap"] = tmp_path / "gap.csv"
    pd.DataFrame({"y": np.where(np.arange(len(y)) == 5, np.nan, y)}).to_csv(
        files["gap"], index=False
    )
    files["json"] = tmp_path / "y.json"
    files["json"].write_text("[]")
    files["csv"] = tmp_path / "data.csv"
    pd.DataFrame({"a": [0.0, 1.0, 2.0], "y": [0, 1, 0]}).to_csv(
        files["csv"], index=False
    )
    return files


BAD_FIT = [
    ("no labels", ["X", "--C", "1"], r"--labels is required with a \.npz DATA"),
    ("short labels", ["X", "--labels", "short", "--C", "1"],
     r"--labels '.*short\.npy' has 399 labels; DATA has 400 rows"),
    ("dense npz", ["dense", "--labels", "y", "--C", "1"],
     r"DATA '.*dense\.npz' is not a scipy\.sparse \.npz file: it holds the arrays "
     r"\['X', 'y'\]"),
    ("not a zip", ["text", "--labels", "y", "--C", "1"],
     r"DATA '.*text\.npz' is not a \.npz file \(not a zip archive\)"),
    ("corrupt", ["corrupt", "--labels", "y", "--C", "1"],
     r"DATA '.*corrupt\.npz' is a corrupt scipy\.sparse \.npz file"),
    ("1-D", ["vector", "--labels", "y", "--C", "1"],
     r"DATA '.*vector\.npz' must hold a 2-D matrix; got shape \(3,\)"),
    ("empty", ["empty", "--labels", "y", "--C", "1"],
     r"DATA '.*empty\.npz' holds an empty matrix"),
    ("complex", ["complex", "--labels", "y", "--C", "1"],
     r"DATA '.*complex\.npz' must be numeric; got dtype complex128"),
    ("nan", ["nan", "--labels", "y", "--C", "1"],
     r"DATA '.*nan\.npz' has a missing or infinite value"),
    ("missing DATA", ["absent.npz", "--labels", "y", "--C", "1"],
     r"DATA 'absent\.npz' does not exist"),
    ("DATA a directory", ["dir", "--labels", "y", "--C", "1"],
     r"DATA '.*dir\.npz' is not a file"),
    ("missing labels file", ["X", "--labels", "absent.npy", "--C", "1"],
     r"--labels 'absent\.npy' does not exist"),
    ("labels suffix", ["X", "--labels", "json", "--C", "1"],
     r"--labels must be a \.npy, \.csv or \.txt file; got '.*y\.json'"),
    ("object labels", ["X", "--labels", "object", "--C", "1"],
     r"--labels '.*object\.npy' could not be read"),
    ("2-D labels", ["X", "--labels", "table", "--C", "1"],
     r"--labels '.*table\.npy' must hold one label per row \(one column\); got "
     r"shape \(400, 2\)"),
    ("missing label", ["X", "--labels", "gap", "--C", "1"],
     r"--labels '.*gap\.csv' has a missing label at row 5"),
    ("no such --target", ["X", "--labels", "gap", "--target", "z", "--C", "1"],
     r"--target 'z' is not a column of --labels '.*gap\.csv'"),
    ("unpenalized", ["X", "--labels", "y"],
     r"a \.npz DATA is fitted sparse, with a penalty: pass a finite --C"),
    ("scheduler", ["X", "--labels", "y", "--C", "1", "--scheduler", "tcp://x:1"],
     r"--scheduler applies to data read through Dask; a \.npz DATA"),
    ("too few names", ["X", "--labels", "y", "--C", "1", "--features", "a,b"],
     r"--features must give one name per column of a \.npz DATA \(12\); got 2"),
    ("twice a name", ["X", "--labels", "y", "--C", "1", "--features",
                      ",".join(["a"] * 12)],
     r"--features names a column twice"),
    ("CSV with --labels", ["csv", "--target", "y", "--labels", "y"],
     r"--target is required with a CSV or Parquet DATA \(--labels goes with"),
    ("CSV without --target", ["csv"],
     r"--target is required with a CSV or Parquet DATA"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "match"), [c[1:] for c in BAD_FIT],
                         ids=[c[0] for c in BAD_FIT])  # fmt: skip
def test_bad_input_is_an_error_naming_the_argument(capsys, tmp_path, seed, argv, match):
    X, y = _data(seed, 2)
    data, labels = _write(tmp_path, X, y)
    files = {"X": data, "y": labels, **_bad_files(tmp_path, X, y)}
    files["dir"] = tmp_path / "dir.npz"
    files["dir"].mkdir()
    resolved = [str(files.get(a, a)) for a in argv]
    code, out, err = _run(capsys, "fit", *resolved)
    assert code != 0
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert out == ""
    assert re.search(match, err), err


def test_coo_file_is_read_sparse(capsys, tmp_path, seed):
    X, y = _data(seed, 2)
    _, labels = _write(tmp_path, X, y)
    files = _bad_files(tmp_path, X, y)
    model = tmp_path / "m.json"
    code, _, err = _run(
        capsys, "fit", files["coo"], "--labels", labels, "--model", "logistic",
        "--C", "1", "--out", model,
    )  # fmt: skip
    assert code == 0, err
    np.testing.assert_allclose(
        load_model(model).coef_, _sk(X, y, C=1.0).coef_, atol=1e-5
    )


def test_predict_errors(capsys, tmp_path, seed):
    X, y = _data(seed, 2)
    data, labels = _write(tmp_path, X, y)
    model = tmp_path / "m.json"
    assert (
        _run(capsys, "fit", data, "--labels", labels, "--C", "1", "--out", model)[0]
        == 0
    )
    narrow = tmp_path / "narrow.npz"
    sp.save_npz(narrow, X[:, :5])
    code, _, err = _run(capsys, "predict", model, narrow)
    assert code != 0
    assert "error: DATA has 5 columns; the model expects 12 features." in err
    code, _, err = _run(capsys, "predict", model, data, "--keep", "id")
    assert code != 0
    assert "error: --keep names columns of a CSV DATA; a .npz DATA has none." in err
