"""Computations on a ``dask.distributed`` cluster that end when the workers are lost.

Dask recovers a worker that dies during a computation: its nanny starts a new
process, and the tasks the dead worker held run again on the workers left. Two
failures it does not recover, and :func:`compute_on_cluster` ends both with a
:class:`~softlogit.WorkersLostError` naming what happened:

- **The same task killed its workers again and again** (a task that exceeds the
  workers' memory limit: the nanny kills the worker and starts a new one, which
  receives the task again). Dask gives up on the task after
  ``distributed.scheduler.allowed-failures`` deaths (3 by default) and raises its
  ``KilledWorker``: translated here.
- **No worker is left running.** A nanny whose new worker process dies while
  starting (killed again, or over its memory limit before it registers) closes
  itself, and no new worker ever comes; paused workers (over
  ``distributed.worker.memory.pause`` of their memory) run nothing either. Dask's
  scheduler then waits for a worker forever, unless its
  ``distributed.scheduler.no-workers-timeout`` is set (null by default). So the
  client watches: while a computation runs, every
  ``distributed.client.scheduler-info-interval`` (2 s by default) it asks the
  scheduler how many workers are running, and gives up after
  :func:`no_workers_timeout` seconds without one.

A computation that merely takes long never fails here: only the time without a
running worker counts.

A third failure is the client's, not the cluster's: **the connection to the
scheduler breaks** (the scheduler stopped, or the network failed). Dask then
cancels every computation the client had submitted (they must be submitted again)
and tries to reconnect, for ``distributed.comm.timeouts.connect``; results of a
computation submitted meanwhile never come. :func:`compute_on_cluster` raises
:class:`~softlogit.SchedulerLostError` as soon as it sees the client not running:
before submitting, on each watch, or when Dask cancels the computation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from softlogit.errors import SchedulerLostError, WorkersLostError

__all__ = ["cluster_client", "compute_on_cluster", "no_workers_timeout"]


def cluster_client(collections: Sequence[Any]) -> Any:
    """The ``distributed.Client`` that would compute ``collections``, or None
    (another scheduler: threads, processes, synchronous)."""
    import sys

    if "distributed" not in sys.modules:  # without it, nothing can be a client
        return None
    from dask.base import get_scheduler
    from distributed import Client

    scheduler = get_scheduler(collections=list(collections))  # type: ignore[no-untyped-call]
    client = getattr(scheduler, "__self__", None)
    return client if isinstance(client, Client) else None


def no_workers_timeout() -> float | None:
    """Seconds a computation waits without a running worker before it gives up.

    Dask's ``distributed.scheduler.no-workers-timeout`` when set; else (Dask's
    default, null, means "wait forever") ``distributed.scheduler.worker-ttl``
    (5 minutes by default), the time Dask waits for a silent worker before it
    declares it dead. None (no limit) only when both are null.
    """
    import dask
    from dask.utils import parse_timedelta

    for key in (
        "distributed.scheduler.no-workers-timeout",
        "distributed.scheduler.worker-ttl",
    ):
        value = dask.config.get(key, None)
        if value is not None:
            seconds: float = parse_timedelta(value, default="s")
            return seconds
    return None


def _running_workers(client: Any) -> int:
    """How many workers the scheduler counts as running (not paused or closing)."""
    info = client.scheduler_info(n_workers=-1)
    workers = info.get("workers", {})
    return sum(1 for w in workers.values() if w.get("status") == "running")


def _connected(client: Any) -> bool:
    """Whether ``client`` is connected to its scheduler."""
    return str(client.status) == "running"


def _scheduler_lost(client: Any) -> SchedulerLostError:
    address = getattr(client.scheduler, "address", None) or "(unknown)"
    return SchedulerLostError(str(address), str(client.status))


def _wait(client: Any, futures: list[Any]) -> None:
    """Wait until every future is done; :class:`WorkersLostError` after
    :func:`no_workers_timeout` seconds without a running worker,
    :class:`SchedulerLostError` once the client is not connected."""
    import dask
    from dask.utils import parse_timedelta

    # asyncio's TimeoutError, not the builtin one before Python 3.11
    from distributed import TimeoutError as WaitTimeout
    from distributed import wait

    interval = parse_timedelta(
        dask.config.get("distributed.client.scheduler-info-interval"), default="ms"
    )
    limit = no_workers_timeout()
    without_since: float | None = None
    while True:
        try:
            wait(futures, timeout=interval)  # type: ignore[no-untyped-call]
            return
        except WaitTimeout:
            pass
        if not _connected(client):
            raise _scheduler_lost(client)
        if _running_workers(client) > 0:
            without_since = None
            continue
        now = time.monotonic()
        without_since = now if without_since is None else without_since
        if limit is not None and now - without_since >= limit:
            raise _no_workers(limit, _pending_task(futures))


def _pending_task(futures: list[Any]) -> str:
    return next((str(f.key) for f in futures if not f.done()), str(futures[0].key))


def _no_workers(seconds: float, task: str) -> WorkersLostError:
    return WorkersLostError(
        f"no Dask worker was running for {seconds:g} s while the computation "
        "waited for one: the cluster's workers died (or paused, over their memory "
        "limit) and none came back (a nanny whose new worker dies while starting "
        "gives up). Check the workers' logs, give them more memory or make the "
        "row blocks smaller. The wait is Dask's "
        "`distributed.scheduler.no-workers-timeout` (when null, its "
        "`distributed.scheduler.worker-ttl`).",
        kind="no-workers",
        task=task,
    )


def _killed(task: str, allowed_failures: int) -> WorkersLostError:
    return WorkersLostError(
        f"the Dask workers died {allowed_failures + 1} times while running task "
        f"{task}, and Dask gave up on it (after "
        f"`distributed.scheduler.allowed-failures` = {allowed_failures} deaths). "
        "A worker over its memory limit is killed by its nanny: give the workers "
        "more memory or make the row blocks smaller; the workers' logs say why "
        "they died.",
        kind="killed",
        task=task,
    )


def compute_on_cluster(client: Any, collections: Sequence[Any]) -> tuple[Any, ...]:
    """``dask.compute(*collections)`` on ``client``'s cluster; lost workers raise.

    The collections are computed as ``client.compute`` does: each argument that
    is a Dask collection, not collections nested in lists (no caller passes any).

    Raises
    ------
    WorkersLostError
        If Dask gave up on a task whose workers died (its ``KilledWorker``), or no
        worker was running for :func:`no_workers_timeout` seconds (the
        scheduler's ``NoWorkerError``, or the client's own watch).
    SchedulerLostError
        If the client is not connected to its scheduler, before or while the
        computation runs (Dask cancelled it: its ``CancelledError``).
    """
    from concurrent.futures import CancelledError

    from distributed import Future
    from distributed.scheduler import KilledWorker, NoWorkerError

    if not _connected(client):
        raise _scheduler_lost(client)
    results = client.compute(list(collections))  # other values come back as they are
    futures = [f for f in results if isinstance(f, Future)]
    try:
        if futures:
            _wait(client, futures)
        return tuple(client.gather(results))
    except KilledWorker as exc:
        raise _killed(str(exc.task), exc.allowed_failures) from exc
    except NoWorkerError as exc:
        raise _no_workers(exc.timeout, str(exc.task)) from exc
    except CancelledError as exc:
        # Dask cancels a lost connection's computations; any other cancellation
        # (the caller's own) stays as it is
        if not _connected(client):
            raise _scheduler_lost(client) from exc
        raise
    finally:
        # Nothing is left queued on the cluster for a computation given up on.
        pending = [f for f in futures if not f.done()]  # type: ignore[no-untyped-call]
        if pending:
            client.cancel(pending)
