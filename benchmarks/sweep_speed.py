"""Speed of the atlas: the default sweep's cell runs per second against loops of
``run_experiment`` with the NumPy engine and with PyTorch eager.

Run from the repository root::

    .venv/bin/python -m benchmarks.sweep_speed              # default grid, all measures
    .venv/bin/python -m benchmarks.sweep_speed --sample 12  # loops on 12 runs each
    .venv/bin/python -m benchmarks.sweep_speed --full       # also time examples/atlas-full.toml

A *cell run* is one cell of the grid at one seed (one row of the atlas). The sweep
(:func:`softlogit.experiment.run_sweep`) trains the six networks of every run (0, 1,
2, 1c, the one-ulp control and the baseline network 1 from another seed's
initialization) in stacks and compares them; it is timed once as ``softlogit sweep``
runs it (on every core) and once in this process (``processes=1``). The loops run
``run_experiment(spec)`` for a sample of the same runs (every k-th run of the grid,
spread over its optimizers and batch sizes) with the NumPy engine and with the
PyTorch engine (autograd and ``torch.optim``, eager, one thread), after one untimed run; they
train five networks a run (no baseline), a sixth less work than the sweep's.

Rates are cell runs per second; ratios are a measure's rate over a loop's. The
machine is shared: besides the wall-clock rates, the in-process measures report
their CPU time (``time.process_time``), which other processes do not inflate. The
CPU-time ratios compare the implementations; the wall-clock ratios are what a user
waits for. The table is printed and written to ``benchmarks/results/sweep_speed.csv``
with the command that made it.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
FULL = Path(__file__).resolve().parent.parent / "examples" / "atlas-full.toml"


def _loop(specs: list[object], engine: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of a loop of run_experiment calls."""
    from softlogit.experiment import run_experiment

    run_experiment(specs[0], engine=engine)  # type: ignore[arg-type]  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    for spec in specs:
        run_experiment(spec, engine=engine)  # type: ignore[arg-type]
    return time.perf_counter() - start, time.process_time() - cpu


def _sweep(grid: object, processes: int | None) -> tuple[float, float]:
    """Wall-clock and CPU seconds (of this process) of a sweep."""
    from softlogit.experiment import run_sweep

    start, cpu = time.perf_counter(), time.process_time()
    run_sweep(grid, None, processes=processes)  # type: ignore[arg-type]
    return time.perf_counter() - start, time.process_time() - cpu


def _measure(
    args: argparse.Namespace,
) -> tuple[object, dict[str, tuple[int, float, float]]]:
    from softlogit.experiment import DEFAULT_GRID, SweepGrid

    grid = DEFAULT_GRID
    if args.steps is not None:
        grid = SweepGrid(grid.axes, grid.seeds, grid.base.replace(steps=args.steps))
    specs = grid.specs()
    n = len(specs)

    def sample(k: int) -> list[object]:
        return list(specs[:: max(1, n // k)][:k])

    measured: dict[str, tuple[int, float, float]] = {
        "softlogit sweep, default grid, all cores": (n, *_sweep(grid, None)),
        "run_sweep, default grid, one process": (n, *_sweep(grid, 1)),
    }
    for engine, k in (("numpy", args.sample), ("torch", args.torch_sample)):
        sampled = sample(k)
        label = "numpy engine" if engine == "numpy" else "torch eager"
        name = f"loop of run_experiment, {label}"
        measured[name] = (len(sampled), *_loop(sampled, engine))
    if args.full:
        full = SweepGrid.from_toml(FULL)
        name = "softlogit sweep, examples/atlas-full.toml, all cores"
        measured[name] = (len(full.specs()), *_sweep(full, None))
    return grid, measured


def _rows(measured: dict[str, tuple[int, float, float]]) -> list[dict[str, object]]:
    loops = [k for k in measured if k.startswith("loop")]
    in_process = [k for k in measured if "one process" in k or k.startswith("loop")]
    wall = {k: n / w for k, (n, w, _) in measured.items()}
    cpu = {k: measured[k][0] / measured[k][2] for k in in_process}
    rows: list[dict[str, object]] = []
    for k, (runs, w, c) in measured.items():
        row: dict[str, object] = {"measure": k, "runs": runs, "wall_s": w}
        row["runs_per_s"] = wall[k]
        row["cpu_s"] = c if k in cpu else float("nan")
        row["cpu_runs_per_s"] = cpu.get(k, float("nan"))
        for loop, tag in zip(loops, ("numpy", "torch"), strict=True):
            row[f"x_{tag}_wall"] = wall[k] / wall[loop]
            row[f"x_{tag}_cpu"] = cpu[k] / cpu[loop] if k in cpu else float("nan")
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=18, help="runs per numpy loop")
    parser.add_argument("--torch-sample", type=int, default=6)
    parser.add_argument("--full", action="store_true", help="time the full grid too")
    parser.add_argument("--steps", type=int, default=None, help="override the steps")
    parser.add_argument("--out", type=Path, default=RESULTS / "sweep_speed.csv")
    parser.add_argument("--no-csv", action="store_true")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    grid, measured = _measure(args)
    rows = _rows(measured)
    size = (
        f"default grid: {len(grid.cells())} cells x {len(grid.seeds)} seeds on "  # type: ignore[attr-defined]
        f"breast_cancer (hidden 16 tanh, {grid.base.training.steps} steps, lr "  # type: ignore[attr-defined]
        "1e-3..1 x sgd, momentum, adam x full batch, 32), float64"
    )
    env = (
        f"python {platform.python_version()}, numpy {np.__version__}, torch "
        f"{torch.__version__} (1 thread), cpus {os.cpu_count()}, load average "
        f"{os.getloadavg()[0]:.1f} at the end, one measurement each"
    )
    print(size)
    print(env)
    print(
        f"{'measure':<54}{'runs':>5}{'wall s':>8}{'runs/s':>8}{'cpu runs/s':>11}"
        f"{'x numpy':>16}{'x torch':>16}"
    )
    for r in rows:
        print(
            f"{r['measure']!s:<54}{r['runs']!s:>5}{r['wall_s']:>8.1f}"
            f"{r['runs_per_s']:>8.3f}{r['cpu_runs_per_s']:>11.3f}"
            f"{r['x_numpy_wall']:>8.2f}/{r['x_numpy_cpu']:<7.2f}"
            f"{r['x_torch_wall']:>8.2f}/{r['x_torch_cpu']:<7.2f}"
        )
    print("x numpy, x torch: wall-clock ratio / CPU-time ratio")
    if not args.no_csv:
        path = args.out
        path.parent.mkdir(parents=True, exist_ok=True)
        command = "python -m benchmarks.sweep_speed " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        with path.open("w", newline="", encoding="utf-8") as fh:
            fh.write(f"# command: {command.strip()}\n# problem: {size}\n# env: {env}\n")
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            for r in rows:
                writer.writerow(
                    {
                        k: (f"{v:.4g}" if isinstance(v, float) else v)
                        for k, v in r.items()
                    }
                )
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
