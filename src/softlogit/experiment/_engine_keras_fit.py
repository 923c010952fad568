"""The Keras engine in the style a learner writes: plain models and ``model.fit``.

Engine ``'keras-fit'`` builds every network as a Keras functional model, compiles it
with the loss a learner would pick and trains it with ``model.fit(x, y,
batch_size=..., epochs=..., shuffle=False)`` from the same initial weights and the
same data order as the other engines:

=========  ==============================================  ===========================
network    head                                            loss
=========  ==============================================  ===========================
0          ``Dense(2)``, then a layer returning             ``'binary_crossentropy'``
           ``sigmoid(z2 - z1)``
1          ``Dense(1, activation='sigmoid')``              ``'binary_crossentropy'``
2          ``Dense(2, activation='softmax')``              ``'categorical_crossentropy'``
1c         network 1 with a ``MultiOptimizer``: the
           head's rate x2, its decay x1/2 (as
           :func:`softlogit.keras.head_optimizer`)
softmax    ``Dense(K, activation='softmax')``              ``'categorical_crossentropy'``
reference  ``Dense(K-1)``, a zero logit prepended,         ``'categorical_crossentropy'``
           ``Activation('softmax')``
=========  ==============================================  ===========================

Keras then chooses how to compute the loss (:mod:`softlogit.experiment._loss_path`):
from the logits it cached, or from probabilities clipped to
:math:`[10^{-7}, 1 - 10^{-7}]`. The engine detects the path of every network and
records it in :attr:`Trajectory.loss_path`. Engine ``'keras-fit-logits'`` is the
one-line fix: the heads end without the softmax or sigmoid (network 0 returns
``z2 - z1``) and the losses are ``CategoricalCrossentropy(from_logits=True)`` and
``BinaryCrossentropy(from_logits=True)``.

Mapping the spec onto ``fit``: full batch is ``fit(X, Y, batch_size=n_train,
epochs=steps)``, one step per epoch. With ``batch_size`` the data order of the other
engines (a new permutation every epoch, the last batch of an epoch shorter) is kept
by one ``fit(..., epochs=1, shuffle=False)`` call per epoch on the rows in that
epoch's order; a step count that is not a whole number of epochs ends with a call
on the first batches of the last epoch. Every step of the spec is honoured.
Trajectories are recorded at the spec's recorded steps by a callback
(``on_train_batch_end``); the recorded losses and probabilities are computed from
the recorded weights by softlogit's stable functions, as for the other engines.
Coupled weight decay :math:`\\lambda` is what a learner writes as an L2 penalty,
``kernel_regularizer`` and ``bias_regularizer`` ``L2(lambda / 2)`` (``lambda / 4``
on network 1c's head); decoupled decay is the optimizer's ``weight_decay``.

Learning-rate factors of the base and the head (``base_lr_multiplier``,
``head_lr_multiplier``, network 1c's x2) use Keras' ``MultiOptimizer``; the rates
come from :func:`param_factors`, as in every engine. Not supported here (a clear
error instead): network ``'reference-P'`` (a gradient preconditioner has no place in
``model.fit``).
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from softlogit._typing import FloatArray, IntArray
from softlogit.errors import InputValueError
from softlogit.experiment._data import Dataset
from softlogit.experiment._engine_common import ProgressCallback, record_steps
from softlogit.experiment._engine_keras import keras_optimizer
from softlogit.experiment._keras_backend import (
    import_keras_backend,
    keras_dtype,
    quiet_native_logs,
)
from softlogit.experiment._loss_path import FLOAT32_OPS, LossPath, probe_prediction
from softlogit.experiment._networks import (
    NetworkDef,
    forward,
    loss_and_proba,
    param_factors,
    param_names,
)
from softlogit.experiment._result import Trajectory
from softlogit.experiment._spec import ExperimentSpec

__all__ = [
    "detect_loss_path",
    "learner_model",
    "train_keras_fit",
    "train_keras_fit_logits",
]

# the probe's logit for the wrong class: P(true class) = e^-30 in either dtype, far
# beyond any clipping bound
_PROBE_LOGIT = 30.0


@functools.cache
def _layers(keras: Any) -> tuple[type, type, type]:
    """The learner's small custom layers (defined once Keras is imported)."""

    class SigmoidOfDifference(keras.layers.Layer):  # type: ignore[misc]
        """P(y = 1) = sigmoid(z2 - z1) from two linear units."""

        def call(self, z: Any) -> Any:
            return keras.ops.sigmoid(z[:, 1:2] - z[:, 0:1])

    class Difference(keras.layers.Layer):  # type: ignore[misc]
        """The logit z2 - z1 of two linear units."""

        def call(self, z: Any) -> Any:
            return z[:, 1:2] - z[:, 0:1]

    class PrependZero(keras.layers.Layer):  # type: ignore[misc]
        """The reference class's logit 0 before the K - 1 others."""

        def call(self, z: Any) -> Any:
            return keras.ops.concatenate([keras.ops.zeros_like(z[:, :1]), z], axis=1)

    return SigmoidOfDifference, Difference, PrependZero


