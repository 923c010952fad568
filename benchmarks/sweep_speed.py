"""Speed of the atlas: the default sweep's cells per second against loops of
``run_experiment`` with the NumPy engine and with PyTorch eager.

Run from the repository root::

    .venv/bin/python -m benchmarks.sweep_speed              # default grid, all measures
    .venv/bin/python -m benchmarks.sweep_speed --sample 12  # loops on 12 runs each
    .venv/bin/python -m benchmarks.sweep_speed --full       # also time examples/atlas-full.toml

A *cell run* is one cell of the grid at one seed (one row of the atlas). The sweep
(:func:`softlogit.experiment.run_sweep`) trains the six networks of every run (0, 1,
2, 1c, the one-ulp control and the baseline network 1 from another seed's
initialization) in stacks and compares them; it is timed once in this process
(``processes=1``) and once as ``softlogit sweep`` runs it, on every core. The loops
run ``run_experiment(spec)`` for a sample of the same runs (every k-th run of the
grid, spread over its optimizers and batch sizes) with the NumPy engine and with the
PyTorch engine (autograd and ``torch.optim``, eager, one thread); they train five
networks a run (no baseline), so they do a sixth less work than the sweep. Rates are
cell runs per second; ratios are the sweep's rate over the loop's.

The table is printed and written to ``benchmarks/results/sweep_speed.csv`` with the
command that made it.
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


def _loop(specs: list[object], engine: str) -> float:
    from softlogit.experiment import run_experiment

    start = time.perf_counter()
    for spec in specs:
        run_experiment(spec, engine=engine)  # type: ignore[arg-type]
    return time.perf_counter() - start


def _sweep(grid: object, processes: int | None) -> float:
    from softlogit.experiment import run_sweep

    start = time.perf_counter()
    run_sweep(grid, None, processes=processes)  # type: ignore[arg-type]
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=18, help="runs per loop")
    parser.add_argument("--torch-sample", type=int, default=6)
    parser.add_argument("--full", action="store_true", help="time the full grid too")
    parser.add_argument("--no-csv", action="store_true")
    args = parser.parse_args(argv)

    import torch

    from softlogit.experiment import DEFAULT_GRID, SweepGrid

    torch.set_num_threads(1)
    specs = DEFAULT_GRID.specs()
    n = len(specs)

    def sample(k: int) -> list[object]:
        step = max(1, n // k)
        return list(specs[::step][:k])

    rows: list[dict[str, object]] = []
    t_one = _sweep(DEFAULT_GRID, 1)
    t_all = _sweep(DEFAULT_GRID, None)
    numpy_specs = sample(args.sample)
    t_numpy = _loop(numpy_specs, "numpy")
    torch_specs = sample(args.torch_sample)
    t_torch = _loop(torch_specs, "torch")
    rate_one, rate_all = n / t_one, n / t_all
    rate_numpy = len(numpy_specs) / t_numpy
    rate_torch = len(torch_specs) / t_torch
    rows += [
        {"measure": "softlogit sweep, default grid, all cores", "runs": n,
         "seconds": t_all, "runs_per_s": rate_all, "vs_numpy_loop": rate_all / rate_numpy,
         "vs_torch_loop": rate_all / rate_torch},
        {"measure": "run_sweep, default grid, one process", "runs": n,
         "seconds": t_one, "runs_per_s": rate_one, "vs_numpy_loop": rate_one / rate_numpy,
         "vs_torch_loop": rate_one / rate_torch},
        {"measure": "loop of run_experiment, numpy engine (sample)",
         "runs": len(numpy_specs), "seconds": t_numpy, "runs_per_s": rate_numpy,
         "vs_numpy_loop": 1.0, "vs_torch_loop": rate_numpy / rate_torch},
        {"measure": "loop of run_experiment, torch eager (sample)",
         "runs": len(torch_specs), "seconds": t_torch, "runs_per_s": rate_torch,
         "vs_numpy_loop": rate_torch / rate_numpy, "vs_torch_loop": 1.0},
    ]  # fmt: skip
    if args.full:
        grid = SweepGrid.from_toml(FULL)
        t_full = _sweep(grid, None)
        m = len(grid.specs())
        rows.append(
            {"measure": "softlogit sweep, examples/atlas-full.toml, all cores",
             "runs": m, "seconds": t_full, "runs_per_s": m / t_full,
             "vs_numpy_loop": m / t_full / rate_numpy,
             "vs_torch_loop": m / t_full / rate_torch}
        )  # fmt: skip
    size = (
        f"default grid: {len(DEFAULT_GRID.cells())} cells x {len(DEFAULT_GRID.seeds)} "
        "seeds on breast_cancer (hidden 16 tanh, 2000 steps, lr 1e-3..1 x sgd, "
        "momentum, adam x full batch, 32), float64"
    )
    env = (
        f"python {platform.python_version()}, numpy {np.__version__}, torch "
        f"{torch.__version__} (1 thread), cpus {os.cpu_count()}, load average "
        f"{os.getloadavg()[0]:.1f} at the end, one measurement each"
    )
    print(size)
    print(env)
    header = (
        f"{'measure':<56}{'runs':>6}{'s':>9}{'runs/s':>9}{'x numpy':>9}{'x torch':>9}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['measure']!s:<56}{r['runs']!s:>6}{r['seconds']:>9.1f}"
            f"{r['runs_per_s']:>9.3f}{r['vs_numpy_loop']:>8.2f}x{r['vs_torch_loop']:>8.2f}x"
        )
    if not args.no_csv:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / "sweep_speed.csv"
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
