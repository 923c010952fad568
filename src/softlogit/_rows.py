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

__all__ = [
    "PREFETCH_FEATURES",
    "SMALL_PRODUCT",
    "add_class_gradient",
    "class_logits_t",
    "float64_blocks",
    "float64_rows",
    "prefetch",
    "rows_matmul",
    "rows_tmatmul",
]

#: Multiply-adds per product in :func:`class_logits_t` and :func:`add_class_gradient`:
#: a block's products with a few classes are taken by sub-blocks of rows of at most
#: this size, which OpenBLAS's small-matrix kernels compute without packing their
#: operands (a packed product with a few columns is bound by the packing, not by the
#: arithmetic; timings: ``benchmarks/results/fit_notes.md``).
SMALL_PRODUCT = 1 << 19
#: Features from which :func:`prefetch` reads a block: the products' access to rows
#: this long (several strided streams) misses the hardware prefetch, and reading the
#: block into cache in one sweep first costs less than that.
PREFETCH_FEATURES = 40


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


def prefetch(Xb: Any) -> None:
    """Read a dense block of rows with :data:`PREFETCH_FEATURES` features or more
    once in one sweep (a sum), so that the products that follow find it in cache."""
    if isinstance(Xb, np.ndarray) and Xb.ndim == 2 and Xb.shape[1] >= PREFETCH_FEATURES:
        np.add.reduce(Xb, axis=None)


def _small_rows(Xb: Any, n_outputs: int) -> int:
    """Rows per small product of :func:`class_logits_t` and
    :func:`add_class_gradient`, or 0 when the block is one product (sparse, or no
    more rows than a small product holds)."""
    if not isinstance(Xb, np.ndarray) or Xb.ndim != 2:
        return 0
    sub = max(1, SMALL_PRODUCT // max(1, n_outputs * int(Xb.shape[1])))
    return sub if sub < Xb.shape[0] else 0


def class_logits_t(Xb: Any, W: FloatArray, bias: FloatArray | None) -> FloatArray:
    """The transposed logits ``W @ Xb.T (+ bias)`` of a block of rows, shape
    ``(n_classes, rows)``, C-contiguous (``bias`` of shape (n_classes, 1)).

    A block with more rows than a small product holds (:data:`SMALL_PRODUCT`) is
    multiplied by sub-blocks of rows, ``Xb_s @ W.T``, and transposed once (their
    strided reads want the block in cache: :func:`prefetch`).
    """
    sub = _small_rows(Xb, W.shape[0])
    if not sub:
        zt: FloatArray = W @ Xb.T
    else:
        wt = np.ascontiguousarray(W.T)
        z = np.empty((Xb.shape[0], W.shape[0]), dtype=np.result_type(Xb, W))
        for s in range(0, Xb.shape[0], sub):
            np.matmul(Xb[s : s + sub], wt, out=z[s : s + sub])
        zt = np.ascontiguousarray(z.T)
    if bias is not None:
        zt += bias
    return zt


def add_class_gradient(gw: FloatArray, gt: FloatArray, Xb: Any) -> None:
    """``gw += gt @ Xb`` for per-sample gradients ``gt`` of shape (n_classes, rows),
    by sub-blocks of rows as :func:`class_logits_t`."""
    sub = _small_rows(Xb, gt.shape[0])
    if not sub:
        gw += rows_tmatmul(gt.T, Xb)
        return
    part = np.empty_like(gw)
    for s in range(0, Xb.shape[0], sub):
        np.matmul(gt[:, s : s + sub], Xb[s : s + sub], out=part)
        gw += part
