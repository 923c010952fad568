"""The atlas's findings agree with the rows they cite; its maps and cells."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from softlogit.experiment import ExperimentSpec
from softlogit.experiment._atlas import Atlas, build_atlas
from softlogit.experiment._sweep_grid import SweepGrid
from softlogit.experiment._sweep_run import run_sweep

# stable and chaotic cells (Adam at lr 1 amplifies rounding) and diverging ones
# (lr 1e10 with ReLU units)
GRID = SweepGrid.from_strings(
    ["lr=0.01,1,1e10", "optimizer=sgd,adam", "batch_size=full,32"],
    seeds=2,
    base=ExperimentSpec().replace(steps=300, hidden=(6,), activation="relu"),
)


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    rows = run_sweep(GRID, None, processes=1)
    return build_atlas(rows, GRID.axes, GRID.seeds)


def _diverged(row: Mapping[str, Any]) -> bool:
    return any(row[k] is not None for k in row if k.endswith("_diverged_at"))


def _ratio(row: Mapping[str, Any], pair: str, gap: str = "weights") -> float:
    return float(row[f"{pair}_{gap}"]) / float(row[f"baseline_{gap}"])


def _cited(atlas: Atlas, cells: tuple[str, ...]) -> list[Mapping[str, Any]]:
    return [r for r in atlas.rows if r["cell"] in cells]


def _count(text: str) -> tuple[int, int]:
    match = re.search(r"in (\d+) of (\d+) (cells|runs)", text)
    assert match, text
    return int(match.group(1)), int(match.group(2))


def _closer_cells(
    atlas: Atlas, cells: tuple[str, ...], pair: str, gap: str = "weights"
) -> dict[str, bool]:
    out = {}
    for key in cells:
        rows = _cited(atlas, (key,))
        ratios = [_ratio(r, pair, gap) for r in rows if not _diverged(r)]
        out[key] = bool(np.median(ratios) < 1)
    return out


def test_every_finding_agrees_with_the_rows_it_cites(atlas: Atlas) -> None:
    keys = [f.key for f in atlas.findings]
    assert keys == [
        "closer:sgd",
        "closer:adam",
        "closer-proba:sgd",
        "closer-proba:adam",
        "learner",
        "identical:0v2",
        "identical:0v1c",
        "control",
        "accuracy",
        "diverged",
    ]
    for f in atlas.findings:
        rows = _cited(atlas, f.cells)
        assert rows, f.key
        if f.key == "diverged":
            bad = [r for r in rows if _diverged(r)]
            assert f.text.startswith(f"In {len(bad)} of {len(atlas.rows)} runs")
            assert {r["lr"] for r in bad} == {1e10}
            continue
        count, total = _count(f.text)
        assert (count, total) == (f.count, f.total)
        live = [r for r in rows if not _diverged(r)]
        if f.key.startswith("closer"):
            opt = f.key.split(":")[1]
            assert all(r["optimizer"] == opt for r in rows)
            gap = "proba" if f.key.startswith("closer-proba") else "weights"
            closer = _closer_cells(atlas, f.cells, "0v1", gap)
            assert (count, total) == (sum(closer.values()), len(closer))
            low = re.search(r"in all at lr ≤ ([\d.e+-]+)", f.text)
            high = re.search(r"in none at lr ≥ ([\d.e+-]+)", f.text)
            for key, is_closer in closer.items():
                lr = atlas.cell(key).values["lr"]
                if low and lr <= float(low.group(1)):
                    assert is_closer
                if high and lr >= float(high.group(1)):
                    assert not is_closer
        elif f.key == "learner":
            same = [
                r
                for r in live
                if abs(r["0v1_weights"] - r["2v1_weights"])
                <= 1e-6 * max(r["0v1_weights"], r["2v1_weights"])
            ]
            assert (count, total) == (len(same), len(live))
            closer = _closer_cells(atlas, tuple({r["cell"] for r in live}), "2v1")
            assert f"in {sum(closer.values())} of {len(closer)} cells" in f.text
        elif f.key.startswith("identical:"):
            pid = f.key.split(":")[1]
            compared = [r for r in rows if r[f"{pid}_verdict"] != "not_compared"]
            verdicts = [r[f"{pid}_verdict"] for r in compared]
            assert (count, total) == (verdicts.count("identical"), len(compared))
            amplified = verdicts.count("amplified")
            assert (f"in {amplified} the procedure amplifies" in f.text) == (
                amplified > 0
            )
        elif f.key == "control":
            compared = [r for r in rows if r["ulp_verdict"] != "not_compared"]
            stable = [r for r in compared if r["ulp_verdict"] == "identical"]
            assert (count, total) == (len(stable), len(compared))
            assert f"in {len(compared) - len(stable)} runs" in f.text
        elif f.key == "accuracy":
            agree = [r for r in live if r["0v1_labels"] == 0]
            assert (count, total) == (len(agree), len(live))
            worst = max(r["0v1_accuracy"] for r in live)
            assert f"at most {worst:.3g} apart" in f.text


def test_the_grid_has_chaotic_and_stable_runs(atlas: Atlas) -> None:
    verdicts = {r["ulp_verdict"] for r in atlas.rows}
    assert {"identical", "amplified"} <= verdicts


def test_heat_map_is_the_median_over_the_other_axes(atlas: Atlas) -> None:
    xs, ys, med, frac = atlas.heat_map("0v1", "lr", "optimizer")
    assert xs == [0.01, 1.0, 1e10]
    assert ys == ["sgd", "adam"]
    rows = [r for r in atlas.rows if r["lr"] == 0.01 and r["optimizer"] == "adam"]
    ratios = [_ratio(r, "0v1") for r in rows]
    assert med[1, 0] == pytest.approx(np.median(ratios))
    assert frac[1, 0] == pytest.approx(np.mean(np.array(ratios) < 1))
    assert np.isnan(med[0, 2])  # every run at lr 1e10 diverged


def test_cells_summarize_their_seeds(atlas: Atlas) -> None:
    assert len(atlas.cells) == 12
    cell = atlas.cells[0]
    assert cell.runs == 2
    assert cell.label == "lr 0.01 · sgd · full batch"
    rows = _cited(atlas, (cell.key,))
    assert cell.medians["2v1"] == pytest.approx(
        np.median([_ratio(r, "2v1") for r in rows])
    )
    assert sum(cell.verdicts["0v2"].values()) == 2
