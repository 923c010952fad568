"""Fits that earn their digits: units of the features, default settings, weights.

References: statsmodels' ``Logit`` / ``MNLogit`` (Newton, converged to 1e-12) and
scikit-learn's newton-cholesky (tol 1e-12). Both fail on features in extreme units
(their Hessians are not scaled: statsmodels' Newton stops far off, scikit-learn
falls back to L-BFGS with a LinAlgWarning), so at those scales the reference is their
fit on unit-scale features, rescaled: scaling feature ``j`` by ``s`` scales the
unpenalized optimum's coefficient ``j`` by ``1 / s`` and changes nothing else
(exactly, as a change of variables).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from softlogit import LogisticRegression, SoftmaxRegression, load_model
from softlogit._cli import main

SCALES = [10.0**k for k in (-9, -6, -3, 0, 3, 6, 9)]


def _binary(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X @ [1.5, -0.7] + 0.3 + rng.logistic(size=n) > 0).astype(int)
    return X, y


def _three_classes(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    W = np.array([[0.0, 0.0], [1.2, -0.5], [-0.4, 1.0]])
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, 3)), axis=1)
    return X, y


def _logit(X: np.ndarray, y: np.ndarray) -> object:
    return sm.Logit(y, sm.add_constant(X)).fit(
        disp=0, method="newton", tol=1e-12, maxiter=100
    )


def _mnlogit(X: np.ndarray, y: np.ndarray) -> object:
    return sm.MNLogit(y, sm.add_constant(X)).fit(
        disp=0, method="newton", tol=1e-12, maxiter=100
    )


def _sklearn(C: float, X: np.ndarray, y: np.ndarray) -> SkLogisticRegression:
    with threadpool_limits(1, "blas"):
        return SkLogisticRegression(
            C=C, solver="newton-cholesky", tol=1e-12, max_iter=500
        ).fit(X, y)


# ---------------------------------------------------------- units of the features


@pytest.mark.parametrize("solver", ["auto", "newton", "lbfgs"])
def test_small_features_are_fitted(solver: str, seed: int) -> None:
    """The issue's example: features of size 1e-4 (the raw gradient is tiny at the
    start); scikit-learn's newton-cholesky and statsmodels work at this scale."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 2)) * 1e-4
    y = (X[:, 0] * 1e4 + rng.normal(size=200) > 0).astype(int)
    ours = LogisticRegression(C=np.inf, solver=solver).fit(X, y)
    sk = _sklearn(np.inf, X, y)
    ref = _logit(X, y)
    np.testing.assert_allclose(ours.coef_[0], sk.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(ours.coef_[0], ref.params[1:], rtol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.params[:1], rtol=1e-6)
    assert np.all(np.abs(ours.coef_) > 1e3)


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: f"{s:.0e}")
@pytest.mark.parametrize("solver", ["auto", "newton", "lbfgs"])
def test_logistic_is_invariant_to_feature_units(
    scale: float, solver: str, seed: int
) -> None:
    X, y = _binary(seed)
    ref = _logit(X, y)
    sk = _sklearn(np.inf, X, y)
    ours = LogisticRegression(C=np.inf, solver=solver).fit(X * scale, y)
    np.testing.assert_allclose(ours.coef_[0] * scale, ref.params[1:], rtol=1e-6)
    np.testing.assert_allclose(ours.coef_[0] * scale, sk.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.params[:1], rtol=1e-6)
    s = ours.summary()
    np.testing.assert_allclose(s.p_values[0], ref.pvalues, rtol=1e-6)
    np.testing.assert_allclose(
        s.std_err[0], ref.bse / np.r_[1.0, scale, scale], rtol=1e-6
    )


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: f"{s:.0e}")
@pytest.mark.parametrize("solver", ["auto", "lbfgs"])
def test_softmax_is_invariant_to_feature_units(
    scale: float, solver: str, seed: int
) -> None:
    X, y = _three_classes(seed)
    ref = _mnlogit(X, y)  # reference class 0, params (1 + n_features, K - 1)
    ours = SoftmaxRegression(C=np.inf, solver=solver, gauge="reference").fit(
        X * scale, y
    )
    np.testing.assert_allclose(ours.coef_[1:].T * scale, ref.params[1:], rtol=1e-6)
    np.testing.assert_allclose(ours.intercept_[1:], ref.params[0], rtol=1e-6)
    np.testing.assert_allclose(ours.summary().p_values.T, ref.pvalues, rtol=1e-6)


