"""What the reports show, independent of how the experiment stored it.

Every report (terminal, plots, HTML, JSON) reads a :class:`ReportData`, a small
immutable view that :func:`report_data` builds from an experiment result. Keeping the
reports on this view means they never depend on the layout of the result's arrays, and
they can be tested on hand-made data with known answers. Verdicts and answers are the
experiment's own (:class:`~softlogit.experiment.Verdict`,
:class:`~softlogit.experiment.Answer`): the reports show them and decide nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from softlogit._typing import FloatArray
from softlogit.experiment import Answer, Verdict

__all__ = [
    "VERDICT_BADGES",
    "PairReport",
    "ReportData",
    "Term",
    "format_number",
]

#: verdict -> (short badge text, CSS class / colour name)
VERDICT_BADGES: dict[Verdict, tuple[str, str]] = {
    Verdict.IDENTICAL: ("identical up to rounding", "ok"),
    Verdict.SAME_FUNCTION: ("same function, different trajectory", "warn"),
    Verdict.DIFFERENT: ("different", "bad"),
    Verdict.NOT_COMPARED: ("not compared (a run diverged)", "bad"),
    Verdict.AMPLIFIED: ("same network; this procedure amplifies rounding", "info"),
    Verdict.NOT_IDENTICAL: ("not identical", "warn"),
}


@dataclass(frozen=True)
class Term:
    """A short name the report uses, defined in one line.

    Parameters
    ----------
    label : str
        ``"T4"`` (see :data:`softlogit.experiment.THEOREMS`) or ``"control"``.
    text : str
        The definition, one line.
    step_id : str or None
        The derivation step that proves it, or None.
    """

    label: str
    text: str
    step_id: str | None = None


@dataclass(frozen=True)
class PairReport:
    """The comparison of two networks, as the reports show it.

    Parameters
    ----------
    a, b : str
        The names of the two networks (``"0"``, ``"1"``, ``"2"``, ``"1c"``, ...).
    verdict : Verdict
        The measured verdict.
    theorem : str
        The theorem that explains the verdict (``"T4"``, see
        :data:`softlogit.experiment.THEOREMS`), or ``""``.
    explanation : str
        One or two sentences saying why, in words.
    step_id : str or None
        The id of the derivation step that explains the verdict (the HTML report links
        to ``#step-<step_id>``), or None.
    final : mapping of str to float
        Figures at the last recorded step, label -> value (e.g. ``"max |Δ head|"``).
    curves : mapping of str to ndarray of shape (n_records,)
        Per-step figures for the plots, label -> values (non-negative).
    threshold : float or None
        The rounding threshold the verdict was decided with, if any.
    expected : Verdict or None
        The verdict the theory predicts, or None where it has no exact prediction.
    """

    a: str
    b: str
    verdict: Verdict
    theorem: str = ""
    explanation: str = ""
    step_id: str | None = None
    final: Mapping[str, float] = field(default_factory=dict)
    curves: Mapping[str, FloatArray] = field(default_factory=dict)
    threshold: float | None = None
    expected: Verdict | None = None

    @property
    def agrees(self) -> bool | None:
        """Whether the measured verdict is the predicted one (None: no prediction)."""
        return self.verdict.agrees_with(self.expected)

    @property
    def label(self) -> str:
        """``"0 vs 2"``."""
        return f"{self.a} vs {self.b}"

    @property
    def badge(self) -> tuple[str, str]:
        """The verdict's badge text and colour class."""
        return VERDICT_BADGES[self.verdict]


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows.

    Parameters
    ----------
    title : str
        One line naming the experiment.
    settings : sequence of (str, str)
        The experiment's settings as label/value pairs, in display order.
    steps : ndarray of shape (n_records,)
        The recorded optimizer steps.
    networks : sequence of str
        The network names, in display order.
    descriptions : mapping of str to str
        Network name -> one-line description of its head.
    losses : mapping of str to ndarray of shape (n_records,)
        Training loss of each network at each recorded step.
    head : mapping of str to ndarray of shape (n_records, n_coords)
        A few comparable head coordinates of each network (``w`` for a sigmoid head,
        ``w2 - w1`` for a two-unit head), at each recorded step.
    head_labels : sequence of str
        Labels of the head coordinates (``"w[0]"``, ..., ``"b"``).
    conserved : mapping of str to ndarray of shape (n_records,)
        Drift of the conserved sums, label -> max |sum(t) - sum(0)| per step.
    pairs : sequence of PairReport
        The pairwise comparisons.
    answers : sequence of Answer
        The experiment's answers to the seed's questions.
    notes : sequence of str
        Remarks to show prominently (divergence, no exact prediction, ...).
    diverged : mapping of str to str
        Network name -> message, for networks whose loss became NaN or infinite.
    facts : sequence of (str, str)
        Further figures in words, label -> text (e.g. the first-step head-movement
        ratio and the conserved sums), shown under the verdicts.
    dtype : str
        The floating dtype of the run (``"float64"``).
    test_losses, test_accuracy : mapping of str to float
        Network name -> final test loss and final test accuracy (where recorded).
    glossary : sequence of Term
        The theorem labels (T1-T8) and other short names the report uses, each with
        its one-line definition and the derivation step that proves it.
    phases : sequence of (str, float)
        Wall-clock seconds of each phase of the run, in order (``"data"``,
        ``"training"``, ``"comparison"``, and from the command line
        ``"derivation check"``, ``"report"``); a last ``"total"`` entry, when
        present, is the whole command's wall-clock time.
    engine : str
        The engine that trained the networks (``"numpy"``).
    """

    title: str
    settings: tuple[tuple[str, str], ...]
    steps: FloatArray
    networks: tuple[str, ...]
    descriptions: Mapping[str, str]
    losses: Mapping[str, FloatArray]
    head: Mapping[str, FloatArray]
    head_labels: tuple[str, ...]
    conserved: Mapping[str, FloatArray]
    pairs: tuple[PairReport, ...]
    answers: tuple[Answer, ...]
    notes: tuple[str, ...] = ()
    diverged: Mapping[str, str] = field(default_factory=dict)
    facts: tuple[tuple[str, str], ...] = ()
    dtype: str = "float64"
    test_losses: Mapping[str, float] = field(default_factory=dict)
    test_accuracy: Mapping[str, float] = field(default_factory=dict)
    glossary: tuple[Term, ...] = ()
    phases: tuple[tuple[str, float], ...] = ()
    engine: str = ""

    @property
    def time_text(self) -> str:
        """The phases in one line: ``'data 0.01 s · training 3.2 s · … (numpy
        engine)'``, or ``''`` without phases.

        Examples
        --------
        >>> import numpy as np
        >>> data = ReportData(
        ...     title="t", settings=(), steps=np.arange(2.0), networks=(),
        ...     descriptions={}, losses={}, head={}, head_labels=(), conserved={},
        ...     pairs=(), answers=(), engine="numpy",
        ...     phases=(("training", 3.21), ("derivation check", 0.4), ("total", 4.0)))
        >>> data.time_text
        'training 3.21 s · derivation check 0.40 s · total 4.00 s (wall clock, numpy engine)'
        """
        if not self.phases:
            return ""
        parts = " · ".join(f"{label} {seconds:.2f} s" for label, seconds in self.phases)
        engine = f", {self.engine} engine" if self.engine else ""
        return f"{parts} (wall clock{engine})"

    @property
    def terms(self) -> dict[str, Term]:
        """The glossary by label."""
        return {t.label: t for t in self.glossary}

    @property
    def eps(self) -> float:
        """Machine epsilon of the run's dtype."""
        return float(np.finfo(np.dtype(self.dtype)).eps)


def format_number(value: float) -> str:
    """Format a figure for a table: exact zeros as ``0``, tiny or huge values in e-notation.

    Examples
    --------
    >>> [format_number(v) for v in (0.0, 3.3e-16, 0.25, 1234.5, float("nan"), 2.0)]
    ['0', '3.3e-16', '0.25', '1.23e+03', 'nan', '2']
    """
    if value != value:  # NaN
        return "nan"
    if value == 0:
        return "0"
    if abs(value) == float("inf"):
        return "inf" if value > 0 else "-inf"
    if 1e-3 <= abs(value) < 1e3:
        return f"{value:.3g}"
    return f"{value:.2g}" if abs(value) < 1e-3 else f"{value:.3g}"
