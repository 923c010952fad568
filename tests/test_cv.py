"""LogisticRegressionCV / SoftmaxRegressionCV against scikit-learn's
LogisticRegressionCV on the same folds, and their scores against fold-by-fold refits
by scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.metrics import log_loss
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from softlogit import (
    InputTypeError,
    InputValueError,
    LogisticRegression,
    LogisticRegressionCV,
    SoftmaxRegressionCV,
)

TIGHT = {"tol": 1e-10, "max_iter": 200}
SK_TIGHT = {"tol": 1e-12, "max_iter": 100_000}


def _data(seed, n_classes=2, n=240):
    X, y = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=3,
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=seed + 11,
    )
    return (X - X.mean(0)) / X.std(0), y


def _sk_cv(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SkLogisticRegressionCV(use_legacy_attributes=False, **kw)


def _sk_fit(est, X, y, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("scoring", ["neg_log_loss", None])
def test_l2_matches_sklearn_cv(seed, scoring):
    """Same folds (StratifiedKFold(5)), same grid: the same scores, paths and C."""
    X, y = _data(seed)
    Cs = [1e-3, 1e-2, 0.1, 1.0, 10.0]
    ours = LogisticRegressionCV(Cs=Cs, scoring=scoring, **TIGHT).fit(X, y)
    sk = _sk_fit(
        _sk_cv(
            Cs=Cs,
            l1_ratios=(0.0,),
            scoring=scoring or "accuracy",
            solver="lbfgs",
            **SK_TIGHT,
        ),
        X,
        y,
    )
    np.testing.assert_allclose(ours.coefs_paths_, sk.coefs_paths_, atol=1e-6)
    np.testing.assert_allclose(ours.scores_, sk.scores_, atol=1e-7)
    assert ours.C_ == sk.C_
    assert ours.l1_ratio_ == 0.0
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-7)
    assert ours.score(X, y) == pytest.approx(sk.score(X, y), abs=1e-8)


def test_clear_case_chooses_sklearns_C_with_l1(seed):
    """Elastic-net grid on data with a clear optimum: scikit-learn's saga picks the
    same (C, l1_ratio) from the same folds."""
    X, y = _data(seed, n=400)
    grid = {"Cs": [1e-3, 0.03, 1.0, 30.0], "l1_ratios": [0.5, 1.0]}
    folds = StratifiedKFold(4, shuffle=True, random_state=seed)
    ours = LogisticRegressionCV(**grid, cv=folds, scoring="neg_log_loss", **TIGHT).fit(
        X, y
    )
    sk = _sk_fit(
        _sk_cv(**grid, cv=folds, scoring="neg_log_loss", solver="saga", **SK_TIGHT),
        X,
        y,
    )
    assert (ours.C_, ours.l1_ratio_) == (sk.C_, sk.l1_ratio_)
    total = sk.scores_.sum(axis=0)
    assert total.max() - np.sort(total.ravel())[-2] > 1e-3  # a clear winner
    # saga stops after one epoch in the all-zero region (C = 1e-3), away from its
    # optimum: the scores are compared where it converged.
    np.testing.assert_allclose(ours.scores_[:, :, 1:], sk.scores_[:, :, 1:], atol=1e-6)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_scores_equal_fold_by_fold_refits(seed, l1_ratio):
    """Every warm-started fit equals scikit-learn's saga fitted afresh on the fold,
    and its score is the log loss of that fit on the held-out fold (weighted)."""
    X, y = _data(seed)
    rng = np.random.default_rng(seed)
    sw = rng.uniform(0.5, 2.0, size=len(y))
    # (Above scikit-learn's all-zero region, where saga stops after one epoch.)
    Cs = [0.03, 0.3, 3.0]
    folds = list(KFold(3, shuffle=True, random_state=seed).split(X))
    ours = LogisticRegressionCV(
        Cs=Cs, l1_ratios=[l1_ratio], cv=folds, scoring="neg_log_loss", **TIGHT
    ).fit(X, y, sample_weight=sw)
    for f, (train, test) in enumerate(folds):
        for i, C in enumerate(Cs):
            sk = _sk_fit(
                SkLogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", **SK_TIGHT),
                X[train],
                y[train],
                sw[train],
            )
            expected = -log_loss(
                y[test], sk.predict_proba(X[test]), sample_weight=sw[test]
            )
            assert ours.scores_[f, 0, i] == pytest.approx(expected, abs=1e-7)
            path = ours.coefs_paths_[f, 0, i, 0]
            np.testing.assert_allclose(path[:-1], sk.coef_[0], atol=1e-6)
            assert path[-1] == pytest.approx(sk.intercept_[0], abs=1e-6)


def test_softmax_cv_matches_sklearn(seed):
    X, y = _data(seed, n_classes=3, n=300)
    Cs = [0.01, 0.1, 1.0, 10.0]
    ours = SoftmaxRegressionCV(Cs=Cs, cv=3, scoring="neg_log_loss", **TIGHT).fit(X, y)
    sk = _sk_fit(
        _sk_cv(
            Cs=Cs,
            l1_ratios=(0.0,),
            cv=3,
            scoring="neg_log_loss",
            solver="newton-cholesky",
            **SK_TIGHT,
        ),
        X,
        y,
    )
    assert ours.coefs_paths_.shape == sk.coefs_paths_.shape == (3, 1, 4, 3, 7)
    # scikit-learn's L2 optimum is the centered one (its intercepts centered too).
    np.testing.assert_allclose(ours.coefs_paths_, sk.coefs_paths_, atol=1e-6)
    np.testing.assert_allclose(ours.scores_, sk.scores_, atol=1e-7)
    assert ours.C_ == sk.C_
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-7)


def test_refit_false_averages_like_sklearn(seed):
    X, y = _data(seed)
    Cs = [1e-3, 1e-2, 0.1, 1.0]
    ours = LogisticRegressionCV(
        Cs=Cs, cv=4, scoring="neg_log_loss", refit=False, **TIGHT
    ).fit(X, y)
    sk = _sk_fit(
        _sk_cv(
            Cs=Cs,
            l1_ratios=(0.0,),
            cv=4,
            scoring="neg_log_loss",
            refit=False,
            solver="lbfgs",
            **SK_TIGHT,
        ),
        X,
        y,
    )
    assert abs(ours.C_ - sk.C_) <= 1e-12 * sk.C_
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-7)


def test_balanced_class_weight_and_sample_weight_like_sklearn(seed):
    X, y = _data(seed)
    keep = (y == 1) | (np.arange(len(y)) % 3 == 0)  # unbalanced classes
    X, y = X[keep], y[keep]
    sw = np.random.default_rng(seed).uniform(0.5, 2.0, size=len(y))
    Cs = [1e-3, 1e-2, 0.1, 1.0]
    kw = {"Cs": Cs, "cv": 3, "scoring": "neg_log_loss", "class_weight": "balanced"}
    ours = LogisticRegressionCV(**kw, **TIGHT).fit(X, y, sample_weight=sw)
    sk = _sk_fit(
        _sk_cv(**kw, l1_ratios=(0.0,), solver="lbfgs", **SK_TIGHT),
        X,
        y,
        sw,
    )
    np.testing.assert_allclose(ours.scores_, sk.scores_, atol=1e-7)
    assert ours.C_ == sk.C_
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-6)


def test_integer_Cs_is_sklearns_grid_and_sparse_X_equals_dense(seed):
    X, y = _data(seed)
    X[np.abs(X) < 0.7] = 0.0
    dense = LogisticRegressionCV(Cs=4, l1_ratios=[0.5], cv=3, **TIGHT).fit(X, y)
    sparse = LogisticRegressionCV(Cs=4, l1_ratios=[0.5], cv=3, **TIGHT).fit(
        sp.csr_matrix(X), y
    )
    np.testing.assert_allclose(dense.Cs_, np.logspace(-4, 4, 4), rtol=1e-15)
    np.testing.assert_allclose(sparse.coefs_paths_, dense.coefs_paths_, atol=1e-8)
    np.testing.assert_array_equal(sparse.scores_, dense.scores_)
    assert sparse.n_iter_.shape == (3, 1, 4)


def test_final_estimator_is_a_plain_fit_at_the_chosen_C(seed):
    X, y = _data(seed)
    cv = LogisticRegressionCV(Cs=[0.01, 1.0], l1_ratios=[0.5], cv=3, **TIGHT)
    cv.fit(X, y)
    plain = LogisticRegression(C=cv.C_, l1_ratio=0.5, **TIGHT).fit(X, y)
    assert isinstance(cv.estimator_, LogisticRegression)
    np.testing.assert_allclose(cv.coef_, plain.coef_, atol=1e-9)
    np.testing.assert_array_equal(cv.predict(X), plain.predict(X))
    np.testing.assert_allclose(
        cv.decision_function(X), plain.decision_function(X), atol=1e-8
    )
    np.testing.assert_allclose(
        cv.predict_log_proba(X), plain.predict_log_proba(X), atol=1e-8
    )


@parametrize_with_checks(
    [
        LogisticRegressionCV(Cs=2, cv=2),
        SoftmaxRegressionCV(Cs=[0.1, 1.0], l1_ratios=[0.5], cv=2),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ----------------------------------------------------------------------- errors
def test_bad_parameters_raise(seed):
    X, y = _data(seed)
    cases = [
        ({"Cs": 0}, InputValueError, "`Cs` must be an integer >= 1"),
        ({"Cs": [1.0, -1.0]}, InputValueError, "`Cs` must be an integer >= 1 or pos"),
        ({"Cs": "many"}, InputValueError, "`Cs` must be an integer >= 1 or pos"),
        ({"l1_ratios": [0.5, 2.0]}, InputValueError, "`l1_ratios` must be a non-e"),
        ({"l1_ratios": []}, InputValueError, "`l1_ratios` must be a non-empty"),
        ({"scoring": "best"}, InputValueError, "`scoring` must be a scorer name"),
        ({"scoring": 3}, InputTypeError, "`scoring` must be a string, a callable"),
        ({"cv": 1}, InputValueError, "`cv` must be an integer >= 2"),
        ({"cv": 2.5}, InputTypeError, "`cv` must be None, an integer >= 2"),
        ({"refit": "yes"}, InputTypeError, "`refit` must be"),
        (
            {"solver": "lbfgs", "l1_ratios": [0.0, 0.5]},
            InputValueError,
            "`solver` 'lbfgs' handles smooth objectives only",
        ),
    ]
    for params, error, match in cases:
        with pytest.raises(error, match=match):
            LogisticRegressionCV(**params).fit(X, y)


def test_fold_without_a_class_raises(seed):
    X, y = _data(seed, n_classes=3)
    order = np.argsort(y, kind="stable")  # unshuffled KFold on sorted labels
    with pytest.raises(InputValueError, match="training fold 0 lacks 1 of the 3"):
        SoftmaxRegressionCV(Cs=2, cv=KFold(3)).fit(X[order], y[order])
