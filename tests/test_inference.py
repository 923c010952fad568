"""summary(): standard errors in every gauge, against statsmodels and closed forms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from softlogit import LogisticRegression, SoftmaxRegression, Summary

TOL = {"rtol": 1e-6, "atol": 1e-8}


def _multinomial_data(
    rng: np.random.Generator, n: int = 400, p: int = 2, k: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping data drawn from a softmax model (so the MLE exists)."""
    X = rng.normal(size=(n, p))
    W = rng.normal(scale=0.8, size=(k, p))
    logits = X @ W.T + rng.normal(scale=0.3, size=k)
    u = rng.gumbel(size=(n, k))
    return X, np.argmax(logits + u, axis=1)


def _binary_data(
    rng: np.random.Generator, n: int = 300
) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 3))
    y = (X @ np.array([1.0, -0.5, 0.2]) + 0.3 + rng.logistic(size=n) > 0).astype(int)
    return X, y


def _fit_softmax(X, y, **kw):  # type: ignore[no-untyped-def]
    return SoftmaxRegression(C=np.inf, tol=1e-10, **kw).fit(X, y)


def test_logistic_matches_statsmodels_logit(rng: np.random.Generator) -> None:
    X, y = _binary_data(rng)
    s = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y).summary(alpha=0.1)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    assert isinstance(s, Summary)
    assert s.classes == (1,)
    assert s.terms == ("intercept", "x0", "x1", "x2")
    np.testing.assert_allclose(s.coef.ravel(), ref.params, **TOL)
    np.testing.assert_allclose(s.std_err.ravel(), ref.bse, **TOL)
    np.testing.assert_allclose(s.z.ravel(), ref.tvalues, **TOL)
    np.testing.assert_allclose(s.p_values.ravel(), ref.pvalues, rtol=1e-5)
    ci = ref.conf_int(alpha=0.1)
    np.testing.assert_allclose(s.conf_low.ravel(), ci[:, 0], **TOL)
    np.testing.assert_allclose(s.conf_high.ravel(), ci[:, 1], **TOL)
    np.testing.assert_allclose(s.cov, ref.cov_params(), **TOL)
    assert s.log_likelihood == pytest.approx(ref.llf, rel=1e-10)
    assert s.null_log_likelihood == pytest.approx(ref.llnull, rel=1e-6)
    assert s.aic == pytest.approx(ref.aic, rel=1e-10)
    assert s.bic == pytest.approx(ref.bic, rel=1e-10)
    assert s.pseudo_r2 == pytest.approx(ref.prsquared, rel=1e-6)
    assert s.n_obs == ref.nobs
    assert s.n_params == 4


def test_logistic_without_intercept_matches_statsmodels(
    rng: np.random.Generator,
) -> None:
    X, y = _binary_data(rng)
    s = LogisticRegression(C=np.inf, tol=1e-10, fit_intercept=False).fit(X, y)
    summary = s.summary()
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12)
    assert summary.terms == ("x0", "x1", "x2")
    np.testing.assert_allclose(summary.coef.ravel(), ref.params, **TOL)
    np.testing.assert_allclose(summary.std_err.ravel(), ref.bse, **TOL)
    assert summary.aic == pytest.approx(ref.aic, rel=1e-10)


def test_two_class_softmax_reference_equals_logistic(rng: np.random.Generator) -> None:
    X, y = _binary_data(rng)
    logit = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y).summary()
    soft = _fit_softmax(X, y, gauge="reference").summary()
    assert soft.classes == (1,)
    assert soft.reference_class == 0
    np.testing.assert_allclose(soft.coef, logit.coef, **TOL)
    np.testing.assert_allclose(soft.std_err, logit.std_err, **TOL)
    np.testing.assert_allclose(soft.p_values, logit.p_values, rtol=1e-5)
    assert soft.log_likelihood == pytest.approx(logit.log_likelihood, rel=1e-10)
    assert soft.aic == pytest.approx(logit.aic, rel=1e-10)
    # Reference class 1: the other row, negated coefficients, the same errors.
    flipped = _fit_softmax(X, y, gauge="reference", reference_class=1).summary()
    np.testing.assert_allclose(flipped.coef, -logit.coef, **TOL)
    np.testing.assert_allclose(flipped.std_err, logit.std_err, **TOL)


