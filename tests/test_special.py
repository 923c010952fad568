"""Accuracy and behaviour of the stable functions on logits.

Accuracy is measured in ulp against mpmath at 50 significant digits, on grids that cover
[-1e308, 1e308] (log-spaced magnitudes of both signs, down to subnormals), sample
[-800, 800] densely, and include +-0 and +-inf. The error of a result is
``|got - ref| / spacing(|ref|)`` with ``ref`` the reference rounded to the result's
dtype. ``benchmarks/accuracy.py`` prints the same measurements as a table.

Shapes, axes and scalar handling are checked against scipy.special; the conventions of
sample weights against scikit-learn. PyTorch and Keras live in
``test_special_frameworks.py``.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import mpmath
import numpy as np
import pytest
import scipy.special as sps
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softlogit import (
    binary_cross_entropy,
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    softplus,
)

DPS = 50  # significant digits of the mpmath references
MAX_ULP = 4.0
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


def row_base(n: int, seed: int) -> np.ndarray:
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
    base = row_base(18 if n_classes == 2 else 5, n_classes)
    mesh = np.meshgrid(*([base] * n_classes), indexing="ij")
    rows = [np.stack([m.ravel() for m in mesh], axis=1)]
    n = 1500
    centre = rng.uniform(-800, 800, size=(n, 1))
    spread = 10.0 ** rng.uniform(-16, 1.5, size=(n, 1))
    rows.append(centre + spread * rng.normal(size=(n, n_classes)))
    rows.append(rng.uniform(-800, 800, size=(n, n_classes)))
    rows.append(rng.uniform(-3, 3, size=(n, n_classes)))
    out = np.concatenate(rows)
    return out[~np.all(out == -np.inf, axis=1)]


def as_dtype(x: np.ndarray, dtype: type[np.floating]) -> np.ndarray:
    """``x`` rounded to ``dtype`` (overflowing to +-inf silently)."""
    with np.errstate(over="ignore"):
        return np.asarray(x).astype(dtype)


def float32_rows(n_classes: int) -> np.ndarray:
    rows = as_dtype(row_grid(n_classes), np.float32)
    rows = rows[np.all(rows < np.inf, axis=1) & ~np.all(rows == -np.inf, axis=1)]
    return rows[:: max(1, len(rows) // 3000)]


# --------------------------------------------------------------------------------------
# mpmath references (cached for the module; values are float64 roundings)
# --------------------------------------------------------------------------------------


def _mpf(v: float) -> mpmath.mpf:
    return mpmath.mpf(float(v))


def mp_softplus(v: mpmath.mpf) -> mpmath.mpf:
    # log(1 + e^v) = v + log(1 + e^-v)
    if v > 0:
        return v + (mpmath.log1p(mpmath.exp(-v)) if -v > CUT else 0)
    return mpmath.log1p(mpmath.exp(v)) if v > CUT else mpmath.exp(v)


def mp_sigmoid(v: mpmath.mpf) -> mpmath.mpf:
    if v >= 0:
        return 1 / (1 + mpmath.exp(-v)) if -v > CUT else mpmath.mpf(1)
    e = mpmath.exp(v) if v > CUT else mpmath.mpf(0)
    return e / (1 + e)


MP_UNARY: dict[str, Callable[[mpmath.mpf], mpmath.mpf]] = {
    "sigmoid": mp_sigmoid,
    "softplus": mp_softplus,
    "log_sigmoid": lambda v: -mp_softplus(-v),
}
UNARY: dict[str, Callable[..., np.ndarray]] = {
    "sigmoid": sigmoid,
    "softplus": softplus,
    "log_sigmoid": log_sigmoid,
}


def _mp_value(v: mpmath.mpf | float) -> float:
    return float(v)


@functools.cache
def unary_reference(name: str, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs of ``dtype`` and the float64-rounded reference values on them."""
    x = np.unique(as_dtype(unary_grid(), np.dtype(dtype).type))
    f = MP_UNARY[name]
    with mpmath.workdps(DPS):
        ref = np.array([_mp_value(f(_mpf(v))) for v in x])
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
            v, t = _mpf(zi), _mpf(yi)
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
            v = [_mpf(t) for t in row]
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
            v = [_mpf(t) for t in row]
            k_max = int(np.argmax(row))
            d = [t - v[k_max] for t in v]
            rest = mpmath.fsum(
                mpmath.exp(t) for k, t in enumerate(d) if k != k_max and t > cut
            )
            l1p = mpmath.log1p(rest)
            out[i] = float(
                -mpmath.fsum(
                    _mpf(yk) * (t - l1p) for yk, t in zip(y[i], d, strict=True) if yk
                )
            )
    return rows, y, out


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
    return ulp


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
    return float(np.max(err, initial=0.0))


