"""Binary L1, elastic-net and L2 fits against glum's ``GeneralizedLinearRegressor``.

glum minimizes (its documented objective, binomial family, ``s`` the sample weights)

    1/(2 sum(s)) * deviance(y, expit(X w + b); s)
    + alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) / 2 * ||w||^2

and the binomial deviance is twice the weighted log-loss, so the first term is
scikit-learn's mean weighted log-loss; scikit-learn 1.9 (and softlogit) scale the
same penalty by ``1 / (C * sum(s))``. Hence ``alpha = 1 / (C * sum(s))`` with the
same ``l1_ratio``, the intercept unpenalized in both. The map is checked on the two
objectives written out here (glum's in its deviance form), then on fits: softlogit
at its default settings, glum driven to ``gradient_tol=1e-12``, on heavy-tailed,
correlated, unevenly scaled data that neither was tuned on.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from glum import GeneralizedLinearRegressor  # in the `test` extra: never skipped
from scipy.special import log_expit
from sklearn.exceptions import ConvergenceWarning

from softlogit import LogisticRegression


def _data(seed: int, n: int = 500, p: int = 12):
    """Student-t features mixed by a random matrix, scaled 0.5..3 and shifted."""
    rng = np.random.default_rng(seed + 101)
    mix = rng.normal(size=(p, p)) / np.sqrt(p)
    X = rng.standard_t(5, size=(n, p)) @ mix * rng.uniform(0.5, 3, p)
    X += rng.normal(size=p)
    w = rng.normal(size=p) * (rng.random(p) < 0.6)
    y = (X @ w + 0.5 + rng.logistic(size=n) > 0).astype(np.int64)
    return X, y


def glum_objective(X, y, sw, w, b, alpha, r):
    """glum's objective: half the mean unit deviance plus its elastic net."""
    z = X @ w + b
    # binomial unit deviance for y in {0, 1}: -2 log(mu) or -2 log(1 - mu)
    deviance = -2.0 * (y * log_expit(z) + (1 - y) * log_expit(-z))
    penalty = r * np.abs(w).sum() + (1 - r) / 2 * (w @ w)
    return (sw @ deviance) / (2 * sw.sum()) + alpha * penalty


def sklearn_objective(X, y, sw, w, b, C, r):
    """scikit-learn 1.9's: mean weighted log-loss plus the penalty over ``C S``."""
    z = X @ w + b
    loss = -(y * log_expit(z) + (1 - y) * log_expit(-z))
    penalty = r * np.abs(w).sum() + (1 - r) / 2 * (w @ w)
    return (sw @ loss) / sw.sum() + penalty / (C * sw.sum())


def _glum(X, y, sw, alpha, r):
    model = GeneralizedLinearRegressor(
        family="binomial",
        alpha=alpha,
        l1_ratio=r,
        gradient_tol=1e-12,
        step_size_tol=1e-14,
        max_iter=10_000,
    )
    with warnings.catch_warnings():
        # at this tolerance glum's line search may report that it cannot improve
        # the last digits (its answer is then at the optimum to rounding)
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, sample_weight=sw)


def _weights(seed: int, n: int, weighted: bool):
    if not weighted:
        return np.ones(n)
    return np.random.default_rng(seed + 5).uniform(0.3, 2.0, n)


@pytest.mark.parametrize("r", [1.0, 0.5, 0.0], ids=["l1", "enet", "l2"])
def test_the_alpha_map_equates_the_objectives(seed, r):
    X, y = _data(seed)
    rng = np.random.default_rng(seed)
    sw = rng.uniform(0.3, 2.0, len(y))
    C = 0.37
    alpha = 1.0 / (C * sw.sum())
    for _ in range(5):
        w, b = rng.normal(size=X.shape[1]), rng.normal()
        assert glum_objective(X, y, sw, w, b, alpha, r) == pytest.approx(
            sklearn_objective(X, y, sw, w, b, C, r), rel=1e-13
        )


@pytest.mark.parametrize("r", [1.0, 0.5, 0.0], ids=["l1", "enet", "l2"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_binary_fit_equals_glum(seed, r, weighted):
    X, y = _data(seed)
    sw = _weights(seed, len(y), weighted)
    C = 0.01  # strong enough that the L1 term zeroes some weights
    ours = LogisticRegression(C=C, l1_ratio=r).fit(X, y, sample_weight=sw)
    alpha = 1.0 / (C * sw.sum())
    ref = _glum(X, y, sw, alpha, r)
    np.testing.assert_allclose(ours.coef_[0], ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_[0], ref.intercept_, atol=1e-6)
    if r > 0:
        assert (ref.coef_ == 0).any()
        np.testing.assert_array_equal(ours.coef_[0] == 0, ref.coef_ == 0)
    f_ours = glum_objective(X, y, sw, ours.coef_[0], ours.intercept_[0], alpha, r)
    f_ref = glum_objective(X, y, sw, ref.coef_, ref.intercept_, alpha, r)
    assert f_ours <= f_ref + 1e-12


def test_sparse_elastic_net_equals_glum(seed):
    rng = np.random.default_rng(seed + 17)
    X = sp.random(600, 30, density=0.15, format="csc", random_state=seed + 17)
    X.data = rng.normal(size=X.data.size)
    w = rng.normal(size=30) * (rng.random(30) < 0.5) * 2
    y = (X @ w + rng.logistic(size=600) > 0).astype(np.int64)
    sw = np.ones(600)
    C, r = 0.05, 0.5
    ours = LogisticRegression(C=C, l1_ratio=r).fit(X, y)
    ref = _glum(X, y, sw, 1.0 / (C * 600), r)
    np.testing.assert_allclose(ours.coef_[0], ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_[0], ref.intercept_, atol=1e-6)