def test_two_class_centered_errors_are_half(rng: np.random.Generator) -> None:
    """Centered rows are -/+ w/2, so their standard errors are half the logistic's."""
    X, y = _binary_data(rng)
    logit = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y).summary()
    soft = _fit_softmax(X, y).summary()
    assert soft.gauge == "centered"
    assert soft.classes == (0, 1)
    np.testing.assert_allclose(soft.coef[1], logit.coef[0] / 2, **TOL)
    np.testing.assert_allclose(soft.coef[0], -logit.coef[0] / 2, **TOL)
    np.testing.assert_allclose(soft.std_err[0], logit.std_err[0] / 2, **TOL)
    np.testing.assert_allclose(soft.std_err[1], logit.std_err[0] / 2, **TOL)
    # z and p are those of the logistic coefficients (same hypothesis, w = 0)
    np.testing.assert_allclose(np.abs(soft.z[1]), np.abs(logit.z[0]), **TOL)


def test_multinomial_reference_first_matches_mnlogit(rng: np.random.Generator) -> None:
    X, y = _multinomial_data(rng)
    s = _fit_softmax(X, y, gauge="reference").summary()
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    assert s.classes == (1, 2)
    assert s.reference_class == 0
    np.testing.assert_allclose(s.coef.T, ref.params, **TOL)
    np.testing.assert_allclose(s.std_err.T, ref.bse, **TOL)
    np.testing.assert_allclose(s.p_values.T, ref.pvalues, rtol=1e-5)
    assert s.log_likelihood == pytest.approx(ref.llf, rel=1e-10)
    assert s.null_log_likelihood == pytest.approx(ref.llnull, rel=1e-6)
    assert s.aic == pytest.approx(ref.aic, rel=1e-10)
    assert s.bic == pytest.approx(ref.bic, rel=1e-10)
    # MNLogit orders its covariance equation-major, like Summary.cov
    np.testing.assert_allclose(s.cov, ref.cov_params(), **TOL)


