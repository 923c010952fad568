"""Fits on a ``dask.distributed`` cluster of worker processes (loopback only).

The tests start their clusters themselves
(:func:`softlogit._dask._cluster.local_cluster`: two worker processes on 127.0.0.1,
no dashboard) and stop them. The data are generated block by block on the
workers (:mod:`softlogit._testing.dask_data`); the reference fit runs in memory on
the same blocks generated in this process.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client

from softlogit import SoftmaxRegression
from softlogit._dask import Pass, progress
from softlogit._dask._cluster import local_cluster
from softlogit._testing.dask_data import dask_data, numpy_data

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask-cluster")]


@pytest.fixture(scope="module")
def on_cluster() -> Iterator[Client]:
    """A cluster for the module; every Dask computation runs on it meanwhile."""
    cluster, client = local_cluster(n_workers=2)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _rel(got: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))


def test_fit_on_the_cluster_equals_in_memory_fit(on_cluster: Client) -> None:
    """Arrays generated on the workers (K = 5, reference gauge, weights, C = inf,
    with summary()), and a dataframe sent from here (K = 2, centered, C = 1)."""
    X, y, sw = dask_data(20_000, 4, 5, 2_500, seed=3)
    Xn, yn, swn = numpy_data(20_000, 4, 5, 2_500, seed=3)
    est = SoftmaxRegression(C=np.inf, gauge="reference", tol=1e-10)
    got = est.fit(X, y, sample_weight=sw)
    ref = SoftmaxRegression(C=np.inf, gauge="reference", tol=1e-10).fit(
        Xn, yn, sample_weight=swn
    )
    assert _rel(got.coef_, ref.coef_) <= 1e-8
    assert _rel(got.intercept_, ref.intercept_) <= 1e-8
    assert got.summary().mle_verified
    assert _rel(got.summary().std_err, ref.summary().std_err) <= 1e-8

    frame = pd.DataFrame(Xn[:5000], columns=["a", "b", "c", "d"])
    frame["label"] = np.where(yn[:5000] > 1, "yes", "no")
    frame["w"] = swn[:5000]
    ddf = dd.from_pandas(frame, npartitions=4)
    kwargs = {"C": 1.0, "tol": 1e-10}
    got = SoftmaxRegression(**kwargs).fit(
        ddf[["a", "b", "c", "d"]], ddf["label"], sample_weight=ddf["w"]
    )
    ref = SoftmaxRegression(**kwargs).fit(
        frame[["a", "b", "c", "d"]], frame["label"], sample_weight=frame["w"]
    )
    assert got.classes_.tolist() == ["no", "yes"]
    assert _rel(got.coef_, ref.coef_) <= 1e-8
    proba = got.predict_proba(ddf[["a", "b", "c", "d"]]).compute()
    np.testing.assert_allclose(proba, ref.predict_proba(frame[["a", "b", "c", "d"]]))


def test_worker_killed_mid_fit_is_recovered(on_cluster: Client) -> None:
    """A worker process killed (SIGKILL) while a pass runs on it: Dask's nanny
    starts a new one, the lost blocks are computed again from their source, and
    the fit ends at the in-memory optimum."""
    client = on_cluster
    before = client.run(os.getpid)
    victim = sorted(before)[0]
    killed: dict[str, Any] = {}

    def kill_when_busy() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if client.processing().get(victim):
                os.kill(before[victim], signal.SIGKILL)
                killed["during"] = len(passes)
                return
            time.sleep(0.005)

    passes: list[Pass] = []
    killer = threading.Thread(target=kill_when_busy, daemon=True)

    def on_pass(p: Pass) -> None:
        passes.append(p)
        if p.index == 2:  # the check and one gradient done: kill in the next pass
            killer.start()

    X, y, sw = dask_data(120_000, 10, 3, 10_000, seed=5)
    with progress(on_pass):
        got = SoftmaxRegression(C=1.0, tol=1e-10).fit(X, y, sample_weight=sw)
    killer.join(timeout=1)
    assert "during" in killed, "the worker was not killed during the fit"
    assert len(passes) > killed["during"] + 1  # the fit went on after the kill
    Xn, yn, swn = numpy_data(120_000, 10, 3, 10_000, seed=5)
    ref = SoftmaxRegression(C=1.0, tol=1e-10).fit(Xn, yn, sample_weight=swn)
    assert _rel(got.coef_, ref.coef_) <= 1e-8
    # A new worker process imports NumPy and Dask: on a loaded machine (a load
    # average of 24 on two cores) that took more than a minute.
    client.wait_for_workers(2, timeout=300)
    after = client.run(os.getpid)
    assert before[victim] not in after.values()  # a new process replaced it


def test_connect_to_a_running_scheduler(on_cluster: Client) -> None:
    from softlogit._dask._cluster import connect

    client = connect(on_cluster.scheduler.address, timeout=10.0)
    try:
        assert len(client.scheduler_info()["workers"]) == 2
    finally:
        client.close()
