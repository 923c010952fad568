"""Step-by-step comparison of trained networks: verdicts, conserved sums, head steps."""

from __future__ import annotations

import dataclasses

import numpy as np

from softlogit._optimizers import make_optimizer
from softlogit._typing import FloatArray, IntArray
from softlogit.experiment._comparisons import (
    PAIR_METRICS,
    ConservedSum,
    HeadMovement,
    PairComparison,
    format_figure,
)
from softlogit.experiment._loss_path import FLOAT32_OPS, loss_path_text
from softlogit.experiment._networks import NetworkDef, param_factors
from softlogit.experiment._result import Trajectory
from softlogit.experiment._spec import TrainingSpec
from softlogit.experiment._theory import (
    AMPLIFICATION_RATIO,
    THEOREM_STEPS,
    conserved_sum_predictable,
    function_tolerance,
    head_ratio_prediction,
    predict_pair,
    rounding_tolerance,
)
from softlogit.experiment._verdict import Verdict

__all__ = [
    "compare_pair",
    "conserved_sum",
    "explain_by_control",
    "head_movement",
    "largest_gap",
    "reference_head",
]


def reference_head(t: Trajectory) -> tuple[FloatArray, FloatArray]:
    """The head in reference-class coordinates over the recorded steps.

    K-unit heads map to :math:`w_k - w_0, b_k - b_0` (for K = 2: :math:`w_2 - w_1,
    b_2 - b_1`); reference and sigmoid heads are already in these coordinates.

    Returns
    -------
    weight : ndarray of shape (n_records, n_classes - 1, n_last)
    bias : ndarray of shape (n_records, n_classes - 1)
    """
    w = np.asarray(t.params["head.weight"], dtype=np.float64)
    b = np.asarray(t.params["head.bias"], dtype=np.float64)
    if t.head in ("difference", "softmax"):
        return w[:, 1:] - w[:, :1], b[:, 1:] - b[:, :1]
    return w, b


def _gap(
    a: list[FloatArray], b: list[FloatArray], n: int
) -> tuple[FloatArray, FloatArray]:
    """Per-step max |a - b| and that over the largest |entry| of either."""
    if not a:
        return np.zeros(n), np.zeros(n)
    diff = np.zeros(n)
    scale = np.zeros(n)
    for x, y in zip(a, b, strict=True):
        x = np.asarray(x[:n], dtype=np.float64).reshape(n, -1)
        y = np.asarray(y[:n], dtype=np.float64).reshape(n, -1)
        diff = np.maximum(diff, np.max(np.abs(x - y), axis=1, initial=0.0))
        scale = np.maximum(scale, np.max(np.abs(x), axis=1, initial=0.0))
        scale = np.maximum(scale, np.max(np.abs(y), axis=1, initial=0.0))
    rel = diff / np.where(scale > 0, scale, 1.0)
    return diff, rel


def _pair_metrics(a: Trajectory, b: Trajectory, n: int) -> dict[str, FloatArray]:
    """The per-step metrics of :data:`PAIR_METRICS` over the first ``n`` records."""
    base_keys = [k for k in a.params if k.startswith("base.")]
    base_abs, base_rel = _gap(
        [a.params[k] for k in base_keys], [b.params[k] for k in base_keys], n
    )
    wa, ba = reference_head(a)
    wb, bb = reference_head(b)
    head_abs, head_rel = _gap([wa, ba], [wb, bb], n)
    metrics: dict[str, FloatArray] = {
        "base_max_abs": base_abs,
        "base_max_rel": base_rel,
        "head_max_abs": head_abs,
        "head_max_rel": head_rel,
    }
    for split in ("train", "test"):
        pa = np.asarray(getattr(a, f"proba_{split}")[:n], dtype=np.float64)
        pb = np.asarray(getattr(b, f"proba_{split}")[:n], dtype=np.float64)
        metrics[f"proba_{split}_max_abs"] = np.max(
            np.abs(pa - pb), axis=(1, 2), initial=0.0
        )
        metrics[f"label_disagreement_{split}"] = np.mean(
            np.argmax(pa, axis=2) != np.argmax(pb, axis=2), axis=1
        )
        metrics[f"{split}_loss_diff"] = np.abs(
            getattr(a, f"{split}_loss")[:n] - getattr(b, f"{split}_loss")[:n]
        )
    return {k: metrics[k] for k in PAIR_METRICS}


def _larger(metrics: dict[str, FloatArray], *names: str) -> FloatArray:
    """The elementwise maximum of some metrics, per recorded step."""
    out: FloatArray = np.maximum.reduce([metrics[name] for name in names])
    return out