@pytest.mark.parametrize("reference", ["b", "c"])
def test_any_reference_class_matches_relabelled_mnlogit(
    rng: np.random.Generator, reference: str
) -> None:
    """statsmodels always uses the first class: relabel so `reference` comes first."""
    X, y_int = _multinomial_data(rng)
    labels = np.array(["a", "b", "c"])[y_int]
    s = _fit_softmax(X, labels, gauge="reference", reference_class=reference).summary()
    order = [reference] + [c for c in "abc" if c != reference]
    codes = np.array([order.index(v) for v in labels])
    ref = sm.MNLogit(codes, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    assert s.classes == tuple(c for c in "abc" if c != reference)
    # statsmodels' equation j is class order[j + 1]; ours follow sorted classes
    cols = [order.index(c) - 1 for c in s.classes]
    np.testing.assert_allclose(s.coef.T, ref.params[:, cols], **TOL)
    np.testing.assert_allclose(s.std_err.T, ref.bse[:, cols], **TOL)
    assert s.log_likelihood == pytest.approx(ref.llf, rel=1e-10)


def test_centered_covariance_is_the_linear_map_of_mnlogit(
    rng: np.random.Generator,
) -> None:
    """Cov_centered = A Cov_ref A^T with A built here from the definition."""
    X, y = _multinomial_data(rng, k=4)
    s = _fit_softmax(X, y).summary()
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    k, q = 4, 3
    # full rows (0, theta_1, theta_2, theta_3) minus their mean
    embed = np.vstack([np.zeros((1, k - 1)), np.eye(k - 1)])
    mix = (np.eye(k) - np.full((k, k), 1 / k)) @ embed
    A = np.kron(mix, np.eye(q))
    cov = A @ ref.cov_params() @ A.T
    params = (mix @ ref.params.T).ravel()
    np.testing.assert_allclose(s.coef.ravel(), params, **TOL)
    np.testing.assert_allclose(s.cov, cov, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(s.std_err.ravel(), np.sqrt(np.diag(cov)), **TOL)
    # the centered coefficients and their covariance sum to zero over classes
    np.testing.assert_allclose(s.coef.sum(axis=0), 0.0, atol=1e-10)


def test_summary_can_switch_gauge(rng: np.random.Generator) -> None:
    X, y = _multinomial_data(rng)
    centered = _fit_softmax(X, y)
    direct = _fit_softmax(X, y, gauge="reference", reference_class=2).summary()
    switched = centered.summary(gauge="reference", reference_class=2)
    np.testing.assert_allclose(switched.coef, direct.coef, **TOL)
    np.testing.assert_allclose(switched.std_err, direct.std_err, **TOL)
    assert switched.classes == direct.classes == (0, 1)
    back = _fit_softmax(X, y, gauge="reference").summary(gauge="centered")
    np.testing.assert_allclose(back.std_err, centered.summary().std_err, **TOL)


def test_raw_gauge_is_refused_but_convertible(rng: np.random.Generator) -> None:
    X, y = _multinomial_data(rng)
    raw = _fit_softmax(X, y, gauge="none")
    with pytest.raises(ValueError, match=r"gauge=.none.*not identified"):
        raw.summary()
    np.testing.assert_allclose(
        raw.summary(gauge="centered").std_err,
        _fit_softmax(X, y).summary().std_err,
        **TOL,
    )


def test_frequency_weights_equal_repeated_rows(rng: np.random.Generator) -> None:
    X, y = _multinomial_data(rng, n=150)
    w = rng.integers(1, 4, size=y.size)
    weighted = SoftmaxRegression(C=np.inf, tol=1e-10).fit(X, y, sample_weight=w)
    repeated = _fit_softmax(np.repeat(X, w, axis=0), np.repeat(y, w))
    a, b = weighted.summary(), repeated.summary()
    np.testing.assert_allclose(a.std_err, b.std_err, rtol=1e-6)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-9)
    assert a.bic == pytest.approx(b.bic, rel=1e-9)
    assert a.n_obs == w.sum()
    assert a.n_samples == y.size


def test_wald_statistics_follow_from_coef_and_errors(rng: np.random.Generator) -> None:
    X, y = _multinomial_data(rng)
    s = _fit_softmax(X, y).summary(alpha=0.01)
    np.testing.assert_allclose(s.z, s.coef / s.std_err)
    np.testing.assert_allclose(s.p_values, 2 * stats.norm.sf(np.abs(s.z)))
    half = stats.norm.ppf(0.995) * s.std_err
    np.testing.assert_allclose(s.conf_high - s.coef, half)
    np.testing.assert_allclose(s.coef - s.conf_low, half)


def test_frame_and_text_rendering(rng: np.random.Generator) -> None:
    X, y = _multinomial_data(rng)
    df_X = pd.DataFrame(X, columns=["age", "dose"])
    s = _fit_softmax(df_X, np.array(["lo", "mid", "hi"])[y]).summary()
    assert s.terms == ("intercept", "age", "dose")
    frame = s.to_frame()
    assert list(frame.columns) == [
        "coef",
        "std_err",
        "z",
        "p_value",
        "ci_low",
        "ci_high",
    ]
    assert frame.index.names == ["class", "term"]
    assert frame.loc[("mid", "dose"), "coef"] == s.coef[s.classes.index("mid"), 2]
    text = s.to_text(width=120)
    assert "gauge: centered" in text
    assert "dose" in text
    assert "mid" in text
    assert "AIC" in text
    assert "std err" in text
    assert "P>|z|" in text
    assert str(s) == s.to_text()
    page = s._repr_html_()
    assert page.count("<table") == 2
    assert "dose" in page
    assert "gauge: centered" in page
    assert s.to_table().row_count == 9
    assert "3 equation(s)" in repr(s)


def test_penalized_fit_has_no_summary(rng: np.random.Generator) -> None:
    X, y = _binary_data(rng)
    with pytest.raises(ValueError, match=r"needs an unpenalized fit.*C=np.inf.*C=1.0"):
        LogisticRegression(C=1.0).fit(X, y).summary()
    with pytest.raises(ValueError, match=r"C=np\.inf"):
        SoftmaxRegression(C=0.5).fit(X, y).summary()


def test_singular_information_is_reported(rng: np.random.Generator) -> None:
    X, y = _binary_data(rng)
    X = np.hstack([X, X[:, :1]])  # a duplicated column
    model = LogisticRegression(C=np.inf, solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="Fisher information at the MLE is singular"):
        model.summary()


def test_argument_errors(rng: np.random.Generator) -> None:
    X, y = _multinomial_data(rng)
    model = _fit_softmax(X, y)
    with pytest.raises(
        ValueError, match=r"`alpha` must be a number in \(0, 1\); got 1.5"
    ):
        model.summary(alpha=1.5)
    with pytest.raises(ValueError, match="`gauge` must be 'centered' or 'reference'"):
        model.summary(gauge="symmetric")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`reference_class` must be one of"):
        model.summary(gauge="reference", reference_class=7)
    with pytest.raises(ValueError, match="`reference_class` needs gauge='reference'"):
        model.summary(reference_class=1)
    Xb, yb = _binary_data(rng)
    logit = LogisticRegression(C=np.inf).fit(Xb, yb)
    with pytest.raises(ValueError, match="logistic regression has a single gauge"):
        logit.summary(gauge="centered")


def test_unfitted_model_raises_not_fitted() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SoftmaxRegression(C=np.inf).summary()


def test_unproven_existence_is_shown(rng: np.random.Generator) -> None:
    """Far from the MLE (here: coefficients scaled by 50), with too many features for
    any affordable linear program, nothing proves that the MLE exists: the summary
    says so and warns."""
    X = rng.normal(size=(3000, 130))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(3000, 3)), axis=1)
    model = SoftmaxRegression(C=np.inf).fit(X, y)
    assert model.summary().mle_verified
    model.coef_ = model.coef_ * 50.0
    model._store_inference(X, y, np.ones(y.size))
    with pytest.warns(UserWarning, match="could not be proven"):
        summary = model.summary()
    assert not summary.mle_verified
    assert "not verified" in summary.to_text()


