"""LinearModelLoss: objective vs sklearn, gradients/Hessians vs 5-point differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special
from sklearn.metrics import log_loss

from softlogit import BinomialLoss, LinearModelLoss, MultinomialLoss
from softlogit._gram import gram as _gram
from softlogit._linear_loss import _block_rows
from softlogit._testing.numdiff import derivative

LOSSES = [
    pytest.param("binomial", id="binomial"),
    pytest.param("multinomial", id="multinomial"),
]
WEIGHTED = [pytest.param(False, id="unweighted"), pytest.param(True, id="weighted")]
INTERCEPT = [pytest.param(True, id="intercept"), pytest.param(False, id="no-intercept")]


def _problem(rng: np.random.Generator, kind: str, fit_intercept: bool, weighted: bool):
    n, p, k = 30, 4, 3
    X = rng.normal(size=(n, p))
    if kind == "binomial":
        lml = LinearModelLoss(BinomialLoss(), fit_intercept=fit_intercept)
        y = rng.integers(0, 2, size=n).astype(float)
        coef = rng.normal(size=p + fit_intercept)
    else:
        lml = LinearModelLoss(MultinomialLoss(), fit_intercept=fit_intercept)
        y = rng.integers(0, k, size=n)
        coef = rng.normal(size=(k, p + fit_intercept))
    sw = rng.uniform(0.2, 2.0, size=n) if weighted else None
    return lml, X, y, coef, sw


def _unit(shape: tuple[int, ...], i: int) -> np.ndarray:
    e = np.zeros(int(np.prod(shape)))
    e[i] = 1.0
    return e.reshape(shape)


@pytest.mark.parametrize("kind", LOSSES)
@pytest.mark.parametrize("weighted", WEIGHTED)
def test_objective_matches_sklearn_log_loss(
    rng: np.random.Generator, kind: str, weighted: bool
) -> None:
    lml, X, y, coef, sw = _problem(rng, kind, True, weighted)
    l2 = 0.37
    if kind == "binomial":
        z = X @ coef[:-1] + coef[-1]
        p = special.expit(z)
        proba = np.c_[1 - p, p]
        penalty = 0.5 * l2 * np.sum(coef[:-1] ** 2)
    else:
        proba = special.softmax(X @ coef[:, :-1].T + coef[:, -1], axis=1)
        penalty = 0.5 * l2 * np.sum(coef[:, :-1] ** 2)
    expected = log_loss(y, proba, sample_weight=sw) + penalty
    np.testing.assert_allclose(lml.loss(coef, X, y, sw, l2), expected, rtol=1e-12)


@pytest.mark.parametrize("kind", LOSSES)
@pytest.mark.parametrize("weighted", WEIGHTED)
@pytest.mark.parametrize("fit_intercept", INTERCEPT)
def test_gradient_matches_finite_differences(
    rng: np.random.Generator, kind: str, weighted: bool, fit_intercept: bool
) -> None:
    lml, X, y, coef, sw = _problem(rng, kind, fit_intercept, weighted)
    l2 = 0.5

    def f(c: np.ndarray) -> float:
        return lml.loss(c, X, y, sw, l2)

    value, grad = lml.loss_gradient(coef, X, y, sw, l2)
    assert grad.shape == coef.shape
    np.testing.assert_allclose(value, f(coef), rtol=1e-15)
    np.testing.assert_allclose(lml.gradient(coef, X, y, sw, l2), grad, rtol=1e-15)
    fd = np.array([derivative(f, coef, _unit(coef.shape, i)) for i in range(coef.size)])
    np.testing.assert_allclose(grad.ravel(), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("kind", LOSSES)
@pytest.mark.parametrize("weighted", WEIGHTED)
@pytest.mark.parametrize("fit_intercept", INTERCEPT)
def test_hessian_products_and_matrix_match_finite_differences(
    rng: np.random.Generator, kind: str, weighted: bool, fit_intercept: bool
) -> None:
    lml, X, y, coef, sw = _problem(rng, kind, fit_intercept, weighted)
    l2 = 0.25

    def grad(c: np.ndarray) -> np.ndarray:
        return lml.gradient(c, X, y, sw, l2)

    g, hessp = lml.gradient_hessian_product(coef, X, y, sw, l2)
    # the same gradient, summed in another order (the solvers' blocked path)
    np.testing.assert_allclose(g, grad(coef), rtol=1e-13, atol=1e-16)
    v = rng.normal(size=coef.shape)
    np.testing.assert_allclose(
        hessp(v), derivative(grad, coef, v), rtol=1e-7, atol=1e-9
    )
    g2, H = lml.gradient_hessian(coef, X, y, sw, l2)
    np.testing.assert_allclose(g2, g, rtol=1e-15)
    np.testing.assert_allclose(H, H.T, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(H @ v.ravel(), hessp(v).ravel(), rtol=1e-10, atol=1e-12)


def test_flattened_coef_gives_flattened_gradient(rng: np.random.Generator) -> None:
    lml, X, y, coef, sw = _problem(rng, "multinomial", True, True)
    g = lml.gradient(coef.ravel(), X, y, sw, 0.1)
    assert g.shape == (coef.size,)
    np.testing.assert_allclose(g, lml.gradient(coef, X, y, sw, 0.1).ravel(), rtol=1e-15)
    _, hessp = lml.gradient_hessian_product(coef.ravel(), X, y, sw, 0.1)
    assert hessp(np.ones(coef.size)).shape == (coef.size,)


@pytest.mark.parametrize("reference", [0, 2])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_reference_hessian_is_that_of_the_reduced_objective(
    rng: np.random.Generator, reference: int, l2: float
) -> None:
    """gradient_hessian(reference_index=r) differentiates phi -> F(center(E_r phi))."""
    lml, X, y, coef, sw = _problem(rng, "multinomial", True, True)
    k, n_dof = coef.shape
    keep = [j for j in range(k) if j != reference]

    def expand(phi: np.ndarray) -> np.ndarray:
        full = np.zeros((k, n_dof))
        full[keep] = phi.reshape(k - 1, n_dof)
        return full - full.mean(axis=0)

    def f(phi: np.ndarray) -> float:
        return lml.loss(expand(phi), X, y, sw, l2)

    phi = (coef - coef[reference])[keep].ravel()
    g, H = lml.gradient_hessian(coef, X, y, sw, l2, reference_index=reference)
    assert g.shape == (k - 1, n_dof)
    assert H.shape == (phi.size, phi.size)
    fd_g = np.array([derivative(f, phi, _unit(phi.shape, i)) for i in range(phi.size)])
    np.testing.assert_allclose(g.ravel(), fd_g, rtol=1e-7, atol=1e-9)

    def reduced_grad(ph: np.ndarray) -> np.ndarray:
        return lml.gradient_hessian(
            expand(ph), X, y, sw, l2, reference_index=reference
        )[0].ravel()

    v = rng.normal(size=phi.size)
    np.testing.assert_allclose(
        H @ v, derivative(reduced_grad, phi, v), rtol=1e-7, atol=1e-9
    )
    # Identified: positive definite (Cholesky succeeds).
    np.linalg.cholesky(H)


def test_full_multinomial_hessian_is_singular_along_the_gauge(
    rng: np.random.Generator,
) -> None:
    lml, X, y, coef, sw = _problem(rng, "multinomial", True, False)
    _, H = lml.gradient_hessian(coef, X, y, sw, 0.0)
    gauge = np.tile(rng.normal(size=coef.shape[1]), coef.shape[0])
    np.testing.assert_allclose(H @ gauge, 0.0, atol=1e-12)


def test_binomial_equals_two_class_multinomial_objective(
    rng: np.random.Generator,
) -> None:
    """The logistic objective at w equals the 2-row softmax one at (-w/2, w/2)."""
    n, p = 40, 3
    X = rng.normal(size=(n, p))
    y = rng.integers(0, 2, size=n)
    sw = rng.uniform(0.5, 2.0, size=n)
    w = rng.normal(size=p + 1)
    binom = LinearModelLoss(BinomialLoss()).loss(w, X, y.astype(float), sw, 0.0)
    multi = LinearModelLoss(MultinomialLoss()).loss(np.stack([-w / 2, w / 2]), X, y, sw)
    np.testing.assert_allclose(binom, multi, rtol=1e-13)
    # With a penalty: ||(-w/2, w/2)||^2 = ||w||^2 / 2, so l2 on the softmax is 2 l2' (T7).
    l2 = 0.3
    binom = LinearModelLoss(BinomialLoss()).loss(w, X, y.astype(float), sw, l2)
    multi = LinearModelLoss(MultinomialLoss()).loss(
        np.stack([-w / 2, w / 2]), X, y, sw, 2 * l2
    )
    np.testing.assert_allclose(binom, multi, rtol=1e-13)


def test_sample_weight_equals_repetition(rng: np.random.Generator) -> None:
    lml, X, y, coef, _ = _problem(rng, "multinomial", True, False)
    counts = rng.integers(1, 4, size=X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), counts)
    np.testing.assert_allclose(
        lml.loss(coef, X, y, counts.astype(float), 0.2),
        lml.loss(coef, X[rep], y[rep], None, 0.2),
        rtol=1e-13,
    )


def test_init_and_weight_intercept(rng: np.random.Generator) -> None:
    X = rng.normal(size=(5, 3))
    m = LinearModelLoss(MultinomialLoss(), fit_intercept=True)
    assert m.init_zero_coef(X, n_classes=4).shape == (4, 4)
    W, b = m.weight_intercept(np.arange(16.0), 3)
    np.testing.assert_array_equal(W, [[0, 1, 2], [4, 5, 6], [8, 9, 10], [12, 13, 14]])
    np.testing.assert_array_equal(b, [3, 7, 11, 15])
    bn = LinearModelLoss(BinomialLoss(), fit_intercept=False)
    assert bn.init_zero_coef(X).shape == (3,)
    w, b0 = bn.weight_intercept([1.0, 2.0, 3.0], 3)
    np.testing.assert_array_equal(w, [1, 2, 3])
    assert b0 == 0.0


def test_bad_input(rng: np.random.Generator) -> None:
    X = rng.normal(size=(4, 2))
    m = LinearModelLoss(MultinomialLoss())
    b = LinearModelLoss(BinomialLoss())
    y = np.array([0, 1, 2, 0])
    with pytest.raises(TypeError, match="`base_loss` must be a BinomialLoss"):
        LinearModelLoss("log")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`X` must be 2-D; got shape \(4,\)"):
        m.loss(np.zeros((3, 2)), X[:, 0], y)
    with pytest.raises(TypeError, match="`X` must be a real numeric array"):
        m.loss(np.zeros((3, 3)), np.array([["a", "b"]] * 4), y)
    with pytest.raises(
        ValueError, match=r"`coef` must have shape \(n_classes >= 2, 3\)"
    ):
        m.loss(np.zeros((3, 2)), X, y)
    with pytest.raises(ValueError, match=r"flattened; got shape \(7,\)"):
        m.loss(np.zeros(7), X, y)
    with pytest.raises(ValueError, match="must have n_features \\+ fit_intercept = 3"):
        b.loss(np.zeros(2), X, y % 2)
    with pytest.raises(ValueError, match=r"`y` must have shape \(4,\)"):
        m.loss(np.zeros((3, 3)), X, y[:3])
    with pytest.raises(ValueError, match=r"`y` labels must lie in \[0, 1\]"):
        m.loss(np.zeros((2, 3)), X, y)
    with pytest.raises(ValueError, match=r"`sample_weight` must have shape \(4,\)"):
        m.loss(np.zeros((3, 3)), X, y, np.ones(3))
    with pytest.raises(ValueError, match="`sample_weight` must have a positive sum"):
        m.loss(np.zeros((3, 3)), X, y, np.zeros(4))
    with pytest.raises(ValueError, match="`l2_reg_strength` must be finite and >= 0"):
        m.loss(np.zeros((3, 3)), X, y, None, -1.0)
    with pytest.raises(ValueError, match=r"`reference_index` must lie in \[0, 2\]"):
        m.gradient_hessian(np.zeros((3, 3)), X, y, reference_index=3)
    with pytest.raises(TypeError, match=r"`reference_index` must be an integer"):
        m.gradient_hessian(np.zeros((3, 3)), X, y, reference_index=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="applies to the multinomial loss only"):
        b.gradient_hessian(np.zeros(3), X, y % 2, reference_index=0)
    with pytest.raises(ValueError, match="`coef` must have 4 rows"):
        LinearModelLoss(MultinomialLoss(n_classes=4)).loss(np.zeros((3, 3)), X, y)


@pytest.mark.parametrize("weighted", WEIGHTED)
@pytest.mark.parametrize("fit_intercept", INTERCEPT)
def test_blocked_multinomial_loss_gradient_matches_scipy(
    rng: np.random.Generator, weighted: bool, fit_intercept: bool
) -> None:
    """Large X is evaluated by row blocks; the result is the plain formula's."""
    p, k = 50, 4
    n = 2 * _block_rows(np.empty((1, p))) + 777  # three blocks, the last one short
    X = rng.normal(size=(n, p))
    y = rng.integers(0, k, size=n)
    coef = rng.normal(size=(k, p + fit_intercept))
    sw = rng.uniform(0.2, 2.0, size=n) if weighted else np.ones(n)
    l2 = 0.05
    lml = LinearModelLoss(MultinomialLoss(), fit_intercept=fit_intercept)
    value, grad = lml.loss_gradient(coef, X, y, sw if weighted else None, l2)

    W = coef[:, :p]
    z = X @ W.T + (coef[:, -1] if fit_intercept else 0.0)
    logp = special.log_softmax(z, axis=1)
    want_value = -np.sum(sw * logp[np.arange(n), y]) / sw.sum() + 0.5 * l2 * np.sum(
        W**2
    )
    G = (special.softmax(z, axis=1) - np.eye(k)[y]) * sw[:, None]
    want_grad = G.T @ X / sw.sum() + l2 * W
    if fit_intercept:
        want_grad = np.c_[want_grad, G.sum(axis=0) / sw.sum()]
    np.testing.assert_allclose(value, want_value, rtol=1e-13)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gram_by_blocks_matches_the_plain_product(
    rng: np.random.Generator, dtype: type
) -> None:
    """``_gram`` (row blocks, BLAS syrk) equals ``B.T @ B`` formed whole."""
    n, p = 9000, 40  # several row blocks, the last one short
    X = rng.normal(size=(n, p)).astype(dtype) + 3.0
    shift = X.mean(axis=0)
    scale = rng.uniform(0.1, 2.0, size=n)
    for kwargs, B in [
        ({}, X.astype(np.float64)),
        ({"shift": shift}, (X - shift).astype(np.float64)),
        ({"shift": shift, "scale": scale}, (X - shift) * scale[:, None]),
    ]:
        got = _gram(X, **kwargs)
        want = B.T.astype(np.float64) @ B.astype(np.float64)
        rtol = 1e-12 if got.dtype == np.float64 else 1e-4
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max())
        np.testing.assert_array_equal(got, got.T)


