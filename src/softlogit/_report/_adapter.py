"""Build the reports' :class:`ReportData` from an :class:`ExperimentResult`.

This is the only module of the reports that knows the layout of the experiment result;
everything else reads the :class:`~softlogit._report._data.ReportData` made here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from softlogit._report._data import Answer, PairReport, ReportData, format_number
from softlogit._typing import FloatArray
from softlogit.experiment._compare import reference_head

if TYPE_CHECKING:
    from softlogit.experiment import ExperimentResult

__all__ = ["VERDICT_KEYS", "report_data"]

#: verdict text of the experiment -> verdict key of the reports
VERDICT_KEYS: dict[str, str] = {
    "identical up to rounding": "identical",
    "same function, different trajectory": "same_function",
    "different": "different",
    "not compared": "not_compared",
    # an expectation, not a measured verdict: either of the two non-identical ones
    "not identical": "not_identical",
}

#: answer key of the experiment -> (question of the seed discussion, pair it is about)
QUESTIONS: dict[str, tuple[str, tuple[str, str]]] = {
    "networks_0_and_1": (
        "Do networks 0 and 1 end with very similar weights?",
        ("0", "1"),
    ),
    "networks_0_and_2": (
        "What can be concluded about networks 0 and 2?",
        ("0", "2"),
    ),
    "softmax_and_reference": (
        "Does a K-unit softmax head train like a (K − 1)-unit reference-class head?",
        ("softmax", "reference"),
    ),
    "softmax_and_reference_P": (
        "And with the reference head's gradient preconditioned by P = I + 11ᵀ?",
        ("softmax", "reference-P"),
    ),
}


def _split_answer(text: str) -> tuple[str, str]:
    """The first sentence (the headline) and the rest of an answer.

    Examples
    --------
    >>> _split_answer("No. They differ by 0.3 after 2000 steps.")
    ('No.', 'They differ by 0.3 after 2000 steps.')
    >>> _split_answer("Yes, up to 1e-16.")
    ('Yes, up to 1e-16.', '')
    """
    match = re.search(r"(?<=[.!?;:])\s+(?=[A-Z(])", text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), text[match.end() :].strip()


def _and(names: list[str]) -> str:
    """``"0, 1, 2 and 1c"``.

    Examples
    --------
    >>> _and(["0", "1", "2", "1c"]), _and(["0"])
    ('0, 1, 2 and 1c', '0')
    """
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _largest(values: FloatArray) -> float:
    """The largest non-NaN value (NaN if there is none), without a warning."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    return float(v.max()) if v.size else float("nan")


def _verdict_of(result: ExperimentResult, left: str, right: str) -> str | None:
    try:
        return VERDICT_KEYS.get(result.pair(left, right).verdict)
    except KeyError:
        return None


def _headline(result: ExperimentResult, key: str) -> str | None:
    """A one-line answer from the measured verdicts, or None to use the text's own."""
    if key == "networks_0_and_1":
        same_rate = _verdict_of(result, "0", "1")
        corrected = _verdict_of(result, "0", "1c")
        if same_rate in ("same_function", "different"):
            line = "No, not at equal learning rates."
            if corrected == "identical":
                line += " With the head rate doubled (1c): yes, up to rounding."
            return line
        if same_rate == "identical":
            return "Yes: identical up to rounding."
        return None
    if key == "networks_0_and_2":
        verdict = _verdict_of(result, "0", "2")
        if verdict == "identical":
            return "The same network: same function, same trajectory up to rounding."
        return None
    if key == "softmax_and_reference_P":
        verdict = _verdict_of(result, "softmax", "reference-P")
        if verdict == "identical":
            return "Yes: the same trajectory up to rounding (SGD-type updates)."
        return None
    if key == "softmax_and_reference":
        plain = _verdict_of(result, "softmax", "reference")
        corrected = _verdict_of(result, "softmax", "reference-P")
        if plain in ("same_function", "different") and corrected == "identical":
            return "Not at equal rates; with the preconditioner P = I + 11ᵀ, up to rounding."
        return None
    return None


