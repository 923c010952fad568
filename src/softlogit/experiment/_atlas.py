"""The atlas: a sweep's rows summarized by cell, as heat maps and findings in words.

Everything the atlas page and the terminal summary show is decided here, from the
rows (:mod:`~softlogit.experiment._sweep_rows`): the quantity of every row that a
heat map colours (:data:`QUANTITIES`), every cell's summary (:class:`AtlasCell`) and
the findings (:class:`Finding`), each with the cells it rests on and the count its
sentence cites. The reports only render them.

"Closer than two random initializations" compares a pair's final relative weight gap
with the natural-variability baseline of the same row: network 1 against network 1
from another seed's initialization, trained by the same procedure on the same data
in the same order. A ratio below 1 means the two networks ended closer than two
unrelated runs do. A cell counts as closer when the median ratio over its seeds is
below 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "QUANTITIES",
    "Atlas",
    "AtlasCell",
    "Finding",
    "build_atlas",
    "format_value",
]

Row = Mapping[str, Any]


def _ratio(pair: str, gap: str = "weights") -> Callable[[Row], float]:
    def value(row: Row) -> float:
        if _diverged(row):
            return math.nan
        base = float(row[f"baseline_{gap}"])
        return float(row[f"{pair}_{gap}"]) / base if base > 0 else math.inf

    return value


def _largest(pair: str) -> Callable[[Row], float]:
    def value(row: Row) -> float:
        if _diverged(row):
            return math.nan
        return max(float(row[f"{pair}_weights_max"]), float(row[f"{pair}_proba_max"]))

    return value


def _diverged(row: Row) -> bool:
    return any(
        row.get(key) is not None for key in row if str(key).endswith("_diverged_at")
    )


#: quantity -> (what it is, function of a row). Ratios are to the baseline (two
#: random initializations); gaps are the largest relative weight or probability
#: gap along the way. NaN: a network of the row diverged.
QUANTITIES: dict[str, tuple[str, Callable[[Row], float]]] = {
    "0v1": (
        "weight gap of networks 0 and 1 / two random initializations",
        _ratio("0v1"),
    ),
    "2v1": (
        "weight gap of networks 2 and 1 / two random initializations",
        _ratio("2v1"),
    ),
    "0v1_proba": (
        "probability gap of networks 0 and 1 / two random initializations",
        _ratio("0v1", "proba"),
    ),
    "0v2": ("largest gap of networks 0 and 2 along the way", _largest("0v2")),
    "0v1c": ("largest gap of networks 0 and 1c along the way", _largest("0v1c")),
    "ulp": ("largest gap of the one-ulp control along the way", _largest("ulp")),
}


def format_value(axis: str, value: object) -> str:
    """An axis value in words: ``'full batch'``, ``'0.01'``, ``'16'``.

    Examples
    --------
    >>> from softlogit.experiment._atlas import format_value
    >>> format_value("batch_size", None), format_value("lr", 0.001), format_value("hidden", "32/16")
    ('full batch', '0.001', '32/16')
    """
    if value is None:
        return "full batch" if axis == "batch_size" else "auto"
    if isinstance(value, tuple):
        return "/".join(map(str, value)) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class AtlasCell:
    """One cell of the grid, summarized over its seeds.

    Attributes
    ----------
    key : str
        The cell's key (HTML anchor ``cell-<key>``).
    values : mapping of str to object
        The value of every swept axis.
    label : str
        The values in words (``'lr 0.01 · sgd · full batch'``).
    runs : int
        Rows (seeds) in the cell.
    medians : mapping of str to float
        The median over the seeds of every quantity of :data:`QUANTITIES`.
    verdicts : mapping of str to mapping of str to int
        Pair id -> verdict key -> number of seeds.
    diverged : int
        Rows in which a network diverged.
    accuracy : mapping of str to float
        Network -> median final test accuracy.
    """

    key: str
    values: Mapping[str, object]
    label: str
    runs: int
    medians: Mapping[str, float]
    verdicts: Mapping[str, Mapping[str, int]]
    diverged: int
    accuracy: Mapping[str, float] = field(default_factory=dict)

    def closer(self, quantity: str = "0v1") -> bool:
        """Whether the median ratio of ``quantity`` is below 1."""
        return bool(self.medians[quantity] < 1)


@dataclass(frozen=True)
class Finding:
    """A finding in plain words, with the cells it rests on.

    Attributes
    ----------
    key : str
        What it is about (``'closer:sgd'``, ``'learner'``, ``'identical:0v2'``,
        ``'control'``, ``'accuracy'``, ``'diverged'``).
    text : str
        The sentence; it cites ``count`` of ``total`` as ``'<count> of <total>'``.
    cells : tuple of str
        Keys of the cells behind it (those counted, then the others considered).
    count, total : int
        The numbers the sentence cites.
    unit : {'cells', 'runs'}
        What they count: cells (medians over seeds) or runs (cell and seed).
    """

    key: str
    text: str
    cells: tuple[str, ...]
    count: int
    total: int
    unit: str


@dataclass(frozen=True)
class Atlas:
    """A sweep summarized: axes, cells and findings."""

    axes: tuple[tuple[str, tuple[object, ...]], ...]
    seeds: tuple[int, ...]
    cells: tuple[AtlasCell, ...]
    findings: tuple[Finding, ...]
    rows: tuple[Row, ...]

    def cell(self, key: str) -> AtlasCell:
        """The cell of ``key``."""
        return next(c for c in self.cells if c.key == key)

    def heat_map(
        self, quantity: str, x: str, y: str
    ) -> tuple[list[object], list[object], np.ndarray, np.ndarray]:
        """Medians of ``quantity`` over the rows of every (x, y) pair of values.

        Returns the values of ``x`` and ``y`` (in grid order), the medians of shape
        (len(y), len(x)) (NaN where every row diverged) and, of the same shape, the
        fraction of rows whose value is below 1 (for a ratio: the rows in which the
        pair ended closer than two random initializations).
        """
        xs = dict(self.axes).get(x, (None,))
        ys = dict(self.axes).get(y, (None,))
        _, fn = QUANTITIES[quantity]
        med = np.full((len(ys), len(xs)), np.nan)
        frac = np.full((len(ys), len(xs)), np.nan)
        for j, yv in enumerate(ys):
            for i, xv in enumerate(xs):
                values = np.array(
                    [
                        fn(r)
                        for r in self.rows
                        if (x not in dict(self.axes) or r[x] == xv)
                        and (y not in dict(self.axes) or r[y] == yv)
                    ],
                    dtype=float,
                )
                values = values[~np.isnan(values)]
                if values.size:
                    med[j, i] = float(np.median(values))
                    frac[j, i] = float(np.mean(values < 1))
        return list(xs), list(ys), med, frac


def _label(values: Mapping[str, object]) -> str:
    return " · ".join(
        f"{format_value(a, v)}"
        if a in ("optimizer", "batch_size", "dataset")
        else f"{a.replace('_', ' ')} {format_value(a, v)}"
        for a, v in values.items()
    )


def _cells(
    rows: Sequence[Row], axes: Sequence[tuple[str, tuple[object, ...]]]
) -> list[AtlasCell]:
    by_cell: dict[str, list[Row]] = {}
    for row in rows:
        by_cell.setdefault(str(row["cell"]), []).append(row)
    out = []
    for key, members in by_cell.items():
        values = {a: members[0][a] for a, _ in axes}
        medians = {}
        for q, (_, fn) in QUANTITIES.items():
            v = np.array([fn(r) for r in members], dtype=float)
            v = v[~np.isnan(v)]
            medians[q] = float(np.median(v)) if v.size else math.nan
        verdicts = {
            pid: {
                str(k): sum(1 for r in members if r[f"{pid}_verdict"] == k)
                for k in {r[f"{pid}_verdict"] for r in members}
            }
            for pid in ("0v2", "0v1c", "ulp", "0v1", "2v1")
        }
        accuracy = {
            n: float(np.median([float(r[f"net_{n}_test_accuracy"]) for r in members]))
            for n in ("0", "1", "2", "1c")
        }
        out.append(
            AtlasCell(
                key=key,
                values=values,
                label=_label(values),
                runs=len(members),
                medians=medians,
                verdicts=verdicts,
                diverged=sum(1 for r in members if _diverged(r)),
                accuracy=accuracy,
            )
        )
    order = {c: i for i, c in enumerate(dict.fromkeys(str(r["cell"]) for r in rows))}
    return sorted(out, key=lambda c: order[c.key])


def build_atlas(
    rows: Sequence[Row],
    axes: Sequence[tuple[str, Sequence[object]]],
    seeds: Sequence[int] = (),
) -> Atlas:
    """Summarize the rows of one grid: cells and findings.

    Parameters
    ----------
    rows : sequence of mapping
        The rows of the grid (:func:`run_sweep`).
    axes : sequence of (str, sequence)
        The swept axes with their values, in display order.
    seeds : sequence of int
        The seeds of the grid.

    Returns
    -------
    Atlas
    """
    from softlogit.experiment._atlas_findings import findings

    axes_t = tuple((str(a), tuple(v)) for a, v in axes)
    cells = _cells(rows, axes_t)
    return Atlas(
        axes=axes_t,
        seeds=tuple(seeds),
        cells=tuple(cells),
        findings=tuple(findings(rows, cells, axes_t)),
        rows=tuple(rows),
    )