def _measured_verdict(
    metrics: dict[str, FloatArray], tol: float, ftol: float
) -> Verdict:
    """Identical (every gap within rounding), the same function, or different."""
    weights = _larger(metrics, "base_max_rel", "head_max_rel")
    proba = _larger(metrics, "proba_train_max_abs", "proba_test_max_abs")
    labels = _larger(metrics, "label_disagreement_train", "label_disagreement_test")
    if float(np.max(weights)) <= tol and float(np.max(proba)) <= tol:
        return Verdict.IDENTICAL
    if float(proba[0]) <= tol and float(proba[-1]) <= ftol and float(labels[-1]) == 0:
        return Verdict.SAME_FUNCTION
    return Verdict.DIFFERENT


def _left_rounding(
    metrics: dict[str, FloatArray], steps: IntArray, tol: float
) -> tuple[int, int]:
    """The last recorded step within rounding and the first beyond it."""
    gaps = _larger(
        metrics,
        "base_max_rel",
        "head_max_rel",
        "proba_train_max_abs",
        "proba_test_max_abs",
    )
    first = int(np.argmax(gaps > tol))
    return (int(steps[first - 1]) if first > 0 else 0), int(steps[first])


def _amplified(metrics: dict[str, FloatArray], steps: IntArray, tol: float) -> str:
    """Where a pair that exact arithmetic keeps identical left the rounding level."""
    before, after = _left_rounding(metrics, steps, tol)
    return (
        " In exact arithmetic the trajectories coincide. The measured gap "
        f"stayed within rounding up to step {before} and exceeded the "
        f"threshold at step {after}: the dynamics amplified "
        "rounding differences (as in a loss spike, or Adam dividing by the "
        "root of a nearly vanishing second moment)."
    )


def _float32_ops(a: Trajectory, b: Trajectory) -> str:
    """The cause of a gap when the engine computed float64 operations in float32."""
    notes = [n for t in (a, b) for n in t.notes if FLOAT32_OPS in n]
    if not notes:
        return ""
    return (
        " In exact arithmetic the trajectories coincide; here the framework computed "
        "some float64 operations in float32 (see the run's notes), and the two "
        "networks' heads round differently at that precision."
    )


def _figures(metrics: dict[str, FloatArray], last: int, tol: float) -> str:
    weights = float(np.max(_larger(metrics, "base_max_rel", "head_max_rel")))
    proba = float(np.max(_larger(metrics, "proba_train_max_abs", "proba_test_max_abs")))
    return (
        f"over {last} steps the largest relative gap of the weights is "
        f"{format_figure(weights)} (head in reference coordinates "
        f"{format_figure(float(np.max(metrics['head_max_rel'])))}, base "
        f"{format_figure(float(np.max(metrics['base_max_rel'])))}) and of the "
        f"probabilities {format_figure(proba)}; rounding threshold "
        f"{format_figure(tol)}."
    )


