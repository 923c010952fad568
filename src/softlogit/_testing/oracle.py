"""mpmath references for softlogit's stable functions, and the ulp error against them.

The one oracle that ``tests/test_special.py`` asserts against and ``python -m
benchmarks.accuracy`` tabulates, so the two measure the same thing on the same inputs.
It shares no code with :mod:`softlogit._special`: the references are evaluated in
mpmath at :data:`DPS` significant digits and rounded to float64 once.

Grids: about 8000 float64 inputs covering [-1e308, 1e308] (log-spaced magnitudes of
both signs, down to subnormals), dense in [-800, 800], plus +-0 and +-inf, for the
elementwise functions (:func:`unary_grid`); all pairs and triples of a base grid plus
random rows (near ties, wide spreads, huge magnitudes, -inf) for the row functions
(:func:`row_grid`). The error of a result is ``|got - ref| / spacing(|ref|)`` with
``ref`` rounded to the result's dtype (:func:`ulp_error`). References are cached per
process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np

__all__ = [
    "BCE_TARGETS",
    "CUT",
    "DPS",
    "MP_UNARY",
    "as_dtype",
    "bce_reference",
    "float32_rows",
    "mp_lse_parts",
    "mp_sigmoid",
    "mp_softplus",
    "mpf",
    "row_grid",
    "row_reference",
    "sce_reference",
    "ulp_error",
    "ulp_of",
    "unary_grid",
    "unary_reference",
    "worst",
]

DPS = 50  # significant digits of the mpmath references
# exp(-760) < 2**-1096: a term this small cannot change a float64 result (or its ulp)
# next to a term of size 1, and as a result on its own it rounds to zero.
CUT = -760

# --------------------------------------------------------------------------------------
# grids
# --------------------------------------------------------------------------------------


def unary_grid() -> np.ndarray:
    """About 8000 float64 inputs: log-spaced magnitudes, dense [-800, 800], +-0, +-inf."""
    rng = np.random.default_rng(20261129)
    tiny = np.finfo(np.float64).smallest_subnormal
    mags = np.concatenate(
        [
            10.0 ** np.linspace(-323, 308.25, 500),
            [tiny, np.finfo(np.float64).tiny, np.finfo(np.float64).max],
        ]
    )
    dense = np.concatenate(
        [
            np.linspace(-800.0, 800.0, 3201),  # every half unit
            rng.uniform(-800, 800, 2000),
            rng.uniform(-40, 40, 1000),
            rng.uniform(-1, 1, 500),
            # where the formulas switch or exp under/overflows
            np.outer(
                [1.0, -1.0], [36.7, 37.0, 709.78, 709.79, 744.4, 745.1, 745.2, 746.0]
            ).ravel(),
        ]
    )
    special = np.array([0.0, -0.0, np.inf, -np.inf])
    return np.concatenate([mags, -mags, dense, special])


def _row_base(n: int, seed: int) -> np.ndarray:
    """Entries of the row grid: log-spaced magnitudes, uniform draws, extremes."""
    rng = np.random.default_rng(seed)
    mags = 10.0 ** np.linspace(-300, 308, n)
    extra = [0.0, -0.0, -np.inf, 1e308, -1e308, np.finfo(np.float64).max]
    return np.concatenate(
        [mags, -mags, rng.uniform(-800, 800, n), rng.uniform(-5, 5, n), extra]
    )


def row_grid(n_classes: int) -> np.ndarray:
    """Rows of 2 or 3 logits: all pairs/triples of a base grid plus random rows.

    Random rows are near ties (spread 1e-16 to 30 around a centre in [-800, 800]),
    uniform in [-800, 800] and uniform in [-3, 3]. Rows of all -inf and rows with +inf
    (documented separately) are left out.
    """
    rng = np.random.default_rng(7 + n_classes)
    base = _row_base(18 if n_classes == 2 else 5, n_classes)
    mesh = np.meshgrid(*([base] * n_classes), indexing="ij")
    rows = [np.stack([m.ravel() for m in mesh], axis=1)]
    n = 1500
    centre = rng.uniform(-800, 800, size=(n, 1))
    spread = 10.0 ** rng.uniform(-16, 1.5, size=(n, 1))
    rows.append(centre + spread * rng.normal(size=(n, n_classes)))
    rows.append(rng.uniform(-800, 800, size=(n, n_classes)))
    rows.append(rng.uniform(-3, 3, size=(n, n_classes)))
    out: np.ndarray = np.concatenate(rows)
    kept: np.ndarray = out[~np.all(out == -np.inf, axis=1)]
    return kept


def as_dtype(x: np.ndarray, dtype: type[np.floating]) -> np.ndarray:
    """``x`` rounded to ``dtype`` (overflowing to +-inf silently)."""
    with np.errstate(over="ignore"):
        return np.asarray(x).astype(dtype)


def float32_rows(n_classes: int) -> np.ndarray:
    """About 3000 rows of :func:`row_grid` rounded to float32 (all finite maxima)."""
    rows = as_dtype(row_grid(n_classes), np.float32)
    keep = np.all(rows < np.inf, axis=1) & ~np.all(rows == -np.inf, axis=1)
    out: np.ndarray = rows[keep]
    return out[:: max(1, len(out) // 3000)]


# --------------------------------------------------------------------------------------
# mpmath references (cached per process; values are float64 roundings)
# --------------------------------------------------------------------------------------


def mpf(v: float) -> Any:
    """``v`` as an mpmath number (exactly: a float64 is a binary fraction)."""
    return mpmath.mpf(float(v))


def mp_softplus(v: Any) -> Any:
    """``log(1 + e^v)`` at the working precision (``mpmath.workdps``)."""
    # log(1 + e^v) = v + log(1 + e^-v)
    if v > 0:
        return v + (mpmath.log1p(mpmath.exp(-v)) if -v > CUT else 0)
    return mpmath.log1p(mpmath.exp(v)) if v > CUT else mpmath.exp(v)


def mp_sigmoid(v: Any) -> Any:
    """``1 / (1 + e^-v)`` at the working precision (``mpmath.workdps``)."""
    if v >= 0:
        return 1 / (1 + mpmath.exp(-v)) if -v > CUT else mpmath.mpf(1)
    e = mpmath.exp(v) if v > CUT else mpmath.mpf(0)
    return e / (1 + e)


MP_UNARY: dict[str, Callable[[Any], Any]] = {
    "sigmoid": mp_sigmoid,
    "softplus": mp_softplus,
    "log_sigmoid": lambda v: -mp_softplus(-v),
}


@functools.cache
def unary_reference(name: str, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs of ``dtype`` and the float64-rounded reference values on them."""
    x = np.unique(as_dtype(unary_grid(), np.dtype(dtype).type))
    f = MP_UNARY[name]
    with mpmath.workdps(DPS):
        ref = np.array([float(f(mpf(v))) for v in x])
    return x, ref


