"""`softlogit fit` and `softlogit predict`, run in-process through main()."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from softlogit import SoftmaxRegression, load_model
from softlogit._cli import main


def _frame(rng: np.random.Generator, n: int = 200, k: int = 3) -> pd.DataFrame:
    X = rng.normal(size=(n, 2))
    W = rng.normal(size=(k, 2))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, k)), axis=1)
    names = np.array(["ant", "bee", "cat", "dog"])[:k]
    return pd.DataFrame({"size": X[:, 0], "speed": X[:, 1], "kind": names[y]})


@pytest.fixture
def csv(tmp_path: Path, rng: np.random.Generator) -> Path:
    path = tmp_path / "data.csv"
    _frame(rng).to_csv(path, index=False)
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    assert err.startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_fit_prints_the_summary_and_saves(
    capsys: pytest.CaptureFixture[str], csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model.json"
    code, stdout, err = _run(
        capsys,
        "fit",
        str(csv),
        "--target",
        "kind",
        "--gauge",
        "reference",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert "gauge: reference, class 'ant'" in stdout
    assert "std err" in stdout
    assert "speed" in stdout
    assert "saved SoftmaxRegression" in err
    # The saved model is the MLE: it matches statsmodels' MNLogit (reference = first).
    frame = pd.read_csv(csv)
    model = load_model(out)
    codes = pd.Categorical(frame["kind"]).codes
    ref = sm.MNLogit(codes, sm.add_constant(frame[["size", "speed"]].to_numpy())).fit(
        disp=0, method="newton", tol=1e-12
    )
    fitted = np.column_stack([model.intercept_, model.coef_])[1:]
    np.testing.assert_allclose(fitted.T, ref.params, rtol=1e-5, atol=1e-7)
    assert f"{model.summary().log_likelihood:.6g}" in stdout
    assert model.feature_names_in_.tolist() == ["size", "speed"]


def test_fit_logistic_and_penalized(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rng: np.random.Generator
) -> None:
    path = tmp_path / "two.csv"
    _frame(rng, k=2).to_csv(path, index=False)
    code, stdout, err = _run(
        capsys, "fit", str(path), "--target", "kind", "--model", "logistic"
    )
    assert code == 0, err
    assert "LogisticRegression — unpenalized MLE" in stdout
    code, stdout, err = _run(capsys, "fit", str(path), "--target", "kind", "--C", "0.5")
    assert code == 0, err
    assert "C=0.5" in stdout
    assert "penalized fit: coefficients only" in stdout
    assert "std err" not in stdout


def test_fit_raw_gauge_reports_the_centered_table(
    capsys: pytest.CaptureFixture[str], csv: Path
) -> None:
    code, stdout, _ = _run(
        capsys, "fit", str(csv), "--target", "kind", "--gauge", "none"
    )
    assert code == 0
    assert "gauge 'none' is not identified" in stdout
    assert "gauge: centered" in stdout


def test_predict_writes_probabilities(
    capsys: pytest.CaptureFixture[str], csv: Path, tmp_path: Path
) -> None:
    model_path = tmp_path / "m.json"
    assert main(["fit", str(csv), "--target", "kind", "--out", str(model_path)]) == 0
    pred = tmp_path / "pred.csv"
    # columns reordered and an extra identifier column: found by name
    frame = pd.read_csv(csv)
    shuffled = frame[["kind", "speed", "size"]].assign(id=range(len(frame)))
    data = tmp_path / "new.csv"
    shuffled.to_csv(data, index=False)
    capsys.readouterr()
    code, _, err = _run(
        capsys, "predict", str(model_path), str(data), "--out", str(pred)
    )
    assert code == 0, err
    result = pd.read_csv(pred)
    # every column that is not a feature is carried through (--keep's default)
    assert list(result.columns) == [
        "kind",
        "id",
        "proba_ant",
        "proba_bee",
        "proba_cat",
        "predicted",
    ]
    assert result["id"].tolist() == list(range(len(frame)))
    assert result["kind"].tolist() == frame["kind"].tolist()
    result = result.drop(columns=["kind", "id"])
    # an independent fit on the same data gives the same probabilities
    direct = SoftmaxRegression(C=np.inf, tol=1e-8).fit(
        frame[["size", "speed"]], frame["kind"]
    )
    expected = direct.predict_proba(frame[["size", "speed"]])
    np.testing.assert_allclose(result.iloc[:, :3].to_numpy(), expected, rtol=1e-9)
    # and exactly the saved model's (CSV floats are written to round-trip)
    exact = load_model(model_path).predict_proba(frame[["size", "speed"]])
    assert np.array_equal(result.iloc[:, :3].to_numpy(), exact)
    assert (
        result["predicted"].tolist()
        == direct.predict(frame[["size", "speed"]]).tolist()
    )
    # to standard output when --out is absent
    code, stdout, _ = _run(capsys, "predict", str(model_path), str(data))
    assert code == 0
    assert stdout.splitlines()[0] == "kind,id,proba_ant,proba_bee,proba_cat,predicted"
    assert len(stdout.splitlines()) == len(frame) + 1


def test_outputs_are_never_clobbered_without_force(
    capsys: pytest.CaptureFixture[str], csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "m.json"
    out.write_text("keep me", encoding="utf-8")
    code, _, err = _run(capsys, "fit", str(csv), "--target", "kind", "--out", str(out))
    _assert_error(code, err, "already exists", "--force")
    assert out.read_text(encoding="utf-8") == "keep me"
    code, _, err = _run(
        capsys, "fit", str(csv), "--target", "kind", "--out", str(out), "--force"
    )
    assert code == 0, err
    pred = tmp_path / "p.csv"
    pred.write_text("old", encoding="utf-8")
    code, _, err = _run(capsys, "predict", str(out), str(csv), "--out", str(pred))
    _assert_error(code, err, "already exists")
    assert pred.read_text(encoding="utf-8") == "old"
    assert main(["predict", str(out), str(csv), "--out", str(pred), "--force"]) == 0
    assert pred.read_text(encoding="utf-8").startswith("kind,proba_ant")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "m.json", "p.csv"]


def test_failed_fit_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Separable data: the unpenalized fit fails and no model file appears."""
    path = tmp_path / "sep.csv"
    pd.DataFrame({"x": [-2.0, -1.0, 1.0, 2.0], "y": [0, 0, 1, 1]}).to_csv(
        path, index=False
    )
    out = tmp_path / "m.json"
    code, _, err = _run(capsys, "fit", str(path), "--target", "y", "--out", str(out))
    _assert_error(code, err, "completely separated", "--C 1", "--C inf")
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "argv", "fragments"),
    [
        (None, ["--target", "kind"], ["does not exist"]),
        ("", ["--target", "kind"], ["is empty"]),
        ("a,kind\n", ["--target", "kind"], ["no data rows"]),
        ("a,kind\n1,x\n2,y\n", ["--target", "nope"], ["--target 'nope'", "'a'"]),
        (
            "a,b,kind\n1,red,x\n2,blue,y\n",
            ["--target", "kind"],
            ["column 'b'", "not numeric", "'red'", "line 2"],
        ),
        (
            "a,kind\n1,x\n,y\n3,x\n",
            ["--target", "kind"],
            ["column 'a'", "missing value", "line 3"],
        ),
        ("a,kind\n1,x\ninf,y\n", ["--target", "kind"], ["infinite value", "line 3"]),
        ("a,kind\n1,x\n2,\n", ["--target", "kind"], ["target column 'kind'", "line 3"]),
        ("a,kind\n1,x\n2,x\n", ["--target", "kind"], ["single class"]),
        ("kind\nx\ny\n", ["--target", "kind"], ["no feature column"]),
        ("a,kind\n1,x\n2,y\n", ["--target", "kind", "--C", "abc"], ["--C must be"]),
        ("a,kind\n1,x\n2,y\n", ["--target", "kind", "--C", "-1"], ["got '-1'"]),
        ("a,kind\n1,x\n2,y\n", ["--target", "kind", "--C", "nan"], ["--C must be"]),
        ("a,kind\n1,x\n2,y\n", ["--target", "kind", "--alpha", "2"], ["--alpha"]),
        (
            "a,kind\n1,x\n2,y\n3,z\n",
            ["--target", "kind", "--model", "logistic"],
            ["exactly 2 classes"],
        ),
        (
            "a,kind\n1,x\n2,y\n",
            ["--target", "kind", "--model", "logistic", "--gauge", "centered"],
            ["--model softmax only"],
        ),
        (
            "a,kind\n1,x\n2,y\n",
            ["--target", "kind", "--reference", "q"],
            ["--reference must be one of the classes (x, y)"],
        ),
        (
            "a,kind\n1,x\n2,y\n",
            ["--target", "kind", "--reference", "x", "--gauge", "centered"],
            ["--reference needs"],
        ),
        ("a,kind\n1,x\n2,y\n", ["--target", "kind", "--tol", "0"], ["--tol"]),
        ("a,kind\n1,x\n2,y\n", ["--target", "kind", "--max-iter", "0"], ["--max-iter"]),
    ],
    ids=[
        "missing-file",
        "empty",
        "header-only",
        "no-target",
        "non-numeric",
        "nan",
        "inf",
        "nan-target",
        "one-class",
        "no-features",
        "C-text",
        "C-negative",
        "C-nan",
        "alpha",
        "logistic-3",
        "gauge-logistic",
        "bad-reference",
        "reference-centered",
        "tol",
        "max-iter",
    ],
)
def test_fit_input_errors(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: str | None,
    argv: list[str],
    fragments: list[str],
) -> None:
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, _, err = _run(capsys, "fit", str(path), *argv)
    _assert_error(code, err, *fragments)