def compare_pair(
    a: Trajectory,
    b: Trajectory,
    net_a: NetworkDef,
    net_b: NetworkDef,
    tr: TrainingSpec,
    n_classes: int,
    *,
    y_train: IntArray | None = None,
) -> PairComparison:
    """Compare two trajectories step by step and give the verdict with its theory.

    The verdict is :attr:`Verdict.IDENTICAL` when the relative weight gaps and the
    probability gaps stay within :func:`rounding_tolerance` at every recorded step,
    :attr:`Verdict.SAME_FUNCTION` when the networks start as the same function and
    end with probabilities within :func:`function_tolerance` and no sample labelled
    differently, :attr:`Verdict.DIFFERENT` otherwise, and
    :attr:`Verdict.NOT_COMPARED` when either run diverged. Where the networks'
    losses were computed by Keras along a detected path (engine ``'keras-fit'``),
    the explanation names the paths and the training rows (``y_train``: their
    labels) that a clipped path deprived of their gradient.
    """
    n = min(a.n_records, b.n_records)
    steps = a.steps[:n]
    metrics = _pair_metrics(a, b, n)
    tol = rounding_tolerance(tr.dtype, tr.steps)
    ftol = function_tolerance(tr.dtype)
    pred = predict_pair(net_a, net_b, tr, n_classes)
    last = int(steps[-1])
    path_note, clip_rows = loss_path_text(a, b, y_train)
    paths = tuple("" if t.loss_path is None else t.loss_path.kind for t in (a, b))
    diverged = [t for t in (a, b) if t.diverged]
    if diverged:
        verdict = Verdict.NOT_COMPARED
        explanation = (
            " ".join(str(t.message) for t in diverged)
            + f" No verdict: the pair is compared only up to step {last}."
        )
    else:
        verdict = _measured_verdict(metrics, tol, ftol)
        explanation = f"{pred.reason} Measured: {_figures(metrics, last, tol)}"
        if net_a.perturbed or net_b.perturbed:
            if verdict is not Verdict.IDENTICAL:
                verdict = Verdict.AMPLIFIED
                before, after = _left_rounding(metrics, steps, tol)
                explanation += (
                    f" The gap stayed within rounding up to step {before} and "
                    f"exceeded the threshold at step {after}: this procedure "
                    "amplifies a difference of one rounding error."
                )
        elif pred.expected is None:
            explanation += (
                " Theory makes no exact prediction here; this is a measurement."
            )
        elif pred.expected is Verdict.NOT_IDENTICAL and verdict is Verdict.IDENTICAL:
            explanation += (
                " The theory predicts different trajectories, but within these steps "
                "the gap stayed at rounding level."
            )
        elif pred.expected is Verdict.IDENTICAL and verdict is not Verdict.IDENTICAL:
            # the causes this run knows of (float32 operations, the clip) before
            # amplified rounding
            cause = _float32_ops(a, b)
            if not cause and not clip_rows:
                cause = _amplified(metrics, steps, tol)
            explanation += cause
        explanation += path_note
    return PairComparison(
        left=a.name,
        right=b.name,
        steps=steps,
        metrics=metrics,
        verdict=verdict,
        expected=pred.expected,
        theorem=pred.theorem,
        derivation_step=THEOREM_STEPS.get(pred.theorem, ""),
        explanation=explanation,
        threshold=tol,
        function_threshold=ftol,
        loss_path_note=path_note.strip(),
        loss_paths=paths if any(paths) else (),
        clip_rows=clip_rows,
    )


def largest_gap(p: PairComparison) -> float:
    """The largest relative weight gap or probability gap of a pair over its steps."""
    gaps = _larger(
        p.metrics,
        "base_max_rel",
        "head_max_rel",
        "proba_train_max_abs",
        "proba_test_max_abs",
    )
    return float(np.max(gaps))


def explain_by_control(pairs: list[PairComparison]) -> list[PairComparison]:
    """Pairs whose drift the one-ulp sensitivity control explains, re-judged.

    A pair that the theory makes identical (expected :attr:`Verdict.IDENTICAL`),
    measured beyond rounding, becomes :attr:`Verdict.AMPLIFIED` when the largest
    gap of the control of its first network (``'0 vs 0-ulp'`` or ``'softmax vs
    softmax-ulp'``), grown from a single rounding error, reaches the pair's within
    :data:`~softlogit.experiment._theory.AMPLIFICATION_RATIO`. (The control may
    itself stay just within the rounding tolerance: the pair's gap is then one that
    the procedure grows from rounding, not a difference of the networks.) Other
    pairs are returned unchanged; the explanation of a re-judged pair cites both
    gaps.
    """
    controls = {
        p.left: p
        for p in pairs
        if p.right.endswith("-ulp") and p.verdict is not Verdict.NOT_COMPARED
    }
    out: list[PairComparison] = []
    for p in pairs:
        control = controls.get(p.left) or controls.get(p.right)
        if (
            control is not None
            and p is not control
            and p.expected is Verdict.IDENTICAL
            and p.verdict in (Verdict.SAME_FUNCTION, Verdict.DIFFERENT)
        ):
            gap, reach = largest_gap(p), largest_gap(control)
            if reach * AMPLIFICATION_RATIO >= gap:
                p = dataclasses.replace(
                    p,
                    verdict=Verdict.AMPLIFIED,
                    explanation=(
                        f"{p.explanation} The sensitivity control ({control.name}: "
                        "one initial weight moved by one ulp) grew a single rounding "
                        f"error to a gap of {format_figure(reach)}, against this "
                        f"pair's {format_figure(gap)}: the same network; this "
                        "procedure amplifies rounding."
                    ),
                )
        out.append(p)
    return out