def _settings(result: ExperimentResult) -> tuple[tuple[str, str], ...]:
    spec = result.spec
    info = result.data
    hidden = spec.model.hidden
    act = spec.model.activation
    if not hidden:
        base = "no hidden layer (heads on the inputs)"
    elif len(hidden) == 1:
        base = f"one hidden layer of {hidden[0]} {act} units"
    else:
        base = f"hidden layers {', '.join(map(str, hidden))} ({act})"
    t = spec.training
    optimizer = f"{t.optimizer}, lr {format_number(t.lr)}"
    if t.optimizer in ("momentum", "nesterov"):
        optimizer += f", momentum {format_number(t.momentum)}"
    if t.optimizer in ("adam", "adamw"):
        optimizer += (
            f", betas ({format_number(t.beta1)}, {format_number(t.beta2)}), "
            f"eps {format_number(t.eps)}"
        )
    if t.weight_decay:
        mode = "decoupled" if t.decoupled else "coupled"
        optimizer += f", weight decay {format_number(t.weight_decay)} ({mode})"
    if t.base_lr_multiplier != 1 or t.head_lr_multiplier != 1:
        optimizer += (
            f", lr factors base {format_number(t.base_lr_multiplier)} / head "
            f"{format_number(t.head_lr_multiplier)}"
        )
    batch = "full batch" if t.batch_size is None else f"minibatches of {t.batch_size}"
    return (
        (
            "data",
            f"{info.name}: {info.n_train} train / {info.n_test} test, "
            f"{info.n_features} features, {info.n_classes} classes",
        ),
        ("base network", base),
        ("optimizer", optimizer),
        ("steps", f"{t.steps} ({batch}), recorded every {t.record_interval}"),
        ("dtype", t.dtype),
        (
            "initialization",
            f"{spec.init.init_from} head drawn, mapped to the others"
            + (
                f" ({spec.init.gauge} gauge)"
                if spec.init.init_from == "sigmoid"
                else ""
            ),
        ),
        ("seed", str(spec.seed)),
        ("engine", result.engine),
    )


def _pick_coordinates(
    coords: dict[str, FloatArray], order: list[str], n_weights: int = 2
) -> tuple[list[int], FloatArray | None]:
    """Indices of the weights that move most in the first network."""
    first = next((coords[n] for n in order if n in coords), None)
    if first is None or first.shape[1] <= 1:
        return [], first
    weights = first[:, :-1]
    finite = np.where(np.isfinite(weights), weights, 0.0)
    movement = np.abs(finite[-1] - finite[0])
    picked = sorted(np.argsort(-movement, kind="stable")[:n_weights].tolist())
    return [int(i) for i in picked], first


