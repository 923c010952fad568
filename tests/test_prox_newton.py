"""The proximal Newton solver's Hessians in its active coordinates, against the
Kronecker sum written out with ``np.einsum`` and against finite differences of
the gradient; and the softmax elastic net at (K = 10) against saga."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from softlogit import SoftmaxRegression
from softlogit._gram import gathered_gram, softmax_coordinate_hessian
from softlogit._linear_loss import LinearModelLoss
from softlogit._loss import MultinomialLoss
from softlogit._prox_newton import L1Problem


def brute_hessian(X, P, s, fit_intercept):
    """``sum_i s_i (diag(p_i) - p_i p_i^T) (x) z_i z_i^T`` for every coordinate,
    indexed (class, term) in C order."""
    Z = np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X
    curv = np.einsum("i,ia,ab->iab", s, P, np.eye(P.shape[1])) - np.einsum(
        "i,ia,ib->iab", s, P, P
    )
    H = np.einsum("iab,ij,il->ajbl", curv, Z, Z)
    k, q = P.shape[1], Z.shape[1]
    return H.reshape(k * q, k * q)


def _coordinates(columns, q, fit_intercept):
    return np.concatenate(
        [k * q + np.r_[c, [q - 1] if fit_intercept else []].astype(int)
         for k, c in enumerate(columns)]
    )  # fmt: skip


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_coordinate_hessian_equals_the_kronecker_sum(rng, fit_intercept):
    n, p, k = 700, 9, 4  # 700 rows: several chunks when the chunk is small
    X = rng.normal(size=(n, p)) * rng.uniform(0.1, 5, p)
    P = softmax(rng.normal(size=(n, k)) * 3, axis=1)
    s = rng.uniform(0, 2, n)
    columns = [np.sort(rng.choice(p, size, replace=False)) for size in (0, 3, 9, 5)]
    H = softmax_coordinate_hessian(X, P, s, columns, fit_intercept)
    idx = _coordinates(columns, p + int(fit_intercept), fit_intercept)
    ref = brute_hessian(X, P, s, fit_intercept)[np.ix_(idx, idx)]
    np.testing.assert_allclose(H, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_coordinate_hessian_of_nothing_is_empty(rng):
    X, P = rng.normal(size=(5, 3)), softmax(rng.normal(size=(5, 2)), axis=1)
    empty = [np.array([], dtype=np.intp)] * 2
    assert softmax_coordinate_hessian(X, P, np.ones(5), empty, False).shape == (0, 0)


def _problem(X, y, k, sw=None, l2=0.3):
    lml = LinearModelLoss(MultinomialLoss(n_classes=k), fit_intercept=True)
    return L1Problem(lml, X, y, sw, l1=0.01, l2=l2, n_rows=k)


def _fd_hessian(problem, x, flat, h=1e-5):
    """Central differences of the exact gradient in the coordinates ``flat``."""
    cols = []
    for j in flat:
        e = np.zeros_like(x)
        e[j] = h
        gp = problem.smooth_gradient(x + e)[1].ravel()
        gm = problem.smooth_gradient(x - e)[1].ravel()
        cols.append((gp - gm)[flat] / (2 * h))
    return np.array(cols).T


@pytest.mark.parametrize("zero_weights", [False, True], ids=["weights", "at-zero"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_class_hessian_equals_finite_differences(rng, zero_weights, sparse):
    n, p, k = 200, 6, 3
    X = rng.normal(size=(n, p))
    y = rng.integers(0, k, n)
    sw = rng.uniform(0.5, 2, n)
    problem = _problem(sp.csr_matrix(X) if sparse else X, y, k, sw)
    x = rng.normal(size=k * (p + 1))
    W = x.reshape(k, p + 1)
    if zero_weights:  # the Kronecker shortcut: probabilities equal on every row
        W[:, :p] = 0.0
    else:
        W[0, [1, 4]] = 0.0
    per_class = [np.array([0, 2, 5]), np.array([], dtype=np.intp), np.arange(p)]
    flat = _coordinates(per_class, p + 1, True)
    H = problem.class_hessian(x, per_class)
    np.testing.assert_allclose(H, _fd_hessian(problem, x, flat), atol=2e-7)


def test_active_model_is_per_class(rng):
    n, p, k = 50, 4, 3
    problem = _problem(rng.normal(size=(n, p)), rng.integers(0, k, n), k)
    x = np.zeros(k * (p + 1))
    x.reshape(k, p + 1)[1, 2] = 0.5  # one nonzero weight, in class 1
    g = np.zeros((k, p + 1))
    g[2, 0] = 1.0  # one gradient above l1 = 0.01, in class 2
    flat, pen, hessian = problem.active_model(x, g)
    # intercepts (column 4) always; class 1's feature 2; class 2's feature 0
    np.testing.assert_array_equal(flat, [4, 5 + 2, 5 + 4, 10 + 0, 10 + 4])
    np.testing.assert_array_equal(pen, [0, 0.01, 0, 0.01, 0])
    assert hessian().shape == (5, 5)


def test_ten_class_elastic_net_equals_saga(seed):
    rng = np.random.default_rng(seed + 23)
    n, p, k = 600, 12, 10
    X = rng.normal(size=(n, p))
    y = np.argmax(X @ rng.normal(size=(p, k)) + rng.gumbel(size=(n, k)), axis=1)
    C, r = 0.05, 0.5
    ours = SoftmaxRegression(C=C, l1_ratio=r, gauge="none").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = SkLogisticRegression(
            C=C, l1_ratio=r, solver="saga", tol=1e-12, max_iter=100_000
        ).fit(X, y)
    assert (sk.coef_ == 0).any()
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-6)
    # unpenalized intercepts are determined up to a common shift
    b, b_sk = ours.intercept_, sk.intercept_
    np.testing.assert_allclose(b - b.mean(), b_sk - b_sk.mean(), atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_binomial_hessian_equals_finite_differences(rng, fit_intercept):
    from softlogit._loss import BinomialLoss

    n, p = 300, 7
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2, p)
    y = rng.integers(0, 2, n)
    lml = LinearModelLoss(BinomialLoss(), fit_intercept=fit_intercept)
    sw = rng.uniform(0.5, 2, n)
    problem = L1Problem(lml, X, y, sw, l1=0.01, l2=0.2, n_rows=1)
    x = rng.normal(size=p + int(fit_intercept))
    features = np.array([1, 2, 5])
    x[[0, 3, 4, 6]] = 0.0  # the other features are zero (the restricted model)
    flat = problem.columns(features)
    H = problem.hessian(x, features)
    np.testing.assert_allclose(H, _fd_hessian(problem, x, flat), atol=2e-7)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gathered_gram_equals_the_written_out_product(rng, fit_intercept, dtype):
    """``Z^T diag(w) Z`` over chosen columns, by row blocks (several blocks here),
    equals the product written out in NumPy on ``X[:, columns]`` in float64."""
    X = rng.normal(size=(50_000, 40)).astype(dtype)  # blocks of 21845 rows
    w = rng.uniform(0.0, 2.0, size=50_000)
    cols = np.array([31, 2, 17, 5, 39])
    Z = X[:, cols].astype(np.float64)
    if fit_intercept:
        Z = np.column_stack([Z, np.ones(len(Z))])
    ref = Z.T @ (w[:, None] * Z)
    got = gathered_gram(X, w, cols, fit_intercept)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
    np.testing.assert_array_equal(got, got.T)
