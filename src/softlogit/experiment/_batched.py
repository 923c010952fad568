"""Many networks trained at once: their parameters stacked along a leading axis.

The NumPy engine (:mod:`softlogit.experiment._engine_numpy`) trains one network at a
time; for the small networks of the experiment most of its time per step is the
interpreter's, not arithmetic. :func:`train_batched` trains a *stack* of networks
that share their shapes and their training procedure except the learning rate (any
data split, initialization and minibatch order; any head kind of equal size): every
array gets a leading axis over the networks, every matrix product is a batched one,
and the optimizer's update rules take one learning rate per network.

Each operation is the NumPy engine's, applied to every network of the stack: the
same kernels for the logits' gradient, the same order of operations in the
optimizers, the same recording of snapshots (:func:`loss_and_proba`). Where the
stack differs in how it computes, the numbers are the same bit for bit: the
parameters of all networks live in one array and the optimizer updates it at once
(:mod:`~softlogit.experiment._batched_optim`), the intermediate arrays of a step are
buffers kept between steps, networks on the same data share one copy of it, and
the first layer's bias enters its matrix product as a column of ones where the
BLAS kernel gives the bits of the separate addition (:func:`_bias_folds`). The
trajectories therefore reproduce the NumPy engine's to rounding (the test suite
compares them with :func:`~softlogit.experiment.run_experiment`, network by
network). A network whose gradient or recorded loss becomes NaN or infinite leaves
the stack at that step, recorded as the NumPy engine records it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from softlogit._special import (
    binary_cross_entropy_kernel,
    log_softmax,
    sigmoid,
    sigmoid_exp,
    softmax_rows,
)
from softlogit._typing import FloatArray, IntArray
from softlogit.experiment._batched_optim import StackedOptimizer, param_views
from softlogit.experiment._data import Dataset
from softlogit.experiment._engine_common import record_steps
from softlogit.experiment._networks import (
    NetworkDef,
    _activate,
    _prepend_zero,
    head_logits,
    param_factors,
    param_names,
)
from softlogit.experiment._result import Trajectory
from softlogit.experiment._spec import ExperimentSpec

__all__ = ["BatchJob", "stack_key", "train_batched"]


@dataclass(frozen=True)
class BatchJob:
    """One network of one experiment, to be trained in a stack.

    Attributes
    ----------
    spec : ExperimentSpec
        The experiment (its training procedure and architecture).
    net : NetworkDef
        The network.
    data : Dataset
        Its data split.
    init : sequence of ndarray
        Its initial parameters, in the order of :func:`param_names`.
    batches : list of ndarray or None
        Its minibatch indices per step (``None``: full batch).
    """

    spec: ExperimentSpec
    net: NetworkDef
    data: Dataset
    init: Sequence[FloatArray]
    batches: list[IntArray] | None


def stack_key(job: BatchJob) -> tuple[object, ...]:
    """Jobs with equal keys train in one stack: equal shapes, equal procedure but lr.

    Examples
    --------
    >>> from softlogit.experiment import ExperimentSpec, prepare_experiment
    >>> from softlogit.experiment._batched import BatchJob, stack_key
    >>> from softlogit.experiment._networks import network_def
    >>> prep = prepare_experiment(ExperimentSpec().replace(steps=5))
    >>> jobs = [BatchJob(ExperimentSpec().replace(steps=5, lr=lr), network_def("1", 2),
    ...                  prep.data, prep.inits["sigmoid"], prep.batches)
    ...         for lr in (0.1, 0.2)]
    >>> stack_key(jobs[0]) == stack_key(jobs[1])
    True
    """
    spec, info = job.spec, job.data.info
    tr = spec.training
    return (
        job.net.head,
        info.n_train,
        info.n_test,
        info.n_features,
        info.n_classes,
        spec.model.hidden,
        spec.model.activation,
        tr.optimizer,
        tr.momentum,
        tr.beta1,
        tr.beta2,
        tr.eps,
        tr.weight_decay,
        tr.decoupled,
        tr.batch_size if job.batches is not None else None,
        tr.steps,
        tr.record_interval,
        tr.dtype,
    )


def _logit_grad(head: str, logits: FloatArray, target: FloatArray) -> FloatArray:
    """:func:`~softlogit.experiment._networks.logit_grad` of every network at once.

    ``logits`` has shape (n_networks, n, units); the mean is over each network's
    ``n`` samples.
    """
    n = logits.shape[1]
    if head == "difference":
        r, _ = sigmoid_exp(logits[..., 1] - logits[..., 0])
        r -= target
        r /= n
        return np.stack([-r, r], axis=-1)
    if head == "sigmoid":
        r, _ = sigmoid_exp(logits[..., 0])
        r -= target
        r /= n
        return r[..., None]
    units = logits.shape[-1]
    flat = np.ascontiguousarray(logits).reshape(-1, units)
    if head == "softmax":
        p = softmax_rows(flat).reshape(logits.shape)
        p -= target
    else:
        p = softmax_rows(flat, zero_logit=True).reshape(logits.shape)
        p -= target[..., 1:]
    p /= n
    return p


class _Records:
    """The recorded snapshots of every network of a stack."""

    def __init__(self, jobs: Sequence[BatchJob], n_rec: int) -> None:
        tr = jobs[0].spec.training
        dtype = np.dtype(tr.dtype)
        info = jobs[0].data.info
        names = param_names(len(jobs[0].init) // 2 - 1)
        b = len(jobs)
        self.names = names
        self.params = {
            name: np.full((b, n_rec, *np.shape(p)), np.nan, dtype=dtype)
            for name, p in zip(names, jobs[0].init, strict=True)
        }
        self.loss = {s: np.full((b, n_rec), np.nan) for s in ("train", "test")}
        self.accuracy = {s: np.full((b, n_rec), np.nan) for s in ("train", "test")}
        k = info.n_classes
        self.proba = {
            "train": np.full((b, n_rec, info.n_train, k), np.nan, dtype=dtype),
            "test": np.full((b, n_rec, info.n_test, k), np.nan, dtype=dtype),
        }
        self.kept = np.zeros(b, dtype=np.int64)
        self.diverged_at: list[int | None] = [None] * b
        self.message: list[str | None] = [None] * b


def _activation_grad_into(
    name: str, a: FloatArray, da: FloatArray, tmp: FloatArray
) -> FloatArray:
    """:func:`~softlogit.experiment._networks._activation_grad` into ``da``'s memory.

    The same operations in the same order; ``tmp`` (the shape of ``a``) holds the
    derivative.
    """
    if name == "tanh":
        np.multiply(a, a, out=tmp)
        np.subtract(1, tmp, out=tmp)
    elif name == "sigmoid":
        np.subtract(1, a, out=tmp)
        np.multiply(a, tmp, out=tmp)
    elif name == "relu":
        return np.multiply(da, a > 0, out=da)
    else:
        return da
    return np.multiply(da, tmp, out=da)


def _shared(arrays: Sequence[np.ndarray], dtype: np.dtype | None = None) -> np.ndarray:
    """``arrays`` stacked; one array broadcast when all of them are equal.

    With a ``dtype`` (the features), each array gains a last column of ones.
    """

    def prepared(a: np.ndarray) -> np.ndarray:
        if dtype is None:
            return a
        return np.concatenate([a.astype(dtype), np.ones((len(a), 1), dtype)], axis=1)

    if all(a is arrays[0] or np.array_equal(a, arrays[0]) for a in arrays[1:]):
        first = prepared(arrays[0])
        return np.broadcast_to(first, (len(arrays), *first.shape))
    return np.stack([prepared(a) for a in arrays])


#: (dtype, rows, inputs, units) -> whether the bias folds into the product
_FOLDS: dict[tuple[str, int, int, int], bool] = {}


def _bias_folds(dtype: np.dtype, n: int, d: int, h: int) -> bool:
    """Whether ``[X | 1] @ [W^T; b]`` has the bits of ``X @ W^T + b`` here.

    It has when the BLAS kernel sums the products of each entry in order, one fused
    multiply-add after the other: the last one, ``1 * b``, is then the addition of
    the bias. The order is the kernel's, the same for any values of one shape; it
    is probed once per shape on random values (a different order would round
    differently), and the bias is added separately where it does not fold.
    """
    key = (np.dtype(dtype).str, n, d, h)
    if key not in _FOLDS:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((1, n, d)).astype(dtype)
        w = rng.standard_normal((1, d, h)).astype(dtype)
        b = rng.standard_normal((1, 1, h)).astype(dtype)
        plain = np.matmul(X, w)
        plain += b
        ones = np.ones((1, n, 1), dtype)
        folded = np.matmul(
            np.concatenate([X, ones], axis=2), np.concatenate([w, b], axis=1)
        )
        _FOLDS[key] = bool(np.array_equal(plain, folded))
    return _FOLDS[key]


def _take(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``a[mask]`` along the networks, still a broadcast view if ``a`` is one."""
    if a.strides[0] == 0:
        return np.broadcast_to(a[0], (int(np.count_nonzero(mask)), *a.shape[1:]))
    taken: np.ndarray = a[mask]
    return taken


