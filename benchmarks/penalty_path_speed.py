"""Regularization path time: softlogit's ``regularization_path`` against glum's.

Run: ``python -m benchmarks.penalty_path_speed`` (glum from the ``benchmark`` or
``test`` extra). Options: ``--n 100000``, ``--p 100``, ``--points 50``,
``--l1-ratio 0.5``, ``--repeats 3``, ``--threads 1``, ``--clock cpu``, ``--out
benchmarks/results/penalty_path_speed.csv``.

Case: the dense binary data of :mod:`benchmarks.penalty_speed` (``make_case``),
``points`` values of ``C`` spaced geometrically over a factor of 1e4 upwards from
the smallest ``C`` with every weight zero (softlogit's default grid), warm-started
in both. glum gets the same grid as ``alpha = 1 / (C n)`` (its objective is
scikit-learn's with that ``alpha``; see ``tests/test_penalties_glum.py``), fitted
by ``GeneralizedLinearRegressor(alpha_search=True, alpha=[...])`` from the largest
``alpha`` down.

**Same achieved objectives.** Each competitor's tolerance descends from ``1e-2``
by factors of 10 until its objectives settle; it is timed at the loosest
tolerance at which the objective at *every* point of the path is within ``1e-8``
(relative) of the best any competitor reached there. Objectives are evaluated
here in NumPy (:func:`benchmarks.penalty_speed.objective`). Medians of
``repeats`` runs after the calibration runs, competitors taking turns; the
1-minute load average is recorded.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.penalty_speed import (
    CLOCK,
    OBJECTIVE_RTOL,
    TOLS,
    make_case,
    objective,
    smallest_C,
)


def path_softlogit(X: Any, y: np.ndarray, Cs: np.ndarray, r: float, tol: float):
    from softlogit import regularization_path

    path = regularization_path(X, y, Cs=Cs, l1_ratio=r, tol=tol, max_iter=1000)
    return path.coefs[:, 0, :], path.intercepts[:, 0]


def path_glum(X: Any, y: np.ndarray, Cs: np.ndarray, r: float, tol: float):
    from glum import GeneralizedLinearRegressor

    alphas = 1.0 / (Cs[::-1] * len(y))  # decreasing alpha = increasing C
    m = GeneralizedLinearRegressor(
        family="binomial",
        alpha_search=True,
        alpha=list(alphas),
        l1_ratio=r,
        gradient_tol=tol,
        max_iter=1000,
    )
    m.fit(X, y)
    return m.coef_path_[::-1], np.asarray(m.intercept_path_)[::-1]


COMPETITORS = {"softlogit": path_softlogit, "glum": path_glum}


def _timed(fit: Any, *args: Any) -> tuple[float, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = CLOCK["f"]()
        out = fit(*args)
        return CLOCK["f"]() - t, out


def _objectives(X: Any, y: np.ndarray, Cs: np.ndarray, r: float, W, b) -> np.ndarray:
    return np.array(
        [objective(X, y, W[i][None, :], np.atleast_1d(b[i]), C, r)
         for i, C in enumerate(Cs)]
    )  # fmt: skip


def calibrate(fit: Any, X: Any, y: np.ndarray, Cs: np.ndarray, r: float):
    """(tol, seconds, objectives along the path) from 1e-2 down until settled."""
    runs: list[tuple[float, float, np.ndarray]] = []
    for tol in TOLS:
        seconds, (W, b) = _timed(fit, X, y, Cs, r, tol)
        F = _objectives(X, y, Cs, r, W, b)
        runs.append((tol, seconds, F))
        # settled: two runs agree, at 1e-6 or tighter
        settled = len(runs) >= 2 and np.all(np.abs(runs[-2][2] - F) <= 1e-11 * F)
        if settled and tol <= 1e-6:
            break
        if seconds > 300:
            break
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--p", type=int, default=100)
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--l1-ratio", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/penalty_path_speed.csv")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = parser.parse_args(argv)
    if args.clock == "cpu":
        CLOCK["f"] = time.process_time
    # SciPy's BLAS is loaded before the limit below: threadpool_limits does not
    # reach a library loaded after it (softlogit's Hessian calls SciPy's BLAS).
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    X, y = make_case(args.n, args.p, 2, False)
    r = args.l1_ratio
    Cs = smallest_C(X, y, 2, r) * np.geomspace(1.0, 1e4, args.points)
    with threadpool_limits(args.threads):
        runs = {who: calibrate(fit, X, y, Cs, r) for who, fit in COMPETITORS.items()}
        best = np.min([F for rows in runs.values() for _, _, F in rows], axis=0)
        chosen: dict[str, float | None] = {}
        for who, rows in runs.items():
            ok = [t for t, _, F in rows if np.all(best * (1 + OBJECTIVE_RTOL) >= F)]
            chosen[who] = ok[0] if ok else None
        times: dict[str, list[float]] = {who: [] for who in COMPETITORS}
        for _ in range(args.repeats):
            for who, fit in COMPETITORS.items():
                if chosen[who] is not None:
                    times[who].append(_timed(fit, X, y, Cs, r, chosen[who])[0])
    load = os.getloadavg()[0]
    med = {w: statistics.median(t) if t else None for w, t in times.items()}
    ours = med["softlogit"]
    print(f"path {args.n}x{args.p} K=2, {args.points} values of C "
          f"({Cs[0]:.3g}..{Cs[-1]:.3g}), l1_ratio {r}, load {load:.1f}")  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                f"# python -m benchmarks.penalty_path_speed {' '.join(argv or sys.argv[1:])}"
            ]
        )
        writer.writerow(["case", "points", "l1_ratio", "load", "competitor", "tol",
                         "seconds", "ratio_softlogit_over", "max_relative_gap"])  # fmt: skip
        for who in COMPETITORS:
            ratio = ours / med[who] if (ours and med[who]) else None
            gap = float(np.max((np.min([F for _, _, F in runs[who]], axis=0) - best)
                               / best))  # fmt: skip
            print(
                f"  {who:10s} tol {chosen[who]!s:>7}  "
                f"{'not reached' if med[who] is None else f'{med[who]:8.3f} s'}  "
                f"ratio softlogit/{who} {'-' if ratio is None else f'{ratio:.2f}'}  "
                f"(largest relative gap at its tightest {gap:.2e})"
            )
            writer.writerow([f"path {args.n}x{args.p} K=2", args.points, r, load, who,
                             chosen[who], med[who], ratio, gap])  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
