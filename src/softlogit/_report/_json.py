"""The JSON of a report: ``result.json`` and ``softlogit compare --json``.

The document is the experiment result's own JSON
(:meth:`~softlogit.experiment.ExperimentResult.to_json_dict`: spec, data, every
network's per-step losses, every pair's per-step differences, verdicts, conserved
sums, answers, timings) with the report's summary added under ``"report"``
(:func:`report_json`: what the page and the table show). It is plain JSON (no NaN or
Infinity literals, which strict parsers reject): non-finite numbers are written as
``null`` and the divergence messages say why.
"""

from __future__ import annotations

from typing import Any

from softlogit._json import dumps, to_jsonable
from softlogit._report._data import ReportData

__all__ = ["SCHEMA", "dumps", "report_json"]

#: identifies the layout of ``result.json``; bump the number on incompatible changes
SCHEMA = "softlogit.compare/1"


def report_json(data: ReportData) -> dict[str, Any]:
    """The report's own summary, as JSON-ready data.

    It holds what the page and the table show (verdict keys and texts, the figures of
    the table, the answers, notes and facts); the per-step figures are in the
    experiment result's own JSON, next to which this summary is stored under
    ``"report"``.

    Parameters
    ----------
    data : ReportData
        The experiment.

    Returns
    -------
    dict
        JSON-ready data (non-finite numbers as None).

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit._report._data import PairReport, ReportData
    >>> from softlogit.experiment import Verdict
    >>> data = ReportData(
    ...     title="demo", settings=(("steps", "2"),), steps=np.arange(3.0),
    ...     networks=("0", "2"), descriptions={}, losses={"0": np.ones(3)}, head={},
    ...     head_labels=(), conserved={}, answers=(),
    ...     pairs=(PairReport("0", "2", Verdict.IDENTICAL, final={"max": np.nan}),))
    >>> doc = report_json(data)
    >>> pair = doc["pairs"][0]
    >>> doc["schema"], pair["verdict"], pair["verdict_text"], pair["final"]
    ('softlogit.compare/1', 'identical', 'identical up to rounding', {'max': None})
    """
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "title": data.title,
        "dtype": data.dtype,
        "settings": dict(data.settings),
        "networks": {
            name: {
                "description": data.descriptions.get(name, ""),
                "final_loss": (
                    data.losses[name][-1]
                    if name in data.losses and data.losses[name].size
                    else None
                ),
                "test_loss": data.test_losses.get(name),
                "test_accuracy": data.test_accuracy.get(name),
                "diverged": data.diverged.get(name),
            }
            for name in data.networks
        },
        "pairs": [
            {
                "a": pair.a,
                "b": pair.b,
                "verdict": pair.verdict.key,
                "verdict_text": pair.badge[0],
                "expected": None if pair.expected is None else pair.expected.key,
                "agrees_with_theory": pair.agrees,
                "theorem": pair.theorem,
                "derivation_step": pair.step_id,
                "explanation": pair.explanation,
                "threshold": pair.threshold,
                "final": dict(pair.final),
            }
            for pair in data.pairs
        ],
        "answers": [
            {
                "question": a.question,
                "short": a.headline,
                "answer": a.explanation,
                "derivation_step": a.derivation_step,
            }
            for a in data.answers
        ],
        "facts": dict(data.facts),
        "notes": list(data.notes),
        "phases": dict(data.phases),
    }
    result: dict[str, Any] = to_jsonable(doc)
    return result
