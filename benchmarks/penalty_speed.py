"""L1 and elastic-net fit time: softlogit against scikit-learn's saga and glum.

Run: ``python -m benchmarks.penalty_speed`` (``pip install glum`` for glum, the
``benchmark`` and ``test`` extras; without it glum is skipped). Options: ``--n
20000``, ``--repeats 3``, ``--out benchmarks/results/penalty_speed.csv``,
``--threads 1``, ``--ks 2,10``, ``--ratios 1,0.5``, ``--only TEXT``, and
``--clock cpu`` (CPU time of the process instead of wall time), and
``--sparse-l2 N,P,DENSITY`` for the binary L2 fit on a sparse matrix against
scikit-learn's solvers for it (``lbfgs``, ``newton-cg``; ``liblinear`` penalizes
the intercept, another objective, and ``newton-cholesky`` forms the dense
``P x P`` Hessian), e.g. ``--sparse-l2 1000000,10000,0.001`` with ``C = 1``.

Cases: dense ``make_classification`` data with ``p = 100`` (half informative),
``K = 2`` and ``K = 10``, ``l1_ratio`` 1 and 0.5, and one sparse binary case (CSR,
1% density, ``p = 1000``). ``C`` is ``10 C0`` (``C0`` the largest ``C`` with every
weight zero), which zeroes about half of the coefficients; the achieved share is
printed. glum (``GeneralizedLinearRegressor``, binomial family, ``alpha = 1/(C n)``)
has no multinomial model: binary cases only.

**Same achieved objective.** Each competitor is calibrated per case: its
tolerance descends from ``1e-2`` by factors of 10 until the objective stops
improving, and it is then timed at the loosest tolerance whose objective is within
``1e-8`` (relative) of the best objective any competitor reached. The objective is
scikit-learn's, evaluated here in NumPy independently of all competitors. Times are
medians of ``repeats`` fits after the calibration runs (which serve as warm-up); the
competitors take turns. The 1-minute load average is printed with each case.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

OBJECTIVE_RTOL = 1e-8
TOLS = [10.0**-k for k in range(2, 13)]


def make_case(n: int, p: int, k: int, sparse: bool, seed: int = 0) -> tuple[Any, Any]:
    from sklearn.datasets import make_classification

    if not sparse:
        X, y = make_classification(
            n_samples=n,
            n_features=p,
            n_informative=p // 2,
            n_redundant=0,
            n_classes=k,
            n_clusters_per_class=1,
            flip_y=0.05,
            random_state=seed,
        )
        return (X - X.mean(0)) / X.std(0), y
    return sparse_case(n, p, 0.01, seed)


def sparse_case(n: int, p: int, density: float, seed: int = 0) -> tuple[Any, Any]:
    """CSR, about ``density * p`` entries per row at uniform columns, N(0, 1)
    values (built row counts first: ``scipy.sparse.random`` is slow at 1e10
    cells); half the weights nonzero, logistic noise."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    indptr = np.concatenate([[0], np.cumsum(rng.binomial(p, density, size=n))])
    indices = rng.integers(0, p, size=indptr[-1])
    X = sp.csr_matrix((rng.normal(size=indptr[-1]), indices, indptr), shape=(n, p))
    X.sum_duplicates()
    w = rng.normal(size=p) * (rng.random(p) < 0.5)
    y = (X @ w + rng.logistic(size=n) > 0).astype(np.int64)
    return X, y


def objective(X: Any, y: np.ndarray, W: np.ndarray, b: np.ndarray, C: float,
              r: float) -> float:  # fmt: skip
    """scikit-learn's penalized mean loss (binomial: one row; else multinomial)."""
    Z = np.asarray(X @ W.T) + b
    n = len(y)
    if W.shape[0] == 1:
        z = Z[:, 0]
        loss = np.mean(np.logaddexp(0.0, z) - y * z)
    else:
        top = Z.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(Z - top).sum(axis=1))
        loss = np.mean(lse - Z[np.arange(n), y])
    penalty = r * np.abs(W).sum() + (1 - r) / 2 * (W**2).sum()
    return float(loss + penalty / (C * n))


