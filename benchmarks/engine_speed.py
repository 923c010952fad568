"""Speed of the experiment: ``softlogit compare`` end to end, and the NumPy engine
against PyTorch CPU eager on the same networks and data.

Run from the repository root::

    .venv/bin/python -m benchmarks.engine_speed            # default: 2000 steps, 5 repeats
    .venv/bin/python -m benchmarks.engine_speed --repeats 3 --steps 1000

Both sides train the seed's networks 0, 1, 2 and 1c (one hidden layer of 16 tanh units
on breast_cancer, full-batch SGD, float64) from the same initial parameters (those the
NumPy engine drew) on the same training split, in one process. Each measurement is
warmed up once and reported as the median of ``--repeats`` runs. The PyTorch side is
the usual eager loop (``zero_grad``, forward, loss, ``backward``, ``step``) with
``torch.optim.SGD``, on one thread (as the engine, whose BLAS is limited to one
thread; more threads only slow these tiny matrices down); the NumPy side is :func:`softlogit.experiment.run_experiment`
with recording only at the first and last steps (``record_every = steps``), so both
measure training, not bookkeeping. The end-to-end time is the default command
(interpreter start and imports, training with its default recording, comparison,
derivation, plots, HTML, JSON) run as a new process into a temporary directory.

The table is printed and written as CSV under ``benchmarks/results/`` together with the
command that produced it.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from softlogit.experiment import ExperimentResult

RESULTS = Path(__file__).resolve().parent / "results"
NETWORKS = ("0", "1", "2", "1c")


def _median_time(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def _numpy_run(steps: int) -> Callable[[], ExperimentResult]:
    from softlogit.experiment import ExperimentSpec, run_experiment

    spec = ExperimentSpec().replace(steps=steps, record_every=steps)

    def run() -> ExperimentResult:
        return run_experiment(spec)

    return run


def _torch_run(steps: int, lr: float) -> Callable[[], dict[str, float]]:
    """PyTorch eager training of networks 0, 1, 2, 1c from the engine's initial state."""
    import torch
    from torch import nn

    from softlogit.experiment import ExperimentSpec, run_experiment
    from softlogit.experiment._data import load_data

    # One thread, as the NumPy engine (it limits BLAS to one thread): on these tiny
    # matrices PyTorch's intra-op threads only synchronize, and on a shared machine
    # spinning threads slow it down further.
    torch.set_num_threads(1)

    spec = ExperimentSpec().replace(steps=1, record_every=1)
    init = run_experiment(spec)  # the engine's initial parameters (step 0)
    # the engine's training split: the first of three child seeds (see _run.py)
    data_seed = np.random.SeedSequence(spec.seed).spawn(3)[0]
    data = load_data(spec.data, data_seed)
    X = torch.from_numpy(np.ascontiguousarray(data.X_train, dtype=np.float64))
    y = torch.from_numpy(data.y_train.astype(np.float64))
    y_long = torch.from_numpy(data.y_train.astype(np.int64))
    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[
        spec.model.activation
    ]
    bce = nn.BCEWithLogitsLoss()
    ce = nn.CrossEntropyLoss()

    def build(name: str) -> tuple[nn.Module, nn.Linear]:
        params = init.trajectories[name].params
        layers: list[nn.Module] = []
        i = 0
        while f"base.{i}.weight" in params:
            w = params[f"base.{i}.weight"][0]
            lin = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(params[f"base.{i}.bias"][0]))
            layers += [lin, act()]
            i += 1
        hw = params["head.weight"][0]
        head = nn.Linear(hw.shape[1], hw.shape[0], dtype=torch.float64)
        with torch.no_grad():
            head.weight.copy_(torch.from_numpy(hw))
            head.bias.copy_(torch.from_numpy(params["head.bias"][0]))
        return nn.Sequential(*layers), head

    def loss_fn(name: str, z: torch.Tensor) -> torch.Tensor:
        if name == "0":
            return bce(z[:, 1] - z[:, 0], y)  # sigmoid(z2 - z1)
        if name == "2":
            return ce(z, y_long)  # softmax(z1, z2)_2
        return bce(z[:, 0], y)  # one unit: sigmoid(z)

    def run() -> dict[str, float]:
        final: dict[str, float] = {}
        for name in NETWORKS:
            base, head = build(name)
            head_lr = 2 * lr if name == "1c" else lr
            opt = torch.optim.SGD(
                [
                    {"params": base.parameters(), "lr": lr},
                    {"params": head.parameters(), "lr": head_lr},
                ],
                lr=lr,
            )
            for _ in range(steps):
                opt.zero_grad()
                loss = loss_fn(name, head(base(X)))
                loss.backward()
                opt.step()
            with torch.no_grad():
                final[name] = float(loss_fn(name, head(base(X))))
        return final

    return run


