"""The comparison records of an experiment: pairs, conserved sums, head movements.

:func:`softlogit.experiment._compare.compare_pair` and its siblings build them once;
the answers, the result's JSON and every report read them. Their verdicts are typed
(:class:`~softlogit.experiment.Verdict`); field names are stable (``result.json`` and
the reports rely on them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from softlogit._json import to_jsonable
from softlogit._typing import FloatArray, IntArray
from softlogit._validation import Options, check_param
from softlogit.experiment._verdict import Verdict

__all__ = [
    "PAIR_METRICS",
    "ConservedSum",
    "HeadMovement",
    "PairComparison",
    "format_figure",
]

# The per-step metrics of a pair, in this order (see PairComparison).
PAIR_METRICS: tuple[str, ...] = (
    "base_max_abs",
    "base_max_rel",
    "head_max_abs",
    "head_max_rel",
    "proba_train_max_abs",
    "proba_test_max_abs",
    "label_disagreement_train",
    "label_disagreement_test",
    "train_loss_diff",
    "test_loss_diff",
)


def format_figure(x: float) -> str:
    """A figure in an explanation: three significant digits (``'2.01e-13'``)."""
    return f"{x:.3g}"


_MEASURED = Options(
    (
        Verdict.IDENTICAL,
        Verdict.SAME_FUNCTION,
        Verdict.DIFFERENT,
        Verdict.NOT_COMPARED,
        Verdict.AMPLIFIED,
    )
)
_EXPECTED = Options((Verdict.IDENTICAL, Verdict.NOT_IDENTICAL))


@dataclass(repr=False)
class PairComparison:
    """Two networks compared step by step, with a verdict and the theory behind it.

    Attributes
    ----------
    left, right : str
        Network names.
    steps : ndarray of int of shape (n_records,)
        Recorded steps at which both networks have values.
    metrics : dict of str to ndarray of shape (n_records,)
        ``base_max_abs`` / ``base_max_rel``: max |difference| of the base parameters
        (absolute, and relative to the largest |entry|); ``head_max_abs`` /
        ``head_max_rel``: the same for the head in reference-class coordinates
        (:math:`w_2 - w_1, b_2 - b_1` against :math:`w, b` for K = 2);
        ``proba_train_max_abs`` / ``proba_test_max_abs``: max |difference| of the
        predicted probabilities; ``label_disagreement_train`` / ``_test``: fraction of
        samples whose predicted labels differ; ``train_loss_diff`` /
        ``test_loss_diff``: |difference| of the mean losses.
    verdict : Verdict
        Measured verdict: ``'identical up to rounding'``, ``'same function, different
        trajectory'``, ``'different'``, ``'same network; this procedure amplifies
        rounding'`` (explained by the one-ulp sensitivity control) or ``'not
        compared'`` (a run diverged); given as a :class:`Verdict` or its text.
    expected : Verdict or None
        What the theory predicts for this pair and training procedure
        (``'identical up to rounding'`` or ``'not identical'``), or ``None`` where it
        has no exact prediction (then the gap is a measurement).
    theorem : str
        The theorem that explains it (``'T4'``, ``'T5'``, ``'T6'``; see
        :data:`softlogit.experiment.THEOREMS`).
    derivation_step : str
        Id of the derivation step proving it (HTML anchor ``step-<id>``).
    explanation : str
        Why, in words, with the figures.
    threshold : float
        Rounding tolerance used (see :func:`softlogit.experiment.rounding_tolerance`).
    function_threshold : float
        Tolerance on probabilities for "same function".
    loss_path_note : str
        For networks trained by Keras' ``model.fit`` (engine ``'keras-fit'``): the
        loss path each took and the rows a clipped path affected (also at the end
        of ``explanation``); ``""`` otherwise.
    loss_paths : tuple of str
        The detected loss paths of ``left`` and ``right`` (``'logits'``,
        ``'clipped'``, ``'undetermined'``; ``''`` for a loss from logits by
        construction), or ``()`` when neither network has one.
    clip_rows : int
        The largest number of training rows beyond the clipping bounds at a
        recorded step in a network on the clipped path (0: the clip took no
        gradient away).
    """

    left: str
    right: str
    steps: IntArray
    metrics: dict[str, FloatArray]
    verdict: Verdict
    expected: Verdict | None
    theorem: str
    derivation_step: str
    explanation: str
    threshold: float
    function_threshold: float
    loss_path_note: str = ""
    loss_paths: tuple[str, ...] = ()
    clip_rows: int = 0

    @property
    def clipped(self) -> bool:
        """Whether a clipped loss took gradient away from training rows."""
        return self.clip_rows > 0

    def __post_init__(self) -> None:
        self.verdict = Verdict(check_param("verdict", self.verdict, _MEASURED))
        if self.expected is not None:
            self.expected = Verdict(check_param("expected", self.expected, _EXPECTED))

    @property
    def name(self) -> str:
        """``'<left> vs <right>'``."""
        return f"{self.left} vs {self.right}"

    def __repr__(self) -> str:
        return (
            f"PairComparison({self.name!r}, verdict={self.verdict!r}, "
            f"theorem={self.theorem!r}, expected={self.expected!r})"
        )

    @property
    def agrees_with_theory(self) -> bool | None:
        """Whether the verdict matches the prediction (``None``: no prediction, or
        not compared)."""
        if self.verdict is Verdict.NOT_COMPARED:
            return None
        return self.verdict.agrees_with(self.expected)

    def final(self, metric: str) -> float:
        """The value of ``metric`` at the last common recorded step."""
        return float(self.metrics[metric][-1])

    def max(self, metric: str) -> float:
        """The largest value of ``metric`` over the recorded steps."""
        return float(np.max(self.metrics[metric]))

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict, with the per-step metrics as lists
        (``loss_path_note`` and ``loss_paths`` only when set)."""
        out: dict[str, Any] = {
            "left": self.left,
            "right": self.right,
            "name": self.name,
            "verdict": self.verdict.value,
            "expected": None if self.expected is None else self.expected.value,
            "agrees_with_theory": self.agrees_with_theory,
            "theorem": self.theorem,
            "derivation_step": self.derivation_step,
            "explanation": self.explanation,
            "threshold": self.threshold,
            "function_threshold": self.function_threshold,
            "steps": [int(s) for s in self.steps],
            "final": {k: to_jsonable(v[-1]) for k, v in self.metrics.items()},
            "max": {k: to_jsonable(np.max(v)) for k, v in self.metrics.items()},
            "metrics": {k: to_jsonable(v) for k, v in self.metrics.items()},
        }
        if self.loss_paths:
            out["loss_path_note"] = self.loss_path_note
            out["loss_paths"] = list(self.loss_paths)
            out["clip_rows"] = self.clip_rows
        return out


