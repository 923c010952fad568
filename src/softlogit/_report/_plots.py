"""Matplotlib figures of an experiment: losses, differences, head trajectories, sums.

matplotlib is imported lazily, with the non-interactive Agg backend and without touching
``pyplot``'s global state: each function returns a :class:`matplotlib.figure.Figure`
made directly, so reports can be produced from threads, servers and tests alike.

Log scales and exact zeros
--------------------------
Pairs that are identical up to rounding often differ by *exactly* zero at some steps
(early steps, or whole runs for tiny networks). A logarithmic axis cannot show zero, and
silently dropping those points would make a perfect agreement look like missing data.
Exact zeros are therefore drawn at a floor one decade below the smallest positive value
on the axis (at most ``eps / 50``, below every rounding-level difference), the floor is
marked by a dotted line labelled "exact 0", and the caption says so.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from softlogit._report._data import PairReport, ReportData
from softlogit._typing import FloatArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "FIGURES",
    "NETWORK_COLORS",
    "caption",
    "conserved_figure",
    "difference_figure",
    "figure_png",
    "figure_svg",
    "head_figure",
    "log_floor",
    "loss_figure",
    "make_figures",
    "power_of_ten_label",
    "prefix_svg_ids",
    "save_figures",
]

# network name -> colour and line style. Networks that should coincide share a role:
# the K-unit head (0, softmax) is a thick solid line, its twin (2) is dashed on top of
# it, the corrected one-unit head (1c, reference-P) is dotted on top as well, and the
# same-rate one-unit head (1, reference) stands apart in orange.
NETWORK_COLORS: dict[str, str] = {
    "0": "#1f5fa8",
    "1": "#d9651b",
    "2": "#2e9a5d",
    "1c": "#7b4fc4",
    "softmax": "#1f5fa8",
    "reference": "#d9651b",
    "reference-P": "#7b4fc4",
}
_NETWORK_STYLES: dict[str, tuple[object, float]] = {
    "0": ("-", 2.6),
    "1": ("-", 1.8),
    "2": ((0, (4, 3)), 1.6),
    "1c": ((0, (1, 2)), 2.2),
    "softmax": ("-", 2.6),
    "reference": ("-", 1.8),
    "reference-P": ((0, (1, 2)), 2.2),
}
_EXTRA_COLORS = ("#b83280", "#2c7a7b", "#975a16", "#4a5568", "#c53030")
_PAIR_COLORS = ("#2e9a5d", "#d9651b", "#7b4fc4", "#b83280", "#2c7a7b", "#975a16")
# every figure has the same width, so that text has one size on the page
_WIDTH = 10.0
_INK = "#1d2330"
_GRID = "#d9dde5"
_ROUNDING_BAND = "#e6f4ea"

_RC: dict[str, object] = {
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.5,
    "axes.edgecolor": "#9aa3b2",
    "axes.labelcolor": _INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": _GRID,
    "grid.linewidth": 0.6,
    "xtick.color": "#4a5263",
    "ytick.color": "#4a5263",
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "svg.fonttype": "none",  # keep text as text: selectable, crisp, small
    "svg.hashsalt": "softlogit",  # deterministic ids
    "path.simplify": True,
}

#: file stem -> (function, caption for two classes, caption for more) of every figure
FIGURES: dict[str, tuple[str, str, str]] = {
    "loss": (
        "loss_figure",
        "Training loss of every network. Networks 0 and 2 coincide; network 1 at "
        "the same learning rate does not, and network 1 with its head rate doubled "
        "(1c) falls back onto 0 and 2.",
        "Training loss of every network. The reference head with the "
        "preconditioned gradient (reference-P) coincides with the softmax head; the "
        "plain reference head does not.",
    ),
    "differences": (
        "difference_figure",
        "Largest absolute difference between two networks, in the coordinates where "
        "they are comparable, against the step. The shaded band is the rounding "
        "level of the dtype; exact zeros are drawn on the dotted floor.",
        "Largest absolute difference between two networks, in the coordinates where "
        "they are comparable, against the step. The shaded band is the rounding "
        "level of the dtype; exact zeros are drawn on the dotted floor.",
    ),
    "head": (
        "head_figure",
        "A few head coordinates: w of a sigmoid head against w2 − w1 (and b against "
        "b2 − b1) of a two-unit head. The two weights shown are those that moved "
        "most.",
        "A few head coordinates in reference-class form: w_k − w_0 of the softmax "
        "head against the rows v_k of the reference heads. The two weights shown "
        "are those that moved most.",
    ),
    "conserved": (
        "conserved_figure",
        "Distance of the sums w1 + w2 and b1 + b2 of the two-unit heads from what "
        "the theory predicts: their loss gradient is exactly zero (T3), so they stay "
        "at their initial values (or shrink by the weight decay alone) up to "
        "rounding. Where no exact prediction exists, the raw drift is drawn.",
        "Distance of the sums Σ w_k and Σ b_k of the softmax head from what the "
        "theory predicts: their loss gradient is exactly zero (T3), so they stay at "
        "their initial values (or shrink by the weight decay alone) up to rounding. "
        "Where no exact prediction exists, the raw drift is drawn.",
    ),
}


def caption(stem: str, data: ReportData) -> str:
    """The caption of figure ``stem`` for this experiment (two or more classes)."""
    _, binary, multiclass = FIGURES[stem]
    return binary if "0" in data.networks or "1" in data.networks else multiclass


def _network_color(name: str, order: Sequence[str]) -> str:
    if name in NETWORK_COLORS:
        return NETWORK_COLORS[name]
    extras = [n for n in order if n not in NETWORK_COLORS]
    index = extras.index(name) if name in extras else 0
    return _EXTRA_COLORS[index % len(_EXTRA_COLORS)]


def _network_style(name: str) -> tuple[object, float]:
    return _NETWORK_STYLES.get(name, ("-", 1.6))


def _pair_color(pair: PairReport, index: int, order: Sequence[str]) -> str:
    """A pair takes the colour of its second network (0 vs 2 is green, 0 vs 1 orange)."""
    if pair.b in NETWORK_COLORS and pair.b not in ("0", "softmax"):
        return NETWORK_COLORS[pair.b]
    return _PAIR_COLORS[index % len(_PAIR_COLORS)]


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        yield


def _new_figure(
    width: float, height: float, ncols: int = 1, *, top: float = 0.42
) -> tuple[Figure, list[Axes]]:
    """A figure with fixed margins (in inches; much faster than a layout engine)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    fig.subplots_adjust(
        left=0.78 / width,
        right=1 - 0.15 / width,
        bottom=0.55 / height,
        top=1 - top / height,
        wspace=0.3 if ncols > 1 else 0.0,
    )
    return fig, list(axes)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten_label(value: float) -> str:
    """``10⁻¹²`` for 1e-12 (Unicode superscripts, no mathtext), ``""`` otherwise.

    Examples
    --------
    >>> power_of_ten_label(1e-12), power_of_ten_label(1.0), power_of_ten_label(3e-5)
    ('10⁻¹²', '1', '')
    """
    if not 0 < value < np.inf:
        return ""
    exponent = np.log10(value)
    rounded = round(float(exponent))
    if abs(exponent - rounded) > 1e-9:
        return ""
    if rounded == 0:
        return "1"
    return "10" + str(rounded).translate(_SUPERSCRIPT)