BCE_TARGETS = (0.0, 1.0, 0.25, 0.7, 1 / 3, 0.999)


@functools.cache
def bce_reference(dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logits, targets and (1 - y) softplus(z) + y softplus(-z) with exact y."""
    z0 = np.unique(as_dtype(unary_grid(), np.dtype(dtype).type))
    z0 = z0[np.isfinite(z0)][::2]
    z = np.tile(z0, len(BCE_TARGETS))
    y = np.repeat(np.array(BCE_TARGETS, dtype=dtype), len(z0))
    ref = np.empty(len(z))
    with mpmath.workdps(DPS):
        for i, (zi, yi) in enumerate(zip(z, y, strict=True)):
            v, t = mpf(zi), mpf(yi)
            ref[i] = float((1 - t) * mp_softplus(v) + t * mp_softplus(-v))
    return z, y, ref


@functools.cache
def row_reference(n_classes: int, dtype: str) -> dict[str, np.ndarray]:
    """logsumexp, log_softmax and softmax of the rows, plus the log1p term of lse.

    With m the maximum and k* one maximal index, lse = m + log1p(sum_{k != k*}
    e^(x_k - m)); mpmath's subtraction is correctly rounded at 50 digits, so the
    differences x_k - m are exact to 50 digits however far apart the entries are.
    """
    rows = row_grid(n_classes) if dtype == "float64" else float32_rows(n_classes)
    cut = mpmath.mpf(CUT)
    n = len(rows)
    lse, l1p_terms = np.empty(n), np.empty(n)
    logp, p = np.empty((n, n_classes)), np.empty((n, n_classes))
    with mpmath.workdps(DPS):
        for i, row in enumerate(rows):
            v = [mpf(t) for t in row]
            k_max = int(np.argmax(row))
            m = v[k_max]
            d = [t - m for t in v]
            e = [mpmath.exp(t) if t > cut else mpmath.mpf(0) for t in d]
            rest = mpmath.fsum(ek for k, ek in enumerate(e) if k != k_max)
            l1p = mpmath.log1p(rest)
            lse[i] = float(m + l1p)
            l1p_terms[i] = float(l1p)
            logp[i] = [float(t - l1p) for t in d]
            p[i] = [float(ek / (1 + rest)) for ek in e]
    return {
        "x": rows,
        "logsumexp": lse,
        "log1p": l1p_terms,
        "log_softmax": logp,
        "softmax": p,
    }


@functools.cache
def sce_reference(n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random probability targets and -sum_k y_k log_softmax(x)_k with exact y."""
    ref = row_reference(n_classes, "float64")
    rows = ref["x"]
    rng = np.random.default_rng(3)
    y = rng.dirichlet(np.ones(n_classes), size=len(rows))
    # an exact zero target on some -inf log-probabilities contributes nothing
    y[::7, 0] = 0.0
    y /= y.sum(axis=1, keepdims=True)
    out = np.empty(len(rows))
    cut = mpmath.mpf(CUT)
    with mpmath.workdps(DPS):
        for i, row in enumerate(rows):
            v = [mpf(t) for t in row]
            k_max = int(np.argmax(row))
            d = [t - v[k_max] for t in v]
            rest = mpmath.fsum(
                mpmath.exp(t) for k, t in enumerate(d) if k != k_max and t > cut
            )
            l1p = mpmath.log1p(rest)
            out[i] = float(
                -mpmath.fsum(
                    mpf(yk) * (t - l1p) for yk, t in zip(y[i], d, strict=True) if yk
                )
            )
    return rows, y, out


def mp_lse_parts(row: np.ndarray) -> tuple[Any, Any]:
    """(lse, max(|m|, log1p term)) of one row, at 50 digits."""
    k = int(np.argmax(row))
    m = mpf(row[k])
    rest = mpmath.fsum(
        mpmath.exp(mpf(v) - m) for j, v in enumerate(row) if j != k and v > CUT + m
    )
    l1p = mpmath.log1p(rest)
    return m + l1p, max(abs(m), l1p)


# --------------------------------------------------------------------------------------
# ulp error
# --------------------------------------------------------------------------------------


def ulp_of(x: np.ndarray) -> np.ndarray:
    """np.spacing(|x|) as float64, with the spacing at the largest finite value."""
    x = np.abs(np.asarray(x))
    info = np.finfo(x.dtype)
    with np.errstate(over="ignore"):  # NumPy says spacing(max) is inf
        ulp = np.spacing(x).astype(np.float64)
    ulp[x == info.max] = np.ldexp(1.0, info.maxexp - info.nmant - 1)
    out: np.ndarray = ulp
    return out


def ulp_error(got: np.ndarray, ref64: np.ndarray) -> np.ndarray:
    """|got - ref| / spacing(|ref|), with ``ref`` rounded to the dtype of ``got``.

    Infinite references must be matched exactly (error 0 or inf).
    """
    got = np.asarray(got)
    ref = as_dtype(ref64, got.dtype.type)
    err = np.zeros(got.shape)
    finite = np.isfinite(ref)
    diff = np.abs(got[finite].astype(np.float64) - ref[finite].astype(np.float64))
    err[finite] = diff / ulp_of(ref[finite])
    err[~finite] = np.where(got[~finite] == ref[~finite], 0.0, np.inf)
    return err


def worst(err: np.ndarray) -> float:
    """The largest error (0 for none)."""
    return float(np.max(err, initial=0.0))