def report_data(result: ExperimentResult) -> ReportData:
    """The view of ``result`` that every report reads.

    Parameters
    ----------
    result : ExperimentResult
        A finished (possibly diverged) experiment.

    Returns
    -------
    ReportData
    """
    trajectories = result.trajectories
    names = list(trajectories)
    longest = max(trajectories.values(), key=lambda t: t.n_records)
    steps = np.asarray(longest.steps, dtype=np.float64)
    n_classes = result.data.n_classes

    # head coordinates, flattened: K-1 rows of weights, then the K-1 biases
    flat: dict[str, FloatArray] = {}
    for name, traj in trajectories.items():
        w, b = reference_head(traj)
        flat[name] = np.concatenate([w.reshape(w.shape[0], -1), b], axis=1)
    n_last = next(iter(trajectories.values())).params["head.weight"].shape[-1]
    picked, _ = _pick_coordinates(flat, names)
    rows = n_classes - 1
    labels: list[str] = []
    columns: list[int] = []
    for idx in picked:
        row, j = divmod(idx, n_last)
        if row >= rows:
            continue
        labels.append(f"w[{j}]" if rows == 1 else f"w{row + 1}[{j}] − w0[{j}]")
        columns.append(idx)
    labels.append("b" if rows == 1 else "b1 − b0")
    columns.append(rows * n_last)  # the first bias
    head = {
        name: values[:, columns] for name, values in flat.items() if values.shape[1]
    }

    pairs: list[PairReport] = []
    notes: list[str] = []
    for p in result.pairs:
        m = p.metrics
        params_curve = np.fmax(m["base_max_abs"], m["head_max_abs"])
        proba_curve = np.fmax(m["proba_train_max_abs"], m["proba_test_max_abs"])
        verdict = VERDICT_KEYS.get(p.verdict, "different")
        expected = None if p.expected is None else VERDICT_KEYS.get(p.expected)
        pairs.append(
            PairReport(
                a=p.left,
                b=p.right,
                verdict=verdict,
                theorem=p.theorem,
                explanation=p.explanation,
                step_id=p.derivation_step or None,
                final={
                    "max |Δ base|": p.final("base_max_abs"),
                    "max |Δ head|": p.final("head_max_abs"),
                    "max |Δ proba|": float(proba_curve[-1]),
                    "labels differ": p.final("label_disagreement_test"),
                    "|Δ loss|": p.final("train_loss_diff"),
                },
                curves={
                    "parameters (base and head)": params_curve,
                    "predicted probabilities": proba_curve,
                },
                threshold=p.threshold,
                expected=expected,
            )
        )
        if p.expected is None and verdict != "not_compared":
            notes.append(
                f"{p.name}: the theory has no exact prediction for this training "
                f"procedure; the verdict '{p.verdict}' is measured, not asserted."
            )
        elif pairs[-1].agrees is False and verdict != "not_compared":
            notes.append(
                f"{p.name}: measured '{p.verdict}' but {p.theorem} predicts "
                f"'{p.expected}'."
            )

    conserved: dict[str, FloatArray] = {}
    facts: list[tuple[str, str]] = []
    for c in result.conserved:
        label = (
            f"network {c.network}: w1 + w2, b1 + b2"
            if n_classes == 2
            else f"network {c.network}: Σ w_k, Σ b_k"
        )
        if c.deviation is not None:
            conserved[f"{label} (vs prediction)"] = np.asarray(c.deviation, float)
        else:
            conserved[f"{label} (no prediction: raw drift)"] = np.asarray(
                c.drift, float
            )
        if c.deviation is not None:
            detail = (
                "largest deviation from the prediction "
                f"{format_number(_largest(c.deviation))}"
            )
        else:
            detail = f"largest drift {format_number(_largest(c.drift))}"
            if "no exact prediction" not in c.verdict:
                detail += "; no exact prediction"
        sums = "w1 + w2, b1 + b2" if n_classes == 2 else "Σ w_k, Σ b_k"
        facts.append(
            (
                f"{c.theorem}, network {c.network}",
                f"{sums} {c.verdict} ({detail}, threshold "
                f"{format_number(c.threshold)})",
            )
        )
    for h in result.head_movements:
        predicted = (
            "" if h.predicted is None else f", predicted {format_number(h.predicted)}"
        )
        facts.append(
            (
                f"{h.theorem}, {h.left} / {h.right}",
                f"first-step head movement ratio {h.ratio:.6f}{predicted}",
            )
        )
    if "total" in result.timings:
        facts.append(
            ("time", f"{result.timings['total']:.2f} s ({result.engine} engine)")
        )

    answers: list[Answer] = []
    for key, text in result.answers.items():
        question, (left, right) = QUESTIONS.get(key, (key.replace("_", " "), ("", "")))
        short, rest = _split_answer(text)
        headline = _headline(result, key)
        if headline is not None:
            short, rest = headline, text
        step_id: str | None = None
        try:
            step_id = result.pair(left, right).derivation_step or None
        except KeyError:
            step_id = None
        answers.append(Answer(question, short, rest, step_id))

    diverged = {
        name: t.message or f"the loss became NaN or infinite at step {t.diverged_at}."
        for name, t in trajectories.items()
        if t.diverged
    }
    return ReportData(
        title=(f"Networks {_and(names)} trained side by side on {result.data.name}"),
        settings=_settings(result),
        steps=steps,
        networks=tuple(names),
        descriptions={n: t.description for n, t in trajectories.items()},
        losses={n: np.asarray(t.train_loss, float) for n, t in trajectories.items()},
        head=head,
        head_labels=tuple(labels),
        conserved=conserved,
        pairs=tuple(pairs),
        answers=tuple(answers),
        notes=tuple(notes),
        diverged=diverged,
        facts=tuple(facts),
        dtype=result.spec.training.dtype,
    )