def conserved_sum(
    t: Trajectory, net: NetworkDef, tr: TrainingSpec, n_classes: int
) -> ConservedSum:
    """T3: the sum of the K-unit head's rows and biases over the recorded steps.

    The prediction is the same optimizer run on the sum with a zero loss gradient
    (weight decay only), where that is exact (:func:`conserved_sum_predictable`).
    """
    w = np.asarray(t.params["head.weight"], dtype=np.float64)
    b = np.asarray(t.params["head.bias"], dtype=np.float64)
    wsum = w.sum(axis=1)
    bsum = b.sum(axis=1)
    drift = np.maximum(
        np.max(np.abs(wsum - wsum[0]), axis=1, initial=0.0), np.abs(bsum - bsum[0])
    )
    tol = rounding_tolerance(tr.dtype, tr.steps)
    scale = max(1.0, float(np.max(np.abs(w))), float(np.max(np.abs(b))))
    ok, why = conserved_sum_predictable(tr, n_classes)
    pw: FloatArray | None = None
    pb: FloatArray | None = None
    deviation: FloatArray | None = None
    decays = tr.weight_decay > 0
    if ok:
        dtype = np.dtype(tr.dtype)
        sw = wsum[0].astype(dtype)
        sb = bsum[:1].astype(dtype)
        opt = make_optimizer(tr.optimizer_spec(), [sw, sb], *param_factors(net, tr, 2))
        zero_w, zero_b = np.zeros_like(sw), np.zeros_like(sb)
        pw = np.empty_like(wsum)
        pb = np.empty_like(bsum)
        pw[0], pb[0] = sw, sb[0]
        i = 1
        if decays:
            for step in range(1, int(t.steps[-1]) + 1):
                opt.step([sw, sb], [zero_w, zero_b])
                if step == t.steps[i]:
                    pw[i], pb[i] = sw, sb[0]
                    i += 1
        else:
            pw[:] = sw
            pb[:] = sb[0]
        deviation = np.maximum(
            np.max(np.abs(wsum - pw), axis=1, initial=0.0), np.abs(bsum - pb)
        )
        max_dev = float(np.max(deviation))
        if max_dev <= tol * scale:
            verdict = "decays as predicted" if decays else "conserved up to rounding"
        else:
            verdict = "deviates from the prediction"
        explanation = (
            f"The loss gradient of the rows sums to zero (T3). {why} "
            + (
                "With weight decay the sum shrinks as the optimizer applied to the "
                "decay alone predicts. "
                if decays
                else "Without weight decay the sum w1 + w2 (and b1 + b2) stays fixed. "
            )
            + f"Largest deviation from the prediction {format_figure(max_dev)} "
            f"(threshold {format_figure(tol * scale)}); largest change from the start "
            f"{format_figure(float(np.max(drift)))}."
        )
    else:
        verdict = "drifts (no exact prediction)"
        explanation = (
            f"The loss gradient of the rows sums to zero (T3), but {why[0].lower()}"
            f"{why[1:]} Largest change of the sum from the start: "
            f"{format_figure(float(np.max(drift)))}."
        )
    return ConservedSum(
        network=t.name,
        steps=t.steps,
        weight_sum=wsum,
        bias_sum=bsum,
        drift=drift,
        predicted_weight_sum=pw,
        predicted_bias_sum=pb,
        deviation=deviation,
        verdict=verdict,
        explanation=explanation,
        threshold=tol * scale,
    )


def head_movement(
    a: Trajectory, b: Trajectory, net_a: NetworkDef, net_b: NetworkDef, tr: TrainingSpec
) -> HeadMovement:
    """T5: the ratio of the first-step head movements (reference coordinates)."""
    wa, ba = reference_head(a)
    wb, bb = reference_head(b)
    if a.n_records < 2 or b.n_records < 2:
        move_a = move_b = float("nan")
    else:
        move_a = float(
            np.sqrt(np.sum((wa[1] - wa[0]) ** 2) + np.sum((ba[1] - ba[0]) ** 2))
        )
        move_b = float(
            np.sqrt(np.sum((wb[1] - wb[0]) ** 2) + np.sum((bb[1] - bb[0]) ** 2))
        )
    ratio = move_a / move_b if move_b > 0 else float("nan")
    predicted = head_ratio_prediction(net_a, net_b, tr)
    text = (
        f"In the first step the head of network {a.name} moved {format_figure(move_a)} in "
        f"reference coordinates (w2 - w1, b2 - b1) and that of network {b.name} "
        f"{format_figure(move_b)}: ratio {ratio:.6f}."
    )
    if predicted is not None:
        text += (
            f" Predicted {predicted:g} (T5): each row of the two-unit head receives the "
            "gradient, with opposite signs, so their difference moves twice as far"
            + (
                f", and network {b.name}'s head rate is x{net_b.head_lr_multiplier:g}."
                if net_b.head_lr_multiplier != 1
                else "."
            )
        )
    else:
        text += " With weight decay the ratio depends on the parameters; measured only."
    return HeadMovement(
        left=a.name, right=b.name, ratio=ratio, predicted=predicted, explanation=text
    )
