"""Fit time of softlogit against scikit-learn and statsmodels, side by side.

Run: ``python -m benchmarks.fit_speed`` (tens of minutes on two cores). Options:
``--cases 10000x20x2,10000x20x10`` (n x d x K), ``--data issue,own`` (the generators,
below), ``--C 1.0,inf``, ``--repeats 3``, ``--threads 0,1`` (0: the libraries' default
BLAS/OpenMP threads; 1: one thread for every competitor alike, by threadpoolctl),
``--no-extras`` (skip the cost of softlogit's existence proof and covariance),
``--out benchmarks/results/fit_speed.csv`` (``--append``: add to that file, its
earlier runs' command lines and rows kept).

Data: ``issue`` is ``make_classification(n, d, n_informative=d // 2,
n_redundant=0, n_classes=K, n_clusters_per_class=2, flip_y=0.01, random_state=0)``;
``own`` is this benchmark's earlier generator (one cluster per class,
``flip_y=0.05``).

Each case and ``C`` runs in three phases:

1. **Reference.** Every competitor fits at ``REFERENCE_TOL``; the best objective of
   any of them (scikit-learn's objective, evaluated in float64 by
   :class:`softlogit.LinearModelLoss`) is the common objective ``f*``.
2. **Calibration** (once per case, at the default threads). Each competitor fits at
   the tolerances of ``TOL_LADDER``, loosest first; its calibrated ``tol`` is the
   loosest one whose objective is within ``OBJECTIVE_RTOL`` (relative) of ``f*``:
   every library stops as early as it can while reaching the same objective. (A
   common ``tol`` for all would time scikit-learn's lbfgs at 70-90 iterations where
   about 50 reach the objective.) softlogit's default ``tol`` is also checked
   against ``f*`` and its gap reported.
3. **Timing**, for each thread setting: every competitor at its calibrated ``tol``
   fits once as a warm-up and then ``repeats`` times, the competitors taking turns
   (all see the same load on a shared machine); the median wall time is reported
   (fits over ``SLOW_SECONDS`` are timed once) and the objective checked again.

The printed ratio is softlogit's time over the best competitor's that reached
``f*``. With ``C=inf`` softlogit's fit also proves that the unpenalized optimum exists
(:func:`softlogit.check_separation`), which no competitor does, and computes the
covariance behind ``summary()`` (statsmodels' Newton fit computes its Hessian anyway,
scikit-learn has no inference); both are included in softlogit's time and their cost
is printed separately ("proof", "cov"; "ratio w/o cov" is the ratio of a fit with
``store_covariance=False``). The CSV records the command, the BLAS library and kernel
reported by threadpoolctl for each thread setting, the load average at each case and
every measurement.
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import os
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
REFERENCE_TOL = 1e-10
# Loosest first: the calibrated tol is the first that reaches the common objective.
TOL_LADDER = (
    1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6,
    3e-7, 1e-7, 3e-8, 1e-8, 1e-9, 1e-10,
)  # fmt: skip


def make_data(
    n: int, d: int, k: int, seed: int = 0, kind: str = "issue"
) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark data (``kind``: ``"issue"`` or ``"own"``, see the module notes)."""
    from sklearn.datasets import make_classification

    if kind == "issue":
        options = {"n_informative": d // 2, "n_clusters_per_class": 2, "flip_y": 0.01}
    elif kind == "own":
        options = {
            "n_informative": max(2, d // 2),
            "n_clusters_per_class": 1,
            "flip_y": 0.05,
        }
    else:
        raise ValueError(f"unknown data kind {kind!r}; expected 'issue' or 'own'")
    X, y = make_classification(
        n_samples=n,
        n_features=d,
        n_redundant=0,
        n_classes=k,
        random_state=seed,
        **options,
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


def reached(f: float, best: float) -> bool:
    """Whether objective ``f`` is within ``OBJECTIVE_RTOL`` of ``best``."""
    return f - best <= OBJECTIVE_RTOL * abs(best)


def unpenalized_extra_seconds(
    X: np.ndarray, y: np.ndarray, adapter: Any, tol: float | None, repeats: int
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
            full.append(_timed(adapter, X, y, math.inf, tol)[0])
            adapter.store_covariance = False
            no_cov.append(_timed(adapter, X, y, math.inf, tol)[0])
            _LinearClassifier._finish_fit = lambda *args, **kwargs: None  # type: ignore[method-assign]
            bare.append(_timed(adapter, X, y, math.inf, tol)[0])
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
            f"(kernel {info.get('architecture')}, {info.get('num_threads')} threads, "
            f"{Path(str(info.get('filepath'))).name})"
        )
    return "; ".join(parts) or "no BLAS found"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, as ``uptime`` prints them."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _timed(
    adapter: Adapter, X: np.ndarray, y: np.ndarray, C: float, tol: float | None
) -> tuple[float, Fitted]:
    """One fit's wall time, with Python's garbage collector off while it runs.

    As :mod:`timeit` does: otherwise a collection of the previous competitor's
    garbage (statsmodels leaves many objects) lands in whichever fit runs next.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fit = adapter.fit(X, y, C, tol)
        return time.perf_counter() - start, fit
    finally:
        gc.enable()


def calibrate(
    adapter: Adapter, X: np.ndarray, y: np.ndarray, C: float, best: float
) -> tuple[float, float]:
    """The loosest tol of ``TOL_LADDER`` reaching ``best``, and its objective.

    Falls back to ``REFERENCE_TOL`` (whose objective is reported, reached or not).
    """
    for tol in TOL_LADDER:
        f = objective(adapter.fit(X, y, C, tol), X, y, C)
        if reached(f, best):
            return tol, f
    return REFERENCE_TOL, objective(adapter.fit(X, y, C, REFERENCE_TOL), X, y, C)


def time_fits(
    adapters: list[Adapter],
    tols: dict[str, float],
    X: np.ndarray,
    y: np.ndarray,
    C: float,
    repeats: int,
) -> dict[str, tuple[float, Fitted]]:
    """Warm up every competitor, then time ``repeats`` rounds, interleaved.

    Interleaving (A, B, C, A, B, C, ...) exposes every competitor to the same load on
    a shared machine. A competitor whose warm-up took more than ``SLOW_SECONDS`` is
    timed by its warm-up run alone (start-up costs are negligible at that scale).
    """
    first = {a.name: _timed(a, X, y, C, tols[a.name]) for a in adapters}
    times: dict[str, list[float]] = {name: [] for name in first}
    fits = {name: fit for name, (_, fit) in first.items()}
    for _ in range(repeats):
        for a in adapters:
            if first[a.name][0] > SLOW_SECONDS:
                continue
            seconds, fits[a.name] = _timed(a, X, y, C, tols[a.name])
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


def _thread_label(threads: int) -> str:
    return "default" if threads <= 0 else str(threads)


def run_case(
    kind: str,
    n: int,
    d: int,
    k: int,
    C: float,
    args: argparse.Namespace,
    summary: dict[int, list[str]],
) -> list[dict[str, object]]:
    """Reference, calibration and timing of one case; CSV rows back."""
    from threadpoolctl import threadpool_limits

    X, y = make_data(n, d, k, kind=kind)
    label = f"{kind} {n}x{d}x{k} C={C:g}"
    adapters = []
    for adapter in ALL:
        reason = adapter.skip_reason(n, d, k, C)
        if reason is None:
            adapters.append(adapter)
        else:
            print(f"  {label} {adapter.name}: skipped ({reason})")
    load = load_average()
    ours_adapter = next(a for a in adapters if a.name == "softlogit")
    reference = {
        a.name: objective(a.fit(X, y, C, REFERENCE_TOL), X, y, C) for a in adapters
    }
    best = min(reference.values())
    tols: dict[str, float] = {}
    for a in adapters:
        tols[a.name], f = calibrate(a, X, y, C, best)
        print(
            f"  {label} {a.name:>23}: calibrated tol {tols[a.name]:.0e} "
            f"(gap {(f - best) / abs(best):.1e}; at tol={REFERENCE_TOL:.0e}: "
            f"{(reference[a.name] - best) / abs(best):.1e})",
            flush=True,
        )
    f_default = objective(ours_adapter.fit(X, y, C, None), X, y, C)
    default_gap = (f_default - best) / abs(best)
    print(
        f"  {label} softlogit at its default tol: relative gap {default_gap:.1e} "
        f"({'reached' if reached(f_default, best) else 'MISSED'})"
    )
    rows: list[dict[str, object]] = []
    for threads in args.thread_settings:
        with threadpool_limits(threads if threads > 0 else None):
            timed = time_fits(adapters, tols, X, y, C, args.repeats)
            check_seconds = cov_seconds = math.nan
            if math.isinf(C) and args.extras:
                check_seconds, cov_seconds = unpenalized_extra_seconds(
                    X, y, ours_adapter, tols["softlogit"], args.repeats
                )
        results = {
            name: (seconds, fit, objective(fit, X, y, C))
            for name, (seconds, fit) in timed.items()
        }
        ok = {name: reached(r[2], best) for name, r in results.items()}
        others = {
            name: r[0]
            for name, r in results.items()
            if name != "softlogit" and ok[name]
        }
        ours = results["softlogit"][0]
        best_name = min(others, key=others.__getitem__) if others else "none"
        best_other = others.get(best_name, math.nan)
        ratio = ours / best_other
        bare_cov = 0.0 if math.isnan(cov_seconds) else cov_seconds
        ratio_no_cov = (ours - bare_cov) / best_other
        for name, (seconds, fit, f) in results.items():
            print(
                f"  {label} threads={_thread_label(threads)} {name:>23}: "
                f"{seconds:8.3f} s, {fit.n_iter:4d} iterations, tol {tols[name]:.0e}, "
                f"gap {(f - best) / abs(best):.1e}",
                flush=True,
            )
            rows.append(
                {
                    "data": kind,
                    "n_samples": n,
                    "n_features": d,
                    "n_classes": k,
                    "C": C,
                    "threads": _thread_label(threads),
                    "load_average": load,
                    "competitor": name,
                    "calibrated_tol": f"{tols[name]:.0e}",
                    "median_seconds": f"{seconds:.4f}",
                    "n_iter": fit.n_iter,
                    "objective": f"{f:.15g}",
                    "relative_gap": f"{(f - best) / abs(best):.2e}",
                    "reached_objective": ok[name],
                    "best_competitor": best_name,
                    "ratio_softlogit_over_best": f"{ratio:.3f}",
                    "ratio_without_covariance": f"{ratio_no_cov:.3f}",
                    "existence_proof_seconds": (
                        f"{check_seconds:.4f}" if name == "softlogit" else ""
                    ),
                    "covariance_seconds": (
                        f"{cov_seconds:.4f}" if name == "softlogit" else ""
                    ),
                    "softlogit_default_tol_gap": (
                        f"{default_gap:.2e}" if name == "softlogit" else ""
                    ),
                }
            )
        flag = "" if ok["softlogit"] else "  (softlogit MISSED the objective)"
        check = "" if math.isnan(check_seconds) else f"{check_seconds:7.3f}"
        cov = "" if math.isnan(cov_seconds) else f"{cov_seconds:7.3f}"
        summary.setdefault(threads, []).append(
            f"{kind:>5} {n:>7} {d:>4} {k:>3} {C:>5g} {ours:8.3f} {best_other:8.3f} "
            f"{best_name:>23} {ratio:6.2f} {ratio_no_cov:6.2f} {check:>7} {cov:>7} "
            f"{tols['softlogit']:8.0e} {default_gap:9.1e}  {load}{flag}"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=DEFAULT_CASES)
    parser.add_argument("--data", default="issue,own", help="generators: issue, own")
    parser.add_argument("--C", default="1.0,inf", help="comma-separated values of C")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/fit_speed.csv")
    parser.add_argument(
        "--append",
        action="store_true",
        help="add this run's command and rows to an existing --out file",
    )
    parser.add_argument(
        "--threads",
        default="0,1",
        help="BLAS/OpenMP thread settings for every competitor (0: library default)",
    )
    parser.add_argument("--no-extras", dest="extras", action="store_false")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    args.thread_settings = [int(t) for t in args.threads.split(",")]
    Cs = [float(c) for c in args.C.split(",")]
    command = "python -m benchmarks.fit_speed " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    blas = {}
    for threads in args.thread_settings:
        with threadpool_limits(threads if threads > 0 else None):
            blas[threads] = blas_description()
        print(f"BLAS, threads={_thread_label(threads)}: {blas[threads]}")
    print(f"Python {platform.python_version()} on {platform.machine()}")
    rows: list[dict[str, object]] = []
    summary: dict[int, list[str]] = {}
    for kind in args.data.split(","):
        for n, d, k in parse_cases(args.cases):
            for C in Cs:
                rows += run_case(kind, n, d, k, C, args, summary)
    for threads, lines in summary.items():
        print(f"\nthreads={_thread_label(threads)} (BLAS: {blas[threads]})")
        print(
            " data       n    d   K     C ours [s] best [s]         best competitor"
            "  ratio w/o cov proof[s] cov[s]  our tol  default gap  load (1/5/15 min)"
        )
        print("\n".join(lines))
    out = Path(args.out)
    blas_lines = [
        f"# BLAS, threads={_thread_label(t)}: {blas[t]}" for t in args.thread_settings
    ]
    write_results(out, command.strip(), blas_lines, rows, append=args.append)
    print(f"\n{'appended to' if args.append else 'wrote'} {out}")
    return 0


def write_results(
    out: Path,
    command: str,
    blas_lines: list[str],
    rows: list[dict[str, object]],
    *,
    append: bool = False,
) -> None:
    """The CSV: ``# command`` and ``# BLAS`` lines, the header, the rows.

    With ``append``, an existing file keeps its commands, BLAS lines and rows, and
    this run's are added after them (several runs in one file, each command line
    recorded); its columns must be this run's.
    """
    commands, others, previous = [f"# command: {command}"], list(blas_lines), []
    if append and out.exists():
        lines = out.read_text(encoding="utf-8").splitlines()
        table = [line for line in lines if not line.startswith("#")]
        if table and table[0] != ",".join(rows[0]):
            raise SystemExit(f"--append: {out} has other columns than this run")
        old = [line for line in lines if line.startswith("#")]
        commands = [c for c in old if c.startswith("# command")] + commands
        kept = [c for c in old if not c.startswith("# command")]
        others = kept + [b for b in blas_lines if b not in kept]
        previous = list(csv.DictReader(table))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        fh.writelines(f"{line}\n" for line in commands + others)
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(previous + rows)


if __name__ == "__main__":
    raise SystemExit(main())