def smallest_C(X: Any, y: np.ndarray, k: int, r: float) -> float:
    n = len(y)
    Y = np.eye(k)[y] if k > 2 else y[:, None].astype(float)
    G = np.asarray(X.T @ (Y - Y.mean(axis=0))) / n
    return float(r / (n * np.abs(G).max()))


# ------------------------------------------------------------------ competitors
def fit_softlogit(X: Any, y: np.ndarray, k: int, C: float, r: float, tol: float):
    from softlogit import LogisticRegression, SoftmaxRegression

    if k == 2:
        m: Any = LogisticRegression(C=C, l1_ratio=r, tol=tol, max_iter=1000)
    else:
        m = SoftmaxRegression(C=C, l1_ratio=r, tol=tol, max_iter=1000, gauge="none")
    m.fit(X, y)
    return m.coef_, m.intercept_


def fit_saga(X: Any, y: np.ndarray, k: int, C: float, r: float, tol: float):
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=C, l1_ratio=r, solver="saga", tol=tol, max_iter=100_000)
    m.fit(X, y)
    return m.coef_, m.intercept_


def fit_glum(X: Any, y: np.ndarray, k: int, C: float, r: float, tol: float):
    from glum import GeneralizedLinearRegressor

    m = GeneralizedLinearRegressor(
        family="binomial",
        alpha=1.0 / (C * len(y)),
        l1_ratio=r,
        gradient_tol=tol,
        max_iter=1000,
    )
    m.fit(X, y)
    return np.atleast_2d(m.coef_), np.atleast_1d(m.intercept_)


def sklearn_solver(solver: str) -> Callable[..., Any]:
    """scikit-learn's ``LogisticRegression`` with ``solver``."""

    def fit(X: Any, y: np.ndarray, k: int, C: float, r: float, tol: float):
        from sklearn.linear_model import LogisticRegression

        m = LogisticRegression(
            C=C, l1_ratio=r, solver=solver, tol=tol, max_iter=100_000
        )
        m.fit(X, y)
        return m.coef_, m.intercept_

    return fit


def competitors(k: int, r: float = 0.5) -> dict[str, Callable[..., Any]]:
    if r == 0:  # the smooth L2 case: softlogit against scikit-learn's L2 solvers
        return {"softlogit": fit_softlogit, "sklearn-lbfgs": sklearn_solver("lbfgs"),
                "sklearn-newton-cg": sklearn_solver("newton-cg")}  # fmt: skip
    out: dict[str, Callable[..., Any]] = {"softlogit": fit_softlogit, "saga": fit_saga}
    if k == 2:
        try:
            import glum  # noqa: F401
        except ImportError:
            print("glum is not installed: skipped (pip install glum)", file=sys.stderr)
        else:
            out["glum"] = fit_glum
    return out


#: the clock of the timings: wall time, or with ``--clock cpu`` the process's CPU
#: time (all its threads), steadier than wall time on a machine shared with others
CLOCK: dict[str, Callable[[], float]] = {"f": time.perf_counter}