def test_conversions_keep_the_summary(rng: np.random.Generator) -> None:
    """to_softmax / to_logistic carry the covariance: the summaries agree with fits
    of the other kind."""
    X, y = _binary_data(rng)
    logit = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    soft = _fit_softmax(X, y, gauge="reference", reference_class=1)
    np.testing.assert_allclose(
        soft.to_logistic().summary().std_err, logit.summary().std_err, **TOL
    )
    np.testing.assert_allclose(
        logit.to_softmax(gauge="centered").summary().std_err,
        _fit_softmax(X, y).summary().std_err,
        **TOL,
    )
    converted = logit.to_softmax(gauge="reference").summary()
    np.testing.assert_allclose(converted.coef, logit.summary().coef, **TOL)


# ------------------------------------------------------------------ the covariance


def _brute_force_information(
    X: np.ndarray, proba: np.ndarray, s: np.ndarray, reference: int, intercept: bool
) -> np.ndarray:
    """sum_i s_i (diag(p_i) - p_i p_i^T) kron z_i z_i^T, one sample at a time.

    z_i = (x_i, 1): the package keeps the intercept last.
    """
    Z = np.column_stack([X, np.ones(len(X))]) if intercept else X
    keep = [k for k in range(proba.shape[1]) if k != reference]
    total = np.zeros((len(keep) * Z.shape[1],) * 2)
    for z, p, w in zip(Z, proba[:, keep], s, strict=True):
        total += w * np.kron(np.diag(p) - np.outer(p, p), np.outer(z, z))
    return total


