"""Heat maps of the atlas: one quantity over a pair of swept axes.

Ratios to the natural-variability baseline are drawn on a diverging log scale
centred at 1 (blue: closer than two random initializations, red: farther), and the
cells whose median is below 1 are outlined. Gaps of pairs that the theory keeps
identical are drawn on a log scale from the rounding level up, and the cells where
every run stayed within rounding are outlined. Each cell is labelled with its
median. The figures use the report's style (:mod:`softlogit._report._plots`).
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from softlogit._report._plots import _new_figure, _style
from softlogit.experiment._atlas import QUANTITIES, Atlas, format_value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["RATIOS", "TITLES", "axis_pairs", "heat_map_figure", "map_stem"]

#: quantities drawn as ratios to the baseline (the others are gaps)
RATIOS = ("0v1", "2v1", "0v1_proba")
#: quantity -> the short title of its map
TITLES = {
    "0v1": "networks 0 vs 1: weight gap ÷ two random initializations",
    "2v1": "networks 2 vs 1: weight gap ÷ two random initializations",
    "0v1_proba": "networks 0 vs 1: probability gap ÷ two random initializations",
    "0v2": "networks 0 vs 2: largest gap along the way",
    "0v1c": "networks 0 vs 1c: largest gap along the way",
    "ulp": "one-ulp control (0 vs 0-ulp): largest gap along the way",
}
_AXIS_NAMES = {
    "lr": "learning rate",
    "batch_size": "batch size",
    "optimizer": "optimizer",
    "hidden": "hidden layers",
    "dataset": "data",
}


def axis_pairs(atlas: Atlas) -> list[tuple[str, str | None]]:
    """The (x, y) axis pairs of the maps: learning rate x optimizer first.

    With one swept axis, one map of it alone (y ``None``); with none, a single cell.
    """
    names = [a for a, _ in atlas.axes]
    if len(names) < 2:
        return [(names[0] if names else "", None)]
    pairs = list(combinations(names, 2))
    first = ("lr", "optimizer")
    if set(first) <= set(names):
        pairs.remove(tuple(n for n in names if n in first))  # type: ignore[arg-type]
        pairs.insert(0, first)
    return [(x, y) for x, y in pairs]


def map_stem(quantity: str, x: str, y: str | None) -> str:
    """The file stem of a map: ``'map-0v1-lr-optimizer'``."""
    return "-".join(["map", quantity, x or "all", *([y] if y else [])])


def _tick(axis: str, value: object) -> str:
    return format_value(axis, value) if axis else "all"


def heat_map_figure(
    atlas: Atlas, quantity: str, x: str, y: str | None, *, tolerance: float
) -> Figure:
    """The heat map of ``quantity`` over axes ``x`` and ``y``.

    Parameters
    ----------
    atlas : Atlas
    quantity : str
        A key of :data:`~softlogit.experiment._atlas.QUANTITIES`.
    x, y : str
        Swept axes (``y`` None for a single row).
    tolerance : float
        The rounding tolerance (gaps at or below it are "identical").

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Rectangle

    xs, ys, med, _ = atlas.heat_map(quantity, x, y or "")
    ratio = quantity in RATIOS
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(med)
    if ratio:
        cmap, vmin, vmax = "RdBu_r", -2.0, 2.0
        inside = med < 1
    else:
        cmap, vmin, vmax = "magma_r", -16.0, 0.0
        inside = med <= tolerance
    width = min(10.0, max(7.0, 2.6 + 0.95 * len(xs)))
    height = 1.4 + 0.55 * len(ys)
    with _style():
        fig, (ax,) = _new_figure(width, height, top=0.45)
        fig.subplots_adjust(left=1.25 / width, right=1 - 1.3 / width)
        image = ax.imshow(
            np.clip(logs, vmin, vmax), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto"
        )
        ax.grid(False)
        for j in range(len(ys)):
            for i in range(len(xs)):
                value = med[j, i]
                text = "diverged" if math.isnan(value) else f"{value:.2g}"
                shade = (
                    0.0
                    if math.isnan(logs[j, i])
                    else (logs[j, i] - vmin) / (vmax - vmin)
                )
                dark = shade > 0.7 or (ratio and shade < 0.3)
                ax.text(
                    i,
                    j,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "#1d2330",
                )
                if bool(inside[j, i]):
                    ax.add_patch(
                        Rectangle(
                            (i - 0.5, j - 0.5),
                            1,
                            1,
                            fill=False,
                            edgecolor="#0b6e3d",
                            linewidth=2.4,
                        )
                    )
        ax.set_xticks(range(len(xs)), [_tick(x, v) for v in xs])
        ax.set_yticks(range(len(ys)), [_tick(y or "", v) for v in ys])
        ax.set_xlabel(_AXIS_NAMES.get(x, x.replace("_", " ")))
        if y:
            ax.set_ylabel(_AXIS_NAMES.get(y, y.replace("_", " ")))
        ax.set_title(TITLES.get(quantity, QUANTITIES[quantity][0]), loc="left")
        bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
        bar.set_label("median, log10" if not ratio else "median ratio, log10")
    return fig
