"""Fit time of softlogit against scikit-learn and statsmodels, side by side.

Run: ``python -m benchmarks.fit_speed`` (about ten minutes on two cores). Options:
``--cases 10000x20x2,10000x20x10`` (n x d x K), ``--C 1.0,inf``, ``--repeats 3``,
``--out benchmarks/results/fit_speed.csv``, ``--threads 1`` (BLAS and OpenMP threads
for every competitor alike; 0 keeps the libraries' defaults. On a shared machine more
threads than free cores make every BLAS call many times slower.)

For every case (``make_classification`` data, the same for all competitors) and every
``C`` each competitor fits once as a warm-up and then ``repeats`` times, the
competitors taking turns (so that all see the same load on a shared machine); the
median wall time is reported (fits over a minute are timed once). Every fit is
checked to reach the best objective found by any competitor within 1e-8 relative
(scikit-learn's objective, evaluated in float64 by :class:`softlogit.LinearModelLoss`);
a competitor that does not is flagged, not hidden. The printed ratio is softlogit's
time over the best competitor's. With ``C=inf`` softlogit's fit also proves that the
unpenalized optimum exists (:func:`softlogit.check_separation`), which no competitor
does, and computes the covariance behind ``summary()`` (the inverse Fisher
information; statsmodels' Newton fit computes its Hessian anyway, scikit-learn has no
inference). Both times are included in softlogit's and printed and recorded
separately ("proof", "covariance"); "ratio w/o cov" is the ratio of a fit with
``store_covariance=False``. The CSV records the command, the BLAS library reported by
threadpoolctl and every measurement.
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.fit_adapters import ALL, Adapter, Fitted

DEFAULT_CASES = "10000x20x2,10000x20x10,100000x100x2,100000x100x10"
OBJECTIVE_RTOL = 1e-8
SLOW_SECONDS = 60.0


def make_data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark data: ``make_classification`` with half the features informative."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n,
        n_features=d,
        n_informative=max(2, d // 2),
        n_redundant=0,
        n_classes=k,
        n_clusters_per_class=1,
        flip_y=0.05,
        random_state=seed,
    )
    return np.ascontiguousarray(X), y.astype(np.int64)


def objective(fit: Fitted, X: np.ndarray, y: np.ndarray, C: float) -> float:
    """scikit-learn's objective at a fit, in float64."""
    from softlogit import BinomialLoss, LinearModelLoss, MultinomialLoss

    l2 = 0.0 if math.isinf(C) else 1.0 / (C * len(y))
    coef = np.column_stack([fit.coef, fit.intercept])
    if coef.shape[0] == 1:
        lml = LinearModelLoss(BinomialLoss())
        return lml.loss(coef[0], X, y.astype(float), None, l2)
    return LinearModelLoss(MultinomialLoss()).loss(coef, X, y, None, l2)


def unpenalized_extra_seconds(
    X: np.ndarray, y: np.ndarray, adapter: Any, repeats: int
) -> tuple[float, float]:
    """Time an unpenalized softlogit fit spends beyond solving (median differences).

    Returns ``(proof, covariance)``: the proof that the optimum exists (from Newton's
    last Hessian, or a certificate from the fitted probabilities, see
    :func:`softlogit.check_separation`) with the log-likelihoods, and the covariance
    for ``summary()``; no competitor does either. Measured as the differences of
    three fits, interleaved: the default one, one with ``store_covariance=False``
    and one with ``_finish_fit`` replaced by a no-op.
    """
    from softlogit._estimators import _LinearClassifier

    real = _LinearClassifier._finish_fit
    full, no_cov, bare = [], [], []
    try:
        for _ in range(max(repeats, 3)):
            full.append(_timed(adapter, X, y, math.inf)[0])
            adapter.store_covariance = False
            no_cov.append(_timed(adapter, X, y, math.inf)[0])
            _LinearClassifier._finish_fit = lambda *args, **kwargs: None  # type: ignore[method-assign]
            bare.append(_timed(adapter, X, y, math.inf)[0])
            _LinearClassifier._finish_fit = real  # type: ignore[method-assign]
            adapter.store_covariance = True
    finally:
        _LinearClassifier._finish_fit = real  # type: ignore[method-assign]
        adapter.store_covariance = True
    median = statistics.median
    return (
        max(0.0, median(no_cov) - median(bare)),
        max(0.0, median(full) - median(no_cov)),
    )


def blas_description() -> str:
    """The BLAS libraries threadpoolctl sees (kernel, version, threads)."""
    from threadpoolctl import threadpool_info

    parts = []
    for info in threadpool_info():
        if info.get("user_api") != "blas":
            continue
        parts.append(
            f"{info.get('internal_api')} {info.get('version')} "
            f"({info.get('architecture')}, {info.get('num_threads')} threads, "
            f"{Path(str(info.get('filepath'))).name})"
        )
    return "; ".join(parts) or "no BLAS found"


