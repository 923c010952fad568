"""The sweep-speed benchmark runs end to end on short runs (a smoke test, not a timing)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_runner_writes_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import sweep_speed

    out = tmp_path / "sweep.csv"
    argv = ["--steps", "4", "--sample", "2", "--torch-sample", "1", "--out", str(out)]
    assert sweep_speed.main(argv) == 0
    assert "wall-clock ratio / CPU-time ratio" in capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# command: python -m benchmarks.sweep_speed " + " ".join(argv)
    rows = list(csv.DictReader(lines[3:]))
    assert [r["measure"] for r in rows] == [
        "softlogit sweep, default grid, all cores",
        "run_sweep, default grid, one process",
        "loop of run_experiment, numpy engine",
        "loop of run_experiment, torch eager",
    ]
    assert [int(r["runs"]) for r in rows] == [126, 126, 2, 1]
    # a loop's ratio to itself is 1
    assert float(rows[2]["x_numpy_wall"]) == 1.0
    assert float(rows[3]["x_torch_cpu"]) == 1.0