def test_fit_rejects_a_directory_and_missing_out_directory(
    capsys: pytest.CaptureFixture[str], csv: Path, tmp_path: Path
) -> None:
    code, _, err = _run(capsys, "fit", str(tmp_path), "--target", "kind")
    _assert_error(code, err, "is not a file")
    missing = tmp_path / "no" / "m.json"
    code, _, err = _run(
        capsys, "fit", str(csv), "--target", "kind", "--out", str(missing)
    )
    _assert_error(code, err, "does not exist")


def test_predict_errors(
    capsys: pytest.CaptureFixture[str], csv: Path, tmp_path: Path
) -> None:
    model = tmp_path / "m.json"
    code, _, err = _run(capsys, "predict", str(model), str(csv))
    _assert_error(code, err, "MODEL", "does not exist")
    model.write_text('{"format": "pickle"}', encoding="utf-8")
    code, _, err = _run(capsys, "predict", str(model), str(csv))
    _assert_error(code, err, "field `format`")
    model.unlink()
    assert main(["fit", str(csv), "--target", "kind", "--out", str(model)]) == 0
    capsys.readouterr()
    other = tmp_path / "other.csv"
    other.write_text("size,weight\n1,2\n", encoding="utf-8")
    code, _, err = _run(capsys, "predict", str(model), str(other))
    _assert_error(code, err, "lacks the feature column(s) ['speed']")
    other.write_text("size,speed\n1,oops\n", encoding="utf-8")
    code, _, err = _run(capsys, "predict", str(model), str(other))
    _assert_error(code, err, "column 'speed'", "not numeric", "line 2")


