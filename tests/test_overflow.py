"""Logits beyond the float range, infinite logits, extreme parameters: limits, not NaN.

References: mpmath at 60 digits (exact dot products and softmax of logits as large
as 1e616), closed-form limits of the losses, exact rational arithmetic
(``fractions.Fraction``) for the penalty maps.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pandas as pd
import pytest

from softlogit import (
    BinomialLoss,
    LogisticRegression,
    MultinomialLoss,
    ReferenceHead,
    SigmoidHead,
    SoftmaxHead,
    SoftmaxRegression,
    binary_cross_entropy,
    sigmoid_C_to_softmax,
    sigmoid_elastic_net_to_softmax,
    sigmoid_penalty_to_softmax,
    softmax_C_to_sigmoid,
    softmax_elastic_net_to_sigmoid,
    softmax_penalty_to_sigmoid,
)
from softlogit._cli import main

mpmath.mp.dps = 60


def _exact_logits(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> list[list[object]]:
    """``X @ W.T + b`` in 60-digit arithmetic (every float product exact)."""
    return [
        [
            mpmath.fsum(
                mpmath.mpf(float(x)) * mpmath.mpf(float(w))
                for x, w in zip(row, wk, strict=True)
            )
            + mpmath.mpf(float(bk))
            for wk, bk in zip(W, b, strict=True)
        ]
        for row in X
    ]


def _exact_softmax(z: list[object]) -> np.ndarray:
    top = max(z)
    e = [mpmath.exp(v - top) for v in z]
    total = mpmath.fsum(e)
    return np.array([float(v / total) for v in e])


def _float(v: object) -> float:
    """The float64 nearest an mpf, +-inf beyond the range."""
    if abs(v) > mpmath.mpf("1.7976931348623157e308"):
        return float("inf") if v > 0 else float("-inf")
    return float(v)


# ----------------------------------------------------- estimators: logits that overflow


@pytest.fixture(scope="module")
def steep() -> SoftmaxRegression:
    """A nearly separated 8-row fit with C=1e6: |coef| about 20, so 1e307 * coef
    overflows."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(8, 1))
    y = (X[:, 0] + 0.3 * rng.normal(size=8) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SoftmaxRegression(C=1e6).fit(X, y)
    assert np.max(np.abs(model.coef_)) > 18.0  # 1e307 * 18 > 1.8e308
    return model


def test_softmax_regression_probabilities_beyond_the_float_range(
    steep: SoftmaxRegression,
) -> None:
    X = np.array([[1e307], [-1e307], [3e306], [1.0]])
    exact = _exact_logits(X, steep.coef_, steep.intercept_)
    expected = np.array([_exact_softmax(z) for z in exact])
    proba = steep.predict_proba(X)
    np.testing.assert_allclose(proba, expected, rtol=1e-14, atol=0)
    np.testing.assert_allclose(np.exp(steep.predict_log_proba(X)), expected, rtol=1e-14)
    assert steep.predict(X).tolist() == np.argmax(expected, axis=1).tolist()
    logits = steep.logits(X)
    assert logits.tolist() == [[_float(v) for v in row] for row in exact]
    logistic = steep.to_logistic()
    np.testing.assert_allclose(logistic.predict_proba(X), expected, rtol=1e-14)


def test_cli_predict_writes_no_empty_cells(
    steep: SoftmaxRegression, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = steep.save(tmp_path / "m.json")
    data = tmp_path / "new.csv"
    pd.DataFrame({"x0": [1e307, -1e307, 0.5]}).to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), str(data), "--out", str(out)]) == 0
    capsys.readouterr()
    result = pd.read_csv(out)
    assert not result.isna().to_numpy().any()
    X = pd.read_csv(data).to_numpy()
    exact = _exact_logits(X, steep.coef_, steep.intercept_)
    expected = np.array([_exact_softmax(z) for z in exact])
    np.testing.assert_allclose(result.iloc[:, :2].to_numpy(), expected, rtol=1e-14)


# ----------------------------------------------------------- heads: no intermediate overflow