def _timed(
    adapter: Adapter, X: np.ndarray, y: np.ndarray, C: float
) -> tuple[float, Fitted]:
    """One fit's wall time, with Python's garbage collector off while it runs.

    As :mod:`timeit` does: otherwise a collection of the previous competitor's
    garbage (statsmodels leaves many objects) lands in whichever fit runs next.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fit = adapter.fit(X, y, C)
        return time.perf_counter() - start, fit
    finally:
        gc.enable()


def time_fits(
    adapters: list[Adapter], X: np.ndarray, y: np.ndarray, C: float, repeats: int
) -> dict[str, tuple[float, Fitted]]:
    """Warm up every competitor, then time ``repeats`` rounds, interleaved.

    Interleaving (A, B, C, A, B, C, ...) exposes every competitor to the same load on
    a shared machine. A competitor whose warm-up took more than ``SLOW_SECONDS`` is
    timed by its warm-up run alone (start-up costs are negligible at that scale).
    """
    first = {a.name: _timed(a, X, y, C) for a in adapters}
    times: dict[str, list[float]] = {name: [] for name in first}
    fits = {name: fit for name, (_, fit) in first.items()}
    for _ in range(repeats):
        for a in adapters:
            if first[a.name][0] > SLOW_SECONDS:
                continue
            seconds, fits[a.name] = _timed(a, X, y, C)
            times[a.name].append(seconds)
    return {
        name: (statistics.median(times[name]) if times[name] else first[name][0], fit)
        for name, fit in fits.items()
    }


def parse_cases(text: str) -> list[tuple[int, int, int]]:
    cases = []
    for item in text.split(","):
        n, d, k = (int(v) for v in item.lower().split("x"))
        cases.append((n, d, k))
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=DEFAULT_CASES)
    parser.add_argument("--C", default="1.0,inf", help="comma-separated values of C")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/fit_speed.csv")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads for every competitor (0: the libraries' default)",
    )
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(args.threads if args.threads > 0 else None)
    cases = parse_cases(args.cases)
    Cs = [float(c) for c in args.C.split(",")]
    command = "python -m benchmarks.fit_speed " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    blas = blas_description()
    print(f"BLAS: {blas}")
    print(f"thread limit for every competitor: {args.threads or 'library default'}")
    print(f"Python {platform.python_version()} on {platform.machine()}")
    rows: list[dict[str, object]] = []
    summary: list[str] = []
    for n, d, k in cases:
        X, y = make_data(n, d, k)
        for C in Cs:
            results: dict[str, tuple[float, Fitted, float]] = {}
            adapters = []
            for adapter in ALL:
                reason = adapter.skip_reason(n, d, k, C)
                if reason is not None:
                    print(f"  {n}x{d}x{k} C={C:g} {adapter.name}: skipped ({reason})")
                else:
                    adapters.append(adapter)
            for name, (seconds, fit) in time_fits(
                adapters, X, y, C, args.repeats
            ).items():
                f = objective(fit, X, y, C)
                results[name] = (seconds, fit, f)
                print(
                    f"  {n}x{d}x{k} C={C:g} {name:>23}: {seconds:8.3f} s, "
                    f"{fit.n_iter:4d} iterations, objective {f:.12g}",
                    flush=True,
                )
            check_seconds = cov_seconds = math.nan
            if math.isinf(C):
                # softlogit proves that the unpenalized optimum exists and computes
                # the covariance for summary(); report what each costs inside its
                # fit time.
                ours_adapter = next(a for a in adapters if a.name == "softlogit")
                check_seconds, cov_seconds = unpenalized_extra_seconds(
                    X, y, ours_adapter, args.repeats
                )
                print(
                    f"  {n}x{d}x{k} C={C:g} softlogit existence proof: "
                    f"{check_seconds:8.3f} s, covariance: {cov_seconds:8.3f} s "
                    "(both included above)"
                )
            best_f = min(r[2] for r in results.values())
            ok = {
                name: (r[2] - best_f) <= OBJECTIVE_RTOL * abs(best_f)
                for name, r in results.items()
            }
            others = [
                r[0] for name, r in results.items() if name != "softlogit" and ok[name]
            ]
            ours = results["softlogit"][0]
            best_other = min(others) if others else math.nan
            ratio = ours / best_other
            bare_cov = 0.0 if math.isnan(cov_seconds) else cov_seconds
            ratio_no_cov = (ours - bare_cov) / best_other
            for name, (seconds, fit, f) in results.items():
                rows.append(
                    {
                        "n_samples": n,
                        "n_features": d,
                        "n_classes": k,
                        "C": C,
                        "competitor": name,
                        "median_seconds": f"{seconds:.4f}",
                        "n_iter": fit.n_iter,
                        "objective": f"{f:.15g}",
                        "relative_gap": f"{(f - best_f) / abs(best_f):.2e}",
                        "reached_objective": ok[name],
                        "ratio_softlogit_over_best": f"{ratio:.3f}",
                        "ratio_without_covariance": f"{ratio_no_cov:.3f}",
                        "existence_proof_seconds": (
                            f"{check_seconds:.4f}" if name == "softlogit" else ""
                        ),
                        "covariance_seconds": (
                            f"{cov_seconds:.4f}" if name == "softlogit" else ""
                        ),
                    }
                )
            flag = "" if ok["softlogit"] else "  (softlogit MISSED the objective)"
            check = "" if math.isnan(check_seconds) else f"{check_seconds:9.3f}"
            cov = "" if math.isnan(cov_seconds) else f"{cov_seconds:8.3f}"
            summary.append(
                f"{n:>7} {d:>4} {k:>3} {C:>6g} {ours:9.3f} {best_other:9.3f} "
                f"{ratio:7.2f} {ratio_no_cov:13.2f} {check:>9} {cov:>8}{flag}"
            )
    print()
    print(
        "      n    d   K      C  ours [s]  best [s]   ratio  ratio w/o cov"
        "  proof [s]  cov [s]"
    )
    print("\n".join(summary))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        fh.write(f"# command: {command.strip()}\n")
        fh.write(f"# BLAS: {blas}\n")
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {out}")
    limiter.restore_original_limits()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
