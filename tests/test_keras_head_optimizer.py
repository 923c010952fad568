"""head_optimizer: a converted Keras network trains like its original under model.fit.

The Keras counterpart of test_torch_param_groups: 500 steps of ``model.fit`` in
float64 (mini-batches of 32 in a fixed order), the original with its two-unit
softmax head and the converted one-unit sigmoid head, side by side. With
:func:`softlogit.keras.head_optimizer` (Keras' MultiOptimizer, head learning rate
x2 and weight decay x1/2) they agree to rounding (<= 1e-10); with the plain
optimizer they do not. TensorFlow backend; the import is slow.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest

import softlogit as sl
from softlogit import InputTypeError, InputValueError
from softlogit.keras import head_optimizer

pytestmark = pytest.mark.slow

STEPS = 500
BATCH = 32

OPTIMIZERS: dict[str, Callable[[], Any]] = {
    "sgd": lambda: keras.optimizers.SGD(learning_rate=0.1),
    "momentum-decay": lambda: keras.optimizers.SGD(
        learning_rate=0.05, momentum=0.9, weight_decay=0.01
    ),
    "adam": lambda: keras.optimizers.Adam(learning_rate=0.01),
    "adamw": lambda: keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.05),
}


@pytest.fixture(autouse=True)
def float64() -> Iterator[None]:
    """Layers and optimizers in float64; both settings are restored.

    Keras caches its default dtype policy when the first layer is made, so
    ``set_floatx`` alone does not change the dtype of later layers.
    """
    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_floatx(floatx)
    keras.config.set_dtype_policy(policy)


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(96, 6))
    y = (X @ rng.normal(size=6) + rng.normal(size=96) > 0).astype(np.float64)
    return X, y


def _network(units: int, activation: str | None, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(16, activation="tanh", name="hidden"),
            keras.layers.Dense(units, activation=activation, name="head"),
        ]
    )


def _fit(model: keras.Model, optimizer: Any, X: np.ndarray, y: np.ndarray) -> None:
    """STEPS mini-batches of BATCH rows, in the same order for every network."""
    from_logits = model.layers[-1].get_config()["activation"] == "linear"
    if model.output_shape[1] == 2:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
        target = y
    else:
        loss = keras.losses.BinaryCrossentropy(from_logits=from_logits)
        target = y[:, None]
    model.compile(optimizer=optimizer, loss=loss)
    reps = -(-STEPS * BATCH // X.shape[0])
    rows = np.tile(np.arange(X.shape[0]), reps)[: STEPS * BATCH]
    model.fit(
        X[rows], target[rows], batch_size=BATCH, epochs=1, shuffle=False, verbose=0
    )


def _gaps(
    softmax_net: keras.Model, sigmoid_net: keras.Model, X: np.ndarray
) -> dict[str, float]:
    base = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(
            softmax_net.get_layer("hidden").get_weights(),
            sigmoid_net.get_layer("hidden").get_weights(),
            strict=True,
        )
    )
    K, b = softmax_net.get_layer("head").get_weights()
    k, c = sigmoid_net.get_layer("head").get_weights()
    head = max(
        float(np.max(np.abs(K[:, 1] - K[:, 0] - k[:, 0]))),
        float(abs(b[1] - b[0] - c[0])),
    )
    z2 = np.asarray(softmax_net(X))
    z1 = np.asarray(sigmoid_net(X))
    if softmax_net.layers[-1].get_config()["activation"] == "linear":
        p2 = np.asarray(keras.ops.softmax(z2, axis=-1))[:, 1]
        p1 = np.asarray(keras.ops.sigmoid(z1))[:, 0]
    else:
        p2, p1 = z2[:, 1], z1[:, 0]
    return {"base": base, "head": head, "proba": float(np.max(np.abs(p2 - p1)))}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_sigmoid_head_trains_like_the_softmax_head_it_came_from(
    name: str, seed: int
) -> None:
    X, y = _data(seed)
    original = _network(2, None, seed)
    converted = sl.convert_head(original, to="sigmoid").model
    plain = sl.convert_head(original, to="sigmoid").model

    _fit(original, OPTIMIZERS[name](), X, y)
    _fit(converted, head_optimizer(converted, OPTIMIZERS[name]()), X, y)
    _fit(plain, OPTIMIZERS[name](), X, y)

    with_helper = _gaps(original, converted, X)
    without = _gaps(original, plain, X)
    assert max(with_helper.values()) <= 1e-10, with_helper
    assert without["head"] > 1e-3, without
    assert without["proba"] > 1e-4, without


def test_the_learners_form_with_activations(seed: int) -> None:
    """Dense(2, softmax) with sparse categorical cross-entropy on probabilities and
    its Dense(1, sigmoid) with binary cross-entropy: Keras computes both losses
    from the cached logits here, and the trajectories agree too."""
    X, y = _data(seed)
    original = _network(2, "softmax", seed)
    converted = sl.convert_head(original, to="sigmoid").model
    assert converted.layers[-1].get_config()["activation"] == "sigmoid"
    _fit(original, OPTIMIZERS["adam"](), X, y)
    _fit(converted, head_optimizer(converted, OPTIMIZERS["adam"]()), X, y)
    gaps = _gaps(original, converted, X)
    assert max(gaps.values()) <= 1e-10, gaps


def test_softmax_head_trains_like_the_sigmoid_head_it_came_from(seed: int) -> None:
    X, y = _data(seed)
    original = _network(1, None, seed)
    converted = sl.convert_head(original, to="softmax").model
    _fit(original, OPTIMIZERS["adamw"](), X, y)
    opt = head_optimizer(converted, OPTIMIZERS["adamw"]())
    assert sorted(float(o.learning_rate) for o in opt.optimizers) == [0.005, 0.01]
    assert sorted(float(o.weight_decay) for o in opt.optimizers) == [0.05, 0.1]
    _fit(converted, opt, X, y)
    gaps = _gaps(converted, original, X)
    assert max(gaps.values()) <= 1e-10, gaps


def test_the_optimizer_survives_save_and_load(tmp_path: Any, seed: int) -> None:
    X, y = _data(seed)
    model = sl.convert_head(_network(2, None, seed), to="sigmoid").model
    _fit(model, head_optimizer(model, OPTIMIZERS["sgd"]()), X[:32], y[:32])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert np.array_equal(np.asarray(loaded(X)), np.asarray(model(X)))
    assert type(loaded.optimizer).__name__ == "MultiOptimizer"


# ------------------------------------------------------------------------- errors
def test_bad_optimizers_and_directions(seed: int) -> None:
    model = sl.convert_head(_network(2, None, seed), to="sigmoid").model
    with pytest.raises(InputTypeError, match=r"`optimizer` must be a plain keras"):
        head_optimizer(model, "sgd")
    multi = head_optimizer(model, keras.optimizers.SGD(0.1))
    with pytest.raises(InputTypeError, match=r"got MultiOptimizer"):
        head_optimizer(model, multi)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(InputValueError, match=r"learning-rate schedule"):
        head_optimizer(model, keras.optimizers.SGD(schedule))
    with pytest.raises(
        InputValueError, match=r"makes a softmax head, but the head 'head'"
    ):
        head_optimizer(model, keras.optimizers.SGD(0.1), direction="sigmoid_to_softmax")
