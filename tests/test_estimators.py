"""LogisticRegression and SoftmaxRegression against scikit-learn and statsmodels."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from softlogit import (
    LinearModelLoss,
    LogisticRegression,
    MultinomialLoss,
    SoftmaxRegression,
)

TIGHT = {"tol": 1e-11, "max_iter": 200}


def _sk(
    C: float, X: np.ndarray, y: np.ndarray, sample_weight=None
) -> SkLogisticRegression:
    """scikit-learn's reference fit: Newton-Cholesky at a tight tolerance."""
    with threadpool_limits(1, "blas"):
        return SkLogisticRegression(
            C=C, solver="newton-cholesky", tol=1e-12, max_iter=500
        ).fit(X, y, sample_weight=sample_weight)


def _overlapping(
    n_samples: int, n_features: int, **kwargs: Any
) -> tuple[np.ndarray, np.ndarray]:
    """``make_classification`` with all features but one informative, none redundant."""
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_features - 1,
        n_redundant=0,
        **kwargs,
    )


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.fixture(scope="module")
def cancer() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits_subset() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    keep = np.flatnonzero(X[:400].std(axis=0) > 0)
    return X[:400, keep] / 16.0, y[:400]


# ------------------------------------------------------------- scikit-learn's checks


@parametrize_with_checks([LogisticRegression(), SoftmaxRegression()])
def test_sklearn_compatible(estimator, check) -> None:
    check(estimator)


# ------------------------------------------------------------- against scikit-learn


@pytest.mark.parametrize("C", [0.05, 1.0, 100.0])
def test_softmax_matches_sklearn_on_iris(C: float) -> None:
    X, y = load_iris(return_X_y=True)
    ours = SoftmaxRegression(C=C, solver="newton", **TIGHT).fit(X, y)
    ref = _sk(C, X, y)
    assert _rel(ours.coef_, ref.coef_) <= 1e-6
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)


@pytest.mark.parametrize("C", [0.05, 1.0, 100.0])
def test_softmax_lbfgs_reaches_the_sklearn_objective_on_iris(C: float) -> None:
    """L-BFGS stops at the rounding level of the objective, as scikit-learn's."""
    X, y = load_iris(return_X_y=True)
    ours = SoftmaxRegression(C=C, solver="lbfgs", tol=1e-10, max_iter=5000).fit(X, y)
    ref = _sk(C, X, y)
    lml = LinearModelLoss(MultinomialLoss())
    l2 = 1 / (C * len(y))

    def objective(est) -> float:
        return lml.loss(np.c_[est.coef_, est.intercept_], X, y, None, l2)

    np.testing.assert_allclose(objective(ours), objective(ref), rtol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_softmax_matches_sklearn_on_digits(digits_subset) -> None:
    X, y = digits_subset
    ours = SoftmaxRegression(C=0.1, solver="newton", **TIGHT).fit(X, y)
    assert ours.coef_.shape == (10, X.shape[1])
    ref = _sk(0.1, X, y)
    assert _rel(ours.coef_, ref.coef_) <= 1e-6
    assert _rel(ours.intercept_, ref.intercept_) <= 1e-6


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_softmax_matches_sklearn_on_synthetic_weighted(
    rng: np.random.Generator, fit_intercept: bool
) -> None:
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=4, random_state=3
    )
    sw = rng.uniform(0.2, 3.0, size=len(y))
    ours = SoftmaxRegression(C=0.7, fit_intercept=fit_intercept, **TIGHT)
    ours.fit(X, y, sample_weight=sw)
    with threadpool_limits(1, "blas"):
        ref = SkLogisticRegression(
            C=0.7,
            fit_intercept=fit_intercept,
            solver="newton-cholesky",
            tol=1e-12,
            max_iter=500,
        ).fit(X, y, sample_weight=sw)
    assert _rel(ours.coef_, ref.coef_) <= 1e-6
    if fit_intercept:
        assert _rel(ours.intercept_, ref.intercept_) <= 1e-6


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_logistic_matches_sklearn_binary(cancer, solver: str) -> None:
    X, y = cancer
    ours = LogisticRegression(C=0.5, solver=solver, tol=1e-10, max_iter=2000).fit(X, y)
    ref = _sk(0.5, X, y)
    assert ours.coef_.shape == ref.coef_.shape == (1, X.shape[1])
    assert _rel(ours.coef_, ref.coef_) <= 1e-6
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6)


