"""scikit-learn's LogisticRegression to and from softlogit's estimators.

References: scikit-learn's own predict_proba, scipy.special for the old binary
"multinomial" models (which scikit-learn >= 1.8 cannot fit or predict any more), and
independent refits: a converted model's parameters, refitted by the other library
(or by softlogit in the other parametrization), give the converted coefficients.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.special import expit
from scipy.special import softmax as scipy_softmax
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.linear_model import LogisticRegressionCV

import softlogit as sl
from softlogit import InputTypeError, InputValueError
from softlogit._convert import from_sklearn, to_sklearn
from softlogit._convert._sklearn import is_legacy_multinomial

PRECISE = {"tol": 1e-10, "max_iter": 1000}


def _data(
    rng: np.random.Generator, n_classes: int = 2, n: int = 300
) -> tuple[Any, Any]:
    X = rng.normal(size=(n, 3))
    W = rng.normal(size=(n_classes, 3))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


def _legacy(beta_fit: SkLogistic, C: float) -> SkLogistic:
    """An old binary "multinomial" model, built by hand: coef_ = beta / 2.

    scikit-learn < 1.8 fitted the centered two-row softmax with C and stored its
    class-1 row; by T7 that row is half the logistic optimum with 2 C, which is
    what ``beta_fit`` is.
    """
    old = SkLogistic(C=C)
    old.classes_ = beta_fit.classes_.copy()
    old.coef_ = beta_fit.coef_ / 2
    old.intercept_ = beta_fit.intercept_ / 2
    old.n_features_in_ = beta_fit.n_features_in_
    old.n_iter_ = beta_fit.n_iter_.copy()
    old.multi_class = "multinomial"  # what such objects carry
    return old


def _old_predict_proba(old: SkLogistic, X: np.ndarray) -> np.ndarray:
    """What scikit-learn < 1.8 predicted: softmax([-d, d]) with d the decision."""
    d = X @ old.coef_[0] + old.intercept_[0]
    return scipy_softmax(np.stack([-d, d], axis=1), axis=1)


# ------------------------------------------------------------------- from_sklearn
def test_binary_model_becomes_a_logistic_regression(rng: np.random.Generator) -> None:
    X, y = _data(rng)
    sk = SkLogistic(C=0.7, **PRECISE).fit(X, y)
    est = from_sklearn(sk)
    assert type(est) is sl.LogisticRegression
    assert est.C == 0.7
    assert np.array_equal(est.coef_, sk.coef_)
    assert np.array_equal(est.intercept_, sk.intercept_)
    assert np.array_equal(est.classes_, sk.classes_)
    assert np.max(np.abs(est.predict_proba(X) - sk.predict_proba(X))) <= 1e-15
    refit = sl.LogisticRegression(C=est.C, tol=1e-10).fit(X, y)
    assert np.max(np.abs(refit.coef_ - est.coef_)) <= 1e-6


@pytest.mark.parametrize("gauge", ["centered", "reference"])
def test_binary_model_as_a_softmax_halves_C(
    gauge: str, rng: np.random.Generator
) -> None:
    X, y = _data(rng)
    sk = SkLogistic(C=0.7, **PRECISE).fit(X, y)
    soft = from_sklearn(sk, to="softmax", gauge=gauge)
    assert type(soft) is sl.SoftmaxRegression
    assert soft.C == 0.35  # T7: a K = 2 softmax with C is a logistic with 2 C
    w = sk.coef_[0]
    rows = np.stack([-w / 2, w / 2]) if gauge == "centered" else np.stack([0 * w, w])
    assert np.array_equal(soft.coef_, rows)
    assert np.max(np.abs(soft.predict_proba(X) - sk.predict_proba(X))) <= 1e-15
    refit = sl.SoftmaxRegression(C=soft.C, gauge=gauge, tol=1e-10).fit(X, y)
    assert np.max(np.abs(refit.coef_ - soft.coef_)) <= 1e-6


@pytest.mark.parametrize("gauge", ["centered", "reference"])
def test_multinomial_model_becomes_a_softmax_regression(
    gauge: str, rng: np.random.Generator
) -> None:
    X, y = _data(rng, n_classes=3)
    sk = SkLogistic(C=2.0, **PRECISE).fit(X, y)
    soft = from_sklearn(sk, gauge=gauge)
    assert type(soft) is sl.SoftmaxRegression
    assert soft.C == 2.0
    assert soft.gauge == gauge
    if gauge == "reference":
        assert np.array_equal(soft.coef_[0], np.zeros(3))
        assert soft.reference_class == sk.classes_[0]
    assert np.max(np.abs(soft.predict_proba(X) - sk.predict_proba(X))) <= 1e-14
    refit = sl.SoftmaxRegression(C=2.0, gauge=gauge, tol=1e-10).fit(X, y)
    assert np.max(np.abs(refit.coef_ - soft.coef_)) <= 1e-6


def test_old_binary_multinomial_models_are_detected_and_doubled(
    rng: np.random.Generator,
) -> None:
    X, y = _data(rng)
    C = 0.3
    beta_fit = SkLogistic(C=2 * C, **PRECISE).fit(X, y)
    old = _legacy(beta_fit, C)
    expected = _old_predict_proba(old, X)
    assert is_legacy_multinomial(old)

    soft = from_sklearn(old)
    assert type(soft) is sl.SoftmaxRegression
    assert soft.C == C
    assert np.array_equal(soft.coef_, np.vstack([-old.coef_, old.coef_]))
    assert np.max(np.abs(soft.predict_proba(X) - expected)) <= 1e-15
    # the softmax regression with C, refitted, has these rows (what old scikit-learn fit)
    refit = sl.SoftmaxRegression(C=C, tol=1e-10).fit(X, y)
    assert np.max(np.abs(refit.coef_ - soft.coef_)) <= 1e-6

    logistic = from_sklearn(old, to="logistic")
    assert type(logistic) is sl.LogisticRegression
    assert logistic.C == 2 * C
    assert np.array_equal(logistic.coef_, 2 * old.coef_)  # the halved coefficients
    assert np.max(np.abs(logistic.predict_proba(X) - expected)) <= 1e-15
    assert (
        np.max(np.abs(logistic.predict_proba(X) - beta_fit.predict_proba(X))) <= 1e-15
    )


def test_legacy_multinomial_can_be_said_explicitly(rng: np.random.Generator) -> None:
    X, y = _data(rng)
    old = _legacy(SkLogistic(C=1.0, **PRECISE).fit(X, y), 0.5)
    expected = _old_predict_proba(old, X)
    bare = clone(old)  # a new object with the coefficients but not the attribute
    for name in ("classes_", "coef_", "intercept_", "n_features_in_", "n_iter_"):
        setattr(bare, name, getattr(old, name))
    assert not is_legacy_multinomial(bare)
    as_logistic = from_sklearn(bare)  # taken for a logistic model: half the logits
    assert (
        np.max(
            np.abs(
                as_logistic.predict_proba(X)[:, 1]
                - expit(X @ old.coef_[0] + old.intercept_[0])
            )
        )
        <= 1e-15
    )
    said = from_sklearn(bare, legacy_multinomial=True)
    assert np.max(np.abs(said.predict_proba(X) - expected)) <= 1e-15
    overridden = from_sklearn(old, legacy_multinomial=False)
    assert type(overridden) is sl.LogisticRegression
    assert np.array_equal(overridden.coef_, old.coef_)


def test_fitted_attributes_are_carried(rng: np.random.Generator) -> None:
    import pandas as pd

    X, y = _data(rng)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    sk = SkLogistic(C=1.5, fit_intercept=True, solver="newton-cholesky", **PRECISE).fit(
        frame, y
    )
    est = from_sklearn(sk)
    assert est.feature_names_in_.tolist() == ["a", "b", "c"]
    assert est.n_features_in_ == 3
    assert est.solver == "newton"
    assert est.solver_ == "scikit-learn newton-cholesky"
    assert est.n_iter_.tolist() == [int(np.max(sk.n_iter_))]
    assert est.tol == 1e-10
    assert est.max_iter == 1000
    assert est.predict(frame).tolist() == sk.predict(frame).tolist()


def test_unpenalized_and_cross_validated_models(rng: np.random.Generator) -> None:
    X, y = _data(rng)
    sk = SkLogistic(C=np.inf, **PRECISE).fit(X, y)
    assert np.isposinf(from_sklearn(sk).C)
    old_style = clone(sk)
    for name in ("classes_", "coef_", "intercept_", "n_features_in_", "n_iter_"):
        setattr(old_style, name, getattr(sk, name))
    old_style.penalty = None  # scikit-learn < 1.8's way to switch the penalty off
    assert np.isposinf(from_sklearn(old_style).C)
    cv = LogisticRegressionCV(
        Cs=[0.1, 1.0],
        cv=3,
        l1_ratios=(0.0,),
        scoring="neg_log_loss",
        use_legacy_attributes=False,
        **PRECISE,
    ).fit(X, y)
    est = from_sklearn(cv)
    chosen = float(np.ravel(cv.C_)[0])
    assert chosen == est.C
    assert np.max(np.abs(est.predict_proba(X) - cv.predict_proba(X))) <= 1e-15


# --------------------------------------------------------------------- to_sklearn
def test_logistic_regression_to_sklearn(rng: np.random.Generator) -> None:
    X, y = _data(rng)
    est = sl.LogisticRegression(C=0.8, tol=1e-10).fit(X, y)
    sk = to_sklearn(est)
    assert type(sk) is SkLogistic
    assert sk.C == 0.8
    assert np.max(np.abs(sk.predict_proba(X) - est.predict_proba(X))) <= 1e-15
    assert sk.predict(X).tolist() == est.predict(X).tolist()
    refit = clone(sk).set_params(tol=1e-10).fit(X, y)  # scikit-learn's own fit
    assert np.max(np.abs(refit.coef_ - est.coef_)) <= 1e-6
    back = from_sklearn(sk)
    assert np.array_equal(back.coef_, est.coef_)
    assert back.C == est.C


def test_two_class_softmax_to_sklearn_is_logistic_with_twice_C(
    rng: np.random.Generator,
) -> None:
    X, y = _data(rng)
    soft = sl.SoftmaxRegression(C=0.4, tol=1e-10).fit(X, y)
    sk = to_sklearn(soft)
    assert sk.coef_.shape == (1, 3)
    assert sk.C == 0.8
    assert np.array_equal(sk.coef_[0], soft.coef_[1] - soft.coef_[0])
    assert np.max(np.abs(sk.predict_proba(X) - soft.predict_proba(X))) <= 1e-15
    refit = clone(sk).set_params(tol=1e-10).fit(X, y)
    assert np.max(np.abs(refit.coef_ - sk.coef_)) <= 1e-6


def test_multinomial_softmax_to_sklearn_is_centered(rng: np.random.Generator) -> None:
    X, y = _data(rng, n_classes=3)
    y = np.array(["ant", "bee", "cat"])[y]
    soft = sl.SoftmaxRegression(
        C=3.0, gauge="reference", reference_class="bee", tol=1e-10
    )
    soft.fit(X, y)
    sk = to_sklearn(soft)
    assert sk.classes_.tolist() == ["ant", "bee", "cat"]
    assert np.max(np.abs(sk.coef_.sum(axis=0))) <= 1e-15
    assert abs(sk.intercept_.sum()) <= 1e-15
    assert np.max(np.abs(sk.predict_proba(X) - soft.predict_proba(X))) <= 1e-15
    refit = clone(sk).set_params(tol=1e-10).fit(X, y)
    assert np.max(np.abs(refit.coef_ - sk.coef_)) <= 1e-6


# ----------------------------------------------------------- convert_head on them
def test_convert_head_on_estimators(rng: np.random.Generator) -> None:
    X, y = _data(rng)
    sk = SkLogistic(C=0.7, **PRECISE).fit(X, y)
    done = sl.convert_head(sk, to="softmax", verify=X)
    assert type(done.model) is sl.SoftmaxRegression  # scikit-learn cannot hold it
    assert done.max_diff is not None
    assert done.max_diff <= 1e-12
    assert done.before == "scikit-learn LogisticRegression, coef_ (1, 3)"
    old = _legacy(SkLogistic(C=1.4, **PRECISE).fit(X, y), 0.7)
    doubled = sl.convert_head(old, to="sigmoid", verify=X)
    assert type(doubled.model) is SkLogistic
    assert np.array_equal(doubled.model.coef_, 2 * old.coef_)
    assert doubled.max_diff is not None
    assert doubled.max_diff <= 1e-12
    assert (
        np.max(np.abs(doubled.model.predict_proba(X) - _old_predict_proba(old, X)))
        <= 1e-15
    )
    own = sl.LogisticRegression().fit(X, y)
    soft = sl.convert_head(own, to="softmax", gauge="reference", verify=X).model
    assert np.array_equal(soft.coef_[0], np.zeros(3))
    back = sl.convert_head(soft, to="sigmoid", verify=X)
    assert np.array_equal(back.model.coef_, own.coef_)


def test_convert_head_refuses_what_has_no_other_form(rng: np.random.Generator) -> None:
    X, y = _data(rng)
    own = sl.LogisticRegression().fit(X, y)
    with pytest.raises(InputValueError, match=r"`positive` must be 1 for an estimator"):
        sl.convert_head(own, to="softmax", positive=0)
    with pytest.raises(InputValueError, match=r"already is a sigmoid model"):
        sl.convert_head(own, to="sigmoid")
    three = sl.SoftmaxRegression().fit(*_data(rng, n_classes=3))
    with pytest.raises(InputValueError, match=r"has 3 classes; only two-class"):
        sl.convert_head(three, to="sigmoid")
    with pytest.raises(InputValueError, match=r"is not fitted"):
        sl.convert_head(sl.SoftmaxRegression(), to="sigmoid")
    head = sl.SoftmaxHead(np.eye(3), np.zeros(3))
    with pytest.raises(InputValueError, match=r"SoftmaxHead with 3 classes"):
        sl.convert_head(head, to="sigmoid")


# ------------------------------------------------------------------------- errors
def _fake(**attrs: Any) -> SkLogistic:
    est = SkLogistic()
    for name, value in attrs.items():
        setattr(est, name, value)
    return est


BINARY = {
    "classes_": np.array([0, 1]),
    "coef_": np.ones((1, 2)),
    "intercept_": np.zeros(1),
    "n_features_in_": 2,
}
THREE = {
    "classes_": np.array([0, 1, 2]),
    "coef_": np.ones((3, 2)),
    "intercept_": np.zeros(3),
    "n_features_in_": 2,
}


@pytest.mark.parametrize(
    ("est", "kwargs", "error", "message"),
    [
        ("not a model", {}, InputTypeError, r"`est` must be a fitted sklearn"),
        (
            SkLogistic(),
            {},
            InputValueError,
            r"`est` \(LogisticRegression\) is not fitted",
        ),
        (
            _fake(**BINARY, l1_ratio=1.0),
            {},
            InputValueError,
            r"L1 or elastic-net.*l1_ratio=1.0",
        ),
        (_fake(**BINARY, penalty="l1"), {}, InputValueError, r"penalty='l1'"),
        (_fake(**THREE, multi_class="ovr"), {}, InputValueError, r"one-vs-rest"),
        (
            _fake(**{**BINARY, "coef_": np.ones((2, 2))}),
            {},
            InputValueError,
            r"2 classes but coef_ of shape \(2, 2\)",
        ),
        (
            _fake(**THREE),
            {"to": "logistic"},
            InputValueError,
            r"`to='logistic'` needs a two-class",
        ),
        (
            _fake(**THREE),
            {"legacy_multinomial": True},
            InputValueError,
            r"`legacy_multinomial=True` describes a two-class model",
        ),
        (
            _fake(**BINARY),
            {"legacy_multinomial": "yes"},
            InputTypeError,
            r"`legacy_multinomial`",
        ),
        (_fake(**BINARY), {"to": "probit"}, InputValueError, r"`to` must be one of"),
        (
            _fake(**BINARY),
            {"gauge": "none"},
            InputValueError,
            r"`gauge` must be one of",
        ),
        (
            _fake(**BINARY, C_=np.array([0.1, 1.0])),
            {},
            InputValueError,
            r"a different C per class",
        ),
    ],
    ids=[
        "type",
        "unfitted",
        "l1-ratio",
        "l1-penalty",
        "ovr",
        "shape",
        "logistic-of-three",
        "legacy-of-three",
        "legacy-type",
        "to",
        "gauge",
        "cv-Cs",
    ],
)
def test_from_sklearn_errors(
    est: Any, kwargs: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        from_sklearn(est, **kwargs)


def test_to_sklearn_errors() -> None:
    with pytest.raises(InputTypeError, match=r"`est` must be a fitted softlogit"):
        to_sklearn(SkLogistic())
    with pytest.raises(
        InputValueError, match=r"`est` \(SoftmaxRegression\) is not fitted"
    ):
        to_sklearn(sl.SoftmaxRegression())
