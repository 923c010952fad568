"""What the theory predicts for each pair of networks, and the tolerances of verdicts.

The theorems T1-T8 (:data:`THEOREMS`) each map to the derivation step that proves it
(:data:`THEOREM_STEPS`; ``softlogit derive`` prints the steps, and reports link to the
HTML anchor ``step-<id>``).

Tolerances
----------
Two trajectories that theory makes identical in exact arithmetic still differ by
rounding. With :math:`\\epsilon` the machine epsilon of the run's dtype
(2.2e-16 for float64, 1.2e-7 for float32) and :math:`T` the number of steps,

.. math:: \\text{tol}_\\text{round} = 64\\,\\epsilon\\,\\sqrt{T + 1}

bounds the relative parameter gap (max |difference| over the largest |entry|) and the
absolute probability gap: each step adds rounding errors of a few :math:`\\epsilon`
per operation, and over :math:`T` steps independent errors accumulate like a random
walk, :math:`\\sqrt{T}`; the factor 64 covers the dozens of operations per step and
mild amplification. (float64, 2000 steps: 6.4e-13; float32: 3.4e-4.)

"Same function" allows the probabilities to agree to about half the digits,
:math:`\\text{tol}_\\text{function} = \\sqrt{\\epsilon}` (1.5e-8 for float64, 3.5e-4
for float32), with no sample labelled differently.

Rounding amplification
----------------------
The sensitivity control trains a network against itself from initial weights one
ulp apart. Where a pair that exact arithmetic keeps identical drifts beyond the
rounding tolerance and the control, grown from that single rounding error, comes as
far (its largest gap within :data:`AMPLIFICATION_RATIO`, six decades, of the
pair's), the procedure amplifies rounding: the pair's gap grew from rounding like
the control's, so the pair is the same network (:attr:`Verdict.AMPLIFIED`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from softlogit._theorems import THEOREM_STEPS, THEOREMS
from softlogit.experiment._networks import NetworkDef
from softlogit.experiment._spec import TrainingSpec
from softlogit.experiment._verdict import Verdict

__all__ = [
    "AMPLIFICATION_RATIO",
    "THEOREMS",
    "THEOREM_STEPS",
    "Prediction",
    "conserved_sum_predictable",
    "function_tolerance",
    "head_ratio_prediction",
    "predict_pair",
    "rounding_tolerance",
]

_SGD_FAMILY = ("sgd", "momentum", "nesterov")

#: the one-ulp control explains a pair's gap when it reaches 1/this of it. Chaotic
#: training grows both differences at one rate, from rounding errors of different
#: sizes (one ulp of one weight; every step's rounding), so they end within a few
#: decades of each other; a real difference next to a stable control is ten or more
#: decades above it.
AMPLIFICATION_RATIO = 1e6


def rounding_tolerance(dtype: str | np.dtype[np.floating], steps: int) -> float:
    """Largest gap still called rounding: ``64 * eps * sqrt(steps + 1)``.

    Parameters
    ----------
    dtype : str or numpy.dtype
        The run's floating type; ``eps`` is its machine epsilon (2.2e-16 for
        float64, 1.2e-7 for float32).
    steps : int
        Number of optimizer steps.

    Returns
    -------
    float
        The tolerance on relative parameter gaps (max |difference| over the largest
        |entry|) and on absolute probability gaps.

    Notes
    -----
    Each step adds rounding errors of a few :math:`\\epsilon` per operation; over
    :math:`T` steps independent errors accumulate like a random walk,
    :math:`\\sqrt{T}`. The factor 64 covers the dozens of operations per step and
    mild amplification. Trajectories that the theory makes identical stay far below
    it, while genuinely different ones (networks 0 and 1 at equal rates) are above it
    by many orders of magnitude (``softlogit compare`` shows both gaps).

    Examples
    --------
    >>> from softlogit.experiment import rounding_tolerance
    >>> f"{rounding_tolerance('float64', 2000):.2e}"
    '6.36e-13'
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    return 64.0 * eps * math.sqrt(steps + 1)


