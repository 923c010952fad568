"""Sparse features (``scipy.sparse`` CSR/CSC, matrices and arrays): every solver fits
them as they are, never densified, and agrees with the dense fit."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from softlogit import InputValueError, LogisticRegression, SoftmaxRegression
from softlogit._testing.sparse import NoDense

FORMATS = {
    "csr_matrix": sp.csr_matrix,
    "csc_matrix": sp.csc_matrix,
    "csr_array": sp.csr_array,
    "no_dense": NoDense,
}


def _data(seed, n_classes, n=300, p=25):
    Xs = sp.random(n, p, density=0.2, format="csr", random_state=seed + 3)
    Xd = Xs.toarray()
    rng = np.random.default_rng(seed)
    logits = Xd @ rng.normal(size=(p, n_classes)) * 2
    y = np.argmax(logits + rng.gumbel(size=(n, n_classes)), axis=1)
    return Xs, Xd, y


SOLVERS = [
    {"solver": "newton"},
    {"solver": "prox-newton", "l1_ratio": 0.5},
    {"solver": "auto", "l1_ratio": 1.0, "C": 0.5},
    {"solver": "gd", "max_iter": 5},
    {"solver": "momentum", "max_iter": 5},
    {"solver": "adam", "max_iter": 5},
]


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("kw", SOLVERS, ids=lambda kw: "-".join(map(str, kw.values())))
@pytest.mark.parametrize("cls", [LogisticRegression, SoftmaxRegression])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sparse_fit_equals_dense_fit(seed, fmt, kw, cls):
    Xs, Xd, y = _data(seed, 2 if cls is LogisticRegression else 3)
    X = FORMATS[fmt](Xs)
    sparse = cls(**kw).fit(X, y)
    dense = cls(**kw).fit(Xd, y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, atol=1e-12)
    np.testing.assert_allclose(
        sparse.predict_proba(X), dense.predict_proba(Xd), atol=1e-12
    )


@pytest.mark.parametrize("cls", [LogisticRegression, SoftmaxRegression])
def test_sparse_lbfgs_reaches_the_optimum(seed, cls):
    """L-BFGS on sparse X runs in diagonally whitened coordinates (a different path
    from the dense run); at a tight tol it reaches the dense Newton optimum."""
    Xs, Xd, y = _data(seed, 2 if cls is LogisticRegression else 3)
    sparse = cls(solver="lbfgs", tol=1e-10, max_iter=1000).fit(NoDense(Xs), y)
    newton = cls(solver="newton", tol=1e-10).fit(Xd, y)
    np.testing.assert_allclose(sparse.coef_, newton.coef_, atol=1e-6)


def test_sparse_with_sample_and_class_weights(seed):
    Xs, Xd, y = _data(seed, 3)
    sw = np.random.default_rng(seed).uniform(0.5, 2, len(y))
    kw = {"C": 0.3, "l1_ratio": 0.3, "class_weight": "balanced"}
    a = SoftmaxRegression(**kw).fit(NoDense(Xs), y, sw)
    b = SoftmaxRegression(**kw).fit(Xd, y, sw)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-12)


def test_sparse_unpenalized_raises(seed):
    Xs, _, y = _data(seed, 2)
    with pytest.raises(InputValueError, match=r"`X` is sparse and C=np\.inf"):
        LogisticRegression(C=np.inf).fit(Xs, y)


def test_sparse_nan_raises(seed):
    Xs, _, y = _data(seed, 2)
    Xs = Xs.tolil()
    Xs[4, 7] = np.nan
    with pytest.raises(InputValueError, match="`X` contains NaN at row 4, column 7"):
        LogisticRegression().fit(Xs.tocsr(), y)
    with pytest.raises(InputValueError, match="`X` contains NaN at row 4, column 7"):
        LogisticRegression().fit(_data(seed, 2)[1], y).predict(Xs.tocsc())


class NoSlice(sp.csr_matrix):
    """A CSR matrix that fails the test if it is cut into blocks of rows."""

    def __getitem__(self, key):
        raise AssertionError("a sparse X was sliced (its entries copied)")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_sparse_loss_gradient_reads_X_whole(seed, n_classes):
    # 3000 rows of 2000 columns: a dense X of this shape is cut into blocks
    from softlogit._linear_loss import LinearModelLoss
    from softlogit._loss import BinomialLoss, MultinomialLoss

    Xs, Xd, y = _data(seed, n_classes, n=3000, p=2000)
    rng = np.random.default_rng(seed)
    base = BinomialLoss() if n_classes == 2 else MultinomialLoss(n_classes=n_classes)
    lml = LinearModelLoss(base, fit_intercept=True)
    coef = rng.normal(size=2001 if n_classes == 2 else (n_classes, 2001)) * 0.01
    loss, grad = lml.loss_gradient(coef, NoSlice(Xs), y, None, 0.1)
    loss_d, grad_d = lml.loss_gradient(coef, Xd, y, None, 0.1)
    assert loss == pytest.approx(loss_d, rel=1e-12)
    np.testing.assert_allclose(grad, grad_d, rtol=1e-10, atol=1e-14)
