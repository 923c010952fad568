"""The Dask benchmark runs end to end on tiny sizes (a smoke test, not a timing)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask-cluster")]


def test_runner_writes_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts b and d on a few thousand rows: every fit reaches the common objective
    (part b; part d that of the same data fitted in memory), the Parquet files are
    removed afterwards (part d), and the CSV records the command and the load."""
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import dask_speed

    out = tmp_path / "dask.csv"
    argv = [
        "--parts",
        "b,d",
        "--n",
        "6000",
        "--d",
        "5",
        "--k",
        "3",
        "--rows",
        "2000",
        "--repeats",
        "1",
        "--ooc-n",
        "4000",
        "--ooc-rows",
        "1000",
        "--tmp",
        str(tmp_path),
        "--out",
        str(out),
    ]
    assert dask_speed.main(argv) == 0
    assert "missed the best objective" not in capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# command: python -m benchmarks.dask_speed " + " ".join(argv)
    rows = list(csv.DictReader(lines[2:]))
    assert [r["where"] for r in rows] == [
        "in memory, default BLAS threads",
        "in memory, 1 BLAS thread",
        "dask threads",
        "LocalCluster (2 workers)",
        "LocalCluster (2 workers), from Parquet",
        "in memory, 1 BLAS thread",
    ]
    # (b): the ratios are to the faster in-memory fit, which is named.
    base = rows[0]["ratio_to"]
    assert base in ("in memory, default BLAS threads", "in memory, 1 BLAS thread")
    assert {r["ratio_to"] for r in rows[:4]} == {base}
    assert float(next(r for r in rows[:2] if r["where"] == base)["ratio"]) == 1.0
    # (d): the out-of-core fit reaches the in-memory fit's objective.
    assert float(rows[4]["relative_gap"]) <= 1e-8
    assert [int(r["n_samples"]) for r in rows] == [6000] * 4 + [4000] * 2
    assert all(r["load_average"] for r in rows)
    assert [p.name for p in tmp_path.iterdir()] == ["dask.csv"]
