"""One row of the atlas: an experiment's networks trained, compared and summarized.

For every cell and seed of a sweep (:class:`~softlogit.experiment.SweepGrid`), a row
holds the resolved spec and, at the end of training and at its largest along the
way, the gaps of the pairs of :data:`PAIRS` in the weights (relative: both, the
head, the base), the test probabilities, the test labels, the test accuracy and the
test loss; each network's final test loss and accuracy; the pairs' verdicts; and the
weight gap of every pair at each recorded step. Rows are flat mappings of plain
values (str, int, float, None, lists of float), as stored in Parquet.

The networks of every row are 0, 1, 2, 1c, the one-ulp sensitivity control 0-ulp and
the natural-variability baseline ``1r``: network 1 from the initialization of seed
``s + 1``, trained on the split and the minibatch order of seed ``s``. Its gap to
network 1 is what two random initializations differ by under the same procedure.
The networks of many rows train together (:func:`train_batched`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np

from softlogit.experiment._batched import BatchJob, stack_key, train_batched
from softlogit.experiment._compare import compare_pair, explain_by_control
from softlogit.experiment._comparisons import PairComparison
from softlogit.experiment._data import Dataset
from softlogit.experiment._networks import NetworkDef, initial_params, network_def
from softlogit.experiment._result import Trajectory
from softlogit.experiment._run import prepare_experiment
from softlogit.experiment._spec import ExperimentSpec
from softlogit.experiment._sweep_grid import MEASURE_VERSION, cell_key, row_key

__all__ = [
    "GAP_METRICS",
    "NETWORKS",
    "PAIRS",
    "measure_rows",
]

#: the networks of every row (``1r``: network 1 from another initialization)
NETWORKS: tuple[str, ...] = ("0", "1", "2", "1c", "0-ulp", "1r")

#: pair id -> the two networks; ``baseline`` is the natural variability, ``ulp``
#: the sensitivity control
PAIRS: dict[str, tuple[str, str]] = {
    "0v1": ("0", "1"),
    "2v1": ("2", "1"),
    "0v2": ("0", "2"),
    "0v1c": ("0", "1c"),
    "ulp": ("0", "0-ulp"),
    "baseline": ("1", "1r"),
}

#: gap name -> the per-step metrics of a pair whose larger value it is
#: (``accuracy`` is computed from the networks' test accuracies)
GAP_METRICS: dict[str, tuple[str, ...]] = {
    "weights": ("base_max_rel", "head_max_rel"),
    "head": ("head_max_rel",),
    "base": ("base_max_rel",),
    "proba": ("proba_test_max_abs",),
    "labels": ("label_disagreement_test",),
    "loss": ("test_loss_diff",),
    "accuracy": (),
}

_BASELINE = NetworkDef(
    "1r",
    "sigmoid",
    description="network 1 from the initialization of the next seed",
)
# the stacks stay within the caches: networks x samples x width (floats)
_STACK_FLOATS = 48_000
_MAX_STACK = 64


def _jobs(spec: ExperimentSpec) -> list[BatchJob]:
    """The six networks of one row, ready to train."""
    prep = prepare_experiment(spec.replace(networks=NETWORKS[:-1], pairs=None))
    jobs = [
        BatchJob(spec, net, prep.data, initial_params(net, prep.inits), prep.batches)
        for net in prep.networks.values()
    ]
    other = prepare_experiment(spec.replace(seed=spec.seed + 1, networks=("1",)))
    jobs.append(
        BatchJob(spec, _BASELINE, prep.data, other.inits["sigmoid"], prep.batches)
    )
    return jobs


def _data_key(data: Dataset, seen: dict[int, bytes]) -> bytes:
    """A digest of a data split's training and test arrays (equal data, equal key)."""
    if id(data) not in seen:
        digest = hashlib.sha256()
        for a in (data.X_train, data.y_train, data.X_test, data.y_test):
            digest.update(np.ascontiguousarray(a).tobytes())
        seen[id(data)] = digest.digest()
    return seen[id(data)]


