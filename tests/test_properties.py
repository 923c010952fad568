"""Properties that hold for any input (Hypothesis, bounded for CI).

Probabilities lie in [0, 1] and sum to 1; losses of finite logits are finite;
gradients in the logits sum to zero over the classes; a fit does not depend on the
order of the rows, on splitting every row into two of half the weight, or (without
a penalty) on the units of a feature; converting a model and predicting equals
predicting. Each property is checked against its own statement (a second
computation on transformed input), not against numbers from the code under test.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softlogit import (
    BinomialLoss,
    LinearModelLoss,
    LogisticRegression,
    MultinomialLoss,
    SigmoidHead,
    SoftmaxHead,
    SoftmaxRegression,
    binary_cross_entropy,
    convert_head,
    softmax,
    softmax_cross_entropy,
)

FINITE = st.floats(allow_nan=False, allow_infinity=False)
# Logits whose losses are representable: a loss is about a difference of two
# logits, which for |z| <= 8e307 stays below the largest float (1.8e308).
BOUNDED = st.floats(-8e307, 8e307, allow_nan=False)
EPS = float(np.finfo(np.float64).eps)


def _logits(elements: st.SearchStrategy[float]) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(2, 5)),
        elements=elements,
    )


# ------------------------------------------------------------------ probabilities


@settings(max_examples=100, deadline=None)
@given(z=_logits(FINITE))
def test_probabilities_lie_in_the_unit_interval_and_sum_to_one(z: np.ndarray) -> None:
    for p in (softmax(z, axis=1), MultinomialLoss().predict_proba(z)):
        assert np.all((p >= 0) & (p <= 1))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    p2 = BinomialLoss().predict_proba(z[:, 0])
    assert np.all((p2 >= 0) & (p2 <= 1))
    np.testing.assert_allclose(p2.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(2, 4)),
)
def test_head_probabilities_for_any_finite_features_and_weights(
    data: st.DataObject, shape: tuple[int, int, int]
) -> None:
    """Any finite X and parameters (up to 1.8e308: the logits may overflow)."""
    n, p, k = shape
    X = data.draw(hnp.arrays(np.float64, (n, p), elements=FINITE))
    W = data.draw(hnp.arrays(np.float64, (k, p), elements=FINITE))
    b = data.draw(hnp.arrays(np.float64, (k,), elements=FINITE))
    for proba in (
        SoftmaxHead(weight=W, bias=b).predict_proba(X),
        SigmoidHead(weight=W[0], bias=float(b[0])).predict_proba(X),
    ):
        assert np.all((proba >= 0) & (proba <= 1))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


# ------------------------------------------------------------------ losses, gradients


@settings(max_examples=100, deadline=None)
@given(z=_logits(BOUNDED), data=st.data())
def test_losses_of_finite_logits_are_finite(z: np.ndarray, data: st.DataObject) -> None:
    n, k = z.shape
    y = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    t = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    for value in (
        MultinomialLoss().loss(y, z),
        softmax_cross_entropy(z, y, reduction="none"),
        BinomialLoss().loss(t, z[:, 0]),
        binary_cross_entropy(z[:, 0], t, reduction="none"),
    ):
        assert np.all(np.isfinite(value))
        assert np.all(value >= 0)


@settings(max_examples=100, deadline=None)
@given(z=_logits(FINITE), data=st.data())
def test_the_gradient_sums_to_zero_over_the_classes(
    z: np.ndarray, data: st.DataObject
) -> None:
    """softmax(z) - onehot(y): each row sums to 0 (to rounding: its entries are at
    most 1 in size)."""
    n, k = z.shape
    y = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    g = MultinomialLoss().gradient(y, z)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, rtol=0, atol=8 * k * EPS)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 4), p=st.integers(1, 4))
def test_the_coefficient_gradient_sums_to_zero_over_the_classes(
    seed: int, k: int, p: int
) -> None:
    """Without a penalty the gradient in the coefficient rows sums to zero over the
    classes (the loss only sees differences of rows, T3)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, p)) * 10.0 ** rng.integers(-3, 4, size=p)
    y = rng.integers(0, k, size=30)
    coef = rng.normal(size=(k, p + 1))
    g = LinearModelLoss(MultinomialLoss()).gradient(coef, X, y)
    # each sample's gradient row sums to 0 up to a few ulp of 1, times |x_ij|
    scale = np.r_[np.abs(X).mean(axis=0), 1.0]
    assert np.all(np.abs(g.sum(axis=0)) <= 16 * k * EPS * scale)


# ------------------------------------------------------------------ fits


