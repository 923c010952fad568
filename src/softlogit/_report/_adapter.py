"""Build the reports' :class:`ReportData` from an :class:`ExperimentResult`.

This is the only module of the reports that knows the layout of the experiment result;
everything else reads the :class:`~softlogit._report._data.ReportData` made here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from softlogit._report._data import PairReport, ReportData, Term, format_number
from softlogit._typing import FloatArray
from softlogit.experiment import THEOREM_STEPS, THEOREMS, Verdict
from softlogit.experiment._compare import reference_head

if TYPE_CHECKING:
    from softlogit.experiment import (
        ConservedSum,
        ExperimentResult,
        HeadMovement,
        PairComparison,
        Trajectory,
    )

__all__ = ["report_data"]


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
        ("engine", _engine_text(result)),
    )


def _engine_text(result: ExperimentResult) -> str:
    """``'keras-fit (Keras 3.15.1, torch backend)'``, or the engine's name."""
    backend = result.versions.get("keras_backend")
    if backend is None:
        return result.engine
    return f"{result.engine} (Keras {result.versions.get('keras', '?')}, {backend} backend)"


def _keras_notes(result: ExperimentResult) -> list[str]:
    """What Keras did with the learner's code (engine 'keras-fit'), and the fix."""
    notes: list[str] = []
    paths = {n: t.loss_path for n, t in result.trajectories.items() if t.loss_path}
    if paths:
        backend = result.versions.get("keras_backend", "this")
        listed = "; ".join(
            f"network {n}: {p.code} — loss {p.words()}" for n, p in paths.items()
        )
        notes.append(f"Keras model.fit on the {backend} backend: {listed}.")
        clipped = {n: p for n, p in paths.items() if p.kind == "clipped"}
        if clipped:
            eps = next(iter(clipped.values())).epsilon
            fixes = "; ".join(f"network {n}: {p.fix}" for n, p in clipped.items())
            rows = max((pair.clip_rows for pair in result.pairs), default=0)
            here = (
                f"here up to {rows} training rows at a recorded step"
                if rows
                else "here no training row at the recorded steps"
            )
            notes.append(
                "What the learner's code did: the models output probabilities, and "
                f"Keras computed the loss of network{'s' if len(clipped) > 1 else ''} "
                f"{_and(list(clipped))} from them clipped to [{eps:g}, 1 − {eps:g}], "
                "which gives no gradient to a row whose true-class probability is "
                f"beyond those bounds ({here}) and loses digits in the gradient of "
                "nearly certain rows. The one-line change that restores exact "
                "equivalence (softlogit compare --engine keras --keras-style "
                f"fit-logits): {fixes}."
            )
    for t in result.trajectories.values():
        notes += [n for n in t.notes if n not in notes]
    return notes


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


def _head_coordinates(
    trajectories: dict[str, Trajectory], n_classes: int
) -> tuple[dict[str, FloatArray], tuple[str, ...]]:
    """A few comparable head coordinates of every network, and their labels."""
    names = list(trajectories)
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
    return head, tuple(labels)


def _pair_report(p: PairComparison) -> PairReport:
    m = p.metrics
    params_curve = np.fmax(m["base_max_abs"], m["head_max_abs"])
    proba_curve = np.fmax(m["proba_train_max_abs"], m["proba_test_max_abs"])
    return PairReport(
        a=p.left,
        b=p.right,
        verdict=p.verdict,
        theorem=p.theorem or (CONTROL_TERM.label if p.right.endswith("-ulp") else ""),
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
        expected=p.expected,
    )


def _note(p: PairComparison, report: PairReport) -> str | None:
    """What to call out about a pair: no exact prediction, or against the theory."""
    if p.verdict is Verdict.NOT_COMPARED or p.right.endswith("-ulp"):
        # a sensitivity control is a measurement by design; its row says what it is
        return None
    if p.expected is None:
        return (
            f"{p.name}: the theory has no exact prediction for this training "
            f"procedure; the verdict '{p.verdict}' is measured, not asserted."
        )
    if report.agrees is False:
        return (
            f"{p.name}: measured '{p.verdict}' but {p.theorem} predicts '{p.expected}'."
        )
    return None


