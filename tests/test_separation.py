"""The separation check: does the unpenalized maximum-likelihood estimate exist?"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.special import expit
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler

from softlogit import (
    LogisticRegression,
    SeparationError,
    SoftmaxRegression,
    check_separation,
)
from softlogit._separation import _certificate, curvature_certificate


def _breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _overlapping(
    rng: np.random.Generator, n_samples: int, n_features: int
) -> tuple[np.ndarray, np.ndarray]:
    """Standard normal features, labels of a logistic model of the first feature:
    the classes overlap, so the maximum-likelihood estimate exists."""
    X = rng.normal(size=(n_samples, n_features))
    y = (X[:, 0] + rng.logistic(size=n_samples) > 0).astype(np.int64)
    return X, y


def test_breast_cancer_is_completely_separated() -> None:
    X, y = _breast_cancer()
    with pytest.raises(SeparationError, match="completely separated") as info:
        check_separation(X, y)
    assert info.value.kind == "complete"
    assert isinstance(info.value, ValueError)
    assert "finite C" in str(info.value)


@pytest.mark.parametrize("model", [LogisticRegression, SoftmaxRegression])
def test_unpenalized_fit_on_separable_data_raises(model: type) -> None:
    X, y = _breast_cancer()
    with pytest.raises(SeparationError, match=r"maximum-likelihood.*finite C"):
        model(C=np.inf).fit(X, y)
    model(C=1.0).fit(X, y)  # a penalized fit is fine


def test_iris_setosa_versus_rest_is_separated() -> None:
    X, y = load_iris(return_X_y=True)
    with pytest.raises(SeparationError, match="completely separated"):
        check_separation(X, (y == 0).astype(np.int64))


def test_iris_three_classes_is_quasi_separated() -> None:
    """Setosa can be pushed to probability 1; versicolor and virginica overlap."""
    X, y = load_iris(return_X_y=True)
    with pytest.raises(SeparationError, match="quasi-completely") as info:
        check_separation(X, y)
    assert info.value.kind == "quasi-complete"
    # the overlapping pair alone passes
    keep = y > 0
    check_separation(X[keep], y[keep] - 1)


def test_single_overlap_point_on_the_boundary_is_quasi_separation() -> None:
    x = np.array([-3.0, -2.0, -1.0, 0.0, 0.0, 1.0, 2.0, 3.0])[:, None]
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    with pytest.raises(SeparationError, match="quasi-completely") as info:
        check_separation(x, y)
    assert info.value.kind == "quasi-complete"
    # one point across the boundary makes the data overlap
    y_overlap = np.array([0, 0, 1, 0, 1, 1, 0, 1])
    check_separation(x, y_overlap)


def test_overlapping_data_pass_and_match_a_finite_statsmodels_fit(
    rng: np.random.Generator,
) -> None:
    X, y = _overlapping(rng, 300, 3)
    check_separation(X, y)
    # independent evidence that the MLE exists: Newton converges to finite values
    res = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton")
    assert res.mle_retvals["converged"]
    assert np.all(np.abs(res.params) < 10)


def test_separation_without_intercept() -> None:
    """Through the origin x > 0 <=> y = 1 separates; with an intercept a shift is
    needed and the data still separate; flipping one point breaks both."""
    x = np.array([-2.0, -1.0, 1.0, 2.0, 3.0])[:, None]
    y = np.array([0, 0, 1, 1, 1])
    with pytest.raises(SeparationError):
        check_separation(x, y, fit_intercept=False)
    # labels that need an intercept: separable with one, overlapping without
    y2 = np.array([0, 0, 0, 1, 1])
    with pytest.raises(SeparationError):
        check_separation(x, y2, fit_intercept=True)
    check_separation(x, y2, fit_intercept=False)


def test_pairwise_separable_yet_multinomial_mle_exists() -> None:
    """Classes 0 and 1 are separable as a pair, but class 2 surrounds both, so the
    multinomial MLE exists: a pairwise check would wrongly refuse these data."""
    x = np.array([-1.0, 1.0, -2.0, 0.0, 2.0, -1.0, 1.0])[:, None]
    y = np.array([0, 1, 2, 2, 2, 2, 2])
    pair = y < 2
    with pytest.raises(SeparationError):
        check_separation(x[pair], y[pair])
    check_separation(x, y)
    res = sm.MNLogit(y, sm.add_constant(x)).fit(disp=0, method="newton")
    assert res.mle_retvals["converged"]
    assert np.all(np.isfinite(res.params))


def test_one_vs_rest_overlap_yet_multinomial_separated() -> None:
    """Three 100-degree sectors: every class-vs-rest problem overlaps (the point at
    radius 0.5 in the middle of a sector lies inside the hull of the other two
    sectors), yet the scores d_k . x with d_k at 0, 120, 240 degrees separate the
    classes completely."""
    offsets = np.deg2rad([-50.0, -25.0, 0.0, 25.0, 50.0])
    radii = np.array([0.5, 1.0, 2.0])
    k = np.repeat(np.arange(3), offsets.size * radii.size)
    angle = 2 * np.pi * k / 3 + np.tile(np.repeat(offsets, radii.size), 3)
    radius = np.tile(radii, 3 * offsets.size)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    for c in range(3):
        check_separation(X, (k == c).astype(np.int64))
    with pytest.raises(SeparationError, match="completely separated"):
        check_separation(X, k)


def test_zero_weights_are_ignored() -> None:
    x = np.array([-2.0, -1.0, 1.0, 2.0, 1.5])[:, None]
    y = np.array([0, 0, 1, 1, 0])  # the last sample creates the overlap
    check_separation(x, y)
    with pytest.raises(SeparationError):
        check_separation(x, y, np.array([1.0, 1.0, 1.0, 1.0, 0.0]))


def test_a_single_class_with_weight_is_separated() -> None:
    x = np.array([[0.0], [1.0], [2.0]])
    with pytest.raises(SeparationError, match="only one class has positive weight"):
        check_separation(x, np.array([0, 1, 1]), np.array([0.0, 1.0, 1.0]))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_certificate_from_fitted_probabilities(
    rng: np.random.Generator, fit_intercept: bool
) -> None:
    """Above the size cap, the probabilities of a fit prove that the MLE exists."""
    X = rng.normal(size=(3000, 5)) + 0.5
    W = rng.normal(size=(4, 5))
    y = np.argmax(X @ W.T + rng.gumbel(size=(3000, 4)), axis=1)
    sw = rng.uniform(0.5, 2.0, size=y.size)
    est = SoftmaxRegression(C=np.inf, fit_intercept=fit_intercept)
    proba = est.fit(X, y, sample_weight=sw).predict_proba(X)
    gen = np.random.default_rng(0)
    assert _certificate(X, fit_intercept, y, sw, proba, rows_per_class=200, rng=gen)
    assert check_separation(
        X, y, sw, fit_intercept=fit_intercept, proba=proba, max_lp_size=0
    )


def test_certificate_refuses_a_nearly_separated_iterate() -> None:
    """Far along a separating direction the wrong-class probabilities are tiny, as
    at the last iterate of a solver on separable data: no certificate from them."""
    X, y = _breast_cancer()
    logits = 100.0 * SkLogisticRegression(C=1.0).fit(X, y).decision_function(X)
    proba = np.column_stack([expit(-logits), expit(logits)])
    gen = np.random.default_rng(0)
    ones = np.ones(y.size)
    assert not _certificate(X, True, y, ones, proba, rows_per_class=200, rng=gen)
    # and the exact program still decides
    with pytest.raises(SeparationError):
        check_separation(X, y, proba=proba)


def test_large_data_without_probabilities_is_inconclusive_not_an_error(
    rng: np.random.Generator,
) -> None:
    """Beyond the cap and without a certificate the documented answer is a pass."""
    x = np.linspace(-1, 1, 200)[:, None]
    y = (x[:, 0] > 0).astype(np.int64)  # separated
    check_separation(x, y, max_lp_size=10)
    with pytest.raises(SeparationError):
        check_separation(x, y)


def test_return_value_says_whether_existence_was_proven(
    rng: np.random.Generator,
) -> None:
    X, y = _overlapping(rng, 200, 2)
    assert check_separation(X, y) is True  # exact program
    assert check_separation(X, y, max_lp_size=10) is False  # too large, no proba
    proba = SoftmaxRegression(C=np.inf).fit(X, y).predict_proba(X)
    assert check_separation(X, y, proba=proba, max_lp_size=10) is True


def test_summary_reports_the_proof_of_existence(rng: np.random.Generator) -> None:
    """Beyond the program's size cap the fitted probabilities supply the proof."""
    X = rng.normal(size=(20_000, 6))
    y = np.argmax(X @ rng.normal(size=(3, 6)).T + rng.gumbel(size=(20_000, 3)), axis=1)
    assert 2 * y.size * 2 * 7 > 250_000  # the exact program is not affordable
    assert check_separation(X, y) is False
    summary = SoftmaxRegression(C=np.inf).fit(X, y).summary()
    assert summary.mle_verified is True
    assert "MLE existence:" in summary.to_text()
    assert "not verified" not in summary.to_text()