def function_tolerance(dtype: str | np.dtype[np.floating]) -> float:
    """Largest probability gap still called the same function: ``sqrt(eps)``.

    Two networks whose parameters differ beyond rounding but whose final predicted
    probabilities agree to about half the digits, with no sample labelled
    differently, get the verdict "same function, different trajectory".

    Examples
    --------
    >>> from softlogit.experiment import function_tolerance
    >>> f"{function_tolerance('float64'):.2e}"
    '1.49e-08'
    """
    return math.sqrt(float(np.finfo(np.dtype(dtype)).eps))


def _role(net: NetworkDef) -> str:
    """'full' (K-unit head), 'ref' (plain reference/sigmoid), 'ref-lr' (1c), 'ref-P'."""
    if net.head in ("difference", "softmax"):
        return "full"
    if net.preconditioned:
        return "ref-P"
    if net.head_lr_multiplier != 1.0 or net.head_weight_decay_multiplier != 1.0:
        return "ref-lr"
    return "ref"


def _adam_coupled_l2(tr: TrainingSpec) -> bool:
    return (
        tr.optimizer in ("adam", "adamw") and tr.weight_decay > 0 and not tr.decoupled
    )


@dataclass(frozen=True)
class Prediction:
    """The theory's prediction for a pair.

    Attributes
    ----------
    expected : Verdict or None
        :attr:`Verdict.IDENTICAL`, :attr:`Verdict.NOT_IDENTICAL`, or ``None`` when
        the theory makes no exact prediction (the gap is measured, not asserted).
    theorem : str
        Theorem id (``'T1'``, ``'T4'``, ``'T5'``, ``'T6'``).
    reason : str
        The argument, in words.
    """

    expected: Verdict | None
    theorem: str
    reason: str


