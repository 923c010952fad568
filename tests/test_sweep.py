"""`softlogit sweep`: the grid, the rows store, resuming, Dask, the CLI."""

from __future__ import annotations

import builtins
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from softlogit._cli import main
from softlogit.errors import InputTypeError, InputValueError, MissingExtraError
from softlogit.experiment import ExperimentSpec, _sweep_rows
from softlogit.experiment._sweep_grid import (
    DEFAULT_GRID,
    SweepGrid,
    parse_axis,
    row_key,
)
from softlogit.experiment._sweep_run import run_sweep
from softlogit.experiment._sweep_store import read_rows, write_rows

SMALL = SweepGrid.from_strings(
    ["lr=0.01,0.1", "optimizer=sgd,adam"],
    seeds=2,
    base=ExperimentSpec().replace(steps=24, hidden=(4,), batch_size=64),
)


def _strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without the wall-clock time, the only column that differs run to run."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


# -- the grid ----------------------------------------------------------------------


def test_axes_parse_lists_and_ranges() -> None:
    name, values = parse_axis("lr=1e-4..1e-1:7log")
    expected = np.logspace(-4, -1, 7)
    assert name == "lr"
    np.testing.assert_allclose(values, expected, rtol=5e-3)  # three digits
    assert parse_axis("lr=0.1..0.3:3")[1] == (0.1, 0.2, 0.3)
    assert parse_axis("optimizer=sgd,momentum,adam")[1] == ("sgd", "momentum", "adam")
    assert parse_axis("batch_size=full,32")[1] == (None, 32)
    assert parse_axis("hidden=8,32/16,none")[1] == ((8,), (32, 16), ())
    assert parse_axis("dataset=breast_cancer,synthetic")[1] == (
        "breast_cancer",
        "synthetic",
    )
    assert parse_axis("batch-size=16")[0] == "batch_size"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("lr", r"a grid axis is written name=v1"),
        ("seed=1,2", r"grid axis 'seed' is not a sweepable option"),
        ("colour=red", r"grid axis 'colour' is not a sweepable option"),
        ("lr=1e-4..1e-1:0log", r"a range is written low..high:Nlog"),
        ("lr=0..1e-1:3log", r"a log range needs positive ends"),
        ("lr=a..1:3", r"grid axis `lr`: 'a' is not a number"),
    ],
)
def test_bad_axes_are_refused(text: str, match: str) -> None:
    with pytest.raises(InputValueError, match=match):
        parse_axis(text)


