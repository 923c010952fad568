"""Cross-checks of the cross-entropies against PyTorch and Keras (float64).

Both frameworks are installed in CI (every extra is), so a missing one fails here rather
than skipping. They agree with softlogit per sample to ~1e-13 relative; where a loss
is below ~1e-15 the frameworks' ``log(1 + tiny)`` loses it, hence a small absolute
tolerance (softlogit's own accuracy is measured against mpmath in test_special.py).
The reductions differ by convention, which these tests pin down:

- softlogit ``reduction="mean"``: weighted mean sum_i s_i l_i / sum_i s_i (scikit-learn);
- PyTorch ``cross_entropy(weight=w)``: sum_i w[y_i] l_i / sum_i w[y_i] (the same, with
  s_i = w[y_i]); ``binary_cross_entropy_with_logits(weight=s)``: sum_i s_i l_i / N;
- Keras losses with ``sample_weight``: sum_i s_i l_i / N ("sum_over_batch_size"), and
  ``binary_crossentropy`` averages over the last axis.

Keras is imported inside its tests (importing TensorFlow takes seconds).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from softlogit import (
    binary_cross_entropy,
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    softplus,
)

RTOL = 1e-13
ATOL = 1e-15


def wide_logits(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Logits with magnitudes from 1e-3 to 1e3 (and a few exact zeros), both signs."""
    mags = 10.0 ** rng.uniform(-3, 3, size=shape)
    z = mags * rng.choice([-1.0, 1.0], size=shape)
    z.flat[:: max(1, z.size // 7)] = 0.0
    return z


def binary_targets(rng: np.random.Generator, n: int) -> np.ndarray:
    y = rng.uniform(size=n)
    y[: n // 3] = 0.0
    y[n // 3 : 2 * n // 3] = 1.0
    return rng.permutation(y)


def t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x))


# --------------------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------------------


def test_binary_cross_entropy_matches_torch(rng: np.random.Generator) -> None:
    z = wide_logits(rng, (600,))
    y = binary_targets(rng, 600)
    s = rng.uniform(0.1, 3.0, size=600)
    ours = binary_cross_entropy(z, y, reduction="none")
    theirs = F.binary_cross_entropy_with_logits(t(z), t(y), reduction="none")
    assert theirs.dtype == torch.float64
    # PyTorch computes (1 - y) z + max(-z, 0) + log(...), whose terms of size |z|
    # cancel when the loss is small: its absolute error is a few ulp of |z|.
    tol = RTOL * np.abs(ours) + 4 * np.spacing(np.maximum(np.abs(z), 1.0))
    assert np.all(np.abs(ours - theirs.numpy()) <= tol)
    for reduction in ("sum", "mean"):
        theirs_r = F.binary_cross_entropy_with_logits(t(z), t(y), reduction=reduction)
        ours_r = binary_cross_entropy(z, y, reduction=reduction)  # type: ignore[arg-type]
        assert ours_r == pytest.approx(theirs_r.item(), rel=1e-13)
    # weights: PyTorch's 'mean' divides by N, softlogit's by the sum of the weights
    theirs_w = F.binary_cross_entropy_with_logits(t(z), t(y), weight=t(s))
    assert binary_cross_entropy(z, y, s, reduction="sum") / len(z) == pytest.approx(
        theirs_w.item(), rel=1e-13
    )
    assert binary_cross_entropy(z, y, s) == pytest.approx(
        theirs_w.item() * len(z) / s.sum(), rel=1e-13
    )


def test_softmax_cross_entropy_matches_torch(rng: np.random.Generator) -> None:
    logits = wide_logits(rng, (400, 3))
    labels = rng.integers(0, 3, size=400)
    ours = softmax_cross_entropy(logits, labels, reduction="none")
    theirs = F.cross_entropy(t(logits), t(labels), reduction="none")
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=RTOL, atol=ATOL)
    assert softmax_cross_entropy(logits, labels) == pytest.approx(
        F.cross_entropy(t(logits), t(labels)).item(), rel=1e-13
    )
    assert softmax_cross_entropy(logits, labels, reduction="sum") == pytest.approx(
        F.cross_entropy(t(logits), t(labels), reduction="sum").item(), rel=1e-13
    )
    # class weights: PyTorch's weighted mean is ours with s_i = weight[y_i]
    w = np.array([0.5, 2.0, 1.25])
    theirs_w = F.cross_entropy(t(logits), t(labels), weight=t(w))
    assert softmax_cross_entropy(logits, labels, w[labels]) == pytest.approx(
        theirs_w.item(), rel=1e-13
    )
    # probability targets
    y = rng.dirichlet(np.ones(3), size=400)
    ours_p = softmax_cross_entropy(logits, y, reduction="none")
    theirs_p = F.cross_entropy(t(logits), t(y), reduction="none")
    np.testing.assert_allclose(ours_p, theirs_p.numpy(), rtol=RTOL, atol=ATOL)


def test_two_class_cross_entropy_is_binary_in_torch_too(
    rng: np.random.Generator,
) -> None:
    """FACTS: CrossEntropyLoss([z0, z1], y) == BCEWithLogitsLoss(z1 - z0, y), per sample."""
    logits = wide_logits(rng, (300, 2))
    labels = rng.integers(0, 2, size=300)
    ours = binary_cross_entropy(
        logits[:, 1] - logits[:, 0], labels.astype(float), reduction="none"
    )
    theirs = F.cross_entropy(t(logits), t(labels), reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=ATOL)


def test_elementwise_functions_match_torch(rng: np.random.Generator) -> None:
    x = wide_logits(rng, (50, 4))
    tx = t(x)
    # (PyTorch flushes some subnormal results to zero)
    np.testing.assert_allclose(
        sigmoid(x), torch.sigmoid(tx).numpy(), rtol=RTOL, atol=1e-300
    )
    np.testing.assert_allclose(
        log_sigmoid(x), F.logsigmoid(tx).numpy(), rtol=RTOL, atol=1e-300
    )
    # torch's softplus returns x itself above its threshold (20): use logaddexp
    zero = torch.zeros_like(tx)
    np.testing.assert_allclose(
        softplus(x), torch.logaddexp(tx, zero).numpy(), rtol=RTOL, atol=1e-300
    )
    for axis in (0, 1, -1):
        np.testing.assert_allclose(
            softmax(x, axis=axis),
            torch.softmax(tx, dim=axis).numpy(),
            rtol=RTOL,
            atol=1e-300,
        )
        np.testing.assert_allclose(
            log_softmax(x, axis=axis),
            torch.log_softmax(tx, dim=axis).numpy(),
            rtol=RTOL,
            atol=ATOL,
        )
        np.testing.assert_allclose(
            logsumexp(x, axis=axis),
            torch.logsumexp(tx, dim=axis).numpy(),
            rtol=RTOL,
            atol=ATOL,
        )


def test_float32_agrees_with_torch_float32(rng: np.random.Generator) -> None:
    logits = wide_logits(rng, (200, 3)).astype(np.float32)
    labels = rng.integers(0, 3, size=200)
    ours = softmax_cross_entropy(logits, labels, reduction="none")
    assert ours.dtype == np.float32
    theirs = F.cross_entropy(t(logits), t(labels), reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-6)


# --------------------------------------------------------------------------------------
# Keras 3 (TensorFlow backend unless KERAS_BACKEND says otherwise)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras():  # type: ignore[no-untyped-def]
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    return keras


@pytest.mark.slow
def test_binary_cross_entropy_matches_keras(keras, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    z = wide_logits(rng, (600, 1))
    y = binary_targets(rng, 600)[:, None]
    theirs = keras.losses.binary_crossentropy(y, z, from_logits=True)
    theirs = keras.ops.convert_to_numpy(theirs)
    assert (
        theirs.dtype == np.float64
    )  # float64 arrays stay float64 in the functional API
    ours = binary_cross_entropy(z, y, reduction="none")
    np.testing.assert_allclose(ours[:, 0], theirs, rtol=RTOL, atol=ATOL)
    # keras averages over the last axis
    z2, y2 = z.reshape(200, 3), y.reshape(200, 3)
    theirs2 = keras.ops.convert_to_numpy(
        keras.losses.binary_crossentropy(y2, z2, from_logits=True)
    )
    np.testing.assert_allclose(
        binary_cross_entropy(z2, y2, reduction="none").mean(axis=-1),
        theirs2,
        rtol=RTOL,
        atol=ATOL,
    )


@pytest.mark.slow
def test_softmax_cross_entropy_matches_keras(keras, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    logits = wide_logits(rng, (400, 3))
    labels = rng.integers(0, 3, size=400)
    sparse = keras.losses.sparse_categorical_crossentropy(
        labels, logits, from_logits=True
    )
    ours = softmax_cross_entropy(logits, labels, reduction="none")
    np.testing.assert_allclose(
        ours, keras.ops.convert_to_numpy(sparse), rtol=RTOL, atol=ATOL
    )
    y = rng.dirichlet(np.ones(3), size=400)
    dense = keras.losses.categorical_crossentropy(y, logits, from_logits=True)
    np.testing.assert_allclose(
        softmax_cross_entropy(logits, y, reduction="none"),
        keras.ops.convert_to_numpy(dense),
        rtol=RTOL,
        atol=ATOL,
    )


@pytest.mark.slow
def test_keras_sample_weight_convention(keras, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    """Keras divides the weighted sum by N; softlogit's mean divides by sum(s)."""
    z = wide_logits(rng, (100, 1))
    y = binary_targets(rng, 100)[:, None]
    s = rng.uniform(0.1, 3.0, size=100)
    labels = rng.integers(0, 3, size=100)
    logits = wide_logits(rng, (100, 3))
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        bce = keras.losses.BinaryCrossentropy(from_logits=True)(y, z, sample_weight=s)
        sce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
            labels, logits, sample_weight=s
        )
        bce_value = float(keras.ops.convert_to_numpy(bce))
        sce_value = float(keras.ops.convert_to_numpy(sce))
    finally:
        keras.config.set_floatx(previous)
    n = len(s)
    assert binary_cross_entropy(
        z[:, 0], y[:, 0], s, reduction="sum"
    ) / n == pytest.approx(bce_value, rel=1e-12)
    assert softmax_cross_entropy(
        logits, labels, s, reduction="sum"
    ) / n == pytest.approx(sce_value, rel=1e-12)
    assert softmax_cross_entropy(logits, labels, s) == pytest.approx(
        sce_value * n / s.sum(), rel=1e-12
    )
