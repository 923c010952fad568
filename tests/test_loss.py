"""BinomialLoss and MultinomialLoss against scipy.special, sklearn and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special
from sklearn.metrics import log_loss

from softlogit import BinomialLoss, MultinomialLoss
from softlogit._testing.numdiff import derivative
from softlogit.errors import InputTypeError, InputValueError

DTYPES = [
    pytest.param(np.float64, id="float64"),
    pytest.param(np.float32, id="float32"),
]
WEIGHTED = [pytest.param(False, id="unweighted"), pytest.param(True, id="weighted")]


def _data(rng: np.random.Generator, n: int = 40, k: int = 3):
    raw = rng.normal(scale=3.0, size=(n, k))
    y = rng.integers(0, k, size=n)
    sw = rng.uniform(0.1, 2.0, size=n)
    return raw, y, sw


# ---------------------------------------------------------------- binomial


@pytest.mark.parametrize("dtype", DTYPES)
def test_binomial_loss_matches_scipy(rng: np.random.Generator, dtype) -> None:
    z = rng.normal(scale=5.0, size=50).astype(dtype)
    y = rng.integers(0, 2, size=50).astype(dtype)
    out = BinomialLoss().loss(y, z)
    assert out.dtype == dtype
    z64 = z.astype(np.float64)
    # -log p(y) with p = expit(z): log_expit is scipy's stable log-sigmoid.
    expected = -(y * special.log_expit(z64) + (1 - y) * special.log_expit(-z64))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


def test_binomial_loss_extreme_logits() -> None:
    z = np.array([-1e9, -100.0, 0.0, 100.0, 1e9, 1e9, -1e9])
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    out = BinomialLoss().loss(y, z)
    # Hand-computed: softplus(-z) for y=1, softplus(z) for y=0.
    expected = [1e9, 100.0 + np.log1p(np.exp(-100.0)), np.log(2.0), 100.0, 1e9, 0, 0]
    np.testing.assert_allclose(out[:5], expected[:5], rtol=1e-15)
    assert out[5] == np.exp(-1e9)  # exactly 0.0, not NaN
    assert out[6] == 0.0
    # exp(-100) is far below the rounding of 100 but is kept when it is the loss.
    np.testing.assert_allclose(
        BinomialLoss().loss([0.0], np.array([-100.0])), [np.exp(-100.0)], rtol=1e-15
    )


def test_binomial_mean_loss_matches_sklearn_log_loss(rng: np.random.Generator) -> None:
    z = rng.normal(scale=2.0, size=60)
    y = rng.integers(0, 2, size=60)
    sw = rng.uniform(0.5, 1.5, size=60)
    per = BinomialLoss().loss(y, z, sw)
    p = special.expit(z)
    expected = log_loss(y, np.c_[1 - p, p], sample_weight=sw)
    np.testing.assert_allclose(per.sum() / sw.sum(), expected, rtol=1e-12)


@pytest.mark.parametrize("weighted", WEIGHTED)
def test_binomial_derivatives_match_finite_differences(
    rng: np.random.Generator, weighted: bool
) -> None:
    z = rng.normal(scale=3.0, size=30)
    y = rng.uniform(0, 1, size=30)  # probabilities are allowed
    sw = rng.uniform(0.1, 2.0, size=30) if weighted else None
    loss = BinomialLoss()
    g = loss.gradient(y, z, sw)
    # per-sample losses: the derivative along all ones is the per-sample derivative
    np.testing.assert_allclose(
        g, derivative(lambda t: loss.loss(y, t, sw), z), rtol=1e-8
    )
    g2, h = loss.gradient_hessian(y, z, sw)
    np.testing.assert_allclose(g2, g, rtol=1e-15)
    np.testing.assert_allclose(
        h, derivative(lambda t: loss.gradient(y, t, sw), z), rtol=1e-8, atol=1e-12
    )
    value, g3 = loss.loss_gradient(y, z, sw)
    np.testing.assert_allclose(value, loss.loss(y, z, sw), rtol=1e-15)
    np.testing.assert_allclose(g3, g, rtol=1e-15)
    g4, hessp = loss.gradient_hessian_product(y, z, sw)
    v = rng.normal(size=30)
    np.testing.assert_allclose(g4, g, rtol=1e-15)
    np.testing.assert_allclose(hessp(v), h * v, rtol=1e-15)


def test_binomial_gradient_matches_expit(rng: np.random.Generator) -> None:
    z = np.concatenate([rng.normal(scale=20.0, size=20), [-800.0, 800.0, 0.0]])
    y = rng.integers(0, 2, size=z.size).astype(float)
    np.testing.assert_allclose(
        BinomialLoss().gradient(y, z), special.expit(z) - y, rtol=1e-15, atol=1e-300
    )
    _, h = BinomialLoss().gradient_hessian(y, z)
    np.testing.assert_allclose(h, special.expit(z) * special.expit(-z), rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binomial_keeps_dtype(dtype) -> None:
    z = np.array([-1.0, 0.5], dtype=dtype)
    loss = BinomialLoss()
    for out in (
        loss.loss([0, 1], z),
        loss.gradient([0, 1], z),
        *loss.loss_gradient([0, 1], z),
        *loss.gradient_hessian([0, 1], z),
        loss.predict_proba(z),
    ):
        assert out.dtype == dtype


def test_binomial_predict_proba() -> None:
    z = np.array([-50.0, 0.0, 50.0])
    p = BinomialLoss().predict_proba(z)
    np.testing.assert_allclose(p[:, 1], special.expit(z), rtol=1e-15)
    np.testing.assert_allclose(p[:, 0], special.expit(-z), rtol=1e-15)


def test_binomial_bad_input() -> None:
    loss = BinomialLoss()
    with pytest.raises(InputValueError, match=r"`raw` must have shape \(n_samples,\)"):
        loss.loss([0, 1], np.zeros((2, 1)))
    with pytest.raises(
        InputValueError, match=r"`y` must have shape \(3,\); got shape \(2,\)"
    ):
        loss.loss([0, 1], np.zeros(3))
    with pytest.raises(InputValueError, match=r"`y` must lie in \[0, 1\]"):
        loss.loss([0, 2], np.zeros(2))
    with pytest.raises(InputTypeError, match="`y` must be numeric"):
        loss.loss(["a", "b"], np.zeros(2))
    with pytest.raises(InputTypeError, match="`raw` must be a real numeric array"):
        loss.loss([0, 1], np.array(["a", "b"]))
    with pytest.raises(
        InputValueError, match=r"`sample_weight` must have shape \(2,\)"
    ):
        loss.loss([0, 1], np.zeros(2), sample_weight=np.ones(3))
    with pytest.raises(InputTypeError, match="`sample_weight` must be numeric"):
        loss.loss([0, 1], np.zeros(2), sample_weight=np.array(["a", "b"]))
    _, hessp = loss.gradient_hessian_product([0, 1], np.zeros(2))
    with pytest.raises(InputValueError, match="`v` must have shape"):
        hessp(np.zeros((2, 2)))


# ---------------------------------------------------------------- multinomial


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", WEIGHTED)
def test_multinomial_loss_matches_scipy(
    rng: np.random.Generator, dtype, weighted: bool
) -> None:
    raw, y, sw = _data(rng, k=4)
    raw = raw.astype(dtype)
    sw_arg = sw if weighted else None
    out = MultinomialLoss().loss(y, raw, sw_arg)
    assert out.dtype == dtype
    lse = special.logsumexp(raw.astype(np.float64), axis=1)
    expected = lse - raw.astype(np.float64)[np.arange(len(y)), y]
    if weighted:
        expected = expected * sw
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


def test_multinomial_mean_loss_matches_sklearn_log_loss(
    rng: np.random.Generator,
) -> None:
    raw, y, sw = _data(rng, n=80, k=5)
    per = MultinomialLoss(n_classes=5).loss(y, raw, sw)
    expected = log_loss(
        y, special.softmax(raw, axis=1), sample_weight=sw, labels=range(5)
    )
    np.testing.assert_allclose(per.sum() / sw.sum(), expected, rtol=1e-10)


def test_multinomial_extreme_logits() -> None:
    raw = np.array([[0.0, 1e9, -1e9], [-1e9, -1e9, -1e9], [700.0, 0.0, 0.0]])
    y = np.array([0, 2, 0])
    out = MultinomialLoss().loss(y, raw)
    expected = [1e9, np.log(3.0), np.log1p(2 * np.exp(-700.0))]
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    assert np.all(np.isfinite(MultinomialLoss().gradient(y, raw)))


@pytest.mark.parametrize("weighted", WEIGHTED)
def test_multinomial_derivatives_match_finite_differences(
    rng: np.random.Generator, weighted: bool
) -> None:
    raw, y, sw = _data(rng, n=25, k=4)
    sw_arg = sw if weighted else None
    loss = MultinomialLoss()
    g = loss.gradient(y, raw, sw_arg)
    for k in range(4):

        def loss_of_column(t: np.ndarray, k: int = k) -> np.ndarray:
            moved = raw.copy()
            moved[:, k] = t
            return loss.loss(y, moved, sw_arg)

        np.testing.assert_allclose(
            g[:, k], derivative(loss_of_column, raw[:, k]), rtol=1e-7, atol=1e-10
        )
    # Hessian-vector products: directional derivative of the gradient along v.
    g2, hessp = loss.gradient_hessian_product(y, raw, sw_arg)
    np.testing.assert_allclose(g2, g, rtol=1e-15)
    v = rng.normal(size=raw.shape)
    fd = derivative(lambda r: loss.gradient(y, r, sw_arg), raw, v)
    np.testing.assert_allclose(hessp(v), fd, rtol=1e-7, atol=1e-10)
    value, g3 = loss.loss_gradient(y, raw, sw_arg)
    np.testing.assert_allclose(value, loss.loss(y, raw, sw_arg), rtol=1e-15)
    np.testing.assert_allclose(g3, g, rtol=1e-15)


def test_multinomial_gradient_is_softmax_minus_onehot(rng: np.random.Generator) -> None:
    raw, y, _ = _data(rng, k=3)
    g, p = MultinomialLoss().gradient_proba(y, raw)
    np.testing.assert_allclose(p, special.softmax(raw, axis=1), rtol=1e-14)
    onehot = np.eye(3)[y]
    np.testing.assert_allclose(g, special.softmax(raw, axis=1) - onehot, atol=1e-15)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)  # T3: zero-sum gradient
    np.testing.assert_allclose(
        MultinomialLoss().predict_proba(raw), special.softmax(raw, axis=1), rtol=1e-14
    )


# ---------------------------------------------------------------- identity


@pytest.mark.parametrize("weighted", WEIGHTED)
def test_binomial_equals_two_class_multinomial(
    rng: np.random.Generator, weighted: bool
) -> None:
    """binomial(z) == multinomial([-z/2, z/2]) == multinomial([0, z]) (T1, T2)."""
    z = rng.normal(scale=10.0, size=100)
    y = rng.integers(0, 2, size=100)
    sw = rng.uniform(0.1, 3.0, size=100) if weighted else None
    b = BinomialLoss()
    m = MultinomialLoss(n_classes=2)
    for raw in (np.c_[-z / 2, z / 2], np.c_[np.zeros_like(z), z]):
        np.testing.assert_allclose(b.loss(y, z, sw), m.loss(y, raw, sw), rtol=1e-13)
        gm = m.gradient(y, raw, sw)
        gb = b.gradient(y, z, sw)
        # The class-1 logit enters as +z, class 0 as its negative difference.
        np.testing.assert_allclose(gm[:, 1], gb, rtol=1e-13, atol=1e-15)
        # p_0 - y_0 cancels when p_0 is near 1: an absolute error of an ulp of 1.
        np.testing.assert_allclose(gm[:, 0], -gb, rtol=1e-13, atol=1e-15)
        # The second derivative in the class-1 logit equals the binomial one.
        _, hessp = m.gradient_hessian_product(y, raw, sw)
        _, hb = b.gradient_hessian(y, z, sw)
        v = np.c_[np.zeros_like(z), np.ones_like(z)]
        # p_1 (1 - p_1) against sigmoid(z) sigmoid(-z): 1 - p_1 rounds near p_1 = 1.
        np.testing.assert_allclose(hessp(v)[:, 1], hb, rtol=1e-12, atol=1e-15)


def test_multinomial_bad_input() -> None:
    loss = MultinomialLoss(n_classes=3)
    with pytest.raises(InputValueError, match=r"`raw` must have 3 columns"):
        loss.loss([0, 1], np.zeros((2, 2)))
    with pytest.raises(
        InputValueError, match=r"must have shape \(n_samples, n_classes\)"
    ):
        MultinomialLoss().loss([0, 1], np.zeros(2))
    with pytest.raises(InputValueError, match="at least 2 columns"):
        MultinomialLoss().loss([0, 0], np.zeros((2, 1)))
    with pytest.raises(InputValueError, match=r"`y` labels must lie in \[0, 2\]"):
        loss.loss([0, 3], np.zeros((2, 3)))
    with pytest.raises(InputValueError, match="non-integers"):
        loss.loss([0.5, 1.0], np.zeros((2, 3)))
    with pytest.raises(InputTypeError, match="integer class labels"):
        loss.loss(["a", "b"], np.zeros((2, 3)))
    with pytest.raises(InputValueError, match=r"`y` must have shape \(2,\)"):
        loss.loss([0, 1, 2], np.zeros((2, 3)))
    with pytest.raises(InputValueError, match="`n_classes` must be an integer >= 2"):
        MultinomialLoss(n_classes=1)
    with pytest.raises(
        InputTypeError, match=r"`n_classes` must be an integer >= 2 or None; got 2\.0"
    ):
        MultinomialLoss(n_classes=2.0)  # type: ignore[arg-type]
    _, hessp = loss.gradient_hessian_product([0, 1], np.zeros((2, 3)))
    with pytest.raises(InputValueError, match="`v` must have shape"):
        hessp(np.zeros((2, 2)))


def test_multinomial_fast_path_agrees(rng: np.random.Generator) -> None:
    """The solvers' loss-gradient path equals the accurate one to an ulp of 1."""
    from softlogit._loss import MultinomialLoss as ML

    raw, y, sw = _data(rng, n=200, k=5)
    raw[0] = [0.0, 800.0, -800.0, 1.0, 2.0]
    for weight in (None, sw):
        slow = ML._loss_gradient(raw, y, weight)
        # the fast path takes the logits transposed and overwrites them
        fast = ML._loss_gradient_fast(raw.T.copy(), y, weight)
        np.testing.assert_allclose(fast[0], slow[0].sum(), rtol=1e-14)
        np.testing.assert_allclose(fast[1].T, slow[1], rtol=1e-14, atol=4e-16)
        # a non-contiguous input is not silently left with a lost update
        strided = ML._loss_gradient_fast(raw.T, y, weight)
        np.testing.assert_allclose(strided[1].T, slow[1], rtol=1e-14, atol=4e-16)
