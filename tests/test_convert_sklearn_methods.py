"""The estimators' scikit-learn bridges: LogisticRegression.from_sklearn / .to_sklearn
and SoftmaxRegression.from_sklearn / .to_sklearn (thin wrappers over
softlogit._convert.from_sklearn and to_sklearn, tested in test_convert_sklearn)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression as SkLogistic

import softlogit as sl
from softlogit import InputTypeError, InputValueError


def _data(
    rng: np.random.Generator, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(300, 3))
    W = rng.normal(size=(n_classes, 3))
    return X, np.argmax(X @ W.T + rng.gumbel(size=(300, n_classes)), axis=1)


def test_logistic_regression_from_and_to_sklearn(rng: np.random.Generator) -> None:
    X, y = _data(rng)
    sk = SkLogistic(C=0.7, tol=1e-10, max_iter=1000).fit(X, y)
    est = sl.LogisticRegression.from_sklearn(sk)
    assert type(est) is sl.LogisticRegression
    assert est.C == 0.7
    assert np.array_equal(est.coef_, sk.coef_)
    assert np.max(np.abs(est.predict_proba(X) - sk.predict_proba(X))) <= 1e-15
    back = est.to_sklearn()
    assert type(back) is SkLogistic
    assert np.array_equal(back.coef_, sk.coef_)
    assert np.max(np.abs(back.predict_proba(X) - sk.predict_proba(X))) <= 1e-15
    refit = clone(back).set_params(tol=1e-10).fit(X, y)
    assert np.max(np.abs(refit.coef_ - est.coef_)) <= 1e-6


def test_softmax_regression_from_a_binary_model_halves_C(
    rng: np.random.Generator,
) -> None:
    X, y = _data(rng)
    sk = SkLogistic(C=0.7, tol=1e-10, max_iter=1000).fit(X, y)
    soft = sl.SoftmaxRegression.from_sklearn(sk, gauge="reference")
    assert type(soft) is sl.SoftmaxRegression
    assert soft.C == 0.35
    assert np.array_equal(soft.coef_, np.stack([0 * sk.coef_[0], sk.coef_[0]]))
    refit = sl.SoftmaxRegression(C=0.35, gauge="reference", tol=1e-10).fit(X, y)
    assert np.max(np.abs(refit.coef_ - soft.coef_)) <= 1e-6
    back = soft.to_sklearn()  # scikit-learn >= 1.8 holds it as a logistic model
    assert back.C == 0.7
    assert np.array_equal(back.coef_, sk.coef_)


def test_softmax_regression_three_classes(rng: np.random.Generator) -> None:
    X, y = _data(rng, n_classes=3)
    sk = SkLogistic(C=2.0, tol=1e-10, max_iter=1000).fit(X, y)
    soft = sl.SoftmaxRegression.from_sklearn(sk)
    assert np.max(np.abs(soft.predict_proba(X) - sk.predict_proba(X))) <= 1e-14
    assert np.max(np.abs(soft.to_sklearn().coef_ - sk.coef_)) <= 1e-15
    with pytest.raises(InputValueError, match=r"`to='logistic'` needs a two-class"):
        sl.LogisticRegression.from_sklearn(sk)


def test_old_binary_multinomial_models(rng: np.random.Generator) -> None:
    X, y = _data(rng)
    beta = SkLogistic(C=0.6, tol=1e-10, max_iter=1000).fit(X, y)
    old = SkLogistic(C=0.3)
    old.classes_, old.coef_, old.intercept_ = (
        beta.classes_,
        beta.coef_ / 2,
        beta.intercept_ / 2,
    )
    old.n_features_in_, old.n_iter_ = 3, beta.n_iter_
    old.multi_class = "multinomial"
    d = X @ old.coef_[0] + old.intercept_[0]
    expected = scipy_softmax(np.stack([-d, d], axis=1), axis=1)  # what it predicted
    logistic = sl.LogisticRegression.from_sklearn(old)
    assert logistic.C == 0.6
    assert np.array_equal(logistic.coef_, beta.coef_)
    assert np.max(np.abs(logistic.predict_proba(X) - expected)) <= 1e-15
    soft = sl.SoftmaxRegression.from_sklearn(old)
    assert soft.C == 0.3
    assert np.max(np.abs(soft.predict_proba(X) - expected)) <= 1e-15
    del old.multi_class
    said = sl.LogisticRegression.from_sklearn(old, legacy_multinomial=True)
    assert np.array_equal(said.coef_, beta.coef_)


def test_errors() -> None:
    with pytest.raises(InputTypeError, match=r"`est` must be a fitted sklearn"):
        sl.LogisticRegression.from_sklearn(sl.LogisticRegression())
    with pytest.raises(InputValueError, match=r"is not fitted"):
        sl.SoftmaxRegression.from_sklearn(SkLogistic())
    with pytest.raises(
        InputValueError, match=r"`est` \(LogisticRegression\) is not fitted"
    ):
        sl.LogisticRegression().to_sklearn()
