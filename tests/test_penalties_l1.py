"""L1 and elastic-net fits (``l1_ratio``), against scikit-learn's saga and closed forms.

References are independent: scikit-learn's ``saga`` driven to ``tol=1e-12``, the
penalized objective written out here with SciPy's ``logsumexp``/``log_expit``, and
the optimality (KKT) conditions of the lasso checked with a gradient written out here.
softlogit runs at its default settings throughout.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from softlogit import (
    InputTypeError,
    InputValueError,
    LogisticRegression,
    SoftmaxRegression,
    sigmoid_C_l1_ratio_to_softmax,
    softmax_C_l1_ratio_to_sigmoid,
)

RATIOS = [1.0, 0.5, 0.15]


def _data(seed: int, n_classes: int, n: int = 300, p: int = 10):
    X, y = make_classification(
        n_samples=n,
        n_features=p,
        n_informative=4,
        n_redundant=2,
        n_classes=n_classes,
        random_state=seed + 11,
    )
    rng = np.random.default_rng(seed)
    # Standardized columns (saga needs them to reach 1e-12 in reasonable time),
    # then shifted so that the intercept matters.
    X = (X - X.mean(axis=0)) / X.std(axis=0) + rng.normal(size=p) * 0.3
    return X, y


def _saga(X, y, C, r, sw=None, fit_intercept=True):
    sk = SkLogisticRegression(
        C=C,
        l1_ratio=r,
        solver="saga",
        tol=1e-12,
        max_iter=200_000,
        fit_intercept=fit_intercept,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return sk.fit(X, y, sample_weight=sw)


def penalized_objective(X, y, sw, W, b, C, r):
    """scikit-learn 1.9's objective, written out: mean weighted loss plus
    ``(r ||W||_1 + (1 - r)/2 ||W||^2) / (C S)``; ``W`` one row (binomial) or K."""
    sw = np.ones(len(y)) if sw is None else np.asarray(sw, float)
    S = sw.sum()
    if W.shape[0] == 1:
        z = X @ W[0] + b[0]
        loss = -(y * log_expit(z) + (1 - y) * log_expit(-z))
    else:
        Z = X @ W.T + b
        loss = logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]
    penalty = r * np.abs(W).sum() + (1 - r) / 2 * (W**2).sum()
    return (sw @ loss) / S + penalty / (C * S)


# ------------------------------------------------------------------ against saga
@pytest.mark.parametrize("r", RATIOS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_logistic_matches_saga(seed, r, weighted):
    X, y = _data(seed, 2)
    sw = np.random.default_rng(seed + 1).uniform(0.2, 3, len(y)) if weighted else None
    C = 0.02
    sk = _saga(X, y, C, r, sw)
    ours = LogisticRegression(C=C, l1_ratio=r).fit(X, y, sample_weight=sw)
    assert ours.solver_ == "prox-newton"
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=1e-6)
    # Sparse: the same zeros (saga's exact zeros from its proximal step).
    np.testing.assert_array_equal(ours.coef_ == 0, np.abs(sk.coef_) < 1e-9)
    assert (ours.coef_ == 0).any()
    f_ours = penalized_objective(X, y, sw, ours.coef_, ours.intercept_, C, r)
    f_sk = penalized_objective(X, y, sw, sk.coef_, sk.intercept_, C, r)
    assert f_ours <= f_sk + 1e-12


@pytest.mark.parametrize("r", RATIOS)
def test_softmax_matches_saga_in_every_gauge(seed, r):
    X, y = _data(seed, 3)
    C = 0.05
    sk = _saga(X, y, C, r)
    W_sk, b_sk = sk.coef_, sk.intercept_
    P_sk = softmax(X @ W_sk.T + b_sk, axis=1)
    none = SoftmaxRegression(C=C, l1_ratio=r, gauge="none").fit(X, y)
    f_ours = penalized_objective(X, y, None, none.coef_, none.intercept_, C, r)
    f_sk = penalized_objective(X, y, None, W_sk, b_sk, C, r)
    assert f_ours <= f_sk + 1e-12
    assert abs(f_ours - f_sk) < 1e-10
    np.testing.assert_allclose(none.predict_proba(X), P_sk, atol=1e-7)
    if r < 1:  # the split of each column is unique (strictly convex in the gauge)
        np.testing.assert_allclose(none.coef_, W_sk, atol=1e-6)
        np.testing.assert_array_equal(none.coef_ == 0, np.abs(W_sk) < 1e-9)
    centered = SoftmaxRegression(C=C, l1_ratio=r).fit(X, y)
    np.testing.assert_allclose(centered.coef_, W_sk - W_sk.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(centered.intercept_, b_sk - b_sk.mean(), atol=1e-6)
    ref = SoftmaxRegression(C=C, l1_ratio=r, gauge="reference", reference_class=2)
    ref.fit(X, y)
    np.testing.assert_allclose(ref.coef_, W_sk - W_sk[2], atol=1e-6)
    np.testing.assert_allclose(ref.intercept_, b_sk - b_sk[2], atol=1e-6)


def test_lasso_kkt_conditions(seed):
    """At the lasso optimum the smooth gradient is ``-l1 sign(w)`` on the nonzero
    coefficients and at most ``l1`` in size on the zeros (gradient written out)."""
    X, y = _data(seed, 2, n=500, p=15)
    C = 0.03
    clf = LogisticRegression(C=C, l1_ratio=1.0).fit(X, y)
    w, b = clf.coef_[0], clf.intercept_[0]
    residual = expit(X @ w + b) - y
    grad_w = X.T @ residual / len(y)
    l1 = 1.0 / (C * len(y))
    nz = w != 0
    assert nz.any()
    assert (~nz).any()
    np.testing.assert_allclose(grad_w[nz], -l1 * np.sign(w[nz]), atol=1e-9)
    assert np.all(np.abs(grad_w[~nz]) <= l1 * (1 + 1e-9))
    assert abs(residual.mean()) < 1e-9  # the unpenalized intercept


def test_strong_penalty_gives_zero_coefficients(seed):
    """Above lambda_max = max |X^T (y - ybar)| / n all weights are zero and the
    intercept is the log-odds of the prior (closed form)."""
    X, y = _data(seed, 2)
    n = len(y)
    lam_max = np.abs(X.T @ (y - y.mean())).max() / n
    clf = LogisticRegression(C=1.0 / (1.01 * lam_max * n), l1_ratio=1.0).fit(X, y)
    np.testing.assert_array_equal(clf.coef_, 0.0)
    np.testing.assert_allclose(clf.intercept_, np.log(y.mean() / (1 - y.mean())))
    just_below = LogisticRegression(C=1.0 / (0.95 * lam_max * n), l1_ratio=1.0)
    assert np.count_nonzero(just_below.fit(X, y).coef_) >= 1


def test_l1_ratio_zero_is_the_l2_fit(seed):
    X, y = _data(seed, 3)
    l2 = SoftmaxRegression(C=0.3).fit(X, y)
    prox = SoftmaxRegression(C=0.3, l1_ratio=0.0, solver="prox-newton").fit(X, y)
    assert prox.solver_ == "prox-newton"
    np.testing.assert_allclose(prox.coef_, l2.coef_, atol=1e-7)


def test_l1_ratio_is_ignored_without_penalty(rng):
    X = rng.normal(size=(300, 4))
    y = (X @ [1.0, -1.0, 0.5, 0.0] + rng.logistic(size=300) > 0).astype(int)
    a = LogisticRegression(C=np.inf, l1_ratio=1.0).fit(X, y)
    b = LogisticRegression(C=np.inf).fit(X, y)
    assert a.solver_ == b.solver_ == "newton"
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-12)
    a.summary()  # an unpenalized fit keeps its standard errors


def test_softmax_two_classes_is_a_genuine_two_row_fit(seed):
    """K = 2 with an elastic net: two rows, the optimum centered (T7) and in gauge
    'none' equal to the centered one."""
    X, y = _data(seed, 2)
    none = SoftmaxRegression(C=0.1, l1_ratio=0.5, gauge="none").fit(X, y)
    assert none.coef_.shape == (2, X.shape[1])
    np.testing.assert_allclose(none.coef_[0], -none.coef_[1], atol=1e-8)


# ------------------------------------------------------------------ the maps (T7)
@pytest.mark.parametrize("r", [0.0, 0.4, 1.0], ids=["L2", "enet", "L1"])
def test_penalty_map_on_fits(seed, r):
    """A K = 2 softmax at (C, r) and a logistic regression at the mapped (C', r')
    give the same probabilities, and w = W[1] - W[0]."""
    X, y = _data(seed, 2)
    C = 0.08
    soft = SoftmaxRegression(C=C, l1_ratio=r, gauge="none").fit(X, y)
    C_p, r_p = softmax_C_l1_ratio_to_sigmoid(C, r)
    # The map written out (sklearn's C = 1 / (lambda S), glmnet's elastic net).
    assert C_p == pytest.approx(2 * C / (1 + r), rel=1e-15)
    assert r_p == pytest.approx(2 * r / (1 + r), rel=1e-15)
    logi = LogisticRegression(C=C_p, l1_ratio=r_p).fit(X, y)
    np.testing.assert_allclose(soft.predict_proba(X), logi.predict_proba(X), atol=1e-8)
    np.testing.assert_allclose(soft.coef_[1] - soft.coef_[0], logi.coef_[0], atol=1e-7)
    # The conversions carry l1_ratio with the map.
    conv = soft.to_logistic()
    assert (conv.C, conv.l1_ratio) == pytest.approx((C_p, r_p), rel=1e-15)
    back = logi.to_softmax()
    assert (back.C, back.l1_ratio) == pytest.approx((C, r), rel=1e-14)
    refit = back.fit(X, y)
    np.testing.assert_allclose(refit.predict_proba(X), logi.predict_proba(X), atol=1e-8)


def test_map_functions_are_inverse():
    for C, r in [(0.3, 0.0), (2.0, 0.25), (1e-3, 1.0), (np.inf, 0.7)]:
        back = sigmoid_C_l1_ratio_to_softmax(*softmax_C_l1_ratio_to_sigmoid(C, r))
        assert back == pytest.approx((C, r), rel=1e-15)


def test_map_functions_raise():
    with pytest.raises(InputValueError, match=r"`l1_ratio` must lie in \[0, 1\]"):
        softmax_C_l1_ratio_to_sigmoid(1.0, 1.5)
    with pytest.raises(InputValueError, match="`C` must be positive"):
        sigmoid_C_l1_ratio_to_softmax(-1.0, 0.5)
    with pytest.raises(InputTypeError, match="`l1_ratio` must be a real number"):
        sigmoid_C_l1_ratio_to_softmax(1.0, "half")


# ------------------------------------------------------------------ errors
def test_smooth_solver_with_l1_raises():
    X, y = _data(0, 2)
    with pytest.raises(InputValueError, match="needs solver='prox-newton' or 'auto'"):
        LogisticRegression(l1_ratio=0.5, solver="lbfgs").fit(X, y)
    # Without a penalty l1_ratio is ignored, so any solver is fine.
    LogisticRegression(C=np.inf, l1_ratio=0.5, solver="lbfgs").fit(X, y)


@pytest.mark.parametrize("bad", [-0.1, 1.5, np.nan])
def test_l1_ratio_out_of_range_raises(bad):
    X, y = _data(0, 2)
    with pytest.raises(InputValueError, match=r"`l1_ratio` must be a number in \[0"):
        SoftmaxRegression(l1_ratio=bad).fit(X, y)


def test_l1_ratio_of_wrong_type_raises():
    X, y = _data(0, 2)
    with pytest.raises(InputTypeError, match="`l1_ratio` must be a number in"):
        LogisticRegression(l1_ratio="l1").fit(X, y)


@pytest.mark.parametrize("cls", [LogisticRegression, SoftmaxRegression])
def test_summary_refuses_l1_fits(cls):
    X, y = _data(0, 2)
    clf = cls(C=0.5, l1_ratio=0.5).fit(X, y)
    with pytest.raises(
        InputValueError, match="no standard errors for an L1 or elastic"
    ):
        clf.summary()


def test_not_converged_warns_with_the_measure():
    X, y = _data(0, 3)
    with pytest.warns(ConvergenceWarning, match="proximal Newton decrement"):
        SoftmaxRegression(C=1.0, l1_ratio=0.5, max_iter=1).fit(X, y)


# ------------------------------------------------------------------ scikit-learn API
@parametrize_with_checks(
    [
        LogisticRegression(l1_ratio=1.0),
        LogisticRegression(l1_ratio=0.5, class_weight="balanced"),
        SoftmaxRegression(l1_ratio=0.5),
        SoftmaxRegression(l1_ratio=1.0, gauge="none"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_all_zero_region_is_the_intercept_only_fit_in_few_steps():
    """Below glmnet's start the weights are zero and the intercept is the logit of
    the weighted class share (closed form); the solver stops at once instead of
    running to max_iter at rounding level."""
    X, y = make_classification(n_samples=200, n_features=5, random_state=4)
    sw = np.random.default_rng(4).uniform(0.5, 2.0, size=len(y))
    clf = LogisticRegression(C=1e-4, l1_ratio=1.0, tol=1e-10).fit(X, y, sw)
    share = sw[y == 1].sum() / sw.sum()
    np.testing.assert_array_equal(clf.coef_, 0.0)
    assert clf.intercept_[0] == pytest.approx(np.log(share / (1 - share)), abs=1e-12)
    assert clf.n_iter_[0] <= 3
