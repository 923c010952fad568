"""Fits on a cluster whose workers are lost for good end with a clear error.

A single worker death is recovered (tests/test_dask_cluster.py). Here the deaths
repeat: a block that kills every worker that computes it (Dask gives up on its
task after ``distributed.scheduler.allowed-failures`` deaths), and workers killed
mid-fit whose replacements die while starting (their nannies close: no worker is
ever running again, and Dask's scheduler alone would wait forever). Each test
starts its own cluster of two worker processes on 127.0.0.1 and stops it.
"""

from __future__ import annotations

import contextvars
import os
import pickle
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster

from softlogit import SoftmaxRegression, WorkersLostError
from softlogit._dask import Pass, progress
from softlogit._dask._workers import no_workers_timeout
from softlogit._testing.dask_data import dask_data, parquet_parts

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask-cluster")]

# Generous for a loaded two-core machine: the failures themselves take seconds
# (worker processes that die and start again), the waits are set to 3 s below.
ENDS_WITHIN = 120.0


def _raised_within(seconds: float, fit: Callable[[], object]) -> BaseException:
    """What ``fit()`` raised, run in a thread (with this context: the progress
    callback); the test fails if it has not ended within ``seconds`` (a hang) or
    returned."""
    outcome: list[BaseException | None] = []
    context = contextvars.copy_context()

    def run() -> None:
        try:
            context.run(fit)
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        pytest.fail(f"the fit did not end within {seconds:g} s")
    if outcome[0] is None:
        pytest.fail("the fit ended without an error")
    return outcome[0]


def _cluster(**kwargs: Any) -> tuple[LocalCluster, Client]:
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        memory_limit="1GiB",
        silence_logs=50,
        **kwargs,
    )
    return cluster, Client(cluster, set_as_default=True)


def _kill_own_worker(block: np.ndarray, victim: int, block_info: Any = None) -> Any:
    """The block unchanged, except block ``victim``: its worker process dies."""
    if block_info[0]["chunk-location"][0] == victim:
        os.kill(os.getpid(), signal.SIGKILL)
    return block


def test_a_task_that_kills_its_workers_ends_the_fit() -> None:
    """Every worker that computes block 1 dies: after allowed-failures + 1
    deaths Dask gives up on the task, and the fit raises WorkersLostError naming
    the deaths and the setting."""
    allowed = 1
    with dask.config.set({"distributed.scheduler.allowed-failures": allowed}):
        cluster, client = _cluster()
    try:
        X, y, sw = dask_data(4_000, 3, 3, 1_000, seed=1)
        X = X.map_blocks(_kill_own_worker, 1, dtype=X.dtype)
        exc = _raised_within(
            ENDS_WITHIN, lambda: SoftmaxRegression(C=1.0).fit(X, y, sample_weight=sw)
        )
    finally:
        client.close()
        cluster.close()
    assert isinstance(exc, WorkersLostError), repr(exc)
    assert exc.kind == "killed"
    assert re.search(rf"died {allowed + 1} times while running task", str(exc))
    assert f"`distributed.scheduler.allowed-failures` = {allowed} deaths" in str(exc)
    # Dask counts a death against every task the worker was processing: the
    # task given up on is the poisoned block's or one sent with it.
    assert type(exc.__cause__).__name__ == "KilledWorker"
    assert exc.task == str(exc.__cause__.task)
    assert exc.task in str(exc)
    assert isinstance(exc, RuntimeError)
    copy = pickle.loads(pickle.dumps(exc))
    assert (copy.kind, copy.task, str(copy)) == (exc.kind, exc.task, str(exc))


@pytest.fixture
def refusing_restarts(tmp_path: Path) -> Iterator[Path]:
    """A worker preload that makes every worker process started after ``flag``
    exists die while it starts (as one over its memory limit would); yields
    ``flag``. (An exception in a preload is only logged: the process exits.)"""
    flag = tmp_path / "refuse"
    preload = tmp_path / "refuse_restart.py"
    preload.write_text(
        f"import os\n\nif os.path.exists({str(flag)!r}):\n    os._exit(3)\n"
    )
    os.environ["SOFTLOGIT_TEST_PRELOAD"] = str(preload)
    try:
        yield flag
    finally:
        del os.environ["SOFTLOGIT_TEST_PRELOAD"]