def _stacks(jobs: Sequence[BatchJob]) -> list[list[int]]:
    """Indices of ``jobs`` by stack, each stack small enough for the caches.

    Full-batch networks stack with the networks of the same data (which the stack
    then holds once), minibatch networks with any (their batches are gathered every
    step).
    """
    groups: dict[tuple[object, ...], list[int]] = {}
    seen: dict[int, bytes] = {}
    for i, job in enumerate(jobs):
        key = stack_key(job)
        if job.batches is None:
            key = (*key, _data_key(job.data, seen))
        groups.setdefault(key, []).append(i)
    out: list[list[int]] = []
    for idx in groups.values():
        job = jobs[idx[0]]
        n = job.data.info.n_train
        width = max(job.spec.model.hidden, default=1)
        if job.batches is not None and job.spec.training.batch_size is not None:
            n = job.spec.training.batch_size
            width = max(width, job.data.info.n_features)
        cap = max(1, min(_MAX_STACK, _STACK_FLOATS // max(1, n * width)))
        out += [idx[i : i + cap] for i in range(0, len(idx), cap)]
    return out


def _gap(p: PairComparison, names: Sequence[str], at: int | None) -> float:
    """The larger of some per-step metrics, at record ``at`` (None: the largest)."""
    values = np.maximum.reduce([np.asarray(p.metrics[m], float) for m in names])
    return float(np.max(values) if at is None else values[at])


def _accuracy_gap(a: Trajectory, b: Trajectory, n: int) -> np.ndarray:
    assert a.test_accuracy is not None
    assert b.test_accuracy is not None
    gap: np.ndarray = np.abs(a.test_accuracy[:n] - b.test_accuracy[:n])
    return gap


def _pair_columns(
    pid: str, p: PairComparison, a: Trajectory, b: Trajectory
) -> dict[str, object]:
    out: dict[str, object] = {f"{pid}_verdict": p.verdict.key}
    for gap, names in GAP_METRICS.items():
        if names:
            final, largest = _gap(p, names, -1), _gap(p, names, None)
        else:
            acc = _accuracy_gap(a, b, p.steps.size)
            final, largest = float(acc[-1]), float(np.max(acc))
        out[f"{pid}_{gap}"] = final
        out[f"{pid}_{gap}_max"] = largest
    weights = np.maximum(p.metrics["base_max_rel"], p.metrics["head_max_rel"])
    out[f"{pid}_curve"] = [float(v) for v in weights]
    return out


def _option_columns(spec: ExperimentSpec) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in spec.options().items():
        if name in ("networks", "pairs", "seed"):
            continue
        if isinstance(value, tuple):
            value = "/".join(map(str, value)) or "none"
        out[name] = value
    return out


def _row(
    spec: ExperimentSpec, trajectories: dict[str, Trajectory]
) -> dict[str, object]:
    tr = spec.training
    nets = {n: network_def(n, 2) for n in NETWORKS[:-1]}
    nets["1r"] = _BASELINE
    pairs = explain_by_control(
        [
            compare_pair(trajectories[a], trajectories[b], nets[a], nets[b], tr, 2)
            for a, b in PAIRS.values()
        ]
    )
    row: dict[str, object] = {
        "key": row_key(spec),
        "cell": cell_key(spec),
        "seed": spec.seed,
        **_option_columns(spec),
        "spec": json.dumps(spec.to_dict(), sort_keys=True),
        "measure": MEASURE_VERSION,
        "steps_recorded": [int(s) for s in trajectories["0"].steps],
    }
    for name in NETWORKS:
        t = trajectories[name]
        assert t.test_accuracy is not None
        row[f"net_{name}_train_loss"] = float(t.train_loss[-1])
        row[f"net_{name}_test_loss"] = float(t.test_loss[-1])
        row[f"net_{name}_test_accuracy"] = float(t.test_accuracy[-1])
        row[f"net_{name}_diverged_at"] = t.diverged_at
    for pid, p in zip(PAIRS, pairs, strict=True):
        a, b = (trajectories[n] for n in PAIRS[pid])
        row.update(_pair_columns(pid, p, a, b))
    row["seconds"] = float(sum(t.seconds for t in trajectories.values()))
    return row


def measure_rows(specs: Sequence[ExperimentSpec]) -> list[dict[str, object]]:
    """Train and compare the networks of every spec; one row each, in order.

    The networks of all specs train in stacks (:func:`train_batched`) grouped by
    shape and procedure, so a batch of rows of one optimizer and batch size at
    several learning rates and seeds trains at once.

    Parameters
    ----------
    specs : sequence of ExperimentSpec
        Two-class experiments (cells of a :class:`SweepGrid` with their seeds).

    Returns
    -------
    list of dict
        One row per spec (see the module documentation for its columns).
    """
    jobs: list[BatchJob] = []
    owner: list[int] = []
    for i, spec in enumerate(specs):
        made = _jobs(spec)
        jobs += made
        owner += [i] * len(made)
    trained: list[Trajectory | None] = [None] * len(jobs)
    for idx in _stacks(jobs):
        for i, traj in zip(idx, train_batched([jobs[i] for i in idx]), strict=True):
            trained[i] = traj
    per_spec: list[dict[str, Trajectory]] = [{} for _ in specs]
    for i, done in enumerate(trained):
        assert done is not None
        per_spec[owner[i]][done.name] = done
    return [_row(spec, t) for spec, t in zip(specs, per_spec, strict=True)]
