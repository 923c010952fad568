"""First-order optimizers with the exact update rules of ``torch.optim``.

The NumPy experiment engine and the estimators train with these; they reproduce
PyTorch's CPU (single-tensor) implementations operation by operation, so that a NumPy
run and a PyTorch run of the same network agree to rounding. In float64 the parameters
after a few dozen steps match ``torch.optim`` to about 1e-15 (the test suite checks it).

Update rules, for a parameter :math:`\\theta` with gradient :math:`g`, learning rate
:math:`\\eta` (the spec's ``lr`` times the parameter's multiplier) and weight decay
:math:`\\lambda` (``weight_decay`` times the parameter's multiplier):

``sgd``
    :math:`\\theta \\leftarrow \\theta - \\eta (g + \\lambda\\theta)`. The spec's
    ``momentum`` is ignored (plain SGD has none).
``momentum``
    Heavy ball, dampening 0 (``torch.optim.SGD(momentum=mu)``): with
    :math:`g' = g + \\lambda\\theta`, the buffer is :math:`b \\leftarrow g'` at the first
    step and :math:`b \\leftarrow \\mu b + g'` afterwards; :math:`\\theta \\leftarrow
    \\theta - \\eta b`. Requires :math:`0 < \\mu < 1`.
``nesterov``
    As ``momentum``, but the step is :math:`\\theta \\leftarrow \\theta - \\eta (g' +
    \\mu b)` (``torch.optim.SGD(momentum=mu, nesterov=True)``).
``adam``
    :math:`m \\leftarrow m + (1 - \\beta_1)(g' - m)`, :math:`v \\leftarrow \\beta_2 v +
    (1 - \\beta_2) g'^2`, :math:`\\theta \\leftarrow \\theta - \\frac{\\eta}{1 -
    \\beta_1^t} \\frac{m}{\\sqrt{v} / \\sqrt{1 - \\beta_2^t} + \\epsilon}`, where
    :math:`t` counts steps from 1 and :math:`g' = g + \\lambda\\theta` (coupled L2, as
    ``torch.optim.Adam(weight_decay=...)``).
``adamw``
    Decoupled decay (``torch.optim.AdamW``): :math:`\\theta \\leftarrow (1 -
    \\eta\\lambda)\\theta` first, then the Adam step with :math:`g' = g`.

With ``decoupled_weight_decay=True`` every optimizer decays as ``adamw`` does
(:math:`\\theta \\leftarrow (1 - \\eta\\lambda)\\theta` before the step, and the decay
term leaves the gradient): ``adam`` becomes ``adamw`` and the SGD family becomes
"SGDW" with a learning-rate-scaled decay (PyTorch has no SGDW; for plain SGD the two
forms agree up to rounding).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from softlogit._typing import FloatArray
from softlogit._validation import Boolean, Options, Real, check_param
from softlogit.errors import InputTypeError, InputValueError

__all__ = ["OPTIMIZER_NAMES", "Optimizer", "OptimizerName", "OptimizerSpec"]
__all__ += ["make_optimizer"]

OptimizerName = Literal["sgd", "momentum", "nesterov", "adam", "adamw"]
OPTIMIZER_NAMES: tuple[str, ...] = get_args(OptimizerName)

_POSITIVE = Real(0, None, low_open=True)
_NON_NEGATIVE = Real(0, None)
_UNIT_OPEN = Real(0, 1, low_open=True, high_open=True)
_UNIT_RIGHT_OPEN = Real(0, 1, high_open=True)


@dataclass(frozen=True)
class OptimizerSpec:
    """Which first-order optimizer to use, with its hyper-parameters.

    Parameters
    ----------
    name : {'sgd', 'momentum', 'nesterov', 'adam', 'adamw'}
        The update rule; see the module documentation of :mod:`softlogit._optimizers`.
        ``'sgd'`` is plain SGD: it ignores ``momentum``.
    lr : float
        Learning rate, finite and > 0.
    momentum : float, default=0.9
        Heavy-ball coefficient for ``'momentum'`` and ``'nesterov'``, in (0, 1).
        (``'momentum'`` always means a positive momentum; use ``'sgd'`` for none.)
    betas : tuple of float, default=(0.9, 0.999)
        Adam's moment coefficients, each in [0, 1).
    eps : float, default=1e-8
        Adam's denominator term (PyTorch's placement: added to
        :math:`\\sqrt{\\hat v}`), >= 0.
    weight_decay : float, default=0.0
        Decay strength :math:`\\lambda \\ge 0`: coupled L2 (added to the gradient) except
        for ``'adamw'`` or with ``decoupled_weight_decay``.
    decoupled_weight_decay : bool, default=False
        Decay the parameters directly, :math:`\\theta \\leftarrow (1 -
        \\eta\\lambda)\\theta`, before the step. Always on for ``'adamw'``.

    Raises
    ------
    InputValueError
        If a hyper-parameter is outside its range; the message names it.
    InputTypeError
        If a hyper-parameter has the wrong type.

    Examples
    --------
    >>> from softlogit._optimizers import OptimizerSpec
    >>> OptimizerSpec("momentum", lr=0.1).momentum
    0.9
    >>> OptimizerSpec("adamw", lr=1e-3, weight_decay=0.01).decoupled
    True
    """

    name: OptimizerName
    lr: float
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    decoupled_weight_decay: bool = False

    def __post_init__(self) -> None:
        check_param("optimizer", self.name, Options(OPTIMIZER_NAMES))
        lr = check_param("lr", self.lr, _POSITIVE)
        mom = check_param("momentum", self.momentum, Real())
        # ``'momentum'`` always means a positive momentum; ``'sgd'`` has none.
        if self.name in ("momentum", "nesterov") and not _UNIT_OPEN.accepts(mom):
            raise InputValueError(
                f"`momentum` must be {_UNIT_OPEN.describe()} for optimizer "
                f"{self.name!r}; got {mom!r} (use optimizer 'sgd' for no momentum)."
            )
        if not isinstance(self.betas, (tuple, list)):
            raise InputTypeError(
                f"`betas` must be a pair (beta1, beta2); got {self.betas!r}."
            )
        if len(self.betas) != 2:
            raise InputValueError(
                f"`betas` must be a pair (beta1, beta2); got {self.betas!r}."
            )
        betas = tuple(
            check_param(f"betas[{i}]", b, _UNIT_RIGHT_OPEN)
            for i, b in enumerate(self.betas)
        )
        values = {
            "lr": lr,
            "momentum": mom,
            "betas": betas,
            "eps": check_param("eps", self.eps, _NON_NEGATIVE),
            "weight_decay": check_param(
                "weight_decay", self.weight_decay, _NON_NEGATIVE
            ),
            "decoupled_weight_decay": check_param(
                "decoupled_weight_decay", self.decoupled_weight_decay, Boolean()
            ),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def decoupled(self) -> bool:
        """Whether weight decay is applied to the parameters rather than the gradient."""
        return self.name == "adamw" or self.decoupled_weight_decay

    @property
    def uses_momentum(self) -> bool:
        """Whether the update keeps a heavy-ball buffer (``momentum``, ``nesterov``)."""
        return self.name in ("momentum", "nesterov")

    @property
    def is_adam(self) -> bool:
        """Whether the update is Adam's (``adam``, ``adamw``)."""
        return self.name in ("adam", "adamw")