def test_logistic_matches_sklearn_with_sample_weight(rng: np.random.Generator) -> None:
    X, y = make_classification(n_samples=200, n_features=5, random_state=1)
    sw = rng.uniform(0.0, 2.0, size=len(y))
    ours = LogisticRegression(C=2.0, **TIGHT).fit(X, y, sample_weight=sw)
    ref = _sk(2.0, X, y, sample_weight=sw)
    assert _rel(ours.coef_, ref.coef_) <= 1e-6


def test_two_class_softmax_to_logistic_matches_sklearn_with_doubled_C(cancer) -> None:
    """SoftmaxRegression(C).to_logistic() == sklearn LogisticRegression(2C) (T7)."""
    X, y = cancer
    soft = SoftmaxRegression(C=0.25, **TIGHT).fit(X, y)
    # Penalized K = 2 optimum is centered: W[0] = -W[1].
    np.testing.assert_allclose(soft.coef_[0], -soft.coef_[1], rtol=1e-12, atol=1e-14)
    logit = soft.to_logistic()
    assert isinstance(logit, LogisticRegression)
    assert logit.C == 0.5
    ref = _sk(0.5, X, y)
    assert _rel(logit.coef_, ref.coef_) <= 1e-6
    np.testing.assert_allclose(logit.intercept_, ref.intercept_, rtol=1e-6)
    np.testing.assert_allclose(
        logit.predict_proba(X), soft.predict_proba(X), atol=1e-12
    )
    np.testing.assert_array_equal(logit.predict(X), soft.predict(X))
    # Refitting the converted estimator reproduces it.
    refit = LogisticRegression(**logit.get_params()).set_params(**TIGHT).fit(X, y)
    assert _rel(refit.coef_, logit.coef_) <= 1e-6


@pytest.mark.parametrize("gauge", ["centered", "reference"])
def test_logistic_to_softmax_round_trip(cancer, gauge: str) -> None:
    X, y = cancer
    logit = LogisticRegression(C=1.0, **TIGHT).fit(X, y)
    soft = logit.to_softmax(gauge=gauge)
    assert isinstance(soft, SoftmaxRegression)
    assert soft.C == 0.5
    assert soft.gauge == gauge
    np.testing.assert_allclose(
        soft.predict_proba(X), logit.predict_proba(X), atol=1e-12
    )
    if gauge == "reference":
        np.testing.assert_array_equal(soft.coef_[0], 0.0)
    refit = SoftmaxRegression(**soft.get_params()).set_params(**TIGHT).fit(X, y)
    assert _rel(refit.coef_, soft.coef_) <= 1e-6
    back = soft.to_logistic()
    np.testing.assert_allclose(back.coef_, logit.coef_, rtol=1e-15)


# ------------------------------------------------------------- against statsmodels


def test_unpenalized_logistic_matches_statsmodels_logit() -> None:
    import statsmodels.api as sm

    X, y = _overlapping(400, 4, flip_y=0.2, random_state=5)
    ours = LogisticRegression(C=np.inf, **TIGHT).fit(X, y)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(ours.intercept_[0], ref.params[0], rtol=1e-6)
    assert _rel(ours.coef_[0], ref.params[1:]) <= 1e-6


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_unpenalized_softmax_matches_statsmodels_mnlogit(solver: str) -> None:
    """statsmodels' reference class is the first one: compare in the reference gauge."""
    import statsmodels.api as sm

    X, y = _overlapping(500, 4, n_classes=3, flip_y=0.2, random_state=7)
    labels = np.array(["low", "mid", "top"])[y]
    ours = SoftmaxRegression(
        C=np.inf,
        gauge="reference",
        reference_class="low",
        solver=solver,
        tol=1e-9,
        max_iter=3000,
    ).fit(X, labels)
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    params = np.asarray(ref.params)  # (1 + n_features, K - 1)
    np.testing.assert_array_equal(ours.coef_[0], 0.0)
    assert _rel(ours.coef_[1:], params[1:].T) <= 1e-6
    assert _rel(ours.intercept_[1:], params[0]) <= 1e-6