def test_solver_warnings_become_warning_lines(
    capsys: pytest.CaptureFixture[str], csv: Path
) -> None:
    code, stdout, err = _run(
        capsys, "fit", str(csv), "--target", "kind", "--max-iter", "1", "--C", "1"
    )
    assert code == 0
    assert err.startswith("warning: SoftmaxRegression did not converge")
    assert "Traceback" not in err
    assert "penalized fit" in stdout


def test_predict_with_a_model_fitted_without_feature_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rng: np.random.Generator
) -> None:
    frame = _frame(rng)
    X = frame[["size", "speed"]].to_numpy()
    model = SoftmaxRegression(C=1.0).fit(X, frame["kind"].to_numpy())
    path = model.save(tmp_path / "m.json")
    data = tmp_path / "x.csv"
    frame[["size", "speed"]].to_csv(data, index=False)
    code, stdout, err = _run(capsys, "predict", str(path), str(data))
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0] == "proba_ant,proba_bee,proba_cat,predicted"
    first = np.array([float(v) for v in lines[1].split(",")[:3]])
    np.testing.assert_array_equal(first, model.predict_proba(X[:1])[0])
    frame.to_csv(data, index=False)  # three columns for a two-feature model
    code, _, err = _run(capsys, "predict", str(path), str(data))
    _assert_error(code, err, "has 3 columns; the model expects 2 features")