class Optimizer:
    """A stateful optimizer over a fixed list of parameter arrays.

    Create it with :func:`make_optimizer`. :meth:`step` updates the arrays in place.

    Attributes
    ----------
    spec : OptimizerSpec
        The update rule.
    lrs : tuple of float
        The learning rate of each parameter (``spec.lr`` times its multiplier).
    weight_decays : tuple of float
        The weight decay of each parameter.
    n_steps : int
        Steps taken so far.
    """

    def __init__(
        self,
        spec: OptimizerSpec,
        shapes: Sequence[tuple[int, ...]],
        dtypes: Sequence[np.dtype[np.floating]],
        lrs: Sequence[float],
        weight_decays: Sequence[float],
    ) -> None:
        self.spec = spec
        self.lrs = tuple(lrs)
        self.weight_decays = tuple(weight_decays)
        self.n_steps = 0
        self._shapes = tuple(shapes)
        self._buf: list[FloatArray | None] = [None] * len(shapes)
        self._m: list[FloatArray] = []
        self._v: list[FloatArray] = []
        if spec.is_adam:
            self._m = [
                np.zeros(s, dtype=d) for s, d in zip(shapes, dtypes, strict=True)
            ]
            self._v = [
                np.zeros(s, dtype=d) for s, d in zip(shapes, dtypes, strict=True)
            ]

    def step(self, params: Sequence[FloatArray], grads: Sequence[FloatArray]) -> None:
        """Apply one update to ``params`` in place.

        Parameters
        ----------
        params : sequence of ndarray
            The arrays given to :func:`make_optimizer` (same order and shapes).
        grads : sequence of ndarray
            The gradient of the loss with respect to each array (without weight decay).
            They are not modified.
        """
        spec = self.spec
        self.n_steps += 1
        t = self.n_steps
        decoupled = spec.decoupled
        if spec.is_adam:
            beta1, beta2 = spec.betas
            # PyTorch: bias corrections as Python floats, step_size = lr / bc1.
            bc1 = 1 - beta1**t
            bc2_sqrt = (1 - beta2**t) ** 0.5
            one_minus_b1 = 1 - beta1
            one_minus_b2 = 1 - beta2
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            lr = self.lrs[i]
            wd = self.weight_decays[i]
            if wd != 0:
                if decoupled:
                    p *= 1 - lr * wd
                else:
                    g = g + wd * p
            if spec.is_adam:
                m = self._m[i]
                v = self._v[i]
                # exp_avg.lerp_(g, 1 - beta1): m + w (g - m) for a weight w < 0.5
                m += one_minus_b1 * (g - m)
                # exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                v *= beta2
                v += one_minus_b2 * g * g
                denom = np.sqrt(v)
                denom /= bc2_sqrt
                denom += spec.eps
                # param.addcdiv_(m, denom, value=-lr / bc1)
                p += -(lr / bc1) * (m / denom)
            elif spec.uses_momentum:
                buf = self._buf[i]
                if buf is None:
                    buf = np.array(g, copy=True)
                    self._buf[i] = buf
                else:
                    buf *= spec.momentum
                    buf += g
                if spec.name == "nesterov":
                    p += -lr * (g + spec.momentum * buf)
                else:
                    p += -lr * buf
            else:
                p += -lr * g


