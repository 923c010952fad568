"""The derive-speed benchmark runs end to end (a smoke test, not a timing)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_runner_writes_cold_and_warm_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import derive_speed

    out = tmp_path / "derive.csv"
    argv = ["--classes", "2", "--out", str(out)]
    assert derive_speed.main(argv) == 0
    printed = capsys.readouterr().out
    assert "cold" in printed
    assert "warm" in printed
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# command: python -m benchmarks.derive_speed " + " ".join(argv)
    rows = list(csv.DictReader(lines[2:]))
    assert [(r["classes"], r["run"]) for r in rows] == [("2", "cold"), ("2", "warm")]
    assert all(float(r["wall_s"]) > 0 for r in rows)
    assert all(float(r["cpu_s"]) > 0 for r in rows)
