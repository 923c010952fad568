"""Two versions of softlogit side by side: does a change make anything slower?

Run from the repository root, naming the ``src`` folder of each version (for an older
commit: ``git worktree add /tmp/before <commit>``)::

    .venv/bin/python -m benchmarks.ab_versions --before /tmp/before/src --after src

Each workload runs in a fresh interpreter with ``PYTHONPATH`` set to one version's
``src``; the two versions take turns (before, after, before, after, ...), so both see
the same load on a shared machine, and each workload is timed ``--repeats`` times per
version inside that interpreter after one warm-up. The table gives the median time of
each version and the ratio after / before (above 1: slower after the change). The
workloads use only the API both versions share: the estimators' ``fit`` at
``solver="auto"`` on the fit benchmark's data (penalized and unpenalized) and the
default experiment (:func:`softlogit.experiment.run_experiment`). Every fit's
objective is printed for both versions, so a "faster" that stops earlier shows.
The CSV under ``benchmarks/results/`` records the command, the BLAS library and
every measurement.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

# One workload per entry: (name, Python statements defining ``run()`` -> objective).
# ``run`` is timed; its return value (an objective, or 0.0) is reported.
_FIT = """
import numpy as np
from sklearn.datasets import make_classification
import softlogit as sl
X, y = make_classification(n_samples={n}, n_features={d}, n_informative={d} // 2,
    n_redundant=0, n_classes={k}, n_clusters_per_class=1, flip_y=0.05,
    random_state=0)
Est = sl.LogisticRegression if {k} == 2 else sl.SoftmaxRegression
def run():
    est = Est(C={C}).fit(X, y)
    coef = np.column_stack([est.coef_, est.intercept_])
    if {k} == 2:
        z = X @ est.coef_.ravel() + est.intercept_[0]
        data = np.logaddexp(0, z) - y * z
    else:
        z = X @ est.coef_.T + est.intercept_
        data = np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y]
    pen = 0.0 if {C} == float("inf") else 0.5 * float(np.sum(est.coef_**2)) / {C}
    return float(np.sum(data)) + pen
"""

_EXPERIMENT = """
from softlogit.experiment import ExperimentSpec, run_experiment
def run():
    run_experiment(ExperimentSpec())
    return 0.0
"""

_DRIVER = """
import json, sys, time
{setup}
run()
times = []
for _ in range({repeats}):
    t0 = time.perf_counter()
    value = run()
    times.append(time.perf_counter() - t0)
print(json.dumps({{"times": times, "objective": value}}))
"""

DEFAULT_CASES = "10000x20x2,10000x20x10,100000x100x2,100000x100x10"


def workloads(cases: str, Cs: str) -> list[tuple[str, str]]:
    """The workloads: a fit per case and ``C``, then the default experiment."""
    out = []
    for case in cases.split(","):
        n, d, k = (int(v) for v in case.split("x"))
        for C in Cs.split(","):
            c = "float('inf')" if C == "inf" else repr(float(C))
            out.append((f"fit {case} C={C}", _FIT.format(n=n, d=d, k=k, C=c)))
    out.append(("experiment (default spec)", _EXPERIMENT))
    return out


def run_once(src: str, setup: str, repeats: int) -> dict[str, object]:
    """One workload in a fresh interpreter importing softlogit from ``src``."""
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
    code = _DRIVER.format(setup=setup, repeats=repeats)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"workload failed with {src}:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="src folder of the baseline")
    parser.add_argument("--after", default="src", help="src folder of the change")
    parser.add_argument("--cases", default=DEFAULT_CASES)
    parser.add_argument("--C", default="1.0,inf", dest="Cs")
    parser.add_argument("--rounds", type=int, default=2, help="turns per version")
    parser.add_argument("--repeats", type=int, default=3, help="timings per turn")
    parser.add_argument("--out", default="benchmarks/results/ab_versions.csv")
    args = parser.parse_args(argv)

    import numpy  # noqa: F401  (threadpoolctl reports the BLAS NumPy loaded)
    from threadpoolctl import threadpool_info

    blas = "; ".join(
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    )
    rows = []
    print(f"BLAS: {blas}; load {os.getloadavg()[0]:.1f}")
    print(
        f"{'workload':32} {'before s':>9} {'after s':>9} {'after/before':>12}"
        "  objective before / after"
    )
    for name, setup in workloads(args.cases, args.Cs):
        times: dict[str, list[float]] = {"before": [], "after": []}
        objective: dict[str, float] = {}
        for _ in range(args.rounds):
            for side in ("before", "after"):
                result = run_once(getattr(args, side), setup, args.repeats)
                times[side].extend(result["times"])  # type: ignore[arg-type]
                objective[side] = float(result["objective"])  # type: ignore[arg-type]
        before = statistics.median(times["before"])
        after = statistics.median(times["after"])
        print(
            f"{name:32} {before:9.4f} {after:9.4f} {after / before:12.2f}"
            f"  {objective['before']:.12g} / {objective['after']:.12g}"
        )
        rows.append(
            [
                name,
                before,
                after,
                after / before,
                objective["before"],
                objective["after"],
            ]
        )
    out = Path(args.out)
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "# command",
                "python -m benchmarks.ab_versions "
                + " ".join(argv if argv is not None else sys.argv[1:]),
            ]
        )
        writer.writerow(
            [
                "# machine",
                platform.platform(),
                f"BLAS {blas}",
                f"load {os.getloadavg()[0]:.1f}",
            ]
        )
        writer.writerow(
            [
                "workload",
                "before_s",
                "after_s",
                "ratio",
                "objective_before",
                "objective_after",
            ]
        )
        writer.writerows(rows)
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
