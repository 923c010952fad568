""":class:`~softlogit.LinearModelLoss` on Dask arrays: per chunk on the workers, summed.

The objective of a linear model is a weighted mean over samples plus a penalty,

.. math::

    F = \\frac{1}{S}\\sum_i s_i \\ell_i + \\frac{\\lambda}{2}\\lVert W\\rVert^2
      = \\sum_b \\frac{S_b}{S} F_b,
    \\qquad S_b = \\sum_{i \\in b} s_i,\\; S = \\sum_b S_b,

where :math:`F_b` is the same objective (with the same :math:`\\lambda`) on the rows
of block :math:`b` alone: the block means weighted by their share of the weights
give the global mean, and the shares add up to 1 in front of the penalty. The same
holds for the gradient, the Hessian and Hessian-vector products, which are linear in
:math:`F`. So :class:`ChunkedLinearModelLoss` evaluates the in-memory
:class:`~softlogit.LinearModelLoss` on every block (on the workers), multiplies by
:math:`S_b`, adds the blocks (a tree reduction on the workers) and divides by
:math:`S` on the client: one pass over the data per evaluation, no formula derived
twice. Blocks without rows or without weight contribute nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from softlogit._dask import report_pass
from softlogit._dask._blocks import summed_blocks
from softlogit._linear_loss import HessP, LinearModelLoss
from softlogit._typing import ArrayLike, FloatArray

__all__ = ["ChunkedLinearModelLoss"]

# What each method's pass is reported as (softlogit._dask.Pass.kind).
_KINDS = {
    "loss": "loss",
    "loss_gradient": "gradient",
    "gradient_hessian": "hessian",
    "hessp": "hessian-product",
}


@dataclass(frozen=True)
class _Call:
    """One evaluation, as sent to every block: the local loss, the method and its
    arguments (``extra`` is the direction of a Hessian-vector product)."""

    lml: LinearModelLoss
    method: str
    coef: FloatArray
    l2: float
    kwargs: dict[str, Any]
    extra: FloatArray | None
    size: int


def _evaluate(lml: LinearModelLoss, call: _Call, X: Any, y: Any, sw: Any) -> list[Any]:
    """The local method's outputs on one block (or on in-memory data), as a list."""
    if call.method == "hessp":
        assert call.extra is not None
        grad, hessp = lml.gradient_hessian_product(call.coef, X, y, sw, call.l2)
        return [grad, hessp(call.extra)]
    out = getattr(lml, call.method)(call.coef, X, y, sw, call.l2, **call.kwargs)
    return list(out) if isinstance(out, tuple) else [out]


def _block_sums(
    Xb: FloatArray, yb: np.ndarray, swb: FloatArray | None = None, *, spec: _Call
) -> FloatArray:
    """``[S_b, S_b * outputs...]`` of one block, shape ``(1, 1 + size)``."""
    out = np.zeros((1, 1 + spec.size))
    y, sw = yb, swb
    weight = float(Xb.shape[0]) if sw is None else float(np.sum(sw))
    if Xb.shape[0] == 0 or not weight > 0:
        return out  # no rows, or no weight: nothing to add
    parts = _evaluate(spec.lml, spec, Xb, y, sw)
    out[0, 0] = weight
    out[0, 1:] = weight * np.concatenate([np.ravel(p) for p in parts])
    return out


