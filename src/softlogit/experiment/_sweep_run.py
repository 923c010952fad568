"""Running a sweep: the missing rows in batches, in parallel, stored as they finish.

:func:`run_sweep` reads the rows already in the store (when asked to), splits the
missing ones into batches of one optimizer, batch size, width and data at several
learning rates and seeds (their networks train together, see
:func:`~softlogit.experiment._sweep_rows.measure_rows`), runs the batches in
parallel processes (default: one per core), on a Dask ``LocalCluster`` or on a
Dask scheduler, and writes the store after every finished batch. The rows are the
same whichever way they were computed: each depends only on its spec.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from softlogit._threads import single_blas_thread
from softlogit.errors import InputValueError, MissingExtraError
from softlogit.experiment._spec import ExperimentSpec
from softlogit.experiment._sweep_grid import SweepGrid, row_key
from softlogit.experiment._sweep_rows import measure_rows
from softlogit.experiment._sweep_store import read_rows, write_rows

__all__ = ["SweepProgress", "plan_batches", "run_sweep"]

SweepProgress = Callable[[int, int], None]
"""Called as ``progress(rows_done, rows_total)`` after every batch."""

#: rows per batch: enough networks to fill a stack, small enough to balance
_BATCH_ROWS = 21
#: full-batch rows per batch: their stacks fill with one seed's learning rates
#: (networks on the same data), and their steps cost the most
_FULL_BATCH_ROWS = 7


def _family(spec: ExperimentSpec) -> str:
    """Specs of one family differ only in learning rate and seed."""
    d = spec.to_dict()
    training = dict(d["training"])  # type: ignore[call-overload]
    training.pop("lr", None)
    d["training"] = training
    d.pop("seed", None)
    return json.dumps(d, sort_keys=True)


def plan_batches(
    specs: Sequence[ExperimentSpec],
    rows: int = _BATCH_ROWS,
    full_rows: int = _FULL_BATCH_ROWS,
) -> list[list[ExperimentSpec]]:
    """Split ``specs`` into batches of one family, at most ``rows`` specs each.

    Full-batch families come first (their steps cost the most), so that the
    cheap batches fill the workers at the end; they are split by seed into batches
    of at most ``full_rows`` specs.

    Examples
    --------
    >>> from softlogit.experiment import SweepGrid
    >>> from softlogit.experiment._sweep_run import plan_batches
    >>> grid = SweepGrid.from_strings(["lr=0.01,0.1", "batch_size=32,full"], seeds=2)
    >>> [len(b) for b in plan_batches(grid.specs(), rows=3, full_rows=2)]
    [2, 2, 3, 1]
    >>> [s.seed for s in plan_batches(grid.specs(), rows=3, full_rows=2)[0]]
    [0, 0]
    >>> plan_batches(grid.specs(), rows=3)[0][0].training.batch_size is None
    True
    """
    families: dict[str, list[ExperimentSpec]] = {}
    for spec in specs:
        families.setdefault(_family(spec), []).append(spec)
    out: list[list[ExperimentSpec]] = []
    for f in sorted(
        families.values(), key=lambda f: f[0].training.batch_size is not None
    ):
        size = rows
        if f[0].training.batch_size is None:
            f, size = sorted(f, key=lambda s: s.seed), full_rows
        out += [f[i : i + size] for i in range(0, len(f), size)]
    return out


def _measure(specs: list[ExperimentSpec]) -> list[dict[str, Any]]:
    """One batch, on one BLAS thread (the matrices are small; workers are many)."""
    with single_blas_thread():
        return measure_rows(specs)


def _in_process(batches: list[list[ExperimentSpec]]) -> Iterator[list[dict[str, Any]]]:
    for batch in batches:
        yield _measure(batch)


def _processes(
    batches: list[list[ExperimentSpec]], n: int
) -> Iterator[list[dict[str, Any]]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: the parent may run threads (a progress bar), which fork does not copy
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=n, mp_context=context)
    try:
        futures = [pool.submit(_measure, batch) for batch in batches]
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(
    batches: list[list[ExperimentSpec]], workers: int | None, scheduler: str | None
) -> Iterator[list[dict[str, Any]]]:
    try:
        import distributed
    except ImportError:
        raise MissingExtraError("Dask distributed", "dask") from None
    dist: Any = distributed  # untyped
    cluster = None
    if scheduler is not None:
        client = dist.Client(scheduler)
    else:
        cluster = dist.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # a dashboard on a free loopback port: the default port may be taken
            dashboard_address="127.0.0.1:0",
        )
        client = dist.Client(cluster)
    try:
        futures = client.map(_measure, batches, pure=False)
        for future in dist.as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_sweep(
    grid: SweepGrid,
    store: str | Path | None = None,
    *,
    resume: bool = True,
    processes: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: SweepProgress | None = None,
) -> list[dict[str, Any]]:
    """Run the rows of ``grid`` that are missing; return all its rows, in order.

    Parameters
    ----------
    grid : SweepGrid
        The cells and seeds.
    store : str or path, optional
        The Parquet file of the rows (:data:`ROWS_FILE` in the sweep's directory);
        written after every finished batch. ``None``: keep the rows in memory.
    resume : bool, default=True
        Reuse the rows already in ``store`` whose keys belong to ``grid`` (an
        interrupted run, or a smaller grid sharing cells); False trains every row
        again (and keeps the other rows of the store).
    processes : int, optional
        Local processes (default: one per core; 1 runs in this process).
    workers : int, optional
        Run on a new Dask ``LocalCluster`` of this many single-threaded worker
        processes (the ``dask`` extra).
    scheduler : str, optional
        Run on the Dask cluster at this address (``tcp://host:8786``).
    progress : callable, optional
        Called as ``progress(rows_done, rows_total)`` at the start and after every
        batch.

    Returns
    -------
    list of dict
        One row per cell and seed of ``grid``, in the order of
        :meth:`SweepGrid.specs`.

    Raises
    ------
    InputValueError
        For ``processes`` or ``workers`` below 1, or both a scheduler and workers.
    MissingExtraError
        Without pyarrow (a store) or Dask (``workers``, ``scheduler``).
    """
    if processes is not None and processes < 1:
        raise InputValueError(f"`processes` must be at least 1; got {processes}.")
    if workers is not None and workers < 1:
        raise InputValueError(f"`workers` must be at least 1; got {workers}.")
    if workers is not None and scheduler is not None:
        raise InputValueError(
            "give `workers` (a new cluster) or `scheduler`, not both."
        )
    specs = grid.specs()
    keys = [row_key(s) for s in specs]
    known: dict[str, dict[str, Any]] = {}
    if store is not None and Path(store).is_file():
        stored, _ = read_rows(store)
        known = {str(r["key"]): r for r in stored}
    done = {k: known[k] for k in keys if resume and k in known}
    todo = [s for s, k in zip(specs, keys, strict=True) if k not in done]
    batches = plan_batches(todo)
    if progress is not None:
        progress(len(done), len(specs))
    if scheduler is not None or workers is not None:
        results = _dask(batches, workers, scheduler)
    else:
        n = (os.cpu_count() or 1) if processes is None else processes
        n = min(n, len(batches))
        results = _processes(batches, n) if n > 1 else _in_process(batches)
    for rows in results:
        for row in rows:
            done[str(row["key"])] = row
            known[str(row["key"])] = row
        if store is not None:
            write_rows(store, list(known.values()), grid.to_dict())
        if progress is not None:
            progress(len(done), len(specs))
    return [done[k] for k in keys]
