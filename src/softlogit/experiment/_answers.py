"""The seed's questions, answered from the comparisons.

Each answer is decided here, once, from the typed verdicts of the pair comparisons
(:class:`~softlogit.experiment.Verdict`): a short headline, the explanation in words
with the figures it cites, the figures themselves and the derivation step that
proves the theory behind it. Reports and the command line only show an
:class:`Answer`; they never decide one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from softlogit.experiment._comparisons import (
    ConservedSum,
    HeadMovement,
    PairComparison,
    format_figure,
)
from softlogit.experiment._loss_path import FLOAT32_OPS
from softlogit.experiment._spec import TrainingSpec
from softlogit.experiment._verdict import Verdict

__all__ = ["QUESTIONS", "Answer", "answer_questions"]

#: answer key -> the question of the seed discussion it answers
QUESTIONS: dict[str, str] = {
    "networks_0_and_1": "Do networks 0 and 1 end with very similar weights?",
    "networks_0_and_2": "What can be concluded about networks 0 and 2?",
    "softmax_and_reference": (
        "Does a K-unit softmax head train like a (K − 1)-unit reference-class head?"
    ),
    "softmax_and_reference_P": (
        "And with the reference head's gradient preconditioned by P = I + 11ᵀ?"
    ),
}

_NOT_COMPARED = "Not compared: a run diverged."
_CORRECTED = "With the head rate doubled (1c): yes, up to rounding."
_AMPLIFIED = "The same network; this procedure amplifies rounding."
_CONTROL = (
    "the one-ulp control (network 0 against itself, one initial weight moved by one "
    "ulp) grew a single rounding error as far, so the gap measures how this "
    "training amplifies rounding, not a difference between the networks"
)


@dataclass(frozen=True)
class Answer:
    """The experiment's answer to one of the seed's questions.

    Attributes
    ----------
    key : str
        ``'networks_0_and_1'``, ``'networks_0_and_2'`` (K = 2),
        ``'softmax_and_reference'``, ``'softmax_and_reference_P'``; the key of
        :attr:`ExperimentResult.answers`.
    question : str
        The question, in words (:data:`QUESTIONS`).
    headline : str
        The short answer (``'No, not at equal learning rates.'``).
    explanation : str
        The answer in words, with the figures it cites; the text of
        :attr:`ExperimentResult.answers`.
    verdict : Verdict or None
        The measured verdict of the pair the question is about (``None`` when only
        a related pair was compared, e.g. network 1c without network 1).
    figures : mapping of str to float
        The numbers the explanation cites: ``final_weight_gap`` and
        ``final_probability_gap`` (relative weight gap and probability gap at the
        last recorded step, the step the verdicts table shows), ``weight_gap`` and
        ``probability_gap`` (the largest over the recorded steps), ``threshold``
        (rounding tolerance), and where they apply ``first_step_ratio``,
        ``corrected_weight_gap``, ``corrected_probability_gap``,
        ``corrected_final_weight_gap``, ``corrected_final_probability_gap``
        (network 1c) and ``row_sum_change_<network>`` (largest change of the
        conserved sum, T3).
    steps : int or None
        The number of optimizer steps the figures refer to.
    derivation_step : str or None
        Id of the derivation step that proves the theory behind the answer (HTML
        anchor ``step-<id>``; see ``softlogit derive``).
    """

    key: str
    question: str
    headline: str
    explanation: str
    verdict: Verdict | None = None
    figures: Mapping[str, float] = field(default_factory=dict)
    steps: int | None = None
    derivation_step: str | None = None


def _gaps(p: PairComparison) -> tuple[float, float]:
    """The largest relative weight gap and the largest probability gap of a pair."""
    weights = max(p.max("base_max_rel"), p.max("head_max_rel"))
    proba = max(p.max("proba_train_max_abs"), p.max("proba_test_max_abs"))
    return weights, proba


def _final_gaps(p: PairComparison) -> tuple[float, float]:
    """The relative weight gap and the probability gap at the last recorded step."""
    weights = max(p.final("base_max_rel"), p.final("head_max_rel"))
    proba = max(p.final("proba_train_max_abs"), p.final("proba_test_max_abs"))
    return weights, proba


def _gap_text(p: PairComparison) -> str:
    """The gaps at the last step, and the largest of the run where it is larger.

    The verdicts table shows the last step, so the answer cites it first and names
    the run's largest gap as such.
    """
    weights, proba = _gaps(p)
    final_w, final_p = _final_gaps(p)
    step = int(p.steps[-1]) if len(p.steps) else 0
    at_end = (
        f"relative weight gap {format_figure(final_w)} and probability gap "
        f"{format_figure(final_p)} at the last step ({step})"
    )
    if format_figure(final_w) == format_figure(weights) and format_figure(
        final_p
    ) == format_figure(proba):
        return f"{at_end}, the largest of the run"
    return (
        f"{at_end}; the largest during the run {format_figure(weights)} and "
        f"{format_figure(proba)}"
    )


def _answer(
    key: str,
    main: PairComparison,
    headline: str,
    explanation: str,
    figures: dict[str, float],
    tr: TrainingSpec,
    verdict: Verdict | None,
    question: str | None = None,
) -> Answer:
    return Answer(
        key=key,
        question=QUESTIONS[key] if question is None else question,
        headline=headline,
        explanation=explanation,
        verdict=verdict,
        figures=figures,
        steps=tr.steps,
        derivation_step=main.derivation_step or None,
    )


def _cause(p: PairComparison) -> str:
    """Why a pair the theory keeps identical is not: Keras' clip, float32
    operations in a float64 run, or amplified rounding."""
    if p.clipped:
        return "Keras computed the loss from clipped probabilities"
    if FLOAT32_OPS in p.explanation:
        return "the framework computed some float64 operations in float32"
    return "rounding was amplified"


def _path_sentence(p: PairComparison) -> str:
    """The pair's loss paths, for a pair whose networks Keras trained (or "")."""
    return f" {p.loss_path_note}" if p.clipped else ""


