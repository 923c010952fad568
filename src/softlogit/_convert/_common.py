"""What every head converter shares: the options, the new head, the verification.

A converter finds the head of a foreign model and describes it as a
:class:`FoundHead` (its rows as float64 arrays, what the model outputs after it);
:func:`new_parameters` turns those rows into the other head with softlogit's exact
conversions (:func:`~softlogit.softmax_to_sigmoid`,
:func:`~softlogit.sigmoid_to_softmax`), and the converter writes them back into a
copy of the model in the model's own dtype. :func:`check_agreement` compares the
positive-class probabilities the framework computes for both models.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from softlogit._typing import FloatArray, Gauge
from softlogit._validation import NONE, Integer, Options, Real, check_param
from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "Direction",
    "FoundHead",
    "HeadConversion",
    "Kind",
    "Output",
    "Request",
    "VerificationError",
    "check_agreement",
    "check_request",
    "default_tolerance",
    "head_factors",
    "new_parameters",
    "positive_column",
    "resolve_direction",
    "units_of",
    "verified",
]

Kind = Literal["softmax", "sigmoid"]
#: The conversion a head came from, for the training factors of T5.
Direction = Literal["softmax_to_sigmoid", "sigmoid_to_softmax"]
#: What a model outputs after its head: the logits, the probabilities (a softmax
#: or sigmoid activation) or their logarithms (log-softmax, log-sigmoid).
Output = Literal["logits", "proba", "log_proba"]

# The largest difference of the positive-class probabilities a verified conversion
# may show, by floating-point type: a few roundings of probabilities in [0, 1].
_TOLERANCES = {"float64": 1e-12, "float32": 1e-6, "float16": 1e-2, "bfloat16": 1e-2}


class VerificationError(InputValueError):
    """The converted model's probabilities differ from the original's on ``verify``."""


@dataclass(frozen=True)
class FoundHead:
    """A head found in a foreign model, described framework-independently.

    ``weight`` has one row per unit (a PyTorch ``nn.Linear`` weight, a Keras
    ``Dense`` kernel transposed), ``bias`` one entry per unit or None when the
    layer has none; both are float64 copies of the framework's values.
    """

    path: str
    kind: Kind
    output: Output
    weight: FloatArray
    bias: FloatArray | None
    dtype: str
    description: str

    @property
    def n_features(self) -> int:
        return int(self.weight.shape[1])


@dataclass(frozen=True)
class HeadConversion:
    """The result of :func:`~softlogit.convert_head`.

    Attributes
    ----------
    model : object
        The new model, of the same framework as the original (a two-class softmax
        converted from a scikit-learn model is a :class:`~softlogit.SoftmaxRegression`:
        scikit-learn >= 1.8 cannot hold one). The original is never modified.
    head : str
        Where the head is: a submodule path (PyTorch), a state-dict key prefix, a
        layer name (Keras) or an attribute (``"coef_"``).
    before, after : str
        The original head and the new one, e.g. ``"Linear(in_features=16,
        out_features=2) + Softmax(dim=1)"`` and ``"Linear(in_features=16,
        out_features=1) + Sigmoid()"``.
    dtype : str
        The floating-point type of the head's parameters (kept by the conversion).
    max_diff : float or None
        With ``verify`` data: the largest absolute difference between the two
        models' probabilities of the positive class, each computed by the
        framework; None without ``verify``.
    tolerance : float or None
        The bound ``max_diff`` was checked against (None without ``verify``).
    n_verified : int
        The number of rows the verification ran on (0 without ``verify``).
    """

    model: Any = field(repr=False)
    head: str
    before: str
    after: str
    dtype: str
    max_diff: float | None = None
    tolerance: float | None = None
    n_verified: int = 0


@dataclass(frozen=True)
class Request:
    """A validated conversion request: the options of ``convert_head``."""

    to: Kind
    head: str | None
    gauge: Gauge
    positive: int
    verify: Any
    tol: float | None


def check_request(
    to: object,
    head: object,
    gauge: object,
    positive: object,
    verify: object,
    tol: object,
) -> Request:
    """The validated options of ``convert_head``."""
    if head is not None and not isinstance(head, str):
        raise InputTypeError(
            "`head` must be a string (a submodule path, key prefix or layer name) "
            f"or None; got {type(head).__name__}."
        )
    return Request(
        to=check_param("to", to, Options(("sigmoid", "softmax"))),
        head=head,
        gauge=check_param("gauge", gauge, Options(("centered", "reference"))),
        positive=check_param("positive", positive, Integer(0, 1)),
        verify=verify,
        tol=check_param("tol", tol, (Real(0, None, low_open=True), NONE)),
    )


def units_of(kind: Kind) -> int:
    """The number of linear units of a head: 2 for softmax, 1 for sigmoid."""
    return 2 if kind == "softmax" else 1


def new_parameters(
    found: FoundHead, req: Request
) -> tuple[FloatArray, FloatArray | None]:
    """The rows and biases of the converted head, in float64.

    ``to="sigmoid"``: ``w = W[positive] - W[1 - positive]`` (T1). ``to="softmax"``:
    the sigmoid's probability becomes unit ``positive`` of the softmax, with rows
    ``-w/2, w/2`` (``gauge="centered"``) or ``0, w`` (``"reference"``). A head
    without a bias gets none (its converted bias would be zero).

    Raises
    ------
    InputValueError
        If the head already is of kind ``to``.
    """
    from softlogit._heads import (
        SigmoidHead,
        SoftmaxHead,
        sigmoid_to_softmax,
        softmax_to_sigmoid,
    )

    to, positive = req.to, req.positive
    if found.kind == to:
        raise InputValueError(
            f"the head {found.path!r} ({found.description}) already is a {to} head; "
            f"nothing to convert (did you mean to="
            f"{'softmax' if to == 'sigmoid' else 'sigmoid'!r}?)."
        )
    units = found.weight.shape[0]
    bias = np.zeros(units) if found.bias is None else found.bias
    if to == "sigmoid":
        sig = softmax_to_sigmoid(SoftmaxHead(found.weight, bias), positive=positive)
        weight, new_bias = sig.weight[None, :], np.array([sig.bias])
    else:
        soft = sigmoid_to_softmax(
            SigmoidHead(found.weight[0], bias[0]), gauge=req.gauge
        )
        order = [0, 1] if positive == 1 else [1, 0]
        weight, new_bias = soft.weight[order], soft.bias[order]
    return np.array(weight), None if found.bias is None else np.array(new_bias)


def default_tolerance(dtype: str) -> float:
    """The verification tolerance of a floating-point type (by its name).

    float64: 1e-12; float32: 1e-6; float16 and bfloat16: 1e-2; other types: 1e-6.
    """
    return _TOLERANCES.get(dtype, 1e-6)


def check_agreement(
    before: FloatArray, after: FloatArray, tolerance: float, head: str
) -> float:
    """The largest ``|before - after|``; raise if it exceeds ``tolerance``.

    ``before`` and ``after`` are the positive-class probabilities of the original
    and the converted model on the same rows.

    Raises
    ------
    VerificationError
        If the two disagree by more than ``tolerance``, or a probability is not
        finite (an ``InputValueError``).
    """
    if before.shape != after.shape:  # pragma: no cover - converters ensure it
        raise InputValueError(
            f"verification: {before.shape} probabilities before and {after.shape} "
            "after the conversion."
        )
    if not (np.all(np.isfinite(before)) and np.all(np.isfinite(after))):
        raise VerificationError(
            "verification failed: the model returns non-finite probabilities on "
            "`verify`."
        )
    diff = float(np.max(np.abs(before - after))) if before.size else 0.0
    if not diff <= tolerance:
        raise VerificationError(
            f"verification failed: the converted model's probabilities differ from "
            f"the original's by up to {diff:.3g} (tolerance {tolerance:.1g}) on "
            f"`verify`. The parameters of the head {head!r} were converted with one "
            "rounding each, so the model's output is not the head's output: does "
            "its forward transform the head's output, or use the head twice? (Pass "
            "a larger `tol` only for rounding at very large logits.)"
        )
    return diff


def positive_column(values: FloatArray, kind: Kind, positive: int) -> FloatArray:
    """Column ``positive`` of a softmax output, the only column of a sigmoid one."""
    return values[:, positive] if kind == "softmax" else values[:, 0]


def verified(
    result: HeadConversion, before: FloatArray, after: FloatArray, tol: float | None
) -> HeadConversion:
    """``result`` with the verification figure of ``before`` and ``after``.

    ``tol`` None uses :func:`default_tolerance` of the head's dtype.
    """
    tolerance = default_tolerance(result.dtype) if tol is None else tol
    diff = check_agreement(before, after, tolerance, result.head)
    return dataclasses.replace(
        result, max_diff=diff, tolerance=tolerance, n_verified=int(before.shape[0])
    )


def head_factors(direction: Direction) -> tuple[float, float]:
    """The head's learning-rate and weight-decay factors for a conversion direction.

    Parameters
    ----------
    direction : {'softmax_to_sigmoid', 'sigmoid_to_softmax'}
        ``'softmax_to_sigmoid'``: a sigmoid head that must train like the
        two-unit softmax head it came from; ``'sigmoid_to_softmax'``: the reverse.

    Returns
    -------
    lr_factor, weight_decay_factor : tuple of float
        ``(2.0, 0.5)`` or ``(0.5, 2.0)`` (T5); their product is 1.

    Examples
    --------
    >>> head_factors("softmax_to_sigmoid")
    (2.0, 0.5)
    """
    return (2.0, 0.5) if direction == "softmax_to_sigmoid" else (0.5, 2.0)


def resolve_direction(direction: object, units: int, head: str) -> Direction:
    """``direction``, or the one a head of ``units`` units came from (None)."""
    d = check_param(
        "direction",
        direction,
        (Options(("softmax_to_sigmoid", "sigmoid_to_softmax")), NONE),
    )
    implied: Direction = "softmax_to_sigmoid" if units == 1 else "sigmoid_to_softmax"
    if d is not None and d != implied:
        made = "sigmoid" if d == "softmax_to_sigmoid" else "softmax"
        raise InputValueError(
            f"`direction` {d!r} makes a {made} head, but the head {head!r} has "
            f"{units} unit(s)."
        )
    return implied
