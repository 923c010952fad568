"""The PyTorch engine: the same networks trained with autograd and ``torch.optim``.

It takes the same prepared experiment (data, equivalent initialization, minibatch
order) as the NumPy engine and returns the same :class:`Trajectory`, so the two can be
compared run for run: in float64 they agree to rounding, which checks the NumPy
engine's hand-written gradients and optimizers against PyTorch's.

Losses are PyTorch's own, from logits: ``BCEWithLogitsLoss`` of ``z2 - z1`` (network
0) or ``z`` (networks 1, 1c), ``CrossEntropyLoss`` of ``z`` (networks 2, ``softmax``)
or of ``(0, z)`` (reference heads). Optimizers are ``torch.optim.SGD`` (momentum,
Nesterov), ``Adam`` and ``AdamW`` with one parameter group per array; decoupled decay
for the SGD family (which PyTorch lacks) is applied as
:math:`\\theta \\leftarrow (1 - \\eta\\lambda)\\theta` before the step, as in
:mod:`softlogit._optimizers`.
"""

from __future__ import annotations

import math
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
    framework_activation,
    train_and_record,
)
from softlogit.experiment._networks import NetworkDef, head_logits, param_factors
from softlogit.experiment._result import Trajectory
from softlogit.experiment._spec import ExperimentSpec, TrainingSpec

__all__ = ["train_torch"]


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is installed in CI
        raise MissingExtraError("PyTorch", "torch") from None
    return torch


def train_torch(
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None = None,
) -> Trajectory:
    """Train one network with PyTorch; same contract as :func:`train_numpy`.

    Examples
    --------
    >>> from softlogit.experiment import ExperimentSpec, run_experiment
    >>> spec = ExperimentSpec().replace(steps=20, hidden=(4,), networks=("0", "2"))
    >>> run_experiment(spec, engine="torch").pair("0", "2").verdict
    'identical up to rounding'
    """
    torch = _import_torch()
    threads = torch.get_num_threads()
    # small matrices: one thread avoids synchronization costs (as for the NumPy engine)
    torch.set_num_threads(1)
    try:
        return _train(torch, net, data, spec, init, batches, progress)
    finally:
        torch.set_num_threads(threads)


def _optimizer(
    torch: Any, tr: TrainingSpec, params: list[Any], lrs: list[float], wds: list[float]
) -> Any:
    """``torch.optim`` for ``tr``, one parameter group per array.

    Decoupled decay for the SGD family is left to the caller (PyTorch has none):
    those groups get ``weight_decay=0``.
    """
    manual_decay = _manual_decay(tr)
    groups = [
        {"params": [p], "lr": lr, "weight_decay": 0.0 if manual_decay else wd}
        for p, lr, wd in zip(params, lrs, wds, strict=True)
    ]
    if tr.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=tr.lr)
    if tr.optimizer in ("momentum", "nesterov"):
        return torch.optim.SGD(
            groups, lr=tr.lr, momentum=tr.momentum, nesterov=tr.optimizer == "nesterov"
        )
    if tr.optimizer == "adam":
        return torch.optim.Adam(
            groups,
            lr=tr.lr,
            betas=(tr.beta1, tr.beta2),
            eps=tr.eps,
            decoupled_weight_decay=tr.decoupled,
        )
    return torch.optim.AdamW(groups, lr=tr.lr, betas=(tr.beta1, tr.beta2), eps=tr.eps)


def _manual_decay(tr: TrainingSpec) -> bool:
    """Whether decoupled decay is applied by hand (the SGD family)."""
    return tr.decoupled and tr.optimizer in ("sgd", "momentum", "nesterov")


def _head_functions(
    torch: Any, head: str, dtype: Any
) -> tuple[Callable[[Any, Any], Any], Callable[[Any], Any]]:
    """The mean loss ``loss_of(logits, labels)`` and ``proba_of(logits)`` of a head."""
    F = torch.nn.functional

    def prepend_zero(z: Any) -> Any:
        return torch.cat([torch.zeros_like(z[:, :1]), z], dim=1)

    def loss_of(z: Any, labels: Any) -> Any:
        binary, v = head_logits(head, z, prepend_zero)
        if binary:
            return F.binary_cross_entropy_with_logits(v, labels.to(dtype))
        return F.cross_entropy(v, labels)

    def proba_of(z: Any) -> Any:
        binary, v = head_logits(head, z, prepend_zero)
        if binary:
            return torch.stack([torch.sigmoid(-v), torch.sigmoid(v)], dim=1)
        return torch.softmax(v, dim=1)

    return loss_of, proba_of


def _train(
    torch: Any,
    net: NetworkDef,
    data: Dataset,
    spec: ExperimentSpec,
    init: Sequence[FloatArray],
    batches: list[IntArray] | None,
    progress: ProgressCallback | None,
) -> Trajectory:
    t0 = time.perf_counter()
    tr = spec.training
    dtype = {"float64": torch.float64, "float32": torch.float32}[tr.dtype]
    np_dtype = np.dtype(tr.dtype)
    act = framework_activation(torch, spec.model.activation)
    params = [
        torch.tensor(np.array(p, dtype=np_dtype), dtype=dtype, requires_grad=True)
        for p in init
    ]
    n_base = len(params) - 2
    factors = param_factors(net, tr, len(params))
    lrs = [tr.lr * f for f in factors.lr]
    wds = [tr.weight_decay * f for f in factors.weight_decay]
    opt = _optimizer(torch, tr, params, lrs, wds)
    manual_decay = _manual_decay(tr)
    loss_of, proba_of = _head_functions(torch, net.head, dtype)

    X = torch.from_numpy(np.ascontiguousarray(data.X_train, dtype=np_dtype))
    Xt = torch.from_numpy(np.ascontiguousarray(data.X_test, dtype=np_dtype))
    y = torch.from_numpy(data.y_train)
    yt = torch.from_numpy(data.y_test)

    def logits_of(x: Any) -> Any:
        a = x
        for i in range(n_base // 2):
            a = act(a @ params[2 * i].T + params[2 * i + 1])
        return a @ params[-2].T + params[-1]

    def snapshot() -> Snapshot:
        with torch.no_grad():
            z = logits_of(X)
            zt = logits_of(Xt)
            return Snapshot(
                [p.numpy() for p in params],
                float(loss_of(z, y)),
                float(loss_of(zt, yt)),
                proba_of(z).numpy(),
                proba_of(zt).numpy(),
            )

    def update(step: int) -> str | None:
        if batches is None:
            xb, yb = X, y
        else:
            idx = torch.from_numpy(batches[step - 1])
            xb, yb = X[idx], y[idx]
        opt.zero_grad()
        loss = loss_of(logits_of(xb), yb)
        if not math.isfinite(float(loss.detach())):
            return "loss"
        loss.backward()
        with torch.no_grad():
            if net.preconditioned:
                # P = I + 11^T over the reference head's units
                for p in params[-2:]:
                    p.grad += p.grad.sum(dim=0)
            if manual_decay:
                for p, lr, wd in zip(params, lrs, wds, strict=True):
                    p.mul_(1 - lr * wd)
        opt.step()
        return None

    return train_and_record(
        net, data, spec, init, progress, snapshot, lambda: update, t0=t0
    )
