"""save/load: a versioned JSON format that round-trips exactly and validates fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from softlogit import LogisticRegression, SoftmaxRegression, load_model
from softlogit._persistence import FORMAT, FORMAT_VERSION


def _data(
    rng: np.random.Generator, n: int = 120, k: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 3))
    y = np.argmax(X @ rng.normal(size=(k, 3)).T + rng.gumbel(size=(n, k)), axis=1)
    return X, y


def _labels(kind: str, y: np.ndarray) -> np.ndarray:
    if kind == "int":
        return np.array([3, 7, 11])[y]
    if kind == "str":
        return np.array(["setosa", "versicolor", "virginica"])[y]
    if kind == "object":
        return np.array(["a", "bb", "ccc"], dtype=object)[y]
    if kind == "float":
        return np.array([-1.0, 0.0, 2.0])[y]  # integral floats are class labels
    raise AssertionError(kind)


def _assert_same_model(a: Any, b: Any, X: Any) -> None:
    assert type(a) is type(b)
    assert a.get_params() == b.get_params()
    assert a.coef_.tobytes() == b.coef_.tobytes()
    assert a.intercept_.tobytes() == b.intercept_.tobytes()
    assert a.classes_.dtype == b.classes_.dtype
    assert a.classes_.tolist() == b.classes_.tolist()
    assert a.n_features_in_ == b.n_features_in_
    np.testing.assert_array_equal(a.n_iter_, b.n_iter_)
    assert a.solver_ == b.solver_
    # bitwise identical predictions
    assert a.predict_proba(X).tobytes() == b.predict_proba(X).tobytes()
    assert a.predict(X).tolist() == b.predict(X).tolist()


@pytest.mark.parametrize("labels", ["int", "str", "object", "float"])
@pytest.mark.parametrize(
    "params",
    [
        {"C": np.inf},
        {"C": 0.3, "gauge": "reference"},
        {"C": np.inf, "gauge": "none"},
        {"C": 2.0, "fit_intercept": False},
    ],
    ids=["mle-centered", "l2-reference", "mle-none", "l2-no-intercept"],
)
def test_softmax_round_trip_is_exact(
    tmp_path: Path, rng: np.random.Generator, labels: str, params: dict[str, Any]
) -> None:
    X, y = _data(rng)
    yl = _labels(labels, y)
    if params.get("gauge") == "reference":
        params = {**params, "reference_class": yl[0]}
    model = SoftmaxRegression(**params).fit(X, yl)
    path = model.save(tmp_path / "model.json")
    loaded = load_model(path)
    _assert_same_model(model, loaded, X)
    assert SoftmaxRegression.load(path).predict_proba(X).tobytes() == (
        model.predict_proba(X).tobytes()
    )


def test_logistic_round_trip_with_bool_labels_and_feature_names(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    X, y = _data(rng, k=2)
    frame = pd.DataFrame(X, columns=["height", "weight", "age"])
    model = LogisticRegression(C=np.inf).fit(frame, y.astype(bool))
    loaded = LogisticRegression.load(model.save(tmp_path / "m.json"))
    _assert_same_model(model, loaded, frame)
    assert loaded.feature_names_in_.tolist() == ["height", "weight", "age"]
    assert loaded.classes_.dtype == np.bool_


def test_summary_survives_the_round_trip(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    X, y = _data(rng)
    model = SoftmaxRegression(C=np.inf, gauge="reference").fit(X, y)
    loaded = load_model(model.save(tmp_path / "m.json"))
    a, b = model.summary(), loaded.summary()
    assert a.std_err.tobytes() == b.std_err.tobytes()
    assert a.log_likelihood == b.log_likelihood
    assert a.bic == b.bic
    # a penalized model stays without a summary
    penalized = load_model(SoftmaxRegression(C=1.0).fit(X, y).save(tmp_path / "p.json"))
    with pytest.raises(ValueError, match="needs an unpenalized fit"):
        penalized.summary()


def test_file_is_documented_json(tmp_path: Path, rng: np.random.Generator) -> None:
    X, y = _data(rng)
    path = SoftmaxRegression(C=np.inf).fit(X, y).save(tmp_path / "m.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == FORMAT == "softlogit.model"
    # a model without scaling is written as version 1 (readable by every version)
    assert doc["format_version"] == 1
    assert FORMAT_VERSION == 2
    assert "scaling" not in doc
    assert doc["estimator"] == "SoftmaxRegression"
    assert doc["params"]["C"] == {"float": "inf"}  # JSON has no infinity
    assert doc["classes"] == {"dtype": "int64", "values": [0, 1, 2]}
    assert len(doc["coef"]) == 3
    assert len(doc["inference"]["cov"]) == 2 * 4


def test_save_refuses_to_clobber(tmp_path: Path, rng: np.random.Generator) -> None:
    X, y = _data(rng)
    model = SoftmaxRegression().fit(X, y)
    path = tmp_path / "m.json"
    path.write_text("precious", encoding="utf-8")
    with pytest.raises(FileExistsError, match="already exists"):
        model.save(path)
    assert path.read_text(encoding="utf-8") == "precious"
    model.save(path, force=True)
    assert load_model(path).coef_.tobytes() == model.coef_.tobytes()
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temporary left


def test_save_needs_a_fitted_model(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError):
        SoftmaxRegression().save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_save_refuses_mixed_object_labels(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    X, y = _data(rng, k=2)
    model = LogisticRegression().fit(X, y)
    model.classes_ = np.array([1, "a"], dtype=object)
    with pytest.raises(ValueError, match="`classes_`: an object array must hold only"):
        model.save(tmp_path / "m.json")


def test_loading_the_wrong_class(tmp_path: Path, rng: np.random.Generator) -> None:
    X, y = _data(rng, k=2)
    path = LogisticRegression().fit(X, y).save(tmp_path / "m.json")
    with pytest.raises(ValueError, match="holds a 'LogisticRegression'"):
        SoftmaxRegression.load(path)


def test_missing_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_model(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not JSON"):
        load_model(bad)
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="top level"):
        load_model(bad)


@pytest.fixture
def saved(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, dict[str, Any]]:
    X, y = _data(rng)
    path = SoftmaxRegression(C=np.inf).fit(X, y).save(tmp_path / "m.json")
    return path, json.loads(path.read_text(encoding="utf-8"))


def _corrupt(path: Path, doc: dict[str, Any], edit: Any) -> None:
    doc = json.loads(json.dumps(doc))
    edit(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def _set(*keys: str, value: Any) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        target = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


CORRUPTIONS = {
    "format": (_set("format", value="pickle"), "field `format` must be"),
    "version-newer": (_set("format_version", value=3), "newer softlogit"),
    "version-bool": (_set("format_version", value=True), "`format_version`"),
    "unknown-field": (_set("extra", value=1), r"unknown field\(s\) \['extra'\]"),
    "missing-field": (lambda d: d.pop("coef"), r"missing field\(s\) \['coef'\]"),
    "estimator": (_set("estimator", value="os.system"), "field `estimator` must"),
    "param-name": (_set("params", "evil", value=1), r"unknown parameter\(s\)"),
    "param-float": (_set("params", "C", value={"float": "1e9"}), "`params.C`"),
    "param-list": (_set("params", "tol", value=[1]), "`params.tol` must be a scalar"),
    "classes-dtype": (_set("classes", "dtype", value="complex128"), "classes.dtype"),
    "classes-type": (_set("classes", "values", value=[0, "1", 2]), "classes.values"),
    "classes-dup": (_set("classes", "values", value=[0, 1, 1]), "distinct labels"),
    "classes-one": (_set("classes", "values", value=[0]), "at least 2 labels"),
    "coef-shape": (_set("coef", value=[[1.0, 2.0, 3.0]]), r"`coef` must be of shape"),
    "coef-string": (_set("coef", 0, 0, value="1.0"), "`coef` must be made of finite"),
    "coef-bool": (_set("coef", 0, 0, value=True), "`coef` must be made of finite"),
    "coef-ragged": (_set("coef", 0, value=[1.0]), "`coef` must be a rectangular"),
    "intercept": (_set("intercept", value=[0.0]), r"`intercept` must be of shape"),
    "n-features": (_set("n_features_in", value=4), r"`coef` must be of shape \(3, 4\)"),
    "names": (_set("feature_names_in", value=["a"]), "`feature_names_in` must be"),
    "n-iter": (_set("n_iter", value=-1), "`n_iter` must be"),
    "cov-shape": (_set("inference", "cov", value=[[1.0]]), "`inference.cov` must"),
    "llf": (_set("inference", "log_likelihood", value=3.0), "inference.log_likeli"),
    "reference": (_set("inference", "reference", value=5), "`inference.reference`"),
    "inference-keys": (_set("inference", value={"cov": None}), "field `inference`"),
    "solver": (_set("solver", value=3), "field `solver` must be null or the name"),
    "solver-text": (_set("solver", value="rm -rf /"), "field `solver` must be"),
    "param-solver": (_set("params", "solver", value="rm -rf /"), "`solver` must be"),
    "param-C": (_set("params", "C", value=-5), "`C` must be a positive number"),
    "n-iter-int32": (_set("n_iter", value=[2147483648]), r"`n_iter` must be .*2147"),
    "classes-order": (_set("classes", "values", value=[2, 0, 1]), "increasing order"),
    "cov-negative": (lambda d: _negate_variance(d), "`inference.cov` must be positive"),
    "cov-indefinite": (lambda d: _indefinite(d), "`inference.cov` must be positive"),
    "cov-asymmetric": (lambda d: _asymmetric(d), "`inference.cov` must be a symmetric"),
    "reference-other": (_set("inference", "reference", value=1), "index of the refer"),
    "inference-penalized": (_set("params", "C", value=1.0), "null for a penalized"),
    "inference-missing": (_set("inference", value=None), "unpenalized model"),
    "verified": (_set("inference", "mle_verified", value=1), "inference.mle_verified"),
}


def _negate_variance(doc: dict[str, Any]) -> None:
    doc["inference"]["cov"][0][0] = -doc["inference"]["cov"][0][0]


def _indefinite(doc: dict[str, Any]) -> None:
    # a correlation above 1 between the first two terms: symmetric, not a covariance
    cov = doc["inference"]["cov"]
    big = 2.0 * (cov[0][0] * cov[1][1]) ** 0.5
    cov[0][1] = cov[1][0] = big


def _asymmetric(doc: dict[str, Any]) -> None:
    doc["inference"]["cov"][0][1] += 1.0


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupt_files_are_rejected_naming_the_field(
    saved: tuple[Path, dict[str, Any]], case: str
) -> None:
    path, doc = saved
    edit, message = CORRUPTIONS[case]
    _corrupt(path, doc, edit)
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_non_finite_numbers_are_rejected(saved: tuple[Path, dict[str, Any]]) -> None:
    path, doc = saved
    text = json.dumps(doc).replace('"intercept": [', '"intercept": [NaN, ', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="finite JSON number"):
        load_model(path)


def test_asymmetric_covariance_is_rejected(saved: tuple[Path, dict[str, Any]]) -> None:
    path, doc = saved
    doc["inference"]["cov"][0][1] += 1.0
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match="symmetric"):
        load_model(path)


def test_saved_covariance_matches_statsmodels(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    """The covariance computed by fit is written and read back (statsmodels as
    reference), also after the training data were modified in place."""
    import statsmodels.api as sm

    X, y = _data(rng, n=300)
    model = SoftmaxRegression(C=np.inf, gauge="reference", tol=1e-10).fit(X, y)
    original = X.copy()
    X[:, 0] *= 10.0
    loaded = load_model(model.save(tmp_path / "m.json"))
    ref = sm.MNLogit(y, sm.add_constant(original)).fit(
        disp=0, method="newton", tol=1e-12
    )
    np.testing.assert_allclose(loaded.summary().std_err.T, ref.bse, rtol=1e-6)
    # The file shows the intercept first in each class, as summary() does.
    doc = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    np.testing.assert_allclose(doc["inference"]["cov"], ref.cov_params(), rtol=1e-6)


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("C", -5, r"`params`: `C` must be a positive number .*got -5"),
        ("solver", "rm -rf /", r"`params`: `solver` must be one of .*'rm -rf /'"),
        ("max_iter", 2.5, r"`params`: `max_iter` must be a non-negative integer"),
        ("fit_intercept", 1, r"`params`: `fit_intercept` must be a bool"),
        ("gauge", "sym", r"`params`: `gauge` must be one of"),
        ("reference_class", 9, r"`params`: `reference_class` must be one of"),
    ],
)
def test_parameters_are_checked_like_fit(
    saved: tuple[Path, dict[str, Any]], param: str, value: Any, message: str
) -> None:
    """A model file's parameters meet the constraints fit checks."""
    from softlogit import InputValueError

    path, doc = saved
    _corrupt(path, doc, _set("params", param, value=value))
    with pytest.raises(InputValueError, match=message):
        load_model(path)