def predict_pair(
    a: NetworkDef, b: NetworkDef, tr: TrainingSpec, n_classes: int
) -> Prediction:
    """What the theory says about networks ``a`` and ``b`` trained by ``tr``."""
    if a.perturbed or b.perturbed:
        return Prediction(
            None,
            "",
            "The sensitivity control: one network against itself from initial "
            "weights one ulp apart. A procedure that does not amplify rounding keeps "
            "the gap at the rounding level; a chaotic one lets it grow as far as the "
            "rounding differences between any two networks that exact arithmetic "
            "keeps identical.",
        )
    ra, rb = _role(a), _role(b)
    roles = {ra, rb}
    k = n_classes
    sgd = tr.optimizer in _SGD_FAMILY
    opt = tr.optimizer
    if roles == {"full"}:
        return Prediction(
            Verdict.IDENTICAL,
            "T4",
            "Both heads compute the same function of the same parameters "
            "(softmax(z1, z2)_2 = sigmoid(z2 - z1)), so the loss, every gradient and "
            f"every {opt} update are the same; only rounding differs.",
        )
    if roles == {"ref"} or (ra == rb and ra in ("ref-lr", "ref-P")):
        return Prediction(
            Verdict.IDENTICAL,
            "T1",
            "Both are the reference-class head (softmax(0, z) = sigmoid(z)) trained "
            "the same way.",
        )
    if roles == {"full", "ref"}:
        thm = "T5" if k == 2 else "T6"
        why = (
            "The difference w2 - w1 receives the gradient once through each row, so "
            "it moves twice as far per step as w at the same learning rate"
            if k == 2
            else "The reference coordinates w_k - w_0 of the softmax head move by "
            "P = I + 11^T times the reference head's step"
        )
        return Prediction(
            Verdict.NOT_IDENTICAL,
            thm,
            f"{why}: the trajectories differ (they share the base's "
            "gradient only while the functions agree).",
        )
    if roles == {"full", "ref-lr"}:
        if k != 2:
            return Prediction(
                None, "T6", "A head learning-rate factor is exact only for K = 2."
            )
        if _adam_coupled_l2(tr):
            return Prediction(
                None,
                "T5",
                "With Adam and coupled L2 the two softmax rows' moments are no longer "
                "mirror images (their gradients include lambda*w1 and lambda*w2), so "
                "doubling the head rate is not an exact correction; the gap is measured.",
            )
        how = (
            "the update is linear in the gradient and the decay, so doubling the head "
            "rate and halving its decay reproduces the doubled step"
            if sgd
            else "the two rows' Adam moments are mirror images, so the difference "
            "moves by twice one row's Adam step, which the doubled head rate gives"
        )
        return Prediction(
            Verdict.IDENTICAL,
            "T5",
            f"The difference w2 - w1 moves twice as far per step as w; with {opt} {how}.",
        )
    if roles == {"full", "ref-P"}:
        if sgd:
            return Prediction(
                Verdict.IDENTICAL,
                "T6",
                "Under SGD-type updates (linear in the gradient) the softmax head's "
                "reference coordinates follow the reference head trained with the "
                "preconditioned gradient P g, P = I + 11^T.",
            )
        return Prediction(
            None,
            "T6",
            f"{opt} normalizes each coordinate's step, so no preconditioner of the "
            "gradient maps one head onto the other exactly; the gap is measured.",
        )
    if roles == {"ref-lr", "ref-P"}:
        if k == 2 and sgd:
            return Prediction(
                Verdict.IDENTICAL,
                "T5",
                "For K = 2, P = 2: doubling the gradient equals doubling the rate "
                "with the decay halved under SGD-type updates.",
            )
        return Prediction(
            None, "T6", f"Under {opt} a doubled gradient is not a doubled step."
        )
    return Prediction(
        Verdict.NOT_IDENTICAL,
        "T5" if k == 2 else "T6",
        "One head's learning rate or gradient is rescaled and the other's is not, "
        "so their steps differ.",
    )


def conserved_sum_predictable(tr: TrainingSpec, n_classes: int) -> tuple[bool, str]:
    """Whether T3 predicts the sum of the softmax rows exactly, and why.

    The loss gradient of the rows sums to zero, so the sum follows the optimizer
    applied to the weight decay alone, provided the update of the sum depends only on
    the summed gradient: true for SGD, momentum and Nesterov (linear), and for Adam at
    K = 2 without coupled L2 (the two rows' moments are mirror images, their steps
    cancel). Not for Adam with coupled L2, nor for Adam at K > 2.
    """
    if tr.optimizer in _SGD_FAMILY:
        return True, "SGD-type updates are linear, so the sum sees only the decay."
    if n_classes != 2:
        return False, (
            "Adam at K > 2 normalizes each row's step separately; the steps no longer "
            "sum to zero and theory has no exact prediction (measured)."
        )
    if _adam_coupled_l2(tr):
        return False, (
            "With Adam and coupled L2 the rows' gradients are no longer mirror images; "
            "theory has no exact prediction for the sum (measured)."
        )
    return True, (
        "For K = 2 the two rows' Adam moments are mirror images, so their steps cancel "
        "in the sum."
    )


def head_ratio_prediction(
    left: NetworkDef, right: NetworkDef, tr: TrainingSpec
) -> float | None:
    """T5's first-step ratio ||Δ(w2 - w1, b2 - b1)|| / ||Δ(w, b)||, or None.

    ``2 * left_factor / right_factor`` for every optimizer when there is no weight
    decay (the first step of momentum is an SGD step; Adam's first step is
    ``lr * g / (|g| + eps)`` per coordinate). With weight decay the ratio depends on
    the parameters.
    """
    if tr.weight_decay > 0 or right.preconditioned:
        return None
    return 2.0 * left.head_lr_multiplier / right.head_lr_multiplier