def _check_supported(net: NetworkDef) -> None:
    if net.preconditioned:
        raise InputValueError(
            f"`networks` entry {net.name!r} needs a gradient preconditioner, which "
            "model.fit has no place for; engine 'keras-fit' trains 0, 1, 2, 1c, "
            "softmax and reference (use engine 'keras' for reference-P)."
        )


def _head_code(head: str, units: int, logits: bool) -> tuple[str, str]:
    """The learner's head and loss in words, and the one-line fix."""
    if head == "difference":
        if logits:
            return (
                "Dense(2), a layer returning z2 - z1, "
                "loss=BinaryCrossentropy(from_logits=True)",
                "",
            )
        return (
            "Dense(2), a layer returning sigmoid(z2 - z1), loss='binary_crossentropy'",
            "return z2 - z1 (no sigmoid) and compile with "
            "loss=keras.losses.BinaryCrossentropy(from_logits=True)",
        )
    if head == "sigmoid":
        if logits:
            return "Dense(1), loss=BinaryCrossentropy(from_logits=True)", ""
        return (
            "Dense(1, activation='sigmoid'), loss='binary_crossentropy'",
            "Dense(1) and loss=keras.losses.BinaryCrossentropy(from_logits=True)",
        )
    pre = "Dense({u})" if head == "softmax" else "Dense({u}), a zero logit prepended"
    pre = pre.format(u=units)
    if logits:
        return f"{pre}, loss=CategoricalCrossentropy(from_logits=True)", ""
    act = (
        f"Dense({units}, activation='softmax')"
        if head == "softmax"
        else f"{pre}, Activation('softmax')"
    )
    return (
        f"{act}, loss='categorical_crossentropy'",
        f"{pre} without the softmax and "
        "loss=keras.losses.CategoricalCrossentropy(from_logits=True)",
    )


def learner_model(
    keras: Any,
    head: str,
    n_features: int,
    hidden: Sequence[int],
    activation: str,
    n_classes: int,
    *,
    logits: bool = False,
    l2: tuple[float, float] = (0.0, 0.0),
) -> tuple[Any, Any]:
    """A network of the experiment as a Keras functional model, and its loss.

    Parameters
    ----------
    keras : module
    head : {'difference', 'sigmoid', 'softmax', 'reference'}
    n_features : int
    hidden : sequence of int
        Hidden layer sizes (layers ``base_0``, ``base_1``, ...).
    activation : str
        The hidden layers' activation (``'identity'``: none).
    n_classes : int
    logits : bool, default=False
        The one-line fix: no softmax or sigmoid, losses ``from_logits=True``.
    l2 : (float, float)
        The ``L2`` regularization factors of the base's and the head's kernels and
        biases (0: none).

    Returns
    -------
    model : keras.Model
        Its last ``Dense`` layer is named ``head``.
    loss : str or keras.losses.Loss
        What the learner passes to ``compile``.
    """
    layers = keras.layers
    sigmoid_of_difference, difference, prepend_zero = _layers(keras)

    def reg(factor: float) -> dict[str, Any]:
        if factor == 0:
            return {}
        return {
            "kernel_regularizer": keras.regularizers.L2(factor),
            "bias_regularizer": keras.regularizers.L2(factor),
        }

    inputs = keras.Input((n_features,))
    a = inputs
    act = None if activation == "identity" else activation
    for i, width in enumerate(hidden):
        a = layers.Dense(width, activation=act, name=f"base_{i}", **reg(l2[0]))(a)
    k = n_classes
    units = {"difference": 2, "sigmoid": 1, "softmax": k, "reference": k - 1}[head]
    binary = head in ("difference", "sigmoid")
    activation_of_head = None
    if not logits and head == "sigmoid":
        activation_of_head = "sigmoid"
    if not logits and head == "softmax":
        activation_of_head = "softmax"
    z = layers.Dense(units, activation=activation_of_head, name="head", **reg(l2[1]))(a)
    if head == "difference":
        out = (difference if logits else sigmoid_of_difference)()(z)
    elif head == "reference":
        out = prepend_zero()(z)
        if not logits:
            out = layers.Activation("softmax")(out)
    else:
        out = z
    if logits:
        loss_cls = (
            keras.losses.BinaryCrossentropy
            if binary
            else keras.losses.CategoricalCrossentropy
        )
        loss: Any = loss_cls(from_logits=True)
    else:
        loss = "binary_crossentropy" if binary else "categorical_crossentropy"
    return keras.Model(inputs, out), loss


