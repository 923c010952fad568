"""A fit whose client loses its Dask scheduler ends at once with a clear error.

When the connection to the scheduler breaks, Dask cancels the client's submitted
work and tries to reconnect (for ``distributed.comm.timeouts.connect``, 30 s by
default); a pass submitted meanwhile would wait for results that never come. The
scheduler and a worker run here as separate processes on 127.0.0.1 (a
``LocalCluster``'s scheduler lives in the client's process and cannot be lost
alone); each test starts them and kills the scheduler mid-fit.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from distributed import Client

import softlogit._dask._workers as workers
from softlogit import LogisticRegression, SchedulerLostError
from softlogit._testing.dask_data import dask_data, parquet_parts

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask-cluster")]

# Far below the client's own reconnect timeout (CLIENT_TIMEOUT): an error this soon
# after the loss did not come from Dask giving up on reconnecting.
ENDS_WITHIN = 20.0
CLIENT_TIMEOUT = 120.0


class Processes:
    """A scheduler and one worker (no nanny), as processes on 127.0.0.1."""

    def __init__(self, directory: Path) -> None:
        self.file = directory / "scheduler.json"
        common = ["--scheduler-file", str(self.file), "--no-dashboard"]
        scheduler = ["distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
        worker = ["distributed.cli.dask_worker", "--nthreads", "1", "--no-nanny"]
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", *scheduler, "--port", "0", *common],
            stderr=subprocess.DEVNULL,
        )
        self.worker = subprocess.Popen(
            [sys.executable, "-m", *worker, "--memory-limit", "1GiB", *common],
            stderr=subprocess.DEVNULL,
        )

    def client(self) -> Client:
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        client = Client(
            scheduler_file=str(self.file), timeout=CLIENT_TIMEOUT, set_as_default=True
        )
        client.wait_for_workers(1, timeout=60)
        return client

    def kill_scheduler(self) -> None:
        self.scheduler.kill()
        self.scheduler.wait()

    def stop(self) -> None:
        for process in (self.worker, self.scheduler):
            process.kill()
            process.wait()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop()


def _killing_before(
    original: Callable[..., Any], processes: Processes, call: int
) -> Callable[..., Any]:
    """``original``, except that its ``call``-th call kills the scheduler first."""
    calls = [0]

    def wrapped(*args: Any) -> Any:
        calls[0] += 1
        if calls[0] == call:
            processes.kill_scheduler()
        return original(*args)

    return wrapped


@pytest.mark.parametrize("when", ["during a pass", "between passes"])
def test_a_fit_that_loses_its_scheduler_ends_at_once(
    processes: Processes, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """Killed while a pass waits for its results (the client's watch) or before
    a pass is submitted: SchedulerLostError names the scheduler, well before
    Dask's client gives up reconnecting, and the estimator keeps no fit."""
    client = processes.client()
    try:
        address = str(client.scheduler.address)
        Xd, yd, _ = dask_data(4000, 3, 2, 1000, seed=0)
        name = "_wait" if when == "during a pass" else "compute_on_cluster"
        monkeypatch.setattr(
            workers, name, _killing_before(getattr(workers, name), processes, 3)
        )
        model = LogisticRegression(C=1.0)
        started = time.monotonic()
        with pytest.raises(SchedulerLostError, match="lost the connection") as info:
            model.fit(Xd, yd)
        assert time.monotonic() - started < ENDS_WITHIN
    finally:
        client.close()
    assert info.value.address == address
    assert info.value.status in ("connecting", "closed")
    assert isinstance(info.value, RuntimeError)
    assert not hasattr(model, "coef_")
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.address, copy.status, str(copy)) == (
        address,
        info.value.status,
        str(info.value),
    )


def test_cli_fit_that_loses_its_scheduler_is_a_failed_run(
    processes: Processes, tmp_path: Path
) -> None:
    """`softlogit fit --scheduler`, the scheduler killed after the first pass:
    `error: ...` naming the loss, exit 1, soon, and none of Dask's own log records
    or tracebacks about its reconnecting on standard error."""
    import pandas as pd

    rng = np.random.default_rng(0)
    for i in range(4):
        X = rng.normal(size=(5000, 3))
        frame = pd.DataFrame(X, columns=["a", "b", "c"])
        frame["label"] = (X[:, 0] + rng.normal(size=5000) > 0).astype(int)
        frame.to_parquet(tmp_path / f"part{i}.parquet")
    client = processes.client()
    address = str(client.scheduler.address)
    client.close()
    command = [sys.executable, "-m", "softlogit", "fit"]
    command += [str(tmp_path / "part*.parquet"), "--target", "label"]
    command += ["--scheduler", address, "--connect-timeout", str(CLIENT_TIMEOUT)]
    lines = []
    killed_at = None
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as cli:
        assert cli.stderr is not None
        for line in cli.stderr:
            lines.append(line)
            if killed_at is None and line.startswith("pass"):
                processes.kill_scheduler()
                killed_at = time.monotonic()
        code = cli.wait(timeout=CLIENT_TIMEOUT)
    assert killed_at is not None, "".join(lines)
    assert time.monotonic() - killed_at < ENDS_WITHIN
    err = "".join(lines)
    assert code == 1, err
    assert lines[-1].startswith("error: lost the connection to the Dask scheduler")
    assert address in lines[-1]
    assert "Traceback" not in err
    assert "distributed." not in err


def test_cli_predict_that_loses_its_scheduler_writes_nothing(
    processes: Processes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Callable[..., tuple[int, str, str]],
) -> None:
    """`softlogit predict --scheduler ... --out FILE` computes partition by
    partition; the scheduler killed while the first partition is computed: exit 1,
    `error: lost the connection ...`, and no output file."""
    frame = parquet_parts(tmp_path, 3, 200, seed=3)
    model = LogisticRegression(C=1.0).fit(frame[["a", "b"]], frame["kind"])
    model_path = model.save(tmp_path / "model.json")
    client = processes.client()
    address = str(client.scheduler.address)
    client.close()
    monkeypatch.setattr(workers, "_wait", _killing_before(workers._wait, processes, 1))
    target = tmp_path / "predictions.csv"
    argv = ["predict", str(model_path), str(tmp_path / "p*.parquet")]
    argv += ["--scheduler", address, "--out", str(target)]
    started = time.monotonic()
    code, _, err = run_cli(*argv)
    assert time.monotonic() - started < ENDS_WITHIN + 10
    assert code == 1, err
    assert "error: lost the connection to the Dask scheduler" in err
    assert "Traceback" not in err
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.json",
        "p0.parquet",
        "p1.parquet",
        "p2.parquet",
        "scheduler.json",
    ]
