"""Fits on Dask side by side: in memory, threaded, on a cluster, dask-ml, out of core.

Run: ``python -m benchmarks.dask_speed`` (about half an hour on two idle cores, most
of it in part d). Parts (``--parts b,c,d``):

(b) ``--n 1000000 --d 100 --k 10``: the seconds of one loss-and-gradient evaluation
    (the median of ``--repeats`` after a warm-up) and of a whole
    ``SoftmaxRegression(C=--C)`` fit, in memory (at the BLAS library's default
    number of threads, and on one BLAS thread), on Dask's threaded scheduler (the
    same array in blocks of ``--rows`` rows) and on a ``LocalCluster`` of two worker
    processes (the same blocks, generated on the workers and kept there), each with
    its ratio to the faster in-memory time. All fits must reach the same objective
    (scikit-learn's, evaluated in memory, 1e-8 relative).
(c) the binary case of the same size: softlogit's ``LogisticRegression`` against
    dask-ml's ``LogisticRegression(solver='lbfgs')`` on the same Dask array, on the
    threaded scheduler. dask-ml minimizes ``sum_i loss_i + ||beta||^2 / (2 C)`` with
    the intercept inside ``beta`` (penalized) and, by default, in standardized
    features; so both fit without intercept, dask-ml with ``normalize=False``: then
    its objective is ``n`` times scikit-learn's at the same ``C``, and its gradient
    tolerance is ``n`` times ours. Skipped (and said so) when dask-ml is missing.
(d) out of core: ``--ooc-n`` x ``--d`` rows (binary), written block by block as
    Parquet files of ``--ooc-rows`` rows into a temporary directory (a worker's peak
    memory grows with the rows per file: ``results/dask_notes.md``), fitted (``LogisticRegression``) from
    the files on a ``LocalCluster`` of two workers whose memory limits add up to a
    quarter of the data, every pass printed; the files are deleted afterwards. Then
    (unless ``--no-ooc-in-memory``) the same data are generated in memory and fitted
    there, and both fits' objectives are evaluated in memory.

The data come from :mod:`softlogit._testing.dask_data` (each block a function of its
index: generated where it is used). The CSV (``--out``) records the command, the
BLAS library and every measurement with the load average after it.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.fit_speed import blas_description

OBJECTIVE_RTOL = 1e-8
IN_MEMORY = "in memory, default BLAS threads"
IN_MEMORY_1 = "in memory, 1 BLAS thread"


@dataclass
class Row:
    """One measurement."""

    part: str
    where: str
    n_samples: int
    n_features: int
    n_classes: int
    seconds_per_evaluation: float
    fit_seconds: float
    n_iter: int
    passes: int
    objective: float
    relative_gap: float
    ratio: float
    ratio_to: str
    peak_worker_mb: float
    note: str
    load_average: str = ""  # 1, 5 and 15 minutes, after the measurement


def _objective(
    coef: np.ndarray, intercept: np.ndarray | None, X: Any, y: Any, C: float
) -> float:
    """scikit-learn's objective at a fit (in memory, float64)."""
    from softlogit import BinomialLoss, LinearModelLoss, MultinomialLoss

    l2 = 0.0 if math.isinf(C) else 1.0 / (C * len(y))
    if intercept is None:
        full = np.asarray(coef)
        fit_intercept = False
    else:
        full = np.column_stack([coef, intercept])
        fit_intercept = True
    if full.shape[0] == 1:
        lml = LinearModelLoss(BinomialLoss(), fit_intercept=fit_intercept)
        return lml.loss(full[0], X, y.astype(float), None, l2)
    lml = LinearModelLoss(MultinomialLoss(), fit_intercept=fit_intercept)
    return lml.loss(full, X, y, None, l2)


def _blas_threads() -> int:
    from threadpoolctl import threadpool_info

    return max(
        [
            1,
            *(
                int(i["num_threads"])
                for i in threadpool_info()
                if i["user_api"] == "blas"
            ),
        ]
    )


