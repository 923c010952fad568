"""An experiment result in a notebook: a compact HTML summary and the report's figures.

:class:`~softlogit.experiment.ExperimentResult` delegates its ``_repr_html_``,
``plot`` and ``plot_differences`` here when they are called (a declared exception to
the layering: the experiment imports the reports only inside those methods). The
HTML uses plain tables, which notebooks style themselves; the figures are the
report's own (:mod:`softlogit._report._plots`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from softlogit._report._adapter import report_data
from softlogit._report._data import format_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from softlogit.experiment import ExperimentResult

__all__ = ["difference_plot", "loss_plot", "result_html"]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def result_html(result: ExperimentResult) -> str:
    """The networks, the verdicts and the answers' headlines as an HTML fragment.

    Examples
    --------
    >>> from softlogit.experiment import ExperimentSpec, run_experiment
    >>> spec = ExperimentSpec().replace(steps=5, hidden=(3,), networks=("0", "2"))
    >>> page = result_html(run_experiment(spec))
    >>> "<table>" in page and "identical up to rounding" in page
    True
    """
    data = report_data(result)
    terms = data.terms
    rows = "".join(
        f"<tr><td><b>{_e(n)}</b></td><td>{_e(data.descriptions.get(n, ''))}</td>"
        f"<td>{format_number(float(data.losses[n][-1]))}</td>"
        f"<td>{format_number(data.test_losses.get(n, float('nan')))}</td>"
        f"<td>{format_number(data.test_accuracy.get(n, float('nan')))}</td></tr>"
        for n in data.networks
    )
    pairs = "".join(
        f"<tr><td><b>{_e(p.label)}</b></td><td>{_e(p.badge[0])}</td>"
        f'<td><abbr title="{_e(terms[p.theorem].text if p.theorem in terms else "")}">'
        f"{_e(p.theorem)}</abbr></td>"
        f"<td>{format_number(p.final.get('max |Δ head|', float('nan')))}</td></tr>"
        for p in data.pairs
    )
    answers = "".join(
        f"<li><i>{_e(a.question)}</i> <b>{_e(a.headline)}</b></li>"
        for a in data.answers
    )
    return (
        f"<div><p><b>{_e(data.title)}</b> ({_e(result.engine)} engine, "
        f"{result.spec.training.steps} steps)</p>"
        "<table><thead><tr><th>network</th><th>head</th><th>final loss</th>"
        "<th>test loss</th><th>test accuracy</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        "<table><thead><tr><th>pair</th><th>verdict</th><th>theory</th>"
        "<th>max |Δ head| (last step)</th></tr></thead>"
        f"<tbody>{pairs}</tbody></table><ul>{answers}</ul></div>"
    )


def loss_plot(result: ExperimentResult) -> Figure:
    """The report's loss curves (log scale where the losses span decades)."""
    from softlogit._report._plots import loss_figure

    return loss_figure(report_data(result))


def difference_plot(result: ExperimentResult) -> Figure:
    """The report's pairwise differences against the step, on a log scale."""
    from softlogit._report._plots import difference_figure

    return difference_figure(report_data(result))