def test_two_class_unpenalized_softmax_equals_logistic() -> None:
    X, y = _overlapping(300, 3, flip_y=0.3, random_state=2)
    soft = SoftmaxRegression(C=np.inf, gauge="reference", **TIGHT).fit(X, y)
    logit = LogisticRegression(C=np.inf, **TIGHT).fit(X, y)
    assert _rel(soft.coef_[1], logit.coef_[0]) <= 1e-8
    np.testing.assert_allclose(
        soft.predict_proba(X), logit.predict_proba(X), atol=1e-10
    )


# ------------------------------------------------------------- gauges and API


def test_gauges_give_the_same_probabilities(rng: np.random.Generator) -> None:
    X, y = make_classification(
        n_samples=200, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    fits = {
        g: SoftmaxRegression(C=2.0, gauge=g, reference_class=2, **TIGHT).fit(X, y)
        for g in ("centered", "reference", "none")
    }
    np.testing.assert_allclose(fits["centered"].coef_.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(fits["centered"].intercept_.sum(), 0.0, atol=1e-12)
    np.testing.assert_array_equal(fits["reference"].coef_[2], 0.0)
    assert fits["reference"].intercept_[2] == 0.0
    for g in ("reference", "none"):
        np.testing.assert_allclose(
            fits[g].predict_proba(X), fits["centered"].predict_proba(X), atol=1e-13
        )
        diff = fits[g].coef_ - fits["centered"].coef_
        np.testing.assert_allclose(diff - diff[0], 0.0, atol=1e-10)  # a pure shift


def test_proba_log_proba_and_decision_function(rng: np.random.Generator) -> None:
    X, y = _overlapping(150, 4, n_classes=3, random_state=4)
    soft = SoftmaxRegression().fit(X, y)
    z = X @ soft.coef_.T + soft.intercept_
    np.testing.assert_allclose(soft.decision_function(X), z, rtol=1e-12)
    np.testing.assert_allclose(soft.logits(X), z, rtol=1e-12)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(soft.predict_proba(X), p, rtol=1e-12)
    np.testing.assert_allclose(soft.predict_log_proba(X), np.log(p), rtol=1e-12)
    np.testing.assert_array_equal(soft.predict(X), soft.classes_[np.argmax(z, axis=1)])
    logit = LogisticRegression().fit(X[y < 2], y[y < 2])
    d = X @ logit.coef_[0] + logit.intercept_[0]
    np.testing.assert_allclose(logit.decision_function(X), d, rtol=1e-12)
    q = 1 / (1 + np.exp(-d))
    np.testing.assert_allclose(logit.predict_proba(X), np.c_[1 - q, q], rtol=1e-12)
    np.testing.assert_allclose(
        logit.predict_log_proba(X), np.log(np.c_[1 - q, q]), rtol=1e-12
    )


def test_two_class_softmax_decision_function_is_the_log_odds() -> None:
    X, y = _overlapping(100, 3, random_state=0)
    soft = SoftmaxRegression().fit(X, y)
    z = soft.logits(X)
    assert z.shape == (100, 2)
    np.testing.assert_allclose(soft.decision_function(X), z[:, 1] - z[:, 0], rtol=1e-12)


@pytest.mark.parametrize(
    "labels",
    [
        pytest.param(np.array(["cat", "dog", "emu"]), id="str"),
        pytest.param(np.array([-3, 10, 42]), id="int"),
        pytest.param(np.array(["a", "b", "c"], dtype=object), id="object"),
    ],
)
def test_arbitrary_labels(labels: np.ndarray) -> None:
    X, y = load_iris(return_X_y=True)
    soft = SoftmaxRegression().fit(X, labels[y])
    np.testing.assert_array_equal(soft.classes_, labels)
    assert set(soft.predict(X)) <= set(labels)
    assert soft.score(X, labels[y]) > 0.9


def test_bool_labels_in_logistic() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = LogisticRegression().fit(X, y.astype(bool))
    np.testing.assert_array_equal(clf.classes_, [False, True])
    assert clf.predict(X).dtype == bool


def test_pandas_feature_names() -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    soft = SoftmaxRegression().fit(X, y)
    np.testing.assert_array_equal(soft.feature_names_in_, X.columns)
    assert soft.n_features_in_ == 4
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        soft.predict(X.to_numpy())


def test_auto_solver_choice(digits_subset) -> None:
    X, y = load_iris(return_X_y=True)
    assert SoftmaxRegression().fit(X, y).solver_ == "newton"
    Xd, yd = digits_subset
    small = SoftmaxRegression(C=0.1).fit(Xd[:, :12], yd)  # 9 * 13 = 117 unknowns
    assert small.solver_ == "newton"
    big = SoftmaxRegression(C=0.1).fit(Xd[:, :20], yd)  # 9 * 21 = 189 unknowns
    assert big.solver_ == "lbfgs"


def test_warm_start_reuses_the_solution(cancer) -> None:
    X, y = cancer
    clf = LogisticRegression(warm_start=True, **TIGHT).fit(X, y)
    first = clf.coef_.copy()
    clf.fit(X, y)
    # from the optimum: at most the one step whose Newton decrement says converged
    assert clf.n_iter_[0] <= 1
    np.testing.assert_allclose(clf.coef_, first, rtol=1e-11)  # rounding level
    soft = SoftmaxRegression(warm_start=True, solver="lbfgs", **TIGHT).fit(
        *load_iris(return_X_y=True)
    )
    soft.fit(*load_iris(return_X_y=True))
    assert soft.n_iter_[0] <= 2


def test_sample_weight_equals_repetition(rng: np.random.Generator) -> None:
    X, y = make_classification(
        n_samples=60,
        n_features=3,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        random_state=1,
    )
    counts = rng.integers(0, 4, size=len(y))
    counts[:3] = 1  # keep every class present
    rep = np.repeat(np.arange(len(y)), counts)
    a = SoftmaxRegression(C=0.3, **TIGHT).fit(X, y, sample_weight=counts)
    b = SoftmaxRegression(C=0.3, **TIGHT).fit(X[rep], y[rep])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------- first-order solvers


@pytest.mark.parametrize("solver", ["gd", "momentum", "adam"])
def test_first_order_solvers_reach_the_newton_solution(solver: str) -> None:
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    exact = SoftmaxRegression(C=0.1, solver="newton", **TIGHT).fit(X, y)
    fo = SoftmaxRegression(C=0.1, solver=solver, tol=1e-6, max_iter=20_000).fit(X, y)
    np.testing.assert_allclose(fo.coef_, exact.coef_, atol=1e-4)
    assert 0 < fo.n_iter_[0] < 20_000


def test_gradient_descent_conserves_the_row_sum_without_penalty_on_it() -> None:
    """T3: the loss gives the sum of the rows zero gradient; gd keeps it at 0."""
    X, y = _overlapping(200, 4, n_classes=3, flip_y=0.3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fo = SoftmaxRegression(C=np.inf, solver="gd", gauge="none", max_iter=50).fit(
            X, y
        )
    np.testing.assert_allclose(fo.coef_.sum(axis=0), 0.0, atol=1e-13)
    np.testing.assert_allclose(fo.intercept_.sum(), 0.0, atol=1e-13)


def test_convergence_warning_gives_advice(cancer) -> None:
    X, y = cancer
    with pytest.warns(ConvergenceWarning, match=r"did not converge.*increase max_iter"):
        LogisticRegression(solver="lbfgs", max_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="first-order solvers need thousands"):
        SoftmaxRegression(solver="adam", max_iter=3).fit(X, y)


# ------------------------------------------------------------- bad input


def test_separated_data_without_penalty_raises(cancer) -> None:
    X, y = cancer
    with pytest.raises(ValueError, match=r"separated.*C"):
        LogisticRegression(C=np.inf).fit(X, y)
    with pytest.raises(ValueError, match="separated"):
        SoftmaxRegression(C=np.inf).fit(X, y)


def test_bad_X_values_name_row_and_column() -> None:
    X = np.ones((5, 3))
    X[:, 0] = np.arange(5)
    y = np.array([0, 1, 0, 1, 0])
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"`X` contains NaN at row 3, column 2"):
        SoftmaxRegression().fit(X, y)
    X[3, 2] = np.inf
    with pytest.raises(ValueError, match=r"`X` contains infinity at row 3, column 2"):
        LogisticRegression().fit(X, y)
    X[3, 2] = 1.0
    clf = LogisticRegression().fit(X, y)
    X[1, 0] = -np.inf
    with pytest.raises(ValueError, match=r"-infinity at row 1, column 0"):
        clf.predict(X)


def test_non_numeric_columns_are_named() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "1", "2", "3"]})
    y = [0, 1, 0, 1]
    with pytest.raises(
        ValueError, match=r"`X` column 'b' \(position 1\).*'x' at row 0"
    ):
        LogisticRegression().fit(df, y)
    arr = np.array([[1.0, 2.0], [3.0, "oops"]], dtype=object)
    with pytest.raises(
        ValueError, match=r"column 1, row 1 holds the non-numeric value"
    ):
        LogisticRegression().fit(arr, [0, 1])