def _load() -> str:
    """The load averages over 1, 5 and 15 minutes."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _median_time(fn: Any, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _Passes:
    """Counts the passes over the data of a fit on Dask (softlogit._dask.progress)."""

    def __init__(self, echo: bool = False) -> None:
        self.count, self.echo, self.objective = 0, echo, math.nan

    def __call__(self, p: Any) -> None:
        self.count += 1
        if p.objective is not None:
            self.objective = p.objective
        if self.echo:
            value = "" if p.objective is None else f" objective {p.objective:.12g}"
            print(f"    pass {p.index:>3} {p.kind:<10}{value}  {p.seconds:.2f} s")


def _start_cluster(memory_limit: str | None = None) -> tuple[Any, Any]:
    from softlogit._dask._cluster import local_cluster

    return local_cluster(n_workers=2, memory_limit=memory_limit)


def _fit_timed(est: Any, *args: Any, echo: bool = False) -> tuple[float, _Passes]:
    from softlogit._dask import progress

    passes = _Passes(echo)
    start = time.perf_counter()
    with progress(passes):
        est.fit(*args)
    return time.perf_counter() - start, passes


# --------------------------------------------------------------------------------------
# (b) in memory, threaded, cluster
# --------------------------------------------------------------------------------------


def part_b(n: int, d: int, k: int, rows: int, C: float, repeats: int) -> list[Row]:
    import dask
    import dask.array as da
    from threadpoolctl import threadpool_limits

    from softlogit import SoftmaxRegression
    from softlogit._dask._problem import dask_problem
    from softlogit._objectives import Problem
    from softlogit._testing.dask_data import dask_data, numpy_data

    print(f"(b) {n} x {d}, K = {k}, C = {C}, blocks of {rows} rows")
    X, y, _ = numpy_data(n, d, k, rows)
    ones = np.ones(n)
    problem = Problem.build(
        X, y, ones, n_rows=k, multinomial=True, fit_intercept=True, C=C
    )
    x0 = problem.start(None).ravel()
    results: dict[str, tuple[float, float, int, int, np.ndarray, np.ndarray]] = {}
    loads: dict[str, str] = {}

    # In memory at OpenBLAS's default thread count and on one BLAS thread (as the
    # Dask tasks below): on a loaded machine the threaded small products of the
    # blocked loss loop can be many times slower than one thread, and an in-memory
    # time taken at only one setting compared Dask with a handicapped baseline.
    obj = problem.full()
    for where, limit in ((IN_MEMORY, None), (IN_MEMORY_1, 1)):
        with threadpool_limits(limit):
            threads = _blas_threads()
            per_eval = _median_time(lambda: obj.loss_gradient(x0), repeats)
            est = SoftmaxRegression(C=C)
            start = time.perf_counter()
            est.fit(X, y)
            fit_s = time.perf_counter() - start
        results[where] = (
            per_eval,
            fit_s,
            int(est.n_iter_[0]),
            0,
            est.coef_,
            est.intercept_,
        )
        print(
            f"    {where} ({threads} BLAS threads): {per_eval:.3f} s per evaluation, "
            f"fit {fit_s:.1f} s, load {loads.setdefault(where, _load())}",
            flush=True,
        )

    Xd = da.from_array(X, chunks=(rows, d))
    yd = da.from_array(y, chunks=rows)
    # At the library's default: its passes on the threaded scheduler run each
    # task on one BLAS thread (softlogit._dask._blocks.one_blas_thread_per_task).
    with dask.config.set(scheduler="threads"):
        dobj = dask_problem(SoftmaxRegression(C=C), Xd, yd, None).full()
        per_eval = _median_time(lambda: dobj.loss_gradient(x0), repeats)
        est = SoftmaxRegression(C=C)
        fit_s, passes = _fit_timed(est, Xd, yd)
    results["dask threads"] = (
        per_eval,
        fit_s,
        int(est.n_iter_[0]),
        passes.count,
        est.coef_,
        est.intercept_,
    )
    print(
        f"    dask threads: {per_eval:.3f} s per evaluation, fit {fit_s:.1f} s, "
        f"load {loads.setdefault('dask threads', _load())}",
        flush=True,
    )

    cluster, client = _start_cluster()
    try:
        Xc, yc, _ = dask_data(n, d, k, rows)
        Xc, yc = client.persist([Xc, yc])  # generated on the workers, kept there
        client.wait_for_workers(2)
        from distributed import wait

        wait([Xc, yc])
        cobj = dask_problem(SoftmaxRegression(C=C), Xc, yc, None).full()
        per_eval = _median_time(lambda: cobj.loss_gradient(x0), repeats)
        est = SoftmaxRegression(C=C)
        fit_s, passes = _fit_timed(est, Xc, yc)
    finally:
        client.close()
        cluster.close()
    results["LocalCluster (2 workers)"] = (
        per_eval,
        fit_s,
        int(est.n_iter_[0]),
        passes.count,
        est.coef_,
        est.intercept_,
    )
    print(
        f"    LocalCluster: {per_eval:.3f} s per evaluation, fit {fit_s:.1f} s, "
        f"load {loads.setdefault('LocalCluster (2 workers)', _load())}",
        flush=True,
    )

    objectives = {w: _objective(r[4], r[5], X, y, C) for w, r in results.items()}
    best = min(objectives.values())
    # The base of the ratios: the faster in-memory fit (named in ratio_to).
    base = min((IN_MEMORY, IN_MEMORY_1), key=lambda w: results[w][1])
    base_eval, base_fit = results[base][0], results[base][1]
    rows_out = []
    for where, (per_eval, fit_s, n_iter, passes, _, _) in results.items():
        gap = (objectives[where] - best) / abs(best)
        rows_out.append(
            Row(
                "b",
                where,
                n,
                d,
                k,
                per_eval,
                fit_s,
                n_iter,
                passes,
                objectives[where],
                gap,
                fit_s / base_fit,
                base,
                math.nan,
                f"evaluation ratio {per_eval / base_eval:.2f}",
                loads[where],
            )
        )
    return rows_out


# --------------------------------------------------------------------------------------
# (c) dask-ml
# --------------------------------------------------------------------------------------


def part_c(n: int, d: int, rows: int, C: float, tol: float) -> list[Row]:
    import dask
    import dask.array as da
    from threadpoolctl import threadpool_limits

    from softlogit import LogisticRegression
    from softlogit._testing.dask_data import numpy_data

    print(f"(c) {n} x {d}, binary, C = {C}, no intercept, tol {tol:g} (mean objective)")
    X, y, _ = numpy_data(n, d, 2, rows, seed=1)
    Xd, yd = da.from_array(X, chunks=(rows, d)), da.from_array(y, chunks=rows)
    fits: dict[str, tuple[float, int, int, np.ndarray, str]] = {}

    # On one BLAS thread, as every other fit here (see part b: OpenBLAS's threads
    # on the loss loop's small products spin on a loaded machine).
    with threadpool_limits(1):
        est = LogisticRegression(C=C, fit_intercept=False, tol=tol)
        start = time.perf_counter()
        est.fit(X, y)
        fit_s = time.perf_counter() - start
    fits["softlogit in memory, 1 BLAS thread"] = (
        fit_s,
        int(est.n_iter_[0]),
        0,
        est.coef_,
        "",
    )
    with dask.config.set(scheduler="threads"), threadpool_limits(1):
        est = LogisticRegression(C=C, fit_intercept=False, tol=tol)
        fit_s, passes = _fit_timed(est, Xd, yd)
        fits["softlogit dask threads"] = (
            fit_s,
            int(est.n_iter_[0]),
            passes.count,
            est.coef_,
            "",
        )
        try:
            from dask_ml.linear_model import LogisticRegression as DaskMLLogistic
        except ImportError as exc:
            print(f"    dask-ml: blocked ({exc})")
            fits["dask-ml lbfgs"] = (
                math.nan,
                0,
                0,
                np.full((1, d), np.nan),
                f"blocked: {exc}",
            )
        else:
            dml = DaskMLLogistic(
                C=C,
                fit_intercept=False,
                solver="lbfgs",
                tol=tol * n,  # its gradient is that of the summed loss
                max_iter=1000,
                solver_kwargs={"normalize": False},
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                dml.fit(Xd, yd)
                fit_s = time.perf_counter() - start
            coef = np.asarray(dml.coef_).reshape(1, -1)
            fits["dask-ml lbfgs"] = (
                fit_s,
                0,
                0,
                coef,
                "sum loss + ||w||^2/(2C), normalize=False",
            )
    objectives = {w: _objective(f[3], None, X, y, C) for w, f in fits.items()}
    best = np.nanmin(list(objectives.values()))
    base = fits["dask-ml lbfgs"][0]
    out = []
    for where, (fit_s, n_iter, passes, _, note) in fits.items():
        gap = (objectives[where] - best) / abs(best)
        out.append(
            Row(
                "c",
                where,
                n,
                d,
                2,
                math.nan,
                fit_s,
                n_iter,
                passes,
                objectives[where],
                gap,
                fit_s / base,
                "dask-ml lbfgs",
                math.nan,
                note,
            )
        )
        print(f"    {where}: fit {fit_s:.1f} s, objective {objectives[where]:.12g}")
    return out


# --------------------------------------------------------------------------------------
# (d) out of core
# --------------------------------------------------------------------------------------


def _write_parquet(directory: Path, n: int, d: int, rows: int) -> float:
    """The data as Parquet files, one per block, written block by block."""
    import dask
    import dask.array as da
    import dask.dataframe as dd

    from softlogit._testing.dask_data import dask_data

    X, y, _ = dask_data(n, d, 2, rows, seed=2)
    table = da.concatenate([X, y[:, None].astype(np.float64)], axis=1)
    frame = dd.from_dask_array(table, columns=[f"x{j}" for j in range(d)] + ["label"])
    with dask.config.set(scheduler="threads"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_parquet(directory, write_index=False)
    return float(X.nbytes + y.nbytes)


def part_d(
    n: int, d: int, rows: int, C: float, tmp: str | None, in_memory: bool
) -> list[Row]:
    import dask
    import dask.dataframe as dd
    import distributed  # noqa: F401  (its defaults exist before dask.config.set)

    from softlogit import LogisticRegression
    from softlogit._testing.dask_data import peak_memory

    directory = Path(tempfile.mkdtemp(prefix="softlogit-ooc-", dir=tmp))
    try:
        print(f"(d) {n} x {d}, binary, C = {C}: writing Parquet to {directory}")
        start = time.perf_counter()
        data_bytes = _write_parquet(directory, n, d, rows)
        disk = sum(f.stat().st_size for f in directory.iterdir())
        print(
            f"    wrote {data_bytes / 1e9:.2f} GB ({disk / 1e9:.2f} GB of files) in "
            f"{time.perf_counter() - start:.0f} s, load {_load()}",
            flush=True,
        )
        # Per worker: the two add up to a quarter of the data (at least 500 MB, what
        # a worker reading Parquet needs to run at all: so at tiny sizes, as in the
        # smoke test, the ratio written in the note is larger).
        limit = max(int(data_bytes / 8), 500_000_000)
        # As in tests/test_dask_out_of_core.py: the limit is the nanny's hard one
        # (a worker above 95 % of it is killed, which fails the run); no spilling,
        # and no pausing at 80 % of the limit: a worker that has read Parquet
        # (pyarrow, pandas) was seen at about 400 MB, and the fit stalled there.
        config = {
            "distributed.worker.memory.target": False,
            "distributed.worker.memory.spill": False,
            "distributed.worker.memory.pause": False,
        }
        with dask.config.set(config):
            cluster, client = _start_cluster(memory_limit=str(limit))
        try:
            pids = client.run(os.getpid)
            frame = dd.read_parquet(str(directory))
            features = [c for c in frame.columns if c != "label"]
            est = LogisticRegression(C=C)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                fit_s, passes = _fit_timed(
                    est, frame[features], frame["label"], echo=True
                )
            load = _load()
            peak = max(client.run(peak_memory).values())
            # A worker above 95 % of its limit is killed and restarted (its
            # tasks run again elsewhere): the peak above is then the new one's.
            restarted = client.run(os.getpid) != pids
        finally:
            client.close()
            cluster.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(
        f"    fit {fit_s:.0f} s, {passes.count} passes, peak worker memory "
        f"{peak / 1e6:.0f} MB{' (workers restarted)' if restarted else ''}, "
        f"load {load}",
        flush=True,
    )
    note = (
        f"data {data_bytes / 1e9:.2f} GB ({disk / 1e9:.2f} GB of Parquet files); "
        f"worker memory limit {limit / 1e6:.0f} MB each (2 workers: "
        f"{2 * limit / data_bytes:.2f} of the data); "
        f"{'workers restarted' if restarted else 'no worker restarted'}; "
        f"{rows} rows per Parquet file"
    )
    row = Row(
        "d",
        "LocalCluster (2 workers), from Parquet",
        n,
        d,
        2,
        math.nan,
        fit_s,
        int(est.n_iter_[0]),
        passes.count,
        passes.objective,
        math.nan,
        math.nan,
        "",
        peak / 1e6,
        note,
        load,
    )
    if not in_memory:
        return [row]
    return _in_memory_check(row, est, n, d, rows, C)


def _in_memory_check(
    row: Row, est: Any, n: int, d: int, rows: int, C: float
) -> list[Row]:
    """The same data generated in memory (the blocks the Parquet files were written
    from) and fitted there on one BLAS thread; both fits' objectives evaluated in
    memory, the relative gap of each to the lower, and the largest coefficient
    difference relative to the largest coefficient."""
    from threadpoolctl import threadpool_limits

    from softlogit import LogisticRegression
    from softlogit._testing.dask_data import numpy_data

    X, y, _ = numpy_data(n, d, 2, rows, seed=2)
    with threadpool_limits(1):
        ref = LogisticRegression(C=C)
        start = time.perf_counter()
        ref.fit(X, y)
        fit_s = time.perf_counter() - start
    load = _load()
    ooc = _objective(est.coef_, est.intercept_, X, y, C)
    mem = _objective(ref.coef_, ref.intercept_, X, y, C)
    best = min(ooc, mem)
    coef = np.append(est.coef_.ravel(), est.intercept_)
    coef_ref = np.append(ref.coef_.ravel(), ref.intercept_)
    coef_diff = float(np.max(np.abs(coef - coef_ref)) / np.max(np.abs(coef_ref)))
    del X, y
    print(
        f"    in memory: fit {fit_s:.0f} s; objectives {ooc:.15g} (out of core), "
        f"{mem:.15g} (in memory); coefficients differ by {coef_diff:.1e} of the "
        f"largest; load {load}",
        flush=True,
    )
    row.objective, row.relative_gap = ooc, (ooc - best) / abs(best)
    row.ratio, row.ratio_to = row.fit_seconds / fit_s, "in memory, 1 BLAS thread"
    row.note += f"; coefficients differ from the in-memory fit's by {coef_diff:.1e}"
    mem_row = Row(
        "d",
        "in memory, 1 BLAS thread",
        n,
        d,
        2,
        math.nan,
        fit_s,
        int(ref.n_iter_[0]),
        0,
        mem,
        (mem - best) / abs(best),
        1.0,
        "in memory, 1 BLAS thread",
        math.nan,
        "the same data generated in memory",
        load,
    )
    return [row, mem_row]


# --------------------------------------------------------------------------------------


def _table(rows: list[Row]) -> str:
    lines = []
    for part in sorted({r.part for r in rows}):
        lines.append(f"\n({part})")
        lines.append(
            f"{'where':<40} {'s/eval':>8} {'fit s':>8} {'iter':>5} {'passes':>6} "
            f"{'rel. gap':>9} {'ratio':>7}  to"
        )
        for r in rows:
            if r.part != part:
                continue
            lines.append(
                f"{r.where:<40} {r.seconds_per_evaluation:>8.3f} {r.fit_seconds:>8.1f} "
                f"{r.n_iter:>5} {r.passes:>6} {r.relative_gap:>9.1e} {r.ratio:>7.2f}  "
                f"{r.ratio_to}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="b,c,d")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--rows", type=int, default=50_000, help="rows per block")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-6, help="part c")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ooc-n", type=int, default=10_000_000)
    parser.add_argument(
        "--ooc-rows",
        type=int,
        default=50_000,
        help="part d: rows per Parquet file (see results/dask_notes.md)",
    )
    parser.add_argument("--tmp", default=None, help="where part d writes its files")
    parser.add_argument(
        "--ooc-in-memory",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="part d: fit the same data in memory too (needs RAM for the data)",
    )
    parser.add_argument("--out", default="benchmarks/results/dask_speed.csv")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    command = "python -m benchmarks.dask_speed " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    blas = blas_description()
    print(f"BLAS: {blas}", flush=True)
    rows: list[Row] = []
    if "b" in parts:
        rows += part_b(args.n, args.d, args.k, args.rows, args.C, args.repeats)
    if "c" in parts:
        rows += part_c(args.n, args.d, args.rows, args.C, args.tol)
    if "d" in parts:
        rows += part_d(
            args.ooc_n, args.d, args.ooc_rows, args.C, args.tmp, args.ooc_in_memory
        )
    print(_table(rows))
    for r in rows:
        if (
            r.part in "bc"
            and r.relative_gap > OBJECTIVE_RTOL
            and not r.note.startswith("blocked")
        ):
            print(
                f"note: {r.where} ({r.part}) missed the best objective by {r.relative_gap:.1e}"
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        fh.write(f"# command: {command}\n# BLAS: {blas}\n")
        writer = csv.DictWriter(fh, fieldnames=[f.name for f in fields(Row)])
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {
                    k: (f"{v:.6g}" if isinstance(v, float) else v)
                    for k, v in asdict(r).items()
                }
            )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
