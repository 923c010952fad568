"""Bring your own Keras model: convert its softmax head, then train both alike.

A learner's Keras classifier ends in ``Dense(2, activation="softmax")`` and is
trained with ``sparse_categorical_crossentropy``. ``softlogit.convert_head`` makes
the equivalent ``Dense(1, activation="sigmoid")`` model (same probabilities, checked
on the data), and ``softlogit.keras.head_optimizer`` gives it the optimizer under
which ``model.fit`` keeps it on the softmax model's trajectory (head learning rate
x2, weight decay x1/2: T5). With the plain optimizer the two drift apart.

Run: ``python examples/bring_your_own_model_keras.py`` (needs ``softlogit[keras]``).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

import softlogit as sl
from softlogit.keras import head_optimizer

STEPS = 300


def build(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


def fit(model: keras.Model, optimizer: keras.optimizers.Optimizer, X, y) -> None:
    """STEPS full-batch steps, the same for every model."""
    binary = model.output_shape[1] == 1
    model.compile(
        optimizer=optimizer,
        loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
    )
    rows = np.tile(np.arange(len(X)), STEPS)
    target = y[rows, None] if binary else y[rows]
    model.fit(X[rows], target, batch_size=len(X), epochs=1, shuffle=False, verbose=0)


def gap(softmax_model: keras.Model, sigmoid_model: keras.Model, X) -> float:
    """The largest difference of P(class 1) between the two models on X."""
    p_softmax = np.asarray(softmax_model(X))[:, 1]
    p_sigmoid = np.asarray(sigmoid_model(X))[:, 0]
    return float(np.max(np.abs(p_softmax - p_sigmoid)))


def main() -> dict[str, float]:
    # float64 shows the agreement at rounding level; in float32 it holds to float32's
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    X, y = load_breast_cancer(return_X_y=True)
    X, y = StandardScaler().fit_transform(X), y.astype("float64")

    softmax_model = build()
    done = sl.convert_head(softmax_model, to="sigmoid", verify=X)
    print(f"converted {done.before} -> {done.after}")
    print(f"P(class 1) agrees to {done.max_diff:.1e} on {done.n_verified} rows")
    with_helper = done.model
    without = sl.convert_head(softmax_model, to="sigmoid").model

    def sgd() -> keras.optimizers.Optimizer:
        return keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)

    fit(softmax_model, sgd(), X, y)
    fit(with_helper, head_optimizer(with_helper, sgd()), X, y)
    fit(without, sgd(), X, y)
    gaps = {"with head_optimizer": gap(softmax_model, with_helper, X)}
    gaps["plain optimizer"] = gap(softmax_model, without, X)
    for name, value in gaps.items():
        print(
            f"after {STEPS} steps, {name}: max |P(softmax) - P(sigmoid)| = {value:.1e}"
        )
    return gaps


if __name__ == "__main__":
    main()
