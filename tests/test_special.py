"""Accuracy and behaviour of the stable functions on logits.

Accuracy is measured in ulp against mpmath at 50 significant digits, on grids that cover
[-1e308, 1e308] (log-spaced magnitudes of both signs, down to subnormals), sample
[-800, 800] densely, and include +-0 and +-inf. The error of a result is
``|got - ref| / spacing(|ref|)`` with ``ref`` the reference rounded to the result's
dtype. The grids, the references and the error measure live in
:mod:`softlogit._testing.oracle`, which ``benchmarks/accuracy.py`` tabulates.

Shapes, axes and scalar handling are checked against scipy.special; the conventions of
sample weights against scikit-learn. PyTorch and Keras live in
``test_special_frameworks.py``.
"""

from __future__ import annotations

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
from softlogit._testing.oracle import (
    DPS,
    bce_reference,
    mp_lse_parts,
    mpf,
    row_grid,
    row_reference,
    sce_reference,
    ulp_error,
    unary_grid,
    unary_reference,
    worst,
)
from softlogit.errors import InputTypeError, InputValueError

MAX_ULP = 4.0

UNARY: dict[str, Callable[..., np.ndarray]] = {
    "sigmoid": sigmoid,
    "softplus": softplus,
    "log_sigmoid": log_sigmoid,
}


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
        [float(abs(mpf(g) - v)) for g, (v, _) in zip(got, parts, strict=True)]
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
    assert float(abs(mpf(got) - value)) <= 2.0**-96 * float(scale)


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
        with pytest.raises(InputTypeError, match=r"`x` must be a real numeric array"):
            f(bad)
    with pytest.raises(InputTypeError, match=r"`logits` must be a real numeric array"):
        binary_cross_entropy(bad, np.zeros(bad.shape))
    with pytest.raises(InputTypeError, match=r"`y` must be a real numeric array"):
        binary_cross_entropy(np.zeros(bad.shape), bad)
    with pytest.raises(
        InputTypeError, match=r"`sample_weight` must be a real numeric array"
    ):
        binary_cross_entropy(np.zeros(bad.shape), np.zeros(bad.shape), bad)
    with pytest.raises(InputTypeError, match=r"`logits` must be a real numeric array"):
        softmax_cross_entropy(bad[None, :], [0])
    with pytest.raises(
        InputTypeError, match=r"`y` must be numeric labels or probabilities"
    ):
        softmax_cross_entropy(np.zeros((1, bad.size)), bad[None, :])


@pytest.mark.parametrize("axis", [1.0, True, (0, 1.5), "1"], ids=repr)
def test_axis_must_be_integers(axis: object) -> None:
    for f in (softmax, log_softmax, logsumexp):
        with pytest.raises(
            InputTypeError,
            match=r"`axis` must be an integer, a tuple of integers or None; got ",
        ):
            f(np.zeros((2, 3)), axis=axis)  # type: ignore[arg-type]


def test_reduction_must_be_a_string() -> None:
    with pytest.raises(
        InputTypeError, match=r"`reduction` must be one of 'mean', 'sum', 'none'; got 1"
    ):
        binary_cross_entropy([0.0], [1.0], reduction=1)  # type: ignore[arg-type]


def test_type_error_names_the_kind() -> None:
    with pytest.raises(InputTypeError, match=r"got dtype complex128 \(complex\)"):
        sigmoid([1j])
    with pytest.raises(InputTypeError, match=r"got dtype <U1 \(non-numeric\)"):
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
    with pytest.raises(InputValueError, match=match):
        call()
