"""Numerically stable special functions on logits.

Every function here keeps the input's floating dtype (float32 in, float32 out; integers,
booleans and Python numbers become float64). Lower-precision inputs are evaluated in float64
and rounded once at the end. Object, string and complex input raises
:class:`~softlogit.InputTypeError` (a ``TypeError``); bad shapes, axes and values raise
:class:`~softlogit.InputValueError` (a ``ValueError``).

Accuracy, measured against 50-digit mpmath references on grids that cover
[-1e308, 1e308] (log-spaced magnitudes of both signs, dense in [-800, 800], +-0, +-inf;
pairs and triples of such logits for the row functions): at most 2 ulp in float64 for
every function, and every float32 result on those grids correctly rounded (``python -m
benchmarks.accuracy`` prints the table; ``tests/test_special.py`` asserts 4 ulp). No
function overflows or warns for finite input, and none returns NaN for finite input.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from softlogit._rows import rows_matmul
from softlogit._typing import ArrayLike, Axis, FloatArray, IntArray
from softlogit._validation import Options, check_param, check_unit_interval
from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "binary_cross_entropy",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "softplus",
]

Reduction = Literal["mean", "sum", "none"]
REDUCTIONS: tuple[str, ...] = ("mean", "sum", "none")

# --------------------------------------------------------------------------------------
# Kernels: the one implementation of each formula, for every module that evaluates it
# (the public functions below, the losses, inference, the experiment's networks and
# data). They take floating arrays, keep their dtype, validate nothing and set no
# error state. Their names carry no underscore: they are the package's internal API
# (not exported by softlogit), imported across packages.
# --------------------------------------------------------------------------------------

# Up to this many columns, row maxima by a loop over the columns beat a reduction
# along the short last axis; beyond it, the reduction is faster.
_ROW_MAX_LOOP_COLUMNS = 12


def sigmoid_exp(
    z: FloatArray, out: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """``sigmoid(z)`` (written to ``out``, which may be ``z``) and ``e = exp(-|z|)``.

    ``e <= 1`` never overflows: ``sigmoid(z) = 1 / (1 + e)`` for ``z >= 0`` and
    ``e / (1 + e)`` for ``z < 0``. NaN propagates. Callers reuse ``e``.
    """
    e: FloatArray = np.asarray(np.abs(z))  # an array also for 0-d ``z``
    np.negative(e, out=e)
    np.exp(e, out=e)
    # the numerator: max(e, 1) = 1 where z >= 0, max(e, 0) = e where z < 0
    p: FloatArray = np.maximum(e, z >= 0, out=out)
    p /= 1 + e
    return p, e


def softplus_kernel(z: FloatArray, log1p_e: FloatArray | None = None) -> FloatArray:
    """``softplus(z) = log(1 + e^z) = max(z, 0) + log1p(exp(-|z|))``.

    Both terms are non-negative: no cancellation, no overflow. ``log1p_e`` is the
    second term when the caller has it (``softplus(-z)`` shares it).
    """
    if log1p_e is None:
        log1p_e = np.log1p(np.exp(-np.abs(z)))
    out: FloatArray = np.maximum(z, 0) + log1p_e
    return out


def binary_cross_entropy_kernel(
    z: FloatArray, t: FloatArray, e: FloatArray | None = None
) -> FloatArray:
    """Per-element ``softplus(z) - t z`` for targets ``t`` in [0, 1].

    Evaluated as ``(1 - t) softplus(z) + t softplus(-z)`` (equal because
    ``softplus(z) - softplus(-z) = z``), a sum of non-negative terms without
    cancellation; both softplus share ``log1p(e)``, ``e = exp(-|z|)`` (passed in when
    the caller has it). At infinite ``z`` a zero weight times an infinite softplus
    gives NaN: callers that admit infinite logits set those entries themselves.
    """
    a = np.log1p(np.exp(-np.abs(z)) if e is None else e)
    out: FloatArray = (1 - t) * softplus_kernel(z, a) + t * softplus_kernel(-z, a)
    return out


def row_max(z: FloatArray) -> FloatArray:
    """Row maxima of a 2-D array, as a column of shape (n_rows, 1)."""
    if z.shape[1] > _ROW_MAX_LOOP_COLUMNS:
        out: FloatArray = np.max(z, axis=1, keepdims=True)
        return out
    m: FloatArray = z[:, :1].copy()
    for j in range(1, z.shape[1]):
        np.maximum(m, z[:, j : j + 1], out=m)
    return m


def row_sum(z: FloatArray) -> FloatArray:
    """Row sums of a 2-D array, as a column: one BLAS matrix-vector product."""
    out: FloatArray = (z @ np.ones(z.shape[1], dtype=z.dtype))[:, None]
    return out


def softmax_rows(
    z: FloatArray, *, out: FloatArray | None = None, zero_logit: bool = False
) -> FloatArray:
    """Softmax along the rows of ``z`` (n_rows, n_classes), shifted by the row maximum.

    ``softmax(z) = softmax(z - m)``: with ``m`` the row maximum every ``exp(z - m)``
    lies in (0, 1] and the row sum in [1, n_classes], so nothing overflows.
    ``zero_logit=True`` gives the softmax of ``[0, z]`` without its first column (a
    reference class whose logit is 0): then ``m = max(max_k z_k, 0)`` and the sum
    includes ``exp(-m)``. The result is written to ``out`` (which may be ``z``).
    """
    m = row_max(z)
    if zero_logit:
        np.maximum(m, 0, out=m)
    with np.errstate(over="ignore"):  # logits 1.8e308 apart: -inf, then 0
        e: FloatArray = np.subtract(z, m, out=out)
    np.exp(e, out=e)
    total = row_sum(e)
    if zero_logit:
        total += np.exp(-m)
    e /= total
    return e


def softmax_parts(z: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``d = z - m``, ``e = exp(d)`` and ``r = sum(e) - 1`` of logits (n_rows, n_classes).

    ``m`` is the row maximum (as in :func:`softmax_rows`); ``r`` (a column) is summed
    from the non-maximal entries, plus 1 per further tied maximum, so that
    ``logsumexp(z) = m + log1p(r)`` and ``-log softmax(z)_k = log1p(r) - d_k`` keep
    their relative accuracy when ``r`` is tiny; ``softmax(z) = e / (1 + r)``.
    """
    with np.errstate(over="ignore"):  # logits 1.8e308 apart: d = -inf, e = 0
        d: FloatArray = z - row_max(z)
    e: FloatArray = np.exp(d)
    at_max = d == 0
    r = np.sum(np.where(at_max, 0, e), axis=1, keepdims=True)
    r += np.sum(at_max, axis=1, keepdims=True) - 1
    return d, e, r