def test_other_bad_input() -> None:
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match=r"got 6 rows in `X` and 5 labels in `y`"):
        SoftmaxRegression().fit(X, y[:5])
    with pytest.raises(ValueError, match="at least two classes; got 1 class"):
        SoftmaxRegression().fit(X, np.zeros(6))
    with pytest.raises(
        ValueError, match=r"Only binary classification is supported.*got 3"
    ):
        LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"non-negative; got -1.0 at row 2"):
        SoftmaxRegression().fit(X, y, sample_weight=[1, 1, -1, 1, 1, 1])
    with pytest.raises(ValueError, match="positive sum; got all zeros"):
        SoftmaxRegression().fit(X, y, sample_weight=np.zeros(6))
    with pytest.raises(
        ValueError, match=r"shape \(n_samples,\) = \(6,\); got shape \(3,\)"
    ):
        SoftmaxRegression().fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(TypeError, match="`sample_weight` must be numeric"):
        SoftmaxRegression().fit(X, y, sample_weight=np.array(["a"] * 6))
    with pytest.raises(ValueError, match="Unknown label type"):
        SoftmaxRegression().fit(X, np.linspace(0, 1, 6))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"C": 0.0}, "`C` must be a positive number"),
        ({"C": -1.0}, "`C` must be a positive number"),
        ({"solver": "sag"}, "`solver` must be one of"),
        ({"tol": 0.0}, "`tol` must be a positive number"),
        ({"max_iter": -1}, "`max_iter` must be a non-negative integer"),
        ({"gauge": "sym"}, "`gauge` must be one of"),
        (
            {"gauge": "reference", "reference_class": 7},
            "`reference_class` must be one of",
        ),
    ],
)
def test_bad_parameters(params: dict, match: str) -> None:
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        SoftmaxRegression(**params).fit(X, y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"fit_intercept": "yes"}, "`fit_intercept` must be a bool"),
        ({"C": "big"}, "`C` must be a positive number"),
        ({"max_iter": 2.5}, "`max_iter` must be a non-negative integer"),
        ({"warm_start": 1}, "`warm_start` must be a bool; got 1"),
        ({"store_covariance": "no"}, "`store_covariance` must be a bool"),
    ],
)
def test_bad_parameter_types(params: dict, match: str) -> None:
    """A parameter of the wrong type is a TypeError (a value error otherwise)."""
    from softlogit import InputTypeError

    X, y = load_iris(return_X_y=True)
    with pytest.raises(InputTypeError, match=match):
        SoftmaxRegression(**params).fit(X, y)