def _log_axis(ax: Axes, curves: Iterable[FloatArray]) -> None:
    """A logarithmic y axis with 10ⁿ labels, its limits set from the data."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    positive = [v[v > 0] for v in (_finite(c) for c in curves)]
    values = np.concatenate([p[np.isfinite(p)] for p in positive] or [np.empty(0)])
    ax.set_yscale("log")
    if values.size:
        low, high = float(values.min()), float(values.max())
        ax.set_ylim(low / 3.0, high * 3.0)
    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=9))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: power_of_ten_label(v)))
    ax.yaxis.set_minor_formatter(NullFormatter())


# beyond this, values come from a diverged run: they are not drawn (and would overflow
# matplotlib's axis arithmetic)
_HUGE = 1e200


def _finite(values: object) -> FloatArray:
    """``values`` as float64 with NaN (not drawn) for non-finite or huge entries."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(v) & (np.abs(v) <= _HUGE), v, np.nan)


def log_floor(
    curves: Mapping[str, FloatArray], eps: float
) -> tuple[dict[str, FloatArray], dict[str, np.ndarray], float]:
    """Replace exact zeros by a floor that a logarithmic axis can show.

    Parameters
    ----------
    curves : mapping of str to ndarray
        Non-negative values (NaN allowed: it stays NaN and is not drawn).
    eps : float
        Machine epsilon of the data's dtype.

    Returns
    -------
    floored : dict of str to ndarray
        The curves with every exact zero replaced by ``floor``.
    zeros : dict of str to ndarray of bool
        Where the zeros were.
    floor : float
        One decade below the smallest positive value of all curves, and at most
        ``eps / 50``, rounded down to a power of ten.

    Examples
    --------
    >>> import numpy as np
    >>> floored, zeros, floor = log_floor({"a": np.array([0.0, 1e-16, 1.0])}, 2.0**-52)
    >>> float(floor) == 1e-18
    True
    >>> floored["a"].tolist() == [1e-18, 1e-16, 1.0], zeros["a"].tolist()
    (True, [True, False, False])
    """
    positive = [
        float(np.min(v[np.isfinite(v) & (v > 0)]))
        for v in curves.values()
        if np.any(np.isfinite(v) & (v > 0))
    ]
    cap = eps / 50.0
    floor = min([cap, *(p / 10.0 for p in positive)])
    # round down to a power of ten so the floor sits on a labelled tick
    floor = 10.0 ** np.floor(np.log10(floor))
    floored: dict[str, FloatArray] = {}
    zeros: dict[str, np.ndarray] = {}
    for key, values in curves.items():
        v = _finite(values)
        mask = v == 0
        floored[key] = np.where(mask, floor, v)
        zeros[key] = mask
    return floored, zeros, float(floor)


