"""The NumPy engine: every network trained by hand-written forward and backward passes.

Float64 reference quality: the gradients are tested against finite differences and
the optimizers reproduce ``torch.optim``'s update rules (:mod:`softlogit._optimizers`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from softlogit._optimizers import make_optimizer
from softlogit._typing import FloatArray, IntArray
from softlogit.experiment._data import Dataset
from softlogit.experiment._engine_common import (
    ProgressCallback,
    Snapshot,
    record_steps,
    train_and_record,
)
from softlogit.experiment._networks import (
    NetworkDef,
    backward,
    forward,
    logit_grad,
    loss_and_proba,
    param_factors,
)
from softlogit.experiment._result import Trajectory
from softlogit.experiment._spec import ExperimentSpec

__all__ = ["batch_schedule", "record_steps", "train_numpy"]


def batch_schedule(
    n_samples: int, batch_size: int | None, steps: int, rng: np.random.Generator
) -> list[IntArray] | None:
    """The minibatch indices of every step, shared by all networks.

    ``None`` for full batch. Otherwise one random permutation per epoch, cut into
    consecutive batches of ``batch_size`` (the last batch of an epoch may be smaller,
    as with PyTorch's ``DataLoader(shuffle=True)``).
    """
    if batch_size is None or batch_size >= n_samples:
        return None
    out: list[IntArray] = []
    while len(out) < steps:
        perm = rng.permutation(n_samples)
        out.extend(perm[i : i + batch_size] for i in range(0, n_samples, batch_size))
    return out[:steps]


def _targets(head: str, y: IntArray, n_classes: int, dtype: np.dtype) -> FloatArray:
    if head in ("difference", "sigmoid"):
        return y.astype(dtype)
    return np.eye(n_classes, dtype=dtype)[y]


def train_numpy(
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None = None,
) -> Trajectory:
    """Train one network and record its trajectory.

    Parameters
    ----------
    net : NetworkDef
    data : Dataset
    spec : ExperimentSpec
    init : sequence of ndarray
        Initial parameters (copied), in the order of :func:`param_names`.
    batches : list of ndarray or None
        Minibatch indices per step (:func:`batch_schedule`), ``None`` for full batch.
    progress : callable, optional
        Called as ``progress(network, step, total_steps)`` at recorded steps.

    Returns
    -------
    Trajectory
        Stops early, with ``diverged_at`` and ``message`` set, if the gradient or
        the loss at a recorded step becomes NaN or infinite; only records before
        that step are kept, so every recorded loss is finite.
    """
    t0 = time.perf_counter()
    tr = spec.training
    dtype = np.dtype(tr.dtype)
    activation = spec.model.activation
    k = data.info.n_classes
    head = net.head
    params = [np.array(p, dtype=dtype, copy=True) for p in init]
    grads = [np.empty_like(p) for p in params]
    factors = param_factors(net, tr, len(params))
    opt = make_optimizer(tr.optimizer_spec(), params, *factors)

    X = data.X_train.astype(dtype, copy=False)
    Xt = data.X_test.astype(dtype, copy=False)
    target = _targets(head, data.y_train, k, dtype)

    def snapshot() -> Snapshot:
        with np.errstate(all="ignore"):
            _, logits = forward(params, X, activation)
            loss, proba = loss_and_proba(head, logits, data.y_train)
            _, logits_t = forward(params, Xt, activation)
            loss_t, proba_t = loss_and_proba(head, logits_t, data.y_test)
        return Snapshot(params, loss, loss_t, proba, proba_t)

    precondition = net.preconditioned

    def update(step: int) -> str | None:
        if batches is None:
            xb, tb = X, target
        else:
            idx = batches[step - 1]
            xb, tb = X[idx], target[idx]
        acts, logits = forward(params, xb, activation)
        dlogits = logit_grad(head, logits, tb)
        backward(params, acts, dlogits, activation, grads)
        # NaN anywhere in the logits reaches the head's bias gradient (the sum of the
        # logit gradients): a check of a few numbers per step
        if not math.isfinite(float(grads[-1].sum())):
            return "gradient"
        if precondition:
            # P = I + 11^T over the reference head's units: g_k + sum_j g_j
            grads[-2] += grads[-2].sum(axis=0)
            grads[-1] += grads[-1].sum()
        opt.step(params, grads)
        return None

    return train_and_record(
        net,
        data,
        spec,
        init,
        progress,
        snapshot,
        lambda: update,
        t0=t0,
        guard=lambda: np.errstate(over="ignore", invalid="ignore"),
    )