class ChunkedLinearModelLoss(LinearModelLoss):
    """:class:`~softlogit.LinearModelLoss` whose ``X``, ``y`` and ``sample_weight``
    are Dask arrays chunked along rows (see the module documentation).

    ``loss``, ``loss_gradient``, ``gradient`` (inherited), ``gradient_hessian`` and
    ``gradient_hessian_product`` take the same arguments as the in-memory class and
    return the same values up to rounding; each call is one pass over the data (a
    Hessian-vector product one more per product). Arguments are not validated
    again: the estimators' checks of the whole data set came first.

    Parameters
    ----------
    base_loss : BinomialLoss or MultinomialLoss
    fit_intercept : bool
    name : str, default="loss"
        Prefix of the Dask task names.
    """

    def __init__(
        self,
        base_loss: Any,
        fit_intercept: bool = True,
        *,
        name: str = "loss",
    ) -> None:
        super().__init__(base_loss, fit_intercept)
        self._local = LinearModelLoss(base_loss, fit_intercept)
        self._name = name

    def _summed(
        self,
        method: str,
        coef: ArrayLike,
        X: Any,
        y: Any,
        sample_weight: Any,
        l2_reg_strength: float,
        extra: ArrayLike | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """The method's outputs, summed over blocks, in the local method's shapes."""
        started = time.perf_counter()
        c = np.asarray(coef, dtype=np.float64)
        e = None if extra is None else np.asarray(extra, dtype=np.float64)
        probe = _Call(self._local, method, c, float(l2_reg_strength), kwargs, e, 0)
        # The shapes of the outputs: the local method on one row of zeros (class 0).
        template = _evaluate(
            self._local, probe, np.zeros((1, X.shape[1])), np.zeros(1, y.dtype), None
        )
        sizes = [int(np.size(t)) for t in template]
        call = _Call(self._local, method, c, probe.l2, kwargs, e, sum(sizes))
        columns = (y,) if sample_weight is None else (y, sample_weight)
        total = summed_blocks(
            _block_sums, call.size + 1, X, *columns, spec=call, name=self._name
        )
        flat = total[1:] / total[0]
        outputs: list[Any] = []
        start = 0
        for t, size in zip(template, sizes, strict=True):
            part = flat[start : start + size]
            outputs.append(float(part[0]) if np.ndim(t) == 0 else part.reshape(t.shape))
            start += size
        _report(method, started, outputs)
        return outputs

    def loss(
        self,
        coef: ArrayLike,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        l2_reg_strength: float = 0.0,
    ) -> float:
        value: float = self._summed("loss", coef, X, y, sample_weight, l2_reg_strength)[
            0
        ]
        return value

    def loss_gradient(
        self,
        coef: ArrayLike,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        l2_reg_strength: float = 0.0,
    ) -> tuple[float, FloatArray]:
        value, grad = self._summed(
            "loss_gradient", coef, X, y, sample_weight, l2_reg_strength
        )
        return value, grad

    def gradient_hessian(
        self,
        coef: ArrayLike,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        l2_reg_strength: float = 0.0,
        *,
        reference_index: int | None = None,
        reference_class: int | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        kwargs = {} if reference_index is None else {"reference_index": reference_index}
        if reference_class is not None:
            kwargs["reference_class"] = reference_class
        grad, hess = self._summed(
            "gradient_hessian", coef, X, y, sample_weight, l2_reg_strength, **kwargs
        )
        return grad, hess

    def gradient_hessian_product(
        self,
        coef: ArrayLike,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        l2_reg_strength: float = 0.0,
    ) -> tuple[FloatArray, HessP]:
        """The gradient (one pass) and ``hessp``, one pass per product."""
        grad = self.gradient(coef, X, y, sample_weight, l2_reg_strength)

        def hessp(s: ArrayLike) -> FloatArray:
            product: FloatArray = self._summed(
                "hessp", coef, X, y, sample_weight, l2_reg_strength, extra=s
            )[1]
            return product

        return grad, hessp


def _report(method: str, started: float, outputs: list[Any]) -> None:
    """Report the pass to :func:`softlogit._dask.progress`."""
    objective = outputs[0] if method in ("loss", "loss_gradient") else None
    grad = {"loss_gradient": 1, "gradient_hessian": 0, "hessp": 0}.get(method)
    grad_max = None
    if grad is not None and method != "hessp":
        g = np.asarray(outputs[grad])
        grad_max = float(np.max(np.abs(g))) if g.size else 0.0
    report_pass(_KINDS[method], started, objective, grad_max)