def test_sigmoid_head_logits_without_intermediate_overflow() -> None:
    head = SigmoidHead(weight=[2.0, 2.0], bias=0.0)
    np.testing.assert_array_equal(head.predict_proba([[1e308, -1e308]]), [[0.5, 0.5]])
    assert head.logits([[1e308, -1e308]]).tolist() == [0.0]


def test_head_logits_match_exact_dot_products(rng: np.random.Generator) -> None:
    """Rows of huge, cancelling features: where the plain product overflows, every
    logit is the float nearest the exact one (or +-inf beyond the range); every
    probability is the exact softmax's."""
    W = 4.0 * rng.normal(size=(3, 4))
    b = rng.normal(size=3)
    big = rng.choice([-1.0, 1.0], size=(6, 4)) * 10.0 ** rng.uniform(306, 308, (6, 4))
    big[0] = [1e308, -1e308, 1e308, -1e308]
    big[1] = [1e308, 1e308, 1e-300, 0.0]
    X = np.vstack([big, rng.normal(size=(2, 4))])
    with np.errstate(over="ignore", invalid="ignore"):
        plain = X @ W.T + b
    overflowed = ~np.all(np.isfinite(plain), axis=1)
    assert overflowed.sum() >= 4
    exact = _exact_logits(X, W, b)
    head = SoftmaxHead(weight=W, bias=b)
    logits = head.logits(X)
    nearest = np.array([[_float(v) for v in row] for row in exact])
    np.testing.assert_array_equal(logits[overflowed], nearest[overflowed])
    np.testing.assert_allclose(logits[~overflowed], nearest[~overflowed], rtol=1e-13)
    expected = np.array([_exact_softmax(z) for z in exact])
    proba = head.predict_proba(X)
    np.testing.assert_allclose(proba, expected, rtol=1e-13, atol=1e-300)
    log_p = head.predict_log_proba(X)
    for i, z in enumerate(exact):
        lse = max(z) + mpmath.log(mpmath.fsum(mpmath.exp(v - max(z)) for v in z))
        for k, v in enumerate(z):
            assert log_p[i, k] == pytest.approx(_float(v - lse), rel=1e-13)
    # the reference head: the same model with class 0 as reference
    ref = ReferenceHead(weight=W[1:] - W[0], bias=b[1:] - b[0])
    assert np.all(np.isfinite(ref.predict_proba(X)))
    np.testing.assert_allclose(
        ref.predict_proba(X)[~overflowed], expected[~overflowed], rtol=1e-12
    )


# ----------------------------------------------------------- losses at infinite logits


def test_binomial_loss_limits_at_infinite_logits() -> None:
    z = np.array([np.inf, np.inf, np.inf, -np.inf, -np.inf, -np.inf])
    t = np.array([1.0, 0.0, 0.25, 0.0, 1.0, 0.75])
    # softplus(z) - t z as z -> +-inf: 0 for the matching label, +inf otherwise;
    # its derivative sigmoid(z) - t -> 1 - t or -t.
    loss = BinomialLoss()
    np.testing.assert_array_equal(
        loss.loss(t, z), [0, np.inf, np.inf, 0, np.inf, np.inf]
    )
    np.testing.assert_array_equal(loss.gradient(t, z), [0, 1, 0.75, 0, -1, -0.75])
    value, grad = loss.loss_gradient(t, z, sample_weight=[1, 0, 2, 1, 0, 1])
    np.testing.assert_array_equal(value, [0, 0, np.inf, 0, 0, np.inf])
    np.testing.assert_array_equal(grad, [0, 0, 1.5, 0, 0, -0.75])
    np.testing.assert_array_equal(loss.predict_proba(z)[:, 1], [1, 1, 1, 0, 0, 0])


