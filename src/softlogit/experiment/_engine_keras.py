"""The Keras engine: the same networks trained with Keras 3 variables, losses and
optimizers, on any Keras backend (TensorFlow, PyTorch or JAX).

This is the *exact* style: the networks are written as in the other engines, with
the losses computed from logits and the gradients taken by the backend's own
automatic differentiation (``tf.GradientTape`` in a ``tf.function``,
``torch.autograd.grad``, ``jax.value_and_grad`` under ``jax.jit``); Keras'
optimizers apply them. (The style a learner writes, ``model.fit`` on models that
end in a softmax or sigmoid, is :mod:`softlogit.experiment._engine_keras_fit`.)

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
group. Float64 runs set Keras' floatx and default dtype policy (and JAX's x64 flag)
for the duration of the run (:func:`keras_dtype`; optimizers keep their learning
rate in floatx). The losses are Keras' from logits:
``binary_crossentropy(from_logits=True)`` and
``sparse_categorical_crossentropy(from_logits=True)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np

from softlogit._typing import FloatArray, IntArray
from softlogit.experiment._data import Dataset
from softlogit.experiment._engine_common import (
    ProgressCallback,
    Snapshot,
    StepFunction,
    framework_activation,
    train_and_record,
)
from softlogit.experiment._keras_backend import (
    import_keras_backend,
    keras_dtype,
    no_grad,
    one_step_per_network,
)
from softlogit.experiment._networks import (
    NetworkDef,
    head_logits,
    param_factors,
    param_names,
)
from softlogit.experiment._result import Trajectory
from softlogit.experiment._spec import ExperimentSpec

__all__ = ["keras_optimizer", "train_keras"]

Groups = list[tuple[list[Any], Any, float]]
LossFunction = Callable[[list[Any], Any, Any], Any]


def train_keras(
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None = None,
) -> Trajectory:
    """Train one network with Keras; same contract as :func:`train_numpy`."""
    keras, backend = import_keras_backend()
    with keras_dtype(keras, spec.training.dtype), one_step_per_network(backend):
        return _train(keras, backend, net, data, spec, init, batches, progress)


def keras_optimizer(keras: Any, spec: ExperimentSpec, lr: float, wd: float) -> Any:
    """The Keras optimizer of ``spec`` with learning rate ``lr`` and decay ``wd``.

    The decay is the optimizer's (decoupled) ``weight_decay`` when the spec's decay
    is decoupled; coupled decay is the caller's (in the gradient, or in the loss).
    """
    tr = spec.training
    # Keras casts these Python numbers with ops.cast, which would first make them
    # float32 tensors on some backends (0.9 -> 0.89999998); NumPy scalars keep their
    # float64 value.
    f = np.float64 if tr.dtype == "float64" else float
    decay = f(wd) if (tr.decoupled and wd > 0) else None
    if tr.optimizer in ("sgd", "momentum", "nesterov"):
        return keras.optimizers.SGD(
            learning_rate=f(lr),
            momentum=f(0.0 if tr.optimizer == "sgd" else tr.momentum),
            nesterov=tr.optimizer == "nesterov",
            weight_decay=decay,
        )
    return keras.optimizers.Adam(
        learning_rate=f(lr),
        beta_1=f(tr.beta1),
        beta_2=f(tr.beta2),
        epsilon=f(tr.eps),
        weight_decay=decay,
    )


def _update_gradients(
    keras: Any, grads: list[Any], groups: Groups, coupled: bool, net: NetworkDef
) -> list[list[Any]]:
    """The gradients per group, preconditioned (P) and with coupled decay added."""
    ops = keras.ops
    grads = list(grads)
    if net.preconditioned:
        # P = I + 11^T over the reference head's units
        grads[-2] = grads[-2] + ops.sum(grads[-2], axis=0)
        grads[-1] = grads[-1] + ops.sum(grads[-1])
    out = []
    start = 0
    for group, _, wd in groups:
        g = grads[start : start + len(group)]
        if coupled:
            g = [gi + wd * v.value for gi, v in zip(g, group, strict=True)]
        out.append(g)
        start += len(group)
    return out


def _apply(groups: Groups, grads: list[list[Any]]) -> None:
    for (group, opt, _), g in zip(groups, grads, strict=True):
        opt.apply_gradients(zip(g, group, strict=True))


def _step_tensorflow(
    keras: Any,
    variables: list[Any],
    groups: Groups,
    coupled: bool,
    net: NetworkDef,
    loss_fn: LossFunction,
) -> Callable[[Any, Any], Any]:
    """One training step, compiled as a ``tf.function`` (eager Keras steps are slow)."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)  # type: ignore[untyped-decorator]
    def step(xb: Any, yb: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn(variables, xb, yb)
        grads = tape.gradient(loss, variables)
        _apply(groups, _update_gradients(keras, grads, groups, coupled, net))
        return loss

    return step  # type: ignore[no-any-return]


def _step_torch(
    keras: Any,
    variables: list[Any],
    groups: Groups,
    coupled: bool,
    net: NetworkDef,
    loss_fn: LossFunction,
) -> Callable[[Any, Any], Any]:
    """One training step with ``torch.autograd`` (as Keras' own torch trainer)."""
    import torch

    def step(xb: Any, yb: Any) -> Any:
        values = [v.value for v in variables]
        loss = loss_fn(values, xb, yb)
        grads = list(torch.autograd.grad(loss, values))
        with torch.no_grad():
            _apply(groups, _update_gradients(keras, grads, groups, coupled, net))
        return loss.detach()

    return step


def _step_jax(
    keras: Any,
    variables: list[Any],
    groups: Groups,
    coupled: bool,
    net: NetworkDef,
    loss_fn: LossFunction,
) -> Callable[[Any, Any], Any]:
    """One training step with a jitted ``jax.value_and_grad`` of the loss."""
    import jax

    value_and_grad = jax.jit(jax.value_and_grad(loss_fn))

    def step(xb: Any, yb: Any) -> Any:
        loss, grads = value_and_grad([v.value for v in variables], xb, yb)
        _apply(groups, _update_gradients(keras, grads, groups, coupled, net))
        return loss

    return step


_STEPS = {"tensorflow": _step_tensorflow, "torch": _step_torch, "jax": _step_jax}


def _optimizer_groups(
    keras: Any, spec: ExperimentSpec, net: NetworkDef, variables: list[Any]
) -> Groups:
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
            opt = keras_optimizer(keras, spec, lr, wd)
            opt.build(variables[start:stop])
            groups.append((variables[start:stop], opt, wd))
    return groups


class _Native(NamedTuple):
    """The functions of a head's loss and probabilities in one backend."""

    namespace: Any
    """Holds ``tanh``, ``relu`` and ``sigmoid`` (:func:`framework_activation`)."""
    binary_loss: Callable[[Any, Any], Any]
    """Mean binary cross-entropy from logits ``d`` (n,) and float targets (n,)."""
    softmax_loss: Callable[[Any, Any], Any]
    """Mean cross-entropy from logits (n, K) and integer labels (n,)."""
    sigmoid: Callable[[Any], Any]
    softmax: Callable[[Any], Any]
    concatenate: Callable[[list[Any]], Any]


def _native(keras: Any, backend: str) -> _Native:
    """Keras' losses on TensorFlow; the backend's own functions on torch and JAX.

    Outside TensorFlow, Keras 3's type promotion maps float64 to float32
    (``keras.backend.result_type('float64', 'float64')``), and ``keras.ops.mean``,
    ``matmul`` (torch) or ``tanh`` (JAX) then compute float64 inputs in float32; the
    exact style uses the backend's functions there so that a float64 run is float64.
    """
    if backend == "torch":
        import torch

        F = torch.nn.functional
        return _Native(
            torch,
            lambda d, t: F.binary_cross_entropy_with_logits(d, t),
            lambda z, labels: F.cross_entropy(z, labels.long()),
            torch.sigmoid,
            lambda z: torch.softmax(z, dim=1),
            lambda parts: torch.cat(parts, dim=1),
        )
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        ns = SimpleNamespace(tanh=jnp.tanh, relu=jax.nn.relu, sigmoid=jax.nn.sigmoid)

        def softmax_loss(z: Any, labels: Any) -> Any:
            logp = jax.nn.log_softmax(z, axis=1)
            return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

        return _Native(
            ns,
            # binary cross-entropy from logits: softplus(d) - t * d
            lambda d, t: jnp.mean(jax.nn.softplus(d) - t * d),
            softmax_loss,
            jax.nn.sigmoid,
            lambda z: jax.nn.softmax(z, axis=1),
            lambda parts: jnp.concatenate(parts, axis=1),
        )
    ops = keras.ops
    return _Native(
        ops,
        lambda d, t: ops.mean(
            keras.losses.binary_crossentropy(t[:, None], d[:, None], from_logits=True)
        ),
        lambda z, labels: ops.mean(
            keras.losses.sparse_categorical_crossentropy(labels, z, from_logits=True)
        ),
        ops.sigmoid,
        lambda z: ops.softmax(z, axis=1),
        lambda parts: ops.concatenate(parts, axis=1),
    )


def _head_functions(
    keras: Any, native: _Native, head: str, dtype: str
) -> tuple[Callable[[Any, Any], Any], Callable[[Any], np.ndarray]]:
    """The mean loss ``loss_of(logits, labels)`` and ``proba_of(logits)`` of a head."""
    ops = keras.ops

    def prepend_zero(z: Any) -> Any:
        return native.concatenate([z[:, :1] * 0, z])

    def loss_of(z: Any, labels: Any) -> Any:
        labels = ops.convert_to_tensor(labels)
        binary, v = head_logits(head, z, prepend_zero)
        if binary:
            return native.binary_loss(v, ops.cast(labels, dtype))
        return native.softmax_loss(v, labels)

    def proba_of(z: Any) -> np.ndarray:
        binary, v = head_logits(head, z, prepend_zero)
        if binary:
            p = native.concatenate(
                [native.sigmoid(-v)[:, None], native.sigmoid(v)[:, None]]
            )
        else:
            p = native.softmax(v)
        return np.asarray(ops.convert_to_numpy(p))

    return loss_of, proba_of


def _train(
    keras: Any,
    backend: str,
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
    native = _native(keras, backend)
    act = framework_activation(native.namespace, spec.model.activation)
    names = param_names(len(init) // 2 - 1)
    variables = [
        keras.Variable(
            np.array(p, dtype=np_dtype), dtype=tr.dtype, name=n.replace(".", "_")
        )
        for p, n in zip(init, names, strict=True)
    ]
    n_base = len(variables) - 2
    coupled = not tr.decoupled and tr.weight_decay > 0
    loss_of, proba_of = _head_functions(keras, native, net.head, tr.dtype)

    X_np = np.ascontiguousarray(data.X_train, dtype=np_dtype)
    X = ops.convert_to_tensor(X_np, dtype=tr.dtype)
    Xt = ops.convert_to_tensor(
        np.ascontiguousarray(data.X_test, dtype=np_dtype), dtype=tr.dtype
    )
    y = data.y_train
    yt = data.y_test

    def logits_of(params: Sequence[Any], x: Any) -> Any:
        # the backend's own product (``@``): keras.ops.matmul computes float64 in
        # float32 outside TensorFlow (see softlogit.experiment._keras_backend)
        a = x
        for i in range(n_base // 2):
            a = act(a @ ops.transpose(params[2 * i]) + params[2 * i + 1])
        return a @ ops.transpose(params[-2]) + params[-1]

    def loss_fn(params: list[Any], xb: Any, yb: Any) -> Any:
        return loss_of(logits_of(params, xb), yb)

    def snapshot() -> Snapshot:
        with no_grad(backend):
            values = [v.value for v in variables]
            z = logits_of(values, X)
            zt = logits_of(values, Xt)
            return Snapshot(
                [np.array(ops.convert_to_numpy(v.value)) for v in variables],
                float(loss_of(z, y)),
                float(loss_of(zt, yt)),
                proba_of(z),
                proba_of(zt),
            )

    def start() -> StepFunction:
        groups = _optimizer_groups(keras, spec, net, variables)
        step_fn = _STEPS[backend](keras, variables, groups, coupled, net, loss_fn)
        y_all = ops.convert_to_tensor(y)

        def update(step: int) -> str | None:
            if batches is None:
                xb, yb = X, y_all
            else:
                idx = batches[step - 1]
                xb = ops.convert_to_tensor(X_np[idx], dtype=tr.dtype)
                yb = ops.convert_to_tensor(y[idx])
            # the loss before the update; a NaN step is never recorded
            if not math.isfinite(float(step_fn(xb, yb))):
                return "loss"
            return None

        return update

    return train_and_record(net, data, spec, init, progress, snapshot, start, t0=t0)