def _overlapping(seed: int, n: int, p: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Features with a weak effect on the labels: the classes overlap."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    W = 0.5 * rng.normal(size=(k, p))
    return X, np.argmax(X @ W.T + rng.gumbel(size=(n, k)), axis=1)


#: a data set's seed, its number of classes and C
_FITS = {
    "seed": st.integers(0, 2**32 - 1),
    "k": st.integers(2, 3),
    "C": st.sampled_from([np.inf, 1.0, 0.01]),
}


def _model(k: int, C: float) -> LogisticRegression | SoftmaxRegression:
    return LogisticRegression(C=C) if k == 2 else SoftmaxRegression(C=C)


@settings(max_examples=15, deadline=None)
@given(**_FITS)
def test_a_fit_does_not_depend_on_the_order_of_the_rows(
    seed: int, k: int, C: float
) -> None:
    X, y = _overlapping(seed, 120, 3, k)
    order = np.random.default_rng(seed + 1).permutation(len(y))
    a = _model(k, C).fit(X, y)
    b = _model(k, C).fit(X[order], y[order])
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=1e-6, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(**_FITS)
def test_a_fit_does_not_change_when_every_row_is_split_in_two_halves(
    seed: int, k: int, C: float
) -> None:
    X, y = _overlapping(seed, 100, 3, k)
    w = np.random.default_rng(seed + 2).uniform(0.5, 2.0, size=len(y))
    a = _model(k, C).fit(X, y, sample_weight=w)
    b = _model(k, C).fit(np.vstack([X, X]), np.r_[y, y], sample_weight=np.r_[w, w] / 2)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=1e-6, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(2, 3),
    exponents=st.lists(st.integers(-9, 9), min_size=3, max_size=3),
)
def test_an_unpenalized_fit_does_not_depend_on_the_units_of_a_feature(
    seed: int, k: int, exponents: list[int]
) -> None:
    """Feature j scaled by 10**k_j: its coefficient scales by 10**-k_j, the rest
    (intercept, probabilities) does not change."""
    X, y = _overlapping(seed, 150, 3, k)
    units = 10.0 ** np.array(exponents, dtype=float)
    a = _model(k, np.inf).fit(X, y)
    b = _model(k, np.inf).fit(X * units, y)
    np.testing.assert_allclose(b.coef_ * units, a.coef_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=1e-6, atol=1e-12)


# ------------------------------------------------------------------ conversions


def _rounding_bound(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """A bound on the change of sigmoid(x.w + b) from rounding the parameters and
    the logits: sigmoid' <= 1/4 times 16 ulp of sum |x_j w_j| + |b|."""
    return 0.25 * 16 * EPS * (np.abs(X) @ np.abs(w) + abs(b)) + 4 * EPS


@settings(max_examples=50, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 6),
    p=st.integers(1, 4),
    gauge=st.sampled_from(["centered", "reference"]),
)
def test_converting_a_head_then_predicting_equals_predicting(
    data: st.DataObject, n: int, p: int, gauge: str
) -> None:
    moderate = st.floats(-50, 50, allow_nan=False)
    X = data.draw(hnp.arrays(np.float64, (n, p), elements=moderate))
    W = data.draw(hnp.arrays(np.float64, (2, p), elements=moderate))
    b = data.draw(hnp.arrays(np.float64, (2,), elements=moderate))
    soft = SoftmaxHead(weight=W, bias=b)
    sig = convert_head(soft, "sigmoid").model
    bound = _rounding_bound(X, np.abs(W).sum(axis=0), float(np.abs(b).sum()))
    diff = np.abs(sig.predict_proba(X) - soft.predict_proba(X)).max(axis=1)
    assert np.all(diff <= bound)
    sig2 = SigmoidHead(weight=W[0], bias=float(b[0]))
    back = convert_head(sig2, "softmax", gauge=gauge).model  # type: ignore[arg-type]
    bound = _rounding_bound(X, np.abs(W[0]), float(abs(b[0])))
    diff = np.abs(back.predict_proba(X) - sig2.predict_proba(X)).max(axis=1)
    assert np.all(diff <= bound)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), C=st.sampled_from([np.inf, 1.0]))
def test_converting_an_estimator_then_predicting_equals_predicting(
    seed: int, C: float
) -> None:
    X, y = _overlapping(seed, 80, 2, 2)
    logistic = LogisticRegression(C=C).fit(X, y)
    soft = SoftmaxRegression(C=C).fit(X, y)
    for before, after in (
        (logistic, logistic.to_softmax()),
        (logistic, logistic.to_softmax(gauge="reference")),
        (soft, soft.to_logistic()),
    ):
        w = np.abs(np.atleast_2d(before.coef_)).sum(axis=0)
        bound = _rounding_bound(X, w, float(np.abs(before.intercept_).sum()))
        diff = np.abs(after.predict_proba(X) - before.predict_proba(X)).max(axis=1)
        assert np.all(diff <= bound)
        assert after.predict(X).tolist() == before.predict(X).tolist()
