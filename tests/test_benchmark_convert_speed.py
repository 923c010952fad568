"""The convert-speed benchmark runs end to end on a small head (a smoke test)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_runner_writes_csv_with_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    import torch
    from benchmarks import convert_speed

    threads = torch.get_num_threads()
    out = tmp_path / "convert.csv"
    argv = ["--width", "64", "--repeats", "1", "--no-keras", "--out", str(out)]
    try:
        assert convert_speed.main(argv) == 0
    finally:
        torch.set_num_threads(threads)
    assert "convert_over_copy" in capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# command: python -m benchmarks.convert_speed " + " ".join(argv)
    rows = list(csv.DictReader(lines[2:]))
    assert [(r["model"], r["dtype"]) for r in rows] == [
        ("nn.Sequential", "float32"),
        ("state dict", "float32"),
        ("nn.Sequential", "float64"),
        ("state dict", "float64"),
    ]
    assert all(r["head"] == "64x2" for r in rows)
    assert all(int(r["n_params"]) == 64 * 64 + 64 + 2 * 64 + 2 for r in rows)
