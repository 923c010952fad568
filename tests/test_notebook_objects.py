"""Notebook-friendly objects: short reprs, HTML, and figures from a result."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

from softlogit import derivation
from softlogit.experiment import ExperimentResult, ExperimentSpec, run_experiment


@pytest.fixture(scope="module")
def result() -> ExperimentResult:
    return run_experiment(ExperimentSpec().replace(steps=30, hidden=(4,)))


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("td", "th"):
            self.cells.append("")

    def handle_data(self, data: str) -> None:
        if self.cells:
            self.cells[-1] += data


def test_result_html_lists_networks_verdicts_and_answers(
    result: ExperimentResult,
) -> None:
    page = result._repr_html_()
    parser = _Tables()
    parser.feed(page)
    for name, t in result.trajectories.items():
        assert name in parser.cells
        assert t.description in parser.cells
    for p in result.pairs:
        assert p.name in parser.cells
        assert str(p.verdict) in parser.cells
    for a in result.answer_details:
        assert a.headline in page
    assert len(page) < 10_000


def test_plots_are_the_figures_of_the_run(result: ExperimentResult) -> None:
    from matplotlib.figure import Figure

    loss = result.plot()
    assert isinstance(loss, Figure)
    drawn = {line.get_label(): line for line in loss.axes[0].get_lines()}
    for name, t in result.trajectories.items():
        line = next(v for k, v in drawn.items() if k.endswith(f" {name}"))
        np.testing.assert_array_equal(line.get_ydata(), t.train_loss)
        np.testing.assert_array_equal(line.get_xdata(), t.steps)
    differences = result.plot_differences()
    assert isinstance(differences, Figure)
    assert all(ax.get_yscale() == "log" for ax in differences.axes)


def test_derivation_repr_is_one_short_line() -> None:
    d = derivation(12)
    text = repr(d)
    assert "\n" not in text
    assert len(text) < 120
    assert f"{len(d)} steps for K = 12" in text


def test_derivation_html_shows_every_step_checked() -> None:
    d = derivation(2)
    page = d._repr_html_()
    for step_id in d.ids:
        assert f'id="step-{step_id}"' in page
    assert page.count('data-check="passed"') == len(d) + 1  # the section and steps