@dataclass(repr=False)
class ConservedSum:
    """T3: the sum of a K-unit head's rows, conserved by the loss gradient.

    Attributes
    ----------
    network : str
        Network name (``'0'``, ``'2'`` or ``'softmax'``).
    steps : ndarray of int of shape (n_records,)
    weight_sum : ndarray of shape (n_records, n_last)
        :math:`\\sum_k w_k` at each recorded step.
    bias_sum : ndarray of shape (n_records,)
        :math:`\\sum_k b_k`.
    drift : ndarray of shape (n_records,)
        max |sum(t) - sum(0)| over weights and bias.
    predicted_weight_sum, predicted_bias_sum : ndarray or None
        What the theory predicts without any loss gradient (the optimizer applied to
        the weight decay alone: unchanged without decay, shrinking with it), or
        ``None`` where there is no exact prediction (Adam with coupled L2; Adam with
        K > 2).
    deviation : ndarray of shape (n_records,) or None
        max |sum - predicted sum|.
    verdict : str
        ``'conserved up to rounding'`` (no weight decay), ``'decays as predicted'``
        (weight decay), ``'deviates from the prediction'``, or ``'drifts (no exact
        prediction)'`` (measured only).
    explanation : str
    threshold : float
        Largest deviation still called rounding: the rounding tolerance times
        ``max(1, largest |head entry|)``.
    theorem : str
        ``'T3'``.
    derivation_step : str
    """

    network: str
    steps: IntArray
    weight_sum: FloatArray
    bias_sum: FloatArray
    drift: FloatArray
    predicted_weight_sum: FloatArray | None
    predicted_bias_sum: FloatArray | None
    deviation: FloatArray | None
    verdict: str
    explanation: str
    threshold: float
    theorem: str = "T3"
    derivation_step: str = "gradients"

    def __repr__(self) -> str:
        return f"ConservedSum(network={self.network!r}, verdict={self.verdict!r})"

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (the sums themselves are in ``arrays.npz``)."""
        return {
            "network": self.network,
            "steps": [int(s) for s in self.steps],
            "drift": to_jsonable(self.drift),
            "max_drift": to_jsonable(np.max(self.drift)),
            "deviation": to_jsonable(self.deviation),
            "max_deviation": None
            if self.deviation is None
            else to_jsonable(np.max(self.deviation)),
            "has_prediction": self.deviation is not None,
            "weight_sum_norm": to_jsonable(np.linalg.norm(self.weight_sum, axis=1)),
            "bias_sum": to_jsonable(self.bias_sum),
            "verdict": self.verdict,
            "explanation": self.explanation,
            "threshold": self.threshold,
            "theorem": self.theorem,
            "derivation_step": self.derivation_step,
        }


@dataclass(frozen=True)
class HeadMovement:
    """T5: how far each head moves in the first step, in reference coordinates.

    Attributes
    ----------
    left, right : str
        The two-unit network and the one-unit network (e.g. ``'0'`` and ``'1'``).
    ratio : float
        :math:`\\|\\Delta(w_2 - w_1, b_2 - b_1)\\| / \\|\\Delta(w, b)\\|` after step 1.
    predicted : float or None
        2 for SGD, momentum, Nesterov and Adam at K = 2 without weight decay (times
        the ratio of the head learning-rate multipliers); ``None`` where no single
        number is predicted.
    explanation : str
    theorem : str
        ``'T5'``.
    derivation_step : str
    """

    left: str
    right: str
    ratio: float
    predicted: float | None
    explanation: str
    theorem: str = "T5"
    derivation_step: str = "training-dynamics"

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {
            "left": self.left,
            "right": self.right,
            "ratio": to_jsonable(self.ratio),
            "predicted": self.predicted,
            "explanation": self.explanation,
            "theorem": self.theorem,
            "derivation_step": self.derivation_step,
        }