def _same_rate_text(p01: PairComparison, z: str, tr: TrainingSpec) -> str:
    """Networks 0 (or 2) and 1 at equal learning rates (T5)."""
    if p01.verdict is Verdict.NOT_COMPARED:
        return f"Networks {z} and 1 could not be compared: {p01.explanation}"
    if p01.verdict is Verdict.IDENTICAL:
        return (
            f"At equal learning rates networks {z} and 1 stayed within rounding of "
            f"each other over these {tr.steps} steps ({_gap_text(p01)}), although T5 "
            "predicts that they drift apart."
        )
    qual = (
        "compute nearly the same function but with different weights"
        if p01.verdict is Verdict.SAME_FUNCTION
        else "end with different weights and different predictions"
    )
    return (
        f"No. Trained side by side with {tr.optimizer} at the same learning rate "
        f"from equivalent initial weights, networks {z} and 1 {qual} after "
        f"{tr.steps} steps ({_gap_text(p01)}). The base receives the same gradient "
        "while the functions agree, but the head difference w2 - w1 of "
        f"network {z} receives the gradient once through each row, so it "
        "moves twice as far per step as network 1's w (T5)."
    )


def _corrected_text(p01c: PairComparison, z: str, tr: TrainingSpec) -> str:
    """Network 1c (head rate x2, decay x1/2) against network 0 (or 2)."""
    if p01c.verdict is Verdict.IDENTICAL:
        return (
            "With network 1's head learning rate doubled and its head weight "
            f"decay halved (network 1c), it reproduces network {z} up to rounding "
            f"({_gap_text(p01c)}; threshold {format_figure(p01c.threshold)})."
        )
    if p01c.verdict is Verdict.NOT_COMPARED:
        return f"Network 1c could not be compared: {p01c.explanation}"
    if p01c.verdict is Verdict.AMPLIFIED:
        return (
            "Network 1c (head rate x2, decay x1/2) is network "
            f"{z} in exact arithmetic; here {_gap_text(p01c)}, but {_CONTROL}."
        )
    if p01c.expected is None:
        return (
            "Doubling network 1's head learning rate (network 1c) is not an "
            f"exact correction for {tr.optimizer} with these settings; measured "
            f"{_gap_text(p01c)} ({p01c.verdict})."
        )
    return (
        f"Network 1c (head rate x2, decay x1/2) should reproduce network {z} "
        f"exactly, but {_cause(p01c)}: {_gap_text(p01c)} ({p01c.verdict})."
        + _path_sentence(p01c)
    )