@pytest.mark.parametrize("method", ["syrk", "khatri-rao", "auto"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_fisher_equals_the_per_sample_sum(
    rng: np.random.Generator, k: int, intercept: bool, weighted: bool, method: str
) -> None:
    from softlogit._covariance import fisher_information

    n, d = 70, 4
    X = rng.normal(size=(n, d))
    logits = X @ rng.normal(size=(d, k)) + rng.normal(size=k)
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    s = rng.uniform(0.0, 3.0, size=n) if weighted else np.ones(n)
    reference = k - 1  # not the first class: the blocks must skip the right column
    expected = _brute_force_information(X, proba, s, reference, intercept)
    got = fisher_information(X, proba, s, reference, intercept, method=method)  # type: ignore[arg-type]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * n)
    np.testing.assert_array_equal(got, got.T)


@pytest.mark.parametrize("method", ["syrk", "khatri-rao"])
def test_fisher_in_threads_equals_the_per_sample_sum(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """Row ranges in threads (forced here on small data) add up to the same matrix."""
    import softlogit._gram as gram
    from softlogit._covariance import fisher_information

    monkeypatch.setattr(gram, "_MIN_ROWS_PER_THREAD", 10)
    monkeypatch.setattr(gram, "_MIN_WORK", 1)
    monkeypatch.setattr(gram, "blas_threads", lambda: 3)
    n, d, k = 50, 3, 4
    X = rng.normal(size=(n, d))
    proba = rng.dirichlet(np.ones(k), size=n)
    s = rng.uniform(0.5, 2.0, size=n)
    expected = _brute_force_information(X, proba, s, 0, True)
    got = fisher_information(X, proba, s, 0, True, method=method)  # type: ignore[arg-type]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * n)


def _count_fisher_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import softlogit._covariance as covariance

    calls: list[int] = []
    original = covariance.fisher_information

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(covariance, "fisher_information", counted)
    return calls


def test_fit_takes_the_covariance_from_the_polish(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The polish's last Hessian is the Fisher information over S at the optimum:
    no separate pass over the data, at default settings too."""
    calls = _count_fisher_calls(monkeypatch)
    X, y = _multinomial_data(rng)
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    for model in (
        _fit_softmax(X, y, gauge="reference"),
        SoftmaxRegression(C=np.inf, gauge="reference").fit(X, y),
    ):
        s = model.summary()
        model.summary(gauge="centered")
        assert calls == []  # summary() only maps the stored covariance
        np.testing.assert_allclose(s.std_err.T, ref.bse, **TOL)
        np.testing.assert_allclose(s.cov, ref.cov_params(), **TOL)


def test_fit_computes_the_fisher_information_without_a_polish(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fit that did not converge is not polished: the covariance is the inverse
    Fisher information at its coefficients, computed once (statsmodels' formula at
    the same coefficients: its ``cov_params`` at given ``params``)."""
    calls = _count_fisher_calls(monkeypatch)
    X, y = _multinomial_data(rng)
    with pytest.warns(ConvergenceWarning):
        model = SoftmaxRegression(
            C=np.inf, solver="lbfgs", max_iter=3, gauge="reference"
        ).fit(X, y)
    assert len(calls) == 1
    s = model.summary()
    mn = sm.MNLogit(y, sm.add_constant(X))  # params class-major, intercept first
    cov = np.linalg.inv(-mn.hessian(s.coef.ravel()))
    np.testing.assert_allclose(s.cov, cov, rtol=1e-9, atol=1e-12)


def test_store_covariance_false_skips_it(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The documented way to skip the covariance: a parameter that round-trips."""
    from sklearn.base import clone

    from softlogit import load_model

    calls = _count_fisher_calls(monkeypatch)
    X, y = _multinomial_data(rng)
    model = _fit_softmax(X, y, store_covariance=False)
    assert calls == []
    with pytest.raises(ValueError, match=r"store_covariance=False\); refit with"):
        model.summary()
    assert model.get_params()["store_covariance"] is False
    assert clone(model).store_covariance is False
    loaded = load_model(model.save(tmp_path / "m.json"))
    assert loaded.store_covariance is False
    with pytest.raises(ValueError, match=r"store_covariance=False"):
        loaded.summary()
    # the rest of the fit is the same as with the covariance (which also polishes
    # the fit to machine precision: the same optimum, to the tolerance asked)
    full = _fit_softmax(X, y)
    np.testing.assert_allclose(model.coef_, full.coef_, rtol=1e-9, atol=1e-12)
    assert model._inference_.log_likelihood == pytest.approx(
        full._inference_.log_likelihood, rel=1e-14
    )
    logit = LogisticRegression(C=np.inf, store_covariance=False).fit(*_binary_data(rng))
    with pytest.raises(ValueError, match=r"store_covariance=False"):
        logit.to_softmax().summary()


def test_covariance_from_a_hessian_at_the_optimum(rng: np.random.Generator) -> None:
    """The seam for a solver's Hessian: S * H of the reduced objective (reference
    class K - 1) at the fitted coefficients is the Fisher information, and its inverse
    handed to fit_inference gives the summary of the fresh computation."""
    from softlogit import LinearModelLoss, MultinomialLoss
    from softlogit._covariance import inverse_spd
    from softlogit._inference import fit_inference

    X, y = _multinomial_data(rng, k=4)
    model = _fit_softmax(X, y)
    full = np.column_stack([model.coef_, model.intercept_])
    lml = LinearModelLoss(MultinomialLoss())
    _, H = lml.gradient_hessian(full, X, y, None, 0.0, reference_index=3)
    cov = inverse_spd(len(y) * H)
    expected = model.summary()
    model._inference_ = fit_inference(
        X, y, np.ones(len(y)), full, 0, True, covariance=(cov, 3)
    )
    got = model.summary()
    np.testing.assert_allclose(got.std_err, expected.std_err, rtol=1e-10)
    np.testing.assert_allclose(got.cov, expected.cov, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(
        model.summary(gauge="reference").std_err,
        _fit_softmax(X, y, gauge="reference").summary().std_err,
        rtol=1e-8,
    )


def test_fitted_model_keeps_no_reference_to_the_training_data(
    rng: np.random.Generator,
) -> None:
    import gc
    import weakref

    X, y = _binary_data(rng)
    model = LogisticRegression(C=np.inf).fit(X, y)
    alive = weakref.ref(X)
    del X
    gc.collect()
    assert alive() is None
    assert model.summary().std_err.shape == (1, 4)


@pytest.mark.parametrize(
    "modify",
    [
        lambda X: X.__imul__(2.0),
        lambda X: X.__setitem__((slice(None), 0), X[:, 0] - X[:, 0].mean()),
        lambda X: X.__setitem__(slice(None), X[::-1].copy()),  # rows permuted
        lambda X: X.__setitem__((7, 1), X[7, 1] + 1e-6),
    ],
    ids=["scaled", "centered-column", "permuted-rows", "one-entry"],
)
def test_modifying_the_training_data_changes_nothing(
    rng: np.random.Generator, modify: Any
) -> None:
    X, y = _multinomial_data(rng)
    original = X.copy()
    model = _fit_softmax(X, y)
    modify(X)
    s = model.summary()
    ref = sm.MNLogit(y, sm.add_constant(original)).fit(
        disp=0, method="newton", tol=1e-12
    )
    np.testing.assert_allclose(
        model.summary(gauge="reference").std_err.T, ref.bse, **TOL
    )
    np.testing.assert_array_equal(
        s.std_err, _fit_softmax(original, y).summary().std_err
    )


def test_summary_before_modifying_the_data_is_kept(rng: np.random.Generator) -> None:
    X, y = _binary_data(rng)
    model = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    first = model.summary()
    X *= 3.0
    np.testing.assert_array_equal(model.summary().std_err, first.std_err)
    ref = sm.Logit(y, sm.add_constant(X / 3.0)).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(first.std_err.ravel(), ref.bse, **TOL)


def test_pickle_holds_the_covariance_not_the_data(rng: np.random.Generator) -> None:
    import copy
    import pickle

    X, y = _multinomial_data(rng, n=6000, p=30, k=3)
    model = _fit_softmax(X, y)
    blob = pickle.dumps(model)
    # the covariance (2 * 31)^2 floats is ~30 kB; X is 1.4 MB
    assert len(blob) < X.nbytes / 20
    restored = pickle.loads(blob)
    a, b = restored.summary(), model.summary()
    np.testing.assert_array_equal(a.std_err, b.std_err)
    np.testing.assert_array_equal(a.cov, b.cov)
    assert a.log_likelihood == b.log_likelihood
    copied = copy.deepcopy(model)
    np.testing.assert_array_equal(copied.summary().std_err, b.std_err)
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(
        restored.summary(gauge="reference").std_err.T, ref.bse, **TOL
    )


@pytest.mark.parametrize("direction", ["to_softmax", "to_logistic"])
def test_converted_models_share_the_covariance(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, direction: str
) -> None:
    X, y = _binary_data(rng)
    if direction == "to_softmax":
        source: Any = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
        calls = _count_fisher_calls(monkeypatch)
        target = source.to_softmax(gauge="reference")
    else:
        source = _fit_softmax(X, y, gauge="reference")
        calls = _count_fisher_calls(monkeypatch)
        target = source.to_logistic()
    assert target._inference_ is source._inference_
    a = target.summary()
    b = source.summary()
    assert calls == []  # the conversion computes nothing again
    np.testing.assert_allclose(a.std_err, b.std_err, rtol=1e-12)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(a.std_err.ravel(), ref.bse, **TOL)


def test_sampled_polish_keeps_the_mle_and_its_covariance(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unpenalized fit whose exact Hessian costs many gradients (here 459
    parameters, ~57 gradients) is led to the rounding level by steps with a
    Hessian of every 4th row, then confirmed by one exact Hessian: its covariance
    is still the inverse Fisher information at the MLE, summed here pair of classes
    by pair of classes in plain NumPy, and its gradient vanishes."""
    import softlogit._objectives as objectives
    import softlogit._solvers as solvers

    n, p, k = 40_000, 50, 10
    X = rng.normal(size=(n, p))
    logits = X @ rng.normal(scale=0.2, size=(k, p)).T + rng.normal(scale=0.3, size=k)
    y = np.argmax(logits + rng.gumbel(size=(n, k)), axis=1)
    exact, sampled_steps = [0], []
    real_hessian = objectives.ReducedObjective.gradient_hessian
    real_steps = solvers._steps_while_halving

    def counted(self: Any, x: np.ndarray) -> Any:
        exact[0] += 1
        return real_hessian(self, x)

    def traced(objective: Any, x: Any, f: Any, g: Any, n_iter: int, *rest: Any) -> Any:
        out = real_steps(objective, x, f, g, n_iter, *rest)
        floor = rest[2]  # after max_iter and factor_at
        if floor == solvers.POLISH_DECREMENT / 10:  # the polish's sampled steps
            sampled_steps.append(out[3] - n_iter)
        return out

    monkeypatch.setattr(objectives.ReducedObjective, "gradient_hessian", counted)
    monkeypatch.setattr(solvers, "_steps_while_halving", traced)
    s = SoftmaxRegression(C=np.inf, gauge="reference").fit(X, y).summary()
    assert len(sampled_steps) == 1
    assert sampled_steps[0] > 0
    assert exact[0] == 1
    assert s.mle_verified

    # the model in the reference gauge (class 0): terms (intercept, x_1..x_p)
    Z = np.column_stack([np.ones(n), X])
    B = s.coef  # (k - 1, p + 1), intercept first
    eta = np.column_stack([np.zeros(n), Z @ B.T])
    P = np.exp(eta - eta.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Pf = P[:, 1:]
    Y = np.eye(k)[y][:, 1:]
    gradient = Z.T @ (Y - Pf)  # of the log-likelihood, (p + 1, k - 1)
    assert np.max(np.abs(gradient)) < 1e-8 * n
    m, q = k - 1, p + 1
    info = np.empty((m, q, m, q))
    for a in range(m):
        for b in range(m):
            w = Pf[:, a] * ((a == b) - Pf[:, b])
            info[a, :, b, :] = (Z * w[:, None]).T @ Z
    cov = np.linalg.inv(info.reshape(m * q, m * q))
    np.testing.assert_allclose(s.cov, cov, rtol=1e-6, atol=1e-12 * np.abs(cov).max())
    np.testing.assert_allclose(
        s.std_err, np.sqrt(np.diag(cov)).reshape(m, q), rtol=1e-6
    )
