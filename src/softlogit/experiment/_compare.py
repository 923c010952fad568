"""Step-by-step comparison of trained networks, verdicts, conserved sums and answers."""

from __future__ import annotations

import numpy as np

from softlogit._optimizers import make_optimizer
from softlogit._typing import FloatArray
from softlogit.experiment._networks import NetworkDef
from softlogit.experiment._result import (
    PAIR_METRICS,
    ConservedSum,
    HeadMovement,
    PairComparison,
    Trajectory,
)
from softlogit.experiment._spec import TrainingSpec
from softlogit.experiment._theory import (
    DIFFERENT,
    IDENTICAL,
    NOT_COMPARED,
    NOT_IDENTICAL,
    SAME_FUNCTION,
    THEOREM_STEPS,
    conserved_sum_predictable,
    function_tolerance,
    head_ratio_prediction,
    predict_pair,
    rounding_tolerance,
)

__all__ = [
    "answer_questions",
    "compare_pair",
    "conserved_sum",
    "head_movement",
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


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def compare_pair(
    a: Trajectory,
    b: Trajectory,
    net_a: NetworkDef,
    net_b: NetworkDef,
    tr: TrainingSpec,
    n_classes: int,
) -> PairComparison:
    """Compare two trajectories step by step and give the verdict with its theory."""
    n = min(a.n_records, b.n_records)
    steps = a.steps[:n]
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
    metrics = {k: metrics[k] for k in PAIR_METRICS}

    tol = rounding_tolerance(tr.dtype, tr.steps)
    ftol = function_tolerance(tr.dtype)
    pred = predict_pair(net_a, net_b, tr, n_classes)
    param_gap = float(np.max(np.maximum(base_rel, head_rel)))
    proba_gap = float(
        np.max(
            np.maximum(metrics["proba_train_max_abs"], metrics["proba_test_max_abs"])
        )
    )
    final_proba = max(
        float(metrics["proba_train_max_abs"][-1]),
        float(metrics["proba_test_max_abs"][-1]),
    )
    final_labels = max(
        float(metrics["label_disagreement_train"][-1]),
        float(metrics["label_disagreement_test"][-1]),
    )
    start_proba = max(
        float(metrics["proba_train_max_abs"][0]),
        float(metrics["proba_test_max_abs"][0]),
    )
    last = int(steps[-1])
    figures = (
        f"over {last} steps the largest relative gap of the weights is "
        f"{_fmt(param_gap)} (head in reference coordinates {_fmt(float(np.max(head_rel)))}"
        f", base {_fmt(float(np.max(base_rel)))}) and of the probabilities "
        f"{_fmt(proba_gap)}; rounding threshold {_fmt(tol)}."
    )
    diverged = [t for t in (a, b) if t.diverged]
    if diverged:
        verdict = NOT_COMPARED
        explanation = (
            " ".join(str(t.message) for t in diverged)
            + f" No verdict: the pair is compared only up to step {last}."
        )
    else:
        if param_gap <= tol and proba_gap <= tol:
            verdict = IDENTICAL
        elif start_proba <= tol and final_proba <= ftol and final_labels == 0:
            verdict = SAME_FUNCTION
        else:
            verdict = DIFFERENT
        explanation = f"{pred.reason} Measured: {figures}"
        if pred.expected is None:
            explanation += (
                " Theory makes no exact prediction here; this is a measurement."
            )
        elif pred.expected == NOT_IDENTICAL and verdict == IDENTICAL:
            explanation += (
                " The theory predicts different trajectories, but within these steps "
                "the gap stayed at rounding level."
            )
        elif pred.expected == IDENTICAL and verdict != IDENTICAL:
            gaps = np.maximum.reduce(
                [
                    base_rel,
                    head_rel,
                    metrics["proba_train_max_abs"],
                    metrics["proba_test_max_abs"],
                ]
            )
            first = int(np.argmax(gaps > tol))
            before = int(steps[first - 1]) if first > 0 else 0
            explanation += (
                " In exact arithmetic the trajectories coincide. The measured gap "
                f"stayed within rounding up to step {before} and exceeded the "
                f"threshold at step {int(steps[first])}: the dynamics amplified "
                "rounding differences (as in a loss spike, or Adam dividing by the "
                "root of a nearly vanishing second moment)."
            )
    return PairComparison(
        left=a.name,
        right=b.name,
        steps=steps,
        metrics=metrics,
        verdict=verdict,
        expected=pred.expected,
        theorem=pred.theorem,
        derivation_step=THEOREM_STEPS[pred.theorem],
        explanation=explanation,
        threshold=tol,
        function_threshold=ftol,
    )


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
        opt = make_optimizer(
            tr.optimizer_spec(),
            [sw, sb],
            [tr.head_lr_multiplier * net.head_lr_multiplier] * 2,
            [net.head_weight_decay_multiplier] * 2,
        )
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
            + f"Largest deviation from the prediction {_fmt(max_dev)} "
            f"(threshold {_fmt(tol * scale)}); largest change from the start "
            f"{_fmt(float(np.max(drift)))}."
        )
    else:
        verdict = "drifts (no exact prediction)"
        explanation = (
            f"The loss gradient of the rows sums to zero (T3), but {why[0].lower()}"
            f"{why[1:]} Largest change of the sum from the start: "
            f"{_fmt(float(np.max(drift)))}."
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
        f"In the first step the head of network {a.name} moved {_fmt(move_a)} in "
        f"reference coordinates (w2 - w1, b2 - b1) and that of network {b.name} "
        f"{_fmt(move_b)}: ratio {ratio:.6f}."
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


def answer_questions(
    pairs: list[PairComparison],
    conserved: list[ConservedSum],
    movements: list[HeadMovement],
    tr: TrainingSpec,
) -> dict[str, str]:
    """The seed's two questions (and the K > 2 analogue) answered in words."""
    by = {(p.left, p.right): p for p in pairs}
    by.update({(p.right, p.left): p for p in pairs})
    out: dict[str, str] = {}
    steps = tr.steps
    opt = tr.optimizer

    def gap(p: PairComparison) -> str:
        weights = max(p.max("base_max_rel"), p.max("head_max_rel"))
        proba = max(p.max("proba_train_max_abs"), p.max("proba_test_max_abs"))
        return (
            f"largest relative weight gap {_fmt(weights)}, largest probability gap "
            f"{_fmt(proba)}"
        )

    # network 2 stands in for network 0 when 0 was not run (T4: they are the same)
    p01 = by.get(("0", "1")) or by.get(("2", "1"))
    p01c = by.get(("0", "1c")) or by.get(("2", "1c"))
    if p01 is not None or p01c is not None:
        parts = []
        first = p01 if p01 is not None else p01c
        assert first is not None
        z = first.left if first.left in ("0", "2") else first.right
        if p01 is not None:
            if p01.verdict == NOT_COMPARED:
                parts.append(
                    f"Networks {z} and 1 could not be compared: {p01.explanation}"
                )
            elif p01.verdict == IDENTICAL:
                parts.append(
                    f"At equal learning rates networks {z} and 1 stayed within rounding of "
                    f"each other over these {steps} steps ({gap(p01)}), although T5 "
                    "predicts that they drift apart."
                )
            else:
                qual = (
                    "compute nearly the same function but with different weights"
                    if p01.verdict == SAME_FUNCTION
                    else "end with different weights and different predictions"
                )
                parts.append(
                    f"No. Trained side by side with {opt} at the same learning rate "
                    f"from equivalent initial weights, networks {z} and 1 {qual} after "
                    f"{steps} steps ({gap(p01)}). The base receives the same gradient "
                    "while the functions agree, but the head difference w2 - w1 of "
                    f"network {z} receives the gradient once through each row, so it "
                    "moves twice as far per step as network 1's w (T5)."
                )
            move = next((m for m in movements if m.right == "1"), None)
            if move is not None:
                parts.append(f"Measured first-step ratio: {move.ratio:.6f}.")
        if p01c is not None:
            if p01c.verdict == IDENTICAL:
                parts.append(
                    "With network 1's head learning rate doubled and its head weight "
                    f"decay halved (network 1c), it reproduces network {z} up to rounding "
                    f"({gap(p01c)}; threshold {_fmt(p01c.threshold)})."
                )
            elif p01c.verdict == NOT_COMPARED:
                parts.append(f"Network 1c could not be compared: {p01c.explanation}")
            elif p01c.expected is None:
                parts.append(
                    "Doubling network 1's head learning rate (network 1c) is not an "
                    f"exact correction for {opt} with these settings; measured "
                    f"{gap(p01c)} ({p01c.verdict})."
                )
            else:
                parts.append(
                    f"Network 1c (head rate x2, decay x1/2) should reproduce network {z} "
                    f"exactly, but rounding was amplified: {gap(p01c)} ({p01c.verdict})."
                )
        out["networks_0_and_1"] = " ".join(parts)
    p02 = by.get(("0", "2"))
    if p02 is not None:
        cons = [c for c in conserved if c.network in ("0", "2")]
        cons_text = "; ".join(
            f"network {c.network}: {c.verdict}, largest change "
            f"{_fmt(float(np.max(c.drift)))}"
            for c in cons
        )
        if p02.verdict == NOT_COMPARED:
            text = f"Networks 0 and 2 could not be compared: {p02.explanation}"
        elif p02.verdict == IDENTICAL:
            text = (
                "They are the same network written two ways: softmax(z1, z2)_2 = "
                "sigmoid(z2 - z1) (T1), so networks 0 and 2 compute the same function "
                "of the same parameters, have the same loss (T2) and the same "
                "gradients, and trained identically they follow the same trajectory "
                f"up to rounding (T4): {gap(p02)} after {steps} steps, threshold "
                f"{_fmt(p02.threshold)}."
            )
        else:
            text = (
                "Networks 0 and 2 compute the same function of the same parameters "
                "and receive the same gradients (T1, T2, T4), so in exact arithmetic "
                f"they follow one trajectory; here rounding was amplified: {gap(p02)} "
                f"({p02.verdict})."
            )
        if cons_text:
            text += (
                " The sum of the two rows, w1 + w2 and b1 + b2, receives zero gradient "
                f"from the loss (T3) — {cons_text}."
            )
        out["networks_0_and_2"] = text
    for ref in ("reference", "reference-P"):
        p = by.get(("softmax", ref))
        if p is None:
            continue
        key = (
            "softmax_and_reference" if ref == "reference" else "softmax_and_reference_P"
        )
        out[key] = (
            f"Softmax head against the {ref} head: {p.verdict} ({gap(p)}). "
            f"{p.explanation}"
        )
    return out