def _optimizer(keras: Any, spec: ExperimentSpec, net: NetworkDef, model: Any) -> Any:
    """The optimizer a learner compiles with, at the rates of :func:`param_factors`.

    One optimizer when the base and the head train alike; otherwise Keras'
    documented per-variable mechanism, a ``MultiOptimizer`` whose ``OptimizerMap``
    gives the head's variables a copy with the head's rate and decay (what
    :func:`softlogit.keras.head_optimizer` builds for network 1c).
    """
    tr = spec.training
    factors = param_factors(net, tr, 4)
    decay = tr.weight_decay if tr.decoupled else 0.0
    base = keras_optimizer(
        keras, spec, tr.lr * factors.lr[0], decay * factors.weight_decay[0]
    )
    if factors.lr[0] == factors.lr[-1] and (
        decay == 0 or factors.weight_decay[0] == factors.weight_decay[-1]
    ):
        return base
    head = keras_optimizer(
        keras, spec, tr.lr * factors.lr[-1], decay * factors.weight_decay[-1]
    )
    pattern = "|".join(re.escape(v.path) for v in model.get_layer("head").weights)
    # Keras' MultiOptimizer imports TensorFlow (and its log lines) on any backend
    with quiet_native_logs():
        mapping = keras.optimizers.OptimizerMap(base, {pattern: head})
        return keras.optimizers.MultiOptimizer(mapping)


def _set_params(model: Any, params: Sequence[FloatArray]) -> None:
    """Set a model's Dense layers from parameters in PyTorch layout (out, in)."""
    dense = [lay for lay in model.layers if lay.weights]
    for i, lay in enumerate(dense):
        w, b = params[2 * i], params[2 * i + 1]
        lay.set_weights([np.asarray(w).T, np.asarray(b)])


def _get_params(model: Any) -> list[FloatArray]:
    out: list[FloatArray] = []
    for lay in model.layers:
        if lay.weights:
            kernel, bias = lay.get_weights()
            out += [np.ascontiguousarray(kernel.T), np.asarray(bias)]
    return out


def _targets(head: str, y: IntArray, k: int, dtype: np.dtype) -> FloatArray:
    """What ``fit`` takes as ``y``: a column of 0/1, or one-hot rows."""
    if head in ("difference", "sigmoid"):
        return y.astype(dtype)[:, None]
    return np.eye(k, dtype=dtype)[y]