def make_optimizer(
    spec: OptimizerSpec,
    params: Sequence[FloatArray],
    lr_multipliers: Sequence[float] | None = None,
    weight_decay_multipliers: Sequence[float] | None = None,
) -> Optimizer:
    """Create an optimizer for ``params`` (PyTorch's semantics, one group per array).

    Parameters
    ----------
    spec : OptimizerSpec
        The update rule and its hyper-parameters.
    params : sequence of ndarray
        Floating arrays the optimizer will update in place; its state (momentum buffer,
        Adam moments) has their shapes and dtypes.
    lr_multipliers : sequence of float, optional
        One positive factor per array: array ``i`` uses the learning rate
        ``spec.lr * lr_multipliers[i]`` everywhere PyTorch uses a group's ``lr``
        (including the decoupled decay factor ``1 - lr * weight_decay``). Default 1.
    weight_decay_multipliers : sequence of float, optional
        One non-negative factor per array for ``spec.weight_decay``. Default 1.

    Returns
    -------
    Optimizer

    Raises
    ------
    InputValueError
        If the multipliers do not match ``params`` in number or are out of range.
    InputTypeError
        If ``spec`` is not an :class:`OptimizerSpec`, an array is not a floating
        ndarray or a multiplier is not a real number.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit._optimizers import OptimizerSpec, make_optimizer
    >>> w = np.array([1.0, -2.0])
    >>> opt = make_optimizer(OptimizerSpec("momentum", lr=0.1, momentum=0.5), [w])
    >>> opt.step([w], [np.array([1.0, 1.0])])  # buffer = g
    >>> opt.step([w], [np.array([1.0, 1.0])])  # buffer = 0.5 * g + g
    >>> w
    array([ 0.75, -2.25])
    """
    if not isinstance(spec, OptimizerSpec):
        raise InputTypeError(
            f"`spec` must be an OptimizerSpec; got {type(spec).__name__}."
        )
    arrays = list(params)
    for i, p in enumerate(arrays):
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise InputTypeError(
                f"`params[{i}]` must be a floating ndarray; got "
                f"{getattr(p, 'dtype', type(p).__name__)}."
            )
    n = len(arrays)

    def factors(name: str, values: Sequence[float] | None, bound: Real) -> list[float]:
        if values is None:
            return [1.0] * n
        values = list(values)
        if len(values) != n:
            raise InputValueError(
                f"`{name}` must have one entry per parameter array ({n}); got "
                f"{len(values)}."
            )
        return [check_param(f"{name}[{i}]", v, bound) for i, v in enumerate(values)]

    lr_mult = factors("lr_multipliers", lr_multipliers, _POSITIVE)
    wd_mult = factors(
        "weight_decay_multipliers", weight_decay_multipliers, _NON_NEGATIVE
    )
    return Optimizer(
        spec,
        [p.shape for p in arrays],
        [p.dtype for p in arrays],
        [spec.lr * m for m in lr_mult],
        [spec.weight_decay * m for m in wd_mult],
    )