def test_reference_class_keyword_is_deprecated(rng: np.random.Generator) -> None:
    """The old name of reference_index still works for one release, with a warning."""
    lml, X, y, coef, sw = _problem(rng, "multinomial", True, True)
    expected = lml.gradient_hessian(coef, X, y, sw, 0.1, reference_index=1)
    with pytest.warns(DeprecationWarning, match=r"reference_class=.*reference_index"):
        got = lml.gradient_hessian(coef, X, y, sw, 0.1, reference_class=1)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


# ---------------------------------------------------------- several blocks of rows


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_blocked_passes_match_closed_forms_over_several_blocks(
    monkeypatch: pytest.MonkeyPatch, fit_intercept: bool, weighted: bool
) -> None:
    """loss_gradient and gradient_hessian sum over row blocks (several here: blocks
    of 40 and 64 rows of 300): against the closed forms of SciPy's expit and
    softmax on all rows at once."""
    import softlogit._linear_loss as ll

    monkeypatch.setattr(ll, "_HESSIAN_BLOCK_ROWS", 64)
    monkeypatch.setattr(ll, "_block_rows", lambda X, n_classes=0: 40)
    rng = np.random.default_rng(7)
    n, p, K, l2 = 300, 4, 3, 0.03
    X = rng.normal(size=(n, p))
    sw = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    S = sw.sum()
    Xa = np.column_stack([X, np.ones(n)]) if fit_intercept else X
    q = Xa.shape[1]
    pen = np.ones(q)
    if fit_intercept:
        pen[-1] = 0.0
    sw_arg = sw if weighted else None

    # Binomial: gradient Xa^T s (p - y) / S + l2 w, Hessian Xa^T diag(s p (1-p)) Xa / S.
    yb = rng.integers(0, 2, n).astype(float)
    wb = rng.normal(size=q)
    pb = special.expit(Xa @ wb)
    lml = LinearModelLoss(BinomialLoss(), fit_intercept=fit_intercept)
    f, g = lml.loss_gradient(wb, X, yb, sw_arg, l2)
    ref_f = -np.sum(sw * special.xlogy(yb, pb) + sw * special.xlog1py(1 - yb, -pb))
    ref_f = ref_f / S + 0.5 * l2 * np.sum(pen * wb**2)
    np.testing.assert_allclose(f, ref_f, rtol=1e-13)
    ref_g = Xa.T @ (sw * (pb - yb)) / S + l2 * pen * wb
    np.testing.assert_allclose(g, ref_g, rtol=1e-12, atol=1e-15)
    g2, H = lml.gradient_hessian(wb, X, yb, sw_arg, l2)
    np.testing.assert_allclose(g2, ref_g, rtol=1e-12, atol=1e-15)
    ref_H = (Xa * (sw * pb * (1 - pb))[:, None]).T @ Xa / S + l2 * np.diag(pen)
    np.testing.assert_allclose(H, ref_H, rtol=1e-12, atol=1e-15)

    # Multinomial, all K rows: gradient (P - Y)^T diag(s) Xa / S + l2 W, Hessian
    # sum_i s_i (diag(p_i) - p_i p_i^T) (x) z_i z_i^T / S + l2 I on the weights.
    ym = rng.integers(0, K, n)
    Wm = rng.normal(size=(K, q))
    P = special.softmax(Xa @ Wm.T, axis=1)
    Y = np.eye(K)[ym]
    lmm = LinearModelLoss(MultinomialLoss(), fit_intercept=fit_intercept)
    f, g = lmm.loss_gradient(Wm, X, ym, sw_arg, l2)
    ref_f = -np.sum(sw * np.log(P[np.arange(n), ym])) / S
    ref_f += 0.5 * l2 * np.sum(pen * Wm**2)
    np.testing.assert_allclose(f, ref_f, rtol=1e-13)
    ref_g = ((P - Y) * sw[:, None]).T @ Xa / S + l2 * pen * Wm
    np.testing.assert_allclose(g, ref_g, rtol=1e-12, atol=1e-15)
    g2, H = lmm.gradient_hessian(Wm, X, ym, sw_arg, l2)
    np.testing.assert_allclose(g2, ref_g, rtol=1e-12, atol=1e-15)
    curv = sw[:, None, None] * (
        np.einsum("ik,kl->ikl", P, np.eye(K)) - np.einsum("ik,il->ikl", P, P)
    )
    ref_H = np.einsum("ikl,ia,ib->kalb", curv, Xa, Xa).reshape(K * q, K * q) / S
    ref_H += l2 * np.diag(np.tile(pen, K))
    np.testing.assert_allclose(H, ref_H, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("d", [5, 60])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_class_products_by_small_products_equal_the_plain_products(
    monkeypatch: pytest.MonkeyPatch, d: int, dtype: type
) -> None:
    """class_logits_t and add_class_gradient split a block into small products (here
    of 7 rows, the last one shorter; from 40 features after a sweep that reads the
    block): the transposed logits W X^T + b, C-contiguous, and the sum G X equal the
    plain products."""
    import softlogit._rows as rows

    K, n = 4, 53
    monkeypatch.setattr(rows, "SMALL_PRODUCT", 7 * K * d)
    rng = np.random.default_rng(3)
    Xb = rng.normal(size=(n, d)).astype(dtype).astype(np.float64)
    W, b, G = rng.normal(size=(K, d)), rng.normal(size=(K, 1)), rng.normal(size=(K, n))
    assert rows._small_rows(Xb, K) == 7
    zt = rows.class_logits_t(Xb, W, b)
    assert zt.shape == (K, n)
    assert zt.flags.c_contiguous
    np.testing.assert_allclose(zt, W @ Xb.T + b, rtol=1e-13, atol=1e-13)
    gw = np.ones((K, d))
    rows.add_class_gradient(gw, G, Xb)
    np.testing.assert_allclose(gw, 1.0 + G @ Xb, rtol=1e-13, atol=1e-12)


def test_multinomial_loss_gradient_by_small_products_matches_closed_form() -> None:
    """At the default sizes a block of 5000 rows of 60 features and 10 classes goes
    by small products after a prefetching sweep: loss and gradient against SciPy's
    softmax on all rows at once."""
    from softlogit._rows import PREFETCH_FEATURES, _small_rows

    rng = np.random.default_rng(11)
    n, p, K = 5000, 60, 10
    X = rng.normal(size=(n, p))
    assert 0 < _small_rows(X, K) < _block_rows(X, K)
    assert p >= PREFETCH_FEATURES
    y = rng.integers(0, K, n)
    W = rng.normal(scale=0.3, size=(K, p + 1))
    Xa = np.column_stack([X, np.ones(n)])
    P = special.softmax(Xa @ W.T, axis=1)
    f, g = LinearModelLoss(MultinomialLoss()).loss_gradient(W, X, y, None, 0.0)
    np.testing.assert_allclose(f, -np.mean(np.log(P[np.arange(n), y])), rtol=1e-13)
    ref_g = (P - np.eye(K)[y]).T @ Xa / n
    np.testing.assert_allclose(g, ref_g, rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("multinomial", [False, True])
def test_passes_in_threaded_row_ranges_match_closed_forms(
    monkeypatch: pytest.MonkeyPatch, multinomial: bool
) -> None:
    """With two BLAS threads allowed, the binomial Hessian pass and the multinomial
    loss-gradient pass run as several row ranges in Python threads (each on one
    BLAS thread) and add their parts: against the closed forms on all rows."""
    from threadpoolctl import threadpool_limits

    import softlogit._gram as gm
    import softlogit._linear_loss as ll

    ranges: list[int] = []

    def spy(*args: object, **kwargs: object) -> list[object]:
        out = gm.in_row_ranges(*args, **kwargs)  # type: ignore[arg-type]
        ranges.append(len(out))
        return out

    monkeypatch.setattr(ll, "in_row_ranges", spy)
    rng = np.random.default_rng(5)
    n, p, K = 40_000, 50, 5
    X = rng.normal(size=(n, p))
    Xa = np.column_stack([X, np.ones(n)])
    with threadpool_limits(limits=2, user_api="blas"):
        if multinomial:
            y = rng.integers(0, K, n)
            W = rng.normal(scale=0.2, size=(K, p + 1))
            f, g = LinearModelLoss(MultinomialLoss()).loss_gradient(W, X, y)
        else:
            yb = rng.integers(0, 2, n).astype(float)
            w = rng.normal(scale=0.2, size=p + 1)
            g, H = LinearModelLoss(BinomialLoss()).gradient_hessian(w, X, yb)
    assert max(ranges) >= 2
    if multinomial:
        P = special.softmax(Xa @ W.T, axis=1)
        ref_f = -np.mean(np.log(P[np.arange(n), y]))
        np.testing.assert_allclose(f, ref_f, rtol=1e-13)
        ref_g = (P - np.eye(K)[y]).T @ Xa / n
        np.testing.assert_allclose(g, ref_g, rtol=1e-11, atol=1e-15)
    else:
        pb = special.expit(Xa @ w)
        np.testing.assert_allclose(g, Xa.T @ (pb - yb) / n, rtol=1e-11, atol=1e-15)
        ref_H = (Xa * (pb * (1 - pb))[:, None]).T @ Xa / n
        np.testing.assert_allclose(H, ref_H, rtol=1e-12, atol=1e-15)


def test_binomial_hessian_pass_of_float32_rows_matches_closed_form() -> None:
    """From 40 features the binomial Hessian pass reads each block once; float32 rows
    are converted a block at a time: gradient and Hessian against the closed forms on
    the float64 values of the same rows."""
    rng = np.random.default_rng(9)
    n, p = 3000, 45
    X = rng.normal(size=(n, p)).astype(np.float32)
    Xa = np.column_stack([X.astype(np.float64), np.ones(n)])
    y = rng.integers(0, 2, n).astype(float)
    sw = rng.uniform(0.5, 2.0, n)
    w = rng.normal(scale=0.2, size=p + 1)
    g, H = LinearModelLoss(BinomialLoss()).gradient_hessian(w, X, y, sw, 0.1)
    pb = special.expit(Xa @ w)
    pen = np.append(np.ones(p), 0.0)
    ref_g = Xa.T @ (sw * (pb - y)) / sw.sum() + 0.1 * pen * w
    np.testing.assert_allclose(g, ref_g, rtol=1e-11, atol=1e-15)
    ref_H = (Xa * (sw * pb * (1 - pb))[:, None]).T @ Xa / sw.sum() + 0.1 * np.diag(pen)
    np.testing.assert_allclose(H, ref_H, rtol=1e-12, atol=1e-15)