def test_pair_matrix_equals_its_definition(rng: np.random.Generator) -> None:
    """The certificate's matrix is A^T diag(w) A for the program's constraint rows."""
    from softlogit._separation import _constraints, pair_matrix

    n, q, k = 60, 3, 4
    Z = rng.normal(size=(n, q))
    y = rng.integers(0, k, size=n)
    w = rng.uniform(0.1, 1.0, size=(n, k))
    w[np.arange(n), y] = 0.0
    A, pair_i, pair_j = _constraints(Z, y, k)
    dense = A.toarray()
    expected = dense.T @ (w[pair_i, pair_j][:, None] * dense)
    np.testing.assert_allclose(pair_matrix(Z, y, w)[q:, q:], expected, rtol=1e-12)


def test_certificate_with_collinear_features(rng: np.random.Generator) -> None:
    """A duplicated column makes the certificate's matrix singular: the
    minimum-norm solve still certifies (the MLE exists, though not uniquely)."""
    X, y = _overlapping(rng, 500, 2)
    proba = SoftmaxRegression(C=np.inf).fit(X, y).predict_proba(X)
    X_dup = np.hstack([X, X[:, :1]])
    assert check_separation(X_dup, y, proba=proba, max_lp_size=0) is True
    assert check_separation(X_dup, y) is True  # the exact program agrees


