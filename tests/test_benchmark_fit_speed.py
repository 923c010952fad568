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
    argv = [
        *("--cases", "400x6x2,400x6x3", "--C", "1.0,inf", "--repeats", "1"),
        *("--data", "issue", "--threads", "0,1"),
    ]
    assert fit_speed.main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "BLAS:" in printed
    assert "ratio" in printed
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# command: python -m benchmarks.fit_speed " + " ".join(
        [*argv, "--out", str(out)]
    )
    assert lines[1].startswith("# BLAS, threads=default: ")
    assert lines[2].startswith("# BLAS, threads=1: ")
    rows = list(csv.DictReader(lines[3:]))
    assert {r["threads"] for r in rows} == {"default", "1"}
    competitors = {r["competitor"] for r in rows}
    assert competitors == {
        "softlogit",
        "sklearn-lbfgs",
        "sklearn-newton-cholesky",
        "statsmodels",
    }
    # Every competitor reached the same objective (sklearn's, at the same C).
    assert all(r["reached_objective"] == "True" for r in rows), rows
    # Each competitor's tol is calibrated once per case, the same for both settings.
    tols = {}
    for r in rows:
        key = (r["n_classes"], r["C"], r["competitor"])
        assert tols.setdefault(key, r["calibrated_tol"]) == r["calibrated_tol"]
        assert float(r["calibrated_tol"]) in fit_speed.TOL_LADDER
    # softlogit's unpenalized fits report the existence proof and the covariance.
    for column in ("existence_proof_seconds", "covariance_seconds"):
        extra = [
            float(r[column])
            for r in rows
            if r["competitor"] == "softlogit" and r["C"] == "inf"
        ]
        assert len(extra) == 4  # two cases, two thread settings
        assert all(e >= 0 for e in extra)
    # statsmodels only runs unpenalized.
    assert {r["C"] for r in rows if r["competitor"] == "statsmodels"} == {"inf"}


def test_calibrate_takes_the_loosest_tol_reaching_the_objective(
    fit_speed, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.fit_adapters import Adapter

    class Fake(Adapter):
        """A competitor whose objective is ``1 + tol**2`` (reached: tol <= 1e-4)."""

        def fit(self, X, y, C, tol):  # type: ignore[no-untyped-def]
            return ("fit at", tol)

    monkeypatch.setattr(fit_speed, "objective", lambda fit, X, y, C: 1 + fit[1] ** 2)
    tol, f = fit_speed.calibrate(Fake(), None, None, 1.0, 1.0)
    assert tol == 1e-4
    assert f == 1 + 1e-4**2
    # Never reached: the reference tol, with its objective.
    monkeypatch.setattr(fit_speed, "objective", lambda fit, X, y, C: 2.0)
    assert fit_speed.calibrate(Fake(), None, None, 1.0, 1.0) == (
        fit_speed.REFERENCE_TOL,
        2.0,
    )


def test_append_keeps_the_earlier_runs(fit_speed, tmp_path: Path) -> None:
    """``--append`` adds a run's command line and rows after the earlier ones
    (BLAS lines once); without it the file is replaced; other columns refuse."""
    out = tmp_path / "fit.csv"
    blas = ["# BLAS, threads=default: x", "# BLAS, threads=1: y"]
    first = [{"case": "a", "ratio": 0.5}]
    second = [{"case": "b", "ratio": 0.7}, {"case": "c", "ratio": 0.9}]
    fit_speed.write_results(out, "python -m one", blas, first)
    fit_speed.write_results(out, "python -m two", [blas[1]], second, append=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:4] == ["# command: python -m one", "# command: python -m two", *blas]
    assert list(csv.DictReader(lines[4:])) == [
        {"case": "a", "ratio": "0.5"},
        {"case": "b", "ratio": "0.7"},
        {"case": "c", "ratio": "0.9"},
    ]
    with pytest.raises(SystemExit, match="other columns"):
        fit_speed.write_results(out, "python -m three", blas, [{"x": 1}], append=True)
    fit_speed.write_results(out, "python -m four", blas, first)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines == ["# command: python -m four", *blas, "case,ratio", "a,0.5"]