def _headline_0_and_1(p01: PairComparison | None, p01c: PairComparison | None) -> str:
    corrected = p01c is not None and p01c.verdict is Verdict.IDENTICAL
    if p01 is None:
        assert p01c is not None
        if p01c.verdict is Verdict.NOT_COMPARED:
            return _NOT_COMPARED
        if corrected:
            return _CORRECTED
        return f"With the head rate doubled (1c): {p01c.verdict}."
    if p01.verdict is Verdict.NOT_COMPARED:
        return _NOT_COMPARED
    if p01.verdict is Verdict.IDENTICAL:
        return "Yes: identical up to rounding."
    line = "No, not at equal learning rates."
    if p01c is not None and p01c.verdict is Verdict.AMPLIFIED:
        return (
            f"{line} With the head rate doubled (1c): the same network; this "
            "procedure amplifies rounding."
        )
    return f"{line} {_CORRECTED}" if corrected else line


def _networks_0_and_1(
    by: Mapping[tuple[str, str], PairComparison],
    movements: Sequence[HeadMovement],
    tr: TrainingSpec,
) -> Answer | None:
    """Do networks 0 and 1 end with similar weights? (T5; network 2 stands in for 0
    when 0 was not run: T4 makes them the same network)."""
    p01 = by.get(("0", "1")) or by.get(("2", "1"))
    p01c = by.get(("0", "1c")) or by.get(("2", "1c"))
    main = p01 if p01 is not None else p01c
    if main is None:
        return None
    z = main.left if main.left in ("0", "2") else main.right
    parts: list[str] = []
    figures: dict[str, float] = {}
    p21 = by.get(("2", "1")) if z == "0" else None
    if p01 is not None:
        parts.append(_same_rate_text(p01, z, tr))
        if p21 is not None and p21.verdict is not Verdict.NOT_COMPARED:
            parts.append(
                "The softmax network 2 against network 1 (the learner's own "
                f"comparison; T4 makes network 2 network 0): {p21.verdict} "
                f"({_gap_text(p21)})."
            )
        figures["weight_gap"], figures["probability_gap"] = _gaps(p01)
        figures["final_weight_gap"], figures["final_probability_gap"] = _final_gaps(p01)
        move = next((m for m in movements if m.right == "1"), None)
        if move is not None:
            parts.append(f"Measured first-step ratio: {move.ratio:.6f}.")
            figures["first_step_ratio"] = move.ratio
    if p01c is not None:
        parts.append(_corrected_text(p01c, z, tr))
        gaps = _gaps(p01c)
        figures["corrected_weight_gap"], figures["corrected_probability_gap"] = gaps
        final = _final_gaps(p01c)
        figures["corrected_final_weight_gap"] = final[0]
        figures["corrected_final_probability_gap"] = final[1]
        figures["threshold"] = p01c.threshold
    figures.setdefault("threshold", main.threshold)
    return _answer(
        "networks_0_and_1",
        main,
        _headline_0_and_1(p01, p01c),
        " ".join(parts),
        figures,
        tr,
        None if p01 is None else p01.verdict,
        question=QUESTIONS["networks_0_and_1"].replace("0 and 1", f"{z} and 1"),
    )


def _networks_0_and_2(
    by: Mapping[tuple[str, str], PairComparison],
    conserved: Sequence[ConservedSum],
    tr: TrainingSpec,
) -> Answer | None:
    """What can be concluded about networks 0 and 2? (T1, T2, T4; T3)"""
    p02 = by.get(("0", "2"))
    if p02 is None:
        return None
    weights, proba = _gaps(p02)
    figures = {"weight_gap": weights, "probability_gap": proba}
    figures["final_weight_gap"], figures["final_probability_gap"] = _final_gaps(p02)
    figures["threshold"] = p02.threshold
    if p02.verdict is Verdict.NOT_COMPARED:
        headline = _NOT_COMPARED
        text = f"Networks 0 and 2 could not be compared: {p02.explanation}"
    elif p02.verdict is Verdict.IDENTICAL:
        headline = "The same network: same function, same trajectory up to rounding."
        text = (
            "They are the same network written two ways: softmax(z1, z2)_2 = "
            "sigmoid(z2 - z1) (T1), so networks 0 and 2 compute the same function "
            "of the same parameters, have the same loss (T2) and the same "
            "gradients, and trained identically they follow the same trajectory "
            f"up to rounding (T4): {_gap_text(p02)}, "
            f"threshold {format_figure(p02.threshold)}."
        )
    elif p02.verdict is Verdict.AMPLIFIED:
        headline = _AMPLIFIED
        text = (
            "Networks 0 and 2 compute the same function of the same parameters "
            "and receive the same gradients (T1, T2, T4), so in exact arithmetic "
            f"they follow one trajectory. Here they drifted apart ({_gap_text(p02)}), "
            f"but {_CONTROL}."
        )
    elif p02.clipped or FLOAT32_OPS in p02.explanation:
        headline = f"The same network; here {_cause(p02)}."
        text = (
            "Networks 0 and 2 compute the same function of the same parameters "
            "and receive the same gradients (T1, T2, T4), so in exact arithmetic "
            f"they follow one trajectory; here {_cause(p02)}: "
            f"{_gap_text(p02)} ({p02.verdict})." + _path_sentence(p02)
        )
    else:
        headline = "The same network, though the run drifted beyond rounding."
        text = (
            "Networks 0 and 2 compute the same function of the same parameters "
            "and receive the same gradients (T1, T2, T4), so in exact arithmetic "
            f"they follow one trajectory; here they drifted apart: "
            f"{_gap_text(p02)} ({p02.verdict}), more than the one-ulp control "
            "(network 0-ulp) explains, or without it."
        )
    sums = [c for c in conserved if c.network in ("0", "2")]
    for c in sums:
        figures[f"row_sum_change_{c.network}"] = float(np.max(c.drift))
    if sums:
        listed = "; ".join(
            f"network {c.network}: {c.verdict}, largest change "
            f"{format_figure(float(np.max(c.drift)))}"
            for c in sums
        )
        text += (
            " The sum of the two rows, w1 + w2 and b1 + b2, receives zero gradient "
            f"from the loss (T3) — {listed}."
        )
    return _answer("networks_0_and_2", p02, headline, text, figures, tr, p02.verdict)