# --------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------

DTYPES = ["float64", "float32"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_accuracy(name: str, dtype: str) -> None:
    x, ref = unary_reference(name, dtype)
    assert x.dtype == np.dtype(dtype)
    got = UNARY[name](x)
    assert got.dtype == np.dtype(dtype)
    err = ulp_error(got, ref)
    assert worst(err) <= MAX_ULP, (x[np.argmax(err)], worst(err))


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_accuracy(dtype: str) -> None:
    z, y, ref = bce_reference(dtype)
    got = binary_cross_entropy(z, y, reduction="none")
    assert got.dtype == np.dtype(dtype)
    err = ulp_error(got, ref)
    i = int(np.argmax(err))
    assert worst(err) <= MAX_ULP, (z[i], y[i], worst(err))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("name", ["log_softmax", "softmax"])
def test_row_accuracy(name: str, n_classes: int, dtype: str) -> None:
    ref = row_reference(n_classes, dtype)
    x = ref["x"]
    func = softmax if name == "softmax" else log_softmax
    got = func(x, axis=-1)
    assert got.dtype == np.dtype(dtype)
    err = ulp_error(got, ref[name])
    i = np.unravel_index(int(np.argmax(err)), err.shape)[0]
    assert worst(err) <= MAX_ULP, (x[i], worst(err))
    assert not np.any(np.isnan(got))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_logsumexp_accuracy(n_classes: int, dtype: str) -> None:
    ref = row_reference(n_classes, dtype)
    x = ref["x"]
    got = logsumexp(x, axis=-1)
    assert got.dtype == np.dtype(dtype)
    err = ulp_error(got, ref["logsumexp"])
    assert worst(err) <= MAX_ULP, (x[np.argmax(err)], worst(err))
    assert not np.any(np.isnan(got))
    # the grid does exercise the cancelling case m < 0, |lse| < max(|m|, log1p) / 2
    m = np.max(x, axis=-1).astype(np.float64)
    scale = np.maximum(np.abs(m), ref["log1p"])
    cancels = (m < 0) & (np.abs(ref["logsumexp"]) < 0.5 * scale)
    assert np.sum(cancels) >= 20


def mp_lse_parts(row: np.ndarray) -> tuple[mpmath.mpf, mpmath.mpf]:
    """(lse, max(|m|, log1p term)) of one row, at 50 digits."""
    k = int(np.argmax(row))
    m = _mpf(row[k])
    rest = mpmath.fsum(
        mpmath.exp(_mpf(v) - m) for j, v in enumerate(row) if j != k and v > CUT + m
    )
    l1p = mpmath.log1p(rest)
    return m + l1p, max(abs(m), l1p)


@pytest.mark.parametrize("n_classes", [2, 3, 7, 101])
def test_logsumexp_of_log_probabilities(
    rng: np.random.Generator, n_classes: int
) -> None:
    """The worst case for cancellation: log-probabilities, whose lse is about 0.

    The result is ill-conditioned (condition number max(|m|, log1p) / |lse| up to
    1e17); softlogit's absolute error stays near 2**-100 of that scale, so the result
    is within 4 ulp wherever the condition number is below 2**48.
    """
    p = rng.dirichlet(np.ones(n_classes), size=120)
    with np.errstate(divide="ignore"):
        # sparse rows: maxima close to 0 and some exact zeros (-inf logits)
        p[:30] = rng.dirichlet(np.full(n_classes, 0.05), size=30)
        x = np.log(p)
    # nearly normalized: lse ~ +-1e-6, condition number ~ 1e6
    x[30:40] += rng.uniform(-2e-6, 2e-6, size=(10, 1))
    got = logsumexp(x, axis=-1)
    with mpmath.workdps(DPS):
        parts = [mp_lse_parts(row) for row in x]
    want = np.array([float(v) for v, _ in parts])
    scale = np.array([float(s) for _, s in parts])
    abs_err = np.array(
        [float(abs(_mpf(g) - v)) for g, (v, _) in zip(got, parts, strict=True)]
    )
    rel_ok = ulp_error(got, want) <= MAX_ULP
    assert np.all(rel_ok | (abs_err <= 2.0**-96 * scale))
    well = np.abs(want) >= 2.0**-48 * scale
    assert np.all(rel_ok[well])
    assert np.sum(~well) >= 10  # and the ill-conditioned case does occur
    assert np.all(well[30:40])
    # plain float64 arithmetic (without the double-double path) is far off there
    m = np.max(x[30:40], axis=-1)
    naive = m + np.log(np.sum(np.exp(x[30:40] - m[:, None]), axis=-1))
    assert worst(ulp_error(naive, want[30:40])) > 1000


@settings(max_examples=150, deadline=None)
@given(
    row=hnp.arrays(
        np.float64,
        st.integers(2, 6),
        elements=st.floats(-3.0, 0.0) | st.sampled_from([-np.inf, -np.log(2.0)]),
    )
)
def test_logsumexp_property_near_cancellation(row: np.ndarray) -> None:
    """Rows in [-3, 0], where m + log1p(rest) cancels most often, against mpmath."""
    if np.all(row == -np.inf):
        return
    got = logsumexp(row)
    with mpmath.workdps(DPS):
        value, scale = mp_lse_parts(row)
    want = float(value)
    if ulp_error(np.array([got]), np.array([want]))[0] <= MAX_ULP:
        return
    # beyond 4 ulp only when ill-conditioned, and then by at most 2**-96 of the scale
    assert abs(want) < 2.0**-48 * float(scale)
    assert float(abs(_mpf(got) - value)) <= 2.0**-96 * float(scale)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_softmax_cross_entropy_accuracy(n_classes: int, dtype: str) -> None:
    ref = row_reference(n_classes, dtype)
    x, logp = ref["x"], ref["log_softmax"]
    for k in range(n_classes):
        labels = np.full(len(x), k)
        got = softmax_cross_entropy(x, labels, reduction="none")
        assert got.dtype == np.dtype(dtype)
        err = ulp_error(got, -logp[:, k])
        assert worst(err) <= MAX_ULP, (k, x[np.argmax(err)])
        onehot = np.eye(n_classes, dtype=dtype)[labels]
        got_onehot = softmax_cross_entropy(x, onehot, reduction="none")
        assert worst(ulp_error(got_onehot, -logp[:, k])) <= MAX_ULP
    if dtype == "float32":
        return
    rows, y, want = sce_reference(n_classes)
    got = softmax_cross_entropy(rows, y, reduction="none")
    err = ulp_error(got, want)
    assert worst(err) <= MAX_ULP, (rows[np.argmax(err)], y[np.argmax(err)])


def test_float32_cross_entropies_keep_dtype() -> None:
    z = np.array([[-3.0, 2.0], [100.0, -50.0]], dtype=np.float32)
    sce = softmax_cross_entropy(z, [1, 0], reduction="none")
    assert sce.dtype == np.float32
    want = -sps.log_softmax(z.astype(np.float64), axis=1)[[0, 1], [1, 0]]
    assert worst(ulp_error(sce, want)) <= 1
    assert softmax_cross_entropy(z, [1, 0]).dtype == np.float32
    bce = binary_cross_entropy(z[:, 0], np.array([1, 0], dtype=np.float32))
    assert bce.dtype == np.float32


# --------------------------------------------------------------------------------------
# no warnings, no NaN for finite input, documented non-finite behaviour
# --------------------------------------------------------------------------------------


def test_no_warnings_and_no_nan_on_the_grids() -> None:
    x = unary_grid()
    rows2, rows3 = row_grid(2), row_grid(3)
    big32 = np.array([3e38, -3e38], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in UNARY.values():
            assert not np.any(np.isnan(f(x)))
        for rows in (rows2, rows3):
            for f in (softmax, log_softmax, logsumexp):
                assert not np.any(np.isnan(f(rows)))
            assert not np.any(
                np.isnan(softmax_cross_entropy(rows, rows.argmax(axis=1)))
            )
        assert not np.any(np.isnan(binary_cross_entropy(x, np.full(x.shape, 0.3))))
        # float64 results that overflow float32 round to +-inf without a warning
        assert log_softmax(big32).tolist() == [0.0, -np.inf]
        assert softmax_cross_entropy(big32[None, :], [1]).tolist() == np.inf


def test_unary_non_finite() -> None:
    x = np.array([np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(sigmoid(x), [1.0, 0.0, np.nan])
    np.testing.assert_array_equal(softplus(x), [np.inf, 0.0, np.nan])
    got = log_sigmoid(x)
    np.testing.assert_array_equal(got, [0.0, -np.inf, np.nan])
    assert np.signbit(got[0])  # -0.0: documented
    np.testing.assert_array_equal(sigmoid([0.0, -0.0]), [0.5, 0.5])


def test_logsumexp_non_finite() -> None:
    x = np.array(
        [
            [np.inf, 0.0],
            [np.inf, np.inf],
            [-np.inf, -np.inf],
            [-np.inf, 1.0],
            [np.nan, 1.0],
            [np.nan, np.inf],
        ]
    )
    got = logsumexp(x, axis=1)
    np.testing.assert_array_equal(got, [np.inf, np.inf, -np.inf, 1.0, np.nan, np.nan])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(got, sps.logsumexp(x, axis=1))
    assert logsumexp([]) == -np.inf


def test_softmax_non_finite() -> None:
    x = np.array(
        [
            [np.inf, 0.0, np.inf],
            [np.inf, -np.inf, 5.0],
            [-np.inf, -np.inf, -np.inf],
            [-np.inf, 0.0, -np.inf],
            [np.nan, 0.0, 1.0],
        ]
    )
    p = softmax(x)
    np.testing.assert_array_equal(
        p,
        [
            [0.5, 0.0, 0.5],  # +inf entries share the mass
            [1.0, 0.0, 0.0],
            [np.nan] * 3,  # a row of all -inf has no softmax
            [0.0, 1.0, 0.0],
            [np.nan] * 3,  # NaN propagates to its row
        ],
    )
    logp = log_softmax(x)
    np.testing.assert_array_equal(
        logp,
        [
            [-np.log(2), -np.inf, -np.log(2)],
            [0.0, -np.inf, -np.inf],
            [np.nan] * 3,
            [-np.inf, 0.0, -np.inf],
            [np.nan] * 3,
        ],
    )


def test_cross_entropies_non_finite() -> None:
    got = binary_cross_entropy(
        [np.inf, np.inf, np.inf, -np.inf, -np.inf, np.nan],
        [1.0, 0.0, 0.5, 0.0, 1.0, 1.0],
        reduction="none",
    )
    np.testing.assert_array_equal(got, [0.0, np.inf, np.inf, 0.0, np.inf, np.nan])
    logits = np.array([[np.inf, 0.0], [np.inf, 0.0], [0.0, -np.inf], [np.nan, 0.0]])
    got = softmax_cross_entropy(logits, [0, 1, 0, 1], reduction="none")
    np.testing.assert_array_equal(got, [0.0, np.inf, 0.0, np.nan])
    # a zero probability target on a -inf log-probability contributes nothing
    got = softmax_cross_entropy([[0.0, -np.inf]], [[1.0, 0.0]], reduction="none")
    np.testing.assert_array_equal(got, [0.0])


# --------------------------------------------------------------------------------------
# shapes, axes, scalars, lists: compared with scipy.special
# --------------------------------------------------------------------------------------

AXES = [0, 1, -1, -2, 2, (0, 2), (2, 0), (-1, 0, 1), None]


@pytest.mark.parametrize("axis", AXES, ids=str)
def test_axes_match_scipy(
    rng: np.random.Generator, axis: int | tuple[int, ...] | None
) -> None:
    x = rng.normal(size=(3, 4, 5)) * 30
    np.testing.assert_allclose(
        softmax(x, axis=axis), sps.softmax(x, axis=axis), rtol=1e-13
    )
    np.testing.assert_allclose(
        log_softmax(x, axis=axis), sps.log_softmax(x, axis=axis), rtol=1e-13, atol=1e-14
    )
    for keepdims in (False, True):
        got = logsumexp(x, axis=axis, keepdims=keepdims)
        want = sps.logsumexp(x, axis=axis, keepdims=keepdims)
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize(
    "shape", [(0,), (0, 3), (3, 0), (2, 0, 4)], ids=lambda s: "x".join(map(str, s))
)
def test_empty_arrays(shape: tuple[int, ...]) -> None:
    x = np.zeros(shape)
    for f in UNARY.values():
        assert f(x).shape == shape
    for axis in (-1, 0, None):
        assert softmax(x, axis=axis).shape == shape
        assert log_softmax(x, axis=axis).shape == shape
    for axis in (-1, 0):
        got = logsumexp(x, axis=axis)
        want = sps.logsumexp(x, axis=axis)
        np.testing.assert_array_equal(got, want)
        assert got.shape == np.shape(want)
    # (scipy 1.17 fails on axis=None for empty arrays; the sum of nothing is 0)
    assert logsumexp(x, axis=None) == -np.inf
    assert binary_cross_entropy(x, x, reduction="none").shape == shape
    assert binary_cross_entropy(x, x, reduction="sum") == 0.0


def test_scalars_and_lists() -> None:
    assert sigmoid(0.0).shape == ()
    assert float(sigmoid(2)) == pytest.approx(sps.expit(2.0), rel=1e-15)
    assert sigmoid(np.float32(1.0)).dtype == np.float32
    assert sigmoid(True).dtype == np.float64
    assert softplus([1, 2]).dtype == np.float64
    np.testing.assert_allclose(
        softplus([1, 2]), np.log1p(np.exp([1.0, 2.0])), rtol=1e-15
    )
    np.testing.assert_allclose(
        log_sigmoid([[-1.0], [3.0]]), sps.log_expit([[-1.0], [3.0]])
    )
    assert logsumexp(3.0) == 3.0
    assert logsumexp(3.0).shape == ()
    assert softmax(3.0) == 1.0
    assert log_softmax(3.0) == 0.0
    assert logsumexp([1.0, 2.0]) == pytest.approx(sps.logsumexp([1.0, 2.0]), rel=1e-15)
    np.testing.assert_allclose(
        softmax([[1, 2], [3, 5]]), sps.softmax([[1, 2], [3, 5]], axis=-1)
    )
    assert binary_cross_entropy(0.0, 1.0).shape == ()
    assert binary_cross_entropy(0.0, 1).item() == pytest.approx(np.log(2), rel=1e-15)
    assert softmax_cross_entropy([0.0, 0.0], 1).item() == pytest.approx(
        np.log(2), rel=1e-15
    )


def test_float16_input_keeps_its_dtype() -> None:
    x = np.array([-20.0, 0.0, 3.0], dtype=np.float16)
    got = sigmoid(x)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(
        got, sps.expit(x.astype(np.float64)).astype(np.float16)
    )


# --------------------------------------------------------------------------------------
# sample weights and reductions
# --------------------------------------------------------------------------------------


def test_weighted_mean_matches_scikit_learn(rng: np.random.Generator) -> None:
    from sklearn.metrics import log_loss

    z = rng.normal(size=40) * 3
    y = rng.integers(0, 2, size=40)
    s = rng.uniform(0.1, 2.0, size=40)
    want = log_loss(y, sps.expit(z), sample_weight=s)
    assert binary_cross_entropy(z, y, s) == pytest.approx(want, rel=1e-12)
    logits = rng.normal(size=(40, 3)) * 3
    labels = rng.integers(0, 3, size=40)
    want = log_loss(
        labels, sps.softmax(logits, axis=1), sample_weight=s, labels=[0, 1, 2]
    )
    assert softmax_cross_entropy(logits, labels, s) == pytest.approx(want, rel=1e-12)


def test_reductions(rng: np.random.Generator) -> None:
    z = rng.normal(size=(5, 2))
    y = rng.uniform(size=(5, 2))
    s = rng.uniform(size=(5, 2))
    per = binary_cross_entropy(z, y, reduction="none")
    want = np.logaddexp(0.0, z) - y * z
    np.testing.assert_allclose(per, want, rtol=1e-14)
    np.testing.assert_allclose(
        binary_cross_entropy(z, y, s, reduction="none"), s * want, rtol=1e-14
    )
    assert binary_cross_entropy(z, y, s, reduction="sum") == pytest.approx(
        np.sum(s * want), rel=1e-14
    )
    assert binary_cross_entropy(z, y, s) == pytest.approx(
        np.sum(s * want) / s.sum(), rel=1e-14
    )
    assert binary_cross_entropy(z, y) == pytest.approx(np.mean(want), rel=1e-14)
    # a zero weight removes a sample from the mean
    s0 = np.ones((5, 2))
    s0[0, 0] = 0.0
    assert binary_cross_entropy(z, y, s0) == pytest.approx(
        (np.sum(want) - want[0, 0]) / 9, rel=1e-14
    )


def test_mean_of_huge_losses_does_not_overflow() -> None:
    z = np.array([1e308, 1.5e308, 1e308])
    y = np.zeros(3)
    # the sum overflows; the (weighted) mean does not
    assert binary_cross_entropy(z, y, reduction="sum") == np.inf
    assert binary_cross_entropy(z, y) == pytest.approx(3.5 / 3 * 1e308, rel=1e-15)
    s = np.array([1.0, 2.0, 1.0])
    assert binary_cross_entropy(z, y, s) == pytest.approx(1.25e308, rel=1e-15)
    # a zero weight removes an infinite loss
    got = binary_cross_entropy([np.inf, 1.0], [0.0, 0.0], [0.0, 1.0])
    assert got == pytest.approx(np.log1p(np.e), rel=1e-15)


def test_cross_entropy_of_logits_further_apart_than_the_float_range() -> None:
    """x_k - m overflows, yet y_k (x_k - m) is finite: -0.25 * (-2e308) = 5e307."""
    got = softmax_cross_entropy([[1e308, -1e308]], [[0.75, 0.25]], reduction="none")
    assert got[0] == pytest.approx(0.5e308, rel=1e-15)


def test_binary_equals_two_class_softmax(rng: np.random.Generator) -> None:
    """T2: BCE(z, y) == CE([0, z], y) == CE([-z/2, z/2], y)."""
    z = rng.normal(size=200) * 50
    y = rng.integers(0, 2, size=200)
    bce = binary_cross_entropy(z, y, reduction="none")
    ref = softmax_cross_entropy(
        np.stack([np.zeros_like(z), z], axis=1), y, reduction="none"
    )
    sym = softmax_cross_entropy(np.stack([-z / 2, z / 2], axis=1), y, reduction="none")
    assert worst(ulp_error(bce, ref)) <= 2
    assert worst(ulp_error(bce, sym)) <= 2
    t = rng.uniform(size=200)
    soft = softmax_cross_entropy(
        np.stack([np.zeros_like(z), z], axis=1),
        np.stack([1 - t, t], axis=1),
        reduction="none",
    )
    np.testing.assert_allclose(
        binary_cross_entropy(z, t, reduction="none"), soft, rtol=1e-14
    )


@settings(max_examples=50, deadline=None)
@given(
    x=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
        elements=st.floats(-1e300, 1e300),
    ),
    shift=st.floats(-700, 700),
)
def test_softmax_properties(x: np.ndarray, shift: float) -> None:
    p = softmax(x, axis=-1)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-15 * x.shape[-1] * 2)
    logp = log_softmax(x, axis=-1)
    assert np.all(logp <= 0)
    lse = logsumexp(x, axis=-1)
    assert np.all(lse >= np.max(x, axis=-1))
    # shift invariance (T1) where the shift is exact
    if np.all(np.abs(x) < 1e10):
        xs = x + shift
        if np.all(xs - shift == x):
            np.testing.assert_allclose(softmax(xs, axis=-1), p, rtol=1e-9, atol=1e-300)


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [np.array(["a", "b"]), np.array([1 + 2j]), np.array([object(), 1.0], dtype=object)],
    ids=["str", "complex", "object"],
)
def test_type_errors(bad: np.ndarray) -> None:
    for f in [*UNARY.values(), softmax, log_softmax, logsumexp]:
        with pytest.raises(TypeError, match=r"`x` must be a real numeric array"):
            f(bad)
    with pytest.raises(TypeError, match=r"`logits` must be a real numeric array"):
        binary_cross_entropy(bad, np.zeros(bad.shape))
    with pytest.raises(TypeError, match=r"`y` must be a real numeric array"):
        binary_cross_entropy(np.zeros(bad.shape), bad)
    with pytest.raises(
        TypeError, match=r"`sample_weight` must be a real numeric array"
    ):
        binary_cross_entropy(np.zeros(bad.shape), np.zeros(bad.shape), bad)
    with pytest.raises(TypeError, match=r"`logits` must be a real numeric array"):
        softmax_cross_entropy(bad[None, :], [0])
    with pytest.raises(TypeError, match=r"`y` must be numeric labels or probabilities"):
        softmax_cross_entropy(np.zeros((1, bad.size)), bad[None, :])


def test_type_error_names_the_kind() -> None:
    with pytest.raises(TypeError, match=r"got dtype complex128 \(complex\)"):
        sigmoid([1j])
    with pytest.raises(TypeError, match=r"got dtype <U1 \(non-numeric\)"):
        softplus(["a"])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: softmax(np.zeros((2, 3)), axis=2),
            r"`axis` 2 is out of bounds for an array of dimension 2",
        ),
        (lambda: logsumexp(np.zeros((2, 3)), axis=-3), r"`axis` -3 is out of bounds"),
        (
            lambda: log_softmax(np.zeros((2, 3)), axis=(0, 0)),
            r"`axis` has repeated entries; got \(0, 0\)",
        ),
        (
            lambda: logsumexp(np.zeros((2, 3)), axis=(1, -1)),
            r"`axis` has repeated entries",
        ),
        (
            lambda: binary_cross_entropy([0.0], [1.0], reduction="avg"),
            r"`reduction` must be one of 'mean', 'sum', 'none'; got 'avg'",
        ),
        (
            lambda: binary_cross_entropy([0.0, 1.0], [1.0]),
            r"`y` must have the shape of `logits` \(2,\); got \(1,\)",
        ),
        (lambda: binary_cross_entropy([0.0], [1.5]), r"`y` must lie in \[0, 1\]"),
        (lambda: binary_cross_entropy([0.0], [-0.5]), r"`y` must lie in \[0, 1\]"),
        (
            lambda: binary_cross_entropy([0.0], [1.0], [1.0, 2.0]),
            r"`sample_weight` must have shape \(1,\); got shape \(2,\)",
        ),
        (
            lambda: binary_cross_entropy([0.0], [1.0], [0.0]),
            r"`sample_weight` must have a positive sum for reduction='mean'; got sum 0",
        ),
        (
            lambda: binary_cross_entropy([0.0, 1.0], [1.0, 0.0], [1.0, -1.0]),
            r"`sample_weight` must be finite and non-negative; got values outside",
        ),
        (
            lambda: softmax_cross_entropy([[0.0, 1.0]], [1], [np.nan]),
            r"`sample_weight` must be finite and non-negative; got NaN",
        ),
        (
            lambda: softmax_cross_entropy([[0.0, 1.0]], [[np.nan, 1.0]]),
            r"`y` probabilities must be finite and non-negative; got NaN or inf values",
        ),
        (
            lambda: binary_cross_entropy([], []),
            r"cannot take the mean loss of an empty batch; use reduction='sum'",
        ),
        (
            lambda: softmax_cross_entropy(1.0, 0),
            r"`logits` must have a class axis \(ndim >= 1\); got a 0-d array",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 0)), [0, 0]),
            r"`logits` must have at least one class; got 0",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3)), [0, 3]),
            r"`y` labels must lie in \[0, 2\]; got values in \[0, 3\]",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3)), [-1, 0]),
            r"`y` labels must lie in \[0, 2\]; got values in \[-1, 0\]",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3)), [0.5, 1.0]),
            r"`y` labels must be integers; got non-integer values",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((1, 2)), [[-0.5, 1.5]]),
            r"`y` probabilities must be finite and non-negative; got negative values",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2]),
            r"`y` must have shape \(2,\) \(labels\) or \(2, 3\) \(probabilities\); got \(3,\)",
        ),
    ],
)
def test_value_errors(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
