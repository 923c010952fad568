"""The atlas page, its files and its terminal summary.

``write_atlas`` fills a directory with ``atlas.html`` (self-contained: the heat maps
are inline SVG, no network access), every heat map as PNG and SVG, and
``findings.json``; the rows file of the sweep stays beside them. The page shows the
findings (each linked to the cells behind it), the heat maps of networks 0 and 1
and of networks 2 and 1 against two random initializations, the maps of the pairs
the theory keeps identical and of the one-ulp control, and every cell.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softlogit._report._atlas_plots import (
    RATIOS,
    axis_pairs,
    heat_map_figure,
    map_stem,
)
from softlogit._report._html import _CSS
from softlogit._report._plots import figure_png, figure_svg, prefix_svg_ids
from softlogit.experiment._atlas import Atlas, format_value

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["SECTIONS", "print_atlas", "render_atlas", "write_atlas"]

#: section id -> (heading, introduction, quantities)
SECTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "map-0v1": (
        "Networks 0 and 1 against two random initializations",
        "The final relative weight gap of networks 0 and 1 divided by that of two "
        "random initializations (network 1 from seeds s and s + 1, same procedure, "
        "same data), median over seeds. Outlined: closer than two random "
        "initializations.",
        ("0v1", "0v1_proba"),
    ),
    "map-2v1": (
        "Networks 2 and 1, the learner's pair",
        "The same ratio for the softmax head (network 2) against the sigmoid head.",
        ("2v1",),
    ),
    "map-exact": (
        "Where the exact theory holds, and where rounding takes over",
        "The largest gap along the way of networks 0 and 2 and of networks 0 and 1c, "
        "which the theory makes identical, and of the one-ulp control (network 0 "
        "against itself from one initial weight moved by one ulp). Outlined: the "
        "median within rounding. Where the control's map darkens with the others, the "
        "procedure amplifies rounding: the networks are the same.",
        ("0v2", "0v1c", "ulp"),
    ),
}

_ATLAS_CSS = """
.findings li { margin: 0 0 12px; }
.chips { display: block; margin-top: 4px; }
.chip {
  display: inline-block; font-size: 12px; padding: 1px 8px; margin: 2px 4px 0 0;
  border: 1px solid #c7d7ee; border-radius: 999px; color: var(--accent);
}
.maps figure { margin-bottom: 18px; }
table.cells td, table.cells th { padding: 5px 8px; font-size: 13px; }
table.cells tr:target td { background: #fff6d6; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _figures(atlas: Atlas, tolerance: float) -> dict[str, Any]:
    """Every heat map figure, by file stem, in page order."""
    out: dict[str, Any] = {}
    pairs = axis_pairs(atlas)
    for _, _, quantities in SECTIONS.values():
        for q in quantities:
            for x, y in pairs if q in RATIOS[:2] else pairs[:1]:
                out[map_stem(q, x, y)] = heat_map_figure(
                    atlas, q, x, y, tolerance=tolerance
                )
    return out


def _findings(atlas: Atlas) -> str:
    labels = {c.key: c.label for c in atlas.cells}
    items = []
    for f in atlas.findings:
        chips = "".join(
            f'<a class="chip" href="#cell-{_e(k)}">{_e(labels.get(k, k))}</a>'
            for k in f.cells[:12]
        )
        more = f" and {len(f.cells) - 12} more" if len(f.cells) > 12 else ""
        items.append(
            f'<li id="finding-{_e(f.key)}">{_e(f.text)}'
            f'<span class="chips">{chips}{_e(more)}</span></li>'
        )
    return (
        '<section id="findings"><h2>What the atlas finds</h2><div class="card">'
        f'<ol class="findings">{"".join(items)}</ol></div></section>'
    )


def _maps(svgs: Mapping[str, str]) -> str:
    parts = []
    for sid, (heading, intro, quantities) in SECTIONS.items():
        figs = "".join(
            f'<figure class="card" id="fig-{_e(stem)}"><div class="plot">{svg}</div>'
            "</figure>"
            for stem, svg in svgs.items()
            if any(stem.startswith(f"map-{q}-") for q in quantities)
        )
        parts.append(
            f'<section id="{sid}" class="maps"><h2>{_e(heading)}</h2>'
            f"<p>{_e(intro)}</p>{figs}</section>"
        )
    return "".join(parts)


def _cells(atlas: Atlas) -> str:
    axes = [a for a, _ in atlas.axes]
    head = "".join(f"<th>{_e(a)}</th>" for a in axes)
    rows = []
    for c in atlas.cells:
        values = "".join(f"<td>{_e(format_value(a, c.values[a]))}</td>" for a in axes)
        verdicts = "; ".join(
            f"{pid}: " + ", ".join(f"{k} {n}" for k, n in sorted(v.items()))
            for pid, v in c.verdicts.items()
            if pid in ("0v2", "0v1c", "ulp")
        )
        nums = "".join(
            f'<td class="num">{c.medians[q]:.3g}</td>'
            for q in ("0v1", "2v1", "0v1_proba")
        )
        acc = f"{c.accuracy['0']:.3f} / {c.accuracy['1']:.3f}"
        rows.append(
            f'<tr id="cell-{_e(c.key)}">{values}<td class="num">{c.runs}</td>{nums}'
            f'<td class="num">{acc}</td><td>{_e(verdicts)}</td></tr>'
        )
    return (
        '<section id="cells"><h2>Every cell</h2><div class="card" '
        'style="overflow-x:auto"><table class="cells"><thead><tr>'
        f'{head}<th class="num">runs</th><th class="num">0v1 / base</th>'
        '<th class="num">2v1 / base</th><th class="num">0v1 proba / base</th>'
        '<th class="num">test acc 0 / 1</th><th>verdicts (runs)</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def render_atlas(
    atlas: Atlas,
    svgs: Mapping[str, str],
    *,
    command: str | None = None,
    version: str = "",
    seconds: float | None = None,
) -> str:
    """The atlas as one self-contained HTML document."""
    runs = len(atlas.rows)
    meta = [
        f"{len(atlas.cells)} cells",
        f"{len(atlas.seeds)} seeds",
        f"{runs} runs",
        " × ".join(a for a, _ in atlas.axes) or "one cell",
    ]
    if seconds is not None:
        meta.append(f"{seconds:.0f} s")
    nav = "".join(
        f'<a href="#{k}">{_e(v)}</a>'
        for k, v in (
            ("findings", "Findings"),
            ("map-0v1", "0 vs 1"),
            ("map-2v1", "2 vs 1"),
            ("map-exact", "Exact theory"),
            ("cells", "Cells"),
        )
    )
    cmd = f'<pre class="cmd">$ {_e(command)}</pre>' if command else ""
    title = "The atlas: where networks 0 and 1 end with similar weights"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}{_ATLAS_CSS}</style></head><body>"
        '<header class="hero"><div class="inner">'
        '<div class="kicker">softlogit sweep · softmax vs sigmoid heads</div>'
        f"<h1>{_e(title)}</h1>"
        f'<div class="meta">{"".join(f"<span>{_e(m)}</span>" for m in meta)}</div>'
        f'<nav class="toc">{nav}</nav></div></header><main>'
        f"{_findings(atlas)}{_maps(svgs)}{_cells(atlas)}{cmd}"
        f"<footer>Made by softlogit {_e(version)}. This file is self-contained: it "
        "needs no network access.</footer></main></body></html>\n"
    )


