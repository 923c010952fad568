"""convert_head on Keras 3 models built here: Sequential and functional, every
supported head, both directions, float32 and float64, checked against Keras' own
probabilities (TensorFlow backend; the import is slow)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest

import softlogit as sl
from softlogit import InputTypeError, InputValueError

pytestmark = pytest.mark.slow

TOL = {"float32": 1e-6, "float64": 1e-12}
DTYPES = ["float32", "float64"]
# head kind -> output -> activation name
ACTIVATION = {
    "softmax": {"logits": "linear", "proba": "softmax", "log_proba": "log_softmax"},
    "sigmoid": {"logits": "linear", "proba": "sigmoid", "log_proba": "log_sigmoid"},
}
UNITS = {"softmax": 2, "sigmoid": 1}


def _sequential(kind: str, output: str, dtype: str) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((5,), dtype=dtype),
            keras.layers.Dense(8, activation="tanh", dtype=dtype),
            keras.layers.Dense(
                UNITS[kind], activation=ACTIVATION[kind][output], dtype=dtype
            ),
        ]
    )


def _sequential_activation_layer(kind: str, output: str, dtype: str) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((5,), dtype=dtype),
            keras.layers.Dense(8, activation="relu", dtype=dtype),
            keras.layers.Dense(UNITS[kind], dtype=dtype),
            keras.layers.Activation(ACTIVATION[kind][output], dtype=dtype),
        ]
    )


def _functional(kind: str, output: str, dtype: str) -> keras.Model:
    """A residual block with batch normalization and dropout before the head."""
    inputs = keras.Input((5,), dtype=dtype)
    h = keras.layers.Dense(8, activation="relu", dtype=dtype)(inputs)
    r = keras.layers.Dense(8, activation="tanh", dtype=dtype)(h)
    h = keras.layers.Add(dtype=dtype)([h, r])
    h = keras.layers.BatchNormalization(dtype=dtype)(h)
    h = keras.layers.Dropout(0.3, dtype=dtype)(h)
    out = keras.layers.Dense(
        UNITS[kind], activation=ACTIVATION[kind][output], dtype=dtype, name="head"
    )(h)
    return keras.Model(inputs, out)


def _nested(kind: str, output: str, dtype: str) -> keras.Model:
    """A functional model whose body is a Sequential model."""
    body = keras.Sequential(
        [keras.Input((5,), dtype=dtype), keras.layers.Dense(8, "tanh", dtype=dtype)],
        name="body",
    )
    inputs = keras.Input((5,), dtype=dtype)
    out = keras.layers.Dense(
        UNITS[kind], activation=ACTIVATION[kind][output], dtype=dtype
    )(body(inputs))
    return keras.Model(inputs, out)


ARCHITECTURES: dict[str, Callable[[str, str, str], keras.Model]] = {
    "sequential": _sequential,
    "sequential-activation-layer": _sequential_activation_layer,
    "functional-residual": _functional,
    "functional-nested": _nested,
}
CASES = [
    pytest.param(arch, output, id=f"{arch}-{output}")
    for arch in ARCHITECTURES
    for output in (
        ["proba"]
        if arch == "sequential-activation-layer"
        else ["logits", "proba", "log_proba"]
    )
]
DIRECTIONS = [
    pytest.param("softmax", "sigmoid", id="softmax-to-sigmoid"),
    pytest.param("sigmoid", "softmax", id="sigmoid-to-softmax"),
]


def _build(arch: str, kind: str, output: str, dtype: str, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = ARCHITECTURES[arch](kind, output, dtype)
    head = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)][
        -1
    ]
    kernel, *bias = head.get_weights()
    head.set_weights([3 * kernel, *(b + 0.5 for b in bias)])  # p away from 1/2
    return model


def _positive_proba(
    model: keras.Model, X: np.ndarray, kind: str, output: str
) -> np.ndarray:
    """P(positive class) computed by Keras."""
    out = model(X, training=False)
    if output == "logits":
        p = (
            keras.ops.softmax(out, axis=-1)
            if kind == "softmax"
            else keras.ops.sigmoid(out)
        )
    elif output == "log_proba":
        p = keras.ops.exp(out)
    else:
        p = out
    values = np.asarray(keras.ops.convert_to_numpy(p), dtype=np.float64)
    return values[:, 1] if kind == "softmax" else values[:, 0]


def _dense_head(model: keras.Model) -> Any:
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)][
        -1
    ]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("source", "target"), DIRECTIONS)
@pytest.mark.parametrize(("arch", "output"), CASES)
def test_every_architecture_converts_exactly(
    arch: str, output: str, source: str, target: str, dtype: str, seed: int
) -> None:
    model = _build(arch, source, output, dtype, seed)
    X = np.random.default_rng(seed).normal(size=(64, 5)).astype(dtype)
    weights = [w.copy() for w in model.get_weights()]
    config = model.get_config()

    done = sl.convert_head(model, to=target, verify=X)

    assert model.get_config() == config
    assert all(
        np.array_equal(a, b) for a, b in zip(model.get_weights(), weights, strict=True)
    )
    new = done.model
    assert new is not model
    assert type(new) is type(model)
    assert new.output_shape == (None, UNITS[target])
    assert [type(layer) for layer in new.layers] == [
        type(layer) for layer in model.layers
    ]
    before = _positive_proba(model, X, source, output)
    after = _positive_proba(new, X, target, output)
    measured = float(np.max(np.abs(before - after)))
    assert measured <= TOL[dtype]
    assert done.max_diff == pytest.approx(measured, abs=float(np.finfo(dtype).eps))
    assert done.tolerance == TOL[dtype]
    assert done.dtype == dtype
    old_head, new_head = _dense_head(model), _dense_head(new)
    assert done.head == old_head.name
    kernel, bias = old_head.get_weights()
    new_kernel, new_bias = new_head.get_weights()
    assert new_kernel.dtype == np.dtype(dtype)
    if (
        target == "sigmoid"
    ):  # kernel is (n_features, units): w = kernel[:, 1] - kernel[:, 0]
        assert np.array_equal(new_kernel[:, 0], kernel[:, 1] - kernel[:, 0])
        assert np.array_equal(new_bias, bias[1:] - bias[:1])
    else:
        assert np.array_equal(
            new_kernel, np.concatenate([-kernel / 2, kernel / 2], axis=1)
        )
    # every other layer kept its weights
    for old_layer, new_layer in zip(model.layers, new.layers, strict=True):
        if old_layer is not old_head:
            assert all(
                np.array_equal(a, b)
                for a, b in zip(
                    old_layer.get_weights(), new_layer.get_weights(), strict=True
                )
            )


def test_reference_gauge_positive_zero_and_round_trip(seed: int) -> None:
    model = _build("sequential", "sigmoid", "proba", "float64", seed)
    X = np.random.default_rng(seed).normal(size=(40, 5))
    kernel, bias = _dense_head(model).get_weights()
    ref = sl.convert_head(model, to="softmax", gauge="reference", positive=0, verify=X)
    new_kernel, new_bias = _dense_head(ref.model).get_weights()
    assert np.array_equal(new_kernel, np.concatenate([kernel, 0 * kernel], axis=1))
    assert np.array_equal(new_bias, [bias[0], 0.0])
    assert (
        np.max(
            np.abs(
                _positive_proba(model, X, "sigmoid", "proba")
                - ref.model(X)[:, 0].numpy()
            )
        )
        <= 1e-12
    )
    back = sl.convert_head(ref.model, to="sigmoid", positive=0, verify=X)
    assert np.array_equal(_dense_head(back.model).get_weights()[0], kernel)


def test_description_names_the_layers(seed: int) -> None:
    model = _build("sequential-activation-layer", "softmax", "proba", "float32", seed)
    done = sl.convert_head(model, to="sigmoid")
    dense, act = model.layers[-2].name, model.layers[-1].name
    assert (
        done.before
        == f"{dense}: Dense(2, activation='linear') + {act}: Activation('softmax')"
    )
    assert (
        done.after
        == f"{dense}: Dense(1, activation='linear') + {act}: Activation('sigmoid')"
    )
    assert sl.convert_head(model, to="sigmoid", head=act).head == dense
    assert done.max_diff is None


# ------------------------------------------------------------------------- errors
class Subclassed(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.dense = keras.layers.Dense(2, activation="softmax")

    def call(self, x: Any) -> Any:
        return self.dense(x)


def _two_outputs() -> keras.Model:
    inputs = keras.Input((3,))
    return keras.Model(
        inputs, [keras.layers.Dense(2)(inputs), keras.layers.Dense(1)(inputs)]
    )


def _seq(*layers: Any) -> keras.Model:
    return keras.Sequential([keras.Input((3,)), *layers])


@pytest.mark.parametrize(
    ("make", "head", "error", "message"),
    [
        (
            lambda: Subclassed(),
            None,
            InputTypeError,
            r"subclassed keras.Model \(Subclassed\)",
        ),
        (
            lambda: keras.Sequential([keras.layers.Dense(2)]),
            None,
            InputValueError,
            r"not built: give it a keras.Input",
        ),
        (_two_outputs, None, InputValueError, r"has 2 outputs"),
        (
            lambda: _seq(keras.layers.Dense(2), keras.layers.Dropout(0.1, name="drop")),
            None,
            InputValueError,
            r"the last layer 'drop' is a Dropout; supported heads: Dense\(2\)",
        ),
        (
            lambda: _seq(
                keras.layers.Dense(2, "relu"), keras.layers.Activation("softmax")
            ),
            None,
            InputValueError,
            r"is an Activation after 'dense[_0-9]*', a Dense with activation 'relu'; supported",
        ),
        (
            lambda: _seq(
                keras.layers.Dense(4, name="body"), keras.layers.Dense(2, name="out")
            ),
            "body",
            InputValueError,
            r"`head` 'body' is not the model's output layer 'out'.*'out'",
        ),
        (
            lambda: _seq(keras.layers.Dense(3, "softmax", name="d")),
            None,
            InputValueError,
            r"the head is d: Dense\(3, activation='softmax'\); supported",
        ),
        (
            lambda: _seq(keras.layers.Dense(2, "sigmoid", name="d")),
            None,
            InputValueError,
            r"Dense\(2, activation='sigmoid'\); supported",
        ),
        (
            lambda: _seq(keras.layers.Dense(1, "relu", name="d")),
            None,
            InputValueError,
            r"Dense\(1, activation='relu'\); supported",
        ),
    ],
    ids=[
        "subclassed",
        "unbuilt",
        "two-outputs",
        "dropout-last",
        "activation-after-relu",
        "head-not-output",
        "three-units",
        "two-sigmoids",
        "relu-unit",
    ],
)
def test_unsupported_models_name_what_was_found(
    make: Callable[[], Any], head: str | None, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        sl.convert_head(make(), to="sigmoid", head=head)


def test_verify_must_be_numeric() -> None:
    model = _seq(keras.layers.Dense(2, "softmax"))
    with pytest.raises(InputTypeError, match=r"`verify` must be a real numeric array"):
        sl.convert_head(model, to="sigmoid", verify=[["a", "b", "c"]])


def test_the_keras_example_script(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/bring_your_own_model_keras.py (the README's Keras example) runs and
    shows what it says: agreement with head_optimizer, drift without."""
    import runpy
    from pathlib import Path

    script = (
        Path(__file__).resolve().parents[1]
        / "examples"
        / "bring_your_own_model_keras.py"
    )
    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    try:
        gaps = runpy.run_path(str(script))["main"]()
    finally:  # the script switches Keras to float64
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)
    assert gaps["with head_optimizer"] <= 1e-10
    assert gaps["plain optimizer"] > 1e-2
    out = capsys.readouterr().out
    assert "P(class 1) agrees to" in out
    assert "with head_optimizer" in out