def test_features_option_selects_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rng: np.random.Generator
) -> None:
    frame = _frame(rng).assign(id=lambda f: [f"row{i}" for i in range(len(f))])
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    code, _, err = _run(capsys, "fit", str(path), "--target", "kind")
    _assert_error(code, err, "column 'id'", "not numeric", "'row0'", "line 2")
    model = tmp_path / "m.json"
    code, stdout, err = _run(
        capsys,
        "fit",
        str(path),
        "--target",
        "kind",
        "--features",
        "speed, size",
        "--out",
        str(model),
    )
    assert code == 0, err
    assert load_model(model).feature_names_in_.tolist() == ["speed", "size"]
    code, stdout, err = _run(capsys, "predict", str(model), str(path))
    assert code == 0, err
    assert len(stdout.splitlines()) == len(frame) + 1
    for value, fragment in [
        ("size,nope", "not found: ['nope']"),
        ("size,kind", "must not include --target 'kind'"),
        ("size,size", "names a column twice"),
        (",", "not found: []"),
    ]:
        code, _, err = _run(
            capsys, "fit", str(path), "--target", "kind", "--features", value
        )
        _assert_error(code, err, fragment)


@pytest.fixture
def fitted(csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    model_path = tmp_path / "m.json"
    assert main(["fit", str(csv), "--target", "kind", "--out", str(model_path)]) == 0
    capsys.readouterr()
    return model_path


def _with_ids(csv: Path, tmp_path: Path) -> Path:
    """DATA with identifiers a parser would change: leading zeros and dates."""
    frame = pd.read_csv(csv)
    n = len(frame)
    lines = ["id,size,date,speed"] + [
        f"{k:03d},{float(frame['size'][k])!r},2024-01-{k % 28 + 1:02d},{float(frame['speed'][k])!r}"
        for k in range(n)
    ]
    path = tmp_path / "ids.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_predict_keeps_identifiers_exactly_as_written(
    fitted: Path, csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _with_ids(csv, tmp_path)
    code, out, err = _run(
        capsys, "predict", str(fitted), str(data), "--keep", "date,id"
    )
    assert code == 0, err
    header, first = out.splitlines()[:2]
    assert header == "date,id,proba_ant,proba_bee,proba_cat,predicted"
    assert first.startswith("2024-01-01,000,")  # the text of the file, not 0
    # the probabilities are the model's on the feature columns
    frame = pd.read_csv(csv)
    expected = load_model(fitted).predict_proba(frame[["size", "speed"]])
    got = pd.read_csv(io.StringIO(out), dtype={"id": str})
    np.testing.assert_array_equal(got.iloc[:, 2:5].to_numpy(), expected)
    assert got["id"].tolist() == [f"{k:03d}" for k in range(len(frame))]
    # the default keeps every non-feature column, in the file's order
    code, out, _ = _run(capsys, "predict", str(fitted), str(data))
    assert out.splitlines()[0].startswith("id,date,proba_ant")
    code, out, _ = _run(capsys, "predict", str(fitted), str(data), "--keep", "none")
    assert out.splitlines()[0] == "proba_ant,proba_bee,proba_cat,predicted"


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        ("id,nope", r"--keep must name columns of DATA .*not found: \['nope'\]"),
        ("id,id", r"--keep names a column twice: 'id,id'"),
    ],
)
def test_predict_keep_refuses_bad_names(
    fitted: Path,
    csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    keep: str,
    message: str,
) -> None:
    data = _with_ids(csv, tmp_path)
    code, out, err = _run(capsys, "predict", str(fitted), str(data), "--keep", keep)
    assert code == 2
    assert out == ""
    assert re.search(message, err), err


