"""Gram matrices and column moments of ``scipy.sparse`` features, never densified.

The dense kernels of :mod:`softlogit._gram` form blocks of rows of ``X``; for a
sparse ``X`` (CSR or CSC, matrices or arrays) the same quantities come from sparse
products: ``X^T diag(w) X`` is the sparse product of ``X^T`` and the rows of ``X``
scaled by ``w`` (only the result, ``p x p``, is dense), the intercept's row is
``X^T w``. ``X`` itself is never converted to a dense array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from softlogit._typing import FloatArray
from softlogit.errors import InputValueError

__all__ = [
    "check_finite_sparse",
    "is_sparse",
    "sparse_class_pair_information",
    "sparse_column_variances",
    "sparse_weighted_gram",
]


def is_sparse(X: object) -> bool:
    """Whether ``X`` is a ``scipy.sparse`` matrix or array (SciPy not imported
    unless it already is)."""
    import sys

    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and bool(sparse.issparse(X))


def _scaled_rows(X: Any, w: FloatArray) -> Any:
    """``diag(w) X`` as a sparse matrix of the same pattern."""
    import scipy.sparse as sp

    return sp.diags_array(w) @ X


def sparse_weighted_gram(X: Any, w: FloatArray, fit_intercept: bool) -> FloatArray:
    """``Xa^T diag(w) Xa`` with ``Xa = [X, 1]`` when ``fit_intercept`` (dense result).

    The sparse analogue of :func:`softlogit._gram.weighted_gram` (``w`` may have
    any sign here).
    """
    p = X.shape[1]
    top = np.asarray((X.T @ _scaled_rows(X, w)).toarray())
    if not fit_intercept:
        return top
    out = np.empty((p + 1, p + 1))
    out[:p, :p] = top
    col = np.asarray(X.T @ w).ravel()
    out[:p, p] = col
    out[p, :p] = col
    out[p, p] = w.sum()
    return out


def sparse_class_pair_information(
    X: Any, p: FloatArray, s: FloatArray, fit_intercept: bool
) -> FloatArray:
    r"""``sum_i s_i (diag(p_i) - p_i p_i^T) (x) z_i z_i^T``, shape ``(m, q, m, q)``.

    The sparse analogue of :func:`softlogit._gram.class_pair_information`: block
    ``(a, b)`` is :func:`sparse_weighted_gram` with weights
    ``s (p_a [a = b] - p_a p_b)``, one sparse product per pair ``a <= b``.
    """
    m = p.shape[1]
    q = X.shape[1] + int(fit_intercept)
    info = np.empty((m, q, m, q))
    for a in range(m):
        for b in range(a, m):
            w = s * (p[:, a] * (1.0 - p[:, a]) if a == b else -p[:, a] * p[:, b])
            block = sparse_weighted_gram(X, w, fit_intercept)
            info[a, :, b, :] = block
            info[b, :, a, :] = block.T
    return info


def sparse_column_variances(
    X: Any, sw: FloatArray, fit_intercept: bool
) -> tuple[FloatArray, FloatArray]:
    """Weighted means (zeros without intercept) and variances about them of the
    columns of a sparse ``X``: ``mu = X^T sw / S``, ``E[x^2] - mu^2``."""
    S = float(sw.sum())
    second = np.asarray(X.multiply(X).T @ sw).ravel() / S
    if not fit_intercept:
        return np.zeros(X.shape[1]), second
    mu = np.asarray(X.T @ sw).ravel() / S
    return mu, np.maximum(second - mu * mu, 0.0)


def check_finite_sparse(X: Any, name: str = "X") -> None:
    """Raise naming the first NaN or infinite stored entry of a sparse ``X``.

    Raises
    ------
    InputValueError
        ``"`X` contains NaN at row 3, column 2 (...)"``, as
        :func:`softlogit._validation.check_finite` for dense arrays.
    """
    if np.isfinite(X.data).all():
        return
    coo = X.tocoo()
    bad = np.flatnonzero(~np.isfinite(coo.data))
    order = np.lexsort((coo.col[bad], coo.row[bad]))
    k = bad[order[0]]
    value = coo.data[k]
    what = "NaN" if np.isnan(value) else ("infinity" if value > 0 else "-infinity")
    raise InputValueError(
        f"`{name}` contains {what} at row {int(coo.row[k])}, column "
        f"{int(coo.col[k])} ({bad.size} non-finite stored entr"
        f"{'y' if bad.size == 1 else 'ies'} in all; inf and NaN are not allowed)."
    )