class _Stack:
    """The networks still training: data, parameters, optimizer and buffers.

    The data arrays have a leading axis over the networks; when every network of the
    stack trains on the same data it is one array broadcast along that axis. The
    parameters live in one array (see :func:`param_views`); the activations and
    gradients of a step are written into buffers kept between steps.
    """

    def __init__(self, jobs: Sequence[BatchJob]) -> None:
        tr = jobs[0].spec.training
        dtype = np.dtype(tr.dtype)
        self.head = jobs[0].net.head
        self.activation = jobs[0].spec.model.activation
        self.ids = np.arange(len(jobs))
        self.X = _shared([j.data.X_train for j in jobs], dtype)
        self.Xt = _shared([j.data.X_test for j in jobs], dtype)
        self.y = _shared([j.data.y_train for j in jobs])
        self.yt = _shared([j.data.y_test for j in jobs])
        k = jobs[0].data.info.n_classes
        if self.head in ("difference", "sigmoid"):
            self.target = self.y.astype(dtype)
        else:
            self.target = np.eye(k, dtype=dtype)[self.y]
        self.shapes = [np.shape(p) for p in jobs[0].init]
        self.flat = np.stack(
            [
                np.concatenate([np.asarray(p, dtype=dtype).ravel() for p in j.init])
                for j in jobs
            ]
        )
        self.pre = np.array([j.net.preconditioned for j in jobs])
        # the minibatch order of each network, by schedule (jobs of one experiment
        # share theirs)
        schedules: dict[int, int] = {}
        self.schedule = np.array(
            [schedules.setdefault(id(j.batches), len(schedules)) for j in jobs]
        )
        firsts = {schedules[id(j.batches)]: j.batches for j in jobs}
        self.orders: list[list[IntArray]] = [
            order for i in range(len(firsts)) if (order := firsts[i]) is not None
        ]
        n_params = len(self.shapes)
        sizes = [int(np.prod(s, dtype=np.int64)) for s in self.shapes]
        rates, decays = [], []
        for j in jobs:
            f = param_factors(j.net, j.spec.training, n_params)
            t = j.spec.training
            rates.append(np.repeat([t.lr * x for x in f.lr], sizes))
            decays.append(
                np.repeat([t.weight_decay * x for x in f.weight_decay], sizes)
            )
        lr = np.array(rates, dtype=np.float64)
        decay = np.array(decays, dtype=np.float64)
        self.opt = StackedOptimizer(tr.optimizer_spec(), self.flat, lr, decay)
        self._resize()

    def _resize(self) -> None:
        """Views of the parameters; new gradient and activation buffers."""
        self.params = param_views(self.flat, self.shapes)
        self.gflat = np.empty_like(self.flat)
        self.grads = param_views(self.gflat, self.shapes)
        self.buffers: dict[int, list[FloatArray]] = {}
        self.batch: dict[int, FloatArray] = {}
        self.ones = np.ones(0, dtype=self.flat.dtype)
        self.wb = np.empty(0, dtype=self.flat.dtype)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the networks where ``mask`` is true."""
        for name in ("ids", "X", "Xt", "y", "yt", "target", "pre", "schedule"):
            setattr(self, name, _take(getattr(self, name), mask))
        self.flat = self.flat[mask]
        self.opt.keep(mask)
        self._resize()

    def _buffers(self, n: int) -> list[FloatArray]:
        """Per hidden layer: its activations, their gradient and a scratch array."""
        if n not in self.buffers:
            b = self.flat.shape[0]
            widths = [s[0] for s in self.shapes[:-2:2]]
            self.buffers[n] = [
                np.empty((b, n, h), dtype=self.flat.dtype)
                for h in widths
                for _ in range(3)
            ]
        return self.buffers[n]

    def _gather(self, rows: IntArray) -> FloatArray:
        """``X[member, rows]``: each network's rows of its inputs, into a buffer."""
        b, n = rows.shape
        d = self.X.shape[-1]
        if n not in self.batch:
            self.batch[n] = np.empty((b, n, d), dtype=self.X.dtype)
        out = self.batch[n]
        # the rows are valid indices: "clip" only skips the bounds check
        if self.X.strides[0] == 0:
            return np.take(self.X[0], rows, axis=0, out=out, mode="clip")
        flat = np.ascontiguousarray(self.X).reshape(-1, d)
        index = rows + (np.arange(b) * self.X.shape[1])[:, None]
        return np.take(flat, index, axis=0, out=out, mode="clip")

    def forward(
        self, Xa: FloatArray, buffers: list[FloatArray] | None = None
    ) -> tuple[list[FloatArray], FloatArray]:
        """Activations of every layer and the logits, of every network.

        ``Xa`` holds the inputs with a last column of ones (:func:`_shared`): the
        first layer's bias enters its product where :func:`_bias_folds`.
        ``buffers`` (from :meth:`_buffers`) receive the activations; without them
        they are new arrays.
        """
        a = Xa[..., :-1]
        acts = [a]
        params = self.params
        for i in range(len(params) // 2 - 1):
            w, b = params[2 * i], params[2 * i + 1]
            out = None if buffers is None else buffers[3 * i]
            n, (h, d) = a.shape[1], w.shape[1:]
            if i == 0 and _bias_folds(w.dtype, n, d, h):
                if self.wb.shape != (w.shape[0], d + 1, h):
                    self.wb = np.empty((w.shape[0], d + 1, h), dtype=w.dtype)
                wb = self.wb
                wb[:, :d] = w.transpose(0, 2, 1)
                wb[:, d] = b
                z = np.matmul(Xa, wb, out=out)
            else:
                z = np.matmul(a, np.ascontiguousarray(w.transpose(0, 2, 1)), out=out)
                z += b[:, None, :]
            a = _activate(self.activation, z)
            acts.append(a)
        logits = np.matmul(a, np.ascontiguousarray(params[-2].transpose(0, 2, 1)))
        logits += params[-1][:, None, :]
        return acts, logits

    def gradients(self, step: int) -> FloatArray:
        """The loss gradient of every network at ``step``, flat (see :attr:`grads`)."""
        if not self.orders:
            xb, tb = self.X, self.target
        else:
            rows = np.stack([order[step - 1] for order in self.orders])[self.schedule]
            member = np.arange(rows.shape[0])[:, None]
            xb, tb = self._gather(rows), self.target[member, rows]
        n = xb.shape[1]
        buffers = self._buffers(n)
        acts, logits = self.forward(xb, buffers)
        dlogits = _logit_grad(self.head, logits, tb)
        params, grads = self.params, self.grads
        n_hidden = len(params) // 2 - 1
        if self.ones.size != n:
            self.ones = np.ones(n, dtype=xb.dtype)
        np.matmul(dlogits.transpose(0, 2, 1), acts[-1], out=grads[-2])
        np.matmul(self.ones, dlogits, out=grads[-1])
        if n_hidden:
            da = np.matmul(dlogits, params[-2], out=buffers[3 * n_hidden - 2])
            for i in range(n_hidden - 1, -1, -1):
                tmp = buffers[3 * i + 2]
                dz = _activation_grad_into(self.activation, acts[i + 1], da, tmp)
                np.matmul(dz.transpose(0, 2, 1), acts[i], out=grads[2 * i])
                np.matmul(self.ones, dz, out=grads[2 * i + 1])
                if i:
                    da = np.matmul(dz, params[2 * i], out=buffers[3 * i - 2])
        return self.gflat

    def precondition(self, gflat: FloatArray) -> None:
        """P = I + 11^T on the heads' gradients of the preconditioned networks."""
        if self.pre.any():
            grads = param_views(gflat, self.shapes)
            idx = np.flatnonzero(self.pre)
            grads[-2][idx] += grads[-2][idx].sum(axis=1, keepdims=True)
            grads[-1][idx] += grads[-1][idx].sum(axis=1, keepdims=True)

    def snapshot(self, records: _Records, i: int) -> np.ndarray:
        """Record every network at record ``i``; True where its losses are finite."""
        ids = self.ids
        with np.errstate(all="ignore"):
            for name, p in zip(records.names, self.params, strict=True):
                records.params[name][ids, i] = p
            for split, X, y in (("train", self.X, self.y), ("test", self.Xt, self.yt)):
                _, logits = self.forward(X)
                loss, proba = _losses_and_probas(self.head, logits, y)
                records.loss[split][ids, i] = loss
                records.proba[split][ids, i] = proba
                records.accuracy[split][ids, i] = np.mean(
                    np.argmax(proba, axis=-1) == y, axis=1
                )
        finite: np.ndarray = np.isfinite(records.loss["train"][ids, i]) & np.isfinite(
            records.loss["test"][ids, i]
        )
        return finite


def _losses_and_probas(
    head: str, logits: FloatArray, y: IntArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`~softlogit.experiment._networks.loss_and_proba` of every network.

    ``logits`` has shape (n_networks, n, units), ``y`` (n_networks, n); returns the
    mean losses (n_networks,) and the probabilities (n_networks, n, n_classes).
    """
    binary, z = head_logits(head, logits.reshape(-1, logits.shape[-1]), _prepend_zero)
    n = logits.shape[1]
    if binary:
        d = z.reshape(logits.shape[:2])
        losses = binary_cross_entropy_kernel(d, y.astype(d.dtype))
        proba = np.stack([sigmoid(-d), sigmoid(d)], axis=-1)
        return np.sum(losses, axis=1) / n, proba
    logp = log_softmax(z, axis=1).reshape(*logits.shape[:2], -1)
    picked = np.take_along_axis(logp, y[..., None], axis=2)[..., 0]
    return -np.mean(picked, axis=1), np.exp(logp)


def _stop(
    stack: _Stack,
    records: _Records,
    bad: np.ndarray,
    step: int,
    what: str,
    names: Sequence[str],
) -> None:
    """Record the divergence of the networks where ``bad`` is true; drop them."""
    for job in stack.ids[bad]:
        records.diverged_at[job] = step
        records.message[job] = (
            f"network {names[job]} diverged at step {step}: the {what} became NaN or "
            "infinite (try a smaller learning rate)."
        )
    stack.keep(~bad)


def train_batched(jobs: Sequence[BatchJob]) -> list[Trajectory]:
    """Train networks that share a :func:`stack_key` at once; one trajectory each.

    Parameters
    ----------
    jobs : sequence of BatchJob
        Networks with equal :func:`stack_key` (equal head kind, shapes and
        procedure; any learning rate, data split, initialization and minibatch
        order).

    Returns
    -------
    list of Trajectory
        In the order of ``jobs``, as the NumPy engine records them (same steps,
        losses, probabilities, accuracies and divergence messages; ``seconds`` is
        the stack's time divided among its networks).

    Raises
    ------
    ValueError
        If the jobs do not share one stack key (a programming error).
    """
    t0 = time.perf_counter()
    keys = {stack_key(j) for j in jobs}
    if len(keys) != 1:
        raise ValueError(f"jobs must share one stack key; got {len(keys)}.")
    tr = jobs[0].spec.training
    rec = record_steps(tr.steps, tr.record_interval)
    records = _Records(jobs, rec.size)
    names = [j.net.name for j in jobs]
    stack = _Stack(jobs)
    finite = stack.snapshot(records, 0)
    records.kept[stack.ids] = 1
    for job in stack.ids[~finite]:
        records.diverged_at[job] = 0
        records.kept[job] = 0
        records.message[job] = f"network {names[job]}: the initial loss is not finite."
    stack.keep(finite)
    next_rec = 1
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, tr.steps + 1):
            if stack.ids.size == 0:
                break
            grads = stack.gradients(step)
            # NaN anywhere in a network's logits reaches its head's bias gradient
            bad = ~np.isfinite(stack.grads[-1].sum(axis=1))
            if bad.any():
                grads = grads[~bad]
                _stop(stack, records, bad, step, "gradient", names)
            stack.precondition(grads)
            stack.opt.step(stack.flat, grads)
            if step == rec[next_rec]:
                finite = stack.snapshot(records, next_rec)
                records.kept[stack.ids[finite]] = next_rec + 1
                if not finite.all():
                    _stop(stack, records, ~finite, step, "loss", names)
                next_rec += 1
    seconds = (time.perf_counter() - t0) / len(jobs)
    return [_trajectory(j, b, records, rec, seconds) for b, j in enumerate(jobs)]


def _trajectory(
    job: BatchJob, b: int, records: _Records, rec: IntArray, seconds: float
) -> Trajectory:
    keep = int(records.kept[b])
    net = job.net
    return Trajectory(
        name=net.name,
        description=net.description,
        head=net.head,
        steps=rec[:keep],
        train_loss=records.loss["train"][b, :keep],
        test_loss=records.loss["test"][b, :keep],
        params={name: h[b, :keep] for name, h in records.params.items()},
        proba_train=records.proba["train"][b, :keep],
        proba_test=records.proba["test"][b, :keep],
        head_lr_multiplier=net.head_lr_multiplier,
        head_weight_decay_multiplier=net.head_weight_decay_multiplier,
        preconditioned=net.preconditioned,
        diverged_at=records.diverged_at[b],
        message=records.message[b],
        seconds=seconds,
        train_accuracy=records.accuracy["train"][b, :keep],
        test_accuracy=records.accuracy["test"][b, :keep],
    )
