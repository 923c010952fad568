"""The fit-speed benchmark runs end to end on tiny data (a smoke test, not a timing)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fit_speed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import fit_speed

    return fit_speed


@pytest.mark.slow
def test_runner_writes_csv_with_command_and_blas(
    fit_speed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fit.csv"
    argv = ["--cases", "400x3x2,400x3x3", "--C", "1.0,inf", "--repeats", "1"]
    assert fit_speed.main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "BLAS:" in printed
    assert "ratio" in printed
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# command: python -m benchmarks.fit_speed " + " ".join(
        [*argv, "--out", str(out)]
    )
    assert lines[1].startswith("# BLAS: ")
    rows = list(csv.DictReader(lines[2:]))
    competitors = {r["competitor"] for r in rows}
    assert competitors == {
        "softlogit",
        "sklearn-lbfgs",
        "sklearn-newton-cholesky",
        "statsmodels",
    }
    # Every competitor reached the same objective (sklearn's, at the same C).
    assert all(r["reached_objective"] == "True" for r in rows), rows
    # softlogit's unpenalized fits report the existence proof and the covariance.
    for column in ("existence_proof_seconds", "covariance_seconds"):
        extra = [
            float(r[column])
            for r in rows
            if r["competitor"] == "softlogit" and r["C"] == "inf"
        ]
        assert len(extra) == 2
        assert all(e >= 0 for e in extra)
    # statsmodels only runs unpenalized.
    assert {r["C"] for r in rows if r["competitor"] == "statsmodels"} == {"inf"}