def test_conversion_errors() -> None:
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=r"needs a two-class model; .* has 3 classes"):
        SoftmaxRegression().fit(X, y).to_logistic()
    clf = LogisticRegression().fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="`gauge` must be 'centered' or 'reference'"):
        clf.to_softmax(gauge="none")  # type: ignore[arg-type]


# ------------------------------------------------------- whitened L-BFGS coordinates


@pytest.mark.parametrize("multinomial", [True, False], ids=["multinomial", "binomial"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "none"])
def test_whitened_objective_is_a_change_of_variables(
    rng: np.random.Generator, multinomial: bool, fit_intercept: bool
) -> None:
    """Loss, gradient and Hessian in whitened coordinates vs 5-point differences."""
    from softlogit._loss import BinomialLoss
    from softlogit._objectives import FullObjective, WhitenedObjective
    from softlogit._testing.numdiff import derivative

    n, p, k = 60, 3, 3
    # correlated, badly scaled features
    X = rng.normal(size=(n, p)) @ np.array([[3.0, 0, 0], [2.9, 0.1, 0], [0, 0, 0.01]])
    X += 5.0
    sw = rng.uniform(0.5, 2.0, size=n)
    n_rows = k if multinomial else 1
    y = rng.integers(0, k if multinomial else 2, size=n)
    lml = LinearModelLoss(
        MultinomialLoss() if multinomial else BinomialLoss(),
        fit_intercept=fit_intercept,
    )
    y_loss = y if multinomial else y.astype(float)
    inner = FullObjective(lml, X, y_loss, sw, 0.01)
    white = WhitenedObjective.build(inner, X, sw, fit_intercept, n_rows)
    assert white is not None
    v = rng.normal(size=n_rows * (p + fit_intercept))
    np.testing.assert_allclose(white.to_v(white.to_x(v)), v, rtol=1e-10, atol=1e-12)
    assert white.loss(v) == pytest.approx(inner.loss(white.to_x(v)), rel=1e-14)

    def fd(f, x: np.ndarray, i: int) -> np.ndarray:
        return derivative(f, x, np.eye(x.size)[i])

    _, g = white.loss_gradient(v)
    g2, H = white.gradient_hessian(v)
    np.testing.assert_allclose(g2, g, rtol=1e-12, atol=1e-14)
    for i in range(v.size):
        assert g[i] == pytest.approx(fd(white.loss, v, i), rel=1e-6, abs=1e-8)
        col = fd(lambda x: white.loss_gradient(x)[1], v, i)
        np.testing.assert_allclose(H[:, i], col, rtol=1e-5, atol=1e-7)