def softmax_columns(zt: FloatArray, at: IntArray) -> FloatArray:
    """Softmax of transposed logits, in place, and the cross-entropy at ``at``.

    ``zt`` has shape (n_classes, n_samples), is C-contiguous and is overwritten by
    the softmax of each column: in this layout every reduction over the classes is an
    elementwise operation between contiguous rows. ``at`` holds one flat index into
    ``zt`` per column, ``label * n_samples + column``. Returns, per column,
    ``-log softmax(z)_label = log(s) - d_label`` with ``d = z - m`` (``m`` the column
    maximum) and ``s = sum(exp(d))``: to an absolute error of about one ulp of 1
    (what a sum of losses resolves anyway), but a loss below 1e-16 is not resolved.
    """
    flat = zt.reshape(-1)  # a view: zt is C-contiguous
    with np.errstate(over="ignore"):  # logits 1.8e308 apart: -inf, then 0
        zt -= zt.max(axis=0)
    d_at = flat[at]
    np.exp(zt, out=zt)
    s = zt.sum(axis=0)
    nll: FloatArray = np.log(s)
    nll -= d_at
    zt *= np.reciprocal(s)
    return nll


def linear_logits(
    X: FloatArray, W: FloatArray, b: FloatArray
) -> tuple[FloatArray, IntArray | None]:
    """Logits ``X @ W.T + b`` (``W`` of shape (n_classes, n_features)), without
    intermediate overflow.

    Returns ``(z, e)``. On the fast path (every logit finite) ``e`` is None and ``z``
    the plain product. Otherwise each row of finite ``x`` with a non-finite logit is
    recomputed in units of ``2**e[i]`` (``e`` is 0 on the other rows): ``x`` and
    ``W`` are scaled by powers of two to below 1 (exactly), each product is split
    into two floats (Dekker's TwoProd, exact) and ``math.fsum`` adds them and the
    scaled bias correctly rounded, so cancelling huge terms leave the exact
    difference (``[2, 2] . [1e308, -1e308] = 0``). The logits are
    ``ldexp(z, e)`` (:func:`logits_value`), ``+-inf`` only where the exact logit
    exceeds the float range; their softmax comes from ``z`` and ``e``
    (:func:`softmax_scaled`), so it never meets ``inf - inf``.
    """
    import math

    with np.errstate(over="ignore", invalid="ignore"):
        z: FloatArray = rows_matmul(X, W.T) + b
        if np.isfinite(np.sum(z)):  # one pass: every logit finite (fast path)
            return z, None
        bad = ~np.all(np.isfinite(z), axis=1) & np.all(np.isfinite(X), axis=1)
    rows = np.flatnonzero(bad)
    e = np.zeros(z.shape[0], dtype=np.int64)
    if not rows.size:
        return z, None
    w_exp = int(np.frexp(np.max(np.abs(W), initial=1.0))[1])
    w_scaled = np.ldexp(W, -w_exp)
    for i in rows:
        x_exp = int(np.frexp(np.max(np.abs(X[i])))[1])
        xs = np.ldexp(X[i], -x_exp)
        hi, lo = _two_prod(xs[None, :], w_scaled)  # exact: x_j w_kj = hi + lo
        bs = np.ldexp(b, -(x_exp + w_exp))
        for k in range(W.shape[0]):
            z[i, k] = math.fsum([*hi[k], *lo[k], float(bs[k])])
        e[i] = x_exp + w_exp
    return z, e


def logits_value(z: FloatArray, e: IntArray | None) -> FloatArray:
    """The logits ``ldexp(z, e)`` of :func:`linear_logits` (``+-inf`` beyond range)."""
    if e is None:
        return z
    with np.errstate(over="ignore"):
        out: FloatArray = np.ldexp(z, e[:, None])
    return out


