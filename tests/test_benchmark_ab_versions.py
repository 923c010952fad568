"""The two-version benchmark runs end to end and compares like with like."""

from __future__ import annotations

import csv
from pathlib import Path

from benchmarks import ab_versions

SRC = str(Path(__file__).resolve().parent.parent / "src")


def test_same_version_on_both_sides_reaches_the_same_objective(tmp_path: Path) -> None:
    out = tmp_path / "ab.csv"
    code = ab_versions.main(
        ["--before", SRC, "--after", SRC, "--cases", "300x3x2", "--C", "1.0",
         "--rounds", "1", "--repeats", "1", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    with out.open() as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].startswith("#")]
    assert rows[0] == [
        "workload", "before_s", "after_s", "ratio", "objective_before",
        "objective_after",
    ]  # fmt: skip
    fit, experiment = rows[1], rows[2]
    assert fit[0] == "fit 300x3x2 C=1.0"
    assert float(fit[4]) == float(fit[5])  # the same code: the same objective
    assert float(fit[3]) > 0
    assert experiment[0] == "experiment (default spec)"
