"""What every engine shares: the recorded steps and the recording training loop.

An engine (NumPy, PyTorch, Keras) supplies two things: a *snapshot* of the network at
the current parameters (parameters, train and test loss, train and test
probabilities) and a *step* that updates the parameters once. :func:`train_and_record`
runs the steps, records the snapshots at :func:`record_steps` and stops at the first
non-finite gradient or loss, so that the three engines record and diverge alike.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from softlogit._typing import FloatArray, IntArray
from softlogit.experiment._data import Dataset
from softlogit.experiment._networks import NetworkDef, param_names
from softlogit.experiment._result import Trajectory
from softlogit.experiment._spec import ExperimentSpec

__all__ = [
    "ProgressCallback",
    "Snapshot",
    "StepFunction",
    "framework_activation",
    "label_accuracy",
    "record_steps",
    "train_and_record",
]

ProgressCallback = Callable[[str, int, int], None]

StepFunction = Callable[[int], str | None]
"""One update at a step (1, 2, ...): ``None``, or what became non-finite."""


class Snapshot(NamedTuple):
    """A network at its current parameters, as an engine records it."""

    params: Sequence[npt.ArrayLike]
    """The parameters in the order of :func:`param_names`."""
    train_loss: float
    test_loss: float
    proba_train: npt.ArrayLike
    """Of shape (n_train, n_classes)."""
    proba_test: npt.ArrayLike
    """Of shape (n_test, n_classes)."""


def label_accuracy(proba: npt.ArrayLike, y: IntArray) -> float:
    """The fraction of samples whose most probable class (the first on a tie) is
    their label ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit.experiment._engine_common import label_accuracy
    >>> label_accuracy(np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]]), np.array([1, 1, 0]))
    0.6666666666666666
    """
    return float(np.mean(np.argmax(proba, axis=-1) == y))


def record_steps(steps: int, every: int) -> IntArray:
    """The recorded steps: 0, 1, every multiple of ``every`` and the last step.

    Examples
    --------
    >>> from softlogit.experiment._engine_common import record_steps
    >>> record_steps(10, 4).tolist()
    [0, 1, 4, 8, 10]
    """
    out = set(range(0, steps + 1, every)) | {0, 1, steps}
    return np.array(sorted(out), dtype=np.int64)


def framework_activation(namespace: Any, name: str) -> Callable[[Any], Any]:
    """The hidden layers' activation ``name`` from a framework's ``namespace``.

    ``namespace.tanh``, ``namespace.relu`` or ``namespace.sigmoid`` (``torch``,
    ``keras.ops``), or the identity for ``'identity'``.

    Examples
    --------
    >>> import torch
    >>> from softlogit.experiment._engine_common import framework_activation
    >>> framework_activation(torch, "relu") is torch.relu
    True
    >>> framework_activation(torch, "identity")(3.0)
    3.0
    """
    return {  # type: ignore[no-any-return]
        "tanh": namespace.tanh,
        "relu": namespace.relu,
        "sigmoid": namespace.sigmoid,
        "identity": lambda a: a,
    }[name]


def train_and_record(
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    progress: ProgressCallback | None,
    snapshot: Callable[[], Snapshot],
    start: Callable[[], StepFunction],
    *,
    t0: float,
    guard: Callable[[], contextlib.AbstractContextManager[object]] = (
        contextlib.nullcontext
    ),
) -> Trajectory:
    """Train one network with an engine's step and record its trajectory.

    Parameters
    ----------
    net : NetworkDef
    data : Dataset
    spec : ExperimentSpec
    init : sequence of ndarray
        Initial parameters, in the order of :func:`param_names` (for their shapes).
    progress : callable or None
        Called as ``progress(network, step, total_steps)`` at recorded steps.
    snapshot : callable
        The network at the current parameters (:class:`Snapshot`).
    start : callable
        Called once, after the initial snapshot was recorded with a finite loss;
        returns the step function. ``step(s)`` updates the parameters at step ``s``
        and returns ``None``, or the name of what became NaN or infinite (such as
        ``'gradient'`` or ``'loss'``); the training then stops.
    t0 : float
        :func:`time.perf_counter` at the start of the engine's work.
    guard : callable, optional
        A context manager factory entered around the steps (for example NumPy's
        ``errstate``).

    Returns
    -------
    Trajectory
        Stops early, with ``diverged_at`` and ``message`` set, if a step reports a
        non-finite value or the loss at a recorded step becomes NaN or infinite;
        only records before that step are kept, so every recorded loss is finite.
    """
    tr = spec.training
    np_dtype = np.dtype(tr.dtype)
    k = data.info.n_classes
    names = param_names(len(init) // 2 - 1)
    rec = record_steps(tr.steps, tr.record_interval)
    n_rec = rec.size
    hist = {
        name: np.full((n_rec, *np.shape(p)), np.nan, dtype=np_dtype)
        for name, p in zip(names, init, strict=True)
    }
    train_loss = np.full(n_rec, np.nan)
    test_loss = np.full(n_rec, np.nan)
    accuracy = {split: np.full(n_rec, np.nan) for split in ("train", "test")}
    proba_train = np.full((n_rec, data.X_train.shape[0], k), np.nan, dtype=np_dtype)
    proba_test = np.full((n_rec, data.X_test.shape[0], k), np.nan, dtype=np_dtype)

    def record(i: int, step: int) -> bool:
        snap = snapshot()
        for name, p in zip(names, snap.params, strict=True):
            hist[name][i] = p
        train_loss[i], test_loss[i] = snap.train_loss, snap.test_loss
        proba_train[i], proba_test[i] = snap.proba_train, snap.proba_test
        accuracy["train"][i] = label_accuracy(proba_train[i], data.y_train)
        accuracy["test"][i] = label_accuracy(proba_test[i], data.y_test)
        if progress is not None:
            progress(net.name, step, tr.steps)
        return math.isfinite(train_loss[i]) and math.isfinite(test_loss[i])

    def diverged(step: int, what: str) -> str:
        return (
            f"network {net.name} diverged at step {step}: the {what} became NaN or "
            "infinite (try a smaller learning rate)."
        )

    diverged_at: int | None = None
    message: str | None = None
    next_rec = 1
    if not record(0, 0):
        diverged_at = 0
        message = f"network {net.name}: the initial loss is not finite."
    else:
        step_fn = start()
        with guard():
            for step in range(1, tr.steps + 1):
                what = step_fn(step)
                if what is not None:
                    diverged_at, message = step, diverged(step, what)
                    break
                if step == rec[next_rec]:
                    if not record(next_rec, step):
                        diverged_at, message = step, diverged(step, "loss")
                        break
                    next_rec += 1
    # keep the records up to the last one with a finite loss
    keep = next_rec
    return Trajectory(
        name=net.name,
        description=net.description,
        head=net.head,
        steps=rec[:keep],
        train_loss=train_loss[:keep],
        test_loss=test_loss[:keep],
        params={name: h[:keep] for name, h in hist.items()},
        proba_train=proba_train[:keep],
        proba_test=proba_test[:keep],
        head_lr_multiplier=net.head_lr_multiplier,
        head_weight_decay_multiplier=net.head_weight_decay_multiplier,
        preconditioned=net.preconditioned,
        diverged_at=diverged_at,
        message=message,
        seconds=time.perf_counter() - t0,
        train_accuracy=accuracy["train"][:keep],
        test_accuracy=accuracy["test"][:keep],
    )