def shifted_scaled(z: FloatArray, e: IntArray | None) -> FloatArray:
    """Logits minus their row maximum, ``<= 0`` and never NaN, from ``(z, e)``."""
    with np.errstate(over="ignore"):  # -inf where 1.8e308 apart (or scaled so)
        d: FloatArray = z - row_max(z)
        if e is not None:
            d = np.ldexp(d, e[:, None])
    return d


def softmax_scaled(z: FloatArray, e: IntArray | None) -> FloatArray:
    """Softmax of the logits ``(z, e)`` of :func:`linear_logits`, along rows."""
    if e is None:
        return softmax(z, axis=-1)
    d = np.exp(shifted_scaled(z, e))
    out: FloatArray = d / row_sum(d)
    return out


def log_softmax_scaled(z: FloatArray, e: IntArray | None) -> FloatArray:
    """Log-softmax of the logits ``(z, e)`` of :func:`linear_logits`, along rows."""
    if e is None:
        return log_softmax(z, axis=-1)
    return log_softmax(shifted_scaled(z, e), axis=-1)


# --------------------------------------------------------------------------------------
# Argument handling of the public functions
# --------------------------------------------------------------------------------------


def _normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """The axes ``axis`` names, each in ``[0, ndim)`` (``None``: all of them)."""
    items = (axis if isinstance(axis, tuple) else (axis,)) if axis is not None else ()
    if any(
        isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer))
        for a in items
    ):
        raise InputTypeError(
            f"`axis` must be an integer, a tuple of integers or None; got {axis!r}."
        )
    if axis is None or ndim == 0:
        return tuple(range(ndim))
    for a in items:
        if not -ndim <= a < ndim:
            raise InputValueError(
                f"`axis` {a} is out of bounds for an array of dimension {ndim}."
            )
    axes = tuple(int(a) % ndim for a in items)
    if len(set(axes)) != len(axes):
        raise InputValueError(f"`axis` has repeated entries; got {axis!r}.")
    return axes


def _as_float(x: ArrayLike, name: str) -> tuple[FloatArray, np.dtype[np.floating]]:
    """Return ``x`` as a float64 array and the dtype the result must have."""
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind == "f":
        out_dtype: np.dtype[np.floating] = arr.dtype
    elif kind in "biu":
        out_dtype = np.dtype(np.float64)
    else:
        raise InputTypeError(
            f"`{name}` must be a real numeric array; got dtype {arr.dtype} "
            f"({'complex' if kind == 'c' else 'non-numeric'})."
        )
    return arr.astype(np.float64, copy=False), out_dtype


def _finish(value: FloatArray, dtype: np.dtype[np.floating]) -> FloatArray:
    # A float64 result beyond the range of a narrower dtype rounds to +-inf, which is
    # the correctly rounded value; NumPy would warn about the cast.
    with np.errstate(over="ignore"):
        return np.asarray(value).astype(dtype, copy=False)


def sigmoid(x: ArrayLike) -> FloatArray:
    r"""Logistic sigmoid, evaluated without overflow.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}

    Parameters
    ----------
    x : array_like
        Logits, any shape.

    Returns
    -------
    ndarray
        ``sigmoid(x)``, same shape and floating dtype as ``x``.

    Notes
    -----
    With :math:`e = e^{-|x|} \le 1` (which never overflows),
    :math:`\sigma(x) = 1/(1+e)` for :math:`x \ge 0` and :math:`e/(1+e)` for
    :math:`x < 0`. ``sigmoid(inf) == 1``, ``sigmoid(-inf) == 0``, NaN propagates.

    Examples
    --------
    >>> from softlogit import sigmoid
    >>> sigmoid([-1e9, 0.0, 1e9])
    array([0. , 0.5, 1. ])
    """
    z, dtype = _as_float(x, "x")
    out, _ = sigmoid_exp(z)
    return _finish(np.where(np.isnan(z), z, out), dtype)


def softplus(x: ArrayLike) -> FloatArray:
    r"""Softplus :math:`\log(1 + e^{x})`, evaluated without overflow.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``x``.

    Notes
    -----
    :math:`\operatorname{softplus}(x) = \max(x, 0) + \log1p(e^{-|x|})`: both terms are
    non-negative, so there is no cancellation. ``softplus(inf) == inf``,
    ``softplus(-inf) == 0``, NaN propagates.

    Examples
    --------
    >>> from softlogit import softplus
    >>> softplus([-1000.0, 0.0, 1000.0]).round(6).tolist()
    [0.0, 0.693147, 1000.0]
    """
    z, dtype = _as_float(x, "x")
    # softplus(x) = logaddexp(x, 0)
    return _finish(softplus_kernel(z), dtype)


def log_sigmoid(x: ArrayLike) -> FloatArray:
    r"""Logarithm of the sigmoid, :math:`\log\sigma(x) = -\operatorname{softplus}(-x)`.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``x``; always :math:`\le 0`.

    Notes
    -----
    ``log_sigmoid(-inf) == -inf``, ``log_sigmoid(inf) == -0.0``, NaN propagates.

    Examples
    --------
    >>> from softlogit import log_sigmoid
    >>> log_sigmoid([-1000.0, 0.0]).round(6).tolist()
    [-1000.0, -0.693147]
    """
    z, dtype = _as_float(x, "x")
    # log(sigmoid(x)) = -log(1 + exp(-x)) = -softplus(-x)
    return _finish(-softplus_kernel(-z), dtype)


