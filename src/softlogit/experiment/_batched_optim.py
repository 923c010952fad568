"""The parameters of a stack of networks in one array, and their optimizer.

A stack (:mod:`softlogit.experiment._batched`) keeps the parameters of its networks
in one array of shape (n_networks, n_parameters), each network's arrays flattened
one after the other in the order of :func:`~softlogit.experiment._networks.
param_names`; :func:`param_views` gives every array as a view into it. The
optimizer then updates all arrays of all networks with one operation per term of
its update rule, instead of one per array.

Each update is :class:`softlogit._optimizers.Optimizer`'s, operation by operation,
element by element: the learning rate and the weight decay of each element are its
network's, times its array's factor (the head's multipliers), cast to the
parameters' dtype as NumPy casts a Python float. The results are the same numbers
as the scalar optimizer's; the intermediate results are written into buffers kept
between steps instead of new arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from softlogit._optimizers import OptimizerSpec
from softlogit._typing import FloatArray

__all__ = ["StackedOptimizer", "param_views"]


def param_views(
    flat: FloatArray, shapes: Sequence[tuple[int, ...]]
) -> list[FloatArray]:
    """Views of ``flat`` (n_networks, n_parameters) as the arrays of ``shapes``.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit.experiment._batched_optim import param_views
    >>> w, b = param_views(np.arange(12.0).reshape(2, 6), [(2, 2), (2,)])
    >>> w[1].tolist(), b[1].tolist()
    ([[6.0, 7.0], [8.0, 9.0]], [10.0, 11.0])
    """
    views: list[FloatArray] = []
    start = 0
    for shape in shapes:
        size = int(np.prod(shape, dtype=np.int64))
        views.append(flat[:, start : start + size].reshape(flat.shape[0], *shape))
        start += size
    return views


class StackedOptimizer:
    """:class:`softlogit._optimizers.Optimizer` over the flat parameters of a stack.

    Parameters
    ----------
    spec : OptimizerSpec
        The update rule (shared by the networks).
    flat : ndarray
        The parameters, shape (n_networks, n_parameters).
    lr, decay : ndarray
        The learning rate and the weight decay of every element (float64, the shape
        of ``flat``).
    """

    def __init__(
        self, spec: OptimizerSpec, flat: FloatArray, lr: FloatArray, decay: FloatArray
    ) -> None:
        self.spec = spec
        self.t = 0
        self._set(lr, decay, flat.dtype)
        self.state: list[FloatArray] = []
        if spec.is_adam:
            self.state = [np.zeros_like(flat), np.zeros_like(flat)]
        self._tmp = np.empty_like(flat)
        self._tmp2 = np.empty_like(flat)
        self._rate = np.empty_like(lr)

    def _set(self, lr: FloatArray, decay: FloatArray, dtype: np.dtype) -> None:
        self.lr = lr
        self.decay = decay
        self.neg_lr = (-lr).astype(dtype)
        self.decay_cast = decay.astype(dtype)
        self.shrink = (1 - lr * decay).astype(dtype)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the networks where ``mask`` is true."""
        dtype = self.neg_lr.dtype
        self._set(self.lr[mask], self.decay[mask], dtype)
        self.state = [s[mask] for s in self.state]
        self._tmp = self._tmp[mask]
        self._tmp2 = self._tmp2[mask]
        self._rate = self._rate[mask]

    def step(self, p: FloatArray, g: FloatArray) -> None:
        """One update of ``p`` in place; ``g`` (the gradient) is overwritten."""
        spec = self.spec
        self.t += 1
        t = self.t
        tmp = self._tmp
        if spec.weight_decay != 0:
            if spec.decoupled:
                p *= self.shrink
            else:
                np.multiply(self.decay_cast, p, out=tmp)
                np.add(g, tmp, out=g)
        if spec.is_adam:
            beta1, beta2 = spec.betas
            bc2_sqrt = (1 - beta2**t) ** 0.5
            m, v = self.state
            np.subtract(g, m, out=tmp)
            np.multiply(1 - beta1, tmp, out=tmp)
            m += tmp
            v *= beta2
            np.multiply(1 - beta2, g, out=tmp)
            np.multiply(tmp, g, out=tmp)
            v += tmp
            denom = np.sqrt(v, out=self._tmp2)
            denom /= bc2_sqrt
            denom += spec.eps
            np.divide(m, denom, out=tmp)
            rate = np.divide(self.lr, 1 - beta1**t, out=self._rate)
            np.negative(rate, out=rate)
            np.multiply(
                rate if rate.dtype == p.dtype else rate.astype(p.dtype), tmp, out=tmp
            )
            p += tmp
        elif spec.uses_momentum:
            if not self.state:
                self.state = [np.array(g, copy=True)]
            else:
                buf = self.state[0]
                buf *= spec.momentum
                buf += g
            buf = self.state[0]
            if spec.name == "nesterov":
                np.multiply(spec.momentum, buf, out=tmp)
                np.add(g, tmp, out=tmp)
                np.multiply(self.neg_lr, tmp, out=tmp)
            else:
                np.multiply(self.neg_lr, buf, out=tmp)
            p += tmp
        else:
            np.multiply(self.neg_lr, g, out=tmp)
            p += tmp
