"""The networks of the experiment, with forward and backward passes written by hand.

All networks share one base (hidden layers with one activation) and differ in the head:

=============  ============  =======  ======================================  ===========
name           head kind     units    P(y = k | x)                            trained as
=============  ============  =======  ======================================  ===========
``0``          difference    2        sigmoid(z2 - z1) for class 1            spec
``1``          sigmoid       1        sigmoid(z) for class 1                  spec
``2``          softmax       2        softmax(z1, z2)                         spec
``1c``         sigmoid       1        sigmoid(z)                              head lr x2,
                                                                              head decay x1/2
``softmax``    softmax       K        softmax(z)                              spec
``reference``  reference     K - 1    softmax(0, z_1, ..., z_{K-1})           spec
``reference-P`` reference    K - 1    softmax(0, z_1, ..., z_{K-1})           head gradient
                                                                              times P
``0-ulp``      difference    2        sigmoid(z2 - z1)                        spec
``softmax-ulp`` softmax      K        softmax(z)                              spec
=============  ============  =======  ======================================  ===========

with :math:`P = I + 11^T` over the K - 1 classes (T6; for K = 2, P = 2). The two
``-ulp`` networks are the sensitivity controls: network 0 (or the softmax head) with
one initial head weight moved by one unit in the last place (:func:`initial_params`).

Parameters are kept in PyTorch's layout, in this order: ``base.0.weight`` (out, in),
``base.0.bias``, ..., ``head.weight`` (units, last width), ``head.bias``. The loss is
the mean cross-entropy over the batch, computed from logits.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from softlogit._special import (
    binary_cross_entropy,
    log_softmax,
    sigmoid,
    sigmoid_exp,
    softmax_rows,
)
from softlogit._typing import FloatArray, IntArray

if TYPE_CHECKING:
    from softlogit.experiment._spec import TrainingSpec

__all__ = [
    "CONTROL_OF",
    "NetworkDef",
    "ParamFactors",
    "backward",
    "forward",
    "head_logits",
    "head_units",
    "init_params",
    "initial_params",
    "loss_and_proba",
    "network_def",
    "param_factors",
    "param_names",
]

HEAD_KINDS = ("difference", "sigmoid", "softmax", "reference")

#: sensitivity control -> the network it perturbs by one ulp
CONTROL_OF: dict[str, str] = {"0-ulp": "0", "softmax-ulp": "softmax"}


@dataclass(frozen=True)
class NetworkDef:
    """How one network of the experiment is built and trained.

    Attributes
    ----------
    name : str
    head : {'difference', 'sigmoid', 'softmax', 'reference'}
    head_lr_multiplier : float
        Factor on the head's learning rate (2 for ``'1c'``).
    head_weight_decay_multiplier : float
        Factor on the head's weight decay (1/2 for ``'1c'``).
    preconditioned : bool
        Whether the head's loss gradient is multiplied by :math:`P = I + 11^T`.
    description : str
    perturbed : bool
        Whether the network starts one ulp away from its head kind's initial weights
        (the sensitivity controls ``'0-ulp'``, ``'softmax-ulp'``).
    """

    name: str
    head: str
    head_lr_multiplier: float = 1.0
    head_weight_decay_multiplier: float = 1.0
    preconditioned: bool = False
    description: str = ""
    perturbed: bool = False


def network_def(name: str, n_classes: int) -> NetworkDef:
    """The definition of network ``name`` for ``n_classes`` classes.

    Examples
    --------
    >>> from softlogit.experiment._networks import network_def
    >>> network_def("1c", 2).head_lr_multiplier
    2.0
    """
    k = n_classes
    defs = {
        "0": NetworkDef(
            "0", "difference", description="2 units, P(y=1) = sigmoid(z2 - z1)"
        ),
        "1": NetworkDef("1", "sigmoid", description="1 unit, P(y=1) = sigmoid(z)"),
        "2": NetworkDef("2", "softmax", description="2 units, P = softmax(z1, z2)"),
        "1c": NetworkDef(
            "1c",
            "sigmoid",
            head_lr_multiplier=2.0,
            head_weight_decay_multiplier=0.5,
            description="network 1 with head learning rate x2, head weight decay x1/2",
        ),
        "softmax": NetworkDef(
            "softmax", "softmax", description=f"{k} units, P = softmax(z)"
        ),
        "reference": NetworkDef(
            "reference",
            "reference",
            description=f"{k - 1} units, P = softmax(0, z) (class 0 as reference)",
        ),
        "reference-P": NetworkDef(
            "reference-P",
            "reference",
            preconditioned=True,
            description=f"{k - 1} units, head gradient preconditioned by P = I + 11^T",
        ),
        "0-ulp": NetworkDef(
            "0-ulp",
            "difference",
            description="network 0 with one initial weight moved by one ulp",
            perturbed=True,
        ),
        "softmax-ulp": NetworkDef(
            "softmax-ulp",
            "softmax",
            description="the softmax head's network with one initial weight moved by "
            "one ulp",
            perturbed=True,
        ),
    }
    if name not in defs or (name in ("0", "1", "2", "1c", "0-ulp") and k != 2):
        raise ValueError(f"unknown network {name!r} for {k} classes.")
    return defs[name]


def head_units(head: str, n_classes: int) -> int:
    """Number of output units of a head kind."""
    if head == "difference":
        return 2
    if head == "sigmoid":
        return 1
    if head == "softmax":
        return n_classes
    return n_classes - 1


def param_names(n_hidden_layers: int) -> list[str]:
    """Parameter names in order, e.g. ``['base.0.weight', ..., 'head.bias']``."""
    names = []
    for i in range(n_hidden_layers):
        names += [f"base.{i}.weight", f"base.{i}.bias"]
    return [*names, "head.weight", "head.bias"]


class ParamFactors(NamedTuple):
    """Per-parameter factors on the learning rate and the weight decay."""

    lr: tuple[float, ...]
    weight_decay: tuple[float, ...]


def param_factors(
    net: NetworkDef, training: TrainingSpec, n_params: int
) -> ParamFactors:
    """The learning-rate and weight-decay factors of a network's ``n_params`` arrays.

    In the order of :func:`param_names`: the base's ``n_params - 2`` arrays take
    ``training.base_lr_multiplier`` and decay factor 1; the head's weight and bias
    take ``training.head_lr_multiplier * net.head_lr_multiplier`` and
    ``net.head_weight_decay_multiplier``. Array ``i`` trains with the learning rate
    ``training.lr * lr[i]`` and the weight decay ``training.weight_decay *
    weight_decay[i]``; ``n_params=2`` gives the head's factors alone. Every engine
    takes its rates from here.

    Examples
    --------
    >>> from softlogit.experiment._networks import network_def, param_factors
    >>> from softlogit.experiment._spec import TrainingSpec
    >>> param_factors(network_def("1c", 2), TrainingSpec(), 4)
    ParamFactors(lr=(1.0, 1.0, 2.0, 2.0), weight_decay=(1.0, 1.0, 0.5, 0.5))
    """
    n_base = n_params - 2
    head_lr = training.head_lr_multiplier * net.head_lr_multiplier
    return ParamFactors(
        lr=(training.base_lr_multiplier,) * n_base + (head_lr,) * 2,
        weight_decay=(1.0,) * n_base + (net.head_weight_decay_multiplier,) * 2,
    )


def init_params(
    n_features: int,
    hidden: tuple[int, ...],
    n_classes: int,
    heads: list[str],
    *,
    init_from: str,
    gauge: str,
    rng: np.random.Generator,
    dtype: np.dtype[np.floating],
) -> dict[str, list[FloatArray]]:
    """Equivalent initial parameters for every head kind in ``heads``.

    The base is drawn once (PyTorch's ``nn.Linear`` rule, uniform on
    :math:`\\pm 1/\\sqrt{\\text{fan\\_in}}`, in float64) and shared. The head is drawn
    in the form ``init_from`` and mapped to the others so that all compute the same
    function: reference-class coordinates :math:`v_k = w_k - w_0`; K-unit heads from
    reference ones in ``gauge`` (``'reference'``: :math:`w_0 = 0`; ``'centered'``:
    rows summing to 0).

    Returns
    -------
    dict of str to list of ndarray
        Head kind -> parameters in the order of :func:`param_names`.
    """
    widths = (n_features, *hidden)
    base: list[FloatArray] = []
    for fan_in, fan_out in itertools.pairwise(widths):
        bound = 1.0 / np.sqrt(fan_in)
        base.append(rng.uniform(-bound, bound, size=(fan_out, fan_in)))
        base.append(rng.uniform(-bound, bound, size=fan_out))
    last = widths[-1]
    bound = 1.0 / np.sqrt(last)
    k = n_classes
    if init_from == "softmax":
        w_full = rng.uniform(-bound, bound, size=(k, last))
        b_full = rng.uniform(-bound, bound, size=k)
        w_ref = w_full[1:] - w_full[0]
        b_ref = b_full[1:] - b_full[0]
    else:
        w_ref = rng.uniform(-bound, bound, size=(k - 1, last))
        b_ref = rng.uniform(-bound, bound, size=k - 1)
        w_full = np.vstack([np.zeros((1, last)), w_ref])
        b_full = np.concatenate([[0.0], b_ref])
        if gauge == "centered":
            w_full = w_full - w_full.mean(axis=0)
            b_full = b_full - b_full.mean()
    out: dict[str, list[FloatArray]] = {}
    for head in heads:
        if head in ("difference", "softmax"):
            hw, hb = w_full, b_full
        else:
            hw, hb = w_ref, b_ref
        out[head] = [np.array(p, dtype=dtype) for p in (*base, hw, hb)]
    return out


def initial_params(
    net: NetworkDef, inits: dict[str, list[FloatArray]]
) -> list[FloatArray]:
    """The initial parameters of ``net`` from the equivalent ones of its head kind.

    A sensitivity control (``net.perturbed``) gets a copy whose largest head weight
    (in magnitude; the first on a tie) is moved away from zero by one unit in the
    last place of its dtype. Its products reach every logit with a weight as large
    as the head's own, so the one-ulp change enters the logits' rounding at once (a
    small weight's change would mostly be absorbed by it). Every other network gets
    its head kind's parameters themselves.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit.experiment._networks import initial_params, network_def
    >>> inits = {"difference": [np.array([[0.5, -1.0]]), np.zeros(1)]}
    >>> moved = initial_params(network_def("0-ulp", 2), inits)[0]
    >>> float(moved[0, 1] + 1.0) == -float(np.spacing(1.0)), float(moved[0, 0])
    (True, 0.5)
    """
    params = inits[net.head]
    if not net.perturbed:
        return params
    out = [np.array(p, copy=True) for p in params]
    head = out[-2]
    i = int(np.argmax(np.abs(head)))
    head.flat[i] = np.nextafter(
        head.flat[i], np.copysign(np.inf, head.flat[i]), dtype=head.dtype
    )
    return out


def _activate(name: str, z: FloatArray) -> FloatArray:
    if name == "tanh":
        return np.tanh(z, out=z)
    if name == "relu":
        return np.maximum(z, 0, out=z)
    if name == "sigmoid":
        return sigmoid_exp(z, out=z)[0]
    return z


def _activation_grad(name: str, a: FloatArray, da: FloatArray) -> FloatArray:
    """``da * act'(pre)`` expressed through the activation's output ``a``."""
    if name == "tanh":
        return da * (1 - a * a)  # tanh' = 1 - tanh^2
    if name == "sigmoid":
        return da * (a * (1 - a))  # sigmoid' = s (1 - s)
    if name == "relu":
        return da * (a > 0)
    return da


def forward(
    params: list[FloatArray], X: FloatArray, activation: str
) -> tuple[list[FloatArray], FloatArray]:
    """Activations of every layer (inputs first) and the head's logits."""
    acts = [X]
    a = X
    n_hidden = len(params) // 2 - 1
    for i in range(n_hidden):
        w, b = params[2 * i], params[2 * i + 1]
        # a contiguous copy of the small transposed weight keeps BLAS on its fast path
        z = a @ np.ascontiguousarray(w.T)
        z += b
        a = _activate(activation, z)
        acts.append(a)
    logits = a @ np.ascontiguousarray(params[-2].T)
    logits += params[-1]
    return acts, logits


def logit_grad(head: str, logits: FloatArray, target: FloatArray) -> FloatArray:
    """Gradient of the mean cross-entropy with respect to the head's logits.

    ``target`` holds the one-hot labels (n, K) for the softmax-type heads and the
    labels as floats (n,) for the two binary heads.
    """
    n = logits.shape[0]
    if head == "difference":
        # P(y=1) = sigmoid(d), d = z2 - z1; dL/dd = sigmoid(d) - y, dL/dz1 = -dL/dd
        r, _ = sigmoid_exp(logits[:, 1] - logits[:, 0])
        r -= target
        r /= n
        return np.stack([-r, r], axis=1)
    if head == "sigmoid":
        r, _ = sigmoid_exp(logits[:, 0])
        r -= target
        r /= n
        return r[:, None]
    if head == "softmax":
        p = softmax_rows(logits)
        p -= target
        p /= n
        return p
    # reference: logits of all K classes are (0, z); dL/dz_k = p_k - y_k for k >= 1
    p = softmax_rows(logits, zero_logit=True)
    p -= target[:, 1:]
    p /= n
    return p


def backward(
    params: list[FloatArray],
    acts: list[FloatArray],
    dlogits: FloatArray,
    activation: str,
    grads: list[FloatArray],
) -> None:
    """Write the gradient of every parameter into ``grads`` (same order as params)."""
    n_hidden = len(params) // 2 - 1
    a = acts[-1]
    # column sums as a matrix-vector product: BLAS is faster than a reduction here
    ones = np.ones(a.shape[0], dtype=a.dtype)
    np.matmul(dlogits.T, a, out=grads[-2])
    np.matmul(ones, dlogits, out=grads[-1])
    if n_hidden == 0:
        return
    da = dlogits @ params[-2]
    for i in range(n_hidden - 1, -1, -1):
        dz = _activation_grad(activation, acts[i + 1], da)
        np.matmul(dz.T, acts[i], out=grads[2 * i])
        np.matmul(ones, dz, out=grads[2 * i + 1])
        if i:
            da = dz @ params[2 * i]


def head_logits(
    head: str, z: Any, prepend_zero: Callable[[Any], Any]
) -> tuple[bool, Any]:
    """What the outputs ``z`` (n, units) of a head mean, for every engine.

    ``(True, d)`` for the binary heads, with :math:`P(y = 1) = \\sigma(d)`:
    ``d = z2 - z1`` (``'difference'``) or ``d = z`` (``'sigmoid'``). ``(False,
    logits)`` for the others, with the logits of all classes: ``z`` itself
    (``'softmax'``) or ``z`` after a zero column, the reference class's logit
    (``'reference'``; ``prepend_zero(z)`` builds it in the engine's framework).
    Works on NumPy arrays and framework tensors alike.
    """
    if head == "difference":
        return True, z[:, 1] - z[:, 0]
    if head == "sigmoid":
        return True, z[:, 0]
    return False, prepend_zero(z) if head == "reference" else z


def _prepend_zero(z: FloatArray) -> FloatArray:
    out: FloatArray = np.hstack([np.zeros((z.shape[0], 1), z.dtype), z])
    return out


def loss_and_proba(
    head: str, logits: FloatArray, y: IntArray
) -> tuple[float, FloatArray]:
    """Mean cross-entropy and the class probabilities (n, K), computed from logits.

    Uses :mod:`softlogit._special`: binary cross-entropy of the logit (difference)
    for the binary heads, the log-softmax for the others (loss
    :math:`-\\text{mean}\\log p_y`, probabilities :math:`\\exp\\log p`).
    """
    binary, z = head_logits(head, logits, _prepend_zero)
    if binary:
        loss = float(binary_cross_entropy(z, y.astype(logits.dtype)))
        # P(y=0) = sigmoid(-d) exactly (not 1 - sigmoid(d), which loses digits)
        proba = np.stack([sigmoid(-z), sigmoid(z)], axis=1)
        return loss, proba
    # one stable log-softmax gives both: loss = -mean log p_y, proba = exp(log p)
    logp = log_softmax(z, axis=1)
    loss = -float(np.mean(np.take_along_axis(logp, y[:, None], axis=1)))
    return loss, np.exp(logp)