@pytest.mark.parametrize("where", ["scheduler", "client"])
def test_workers_that_do_not_come_back_end_the_fit(
    refusing_restarts: Path, where: str
) -> None:
    """Both workers killed in the fit's second pass, their replacements fail to
    start: no worker runs again. After ``distributed.scheduler.no-workers-timeout``
    the fit raises WorkersLostError, whether the scheduler was started with the
    setting (Dask's NoWorkerError) or only the client has it (its own watch)."""
    timeout = {"distributed.scheduler.no-workers-timeout": "3s"}
    with dask.config.set(timeout if where == "scheduler" else {}):
        cluster, client = _cluster(preload=[os.environ["SOFTLOGIT_TEST_PRELOAD"]])
    pids = client.run(os.getpid)

    def on_pass(p: Pass) -> None:
        if p.index == 1:  # the check pass done: no worker for the next one
            refusing_restarts.touch()
            for pid in pids.values():
                os.kill(pid, signal.SIGKILL)

    try:
        X, y, sw = dask_data(4_000, 3, 3, 1_000, seed=1)
        started = time.monotonic()
        with dask.config.set(timeout), progress(on_pass):
            exc = _raised_within(
                ENDS_WITHIN,
                lambda: SoftmaxRegression(C=1.0).fit(X, y, sample_weight=sw),
            )
        elapsed = time.monotonic() - started
    finally:
        client.close()
        cluster.close()
    assert isinstance(exc, WorkersLostError), repr(exc)
    assert elapsed >= 3.0
    assert exc.kind == "no-workers"
    assert "no Dask worker was running for 3 s" in str(exc)
    assert "`distributed.scheduler.no-workers-timeout`" in str(exc)
    cause = exc.__cause__
    assert (type(cause).__name__ == "NoWorkerError") == (where == "scheduler")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"distributed.scheduler.no-workers-timeout": "90s"}, 90.0),
        ({"distributed.scheduler.no-workers-timeout": None}, 300.0),
        (
            {
                "distributed.scheduler.no-workers-timeout": None,
                "distributed.scheduler.worker-ttl": "1 minute",
            },
            60.0,
        ),
        (
            {
                "distributed.scheduler.no-workers-timeout": None,
                "distributed.scheduler.worker-ttl": None,
            },
            None,
        ),
    ],
    ids=["no-workers-timeout", "worker-ttl-default", "worker-ttl", "none"],
)
def test_no_workers_timeout_follows_dask_config(
    config: dict[str, Any], expected: float | None
) -> None:
    """Dask's documented defaults: no-workers-timeout null, worker-ttl 5 minutes."""
    with dask.config.set(config):
        assert no_workers_timeout() == expected


@pytest.mark.parametrize("out", ["file", "stdout"])
def test_predict_on_a_cluster_without_workers_is_a_failed_run(
    refusing_restarts: Path, tmp_path: Path, run_cli: Any, out: str
) -> None:
    """`softlogit predict` to one CSV file (or standard output) computes partition
    by partition on the cluster: with every worker gone for good it ends after
    `distributed.scheduler.no-workers-timeout` with `error: ...`, exit 1, and no
    output file."""
    frame = parquet_parts(tmp_path, 2, 30, seed=2)
    model = SoftmaxRegression(C=1.0).fit(frame[["a", "b"]], frame["kind"])
    model_path = model.save(tmp_path / "model.json")
    cluster, client = _cluster(preload=[os.environ["SOFTLOGIT_TEST_PRELOAD"]])
    try:
        refusing_restarts.touch()
        for pid in client.run(os.getpid).values():
            os.kill(pid, signal.SIGKILL)
        target = tmp_path / "predictions.csv"
        argv = ["predict", str(model_path), str(tmp_path / "p*.parquet")]
        argv += ["--scheduler", cluster.scheduler_address]
        argv += ["--out", str(target)] if out == "file" else []
        with dask.config.set({"distributed.scheduler.no-workers-timeout": "3s"}):
            code, _, err = run_cli(*argv)
    finally:
        client.close()
        cluster.close()
    assert code == 1, err
    assert "error: no Dask worker was running for 3 s" in err
    assert "Traceback" not in err
    assert not target.exists()
