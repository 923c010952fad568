"""The NumPy engine: every network trained by hand-written forward and backward passes.

Float64 reference quality: the gradients are tested against finite differences and
the optimizers reproduce ``torch.optim``'s update rules (:mod:`softlogit._optimizers`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from softlogit._optimizers import make_optimizer
from softlogit._typing import FloatArray, IntArray
from softlogit.experiment._data import Dataset
from softlogit.experiment._networks import (
    NetworkDef,
    backward,
    forward,
    logit_grad,
    loss_and_proba,
    param_names,
)
from softlogit.experiment._result import Trajectory
from softlogit.experiment._spec import ExperimentSpec

__all__ = ["batch_schedule", "record_steps", "train_numpy"]

ProgressCallback = Callable[[str, int, int], None]


def record_steps(steps: int, every: int) -> IntArray:
    """The recorded steps: 0, 1, every multiple of ``every`` and the last step.

    Examples
    --------
    >>> from softlogit.experiment._engine_numpy import record_steps
    >>> record_steps(10, 4).tolist()
    [0, 1, 4, 8, 10]
    """
    out = set(range(0, steps + 1, every)) | {0, 1, steps}
    return np.array(sorted(out), dtype=np.int64)


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
    names = param_names(len(params) // 2 - 1)
    n_head = 2
    n_base = len(params) - n_head
    lr_mult = [tr.base_lr_multiplier] * n_base + [
        tr.head_lr_multiplier * net.head_lr_multiplier
    ] * n_head
    wd_mult = [1.0] * n_base + [net.head_weight_decay_multiplier] * n_head
    opt = make_optimizer(tr.optimizer_spec(), params, lr_mult, wd_mult)

    X = data.X_train.astype(dtype, copy=False)
    Xt = data.X_test.astype(dtype, copy=False)
    target = _targets(head, data.y_train, k, dtype)

    rec = record_steps(tr.steps, tr.record_interval)
    n_rec = rec.size
    hist = {
        name: np.empty((n_rec, *p.shape), dtype=dtype)
        for name, p in zip(names, params, strict=True)
    }
    train_loss = np.full(n_rec, np.nan)
    test_loss = np.full(n_rec, np.nan)
    proba_train = np.empty((n_rec, X.shape[0], k), dtype=dtype)
    proba_test = np.empty((n_rec, Xt.shape[0], k), dtype=dtype)

    diverged_at: int | None = None
    message: str | None = None

    def record(i: int, step: int) -> bool:
        for name, p in zip(names, params, strict=True):
            hist[name][i] = p
        with np.errstate(all="ignore"):
            _, logits = forward(params, X, activation)
            loss, proba = loss_and_proba(head, logits, data.y_train)
            _, logits_t = forward(params, Xt, activation)
            loss_t, proba_t = loss_and_proba(head, logits_t, data.y_test)
        train_loss[i], test_loss[i] = loss, loss_t
        proba_train[i], proba_test[i] = proba, proba_t
        if progress is not None:
            progress(net.name, step, tr.steps)
        return math.isfinite(loss) and math.isfinite(loss_t)

    precondition = net.preconditioned
    ok = record(0, 0)
    next_rec = 1
    if not ok:
        diverged_at = 0
        message = f"network {net.name}: the initial loss is not finite."
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            for step in range(1, tr.steps + 1):
                if batches is None:
                    xb, tb = X, target
                else:
                    idx = batches[step - 1]
                    xb, tb = X[idx], target[idx]
                acts, logits = forward(params, xb, activation)
                dlogits = logit_grad(head, logits, tb)
                backward(params, acts, dlogits, activation, grads)
                # NaN anywhere in the logits reaches the head's bias gradient (the
                # sum of the logit gradients): a check of a few numbers per step
                if not math.isfinite(float(grads[-1].sum())):
                    diverged_at = step
                    message = (
                        f"network {net.name} diverged at step {step}: the gradient "
                        "became NaN or infinite (try a smaller learning rate)."
                    )
                    break
                if precondition:
                    # P = I + 11^T over the reference head's units: g_k + sum_j g_j
                    grads[-2] += grads[-2].sum(axis=0)
                    grads[-1] += grads[-1].sum()
                opt.step(params, grads)
                if step == rec[next_rec]:
                    if not record(next_rec, step):
                        diverged_at = step
                        message = (
                            f"network {net.name} diverged at step {step}: the loss "
                            "became NaN or infinite (try a smaller learning rate)."
                        )
                        break
                    next_rec += 1
    # keep the records up to the last one with a finite loss
    keep = next_rec
    return Trajectory(
        name=net.name,
        description=net.description,
        head=head,
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
    )