def _headline_reference(
    p: PairComparison, other: PairComparison | None, preconditioned: bool, opt: str
) -> str:
    """The short answer for the softmax head against a reference head (T6)."""
    if p.verdict is Verdict.NOT_COMPARED:
        return _NOT_COMPARED
    if preconditioned:
        if p.verdict is Verdict.IDENTICAL:
            return "Yes: the same trajectory up to rounding (SGD-type updates)."
        if p.expected is None:
            return f"Measured: {p.verdict} (no exact prediction for {opt})."
        return f"Not up to rounding: {p.verdict} (rounding was amplified)."
    if p.verdict is Verdict.IDENTICAL:
        return "Yes: identical up to rounding."
    if other is not None and other.verdict is Verdict.IDENTICAL:
        return (
            "Not at equal rates; with the preconditioner P = I + 11ᵀ, up to rounding."
        )
    return "Not at equal rates."


def _softmax_and_reference(
    by: Mapping[tuple[str, str], PairComparison], tr: TrainingSpec
) -> list[Answer]:
    """Does a K-unit softmax head train like a (K - 1)-unit reference head? (T6)"""
    out: list[Answer] = []
    plain = by.get(("softmax", "reference"))
    corrected = by.get(("softmax", "reference-P"))
    for key, ref, p, other in (
        ("softmax_and_reference", "reference", plain, corrected),
        ("softmax_and_reference_P", "reference-P", corrected, plain),
    ):
        if p is None:
            continue
        weights, proba = _gaps(p)
        figures = {"weight_gap": weights, "probability_gap": proba}
        figures["final_weight_gap"], figures["final_probability_gap"] = _final_gaps(p)
        figures["threshold"] = p.threshold
        text = (
            f"Softmax head against the {ref} head: {p.verdict} ({_gap_text(p)}). "
            f"{p.explanation}"
        )
        headline = _headline_reference(p, other, ref == "reference-P", tr.optimizer)
        out.append(_answer(key, p, headline, text, figures, tr, p.verdict))
    return out


def answer_questions(
    pairs: Sequence[PairComparison],
    conserved: Sequence[ConservedSum],
    movements: Sequence[HeadMovement],
    tr: TrainingSpec,
) -> list[Answer]:
    """The seed's two questions (and the K > 2 analogue), answered from the pairs.

    Parameters
    ----------
    pairs : sequence of PairComparison
    conserved : sequence of ConservedSum
    movements : sequence of HeadMovement
    tr : TrainingSpec
        The training procedure (its optimizer and number of steps are cited).

    Returns
    -------
    list of Answer
        In the order of :data:`QUESTIONS`, for the questions whose pairs were
        compared.
    """
    by = {(p.left, p.right): p for p in pairs}
    by.update({(p.right, p.left): p for p in pairs})
    out = [
        _networks_0_and_1(by, movements, tr),
        _networks_0_and_2(by, conserved, tr),
    ]
    return [a for a in out if a is not None] + _softmax_and_reference(by, tr)
