"""regularization_path: glmnet's start (closed form), warm-started fits equal to
independent fits (scikit-learn's saga), the plot."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from softlogit import InputValueError, regularization_path


def _data(seed, n_classes=2):
    X, y = make_classification(
        n_samples=300,
        n_features=8,
        n_informative=4,
        n_classes=n_classes,
        random_state=seed + 5,
    )
    return (X - X.mean(0)) / X.std(0), y


def test_path_starts_at_all_zero_and_matches_saga(seed):
    X, y = _data(seed)
    path = regularization_path(X, y, Cs=12, l1_ratio=1.0)
    # glmnet's lambda_max in closed form: max |X^T (y - ybar)| / n = 1 / (C n).
    lam_max = np.abs(X.T @ (y - y.mean())).max() / len(y)
    assert path.Cs[0] == pytest.approx(1 / (lam_max * len(y)), rel=1e-8)
    np.testing.assert_array_equal(path.coefs[0], 0.0)
    assert np.count_nonzero(path.coefs[1]) >= 1
    assert np.all(np.diff(path.Cs) > 0)
    for i in (3, 7, 11):
        sk = SkLogisticRegression(
            C=path.Cs[i], l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=100_000
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sk.fit(X, y)
        np.testing.assert_allclose(path.coefs[i], sk.coef_, atol=1e-6)
        np.testing.assert_allclose(path.intercepts[i], sk.intercept_, atol=1e-6)


def test_softmax_path_with_given_Cs(seed):
    X, y = _data(seed, 3)
    Cs = [1.0, 0.01, 0.1]
    path = regularization_path(X, y, Cs=Cs, l1_ratio=0.5, model="softmax")
    np.testing.assert_array_equal(path.Cs, Cs)
    assert path.coefs.shape == (3, 3, 8)
    for i, C in enumerate(Cs):
        sk = SkLogisticRegression(
            C=C, l1_ratio=0.5, solver="saga", tol=1e-12, max_iter=100_000
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sk.fit(X, y)
        np.testing.assert_allclose(path.coefs[i], sk.coef_, atol=1e-6)


def test_path_plot(seed):
    import matplotlib

    matplotlib.use("Agg")
    X, y = _data(seed)
    ax = regularization_path(X, y, Cs=5).plot(feature_names=[f"x{j}" for j in range(8)])
    assert len(ax.get_lines()) == 8 + 1  # one per coefficient and the zero line
    assert ax.get_xlabel() == "log10(C)"


def test_bad_Cs_raises(seed):
    X, y = _data(seed)
    with pytest.raises(
        InputValueError, match="`Cs` must be an integer >= 1 or positive"
    ):
        regularization_path(X, y, Cs=[1.0, -2.0])
    with pytest.raises(InputValueError, match="`Cs` must be an integer >= 1"):
        regularization_path(X, y, Cs=0)
    with pytest.raises(InputValueError, match="`model` must be one of"):
        regularization_path(X, y, model="probit")


def test_uninformative_features_raise():
    X = np.ones((6, 2))
    y = np.array([0, 1, 0, 1, 0, 1])
    with pytest.raises(InputValueError, match="every weight is zero at any C"):
        regularization_path(X - 1.0, y)