def test_grid_cells_seeds_and_keys() -> None:
    specs = SMALL.specs()
    assert len(specs) == 2 * 2 * 2
    assert [(s.training.lr, s.training.optimizer, s.seed) for s in specs[:3]] == [
        (0.01, "sgd", 0),
        (0.01, "sgd", 1),
        (0.01, "adam", 0),
    ]
    assert all(s.training.record_every == 1 for s in specs)  # steps // 20
    keys = [row_key(s) for s in specs]
    assert len(set(keys)) == len(keys)
    assert SweepGrid.from_dict(json.loads(json.dumps(SMALL.to_dict()))) == SMALL
    assert len(DEFAULT_GRID.specs()) == 7 * 3 * 2 * 3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"axes": [("lr", ())]}, InputValueError, r"grid axis `lr` has no values"),
        (
            {"axes": [("lr", (0.1,)), ("lr", (0.2,))]},
            InputValueError,
            r"grid axes must differ",
        ),
        ({"axes": [], "seeds": ()}, InputValueError, r"`seeds` must be distinct"),
        (
            {"axes": [("dataset", ("breast_cancer", "iris"))]},
            InputValueError,
            r"need two classes; `dataset` 'iris' has 3",
        ),
        ({"axes": [("lr", (-1.0,))]}, InputValueError, r"`lr` must be"),
    ],
)
def test_bad_grids_are_refused(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        SweepGrid(**kwargs)


def test_grid_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "grid.toml"
    path.write_text(
        "seeds = [0, 5]\n[fixed]\nsteps = 100\nhidden = [8]\n[grid]\n"
        'optimizer = ["sgd", "adam"]\nlr = "1e-3..1e-1:3log"\nbatch_size = ["full", 32]\n'
    )
    grid = SweepGrid.from_toml(path)
    assert grid.seeds == (0, 5)
    assert dict(grid.axes)["lr"] == (0.001, 0.01, 0.1)
    assert dict(grid.axes)["batch_size"] == (None, 32)
    assert grid.base.training.steps == 100
    assert grid.base.model.hidden == (8,)
    path.write_text("[grid]\nlr = 0.1\n")
    with pytest.raises(InputTypeError, match=r"grid axis `lr` must be a list"):
        SweepGrid.from_toml(path)
    path.write_text("[grids]\n")
    with pytest.raises(InputValueError, match=r"unknown keys \['grids'\]"):
        SweepGrid.from_toml(path)
    path.write_text("[grid\n")
    with pytest.raises(InputValueError, match=r"is not valid TOML"):
        SweepGrid.from_toml(path)
    with pytest.raises(FileNotFoundError, match=r"grid file .* does not exist"):
        SweepGrid.from_toml(tmp_path / "missing.toml")
    with pytest.raises(InputTypeError, match=r"`seeds` must be a count or a list"):
        SweepGrid.from_strings(["lr=0.1"], seeds="3")  # type: ignore[arg-type]
    with pytest.raises(InputValueError, match=r"`seeds` must be at least 1"):
        SweepGrid.from_strings(["lr=0.1"], seeds=0)


def test_the_example_grid_file_reads() -> None:
    grid = SweepGrid.from_toml(
        Path(__file__).parent.parent / "examples/atlas-full.toml"
    )
    assert len(grid.specs()) > len(DEFAULT_GRID.specs())


# -- the store, resuming, parallel runs --------------------------------------------


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the networks trained in this process."""
    trained: list[int] = []
    original = _sweep_rows.train_batched

    def train(jobs: Any) -> Any:
        trained.append(len(jobs))
        return original(jobs)

    monkeypatch.setattr(_sweep_rows, "train_batched", train)
    return trained


def test_resume_after_an_interrupt_trains_only_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "rows.parquet"
    trained = _counting(monkeypatch)
    reference = run_sweep(SMALL, None, processes=1)
    assert sum(trained) == 8 * 6  # six networks a row
    trained.clear()

    calls: list[int] = []

    def interrupt(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:  # after the first batch was stored
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(SMALL, store, processes=1, progress=interrupt)
    first = len(read_rows(store)[0])
    assert 0 < first < 8
    assert sum(trained) == first * 6
    trained.clear()
    rows = run_sweep(SMALL, store, processes=1)
    assert sum(trained) == (8 - first) * 6  # the stored rows were not trained again
    assert _strip(rows) == _strip(reference)
    # a larger grid reuses the cells it shares with the smaller one
    trained.clear()
    larger = SweepGrid(
        (("lr", (0.01, 0.1, 1.0)), ("optimizer", ("sgd", "adam"))), (0, 1), SMALL.base
    )
    rows = run_sweep(larger, store, processes=1)
    assert sum(trained) == 4 * 6
    assert len(rows) == 12
    stored, grid = read_rows(store)
    assert len(stored) == 12
    assert grid == larger.to_dict()
    # without resuming, every row of the grid trains again
    trained.clear()
    run_sweep(SMALL, store, processes=1, resume=False)
    assert sum(trained) == 8 * 6


@pytest.mark.slow
def test_dask_and_local_processes_give_identical_rows() -> None:
    processes = run_sweep(SMALL, None, processes=2)
    dask = run_sweep(SMALL, None, workers=2)
    assert _strip(dask) == _strip(processes)
    assert _strip(processes) == _strip(run_sweep(SMALL, None, processes=1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"processes": 0}, r"`processes` must be at least 1; got 0"),
        ({"workers": 0}, r"`workers` must be at least 1; got 0"),
        ({"workers": 1, "scheduler": "tcp://x:1"}, r"not both"),
    ],
)
def test_run_sweep_refuses_bad_parallelism(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InputValueError, match=match):
        run_sweep(SMALL, None, **kwargs)


def test_store_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FileNotFoundError, match=r"sweep results .* do not exist"):
        read_rows(tmp_path / "none.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(InputValueError, match=r"is not a Parquet file"):
        read_rows(bad)
    other = tmp_path / "other.parquet"
    write_rows(other, [{"a": 1}], {})
    with pytest.raises(InputValueError, match=r"holds no softlogit sweep rows"):
        read_rows(other)
    _block_imports(monkeypatch, "pyarrow")
    with pytest.raises(MissingExtraError, match=r"pip install 'softlogit\[sweep\]'"):
        read_rows(other)


def _block_imports(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    """Imports of ``prefix`` fail from now on, as without the package."""
    real_import = builtins.__import__

    def blocked(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith(prefix):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _block_imports(monkeypatch, "distributed")
    with pytest.raises(MissingExtraError, match=r"pip install 'softlogit\[dask\]'"):
        run_sweep(SMALL, None, workers=1)


# -- the command line ---------------------------------------------------------------


def test_a_small_grid_runs_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "atlas"
    argv = [
        "sweep", "--grid", "lr=0.01,0.1", "--grid", "optimizer=sgd,adam",
        "--seeds", "2", "--steps", "24", "--hidden", "4", "--batch-size", "64",
        "--processes", "1", "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "atlas: 4 cells × 2 seeds (8 runs)" in text
    assert "closer than two random initializations" in text
    rows, grid = read_rows(out)
    assert len(rows) == 8
    expected = run_sweep(SMALL, None, processes=1)
    by_key = sorted(rows, key=lambda r: r["key"])
    assert _strip(by_key) == _strip(sorted(expected, key=lambda r: r["key"]))
    assert grid == SMALL.to_dict()
    page = (out / "atlas.html").read_text()
    assert page.count("<svg") >= 6
    for stem in (
        "map-0v1-lr-optimizer",
        "map-2v1-lr-optimizer",
        "map-ulp-lr-optimizer",
    ):
        assert (out / f"{stem}.png").stat().st_size > 1000
        assert (out / f"{stem}.svg").read_text().startswith("<svg")
    findings = json.loads((out / "findings.json").read_text())["findings"]
    assert [f["key"] for f in findings][:2] == ["closer:sgd", "closer:adam"]
    # --show draws the stored rows again, without training
    (out / "atlas.html").unlink()
    assert main(["sweep", "--show", str(out / "rows.parquet"), "-q"]) == 0
    assert (out / "atlas.html").read_text().count("<svg") == page.count("<svg")


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--grid", "lr=x"], r"`--lr`: 'x' is not a number"),
        (["--grid", "seed=1"], r"grid axis 'seed' is not a sweepable option"),
        (["--grid", "lr=0.1", "--config", "g.toml"], r"not both"),
        (["--grid", "lr=0.1", "--workers", "1", "--scheduler", "x"], r"not both"),
        (["--grid", "lr=0.1", "--processes", "0"], r"`processes` must be at least 1"),
    ],
)
def test_sweep_command_errors(
    argv: list[str], match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", *argv, "--steps", "2", "--out", str(tmp_path / "a")]) == 2
    assert re.search(match, capsys.readouterr().err)


def test_sweep_refuses_a_foreign_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.txt").write_text("x")
    assert main(["sweep", "--grid", "lr=0.1", "--out", str(tmp_path)]) == 2
    assert "is not a softlogit atlas; pass --force" in capsys.readouterr().err
    (tmp_path / "plain.parquet").write_bytes(b"")
    write_rows(tmp_path / "plain.parquet", [{"key": "a"}], {})
    assert main(["sweep", "--show", str(tmp_path / "plain.parquet")]) == 2
    assert "holds no grid description" in capsys.readouterr().err
    write_rows(tmp_path / "plain.parquet", [{"key": "a"}], SMALL.to_dict())
    assert main(["sweep", "--show", str(tmp_path / "plain.parquet")]) == 2
    assert "holds no rows of its grid" in capsys.readouterr().err
