"""BLAS-shaped building blocks shared by the losses, the solvers and inference.

Weighted Gram matrices:
:func:`gram` and :func:`weighted_gram` for one weight per sample (the Hessian of a
logistic regression, the covariance behind whitened L-BFGS), and
:func:`class_pair_information` for the softmax's ``K - 1`` classes at once (the
Hessian of Newton's method and the Fisher information behind ``summary()``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from softlogit._rows import float64_rows, rows_tmatmul
from softlogit._sparse import (
    is_sparse,
    sparse_class_pair_information,
    sparse_weighted_gram,
)
from softlogit._threads import blas_threads, single_blas_thread
from softlogit._typing import FloatArray

_T = TypeVar("_T")


def class_pair_information(
    X: FloatArray,
    p: FloatArray,
    s: FloatArray,
    fit_intercept: bool,
    *,
    method: Literal["auto", "syrk", "khatri-rao"] = "auto",
) -> FloatArray:
    r"""``sum_i s_i (diag(p_i) - p_i p_i^T) (x) z_i z_i^T``, shape ``(m, q, m, q)``.

    With ``p`` the ``n x m`` probabilities of the ``m = K - 1`` non-reference
    classes and ``z_i = (x_i, 1)`` (or ``x_i`` without intercept: the package's
    layout, intercept last), this is the Fisher information of a softmax model in
    the reference gauge, and with ``s`` the weights over their sum the Hessian of
    its mean loss. Block ``(a, b)`` is the weighted Gram matrix ``Z^T diag(w_ab) Z``
    with ``w_ab = s (p_a [a = b] - p_a p_b)``. Only the ``m (m + 1) / 2`` blocks
    with ``a <= b`` are computed (block ``(b, a)`` is the transpose), each
    symmetric: ``n q (q + 1) / 2`` multiply-adds per block with ``q`` terms, about
    half the work of the product ``B^T B`` of the Kronecker rows
    ``B_i = sqrt(s_i) p_i (x) z_i``. Rows are processed in chunks of about 1 MiB;
    ``X`` with a ones column is never formed. With more than one BLAS thread
    allowed, ranges of rows run in as many Python threads (each product on one BLAS
    thread: the many small products of ``"syrk"`` gain nothing from BLAS threads)
    and their blocks are added. Two ways to form the blocks, both exact up to
    rounding (their timings: ``benchmarks/results/fit_notes.md``):

    ``"syrk"``
        Every ``w_ab`` has one sign (``s p_a (1 - p_a) >= 0`` on the diagonal,
        ``-s p_a p_b <= 0`` off it), so each block is ``+-B^T B`` with ``B`` the
        rows of ``X`` scaled by ``sqrt(|w_ab|)`` (NumPy computes ``B.T @ B`` by BLAS
        ``syrk``, half the work of a general product); the intercept row (last) is
        ``X^T w_ab`` and the corner ``sum(w_ab)``.
    ``"khatri-rao"``
        One matrix product ``W^T Y`` per chunk for all blocks at once, with ``W``
        the chunk's weights (one column per pair) and ``Y`` the upper triangles of
        its ``z_i z_i^T`` (one row per sample): one large product instead of many
        small ``syrk``, faster for many class pairs and few terms. ``"auto"``
        takes it when ``q < 1.5 m (m + 1) / 2``.
    """
    if is_sparse(X):
        return sparse_class_pair_information(X, p, s, fit_intercept)
    k1 = p.shape[1]
    q = X.shape[1] + int(fit_intercept)
    a, b = np.triu_indices(k1)
    if method == "auto":
        method = "khatri-rao" if q < 1.5 * a.size else "syrk"
    grams_of = _grams_khatri_rao if method == "khatri-rao" else _grams_syrk
    n = X.shape[0]
    work = n * q * q * a.size  # multiply-adds, twice the syrk count
    workers = min(blas_threads(), n // _MIN_ROWS_PER_THREAD, work // _MIN_WORK)
    if workers <= 1:
        grams = grams_of(X, p, s, a, b, fit_intercept)
    else:
        # Many small products gain nothing from BLAS threads: run ranges of rows in
        # Python threads instead (NumPy releases the GIL in its loops and products),
        # each on one BLAS thread, and add their blocks.
        from concurrent.futures import ThreadPoolExecutor

        edges = np.linspace(0, n, workers + 1).astype(int)
        ranges = [slice(lo, hi) for lo, hi in itertools.pairwise(edges)]
        with (
            single_blas_thread(),
            ThreadPoolExecutor(workers) as pool,
        ):
            parts = list(
                pool.map(
                    lambda r: grams_of(X[r], p[r], s[r], a, b, fit_intercept), ranges
                )
            )
        grams = np.sum(parts, axis=0)
    info = np.empty((k1, q, k1, q))
    # Advanced indices a, b around a slice: info[a, :, b, :] has shape (m, q, q).
    info[a, :, b, :] = grams
    info[b, :, a, :] = grams  # block (b, a) = block (a, b)^T, and blocks are symmetric
    return info


def _pair_weights(
    pt: FloatArray, s: FloatArray, a: NDArray[np.intp], b: NDArray[np.intp]
) -> FloatArray:
    """``|w_ab|`` of the pairs ``(a, b)``, shape ``(n_pairs, n)``, from ``pt = p.T``."""
    w: FloatArray = pt[a] * pt[b]
    diag = a == b
    w[diag] = pt[a[diag]] * (1.0 - pt[a[diag]])  # 1 - p is exact near p = 1
    w *= s
    return w


def _grams_syrk(
    X: FloatArray,
    p: FloatArray,
    s: FloatArray,
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    fit_intercept: bool,
) -> FloatArray:
    """The blocks ``Z^T diag(w_ab) Z`` by one ``syrk`` per pair and chunk of rows."""
    n, d = X.shape
    o = int(fit_intercept)
    chunk = max(64, min(n, _CHUNK_DOUBLES // max(d, 1)))
    diagonal = a == b
    grams = np.zeros((a.size, d + o, d + o))
    top = grams[:, :d, :d]
    buf = np.empty((chunk, d))
    gram = np.empty((d, d))
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        Xc = X[start:stop]
        w = _pair_weights(np.ascontiguousarray(p[start:stop].T), s[start:stop], a, b)
        if fit_intercept:
            signed = np.where(diagonal[:, None], w, -w)
            grams[:, d, :d] += signed @ Xc
            grams[:, d, d] += signed.sum(axis=1)
        root = np.sqrt(w)
        B = buf[: stop - start]
        for j in range(a.size):
            np.multiply(Xc, root[j][:, None], out=B)
            # NumPy computes B.T @ B (B.T a transposed view of B) by BLAS syrk and
            # releases the GIL, so row ranges can run in threads.
            np.matmul(B.T, B, out=gram)
            if diagonal[j]:
                top[j] += gram
            else:
                top[j] -= gram
    if fit_intercept:
        grams[:, :d, d] = grams[:, d, :d]
    return grams


def _grams_khatri_rao(
    X: FloatArray,
    p: FloatArray,
    s: FloatArray,
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    fit_intercept: bool,
) -> FloatArray:
    """The blocks ``Z^T diag(w_ab) Z`` as one product ``W^T Y`` per chunk."""
    n = X.shape[0]
    q = X.shape[1] + int(fit_intercept)
    iu, ju = np.triu_indices(q)
    bounds = np.concatenate([[0], np.cumsum(np.arange(q, 0, -1))])
    chunk = min(n, 512)
    sign = np.where(a == b, 1.0, -1.0)[:, None]
    acc = np.zeros((a.size, iu.size))
    d = X.shape[1]
    zbuf = np.empty((q, chunk))
    zbuf[d:] = 1.0  # a ones row last (the intercept)
    ybuf = np.empty((iu.size, chunk))
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        zt = zbuf[:, : stop - start]
        zt[:d] = X[start:stop].T
        yt = ybuf[:, : stop - start]
        for i in range(q):  # rows (i, j >= i) of Y^T: z_i * z_j for every sample
            np.multiply(zt[i], zt[i:], out=yt[bounds[i] : bounds[i + 1]])
        pt = np.ascontiguousarray(p[start:stop].T)
        w = _pair_weights(pt, s[start:stop], a, b) * sign
        acc += w @ yt.T
    grams = np.empty((a.size, q, q))
    grams[:, iu, ju] = acc
    grams[:, ju, iu] = acc
    return grams


def in_row_ranges(
    part: Callable[[slice], _T],
    X: FloatArray,
    work: int,
    min_rows: int,
    *,
    one_blas_thread: bool = False,
) -> list[_T]:
    """``part`` of consecutive ranges of rows, in as many Python threads as BLAS
    threads are allowed (and ranges of at least ``min_rows``) when ``work``
    (multiply-adds of one pass) is at least ``_THREAD_MIN_WORK`` and ``X`` a float64
    array (else one range), each thread on one BLAS thread; with
    ``one_blas_thread``, one range runs on one BLAS thread as well.

    The products of a blocked pass are small (a few classes, or one Gram, per
    block of rows): BLAS threads gain little on them and, on a loaded machine,
    wait for each other at every product; row ranges in threads (NumPy and BLAS
    release the GIL) synchronize once per pass.
    """
    n = X.shape[0]
    workers = 1
    # (float64 X only: float32 blocks converted in each thread would add up)
    if work >= _THREAD_MIN_WORK and isinstance(X, np.ndarray) and X.dtype == np.float64:
        workers = min(blas_threads(), n // max(min_rows, 1))
    if workers <= 1:
        if one_blas_thread:
            with single_blas_thread():
                return [part(slice(0, n))]
        return [part(slice(0, n))]
    from concurrent.futures import ThreadPoolExecutor

    edges = np.linspace(0, n, workers + 1).astype(int)
    ranges = [slice(int(lo), int(hi)) for lo, hi in itertools.pairwise(edges)]
    with single_blas_thread(), ThreadPoolExecutor(workers) as pool:
        return list(pool.map(part, ranges))


# Multiply-adds of a blocked pass's product from which row ranges run in threads.
_THREAD_MIN_WORK = 10**7


def gathered_gram(
    X: FloatArray, w: FloatArray, columns: NDArray[np.intp], fit_intercept: bool
) -> FloatArray:
    """``Z^T diag(w) Z`` with ``Z = [X[:, columns], 1]`` (or ``X[:, columns]``),
    ``w >= 0``, dense ``X``: each block of rows is gathered into a small buffer
    (about 1 MiB), scaled by ``sqrt(w)`` and accumulated by BLAS ``syrk``; ``X`` is
    never copied whole nor transposed."""
    n, k = X.shape[0], columns.size
    q = k + int(fit_intercept)
    rows = max(256, (1 << 20) // max(1, 8 * q))
    root = np.sqrt(w)

    def blocks() -> Iterator[FloatArray]:
        buf = np.empty((rows, q))
        for start in range(0, n, rows):
            stop = min(start + rows, n)
            B = buf[: stop - start]
            np.take(float64_rows(X[start:stop]), columns, axis=1, out=B[:, :k])
            if fit_intercept:
                B[:, k] = 1.0
            B *= root[start:stop, None]
            yield B

    return _syrk_sum(blocks(), q)


def _syrk_sum(blocks: Iterable[FloatArray], q: int) -> FloatArray:
    """``sum B^T B`` over C-ordered float64 blocks of ``q`` columns, by BLAS syrk (the
    upper triangle only, half the flops of a GEMM), returned symmetric."""
    from scipy.linalg import blas

    upper = np.zeros((q, q), order="F")
    for B in blocks:
        # B is C-ordered, so B.T is Fortran-ordered and passes without a copy.
        upper = blas.dsyrk(1.0, B.T, beta=1.0, c=upper, trans=0, lower=0, overwrite_c=1)
    out: FloatArray = np.triu(upper) + np.triu(upper, 1).T
    return out


def softmax_coordinate_hessian(
    X: FloatArray,
    p: FloatArray,
    s: FloatArray,
    columns: list[NDArray[np.intp]],
    fit_intercept: bool,
) -> FloatArray:
    r"""``sum_i s_i (diag(p_i) - p_i p_i^T) (x) z_i z_i^T`` in chosen coordinates.

    The coordinates are ``(a, j)`` for every class ``a`` and ``j`` in
    ``columns[a]`` (then the intercept, when ``fit_intercept``), class by class:
    the Hessian of a softmax model's weighted loss in the active coordinates of a
    proximal Newton step (Yuan, Ho and Lin's newGLMNET restricts each class to its
    own active set). Off the diagonal the weights ``-s_i p_ia p_ib`` factor, so all
    class pairs at once are ``-V^T V`` with ``V = [diag(sqrt(s) p_a) Z_a]_a``: one
    BLAS ``syrk`` of order ``m = sum_a |columns[a]|`` per chunk of rows, about
    ``n m^2 / 2`` multiply-adds (the blocks of :func:`class_pair_information` cost
    ``n K (K + 1) q^2 / 4`` on every column). The diagonal blocks are then
    replaced by ``Z_a^T diag(s p_a (1 - p_a)) Z_a`` (``1 - p`` exact near
    ``p = 1``, no cancellation). With one column of ``p`` (the binomial loss,
    ``p`` the probability of class 1) it is the one block
    ``Z^T diag(s p (1 - p)) Z``. ``X`` must be dense.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    p : ndarray of shape (n_samples, n_classes)
        The probabilities.
    s : ndarray of shape (n_samples,)
        Non-negative weights (the sample weights over their sum for the mean loss).
    columns : list of int arrays, one per class
    fit_intercept : bool

    Returns
    -------
    ndarray of shape (m, m)
    """
    from scipy.linalg import blas

    o = int(fit_intercept)
    edges = np.cumsum([0] + [c.size + o for c in columns])
    m = int(edges[-1])
    n = X.shape[0]
    if m == 0:
        return np.zeros((0, 0))
    rows = min(n, max(256, _CHUNK_DOUBLES * 2 // m))
    upper = np.zeros((m, m), order="F")
    diagonal = [
        np.zeros((e - b, e - b), order="F") for b, e in itertools.pairwise(edges)
    ]
    # Transposed buffers: a class's features are rows of the chunk's X^T, copied
    # whole (a gather of columns of a C-ordered X would be strided).
    vt = np.empty((m, rows))
    ut = np.empty((int(np.diff(edges).max(initial=0)), rows))
    root = np.sqrt(s)
    pt = np.ascontiguousarray(p.T)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        xt = np.ascontiguousarray(X[start:stop].T, dtype=np.float64)
        vc, r = vt[:, : stop - start], root[start:stop]
        for a, cols in enumerate(columns):
            pa = pt[a, start:stop]
            Z = vc[edges[a] : edges[a + 1]]
            if Z.shape[0] == 0:
                continue
            np.take(xt, cols, axis=0, out=Z[: cols.size])
            if o:
                Z[-1] = 1.0
            u = ut[: Z.shape[0], : stop - start]
            np.multiply(Z, r * np.sqrt(pa * (1.0 - pa)), out=u)
            diagonal[a] = blas.dsyrk(
                1.0, u.T, beta=1.0, c=diagonal[a], trans=1, lower=0, overwrite_c=1
            )
            Z *= r * pa
        if len(columns) > 1:
            # vc.T is Fortran-ordered (vc C-ordered): trans=1 gives vc vc^T = V^T V.
            upper = blas.dsyrk(
                -1.0, vc.T, beta=1.0, c=upper, trans=1, lower=0, overwrite_c=1
            )
    for a, block in enumerate(diagonal):
        upper[edges[a] : edges[a + 1], edges[a] : edges[a + 1]] = block
    out: FloatArray = np.triu(upper) + np.triu(upper, 1).T
    return out


# Rows per chunk times terms: 2**17 float64 = 1 MiB per chunk buffer.
_CHUNK_DOUBLES = 1 << 17
# class_pair_information splits the rows among threads only when each gets at least
# this many rows and this much work (multiply-adds), else threads cost more.
_MIN_ROWS_PER_THREAD = 4096
_MIN_WORK = 10**8


def gram(
    X: FloatArray, *, shift: FloatArray | None = None, scale: FloatArray | None = None
) -> FloatArray:
    """``B^T B`` with rows ``b_i = scale_i (x_i - shift)``, by cache-sized row blocks.

    Each block's rows are formed in a small temporary (about 1 MiB) and accumulated by
    BLAS syrk (the upper triangle only, half the flops of a GEMM), so no temporary of
    the size of ``X`` is allocated.
    """
    n, p = X.shape
    dtype = np.result_type(X.dtype, np.float32 if scale is None else scale.dtype)
    rows = max(256, (1 << 20) // max(1, p * int(np.dtype(dtype).itemsize)))

    def blocks() -> Iterator[FloatArray]:
        for start in range(0, n, rows):
            B = X[start : start + rows]
            if shift is not None:
                B = B - shift
            if scale is not None:
                B = B * scale[start : start + rows, None]
            yield B

    if dtype == np.float64:
        return _syrk_sum(blocks(), p)
    upper = np.zeros((p, p), dtype=dtype)
    for B in blocks():
        upper += B.T @ B
    return upper


def add_weighted_gram(
    H: FloatArray, Xb: FloatArray, w: FloatArray, fit_intercept: bool, buf: FloatArray
) -> None:
    """``H += Xa^T diag(w) Xa`` for a dense float64 block ``Xb`` (``Xa = [Xb, 1]``
    when ``fit_intercept``), ``w >= 0``: its rows scaled by ``sqrt(w)`` in ``buf``
    (at least as many rows, ``H``'s columns) and one product ``B^T B``, which NumPy
    computes by BLAS syrk, releasing the GIL (row ranges in threads run in
    parallel; SciPy's ``dsyrk`` holds it)."""
    m, p = Xb.shape
    root = np.sqrt(w)
    B = buf[:m]
    np.multiply(Xb, root[:, None], out=B[:, :p])
    if fit_intercept:
        B[:, p] = root
    H += B.T @ B


def weighted_gram(X: FloatArray, w: FloatArray, fit_intercept: bool) -> FloatArray:
    """``Xa^T diag(w) Xa`` with ``Xa = [X, 1]`` when ``fit_intercept``; ``w >= 0``."""
    if is_sparse(X):
        return sparse_weighted_gram(X, w, fit_intercept)
    top = gram(X, scale=np.sqrt(w))
    if not fit_intercept:
        return top
    p = X.shape[1]
    out = np.empty((p + 1, p + 1), dtype=top.dtype)
    out[:p, :p] = top
    col = rows_tmatmul(w, X, x_first=True)
    out[:p, p] = col
    out[p, :p] = col
    out[p, p] = w.sum()
    return out
