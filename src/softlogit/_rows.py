"""Products with float32 features by blocks of rows, in float64.

float32 ``X`` is never converted whole (that would double its memory): a block of
rows of about 4 MiB in float64 is converted at a time, products with it are float64
and sums accumulate in float64. For float64 (or sparse) ``X`` each function is the one
plain product, with the caller's order of operands, so its bits are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from softlogit._typing import FloatArray

__all__ = ["float64_blocks", "float64_rows", "rows_matmul", "rows_tmatmul"]


def _rows_per_block(X: Any) -> int:
    """Rows of ``X`` in a block of about 4 MiB in float64."""
    return max(1, (4 << 20) // (8 * max(int(X.shape[1]), 1)))


def _f32_rows(X: Any, other: Any) -> int:
    """Rows per block for a float32 ``X`` met by float64 ``other``, or 0 when ``X``
    is used whole (same type, sparse, not 2-D)."""
    if (
        not isinstance(X, np.ndarray)
        or X.ndim != 2
        or X.dtype == np.result_type(X.dtype, other.dtype)
    ):
        return 0
    return _rows_per_block(X)


def float64_blocks(X: FloatArray) -> Iterator[FloatArray]:
    """Dense ``X`` by blocks of rows in float64: float64 ``X`` whole, other types
    converted a block at a time (never whole)."""
    if X.dtype == np.float64:
        yield X
        return
    step = _rows_per_block(X)
    for s in range(0, X.shape[0], step):
        yield X[s : s + step].astype(np.float64)


def float64_rows(X: Any) -> Any:
    """A block of rows of float32 ``X`` converted to float64 once, for several
    products; other blocks (float64, sparse) as they are."""
    if isinstance(X, np.ndarray) and X.dtype == np.float32:
        return X.astype(np.float64)
    return X


def rows_matmul(X: FloatArray, B: FloatArray) -> FloatArray:
    """``X @ B``; float32 ``X`` with float64 ``B`` by blocks of rows, so that ``X`` is
    never converted whole (float32 features stay float32, products are float64)."""
    step = _f32_rows(X, B)
    if not step:
        out: FloatArray = X @ B
        return out
    z = np.empty((X.shape[0], *B.shape[1:]), dtype=np.result_type(X.dtype, B.dtype))
    for s in range(0, X.shape[0], step):
        np.matmul(X[s : s + step], B, out=z[s : s + step])
    return z


def rows_tmatmul(A: FloatArray, X: Any, *, x_first: bool = False) -> FloatArray:
    """``A.T @ X`` for ``A`` of shape (n,) or (n, k); float32 ``X`` with float64 ``A``
    by blocks of rows, summed in float64 (see :func:`rows_matmul`).

    Otherwise the one product ``A.T @ X``, or ``(X.T @ A).T`` with ``x_first`` (the
    caller's order of operands, which fixes the rounding).
    """
    step = _f32_rows(X, A)
    if not step:
        out: FloatArray = (X.T @ A).T if x_first else A.T @ X
        return out
    acc = np.zeros((*A.shape[1:], X.shape[1]), dtype=np.result_type(X.dtype, A.dtype))
    for s in range(0, X.shape[0], step):
        acc += A[s : s + step].T @ X[s : s + step]
    return acc