def test_multinomial_loss_limits_at_infinite_logits() -> None:
    z = np.array(
        [
            [np.inf, 0.0, 1.0],
            [np.inf, 0.0, 1.0],
            [np.inf, np.inf, 0.0],
            [-np.inf, 0.0, 0.0],
        ]
    )
    y = np.array([0, 1, 1, 1])
    loss = MultinomialLoss()
    # limits: a lone +inf takes all the mass; two share it (log 2); -inf gets none
    # and the rest is the softmax of the finite logits, log(2) for [0, 0].
    np.testing.assert_allclose(
        loss.loss(y, z), [0.0, np.inf, np.log(2.0), np.log(2.0)], rtol=1e-15
    )
    expected_p = np.array(
        [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]
    )
    np.testing.assert_array_equal(loss.predict_proba(z), expected_p)
    onehot = np.eye(3)[y]
    np.testing.assert_array_equal(loss.gradient(y, z), expected_p - onehot)
    g, p = loss.gradient_proba(y, z)
    np.testing.assert_array_equal(g, expected_p - onehot)
    np.testing.assert_array_equal(p, expected_p)
    value, _ = loss.loss_gradient(y, z, sample_weight=[1.0, 0.0, 2.0, 1.0])
    np.testing.assert_allclose(value, [0.0, 0.0, 2 * np.log(2.0), np.log(2.0)])


def test_binary_cross_entropy_refuses_a_nan_target() -> None:
    with pytest.raises(ValueError, match=r"`y` must lie in \[0, 1\]; got nan"):
        binary_cross_entropy([0.0], [np.nan])
    with pytest.raises(ValueError, match=r"`y` must lie in \[0, 1\]; got nan"):
        BinomialLoss().loss([np.nan], np.array([0.0]))
    with pytest.raises(ValueError, match=r"`y` must lie in \[0, 1\]; got 2.0 at"):
        binary_cross_entropy([0.0, 1.0], [0.0, 2.0])


# ---------------------------------------------------------------- penalty maps


def test_penalty_maps_at_the_ends_of_the_float_range() -> None:
    # lambda (1 + alpha) / 2 and 2 alpha / (1 + alpha), exactly (Fraction)
    lam, alpha = softmax_elastic_net_to_sigmoid(1e308, 1.0)
    assert Fraction(lam) == Fraction(1e308)
    assert alpha == 1.0
    lam, alpha = softmax_elastic_net_to_sigmoid(1e308, 0.5)
    assert lam == float(Fraction(1e308) * Fraction(3, 4))
    assert sigmoid_C_to_softmax(1e-300) == float(Fraction(1e-300) / 2)
    assert softmax_C_to_sigmoid(8e307) == float(2 * Fraction(8e307))
    assert softmax_C_to_sigmoid(np.inf) == np.inf
    with pytest.raises(ValueError, match=r"`C` = 5e-324 is too small"):
        sigmoid_C_to_softmax(5e-324)
    with pytest.raises(ValueError, match=r"`C` = 1e\+308 is too large"):
        softmax_C_to_sigmoid(1e308)
    with pytest.raises(ValueError, match=r"`strength` = 1e\+308 is too large"):
        sigmoid_elastic_net_to_softmax(1e308, 0.0)
    with pytest.raises(ValueError, match=r"`strength` = 5e-324 is too small"):
        softmax_elastic_net_to_sigmoid(5e-324, 0.0)
    with pytest.raises(ValueError, match=r"`l2` = 1e\+308 is too large"):
        sigmoid_penalty_to_softmax(l2=1e308)
    with pytest.raises(ValueError, match=r"`l2` = 3e-308 is too small"):
        softmax_penalty_to_sigmoid(l2=3e-308)


# ---------------------------------------------------------------- summary(alpha)


@pytest.mark.parametrize("alpha", [1e-17, 1e-300, 0.05])
def test_summary_intervals_at_tiny_alpha(alpha: float) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + rng.logistic(size=200) > 0).astype(int)
    s = LogisticRegression(C=np.inf).fit(X, y).summary(alpha=alpha)
    # the two-sided normal quantile, sqrt(2) erfinv(1 - alpha), at 60 digits
    with mpmath.workdps(400):
        q = float(mpmath.sqrt(2) * mpmath.erfinv(1 - mpmath.mpf(alpha)))
    np.testing.assert_allclose(s.conf_low, s.coef - q * s.std_err, rtol=1e-13)
    np.testing.assert_allclose(s.conf_high, s.coef + q * s.std_err, rtol=1e-13)
    assert np.all(np.isfinite(s.conf_low))
    assert np.all(np.isfinite(s.conf_high))