def test_predict_refuses_a_kept_column_named_like_an_output(
    fitted: Path, csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(csv).assign(predicted="old")
    data = tmp_path / "again.csv"
    frame.to_csv(data, index=False)
    code, _, err = _run(capsys, "predict", str(fitted), str(data))
    assert code == 2
    assert "['predicted'] would be kept under the name of a prediction column" in err
    code, out, _ = _run(capsys, "predict", str(fitted), str(data), "--keep", "kind")
    assert code == 0
    assert out.splitlines()[0] == "kind,proba_ant,proba_bee,proba_cat,predicted"


def test_predict_json_is_one_document(
    fitted: Path, csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _with_ids(csv, tmp_path)
    code, out, err = _run(
        capsys, "predict", str(fitted), str(data), "--keep", "id", "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["format"] == "softlogit.predictions"
    assert doc["classes"] == ["ant", "bee", "cat"]
    assert doc["kept"] == ["id"]
    frame = pd.read_csv(csv)
    model = load_model(fitted)
    proba = model.predict_proba(frame[["size", "speed"]])
    labels = model.predict(frame[["size", "speed"]])
    assert doc["n_rows"] == len(frame) == len(doc["rows"])
    for k, row in enumerate(doc["rows"]):
        assert row["id"] == f"{k:03d}"
        assert [row["proba"][c] for c in ("ant", "bee", "cat")] == proba[k].tolist()
        assert row["predicted"] == labels[k]
    assert doc["warnings"] == []


def test_predict_keep_and_json_through_dask_equal_in_memory(
    fitted: Path, csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _with_ids(csv, tmp_path)  # ids.csv: as a glob, it goes through Dask
    pattern = str(data.parent / "ids*.csv")
    for extra in (["--keep", "date,id"], [], ["--keep", "id", "--json"]):
        code, memory, err = _run(capsys, "predict", str(fitted), str(data), *extra)
        assert code == 0, err
        code, dask, err = _run(capsys, "predict", str(fitted), pattern, *extra)
        assert code == 0, err
        if "--json" in extra:
            memory_doc, dask_doc = json.loads(memory), json.loads(dask)
            assert dask_doc == memory_doc
            assert dask_doc["rows"][0]["id"] == "000"
        else:
            assert dask == memory  # identifiers as written: 000 stays 000


def test_fit_json_is_one_document_matching_statsmodels(
    csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.json"
    code, stdout, err = _run(
        capsys, "fit", str(csv), "--target", "kind", "--json", "--out", str(out)
    )
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["format"] == "softlogit.fit"
    assert doc["model"] == "SoftmaxRegression"
    assert doc["classes"] == ["ant", "bee", "cat"]
    assert doc["features"] == ["size", "speed"]
    assert doc["saved"] == str(out)
    assert doc["convergence"]["converged"] is True
    assert doc["convergence"]["n_iter"] >= 1
    assert doc["warnings"] == []
    coefficients = doc["coefficients"]
    assert coefficients["terms"] == ["intercept", "size", "speed"]
    model = load_model(out)
    values = np.array(coefficients["values"])
    np.testing.assert_array_equal(values[:, 1:], model.coef_)
    np.testing.assert_array_equal(values[:, 0], model.intercept_)
    # the summary's standard errors in the reference gauge equal statsmodels' MNLogit
    frame = pd.read_csv(csv)
    reference = _run(
        capsys, "fit", str(csv), "--target", "kind", "--reference", "ant", "--json"
    )[1]
    table = json.loads(reference)["summary"]["table"]
    codes = frame["kind"].map({"ant": 0, "bee": 1, "cat": 2})
    fitted = sm.MNLogit(codes, sm.add_constant(frame[["size", "speed"]])).fit(
        disp=0, method="newton", maxiter=200, tol=1e-12
    )
    for row in table:
        e = ["bee", "cat"].index(row["equation"])
        term = "const" if row["term"] == "intercept" else row["term"]
        assert row["coef"] == pytest.approx(fitted.params.loc[term, e], rel=1e-5)
        assert row["std_err"] == pytest.approx(fitted.bse.loc[term, e], rel=1e-5)


def test_fit_json_of_a_penalized_fit_has_no_summary(
    csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, err = _run(
        capsys, "fit", str(csv), "--target", "kind", "--C", "1", "--json"
    )
    assert code == 0, err
    assert err == ""  # everything is in the document
    doc = json.loads(stdout)
    assert doc["summary"] is None
    assert doc["params"]["C"] == 1.0
    assert doc["saved"] is None