def _mark_floor(ax: Axes, floor: float, any_zero: bool) -> None:
    if not any_zero:
        return
    ax.axhline(floor, color="#7a8294", linestyle=":", linewidth=1.0, zorder=1)
    ax.annotate(
        "exact 0 (drawn at floor)",
        xy=(0.99, floor),
        xycoords=("axes fraction", "data"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8,
        color="#5a6274",
    )


def _rounding_band(ax: Axes, eps: float, label: bool = True) -> None:
    """Shade eps/2 .. 1e4 eps: where differences of rounding origin live."""
    ax.axhspan(
        eps / 2,
        eps * 1e4,
        color=_ROUNDING_BAND,
        zorder=0,
        linewidth=0,
        label="rounding level" if label else None,
    )


def _floored_log_axis(
    ax: Axes,
    floored: Mapping[str, FloatArray],
    zeros: Mapping[str, np.ndarray],
    floor: float,
    eps: float,
) -> None:
    """Finish an axis of :func:`log_floor` curves: the floor line, if a zero was
    floored, and a log scale that spans the curves and the rounding band."""
    _mark_floor(ax, floor, any(bool(z.any()) for z in zeros.values()))
    band = np.array([eps / 2, eps * 1e4])
    _log_axis(ax, [*floored.values(), band])


def _plot_network(ax: Axes, data: ReportData, name: str, values: FloatArray) -> None:
    """One curve of network ``name`` against the step, in the network's style."""
    ls, lw = _network_style(name)
    ax.plot(
        data.steps[: values.size],
        _finite(values),
        color=_network_color(name, data.networks),
        linestyle=ls,
        linewidth=lw,
        label=f"network {name}",
    )


def _diverged_note(ax: Axes, data: ReportData) -> None:
    if data.diverged:
        names = ", ".join(sorted(data.diverged))
        ax.text(
            0.5,
            0.5,
            f"diverged: network {names}",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color="#c53030",
            alpha=0.8,
        )


def loss_figure(data: ReportData) -> Figure:
    """Training loss of all networks against the step.

    Parameters
    ----------
    data : ReportData
        The experiment to draw.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with _style():
        fig, (ax,) = _new_figure(_WIDTH, 3.6)
        for name in data.networks:
            loss = data.losses.get(name)
            if loss is not None:
                _plot_network(ax, data, name, loss)
        finite = np.concatenate(
            [v[np.isfinite(v)] for v in data.losses.values()] or [np.empty(0)]
        )
        if finite.size and np.all(finite > 0) and finite.max() / finite.min() > 30:
            _log_axis(ax, data.losses.values())
        ax.set_xlabel("step")
        ax.set_ylabel("training loss (mean cross-entropy)")
        ax.set_title("Loss curves")
        ax.legend(loc="upper right", ncols=2)
        _diverged_note(ax, data)
    return fig


def difference_figure(data: ReportData) -> Figure:
    """Pairwise max |difference| against the step, on a log scale.

    One panel per kind of curve present in the pairs (e.g. parameters, probabilities).

    Parameters
    ----------
    data : ReportData
        The experiment to draw.

    Returns
    -------
    matplotlib.figure.Figure
    """
    kinds: list[str] = []
    for pair in data.pairs:
        for kind in pair.curves:
            if kind not in kinds:
                kinds.append(kind)
    kinds = kinds[:2] or ["max |Δ|"]
    with _style():
        fig, axes = _new_figure(_WIDTH, 4.1, len(kinds), top=0.75)
        for ax, kind in zip(axes, kinds, strict=True):
            curves = {
                pair.label: np.asarray(pair.curves[kind], dtype=np.float64)
                for pair in data.pairs
                if kind in pair.curves
            }
            floored, zeros, floor = log_floor(curves, data.eps)
            _rounding_band(ax, data.eps, label=ax is axes[0])
            for i, pair in enumerate(p for p in data.pairs if p.label in curves):
                color = _pair_color(pair, i, data.networks)
                y = floored[pair.label]
                ax.plot(
                    data.steps[: y.size],
                    y,
                    color=color,
                    linewidth=1.7,
                    label=f"{pair.label}: {pair.badge[0]}",
                )
            _floored_log_axis(ax, floored, zeros, floor, data.eps)
            ax.set_xlabel("step")
            ax.set_ylabel("max |difference|")
            ax.set_title(kind)
            _diverged_note(ax, data)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=min(4, len(labels)),
            fontsize=8.5,
        )
    return fig


def head_figure(data: ReportData, max_coords: int = 3) -> Figure:
    """Trajectories of a few comparable head coordinates of every network.

    Parameters
    ----------
    data : ReportData
        The experiment to draw.
    max_coords : int, default=3
        How many coordinates (panels) to draw.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n = max(1, min(max_coords, len(data.head_labels)))
    with _style():
        fig, axes = _new_figure(_WIDTH, 3.3, n)
        for j, ax in enumerate(axes):
            for name in data.networks:
                coords = data.head.get(name)
                if coords is not None and coords.ndim == 2 and coords.shape[1] > j:
                    _plot_network(ax, data, name, coords[:, j])
            label = data.head_labels[j] if j < len(data.head_labels) else f"#{j}"
            ax.set_title(label)
            ax.set_xlabel("step")
        binary = "0" in data.networks or "1" in data.networks
        axes[0].set_ylabel("w, or w2 − w1" if binary else "v_k, or w_k − w_0")
        axes[0].legend(loc="best")
    return fig


def conserved_figure(data: ReportData) -> Figure:
    """Drift of the conserved sums of the two-unit heads, on a log scale.

    Parameters
    ----------
    data : ReportData
        The experiment to draw.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with _style():
        fig, (ax,) = _new_figure(_WIDTH, 3.3)
        if data.conserved:
            floored, zeros, floor = log_floor(data.conserved, data.eps)
            _rounding_band(ax, data.eps)
            for i, (label, y) in enumerate(floored.items()):
                ax.plot(
                    data.steps[: y.size],
                    y,
                    color=_PAIR_COLORS[(i + 2) % len(_PAIR_COLORS)],
                    linestyle="-" if i == 0 else (0, (4, 3)),
                    linewidth=1.7,
                    label=label,
                )
            _floored_log_axis(ax, floored, zeros, floor, data.eps)
            ax.legend(loc="upper left")
        else:
            ax.text(
                0.5,
                0.5,
                "no two-unit head in this run",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="#5a6274",
            )
        ax.set_xlabel("step")
        ax.set_ylabel("max |sum − predicted sum|")
        ax.set_title("Conserved sums (T3)")
    return fig


def make_figures(data: ReportData) -> dict[str, Figure]:
    """All figures of the report, keyed by file stem (see :data:`FIGURES`)."""
    functions = {
        "loss_figure": loss_figure,
        "difference_figure": difference_figure,
        "head_figure": head_figure,
        "conserved_figure": conserved_figure,
    }
    return {stem: functions[fn](data) for stem, (fn, _, _) in FIGURES.items()}


# every id of a matplotlib SVG (groups "axes_1", markers "m" + hash, clip paths "p" +
# hash, ...) and every reference to one
_SVG_ID = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def figure_svg(fig: Figure, *, id_prefix: str = "") -> str:
    """The figure as an SVG document (text kept as text), without the XML prolog.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    id_prefix : str, optional
        Prepended to every id (and every reference to one), so that several
        figures can be inlined in one HTML page with unique ids.

    Returns
    -------
    str
    """
    buf = io.StringIO()
    with _style():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    return prefix_svg_ids(text, id_prefix) if id_prefix else text


def prefix_svg_ids(svg: str, prefix: str) -> str:
    """Prepend ``prefix`` to every id of an SVG document and every reference to one.

    Examples
    --------
    >>> prefix_svg_ids('<path id="m0123456789"/><use xlink:href="#m0123456789"/>', "a-")
    '<path id="a-m0123456789"/><use xlink:href="#a-m0123456789"/>'
    """
    return _SVG_ID.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)


def figure_png(fig: Figure, dpi: int = 144) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def save_figures(figures: Mapping[str, Figure], directory: Path) -> list[Path]:
    """Write every figure as ``<stem>.png`` and ``<stem>.svg`` into ``directory``."""
    written: list[Path] = []
    for stem, fig in figures.items():
        png = directory / f"{stem}.png"
        png.write_bytes(figure_png(fig))
        svg = directory / f"{stem}.svg"
        svg.write_text(figure_svg(fig), encoding="utf-8")
        written += [png, svg]
    return written
