"""Where a fit on Dask data runs: a running scheduler, or a local cluster.

:func:`connect` reaches a running ``dask.distributed`` scheduler within a time limit
and raises :class:`~softlogit.SchedulerConnectionError`, naming the address, when
it cannot (Dask alone retries until its own connect timeout, 30 s by default, and
then raises a bare ``OSError``). :func:`local_cluster` starts a
``distributed.LocalCluster`` of worker processes on this machine (loopback only, no
dashboard).

Either client becomes Dask's default scheduler, so the estimators' passes over the
data run on its workers.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

from softlogit.errors import (
    InputValueError,
    MissingExtraError,
    SchedulerConnectionError,
)

__all__ = ["connect", "local_cluster"]


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise MissingExtraError("dask.distributed", "dask") from None
    return distributed


def _wait_for_port(host: str, port: int, deadline: float) -> str | None:
    """Open and close a TCP connection until one succeeds (None) or the deadline
    passes (the last error's text)."""
    error = "no attempt"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return error
        try:
            with socket.create_connection((host, port), timeout=max(left, 0.01)):
                return None
        except OSError as exc:
            error = str(exc) or type(exc).__name__
        time.sleep(min(0.1, max(deadline - time.monotonic(), 0.0)))


def connect(address: str, timeout: float = 10.0) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``, set as default.

    Parameters
    ----------
    address : str
        ``host:port`` or ``tcp://host:port`` (any scheme Dask knows).
    timeout : float, default=10.0
        Seconds to wait for the scheduler (it may still be starting).

    Returns
    -------
    distributed.Client

    Raises
    ------
    SchedulerConnectionError
        If the scheduler cannot be reached within ``timeout`` seconds.
    InputValueError
        If ``address`` is not an address.
    """
    distributed = _distributed()
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host_port = parse_host_port(location) if scheme in ("tcp", "tls") else None
    except ValueError as exc:
        raise InputValueError(
            f"the scheduler address {address!r} is not valid: {exc}."
        ) from None
    deadline = time.monotonic() + timeout
    # A plain TCP probe first: a Client that fails to connect leaves a half-built
    # object behind whose finalizer times out again.
    if host_port is not None:
        error = _wait_for_port(host_port[0], int(host_port[1]), deadline)
        if error is not None:
            raise SchedulerConnectionError(address, timeout, error)
    try:
        return distributed.Client(
            address, timeout=max(deadline - time.monotonic(), 1.0), set_as_default=True
        )
    except OSError as exc:
        raise SchedulerConnectionError(address, timeout, str(exc)) from None


def local_cluster(
    n_workers: int | None = None, memory_limit: str | int | None = None
) -> tuple[Any, Any]:
    """A ``LocalCluster`` of worker processes on the loopback interface and its
    client (set as default).

    Each worker has one thread (and one BLAS thread: the workers' default
    environment) and, unless ``memory_limit`` says otherwise, an equal share of the
    machine's memory. No dashboard; the scheduler's own HTTP server (health and
    metrics) listens on a free loopback port, never on all interfaces.
    """
    distributed = _distributed()
    cluster = distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        memory_limit="auto" if memory_limit is None else memory_limit,
        silence_logs=logging.ERROR,
    )
    return cluster, distributed.Client(cluster, set_as_default=True)