class _Moved:
    """``z`` with its reduction axes moved last and flattened into one (``flat``).

    A 0-d ``z`` becomes one element to reduce; its ``axis`` is only type-checked.
    """

    def __init__(self, z: FloatArray, axis: Axis) -> None:
        self.z = z
        self.axes = _normalize_axes(axis, z.ndim)
        rest = tuple(a for a in range(z.ndim) if a not in self.axes)
        self.order = rest + self.axes
        moved = np.transpose(z, self.order)
        self.moved_shape = moved.shape
        n_reduce = int(np.prod([z.shape[a] for a in self.axes], dtype=np.int64))
        self.flat = moved.reshape((*moved.shape[: len(rest)], n_reduce))

    def restore(self, v: FloatArray) -> FloatArray:
        """Undo the move for an array ``v`` shaped like ``flat``."""
        return np.transpose(v.reshape(self.moved_shape), np.argsort(self.order))

    def reduced(self, v: FloatArray, keepdims: bool) -> FloatArray:
        """A reduction ``v`` of ``flat`` over its last axis, in the shape of ``z``'s."""
        shape = self.z.shape
        if keepdims:
            return v.reshape(
                tuple(1 if i in self.axes else s for i, s in enumerate(shape))
            )
        return v.reshape(tuple(s for i, s in enumerate(shape) if i not in self.axes))


# --------------------------------------------------------------------------------------
# Double-double arithmetic, used only where logsumexp's float64 formula cancels.
# A value is an unevaluated sum hi + lo with |lo| <= ulp(hi) / 2 (Dekker 1971; Knuth,
# TAOCP 4.2.2; Hida, Li & Bailey, "Library for double-double and quad-double", 2001).
# --------------------------------------------------------------------------------------

_DD = tuple[FloatArray, FloatArray]
_SPLITTER = 134217729.0  # 2**27 + 1
# ln 2 = _LN2_HI + _LN2_LO + _LN2_LO2 to about 2**-160 (each the rounded remainder).
_LN2_HI = 0.6931471805599453
_LN2_LO = 2.3190468138462996e-17
_LN2_LO2 = 5.707708438416212e-34
# 1/j! as double-doubles, j = 0..11.
_INV_FACT: tuple[tuple[float, float], ...] = (
    (1.0, 0.0),
    (1.0, 0.0),
    (0.5, 0.0),
    (0.16666666666666666, 9.25185853854297e-18),
    (0.041666666666666664, 2.3129646346357427e-18),
    (0.008333333333333333, 1.1564823173178714e-19),
    (0.001388888888888889, -5.300543954373577e-20),
    (0.0001984126984126984, 1.7209558293420705e-22),
    (2.48015873015873e-05, 2.1511947866775882e-23),
    (2.7557319223985893e-06, -1.858393274046472e-22),
    (2.755731922398589e-07, 2.3767714622250297e-23),
    (2.505210838544172e-08, -1.448814070935912e-24),
)


