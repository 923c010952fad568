"""The Keras engine: the same networks trained with Keras 3 variables, losses and
optimizers (gradients from the TensorFlow backend's ``GradientTape``).

Keras defines its optimizers differently from PyTorch, and the experiment uses
Keras' own definitions here, so that every network of a Keras run is trained the Keras
way and the theory is checked within Keras:

- ``SGD(momentum=mu)`` keeps :math:`v \\leftarrow \\mu v - \\eta g` and adds
  :math:`v` (Nesterov: :math:`\\mu v - \\eta g`); with a constant rate this is PyTorch's
  heavy ball up to rounding.
- ``Adam`` adds ``epsilon`` to :math:`\\sqrt{v}` and folds the bias corrections into
  the rate, :math:`\\eta\\sqrt{1-\\beta_2^t}/(1-\\beta_1^t)`; this equals PyTorch's Adam
  with :math:`\\epsilon` replaced by :math:`\\epsilon/\\sqrt{1-\\beta_2^t}`, so Keras and
  NumPy/PyTorch Adam trajectories differ slightly (not only by rounding). The mirror
  argument of T5 does not depend on where epsilon sits.
- Keras' ``weight_decay`` is decoupled (:math:`\\theta \\leftarrow \\theta -
  \\eta\\lambda\\theta` before the step); coupled L2 is added to the gradient.

Per-group learning rates and decays (base, head; network 1c) use one optimizer per
group. Float64 runs set ``keras.config.set_floatx('float64')`` for the duration of the
run (optimizers keep their learning rate in floatx). The losses are Keras' from logits:
``binary_crossentropy(from_logits=True)`` and
``sparse_categorical_crossentropy(from_logits=True)``.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from softlogit._typing import FloatArray, IntArray
from softlogit.errors import MissingExtraError
from softlogit.experiment._data import Dataset
from softlogit.experiment._engine_common import (
    ProgressCallback,
    Snapshot,
    StepFunction,
    framework_activation,
    train_and_record,
)
from softlogit.experiment._networks import (
    NetworkDef,
    head_logits,
    param_factors,
    param_names,
)
from softlogit.experiment._result import Trajectory
from softlogit.experiment._spec import ExperimentSpec

__all__ = ["train_keras"]


def _import_keras() -> tuple[Any, Any]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
        import tensorflow as tf
    except ImportError:  # pragma: no cover - keras is installed in CI
        raise MissingExtraError("Keras with TensorFlow", "keras") from None
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise ValueError(
            "`engine` 'keras' needs the TensorFlow backend (set "
            f"KERAS_BACKEND=tensorflow); got backend {backend!r}."
        )
    return keras, tf


def train_keras(
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None = None,
) -> Trajectory:
    """Train one network with Keras; same contract as :func:`train_numpy`."""
    keras, tf = _import_keras()
    floatx = keras.config.floatx()
    keras.config.set_floatx(spec.training.dtype)
    try:
        return _train(keras, tf, net, data, spec, init, batches, progress)
    finally:
        keras.config.set_floatx(floatx)


def _optimizer(keras: Any, spec: ExperimentSpec, lr: float, wd: float) -> Any:
    tr = spec.training
    # Keras casts these Python numbers with ops.cast, which would first make them
    # float32 tensors (0.9 -> 0.89999998); NumPy scalars keep their float64 value.
    f = np.float64 if tr.dtype == "float64" else float
    decay = f(wd) if (tr.decoupled and wd > 0) else None
    if tr.optimizer in ("sgd", "momentum", "nesterov"):
        return keras.optimizers.SGD(
            learning_rate=lr,
            momentum=f(0.0 if tr.optimizer == "sgd" else tr.momentum),
            nesterov=tr.optimizer == "nesterov",
            weight_decay=decay,
        )
    return keras.optimizers.Adam(
        learning_rate=lr,
        beta_1=f(tr.beta1),
        beta_2=f(tr.beta2),
        epsilon=f(tr.eps),
        weight_decay=decay,
    )


def _compiled_step(
    tf: Any,
    ops: Any,
    variables: list[Any],
    groups: list[tuple[list[Any], Any, float]],
    coupled: bool,
    net: NetworkDef,
    loss_of: Callable[[Any, Any], Any],
    logits_of: Callable[[Any], Any],
) -> Callable[[Any, Any], Any]:
    """One training step, compiled as a ``tf.function`` (eager Keras steps are slow)."""
    for group, opt, _ in groups:
        opt.build(group)

    @tf.function(reduce_retracing=True)  # type: ignore[untyped-decorator]
    def step(xb: Any, yb: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_of(logits_of(xb), yb)
        grads = tape.gradient(loss, variables)
        if net.preconditioned:
            # P = I + 11^T over the reference head's units
            grads[-2] = grads[-2] + ops.sum(grads[-2], axis=0)
            grads[-1] = grads[-1] + ops.sum(grads[-1])
        start = 0
        for group, opt, wd in groups:
            g = grads[start : start + len(group)]
            if coupled:
                g = [gi + wd * v for gi, v in zip(g, group, strict=True)]
            opt.apply_gradients(zip(g, group, strict=True))
            start += len(group)
        return loss

    return step  # type: ignore[no-any-return]


def _optimizer_groups(
    keras: Any, spec: ExperimentSpec, net: NetworkDef, variables: list[Any]
) -> list[tuple[list[Any], Any, float]]:
    """``(variables, optimizer, weight decay)`` per group: the base (if any), the head.

    Keras takes one learning rate and decay per optimizer, so each group of arrays
    with equal factors (:func:`param_factors`) gets its own.
    """
    tr = spec.training
    factors = param_factors(net, tr, len(variables))
    n_base = len(variables) - 2
    groups = []
    for start, stop in ((0, n_base), (n_base, len(variables))):
        if stop > start:
            lr = tr.lr * factors.lr[start]
            wd = tr.weight_decay * factors.weight_decay[start]
            groups.append((variables[start:stop], _optimizer(keras, spec, lr, wd), wd))
    return groups


def _head_functions(
    keras: Any, head: str, dtype: str
) -> tuple[Callable[[Any, Any], Any], Callable[[Any], np.ndarray]]:
    """The mean loss ``loss_of(logits, labels)`` and ``proba_of(logits)`` of a head."""
    ops = keras.ops

    def prepend_zero(z: Any) -> Any:
        return ops.concatenate([ops.zeros_like(z[:, :1]), z], axis=1)

    def loss_of(z: Any, labels: Any) -> Any:
        labels = ops.convert_to_tensor(labels)
        binary, v = head_logits(head, z, prepend_zero)
        if binary:
            target = ops.cast(labels, dtype)
            return ops.mean(
                keras.losses.binary_crossentropy(
                    target[:, None], v[:, None], from_logits=True
                )
            )
        return ops.mean(
            keras.losses.sparse_categorical_crossentropy(labels, v, from_logits=True)
        )

    def proba_of(z: Any) -> np.ndarray:
        binary, v = head_logits(head, z, prepend_zero)
        if binary:
            return np.asarray(ops.stack([ops.sigmoid(-v), ops.sigmoid(v)], axis=1))
        return np.asarray(ops.softmax(v, axis=1))

    return loss_of, proba_of


def _train(
    keras: Any,
    tf: Any,
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None,
) -> Trajectory:
    t0 = time.perf_counter()
    ops = keras.ops
    tr = spec.training
    np_dtype = np.dtype(tr.dtype)
    act = framework_activation(ops, spec.model.activation)
    names = param_names(len(init) // 2 - 1)
    variables = [
        keras.Variable(
            np.array(p, dtype=np_dtype), dtype=tr.dtype, name=n.replace(".", "_")
        )
        for p, n in zip(init, names, strict=True)
    ]
    n_base = len(variables) - 2
    groups = _optimizer_groups(keras, spec, net, variables)
    coupled = not tr.decoupled and tr.weight_decay > 0
    loss_of, proba_of = _head_functions(keras, net.head, tr.dtype)

    X = tf.constant(np.ascontiguousarray(data.X_train, dtype=np_dtype))
    Xt = tf.constant(np.ascontiguousarray(data.X_test, dtype=np_dtype))
    y = data.y_train
    yt = data.y_test

    def logits_of(x: Any) -> Any:
        a = x
        for i in range(n_base // 2):
            a = act(
                ops.matmul(a, ops.transpose(variables[2 * i])) + variables[2 * i + 1]
            )
        return ops.matmul(a, ops.transpose(variables[-2])) + variables[-1]

    def snapshot() -> Snapshot:
        z = logits_of(X)
        zt = logits_of(Xt)
        return Snapshot(
            [np.asarray(v.numpy()) for v in variables],
            float(loss_of(z, y)),
            float(loss_of(zt, yt)),
            proba_of(z),
            proba_of(zt),
        )

    def start() -> StepFunction:
        step_fn = _compiled_step(
            tf, ops, variables, groups, coupled, net, loss_of, logits_of
        )
        y_tf = tf.constant(y)

        def update(step: int) -> str | None:
            if batches is None:
                xb, yb = X, y_tf
            else:
                idx = tf.constant(batches[step - 1])
                xb, yb = tf.gather(X, idx), tf.gather(y_tf, idx)
            # the loss before the update; a NaN step is never recorded
            if not math.isfinite(float(step_fn(xb, yb))):
                return "loss"
            return None

        return update

    return train_and_record(net, data, spec, init, progress, snapshot, start, t0=t0)