def _objectives_vs_sklearn(
    est: SoftmaxRegression, X: np.ndarray, y: np.ndarray
) -> tuple[float, float, SkLogisticRegression]:
    """scikit-learn's objective (C=1) at ``est`` and at its own fit, and that fit."""
    ref = _sk(1.0, X, y)
    lml = LinearModelLoss(MultinomialLoss(), fit_intercept=True)

    def objective(model: Any) -> float:
        coef = np.c_[model.coef_, model.intercept_]
        return lml.loss(coef, X, y, None, 1.0 / len(y))

    return objective(est), objective(ref), ref


def test_whitened_lbfgs_matches_newton_on_correlated_features(
    rng: np.random.Generator,
) -> None:
    """Preconditioning changes the path, not the minimizer (sklearn as reference)."""
    X, y = _overlapping(600, 4, n_classes=3, random_state=3)
    X = X @ np.array(
        [[1.0, 0.9, 0, 0], [0, 0.1, 0, 0], [0, 0, 20.0, 0], [0, 0, 0, 0.2]]
    )
    X += 3.0
    ours = SoftmaxRegression(C=1.0, solver="lbfgs", **TIGHT).fit(X, y)
    f_ours, f_ref, ref = _objectives_vs_sklearn(ours, X, y)
    # L-BFGS stops where the objective stops decreasing in float64; the minimizer
    # is then resolved to about sqrt(eps) relative in the flattest direction.
    assert f_ours <= f_ref * (1 + 1e-13)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-5, atol=1e-7)