def _conserved(
    sums: list[ConservedSum], n_classes: int
) -> tuple[dict[str, FloatArray], list[tuple[str, str]]]:
    """The curves (deviation from the prediction, or raw drift) and facts of T3."""
    curves: dict[str, FloatArray] = {}
    facts: list[tuple[str, str]] = []
    sums_text = "w1 + w2, b1 + b2" if n_classes == 2 else "Σ w_k, Σ b_k"
    for c in sums:
        label = f"network {c.network}: {sums_text}"
        if c.deviation is not None:
            curves[f"{label} (vs prediction)"] = np.asarray(c.deviation, float)
            detail = (
                "largest deviation from the prediction "
                f"{format_number(_largest(c.deviation))}"
            )
        else:
            curves[f"{label} (no prediction: raw drift)"] = np.asarray(c.drift, float)
            detail = f"largest drift {format_number(_largest(c.drift))}"
        facts.append(
            (
                f"{c.theorem}, network {c.network}",
                f"{sums_text} {c.verdict} ({detail}, threshold "
                f"{format_number(c.threshold)})",
            )
        )
    return curves, facts


def _movement_fact(h: HeadMovement) -> tuple[str, str]:
    predicted = (
        "" if h.predicted is None else f", predicted {format_number(h.predicted)}"
    )
    return (
        f"{h.theorem}, {h.left} / {h.right}",
        f"first-step head movement ratio {h.ratio:.6f}{predicted}",
    )


#: ExperimentResult.timings key -> the phase's name in the reports
_PHASES = {"data": "data", "train": "training", "compare": "comparison"}

#: the label of a sensitivity control's row, defined like a theorem
CONTROL_TERM = Term(
    "control",
    "a network against itself from initial weights one ulp apart: how far this "
    "training grows a single rounding error",
)


def glossary(pairs: list[PairReport]) -> tuple[Term, ...]:
    """T1-T8 with their derivation steps, and the control where a pair is one.

    Examples
    --------
    >>> [t.label for t in glossary([])]
    ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8']
    >>> glossary([])[3].step_id
    'linear-heads'
    """
    terms = [Term(k, v, THEOREM_STEPS.get(k)) for k, v in THEOREMS.items()]
    if any(p.theorem == CONTROL_TERM.label for p in pairs):
        terms.append(CONTROL_TERM)
    return tuple(terms)


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
    n_classes = result.data.n_classes
    head, labels = _head_coordinates(trajectories, n_classes)
    pairs = [_pair_report(p) for p in result.pairs]
    notes = [_note(p, r) for p, r in zip(result.pairs, pairs, strict=True)]
    conserved, facts = _conserved(result.conserved, n_classes)
    facts += [_movement_fact(h) for h in result.head_movements]
    diverged = {
        name: t.message or f"the loss became NaN or infinite at step {t.diverged_at}."
        for name, t in trajectories.items()
        if t.diverged
    }
    return ReportData(
        title=(f"Networks {_and(names)} trained side by side on {result.data.name}"),
        settings=_settings(result),
        steps=np.asarray(longest.steps, dtype=np.float64),
        networks=tuple(names),
        descriptions={n: t.description for n, t in trajectories.items()},
        losses={n: np.asarray(t.train_loss, float) for n, t in trajectories.items()},
        test_losses={n: float(t.test_loss[-1]) for n, t in trajectories.items()},
        test_accuracy={
            n: float(t.test_accuracy[-1])
            for n, t in trajectories.items()
            if t.test_accuracy is not None and t.test_accuracy.size
        },
        head=head,
        head_labels=labels,
        conserved=conserved,
        pairs=tuple(pairs),
        answers=tuple(result.answer_details),
        notes=tuple(note for note in notes if note is not None)
        + tuple(_keras_notes(result)),
        diverged=diverged,
        facts=tuple(facts),
        dtype=result.spec.training.dtype,
        engine=result.engine,
        glossary=glossary(pairs),
        phases=tuple(
            (label, float(result.timings[key]))
            for key, label in _PHASES.items()
            if key in result.timings
        ),
    )