def test_files_without_store_covariance_still_load(
    saved: tuple[Path, dict[str, Any]],
) -> None:
    """Files written before store_covariance existed load with its default, and the
    saved covariance gives the summary (the file lists parameters by name)."""
    path, doc = saved
    model_before = load_model(path)
    _corrupt(path, doc, lambda d: d["params"].pop("store_covariance"))
    loaded = load_model(path)
    assert loaded.store_covariance is True
    np.testing.assert_array_equal(
        loaded.summary().std_err, model_before.summary().std_err
    )


def _model_text(saved: tuple[Path, dict[str, Any]], **fields: Any) -> str:
    doc = json.loads(json.dumps(saved[1]))
    doc.update(fields)
    return json.dumps(doc)


def test_deeply_nested_json_is_refused(saved: tuple[Path, dict[str, Any]]) -> None:
    path, _ = saved
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ValueError, match="nested too deeply"):
        load_model(path)


def test_deep_field_value_is_refused_naming_it(
    saved: tuple[Path, dict[str, Any]],
) -> None:
    # parsed (within the parser's limit), refused by the field check, shown briefly
    path, _ = saved
    deep: Any = 1.0
    for _ in range(500):
        deep = [deep]
    path.write_text(_model_text(saved, coef=deep), encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"field `coef` must be made of finite numbers; got \[\[\["
    ) as info:
        load_model(path)
    assert len(str(info.value)) < 200