def _end_to_end() -> Callable[[], object]:
    """``softlogit compare`` as a user runs it: a fresh process, cold imports."""

    def run() -> object:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "report")
            subprocess.run(
                [sys.executable, "-m", "softlogit", "compare", "--quiet", "--out", out],
                check=True,
                stdin=subprocess.DEVNULL,
            )
        return None

    return run


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-csv", action="store_true")
    args = parser.parse_args(argv)

    import torch

    from softlogit.experiment import ExperimentSpec

    lr = ExperimentSpec().training.lr
    network_steps = args.steps * len(NETWORKS)
    rows: list[dict[str, object]] = []

    numpy_run = _numpy_run(args.steps)
    torch_run = _torch_run(args.steps, lr)
    # the two sides compute the same thing: final training losses agree
    ours = numpy_run()
    theirs = torch_run()
    gap = max(
        abs(float(ours.trajectories[n].train_loss[-1]) - theirs[n]) for n in NETWORKS
    )
    t_numpy, _ = _median_time(numpy_run, args.repeats)
    t_torch, _ = _median_time(torch_run, args.repeats)
    t_e2e, _ = _median_time(_end_to_end(), max(1, min(args.repeats, 3)))

    rows.append(
        {
            "measure": "training, networks 0 1 2 1c",
            "ours": "numpy engine",
            "theirs": "torch eager",
            "ours_s": t_numpy,
            "theirs_s": t_torch,
            "ours_steps_per_s": network_steps / t_numpy,
            "theirs_steps_per_s": network_steps / t_torch,
            "speedup": t_torch / t_numpy,
        }
    )
    rows.append(
        {
            "measure": "softlogit compare (default, end to end, new process)",
            "ours": "softlogit compare",
            "theirs": "target 10 s",
            "ours_s": t_e2e,
            "theirs_s": 10.0,
            "ours_steps_per_s": float("nan"),
            "theirs_steps_per_s": float("nan"),
            "speedup": 10.0 / t_e2e,
        }
    )
    size = (
        f"breast_cancer train split, 30 features, hidden 16 tanh, {args.steps} "
        f"full-batch SGD steps x {len(NETWORKS)} networks, float64"
    )
    env = (
        f"python {platform.python_version()}, numpy {np.__version__}, torch "
        f"{torch.__version__}, torch threads {torch.get_num_threads()}, "
        f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at the end, "
        f"median of {args.repeats} after a warm-up"
    )
    check = f"final training losses, numpy engine vs torch: max |difference| {gap:.2e}"
    print(size)
    print(env)
    print(check)
    header = f"{'measure':<54}{'ours (s)':>10}{'theirs (s)':>12}{'ours/s':>10}{'theirs/s':>10}{'ratio':>8}"
    print(header)
    for r in rows:
        print(
            f"{r['measure']!s:<54}{r['ours_s']:>10.3f}{r['theirs_s']:>12.3f}"
            f"{r['ours_steps_per_s']:>10.0f}{r['theirs_steps_per_s']:>10.0f}"
            f"{r['speedup']:>7.2f}x"
        )
    if not args.no_csv:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / "engine_speed.csv"
        command = "python -m benchmarks.engine_speed " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        with path.open("w", newline="", encoding="utf-8") as fh:
            fh.write(
                f"# command: {command.strip()}\n# problem: {size}\n# env: {env}\n"
                f"# check: {check}\n"
            )
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            for r in rows:
                writer.writerow(
                    {
                        k: (f"{v:.6g}" if isinstance(v, float) else v)
                        for k, v in r.items()
                    }
                )
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
