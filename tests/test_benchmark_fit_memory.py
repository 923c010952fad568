"""The peak-memory benchmark runs end to end on tiny data (a smoke test)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="Linux /proc needed"
)
def test_memory_runner_writes_csv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import fit_memory

    out = tmp_path / "mem.csv"
    argv = ["--cases", "2000x6x3", "--C", "1.0", "--out", str(out)]
    assert fit_memory.main(argv) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# command: python -m benchmarks.fit_memory " + " ".join(argv)
    rows = list(csv.DictReader(lines[1:]))
    assert [r["competitor"] for r in rows] == ["softlogit", "sklearn-lbfgs"]
    for r in rows:
        assert float(r["peak_above_data_mib"]) >= 0
        assert float(r["peak_after_fit_mib"]) >= float(r["peak_before_fit_mib"])