def test_features_in_units_far_apart(seed: int) -> None:
    """One feature in units of 1e-9, another of 1e9, in the same fit."""
    X, y = _three_classes(seed)
    units = np.array([1e-9, 1e9])
    ref = _mnlogit(X, y)
    for solver in ("newton", "lbfgs"):
        ours = SoftmaxRegression(C=np.inf, solver=solver, gauge="reference")
        ours.fit(X * units, y)
        np.testing.assert_allclose(
            ours.coef_[1:].T * units[:, None], ref.params[1:], rtol=1e-6
        )


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: f"{s:.0e}")
def test_penalized_fit_in_any_units(scale: float, seed: int) -> None:
    """C=1 at default settings against scikit-learn at the same scale. At 1e9 the
    penalty is negligible (the optimum is the MLE rescaled to about 1e-20) and
    scikit-learn's unscaled Hessian fails, so the reference is the MLE there."""
    X, y = _binary(seed)
    ours = LogisticRegression(C=1.0).fit(X * scale, y)
    if scale < 1e9:
        expected = _sklearn(1.0, X * scale, y).coef_[0]
    else:
        expected = _logit(X, y).params[1:] / scale
    np.testing.assert_allclose(ours.coef_[0], expected, rtol=1e-6)


@pytest.mark.parametrize("solver", ["gd", "momentum", "adam"])
def test_first_order_solvers_do_not_stop_at_the_start_on_small_features(
    solver: str, seed: int
) -> None:
    """Their convergence is judged on the whitened gradient: on features of size
    1e-9 (where the raw gradient is about 1e-10) a few steps do not converge, and
    they say so."""
    X, y = _binary(seed)
    with pytest.warns(ConvergenceWarning, match="whitened coordinates"):
        LogisticRegression(C=np.inf, solver=solver, max_iter=20).fit(X * 1e-9, y)


