"""Map a function over the row blocks of Dask arrays and bring back only the sum.

Every pass of a fit on Dask data has the same shape: a function of one block of
rows (``X[rows]`` and the matching labels and weights) returns a small vector, the
vectors of all blocks are added on the workers by a tree reduction, and only their
sum (coefficient-sized, or Hessian-sized) is computed on the client:
:func:`summed_blocks`. The check of the inputs returns a few Python objects per
block instead, merged the same way: :func:`merged_blocks`.

Whatever computes, computes here (:func:`compute`): on Dask's default scheduler, the
threaded one (its tasks on one BLAS thread each) or the ``distributed.Client`` set
as default (where workers lost for good end the computation with an error:
:mod:`softlogit._dask._workers`).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from softlogit._threads import single_blas_thread
from softlogit._typing import FloatArray

__all__ = [
    "compute",
    "merged_blocks",
    "one_blas_thread_per_task",
    "summed_blocks",
]

# Blocks merged by one task of a tree reduction.
SPLIT_EVERY = 8


def compute(*collections: Any) -> Any:
    """``dask.compute`` on the default scheduler; a tuple of the results.

    On Dask's threaded scheduler with more than one thread, the tasks run on one
    BLAS thread each (:func:`one_blas_thread_per_task`). On a ``distributed``
    cluster, workers lost for good end the computation with
    :class:`~softlogit.WorkersLostError` instead of a wait without end
    (:func:`softlogit._dask._workers.compute_on_cluster`).
    """
    from dask.base import compute as dask_compute

    from softlogit._dask._workers import cluster_client, compute_on_cluster

    client = cluster_client(collections)
    if client is not None:
        return compute_on_cluster(client, collections)
    with one_blas_thread_per_task(collections):
        return dask_compute(*collections)  # type: ignore[no-untyped-call]


def one_blas_thread_per_task(
    collections: tuple[Any, ...],
) -> contextlib.AbstractContextManager[None]:
    """:func:`~softlogit._threads.single_blas_thread` when ``collections`` compute
    on Dask's threaded scheduler with more than one thread, else nothing.

    Dask's threads already occupy the cores: a BLAS library that also starts its
    own threads in every task runs more threads than cores, and its threads spin
    waiting for each other. The BLAS limit is process-wide, and the threaded
    scheduler's tasks run in this process, so it holds for them. A
    ``distributed`` cluster's worker processes start with one BLAS thread already
    (its nanny sets ``OPENBLAS_NUM_THREADS=1`` and the like), and the synchronous
    scheduler runs one task at a time: both are left alone.
    """
    import dask
    import dask.threaded
    from dask.base import get_scheduler
    from dask.system import CPU_COUNT

    scheduler = get_scheduler(collections=list(collections))  # type: ignore[no-untyped-call]
    if scheduler is not dask.threaded.get:
        return contextlib.nullcontext()
    workers = dask.config.get("num_workers", None) or CPU_COUNT
    if int(workers) <= 1:
        return contextlib.nullcontext()
    return single_blas_thread()


def summed_blocks(
    fn: Callable[..., FloatArray],
    size: int,
    X: Any,
    *columns: Any,
    spec: object,
    name: str,
    reduce: str = "sum",
) -> FloatArray:
    """``sum over blocks b of fn(X_b, *columns_b, spec=spec)``, computed.

    Parameters
    ----------
    fn : callable
        ``fn(Xb, *cols, spec=spec)`` with ``Xb`` a block of rows of ``X`` and each
        ``cols[j]`` the matching entries of ``columns[j]``; returns an array of
        shape ``(1, size)``. It must be importable (a
        module-level function): the workers of a cluster run it.
    size : int
        Length of the summed vector.
    X : dask.array.Array of shape (n_samples, n_features)
        Chunked along rows only.
    *columns : dask.array.Array of shape (n_samples,)
        With the row chunks of ``X``.
    spec : object
        Passed to every call (small: coefficients, a loss object).
    name : str
        Prefix of the task names (shown on Dask's dashboard).
    reduce : {"sum", "max"}, default="sum"
        Add the blocks' vectors, or take their elementwise maximum.

    Returns
    -------
    ndarray of shape (size,)
    """
    import dask.array as da

    # Blockwise (X indexed "ij", the columns "i"): Dask fuses this layer with the
    # blockwise layers that produce the blocks, so each block is one task.
    pairs = [a for c in columns for a in (c, "i")]
    parts = da.blockwise(  # type: ignore[no-untyped-call]
        fn,
        "ij",
        X,
        "ij",
        *pairs,
        spec=spec,
        adjust_chunks={"i": 1, "j": size},
        dtype=np.float64,
        meta=np.empty((0, 0), dtype=np.float64),
        name=f"softlogit-{name}-{uuid.uuid4().hex}",
    )
    total = getattr(parts, reduce)(axis=0, split_every=SPLIT_EVERY)
    out: FloatArray = np.asarray(compute(total)[0], dtype=np.float64)
    return out


def _apply_to_block(
    Xb: FloatArray,
    *cols: np.ndarray,
    fn: Callable[..., Any],
    block_info: dict[Any, Any] | None = None,
) -> np.ndarray:
    """``fn(Xb, *cols, first_row)`` in a one-element object array."""
    assert block_info is not None
    first_row = int(block_info[0]["array-location"][0][0])
    out = np.empty(1, dtype=object)
    out[0] = fn(Xb, *(c[:, 0] for c in cols), first_row)
    return out


def _merge_parts(merge: Callable[..., Any], *parts: Any) -> Any:
    return merge(*(p[0] if isinstance(p, np.ndarray) else p for p in parts))


def merged_blocks(
    fn: Callable[..., Any], merge: Callable[..., Any], X: Any, *columns: Any
) -> Any:
    """``merge`` of ``fn(X_b, *columns_b, first_row_b)`` over the row blocks, computed.

    ``columns`` are 1-D Dask arrays with the row chunks of ``X``; ``first_row_b`` is
    the index of block ``b``'s first row. ``merge(*parts)`` combines any number of
    results of ``fn`` (or of ``merge``) into one, on the workers, in a tree of
    :data:`SPLIT_EVERY` parts per task.
    """
    import dask.array as da
    from dask.delayed import delayed

    per_block = da.map_blocks(  # type: ignore[no-untyped-call]
        _apply_to_block,
        X,
        *(c[:, None] for c in columns),
        fn=fn,
        drop_axis=1,
        chunks=((1,) * X.numblocks[0],),
        dtype=object,
        meta=np.empty(0, dtype=object),
        name=f"softlogit-check-{uuid.uuid4().hex}",
    )
    parts = list(per_block.to_delayed())
    while len(parts) > 1:
        parts = [
            delayed(_merge_parts, pure=True)(merge, *parts[i : i + SPLIT_EVERY])
            for i in range(0, len(parts), SPLIT_EVERY)
        ]
    return _merge_parts(merge, compute(parts[0])[0])