def _two_sum(a: FloatArray, b: FloatArray) -> _DD:
    """a + b = s + e exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a: FloatArray, b: FloatArray) -> _DD:
    """a + b = s + e exactly, if |a| >= |b| or a == 0 (Dekker)."""
    s = a + b
    return s, b - (s - a)


def _two_prod(a: FloatArray, b: FloatArray) -> _DD:
    """a * b = p + e exactly (Dekker's splitting; |a|, |b| < 2**995)."""
    p = a * b
    t = _SPLITTER * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLITTER * b
    bh = t - (t - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_add(a: _DD, b: _DD) -> _DD:
    s, e = _two_sum(a[0], b[0])
    t, f = _two_sum(a[1], b[1])
    s, e = _fast_two_sum(s, e + t)
    return _fast_two_sum(s, e + f)


def _dd_mul(a: _DD, b: _DD) -> _DD:
    p, e = _two_prod(a[0], b[0])
    return _fast_two_sum(p, e + (a[0] * b[1] + a[1] * b[0]))


def _dd_exp_parts(a: _DD) -> tuple[FloatArray, _DD]:
    """``k`` and ``expm1(r)`` with ``a = k ln 2 + r``, for -746 < a <= 710.

    ``|r| <= ln(2)/2``; expm1(r) comes from its Taylor series at r / 256 (11 terms),
    doubled back eight times with expm1(2y) = expm1(y) (2 + expm1(y)), to about
    2**-104 relative.
    """
    hi, lo = a
    k = np.rint(hi / _LN2_HI)
    p, pe = _two_prod(k, np.full_like(k, _LN2_HI))
    # hi - p is exact (Sterbenz); the rest is gathered in double-double.
    r = _two_sum(hi - p, -pe)
    q, qe = _two_prod(k, np.full_like(k, _LN2_LO))
    r = _dd_add(r, _two_sum(lo, -q))
    r = _dd_add(r, _fast_two_sum(-qe, -k * _LN2_LO2))
    r = (r[0] * 2.0**-8, r[1] * 2.0**-8)
    # Horner: expm1(r) = r (1 + r (1/2! + r (1/3! + ...))). With |r| < 0.0014 the
    # terms from r**6 on are below 2**-57 of r: they need only float64 precision.
    tail = np.full_like(hi, _INV_FACT[11][0])
    for j in range(10, 5, -1):
        tail = tail * r[0] + _INV_FACT[j][0]
    acc: _DD = (tail, np.zeros_like(hi))
    for j in range(5, 0, -1):
        c = _INV_FACT[j]
        acc = _dd_add(_dd_mul(acc, r), (np.full_like(hi, c[0]), np.full_like(hi, c[1])))
    em1 = _dd_mul(acc, r)  # expm1(r / 256)
    two: _DD = (np.full_like(hi, 2.0), np.zeros_like(hi))
    for _ in range(8):
        em1 = _dd_mul(em1, _dd_add(em1, two))
    return k, em1


def _dd_exp_from_parts(k: FloatArray, em1: _DD) -> _DD:
    """``2**k (1 + em1)``: the exponential from the parts of :func:`_dd_exp_parts`."""
    e_hi, e_lo = _dd_add((np.ones_like(k), np.zeros_like(k)), em1)
    ki = k.astype(np.int64)
    return np.ldexp(e_hi, ki), np.ldexp(e_lo, ki)


def _dd_exp(a: _DD) -> _DD:
    """exp(a) in double-double for -746 < a <= 710 (results below 2**-969 lose bits
    of their low part, which no caller needs)."""
    return _dd_exp_from_parts(*_dd_exp_parts(a))


def _dd_expm1(a: _DD) -> _DD:
    """expm1(a) in double-double with relative accuracy, for -746 < a <= 710."""
    k, em1 = _dd_exp_parts(a)
    # for k != 0, |a| > ln(2)/2 and exp(a) - 1 cancels at most two bits
    shifted = _dd_add(_dd_exp_from_parts(k, em1), (-np.ones_like(k), np.zeros_like(k)))
    return np.where(k == 0, em1[0], shifted[0]), np.where(k == 0, em1[1], shifted[1])


def _logsumexp_dd(rows: FloatArray) -> FloatArray:
    """Log-sum-exp of finite-maximum rows to about 2**-100 relative, in double-double.

    Used where m < 0 and m + log1p(rest) cancels: there the result is ill-conditioned
    in float64 arithmetic, so every term is carried to twice the precision.
    """
    n, k = rows.shape
    first = np.argmax(rows, axis=-1)
    m = rows[np.arange(n), first]
    with np.errstate(invalid="ignore", over="ignore"):
        d = _two_sum(rows, -m[:, None])  # x - m = hi + lo exactly
    # the maximal entry is counted as the 1 of log1p; e^d < 2**-1074 is zero
    use = (np.arange(k)[None, :] != first[:, None]) & (d[0] > -746.0)
    hi = np.where(use, d[0], 0.0)
    lo = np.where(use, np.nan_to_num(d[1]), 0.0)
    e_hi, e_lo = _dd_exp((hi, lo))
    terms: _DD = (np.where(use, e_hi, 0.0), np.where(use, e_lo, 0.0))
    # pairwise double-double sum over the class axis
    while terms[0].shape[1] > 1:
        half = terms[0].shape[1] // 2
        a = (terms[0][:, :half], terms[1][:, :half])
        b = (terms[0][:, half : 2 * half], terms[1][:, half : 2 * half])
        summed = _dd_add(a, b)
        if terms[0].shape[1] % 2:
            summed = (
                np.concatenate([summed[0], terms[0][:, -1:]], axis=1),
                np.concatenate([summed[1], terms[1][:, -1:]], axis=1),
            )
        terms = summed
    rest: _DD = (terms[0][:, 0], terms[1][:, 0])
    # log1p(rest) = y0 + log1p(g), g = (rest - expm1(y0)) / (1 + expm1(y0)) ~ 2**-52;
    # every quantity is relative to rest (not to 1 + rest), so tiny m stay accurate.
    y0 = np.log1p(rest[0])
    em1 = _dd_expm1((y0, np.zeros_like(y0)))
    num = _dd_add(rest, (-em1[0], -em1[1]))
    g = (num[0] + num[1]) / (1.0 + em1[0])
    log1p_g = g - g * g / 2
    # m + y0 is exact where it cancels (Sterbenz); add the low part last
    s, err = _two_sum(m, y0)
    out: FloatArray = s + (err + log1p_g)
    return out


class _LSEParts:
    """The pieces of a stable log-sum-exp along the last axis of a 2-D-or-more array.

    With ``m`` the row maximum, ``d = x - m`` is carried as ``hi + lo`` (an exact
    two-term difference, Knuth's TwoSum), ``e = exp(d)`` and ``rest`` the sum of ``e``
    over all entries but one maximal one, so that
    ``logsumexp = m + log1p(rest)`` and ``log_softmax = hi + lo - log1p(rest)``
    without cancellation in the second.
    """

    def __init__(self, z: FloatArray) -> None:
        with np.errstate(invalid="ignore", over="ignore"):
            n = z.shape[-1]
            m = np.max(z, axis=-1, keepdims=True, initial=-np.inf)
            finite_m = np.isfinite(m)
            m0 = np.where(finite_m, m, 0.0)
            hi = z - m0
            # TwoSum: z + (-m0) == hi + lo exactly.
            b_virtual = hi - z
            a_virtual = hi - b_virtual
            lo = (z - a_virtual) + (-m0 - b_virtual)
            lo = np.where(np.isfinite(hi), lo, 0.0)
            # exp(hi + lo) = exp(hi) * exp(lo), and exp(lo) = 1 + lo to within lo**2.
            e = np.exp(np.where(finite_m, hi, -np.inf))
            e = e + e * lo
            rest = e.copy()
            if n:
                first = np.argmax(z, axis=-1)[..., None]
                np.put_along_axis(rest, first, 0.0, axis=-1)
            rest_sum = np.sum(rest, axis=-1, keepdims=True)
        self.m, self.finite_m, self.hi, self.lo, self.e = m, finite_m, hi, lo, e
        self.rest_sum = rest_sum
        self.log1p_rest = np.log1p(rest_sum)


def logsumexp(x: ArrayLike, axis: Axis = -1, *, keepdims: bool = False) -> FloatArray:
    r"""Log of the sum of exponentials, :math:`\log\sum_k e^{x_k}`, without overflow.

    Parameters
    ----------
    x : array_like
        Any shape. A 0-d input is its own log-sum-exp.
    axis : int, tuple of int or None, default=-1
        Axes to reduce; ``None`` reduces all of them.
    keepdims : bool, default=False
        Keep the reduced axes with length one.

    Returns
    -------
    ndarray
        Floating dtype of ``x``.

    Notes
    -----
    With :math:`m = \max_k x_k`, :math:`\operatorname{lse}(x) = m + \log1p(\sum_{k \ne
    k^*} e^{x_k - m})` where :math:`k^*` is one maximal entry; the differences
    :math:`x_k - m` are carried exactly (TwoSum). Where :math:`m < 0` and the
    :math:`\log1p` term nearly cancel it (the result is small next to its terms, as in
    the log-sum-exp of log-probabilities, which is close to 0), those rows are
    recomputed in double-double arithmetic: the absolute error is then about
    :math:`2^{-100}\max(|m|, \log1p(\cdot))`, so the result is within a few ulp
    wherever it is at least :math:`2^{-48}` of that scale. This slower path runs only
    for the rows that need it.

    Measured worst error against 50-digit references: 2 ulp in float64, correctly
    rounded in float32 (``python -m benchmarks.accuracy``).

    An empty reduction gives ``-inf``; any ``+inf`` entry gives ``+inf``; a row of all
    ``-inf`` gives ``-inf``; NaN propagates.

    Examples
    --------
    >>> from softlogit import logsumexp
    >>> float(logsumexp([1000.0, 1000.0]))
    1000.6931471805599
    >>> logsumexp([[0.0, 0.0], [-1e9, 0.0]], axis=1)
    array([0.69314718, 0.        ])

    Where the two terms of the sum cancel, the small result is still accurate to the
    last digit (``-0.7 + log(2)`` in float64 is off by 27 ulp):

    >>> float(logsumexp([-0.7, -0.7]))  # exact: -0.00685281944005464617...
    -0.006852819440054646
    """
    z, dtype = _as_float(x, "x")
    moved = _Moved(z, axis)
    flat = moved.flat
    parts = _LSEParts(flat)
    with np.errstate(invalid="ignore"):
        out = np.where(parts.finite_m, parts.m + parts.log1p_rest, parts.m)
        # m < 0 and log1p(rest) close to -m: the sum cancels (the problem is
        # ill-conditioned in float64), so recompute those rows in double-double.
        cancels = (
            parts.finite_m
            & (parts.m < 0)
            & (np.abs(out) < 0.5 * np.maximum(-parts.m, parts.log1p_rest))
        )[..., 0]
    out = out[..., 0]
    if np.any(cancels):
        out[cancels] = _logsumexp_dd(flat[cancels])
    return _finish(moved.reduced(out, keepdims), dtype)


def _select_rows(p: _LSEParts, finite: FloatArray, inf_row: FloatArray) -> FloatArray:
    """Per row of a softmax-like result: ``finite`` where the maximum is finite,
    ``inf_row`` where it is ``+inf``, NaN for a row of all ``-inf`` or with a NaN."""
    out = np.where(p.finite_m, finite, np.where(p.m == np.inf, inf_row, np.nan))
    return np.where(np.isnan(p.m), np.nan, out)


def log_softmax64(z: FloatArray, axis: Axis) -> FloatArray:
    moved = _Moved(z, axis)
    flat = moved.flat
    p = _LSEParts(flat)
    with np.errstate(invalid="ignore"):
        # log softmax = (x - m) - log1p(rest): x - m <= 0 and log1p(rest) >= 0, so the
        # subtraction never cancels; (x - m) is carried exactly as hi + lo.
        finite = (p.hi - p.log1p_rest) + p.lo
        # +inf in a row: log(1/count) on the +inf entries, -inf elsewhere.
        pos_inf = flat == np.inf
        count = np.sum(pos_inf, axis=-1, keepdims=True)
        inf_row = np.where(pos_inf, -np.log(np.maximum(count, 1)), -np.inf)
        out = _select_rows(p, finite, inf_row)
    return moved.restore(out)


def log_softmax(x: ArrayLike, axis: Axis = -1) -> FloatArray:
    r"""Log-softmax :math:`x_k - \log\sum_j e^{x_j}`, without overflow or cancellation.

    Parameters
    ----------
    x : array_like
        Logits, any shape.
    axis : int, tuple of int or None, default=-1
        The class axis (or axes).

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``x``.

    Notes
    -----
    Computed as :math:`(x_k - m) - \log1p(\sum_{j \ne k^*} e^{x_j - m})`, a
    difference of a non-positive and a non-negative number. If a row contains ``+inf``,
    the ``+inf`` entries share the mass (``-log(count)``) and the others are ``-inf``.
    A row of all ``-inf`` has no softmax and gives NaN. NaN propagates to its row.

    Examples
    --------
    >>> from softlogit import log_softmax
    >>> log_softmax([0.0, 1000.0])
    array([-1000.,     0.])
    """
    z, dtype = _as_float(x, "x")
    return _finish(log_softmax64(z, axis), dtype)


def softmax(x: ArrayLike, axis: Axis = -1) -> FloatArray:
    r"""Softmax :math:`e^{x_k} / \sum_j e^{x_j}`, without overflow.

    Parameters
    ----------
    x : array_like
        Logits, any shape.
    axis : int, tuple of int or None, default=-1
        The class axis (or axes).

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``x``; sums to one along ``axis``.

    Notes
    -----
    Shift invariant: ``softmax(x + c) == softmax(x)``. Computed as
    :math:`e^{x_k - m} / (1 + \sum_{j \ne k^*} e^{x_j - m})` with the differences carried
    exactly. If a row contains ``+inf`` the ``+inf`` entries share the mass equally. A
    row of all ``-inf`` has no softmax and gives NaN. NaN propagates to its row.
    For two classes, ``softmax([z1, z2])[1] == sigmoid(z2 - z1)``.

    Examples
    --------
    >>> from softlogit import softmax
    >>> softmax([1000.0, 1000.0])
    array([0.5, 0.5])
    """
    z, dtype = _as_float(x, "x")
    moved = _Moved(z, axis)
    flat = moved.flat
    p = _LSEParts(flat)
    with np.errstate(invalid="ignore"):
        # e^(x_k - m) / (1 + sum over the non-maximal entries)
        finite = p.e / (1.0 + p.rest_sum)
        pos_inf = flat == np.inf
        count = np.sum(pos_inf, axis=-1, keepdims=True)
        inf_row = pos_inf / np.maximum(count, 1)
        out = _select_rows(p, finite, inf_row)
    return _finish(moved.restore(out), dtype)


def _reduce(
    losses: FloatArray,
    sample_weight: ArrayLike | None,
    reduction: Reduction,
) -> FloatArray:
    check_param("reduction", reduction, Options(REDUCTIONS))
    sw: FloatArray | None = None
    weighted = losses
    if sample_weight is not None:
        sw, _ = _as_float(sample_weight, "sample_weight")
        if sw.shape != losses.shape:
            raise InputValueError(
                f"`sample_weight` must have shape {losses.shape}; got shape {sw.shape}."
            )
        if not np.all(np.isfinite(sw) & (sw >= 0)):
            raise InputValueError(
                "`sample_weight` must be finite and non-negative; got "
                f"{'NaN' if np.any(np.isnan(sw)) else 'values outside [0, inf)'}."
            )
        if reduction == "mean" and np.any(sw):
            # the weighted mean does not change when the weights are scaled: scale
            # them to at most 1, so that their sum cannot overflow
            sw = sw / np.max(sw)
        with np.errstate(invalid="ignore", over="ignore"):
            # a zero weight removes its sample, even where the loss is infinite
            weighted = np.where(sw == 0, 0.0, sw * losses)
    if reduction == "none":
        return weighted
    with np.errstate(over="ignore"):
        total = np.sum(weighted)
    if reduction == "sum":
        return np.asarray(total)
    denom = np.sum(sw) if sw is not None else losses.size
    if denom == 0:
        raise InputValueError(
            "`sample_weight` must have a positive sum for reduction='mean'; got sum 0."
            if sw is not None
            else "cannot take the mean loss of an empty batch; use reduction='sum'."
        )
    if np.isinf(total) and np.all(np.isfinite(losses)):
        # The sum overflowed but the mean, a convex combination of finite losses, is
        # finite: scale by the largest loss, M * sum_i (s_i / S) (l_i / M).
        scale = np.max(np.abs(losses))
        frac = sw / denom if sw is not None else np.full(losses.shape, 1.0 / denom)
        return np.asarray(scale * np.sum(frac * (losses / scale)))
    return np.asarray(total / denom)


def binary_cross_entropy(
    logits: ArrayLike,
    y: ArrayLike,
    sample_weight: ArrayLike | None = None,
    *,
    reduction: Reduction = "mean",
) -> FloatArray:
    r"""Binary cross-entropy of ``sigmoid(logits)`` against ``y``, from logits.

    Parameters
    ----------
    logits : array_like
        Logits :math:`z`, any shape.
    y : array_like
        Targets in :math:`[0, 1]` (labels 0/1 or probabilities), shape of ``logits``.
    sample_weight : array_like, optional
        Non-negative weights, shape of ``logits``.
    reduction : {'mean', 'sum', 'none'}, default='mean'
        ``'mean'`` is the weighted mean :math:`\sum_i s_i \ell_i / \sum_i s_i`
        (scikit-learn's convention), ``'sum'`` the weighted sum, ``'none'`` the
        weighted per-element losses.

    Returns
    -------
    ndarray
        0-d for ``'mean'`` and ``'sum'``, else the shape of ``logits``.

    Notes
    -----
    :math:`\ell = \operatorname{softplus}(z) - y z
    = (1 - y)\operatorname{softplus}(z) + y\operatorname{softplus}(-z)`; the second form
    is a sum of non-negative terms, so it has no cancellation. It equals
    ``softmax_cross_entropy([0, z], y)`` (and ``[-z/2, z/2]``).

    Examples
    --------
    >>> from softlogit import binary_cross_entropy
    >>> binary_cross_entropy([0.0, 1000.0], [1.0, 0.0], reduction="none").round(6).tolist()
    [0.693147, 1000.0]
    """
    z, dtype = _as_float(logits, "logits")
    t, _ = _as_float(y, "y")
    if t.shape != z.shape:
        raise InputValueError(
            f"`y` must have the shape of `logits` {z.shape}; got {t.shape}."
        )
    check_unit_interval("y", t)
    with np.errstate(invalid="ignore"):
        losses = binary_cross_entropy_kernel(z, t)
        # At z = +inf with y = 1 (or -inf with y = 0) the loss is 0, the limit of
        # softplus(z) - y z, where the formula multiplies an infinity by zero.
        losses = np.where(np.isinf(z) & (t == (z > 0)), 0.0, losses)
    return _finish(_reduce(losses, sample_weight, reduction), dtype)


def softmax_cross_entropy(
    logits: ArrayLike,
    y: ArrayLike,
    sample_weight: ArrayLike | None = None,
    *,
    reduction: Reduction = "mean",
) -> FloatArray:
    r"""Cross-entropy of ``softmax(logits)`` against ``y``, from logits.

    Parameters
    ----------
    logits : array_like of shape (..., n_classes)
        Logits, classes on the last axis.
    y : array_like
        Integer class labels of shape ``logits.shape[:-1]``, or one-hot rows or class
        probabilities of shape ``logits.shape``.
    sample_weight : array_like of shape ``logits.shape[:-1]``, optional
        Non-negative weights.
    reduction : {'mean', 'sum', 'none'}, default='mean'
        As in :func:`binary_cross_entropy`.

    Returns
    -------
    ndarray
        0-d for ``'mean'`` and ``'sum'``, else of shape ``logits.shape[:-1]``.

    Notes
    -----
    For labels, :math:`\ell = \operatorname{lse}(z) - z_y = -\operatorname{log\_softmax}
    (z)_y`; for probabilities, :math:`\ell = -\sum_k y_k \operatorname{log\_softmax}
    (z)_k` (terms with :math:`y_k = 0` contribute 0 even where the log-softmax is
    ``-inf``).

    Examples
    --------
    >>> from softlogit import softmax_cross_entropy
    >>> logits = [[0.0, 0.0], [0.0, 1000.0]]
    >>> softmax_cross_entropy(logits, [1, 0], reduction="none").round(6).tolist()
    [0.693147, 1000.0]
    """
    z, dtype = _as_float(logits, "logits")
    if z.ndim == 0:
        raise InputValueError(
            "`logits` must have a class axis (ndim >= 1); got a 0-d array."
        )
    n_classes = z.shape[-1]
    if n_classes == 0:
        raise InputValueError("`logits` must have at least one class; got 0.")
    y_arr = np.asarray(y)
    if y_arr.dtype.kind not in "biuf":
        raise InputTypeError(
            f"`y` must be numeric labels or probabilities; got {y_arr.dtype}."
        )
    logp = log_softmax64(z, -1)
    if y_arr.shape == z.shape:
        t = y_arr.astype(np.float64)
        if not np.all(np.isfinite(t) & (t >= 0)):
            raise InputValueError(
                "`y` probabilities must be finite and non-negative; got "
                f"{'NaN or inf' if not np.all(np.isfinite(t)) else 'negative'} values."
            )
        with np.errstate(invalid="ignore", over="ignore"):
            terms = np.where(t != 0, t * logp, 0.0)
            # Where x_k - m overflows (entries more than ~1.8e308 apart), log_softmax
            # is -inf but t_k (x_k - m) may be finite: use halves, which are exact.
            m = np.max(z, axis=-1, keepdims=True)
            far = (t != 0) & np.isneginf(logp) & np.isfinite(z) & np.isfinite(m)
            if np.any(far):
                top = np.max(logp, axis=-1, keepdims=True)  # -log1p(rest)
                halves = 2.0 * (t * (z / 2 - m / 2)) + t * top
                terms = np.where(far, halves, terms)
            # every term is <= 0, so the sum overflows only to the right infinity
            losses = -np.sum(terms, axis=-1)
    elif y_arr.shape == z.shape[:-1]:
        if y_arr.dtype.kind == "f" and not np.all(
            np.isfinite(y_arr) & (y_arr == np.round(y_arr))
        ):
            raise InputValueError(
                "`y` labels must be integers; got non-integer values."
            )
        labels = y_arr.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise InputValueError(
                f"`y` labels must lie in [0, {n_classes - 1}]; got values in "
                f"[{labels.min()}, {labels.max()}]."
            )
        losses = -np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    else:
        raise InputValueError(
            f"`y` must have shape {z.shape[:-1]} (labels) or {z.shape} "
            f"(probabilities); got {y_arr.shape}."
        )
    return _finish(_reduce(losses, sample_weight, reduction), dtype)