def detect_loss_path(
    keras: Any,
    build: Callable[[], tuple[Any, Any]],
    head: str,
    params: Sequence[FloatArray],
    x: FloatArray,
    n_classes: int,
    activation: str,
    code: tuple[str, str],
) -> LossPath:
    """Detect the loss path of the model that ``build`` makes, under ``fit``.

    A fresh model from ``build`` (the same code and loss) gets ``params``, then a
    zero head kernel and a head bias that puts the row ``x`` (class 0) at
    probability :math:`e^{-30}` for its class; one ``fit`` step of ``SGD(1.0)``
    moves the head kernel by :func:`probe_prediction` on the logits path and not at
    all on the clipped path.

    Parameters
    ----------
    keras : module
    build : callable
        Returns ``(model, loss)`` as :func:`learner_model`.
    head : str
        The head kind.
    params : sequence of ndarray
        Parameters in PyTorch layout, for the base.
    x : ndarray of shape (n_features,)
        The probe row.
    n_classes : int
    activation : str
        The hidden activation (to compute the row's last activations).
    code : (str, str)
        The learner's code and the fix (see :class:`LossPath`).

    Returns
    -------
    LossPath
    """
    model, loss = build()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss=loss)
    dtype = np.dtype(keras.config.floatx())
    probe = [np.array(p, dtype=dtype) for p in params]
    probe[-2][...] = 0.0
    probe[-1][...] = 0.0
    # the wrong class (1) far ahead: difference z2 - z1, the sigmoid's logit, the
    # softmax's z_1 or the reference head's first unit
    probe[-1][1 if head in ("difference", "softmax") else 0] = _PROBE_LOGIT
    _set_params(model, probe)
    row = np.asarray(x, dtype=dtype)[None, :]
    model.fit(
        row,
        _targets(head, np.array([0]), n_classes, dtype),
        batch_size=1,
        epochs=1,
        shuffle=False,
        verbose=0,
    )
    moved = np.asarray(model.get_layer("head").get_weights()[0], dtype=np.float64)
    acts, _ = forward(
        [np.asarray(p, dtype=np.float64) for p in probe],
        row.astype(np.float64),
        activation,
    )
    predicted = probe_prediction(
        head, acts[-1][0], probe[-1].astype(np.float64), 0, n_classes
    )
    size = float(np.max(np.abs(predicted)))
    measured = float(np.max(np.abs(moved)))
    gap = float(np.max(np.abs(moved - predicted)))
    if measured == 0.0:
        kind = "clipped"
    elif gap <= 1e-3 * size:
        kind = "logits"
    else:
        kind = "undetermined"
    evidence = (
        "one fit step of SGD(1.0) on a row at probability e^-30 for its class, from "
        f"a zero head kernel, moved the kernel by {measured:.3g} (largest entry); "
        f"the logits path predicts {size:.3g}, the clipped path 0"
        + ("" if kind != "undetermined" else f" (off the prediction by {gap:.3g})")
        + "."
    )
    return LossPath(kind, float(keras.config.epsilon()), code[0], code[1], evidence)


def _float64_note(keras: Any) -> str | None:
    """A note when Keras computes float64 inputs in float32 on this backend.

    Checks the operations of the learner's models (``matmul``, ``tanh``,
    ``sigmoid``, ``softmax``, ``mean``) against NumPy on float64 data.
    """
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    ops = keras.ops
    x = ops.convert_to_tensor(a, dtype="float64")
    checks: dict[str, tuple[Callable[[], Any], Any]] = {
        "matmul": (lambda: ops.matmul(x, x), a @ a),
        "tanh": (lambda: ops.tanh(x), np.tanh(a)),
        "sigmoid": (lambda: ops.sigmoid(x), 1 / (1 + np.exp(-a))),
        "softmax": (
            lambda: ops.softmax(x, axis=1),
            np.exp(a) / np.exp(a).sum(axis=1, keepdims=True),
        ),
        "mean": (lambda: ops.mean(x), a.mean()),
    }
    lost = {}
    for name, (op, ref) in checks.items():
        got = np.asarray(ops.convert_to_numpy(op()), dtype=np.float64)
        error = float(np.max(np.abs(got - ref)))
        if error > 1e-12:
            lost[name] = error
    if not lost:
        return None
    listed = ", ".join(f"{k} (error {v:.2g})" for k, v in lost.items())
    return (
        f"Keras {keras.__version__} on the {keras.backend.backend()} backend "
        f"computes some {FLOAT32_OPS}: {listed} on a 4x4 "
        "float64 test (its type promotion maps float64 to float32 outside "
        "TensorFlow). This float64 run of model.fit therefore has about float32 "
        "accuracy in those operations; read its gaps against float32 rounding."
    )


# rows of data (float64) handed to one full-batch fit call at most
_TILE_BUDGET = 1_000_000


