"""Standardized features: `softlogit fit --standardize`, StandardizedModel, format 2.

References: scikit-learn's StandardScaler and make_pipeline(StandardScaler(),
LogisticRegression(...)) for the scaling and the probabilities, statsmodels' Logit on
features standardized here with NumPy for the unpenalized coefficients and standard
errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import statsmodels.api as sm
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from softlogit import (
    InputTypeError,
    InputValueError,
    LogisticRegression,
    SoftmaxRegression,
    StandardizedModel,
    load_model,
)
from softlogit._scaling import Scaling

FEATURES = ["radius", "texture", "perimeter", "area", "smoothness"]


def _cancer() -> pd.DataFrame:
    """Five features of the breast-cancer data, an identifier and the target."""
    data = load_breast_cancer()
    frame = pd.DataFrame(data.data[:, :5], columns=FEATURES)
    frame.insert(0, "id", [f"p{i:04d}" for i in range(len(frame))])
    frame["diagnosis"] = data.target
    return frame


def _iris() -> pd.DataFrame:
    data = load_iris()
    frame = pd.DataFrame(data.data, columns=["sl", "sw", "pl", "pw"])
    frame["species"] = np.array(["setosa", "versicolor", "virginica"])[data.target]
    return frame


def _refused(code: int, err: str, fragment: str) -> None:
    """A CLI error: exit code 2, one ``error: ...`` line naming ``fragment``."""
    assert (code, err[:7], "Traceback" in err) == (2, "error: ", False), err
    assert fragment in err, err


def _sklearn_pipeline(X: pd.DataFrame, y: Any, C: float) -> Any:
    model = SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12)
    return make_pipeline(StandardScaler(), model).fit(X, y)


# ------------------------------------------------------------------- Scaling
@pytest.mark.parametrize("weighted", [False, True])
def test_scaling_equals_standard_scaler(
    rng: np.random.Generator, weighted: bool
) -> None:
    X = rng.normal(loc=[0.0, 5.0, -3.0], scale=[1.0, 0.01, 40.0], size=(50, 3))
    X[:, 1] = 7.25  # a constant column: centred, scale 1
    w = rng.uniform(0.2, 3.0, size=50) if weighted else None
    scaler = StandardScaler().fit(X, sample_weight=w)
    scaling = Scaling.fit(X, w)
    np.testing.assert_allclose(scaling.mean, scaler.mean_, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(scaling.scale, scaler.scale_, rtol=1e-13)
    assert scaling.scale[1] == 1.0
    np.testing.assert_allclose(
        scaling.transform(X), scaler.transform(X), rtol=1e-12, atol=1e-12
    )
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    assert Scaling.fit(frame).features == ("a", "b", "c")
    assert list(Scaling.fit(frame).transform(frame).columns) == ["a", "b", "c"]


def test_scaling_checks_its_arrays() -> None:
    scaling = Scaling.fit(np.eye(3))
    with pytest.raises(InputValueError, match=r"`X` must have 3 feature columns"):
        scaling.transform(np.ones((2, 4)))
    with pytest.raises(InputValueError, match=r"got shape \(3,\)"):
        scaling.transform(np.ones(3))
    with pytest.raises(InputValueError, match=r"got shape \(2, 2\)"):
        scaling.transform(pd.DataFrame(np.ones((2, 2))))
    with pytest.raises(InputValueError, match="`mean` and `scale` must be 1-D"):
        Scaling(mean=np.zeros(2), scale=np.ones(3))
    with pytest.raises(InputValueError, match="`features` must name 2 features"):
        Scaling(mean=np.zeros(2), scale=np.ones(2), features=("a",))


# ---------------------------------------------------------- StandardizedModel
def test_standardized_model_equals_the_sklearn_pipeline(
    rng: np.random.Generator,
) -> None:
    frame = _iris()
    X, y = frame[["sl", "sw", "pl", "pw"]], frame["species"]
    w = rng.uniform(0.5, 2.0, size=len(y))
    model = StandardizedModel(SoftmaxRegression(C=0.5, tol=1e-12))
    model.fit(X, y, sample_weight=w)
    reference = make_pipeline(
        StandardScaler(),
        SkLogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12),
    ).fit(X, y, standardscaler__sample_weight=w, logisticregression__sample_weight=w)
    np.testing.assert_allclose(
        model.predict_proba(X), reference.predict_proba(X), rtol=0, atol=1e-8
    )
    assert model.predict(X).tolist() == reference.predict(X).tolist()
    np.testing.assert_allclose(
        model.decision_function(X) - model.decision_function(X).mean(1, keepdims=True),
        reference.decision_function(X)
        - reference.decision_function(X).mean(1, keepdims=True),
        atol=1e-6,
    )
    np.testing.assert_allclose(
        np.exp(model.predict_log_proba(X)), model.predict_proba(X), rtol=1e-12
    )
    assert model.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert list(model.feature_names_in_) == ["sl", "sw", "pl", "pw"]
    assert model.n_features_in_ == 4
    assert model.coef_.shape == (3, 4)
    assert model.intercept_.shape == (3,)


def test_standardized_model_refuses_what_it_cannot_standardize() -> None:
    y = [0, 1, 0, 1]
    model = StandardizedModel(LogisticRegression())
    with pytest.raises(InputTypeError, match="`X` must be dense for Standardized"):
        model.fit(sp.csr_matrix(np.eye(4)), y)
    with pytest.raises(InputTypeError, match="`estimator` must be a LogisticRegr"):
        StandardizedModel().fit(np.eye(4), y)
    with pytest.raises(InputValueError, match=r"`X` must be 2-D; got shape \(4,\)"):
        model.fit(np.arange(4.0), y)
    with pytest.raises(InputValueError, match="`X` contains NaN at row 1"):
        model.fit(np.array([[0.0], [np.nan], [1.0], [2.0]]), y)
    with pytest.raises(InputValueError, match=r"`X` column 'b' .* must be numeric"):
        model.fit(pd.DataFrame({"a": [1.0, 2, 3, 4], "b": list("wxyz")}), y)
    with pytest.raises(InputValueError, match="`sample_weight` must have a positive"):
        model.fit(np.eye(4), y, sample_weight=np.zeros(4))
    dask_array = pytest.importorskip("dask.array")
    with pytest.raises(InputTypeError, match="`X` must be in memory"):
        model.fit(dask_array.from_array(np.eye(4)), y)


def test_a_fitted_model_predicts_dask_data_lazily() -> None:
    da = pytest.importorskip("dask.array")
    dd = pytest.importorskip("dask.dataframe")
    frame = _cancer()
    for X, lazy in (
        (frame[FEATURES].to_numpy(), da.from_array(frame[FEATURES].to_numpy(), 100)),
        (frame[FEATURES], dd.from_pandas(frame[FEATURES], npartitions=3)),
    ):
        model = StandardizedModel(LogisticRegression(C=1.0)).fit(X, frame["diagnosis"])
        got = model.predict_proba(lazy)
        assert hasattr(got, "__dask_graph__")  # not computed yet
        np.testing.assert_allclose(np.asarray(got), model.predict_proba(X), rtol=1e-12)


def test_from_fitted_refuses_a_scaling_of_other_features() -> None:
    frame = _cancer()
    estimator = LogisticRegression().fit(frame[FEATURES], frame["diagnosis"])
    scaling = Scaling.fit(frame[FEATURES])
    model = StandardizedModel.from_fitted(estimator, scaling)
    assert model.scaling_ is scaling
    assert model.estimator_ is estimator
    with pytest.raises(InputValueError, match="`scaling` must describe the estim"):
        StandardizedModel.from_fitted(estimator, Scaling.fit(frame[FEATURES[:4]]))
    with pytest.raises(InputValueError, match="`scaling` must describe the estim"):
        StandardizedModel.from_fitted(estimator, Scaling.fit(frame[FEATURES].values))


def test_summary_says_what_the_coefficients_refer_to() -> None:
    frame = _cancer()
    model = StandardizedModel(LogisticRegression(C=np.inf))
    model.fit(frame[FEATURES], frame["diagnosis"])
    summary = model.summary()
    assert summary.standardized
    note = "coefficients refer to standardized features"
    assert note in summary.to_text(width=200)
    assert note in summary._repr_html_()
    plain = LogisticRegression(C=np.inf).fit(frame[FEATURES], frame["diagnosis"])
    assert not plain.summary().standardized
    assert note not in plain.summary().to_text(width=200)
    assert note not in plain.summary()._repr_html_()


# --------------------------------------------------------------- model files
def test_python_round_trip_applies_the_scaling(tmp_path: Path) -> None:
    frame = _cancer()
    X, y = frame[FEATURES], frame["diagnosis"]
    model = StandardizedModel(LogisticRegression(C=1.0, tol=1e-12)).fit(X, y)
    path = model.save(tmp_path / "m.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format_version"] == 2
    assert doc["scaling"]["features"] == FEATURES
    np.testing.assert_array_equal(doc["scaling"]["mean"], X.to_numpy().mean(axis=0))
    loaded = load_model(path)
    assert isinstance(loaded, StandardizedModel)
    assert loaded.predict_proba(X).tobytes() == model.predict_proba(X).tobytes()
    reference = _sklearn_pipeline(X, y, C=1.0)
    np.testing.assert_allclose(
        loaded.predict_proba(X), reference.predict_proba(X), rtol=0, atol=1e-8
    )
    # the estimator alone would predict from raw features: refused
    with pytest.raises(InputValueError, match=r"load it with softlogit\.load_model"):
        LogisticRegression.load(path)


def test_version_1_files_load_unchanged(tmp_path: Path) -> None:
    frame = _cancer()
    X, y = frame[FEATURES], frame["diagnosis"]
    model = LogisticRegression(C=0.5).fit(X, y)
    path = model.save(tmp_path / "v1.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format_version"] == 1
    assert "scaling" not in doc
    loaded = load_model(path)
    assert type(loaded) is LogisticRegression
    assert loaded.predict_proba(X).tobytes() == model.predict_proba(X).tobytes()
    # version 1 knows no scaling field; version 2 reads "scaling": null as none
    doc["scaling"] = None
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputValueError, match=r"unknown field\(s\) \['scaling'\]"):
        load_model(path)
    doc["format_version"] = 2
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert type(load_model(path)) is LogisticRegression


def _scaled_doc(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    frame = _cancer()
    model = StandardizedModel(LogisticRegression(C=1.0))
    path = model.fit(frame[FEATURES], frame["diagnosis"]).save(tmp_path / "m.json")
    return path, json.loads(path.read_text(encoding="utf-8"))


MALFORMED = {
    "not-an-object": (lambda s: [1, 2], r"field `scaling` must be null or an object"),
    "missing-key": (lambda s: {"mean": s["mean"], "scale": s["scale"]}, "`scaling`"),
    "short-mean": (lambda s: {**s, "mean": s["mean"][:-1]}, "`scaling.mean` must be a"),
    "long-scale": (lambda s: {**s, "scale": [*s["scale"], 1.0]}, "`scaling.scale`"),
    "zero-scale": (
        lambda s: {**s, "scale": [0.0] * 5},
        r"`scaling.scale` must be made",
    ),
    "negative-scale": (
        lambda s: {**s, "scale": [-1.0] * 5},
        r"`scaling.scale` must be made of numbers > 0",
    ),
    "infinite-mean": (
        lambda s: {**s, "mean": [1e999] * 5},
        "`scaling.mean` must be made of finite numbers",
    ),
    "text-scale": (lambda s: {**s, "scale": ["1"] * 5}, "`scaling.scale` must be made"),
    "2-d-mean": (lambda s: {**s, "mean": [s["mean"]]}, "`scaling.mean` must be made"),
    "features": (
        lambda s: {**s, "features": ["a", "b", "c", "d", "e"]},
        "`scaling.features` must be the 5 feature names",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_scaling_is_refused_naming_the_field(
    tmp_path: Path, case: str
) -> None:
    path, doc = _scaled_doc(tmp_path)
    edit, message = MALFORMED[case]
    doc["scaling"] = edit(doc["scaling"])
    # 1e999 is how JSON writes a number that overflows to infinity
    path.write_text(json.dumps(doc).replace("Infinity", "1e999"), encoding="utf-8")
    with pytest.raises(InputValueError, match=message):
        load_model(path)


# ---------------------------------------------------------------------- CLI
@pytest.mark.parametrize(
    ("data", "target", "kind", "C"),
    [("cancer", "diagnosis", "logistic", "1"), ("iris", "species", "softmax", "0.3")],
)
def test_cli_round_trip_equals_the_sklearn_pipeline(
    tmp_path: Path,
    run_cli: Any,
    data: str,
    target: str,
    kind: str,
    C: str,
) -> None:
    frame = _cancer() if data == "cancer" else _iris()
    features = [c for c in frame.columns if c not in ("id", target)]
    csv, model_path, out = tmp_path / "d.csv", tmp_path / "m.json", tmp_path / "p.csv"
    frame.to_csv(csv, index=False)
    code, _, err = run_cli(
        "fit", str(csv), "--target", target, "--features", ",".join(features),
        "--model", kind, "--C", C, "--tol", "1e-12", "--standardize",
        "--out", str(model_path),
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run_cli("predict", str(model_path), str(csv), "--out", str(out))
    assert code == 0, err
    predicted = pd.read_csv(out, dtype={"id": str})
    reference = _sklearn_pipeline(frame[features], frame[target], C=float(C))
    proba = reference.predict_proba(frame[features])
    columns = [f"proba_{c}" for c in reference.classes_]
    assert np.max(np.abs(predicted[columns].to_numpy() - proba)) <= 1e-8
    assert (
        predicted["predicted"].tolist() == reference.predict(frame[features]).tolist()
    )
    if data == "cancer":  # identifiers carried through
        assert predicted["id"].tolist() == frame["id"].tolist()


def test_cli_unpenalized_fit_equals_statsmodels_on_standardized_features(
    tmp_path: Path, run_cli: Any
) -> None:
    frame = _cancer()
    csv = tmp_path / "d.csv"
    frame.to_csv(csv, index=False)
    code, stdout, err = run_cli(
        "fit", str(csv), "--target", "diagnosis", "--features",
        ",".join(FEATURES), "--model", "logistic", "--standardize", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(stdout)
    raw = frame[FEATURES].to_numpy()
    mean, sd = raw.mean(axis=0), raw.std(axis=0)  # population sd (ddof=0)
    assert doc["scaling"]["features"] == FEATURES
    np.testing.assert_allclose(doc["scaling"]["mean"], mean, rtol=1e-14)
    np.testing.assert_allclose(doc["scaling"]["scale"], sd, rtol=1e-13)
    assert "standardized features" in doc["scaling"]["note"]
    assert doc["summary"]["standardized"] is True
    Z = pd.DataFrame((raw - mean) / sd, columns=FEATURES)
    fitted = sm.Logit(frame["diagnosis"], sm.add_constant(Z)).fit(
        disp=0, method="newton", maxiter=100, tol=1e-12
    )
    for row in doc["summary"]["table"]:
        term = "const" if row["term"] == "intercept" else row["term"]
        assert row["coef"] == pytest.approx(fitted.params[term], rel=1e-9)
        assert row["std_err"] == pytest.approx(fitted.bse[term], rel=1e-9)
    # the terminal table says it too
    code, stdout, _ = run_cli(
        "fit", str(csv), "--target", "diagnosis", "--features",
        ",".join(FEATURES), "--model", "logistic", "--standardize",
    )  # fmt: skip
    assert code == 0
    assert "coefficients refer to standardized features" in stdout


def test_cli_json_without_standardize_has_no_scaling(
    tmp_path: Path, run_cli: Any
) -> None:
    csv = tmp_path / "d.csv"
    _cancer().to_csv(csv, index=False)
    code, stdout, err = run_cli(
        "fit", str(csv), "--target", "diagnosis", "--features",
        ",".join(FEATURES), "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["scaling"] is None
    assert doc["summary"]["standardized"] is False


def test_cli_penalized_table_and_path_say_standardized(
    tmp_path: Path, run_cli: Any
) -> None:
    csv = tmp_path / "d.csv"
    _iris().to_csv(csv, index=False)
    note = "note: coefficients refer to standardized features"
    common = ("fit", str(csv), "--target", "species", "--standardize")
    code, stdout, err = run_cli(*common, "--C", "1")
    assert code == 0, err
    assert note in stdout
    code, stdout, err = run_cli(*common, "--path", "--Cs", "5")
    assert code == 0, err
    assert stdout.startswith(note)
    code, stdout, _ = run_cli("fit", str(csv), "--target", "species", "--C", "1")
    assert note not in stdout


def test_cli_refuses_standardize_with_cv_and_convert_of_scaled_models(
    tmp_path: Path, run_cli: Any
) -> None:
    csv, model_path = tmp_path / "d.csv", tmp_path / "m.json"
    _iris().to_csv(csv, index=False)
    code, _, err = run_cli(
        "fit", str(csv), "--target", "species", "--standardize", "--cv", "3"
    )
    _refused(code, err, "--standardize cannot be used with --cv")
    code, _, err = run_cli(
        "fit", str(csv), "--target", "species", "--standardize", "--C", "1",
        "--out", str(model_path),
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run_cli(
        "convert", str(model_path), "--to", "sigmoid", "--out",
        str(tmp_path / "new.json"),
    )  # fmt: skip
    _refused(code, err, "was fitted on standardized features")
    assert not (tmp_path / "new.json").exists()


def test_cli_standardize_through_dask_equals_in_memory(
    tmp_path: Path, run_cli: Any
) -> None:
    frame = _cancer()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(tmp_path / f"part{i}.parquet", index=False)
    model_path = tmp_path / "m.json"
    code, _, err = run_cli(
        "fit", str(tmp_path / "part*.parquet"), "--target", "diagnosis",
        "--features", ",".join(FEATURES), "--model", "logistic", "--C", "1",
        "--tol", "1e-12", "--standardize", "--out", str(model_path),
    )  # fmt: skip
    assert code == 0, err
    model = load_model(model_path)
    scaler = StandardScaler().fit(frame[FEATURES])
    np.testing.assert_allclose(model.scaling_.mean, scaler.mean_, rtol=1e-13)
    np.testing.assert_allclose(model.scaling_.scale, scaler.scale_, rtol=1e-12)
    code, stdout, err = run_cli(
        "predict", str(model_path), str(tmp_path / "part*.parquet"),
        "--keep", "none",
    )  # fmt: skip
    assert code == 0, err
    from io import StringIO

    predicted = pd.read_csv(StringIO(stdout))
    reference = _sklearn_pipeline(frame[FEATURES], frame["diagnosis"], C=1.0)
    proba = reference.predict_proba(frame[FEATURES])
    got = predicted[["proba_0", "proba_1"]].to_numpy()
    assert np.max(np.abs(got - proba)) <= 1e-8