def test_a_fit_that_classifies_everything_proves_separation(
    rng: np.random.Generator,
) -> None:
    """Beyond the program's size cap, a fit that classifies every training sample
    correctly is itself a separating direction: the unpenalized fit fails."""
    X = rng.normal(size=(30_000, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    assert check_separation(X, y) is False  # too large for the exact program
    logits = 10.0 * (X[:, 0] + 0.5 * X[:, 1])  # a linear model's logits
    proba = np.column_stack([expit(-logits), expit(logits)])
    with pytest.raises(SeparationError, match="classifies every training sample"):
        check_separation(X, y, proba=proba)
    for model in (LogisticRegression, SoftmaxRegression):
        with pytest.raises(SeparationError, match="completely separated"):
            model(C=np.inf).fit(X, y)


def test_quasi_separation_beyond_the_size_cap_is_found_after_the_fit(
    rng: np.random.Generator,
) -> None:
    """30,000 samples separated by x0 = 0 except for 200 of both classes exactly on
    the boundary: the working-set programs find the direction x0 after the fit."""
    n = 30_000
    X = rng.normal(size=(n, 5))
    y = (X[:, 0] > 0).astype(np.int64)
    X[:200, 0] = 0.0
    y[:200] = rng.integers(0, 2, size=200)
    assert check_separation(X, y) is False  # too large for one program
    with pytest.raises(SeparationError, match="quasi-completely separated") as info:
        LogisticRegression(C=np.inf).fit(X, y)
    assert info.value.kind == "quasi-complete"


# ------------------------------------------------- certificate from curvature


def _softmax_nll_derivatives(
    Z: np.ndarray, y: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of the mean softmax NLL in reference-gauge parameters
    (class 0 the reference, ``theta`` of shape (K - 1, q)), written out directly."""
    n, q = Z.shape
    logits = np.column_stack([np.zeros(n), Z @ theta.T])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    r = (p - np.eye(p.shape[1])[y])[:, 1:]
    g = (r.T @ Z / n).ravel()
    k1 = theta.shape[0]
    H = np.zeros((k1 * q, k1 * q))
    for i in range(n):
        pi = p[i, 1:]
        H += np.kron(np.diag(pi) - np.outer(pi, pi), np.outer(Z[i], Z[i]))
    return g, H / n


@pytest.mark.parametrize("n_classes", [2, 3])
def test_curvature_lemma_holds_at_random_points(
    rng: np.random.Generator, n_classes: int
) -> None:
    """The lemma behind the certificate: moving the parameters by Delta, with every
    logit difference changing by at most delta, scales the Hessian by >= e^(-4 delta)
    (checked on the directly written Hessian at random points and moves)."""
    Z = np.column_stack([np.ones(40), rng.normal(size=(40, 2))])
    y = rng.integers(0, n_classes, size=40)
    for _ in range(20):
        theta = rng.normal(size=(n_classes - 1, 3))
        delta_theta = rng.normal(size=theta.shape) * rng.uniform(0.01, 1.0)
        delta = float(np.max(np.abs(Z @ delta_theta.T)))
        _, H0 = _softmax_nll_derivatives(Z, y, theta)
        _, H1 = _softmax_nll_derivatives(Z, y, theta + delta_theta)
        smallest = np.linalg.eigvalsh(H1 - np.exp(-4 * delta) * H0)[0]
        assert smallest >= -1e-12 * np.abs(H0).max()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_curvature_certificate_near_the_mle_of_overlapping_data(
    rng: np.random.Generator, n_classes: int
) -> None:
    """Near the MLE (found by statsmodels, an independent solver) the certificate
    holds, also with the Hessian from an earlier point; far from it, it cannot tell."""
    X = rng.normal(size=(300, 2))
    logits = np.column_stack([np.zeros(300), X @ rng.normal(size=(n_classes - 1, 2)).T])
    y = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    Z = sm.add_constant(X)
    assert check_separation(X, y) is True  # the exact program: the MLE exists
    theta = sm.MNLogit(y, Z).fit(method="newton", disp=0, tol=1e-12).params.T
    theta = np.asarray(theta, dtype=float).reshape(n_classes - 1, 3)
    g, H = _softmax_nll_derivatives(Z, y, theta)
    assert curvature_certificate(g, H, 0.0, X, True)
    earlier = theta + 0.05 * rng.normal(size=theta.shape)
    _, H_earlier = _softmax_nll_derivatives(Z, y, earlier)
    distance = float(np.linalg.norm(theta - earlier))
    assert curvature_certificate(g, H_earlier, distance, X, True)
    # far from the MLE the gradient is large: no conclusion (not a wrong one)
    g_far, H_far = _softmax_nll_derivatives(Z, y, np.zeros_like(theta))
    assert not curvature_certificate(g_far, H_far, 0.0, X, True)
    assert not curvature_certificate(g, H, 10.0, X, True)  # Hessian too far away
    assert not curvature_certificate(g * np.nan, H, 0.0, X, True)


def test_curvature_certificate_never_holds_on_separated_data() -> None:
    """Along a separating direction the gradient vanishes, but so does the curvature
    (faster): no point of the path yields a certificate, as the theorem requires."""
    from scipy.optimize import linprog

    X, y = _breast_cancer()
    Z = np.column_stack([np.ones(len(y)), X])
    # A separating direction of our own: (2 y - 1) z . w >= 1 for every sample.
    sign = (2 * y - 1)[:, None]
    lp = linprog(
        np.zeros(Z.shape[1]), A_ub=-sign * Z, b_ub=-np.ones(len(y)), bounds=(None, None)
    )
    assert lp.status == 0
    direction = lp.x[None, :]
    assert np.all(sign[:, 0] * (Z @ lp.x) >= 1 - 1e-9)
    for t in [0.01, 0.1, 0.5, 1.0, 3.0, 10.0, 100.0]:
        g, H = _softmax_nll_derivatives(Z, y, t * direction)
        assert not curvature_certificate(g, H, 0.0, X, True), t


def test_newton_fits_prove_existence_without_the_other_checks(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After Newton's method the estimators prove existence from its last Hessian:
    neither the certificate from probabilities nor the linear program runs."""
    import softlogit._separation as sep

    def refuse(*args: object, **kwargs: object) -> bool:
        raise AssertionError("check_separation ran")

    monkeypatch.setattr(sep, "check_separation", refuse)
    X, y = _overlapping(rng, 2000, 4)
    for est in (
        LogisticRegression(C=np.inf, solver="newton"),
        SoftmaxRegression(C=np.inf, solver="newton"),
    ):
        assert est.fit(X, y).summary().mle_verified


# ------------------------------------------------------------ validated like fit


def _bad_inputs(
    X: np.ndarray, y: np.ndarray
) -> list[tuple[str, dict[str, object], type, str]]:
    """(case, arguments, exception, message) for inputs fit refuses too."""
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    X_inf = X.copy()
    X_inf[0, 0] = -np.inf
    return [
        ("lengths", {"X": X, "y": y[:40]}, ValueError, r"same number of samples"),
        ("continuous", {"X": X, "y": X[:, 0]}, ValueError, r"class labels"),
        ("nan", {"X": X_nan, "y": y}, ValueError, r"NaN at row 3, column 1"),
        ("inf", {"X": X_inf, "y": y}, ValueError, r"-infinity at row 0, column 0"),
        ("strings", {"X": np.full(X.shape, "a"), "y": y}, ValueError, r"numeric"),
        ("1-D", {"X": X[:, 0], "y": y}, ValueError, r"Expected 2D array"),
        ("weights", {"X": X, "y": y, "w": -np.ones(len(y))}, ValueError, r"non-neg"),
        ("complex", {"X": X + 1j, "y": y}, ValueError, r"Complex data not supp"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_check_separation_validates_like_fit(
    case: int, rng: np.random.Generator
) -> None:
    """Each input LogisticRegression.fit refuses, check_separation refuses with the
    same exception type (an Input*Error naming the argument), instead of returning
    True or failing inside SciPy."""
    X, y = _overlapping(rng, 50, 2)
    _, args, kind, message = _bad_inputs(X, y)[case]
    weights = args.get("w")
    with pytest.raises(kind, match=message):
        check_separation(args["X"], args["y"], weights)
    with pytest.raises(kind):
        LogisticRegression(C=np.inf).fit(args["X"], args["y"], sample_weight=weights)


def test_check_separation_encodes_labels_as_fit_does(rng: np.random.Generator) -> None:
    """Negative and integral float labels are classes (as in fit): the answer is
    that of the encoded labels, and statsmodels fits the overlapping data to a
    finite MLE; non-integral floats are refused, as fit refuses them."""
    X, y = _overlapping(rng, 60, 2)
    assert check_separation(X, 2 * y - 1) is True
    assert check_separation(X, y.astype(float) + 3.0) is True
    with pytest.raises(ValueError, match=r"`y_encoded` must hold class labels"):
        check_separation(X, y + 0.5)
    with pytest.raises(ValueError, match=r"`y` must hold class labels"):
        LogisticRegression(C=np.inf).fit(X, y + 0.5)
    assert np.all(np.isfinite(sm.Logit(y, sm.add_constant(X)).fit(disp=0).params))
    separated = (X[:, 0] > 0).astype(int)
    with pytest.raises(SeparationError):
        check_separation(X, 10 * separated - 7)
    with pytest.raises(ValueError, match=r"`y_encoded` must have the same number"):
        check_separation(X, y[:40])
    with pytest.raises(TypeError, match=r"`fit_intercept` must be a bool"):
        check_separation(X, y, fit_intercept="yes")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"`proba` must be finite, of shape .*= \(60, 2\)"
    ):
        check_separation(X, y, proba=np.full((3, 2), 0.5))