def test_whitened_lbfgs_on_scaled_and_collinear_features() -> None:
    """Features in units a thousand times apart plus an exactly collinear column: the
    penalty keeps the whitening well defined, and L-BFGS converges in a few dozen
    iterations (plain L-BFGS, like scikit-learn's, needs thousands here) to the
    minimizer of scikit-learn's Newton-Cholesky."""
    X, y = _overlapping(3000, 6, n_classes=3, random_state=4)
    X[:, :3] *= 1000.0
    X = np.column_stack([X, X[:, 0] / 1000.0 + X[:, 4]])  # exactly collinear
    ours = SoftmaxRegression(C=1.0, solver="lbfgs", tol=1e-8, max_iter=300).fit(X, y)
    assert ours.n_iter_[0] < 100
    f_ours, f_ref, ref = _objectives_vs_sklearn(ours, X, y)
    assert f_ours <= f_ref * (1 + 1e-12)
    scale = np.abs(ref.coef_).max(axis=0)
    np.testing.assert_allclose(ours.coef_ / scale, ref.coef_ / scale, atol=1e-5)


def test_auto_hands_slow_lbfgs_over_to_newton() -> None:
    """Raw digits (nearly separable, 585 free coefficients, C=1): L-BFGS alone needs
    about 1700 iterations to tol=1e-8; 'auto' switches to Newton and reaches
    scikit-learn's Newton-Cholesky minimizer within the default max_iter."""
    X, y = load_digits(return_X_y=True)
    ours = SoftmaxRegression(C=1.0, tol=1e-8).fit(X, y)  # max_iter=100
    assert ours.solver_ == "lbfgs+newton"
    assert ours.n_iter_[0] <= 100
    ref = _sk(1.0, X, y)
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(ours.coef_ / scale, ref.coef_ / scale, atol=1e-6)
    # a well-conditioned problem of the same size stays with L-BFGS
    easy = SoftmaxRegression(C=1.0).fit(StandardScaler().fit_transform(X), y)
    assert easy.solver_ == "lbfgs"


def test_unpenalized_fit_proves_existence_without_the_linear_program(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On overlapping data the certificate from the fit decides: the exact linear
    program (seconds on mid-sized data) is not run."""
    import softlogit._separation as sep

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the linear program ran")

    monkeypatch.setattr(sep, "_solve_lp", refuse)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1000, 20))
    y = np.argmax(X[:, :5] + rng.gumbel(size=(1000, 5)), axis=1)
    clf = SoftmaxRegression(C=np.inf).fit(X, y)
    assert clf.summary().mle_verified


def test_failed_fit_leaves_the_estimator_unchanged(cancer) -> None:
    """Separated data raise without a ConvergenceWarning (warnings are errors here)
    and without half-set attributes, on a first fit and on a refit."""
    X, y = cancer
    clf = LogisticRegression(C=np.inf)
    with pytest.raises(ValueError, match="separated"):
        clf.fit(X, y)
    assert not hasattr(clf, "coef_")
    clf.set_params(C=1.0).fit(X[:, :3], y)
    before = {k: np.copy(v) for k, v in vars(clf).items() if k.endswith("_")}
    with pytest.raises(ValueError, match="separated"):
        clf.set_params(C=np.inf).fit(X, y)
    after = {k: v for k, v in vars(clf).items() if k.endswith("_")}
    assert before.keys() == after.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)