def write_atlas(
    out: Path,
    atlas: Atlas,
    *,
    tolerance: float,
    command: str | None = None,
    version: str = "",
    seconds: float | None = None,
) -> Path:
    """Write the atlas page, its heat maps and ``findings.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    svgs: dict[str, str] = {}
    for stem, fig in _figures(atlas, tolerance).items():
        svg = figure_svg(fig)
        (out / f"{stem}.svg").write_text(svg, encoding="utf-8")
        (out / f"{stem}.png").write_bytes(figure_png(fig))
        svgs[stem] = prefix_svg_ids(svg, f"{stem}-")
    page = render_atlas(atlas, svgs, command=command, version=version, seconds=seconds)
    (out / "atlas.html").write_text(page, encoding="utf-8")
    doc = {
        "findings": [
            {
                "key": f.key,
                "text": f.text,
                "count": f.count,
                "total": f.total,
                "unit": f.unit,
                "cells": list(f.cells),
            }
            for f in atlas.findings
        ],
        "axes": [[a, [format_value(a, v) for v in vs]] for a, vs in atlas.axes],
        "seeds": list(atlas.seeds),
    }
    (out / "findings.json").write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    return out / "atlas.html"


def print_atlas(atlas: Atlas, console: Console) -> None:
    """The findings, numbered, on the terminal."""
    from rich.text import Text

    console.print(
        Text(
            f"atlas: {len(atlas.cells)} cells × {len(atlas.seeds)} seeds "
            f"({len(atlas.rows)} runs)",
            style="bold",
        )
    )
    for i, f in enumerate(atlas.findings, 1):
        console.print(Text(f"{i}. ", style="bold") + Text(f.text))