def _fit_plan(
    n_train: int, n_features: int, batches: list[IntArray] | None, steps: int
) -> list[tuple[IntArray, int, int]]:
    """The ``fit`` calls: (row order, batch size, epochs).

    Full batch: the training set repeated ``r`` times per Keras epoch with
    ``batch_size=n_train``, one step per copy (Keras' per-epoch overhead would
    otherwise dominate a step on one small batch); minibatches: one call per epoch
    on that epoch's order (the epoch's last batch may be shorter, as in the other
    engines), the last one cut to the remaining steps.
    """
    if batches is None:
        r = max(1, min(steps, _TILE_BUDGET // max(1, n_train * n_features)))
        order = np.tile(np.arange(n_train), r)
        plan: list[tuple[IntArray, int, int]] = []
        if steps >= r:
            plan.append((order, n_train, steps // r))
        if steps % r:
            plan.append((order[: (steps % r) * n_train], n_train, 1))
        return plan
    size = len(batches[0])
    per_epoch = math.ceil(n_train / size)
    return [
        (np.concatenate(batches[start : start + per_epoch]), size, 1)
        for start in range(0, len(batches), per_epoch)
    ]


def _train(
    keras: Any,
    backend: str,
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None,
    logits: bool,
) -> Trajectory:
    t0 = time.perf_counter()
    _check_supported(net)
    tr = spec.training
    dtype = np.dtype(tr.dtype)
    k = data.info.n_classes
    coupled = (not tr.decoupled) and tr.weight_decay > 0
    l2 = (
        (tr.weight_decay / 2, tr.weight_decay / 2 * net.head_weight_decay_multiplier)
        if coupled
        else (0.0, 0.0)
    )

    def build() -> tuple[Any, Any]:
        return learner_model(
            keras,
            net.head,
            data.info.n_features,
            spec.model.hidden,
            spec.model.activation,
            k,
            logits=logits,
            l2=l2,
        )

    units = {"difference": 2, "sigmoid": 1, "softmax": k, "reference": k - 1}[net.head]
    code = _head_code(net.head, units, logits)
    path = detect_loss_path(
        keras, build, net.head, init, data.X_train[0], k, spec.model.activation, code
    )
    model, loss = build()
    _set_params(model, init)
    model.compile(optimizer=_optimizer(keras, spec, net, model), loss=loss)

    X = np.ascontiguousarray(data.X_train, dtype=dtype)
    Xt = np.ascontiguousarray(data.X_test, dtype=dtype)
    Y = _targets(net.head, data.y_train, k, dtype)
    recorder = _recorder(keras, net, data, spec, init, progress, model, X, Xt)
    plan = _fit_plan(X.shape[0], X.shape[1], batches, tr.steps)
    if recorder.alive():
        for order, size, epochs in plan:
            model.fit(
                X[order],
                Y[order],
                batch_size=size,
                epochs=epochs,
                shuffle=False,
                verbose=0,
                callbacks=[recorder],
            )
            if not recorder.alive():
                break
    notes = [_plan_note(plan, X.shape[0], tr.steps)]
    if tr.dtype == "float64":
        note = _float64_note(keras)
        if note is not None:
            notes.append(note)
    description = (
        f"{net.description}; Keras: {code[0]}; loss {path.words()}"
        if path.kind != "undetermined"
        else f"{net.description}; Keras: {code[0]}"
    )
    trajectory: Trajectory = recorder.trajectory(
        description=description,
        loss_path=path,
        notes=tuple(notes),
        seconds=time.perf_counter() - t0,
    )
    return trajectory


def _plan_note(plan: list[tuple[IntArray, int, int]], n_train: int, steps: int) -> str:
    """How the spec's steps were run as ``model.fit`` calls, in words."""
    size = plan[0][1]
    if size == n_train:
        copies = plan[0][0].size // n_train
        return (
            f"model.fit: {steps} full-batch steps as fit(X repeated {copies} times, "
            f"batch_size={n_train}, epochs={plan[0][2]}, shuffle=False)"
            + (
                f" and one fit call on {plan[-1][0].size // n_train} copies"
                if len(plan) > 1
                else ""
            )
            + ": one step per copy of the training set, in the same row order."
        )
    per_epoch = -(-n_train // size)
    last = -(-plan[-1][0].size // size)
    tail = (
        f"; the last call covers the first {last} of {per_epoch} batches, as the "
        "spec's steps end inside that epoch"
        if plan[-1][0].size < n_train
        else ""
    )
    return (
        f"model.fit: {steps} steps as {len(plan)} calls fit(X[order], "
        f"batch_size={size}, epochs=1, shuffle=False), one per epoch in the data "
        f"order shared by all engines ({per_epoch} batches an epoch){tail}."
    )


def _recorder(
    keras: Any,
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    progress: ProgressCallback | None,
    model: Any,
    X: FloatArray,
    Xt: FloatArray,
) -> Any:
    """A Keras callback recording the trajectory at the spec's recorded steps."""
    tr = spec.training
    dtype = np.dtype(tr.dtype)
    rec = record_steps(tr.steps, tr.record_interval)
    names = param_names(len(init) // 2 - 1)
    k = data.info.n_classes
    n = rec.size
    hist = {
        name: np.full((n, *np.shape(p)), np.nan, dtype=dtype)
        for name, p in zip(names, init, strict=True)
    }
    losses = np.full((2, n), np.nan)
    probas = [
        np.full((n, X.shape[0], k), np.nan, dtype=dtype),
        np.full((n, Xt.shape[0], k), np.nan, dtype=dtype),
    ]
    act = spec.model.activation

    class Recorder(keras.callbacks.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.step = 0
            self.kept = 0
            self.diverged_at: int | None = None
            self.message: str | None = None
            self.record([np.array(p, dtype=dtype) for p in init])

        def alive(self) -> bool:
            return self.diverged_at is None and self.step < tr.steps

        def record(self, params: list[FloatArray]) -> None:
            i = self.kept
            for name, p in zip(names, params, strict=True):
                hist[name][i] = p
            for j, (x, y) in enumerate(((X, data.y_train), (Xt, data.y_test))):
                _, z = forward(params, x, act)
                loss, proba = loss_and_proba(net.head, z, y)
                losses[j, i] = loss
                probas[j][i] = proba
            if progress is not None:
                progress(net.name, self.step, tr.steps)
            if math.isfinite(losses[0, i]) and math.isfinite(losses[1, i]):
                self.kept += 1
            elif self.step == 0:
                self.diverged_at = 0
                self.message = f"network {net.name}: the initial loss is not finite."
            else:
                self.diverged_at = self.step
                self.message = (
                    f"network {net.name} diverged at step {self.step}: the loss "
                    "became NaN or infinite (try a smaller learning rate)."
                )

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.step += 1
            if self.kept < n and self.step == rec[self.kept]:
                # the JAX trainer keeps the state outside the model during fit
                sync = getattr(model, "jax_state_sync", None)
                if sync is not None:
                    sync()
                self.record(_get_params(model))
            if not self.alive():
                model.stop_training = True

        def trajectory(self, **fields: Any) -> Trajectory:
            keep = self.kept
            return Trajectory(
                name=net.name,
                head=net.head,
                steps=rec[:keep],
                train_loss=losses[0, :keep],
                test_loss=losses[1, :keep],
                params={name: h[:keep] for name, h in hist.items()},
                proba_train=probas[0][:keep],
                proba_test=probas[1][:keep],
                head_lr_multiplier=net.head_lr_multiplier,
                head_weight_decay_multiplier=net.head_weight_decay_multiplier,
                preconditioned=net.preconditioned,
                diverged_at=self.diverged_at,
                message=self.message,
                **fields,
            )

    return Recorder()


def _fit(
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None,
    logits: bool,
) -> Trajectory:
    keras, backend = import_keras_backend()
    with keras_dtype(keras, spec.training.dtype):
        return _train(
            keras, backend, net, data, spec, init, batches, progress, logits=logits
        )


def train_keras_fit(
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None = None,
) -> Trajectory:
    """Train one network as a learner writes it (probabilities, ``model.fit``).

    Same contract as :func:`train_numpy`; the trajectory carries the detected
    :attr:`~Trajectory.loss_path`.
    """
    return _fit(net, data, spec, init, batches, progress, logits=False)


def train_keras_fit_logits(
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None = None,
) -> Trajectory:
    """Train one network with the one-line fix: heads without their softmax or
    sigmoid, losses ``from_logits=True``, ``model.fit``."""
    return _fit(net, data, spec, init, batches, progress, logits=True)