def test_cli_fit_on_features_in_tiny_units(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`softlogit fit` on a feature scaled by 1e-9: the coefficient is the MLE's
    (statsmodels on the unscaled feature, times 1e9), with its p-value (about 5e-4:
    not 1) and a proof that the MLE exists."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    y = (0.8 * x + rng.logistic(size=200) > 0).astype(int)
    ref = _logit(x[:, None], y)
    assert 1e-5 < ref.pvalues[1] < 1e-3
    path = tmp_path / "tiny.csv"
    pd.DataFrame({"dose": x * 1e-9, "y": y}).to_csv(path, index=False)
    out = tmp_path / "m.json"
    monkeypatch.setenv("COLUMNS", "200")  # the table's cells in full
    code = main(
        ["fit", str(path), "--target", "y", "--model", "logistic", "--out", str(out)]
    )
    stdout = capsys.readouterr().out
    assert code == 0
    assert f"{ref.params[1] * 1e9:.6g}" in stdout
    assert re.search(r"MLE existence:\s+proven", stdout)
    s = load_model(out).summary()
    np.testing.assert_allclose(s.coef[0, 1], ref.params[1] * 1e9, rtol=1e-9)
    np.testing.assert_allclose(s.p_values[0], ref.pvalues, rtol=1e-6)


# ------------------------------------------------------ default settings, summary()


def _cancer(standardize: bool) -> tuple[np.ndarray, np.ndarray]:
    data = load_breast_cancer()
    names = list(data.feature_names)
    cols = [names.index(c) for c in ("mean radius", "mean texture", "mean smoothness")]
    X = data.data[:, cols]
    return (StandardScaler().fit_transform(X) if standardize else X), data.target


@pytest.mark.parametrize("standardize", [True, False], ids=["standardized", "raw"])
def test_logistic_summary_agrees_with_statsmodels_at_default_settings(
    standardize: bool,
) -> None:
    X, y = _cancer(standardize)
    s = LogisticRegression(C=np.inf).fit(X, y).summary()
    ref = _logit(X, y)
    np.testing.assert_allclose(s.coef[0], ref.params, rtol=1e-6)
    np.testing.assert_allclose(s.std_err[0], ref.bse, rtol=1e-6)
    np.testing.assert_allclose(s.p_values[0], ref.pvalues, rtol=1e-6)
    np.testing.assert_allclose(s.log_likelihood, ref.llf, rtol=1e-12)


@pytest.mark.parametrize(
    ("columns", "standardize"),
    [((0, 1), False), ((0, 1, 9), False), ((0, 1, 2, 9), True)],
    ids=["alcohol-malic-raw", "with-color-raw", "four-standardized"],
)
def test_softmax_summary_agrees_with_statsmodels_at_default_settings(
    columns: tuple[int, ...], standardize: bool
) -> None:
    """Wine, K = 3; raw alcohol and malic acid are where the old default stopped
    after four Newton steps with the intercept off by 0.47."""
    X, y = load_wine(return_X_y=True)
    X = X[:, list(columns)]
    if standardize:
        X = StandardScaler().fit_transform(X)
    s = SoftmaxRegression(C=np.inf, gauge="reference").fit(X, y).summary()
    ref = _mnlogit(X, y)
    np.testing.assert_allclose(s.coef.T, ref.params, rtol=1e-6)
    np.testing.assert_allclose(s.std_err.T, ref.bse, rtol=1e-6)
    np.testing.assert_allclose(s.p_values.T, ref.pvalues, rtol=1e-6)


def test_large_unpenalized_fit_is_polished_after_lbfgs(seed: int) -> None:
    """Beyond Newton's size (L-BFGS first) the MLE is still finished to machine
    precision and its covariance is statsmodels'."""
    rng = np.random.default_rng(seed)
    n, p, k = 3000, 15, 9  # (K - 1) (p + 1) = 128 free coefficients > 120
    X = rng.normal(size=(n, p))
    W = rng.normal(size=(k, p)) * 0.3
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, k)), axis=1)
    ours = SoftmaxRegression(C=np.inf, gauge="reference").fit(X, y)
    assert ours.solver_ == "lbfgs+newton"
    ref = _mnlogit(X, y)
    s = ours.summary()
    np.testing.assert_allclose(s.coef.T, ref.params, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(s.std_err.T, ref.bse, rtol=1e-6)


def test_penalized_fit_at_a_fine_tol_is_finished_by_newton(seed: int) -> None:
    """solver='auto' with L-BFGS: a tol below 1e-6 (as `softlogit fit` asks) is
    reached by Newton's method, to scikit-learn's tight optimum."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2000, 30))
    W = rng.normal(size=(5, 30)) * 0.3
    y = np.argmax(X @ W.T + rng.gumbel(size=(2000, 5)), axis=1)
    ours = SoftmaxRegression(C=1.0, tol=1e-8).fit(X, y)
    assert ours.solver_ == "lbfgs+newton"
    ref = _sklearn(1.0, X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = SoftmaxRegression(C=1.0).fit(X, y)  # default tol: L-BFGS alone
    assert fast.solver_ == "lbfgs"


# ------------------------------------------------------------------ extreme weights


@pytest.mark.parametrize(
    ("weight", "C"),
    [(1e308, np.inf), (1e308, 1.0), (1e308, 1e-307), (1e-300, np.inf), (1e-300, 1e300)],
)
def test_extreme_uniform_weights_scale_C(weight: float, C: float, seed: int) -> None:
    """scikit-learn's convention: weights times b is C times b. Weights of 1e308
    (whose sum overflows) and 1e-300 give scikit-learn's fit with unit weights and
    C * weight."""
    X, y = _binary(seed, n=80)
    ours = LogisticRegression(C=C).fit(X, y, sample_weight=np.full(80, weight))
    ref = _sklearn(C * weight, X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-7)
    X3, y3 = _three_classes(seed, n=90)
    soft = SoftmaxRegression(C=C).fit(X3, y3, sample_weight=np.full(90, weight))
    ref3 = _sklearn(C * weight, X3, y3)  # K = 3: the multinomial loss, centered
    np.testing.assert_allclose(soft.coef_, ref3.coef_, rtol=1e-7, atol=1e-12)


def test_summary_with_huge_frequency_weights(seed: int) -> None:
    """Frequency weights of 1e308: the standard errors are the unit-weight ones over
    sqrt(1e308) (statsmodels' on unit weights); the log-likelihood overflows to
    -inf, honestly (about -1e310)."""
    X, y = _binary(seed, n=80)
    s = LogisticRegression(C=np.inf).fit(X, y, sample_weight=np.full(80, 1e308))
    summary = s.summary()
    ref = _logit(X, y)
    np.testing.assert_allclose(summary.coef[0], ref.params, rtol=1e-9)
    np.testing.assert_allclose(summary.std_err[0], ref.bse / 1e154, rtol=1e-9)
    np.testing.assert_allclose(summary.p_values[0], ref.pvalues**0 * 0.0, atol=1e-300)
    assert summary.log_likelihood == -np.inf


def test_weights_on_a_single_class_are_refused(seed: int) -> None:
    X, y = _binary(seed, n=80)
    one = np.zeros(80)
    one[3] = 1.0
    with pytest.raises(ValueError, match=r"at least two classes; got positive weight"):
        LogisticRegression().fit(X, y, sample_weight=one)
    same = np.where(y == y[0], 1.0, 0.0)
    with pytest.raises(ValueError, match=r"on class .* only \(\d+ rows of positive"):
        SoftmaxRegression(C=np.inf).fit(X, y, sample_weight=same)
    X3, y3 = _three_classes(seed, n=90)
    none_for_2 = np.where(y3 == 2, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"no weight to class\(es\) \[2\]"):
        SoftmaxRegression(C=1.0).fit(X3, y3, sample_weight=none_for_2)
    # without an intercept a penalized fit has a finite optimum: scikit-learn's
    ours = SoftmaxRegression(C=1.0, fit_intercept=False).fit(
        X3, y3, sample_weight=none_for_2
    )
    with threadpool_limits(1, "blas"):
        ref = SkLogisticRegression(
            C=1.0, fit_intercept=False, solver="newton-cholesky", tol=1e-12
        ).fit(X3, y3, sample_weight=none_for_2)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match=r"times the sum of `sample_weight`"):
        LogisticRegression(C=1.0).fit(X, y, sample_weight=np.full(80, 1e-320))