def test_integer_of_too_many_digits_is_refused(
    saved: tuple[Path, dict[str, Any]],
) -> None:
    path, _ = saved
    text = _model_text(saved, n_iter=0).replace(
        '"n_iter": 0', '"n_iter": ' + "9" * 5000
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"invalid model file .*digits"):
        load_model(path)


def test_non_utf8_file_is_refused(saved: tuple[Path, dict[str, Any]]) -> None:
    path, _ = saved
    path.write_bytes(b'{"format": "\xff\xfe"}')
    with pytest.raises(ValueError, match="not UTF-8 text"):
        load_model(path)


_PEAK_RSS = """
import resource, sys
import softlogit
from softlogit import load_model
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_model(sys.argv[1])
except ValueError as exc:
    print("refused:", str(exc)[:200])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("growth_kib", after - before)
"""


@pytest.mark.parametrize("n_labels", [600, 1500])
def test_wide_label_dtype_does_not_allocate(
    tmp_path: Path, n_labels: int, rng: np.random.Generator
) -> None:
    """A 5 KB file declaring <U999999 labels is refused before NumPy allocates
    the gigabytes its dtype implies (peak RSS measured in a child process)."""
    import subprocess
    import sys

    X = rng.normal(size=(40, 2))
    y = np.arange(40) % 2
    doc = json.loads(
        SoftmaxRegression().fit(X, y).save(tmp_path / "m.json").read_text()
    )
    doc["classes"] = {
        "dtype": "<U999999",
        "values": [f"{i:03d}" for i in range(n_labels)],
    }
    doc["coef"] = [[0.0, 0.0]] * n_labels
    doc["intercept"] = [0.0] * n_labels
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert path.stat().st_size < 40_000
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "refused:" in out, out
    assert "classes.dtype" in out, out
    growth_kib = int(out.split("growth_kib")[1])
    assert growth_kib < 64 * 1024, out  # the dtype alone would need > 2 GB


def test_narrow_declared_label_dtype_still_loads(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    # labels saved with a dtype wider than needed (from np.array(..., dtype="<U10"))
    X = rng.normal(size=(40, 2))
    y = np.array(["a", "bb"], dtype="<U10")[np.arange(40) % 2]
    model = SoftmaxRegression().fit(X, y)
    assert model.classes_.dtype == np.dtype("<U10")
    back = load_model(model.save(tmp_path / "m.json"))
    assert back.classes_.dtype == np.dtype("<U10")
    assert np.array_equal(back.predict_proba(X), model.predict_proba(X))