def _timed(fit: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = CLOCK["f"]()
        result = fit(*args)
        return CLOCK["f"]() - t, result


def calibrate(fit: Callable[..., Any], X: Any, y: np.ndarray, k: int, C: float,
              r: float) -> list[tuple[float, float, float]]:  # fmt: skip
    """(tol, seconds, objective) from 1e-2 down until the objective settles."""
    runs: list[tuple[float, float, float]] = []
    for tol in TOLS:
        seconds, (W, b) = _timed(fit, X, y, k, C, r, tol)
        F = objective(X, y, np.atleast_2d(W), np.atleast_1d(b), C, r)
        runs.append((tol, seconds, F))
        # settled: two runs agree, at 1e-6 or tighter (a solver may return its
        # starting point at loose tolerances, the same twice)
        if len(runs) >= 2 and tol <= 1e-6 and abs(runs[-2][2] - F) <= 1e-11 * abs(F):
            break
        if seconds > 120:
            break
    return runs


def run_case(name: str, X: Any, y: np.ndarray, k: int, r: float, repeats: int,
             writer: Any, C: float | None = None) -> None:  # fmt: skip
    C = 10 * smallest_C(X, y, k, r) if C is None else C
    fits = competitors(k, r)
    runs = {who: calibrate(fit, X, y, k, C, r) for who, fit in fits.items()}
    best = min(F for rows in runs.values() for _, _, F in rows)
    chosen = {}
    for who, rows in runs.items():
        ok = [row for row in rows if row[2] <= best + OBJECTIVE_RTOL * abs(best)]
        chosen[who] = ok[0][0] if ok else None
    times: dict[str, list[float]] = {who: [] for who in fits}
    for _ in range(repeats):
        for who, fit in fits.items():
            if chosen[who] is not None:
                times[who].append(_timed(fit, X, y, k, C, r, chosen[who])[0])
    W, _ = fit_softlogit(X, y, k, C, r, chosen["softlogit"] or 1e-10)
    zero = float(np.mean(np.asarray(W) == 0))
    load = os.getloadavg()[0]
    ours = statistics.median(times["softlogit"]) if times["softlogit"] else None
    print(f"\n{name}: C = {C:.4g}, l1_ratio = {r}, zero share {zero:.2f}, "
          f"load {load:.1f}, best objective {best:.12g}")  # fmt: skip
    for who in fits:
        med = statistics.median(times[who]) if times[who] else None
        ratio = ours / med if (ours and med) else None
        gap = min(F for _, _, F in runs[who]) - best
        print(
            f"  {who:10s} tol {chosen[who]!s:>7}  "
            f"{'not reached' if med is None else f'{med:8.3f} s'}  "
            f"ratio softlogit/{who} {'-' if ratio is None else f'{ratio:.2f}'}  "
            f"(objective gap at its tightest {gap:.2e})"
        )
        writer.writerow([name, C, r, zero, load, who, chosen[who], med, ratio, gap])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default=None, help="run the cases containing this")
    parser.add_argument("--out", default="benchmarks/results/penalty_speed.csv")
    parser.add_argument("--ks", default="2,10", help="classes of the dense cases")
    parser.add_argument("--ratios", default="1,0.5", help="l1_ratio values")
    parser.add_argument("--sparse-l2", default=None, metavar="N,P,DENSITY")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = parser.parse_args(argv)
    if args.clock == "cpu":
        CLOCK["f"] = time.process_time
    # SciPy's BLAS is loaded before the limit below: threadpool_limits does not
    # reach a library loaded after it (softlogit's Hessian calls SciPy's BLAS).
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    cases = [
        (f"dense {args.n}x100 K={k}", args.n, 100, k, False)
        for k in map(int, args.ks.split(","))
    ]
    ratios = [float(r) for r in args.ratios.split(",")]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh, threadpool_limits(args.threads):
        writer = csv.writer(fh)
        writer.writerow(
            [f"# python -m benchmarks.penalty_speed {' '.join(argv or sys.argv[1:])}"]
        )
        writer.writerow(["case", "C", "l1_ratio", "zero_share", "load", "competitor",
                         "tol", "seconds", "ratio_softlogit_over", "objective_gap"])  # fmt: skip
        for name, n, p, k, sparse in cases:
            wanted = [
                r for r in ratios if args.only is None or args.only in f"{name} r={r}"
            ]
            if wanted:
                X, y = make_case(n, p, k, sparse)
            for r in wanted:
                run_case(f"{name} r={r}", X, y, k, r, args.repeats, writer)
        if args.sparse_l2 is not None:
            n_text, p_text, density = args.sparse_l2.split(",")
            X, y = sparse_case(int(n_text), int(p_text), float(density))
            name = f"sparse {n_text}x{p_text} {density} K=2 L2 C=1"
            run_case(name, X, y, 2, 0.0, args.repeats, writer, C=1.0)
        name = f"sparse {args.n}x1000 1% K=2"
        if (
            (args.sparse_l2 is None)
            if args.only is None
            else args.only in f"{name} r=0.5"
        ):
            X, y = make_case(args.n, 1000, 2, True)
            run_case(f"{name} r=0.5", X, y, 2, 0.5, args.repeats, writer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
