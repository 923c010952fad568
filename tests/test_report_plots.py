"""Figures of the experiment report, on hand-made data with known values."""

from __future__ import annotations

import numpy as np
import pytest

from softlogit._report._data import PairReport, ReportData
from softlogit._report._plots import (
    FIGURES,
    conserved_figure,
    difference_figure,
    figure_png,
    figure_svg,
    head_figure,
    log_floor,
    loss_figure,
    make_figures,
    prefix_svg_ids,
    save_figures,
)
from softlogit.experiment import Answer, Verdict

EPS = float(np.finfo(np.float64).eps)


def _data(*, zeros: bool = True, diverged: bool = False) -> ReportData:
    steps = np.arange(0.0, 101.0, 10.0)
    n = steps.size
    same = np.linspace(0.0, 3e-16, n) if zeros else np.linspace(1e-17, 3e-16, n)
    far = np.linspace(0.0 if zeros else 1e-3, 0.5, n)
    head = np.c_[np.linspace(0, 1, n), np.linspace(1, 0, n), np.zeros(n)]
    return ReportData(
        title="hand-made",
        settings=(("steps", "100"),),
        steps=steps,
        networks=("0", "1", "2"),
        descriptions={"0": "a", "1": "b", "2": "c"},
        losses={
            "0": np.linspace(0.7, 0.1, n),
            "1": np.linspace(0.7, 0.3, n),
            "2": np.linspace(0.7, 0.1, n),
        },
        head={"0": head, "1": head * 0.5, "2": head},
        head_labels=("w[0]", "w[1]", "b"),
        conserved={"w1 + w2": same},
        pairs=(
            PairReport("0", "2", Verdict.IDENTICAL, "T4", curves={"parameters": same}),
            PairReport(
                "0", "1", Verdict.SAME_FUNCTION, "T5", curves={"parameters": far}
            ),
        ),
        answers=(Answer("q", "q?", "short", "long"),),
        diverged={"1": "loss became inf at step 30"} if diverged else {},
    )


def test_log_floor_replaces_only_exact_zeros() -> None:
    curves = {"a": np.array([0.0, 3e-16, 2.0]), "b": np.array([np.nan, 0.0, 1e-15])}
    floored, zeros, floor = log_floor(curves, EPS)
    # one decade below the smallest positive value (3e-16), capped at eps / 50,
    # then rounded down to a power of ten
    assert floor == 1e-18
    assert zeros["a"].tolist() == [True, False, False]
    assert zeros["b"].tolist() == [False, True, False]
    np.testing.assert_array_equal(floored["a"], [1e-18, 3e-16, 2.0])
    assert np.isnan(floored["b"][0])
    assert floored["b"][1] == 1e-18


def test_log_floor_goes_below_the_smallest_positive_value() -> None:
    _, _, floor = log_floor({"a": np.array([0.0, 4.2e-25])}, EPS)
    assert floor == 1e-26
    _, _, floor32 = log_floor({"a": np.array([0.0])}, float(np.finfo(np.float32).eps))
    assert floor32 == 1e-9  # eps32 / 50 = 2.4e-9, rounded down


def test_loss_figure_draws_every_network_with_its_data() -> None:
    data = _data()
    fig = loss_figure(data)
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"network 0", "network 1", "network 2"}
    np.testing.assert_array_equal(lines["network 1"].get_ydata(), data.losses["1"])
    np.testing.assert_array_equal(lines["network 1"].get_xdata(), data.steps)


def test_difference_figure_is_logarithmic_with_a_marked_floor() -> None:
    fig = difference_figure(_data(zeros=True))
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    pair_lines = [ln for ln in ax.get_lines() if str(ln.get_label()).startswith("0 vs")]
    assert [str(ln.get_label()).split(":")[0] for ln in pair_lines] == [
        "0 vs 2",
        "0 vs 1",
    ]
    y = np.asarray(pair_lines[0].get_ydata())
    # the exact zero at step 0 is drawn at the floor, the rest unchanged
    assert y[0] == 1e-18
    np.testing.assert_array_equal(y[1:], np.linspace(0.0, 3e-16, 11)[1:])
    texts = [t.get_text() for t in ax.texts]
    assert "exact 0 (drawn at floor)" in texts


def test_difference_figure_has_no_floor_note_without_zeros() -> None:
    fig = difference_figure(_data(zeros=False))
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "exact 0 (drawn at floor)" not in texts


def test_rounding_pair_sits_below_the_far_pair() -> None:
    fig = difference_figure(_data())
    (ax,) = fig.axes
    lines = {str(ln.get_label()).split(":")[0]: ln for ln in ax.get_lines()}
    assert np.max(lines["0 vs 2"].get_ydata()) < 1e-12
    assert np.max(lines["0 vs 1"].get_ydata()) > 0.1


def test_head_and_conserved_figures() -> None:
    data = _data()
    head = head_figure(data)
    assert [ax.get_title(loc="left") for ax in head.axes] == ["w[0]", "w[1]", "b"]
    line = next(ln for ln in head.axes[1].get_lines() if ln.get_label() == "network 1")
    np.testing.assert_array_equal(line.get_ydata(), data.head["1"][:, 1])
    conserved = conserved_figure(data)
    assert conserved.axes[0].get_yscale() == "log"


def test_divergence_is_written_on_the_plots() -> None:
    fig = loss_figure(_data(diverged=True))
    assert any("diverged" in t.get_text() for t in fig.axes[0].texts)


def test_svg_and_png_outputs(tmp_path: pytest.TempPathFactory) -> None:
    figures = make_figures(_data())
    assert list(figures) == list(FIGURES)
    svg = figure_svg(figures["loss"])
    assert svg.startswith("<svg")
    assert "<text" in svg  # text kept as text
    assert "<script" not in svg
    assert figure_png(figures["loss"]).startswith(b"\x89PNG\r\n\x1a\n")
    written = save_figures(figures, tmp_path)  # type: ignore[arg-type]
    assert sorted(p.name for p in written) == sorted(
        f"{stem}.{ext}" for stem in FIGURES for ext in ("png", "svg")
    )


def test_prefixed_svg_ids_are_unique_and_resolve() -> None:
    import re

    figures = make_figures(_data())
    svgs = [
        prefix_svg_ids(figure_svg(fig), f"{stem}-") for stem, fig in figures.items()
    ]
    ids = [i for svg in svgs for i in re.findall(r'\bid="([^"]+)"', svg)]
    assert len(ids) == len(set(ids))
    for stem, svg in zip(figures, svgs, strict=True):
        own = set(re.findall(r'\bid="([^"]+)"', svg))
        assert all(i.startswith(f"{stem}-") for i in own)
        refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg))
        assert refs <= own  # every marker and clip path is found in its own figure


def test_loss_axis_is_logarithmic_when_losses_span_decades() -> None:
    import dataclasses

    n = 11
    spanning = {k: np.geomspace(0.7, 1e-4, n) for k in "012"}  # 3.8 decades
    close = {k: np.linspace(0.7, 0.3, n) for k in "012"}  # a factor 2.3
    log_fig = loss_figure(dataclasses.replace(_data(), losses=spanning))
    linear_fig = loss_figure(dataclasses.replace(_data(), losses=close))
    assert log_fig.axes[0].get_yscale() == "log"
    low, high = log_fig.axes[0].get_ylim()
    assert low < 1e-4
    assert high > 0.7
    assert linear_fig.axes[0].get_yscale() == "linear"
