"""float32 features fitted without converting ``X`` whole, to the float64 fit; labels
encoded without a sort.

The reference for every fit on float32 ``X`` is the fit on the same values in float64
(``X.astype(np.float64)``: the same data, so the same minimizer), judged by an
independent NumPy/SciPy objective; the standard errors are checked against
statsmodels on the float64 values. Memory is checked with ``tracemalloc`` (NumPy
reports its allocations there): no temporary as large as ``X`` in float64.
"""

from __future__ import annotations

import tracemalloc
import warnings
from typing import Any

import numpy as np
import pytest
from scipy.special import log_expit, logsumexp

from softlogit import LogisticRegression, SoftmaxRegression


def _data(n: int, d: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + rng.normal(size=d)
    W = rng.normal(size=(k, d)) / np.sqrt(d)
    z = X @ W.T + rng.gumbel(size=(n, k))
    return X.astype(np.float32), z.argmax(axis=1)


def _objective(est: Any, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None) -> float:
    """scikit-learn's objective in float64: mean weighted log-loss + ||W||^2/(2 C S)."""
    s = np.ones(len(y)) if sw is None else sw
    S = float(s.sum())
    W = np.atleast_2d(est.coef_)
    b = np.atleast_1d(est.intercept_)
    z = X @ W.T + b
    if W.shape[0] == 1:
        t = y == est.classes_[1]
        nll = -np.where(t, log_expit(z[:, 0]), log_expit(-z[:, 0]))
    else:
        codes = np.searchsorted(est.classes_, y)
        nll = logsumexp(z, axis=1) - z[np.arange(len(y)), codes]
    penalty = 0.0 if np.isinf(est.C) else float(np.sum(W**2)) / (2.0 * est.C * S)
    return float(s @ nll) / S + penalty


CASES = [
    (LogisticRegression, 2, {}),
    (LogisticRegression, 2, {"solver": "lbfgs"}),
    (SoftmaxRegression, 4, {}),
    (SoftmaxRegression, 4, {"solver": "newton"}),
    (SoftmaxRegression, 2, {"gauge": "reference"}),
]


@pytest.mark.parametrize(("cls", "k", "options"), CASES)
@pytest.mark.parametrize("C", [1.0, np.inf])
@pytest.mark.parametrize("weighted", [False, True])
def test_float32_fit_reaches_the_float64_objective(
    cls: Any, k: int, options: dict[str, Any], C: float, weighted: bool
) -> None:
    """At default settings, the fit on float32 X reaches the objective of the fit on
    the same values in float64 to 1e-8 relative, with the same probabilities."""
    X32, y = _data(3000, 6, k, seed=k + int(weighted))
    X64 = X32.astype(np.float64)
    sw = np.random.default_rng(5).uniform(0.2, 2.0, size=len(y)) if weighted else None
    on32 = cls(C=C, **options).fit(X32, y, sample_weight=sw)
    on64 = cls(C=C, **options).fit(X64, y, sample_weight=sw)
    assert on32.coef_.dtype == np.float64
    f32, f64 = _objective(on32, X64, y, sw), _objective(on64, X64, y, sw)
    assert abs(f32 - f64) <= 1e-8 * abs(f64)
    np.testing.assert_allclose(
        on32.predict_proba(X32), on64.predict_proba(X64), rtol=0, atol=1e-6
    )
    assert (on32.predict(X32) == on64.predict(X64)).mean() > 0.999


@pytest.mark.parametrize("k", [2, 3])
def test_float32_summary_equals_statsmodels(k: int) -> None:
    """Unpenalized fits on float32 X: standard errors of statsmodels on the float64
    values (the existence proof and the covariance work on float32 X)."""
    import statsmodels.api as sm

    X32, y = _data(2000, 3, k, seed=11)
    X64 = X32.astype(np.float64)
    if k == 2:
        est = LogisticRegression(C=np.inf).fit(X32, y)
        ref = sm.Logit(y, sm.add_constant(X64, prepend=False)).fit(disp=0, tol=1e-12)
        ours = np.r_[est.coef_.ravel(), est.intercept_]
        ref_params, ref_se = ref.params, ref.bse
    else:
        est = SoftmaxRegression(C=np.inf, gauge="reference").fit(X32, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = sm.MNLogit(y, sm.add_constant(X64, prepend=False)).fit(
                disp=0, method="newton", tol=1e-12, maxiter=200
            )
        ours = np.c_[est.coef_[1:], est.intercept_[1:]].ravel()
        ref_params, ref_se = ref.params.T.ravel(), ref.bse.T.ravel()
    np.testing.assert_allclose(ours, ref_params, rtol=1e-6, atol=1e-9)
    summary = est.summary()
    # Summary terms: the intercept first; statsmodels' here: the constant last.
    se = np.c_[summary.std_err[:, 1:], summary.std_err[:, :1]].ravel()
    np.testing.assert_allclose(se, np.asarray(ref_se), rtol=1e-6)
    assert summary.mle_verified


def _traced_peak(est: Any, X: np.ndarray, y: np.ndarray) -> int:
    tracemalloc.start()
    try:
        est.fit(X, y).predict_proba(X)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("cls", "k", "C"),
    [
        (LogisticRegression, 2, 1.0),
        (LogisticRegression, 2, np.inf),
        (SoftmaxRegression, 3, 1.0),
        (SoftmaxRegression, 3, np.inf),
    ],
)
def test_float32_X_is_never_converted_whole(cls: Any, k: int, C: float) -> None:
    """No temporary of the size of X in float64 during fit and predict_proba: the
    traced peak on float32 X exceeds the fit's own on the float64 values by less
    than a quarter of X in float64 (a whole conversion would add all of it)."""
    X32, y = _data(40_000, 100, k, seed=3)
    full64 = X32.size * 8
    peak64 = _traced_peak(cls(C=C), X32.astype(np.float64), y)
    peak32 = _traced_peak(cls(C=C), X32, y)
    assert peak32 < peak64 + full64 / 4, (peak32, peak64, full64)


@pytest.mark.parametrize(
    "y",
    [
        np.array([3, -2, 3, 7, -2, 0]),
        np.array([1, 0, 1, 1], dtype=np.uint8),
        np.array([5, 3, 3, 5], dtype=np.uint64),
        np.array([True, False, True]),
        np.array([2, 2, 9], dtype=np.int16),
        np.array([0, 10**12, 5]),  # range too wide to count: sorted instead
        np.array([0.0, 1.0, 1.0]),
        np.array(["b", "a", "b"]),
    ],
)
def test_labels_are_encoded_as_numpy_unique_does(y: np.ndarray) -> None:
    """The label encoding (by counting for integer labels in a small range, which
    leaves no sort temporaries at a million rows) equals ``np.unique``'s, dtype
    included."""
    from softlogit._validation import encode_labels

    classes, codes = encode_labels(y)
    ref_classes, ref_codes = np.unique(y, return_inverse=True)
    assert classes.dtype == ref_classes.dtype
    np.testing.assert_array_equal(classes, ref_classes)
    np.testing.assert_array_equal(codes, ref_codes)
    assert codes.dtype == np.int64
