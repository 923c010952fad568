"""Run an experiment: data, equivalent initialization, training, comparison."""

from __future__ import annotations

import importlib
import importlib.util
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from softlogit._threads import single_blas_thread
from softlogit._typing import FloatArray, IntArray
from softlogit.errors import InputTypeError, InputValueError
from softlogit.experiment._answers import answer_questions
from softlogit.experiment._compare import (
    compare_pair,
    conserved_sum,
    explain_by_control,
    head_movement,
)
from softlogit.experiment._data import Dataset, load_data
from softlogit.experiment._engine_numpy import batch_schedule
from softlogit.experiment._memory import check_memory, known_shape
from softlogit.experiment._networks import (
    NetworkDef,
    init_params,
    initial_params,
    network_def,
)
from softlogit.experiment._result import ExperimentResult, Trajectory
from softlogit.experiment._spec import ExperimentSpec

__all__ = [
    "ENGINES",
    "PreparedExperiment",
    "available_engines",
    "prepare_experiment",
    "run_experiment",
]

# engine name -> (module, training function); a module that is not present is not
# offered. Every training function has the signature of
# softlogit.experiment._engine_numpy.train_numpy.
ENGINES: dict[str, tuple[str, str]] = {
    "numpy": ("softlogit.experiment._engine_numpy", "train_numpy"),
    "torch": ("softlogit.experiment._engine_torch", "train_torch"),
    "keras": ("softlogit.experiment._engine_keras", "train_keras"),
    "keras-fit": ("softlogit.experiment._engine_keras_fit", "train_keras_fit"),
    "keras-fit-logits": (
        "softlogit.experiment._engine_keras_fit",
        "train_keras_fit_logits",
    ),
}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PreparedExperiment:
    """Everything an engine needs, identical for all engines and networks.

    Attributes
    ----------
    data : Dataset
        The split, standardized data (float64, labels ``0 .. K-1``).
    networks : dict of str to NetworkDef
        The networks to train, in order.
    pairs : tuple of (str, str)
        The pairs to compare.
    inits : dict of str to list of ndarray
        Equivalent initial parameters per head kind (in the spec's dtype), in the
        order ``base.0.weight, base.0.bias, ..., head.weight, head.bias``.
    batches : list of ndarray or None
        Minibatch indices of every step (``None``: full batch).
    """

    data: Dataset
    networks: dict[str, NetworkDef]
    pairs: tuple[tuple[str, str], ...]
    inits: dict[str, list[FloatArray]]
    batches: list[IntArray] | None


def prepare_experiment(spec: ExperimentSpec) -> PreparedExperiment:
    """Load the data, draw the equivalent initialization and the minibatch order.

    The seed spawns three independent streams (data and split; initialization;
    minibatch order), so changing, say, the batch size leaves the split and the
    initial weights unchanged.

    Examples
    --------
    >>> from softlogit.experiment import ExperimentSpec, prepare_experiment
    >>> prep = prepare_experiment(ExperimentSpec())
    >>> list(prep.networks), prep.data.X_train.shape
    (['0', '1', '2', '1c', '0-ulp'], (426, 30))
    """
    data_seed, init_seed, batch_seed = np.random.SeedSequence(spec.seed).spawn(3)
    # refuse a spec that cannot fit in memory before allocating (after loading a
    # CSV file, whose shape is known only then)
    shape = known_shape(spec.data)
    if shape is not None:
        check_memory(spec, *shape)
    data = load_data(spec.data, data_seed)
    k = data.info.n_classes
    if shape is None:
        check_memory(
            spec, data.info.n_train + data.info.n_test, data.info.n_features, k
        )
    names = spec.resolved_networks(k)
    pairs = spec.resolved_pairs(k)
    nets = {n: network_def(n, k) for n in names}
    tr = spec.training
    inits = init_params(
        data.info.n_features,
        spec.model.hidden,
        k,
        sorted({d.head for d in nets.values()}),
        init_from=spec.init.init_from,
        gauge=spec.init.gauge,
        rng=np.random.default_rng(init_seed),
        dtype=np.dtype(tr.dtype),
    )
    batches = batch_schedule(
        data.info.n_train, tr.batch_size, tr.steps, np.random.default_rng(batch_seed)
    )
    return PreparedExperiment(data, nets, pairs, inits, batches)


def available_engines() -> tuple[str, ...]:
    """Names of the engines whose module is present.

    Examples
    --------
    >>> from softlogit.experiment import available_engines
    >>> "numpy" in available_engines()
    True
    """
    return tuple(
        name
        for name, (module, _) in ENGINES.items()
        if importlib.util.find_spec(module) is not None
    )


def run_experiment(
    spec: ExperimentSpec | None = None,
    *,
    engine: str = "numpy",
    progress: Progress | None = None,
) -> ExperimentResult:
    """Train every network of ``spec`` side by side and compare them.

    Parameters
    ----------
    spec : ExperimentSpec, optional
        The experiment; default ``ExperimentSpec()`` (breast cancer, one hidden layer
        of 16 tanh units, SGD with lr 0.1, full batch, 2000 steps, networks 0, 1, 2,
        1c).
    engine : str, default='numpy'
        Which implementation trains the networks (see :func:`available_engines`):
        ``'numpy'``, ``'torch'``, ``'keras'``, or ``'keras-fit'`` /
        ``'keras-fit-logits'`` (Keras models as a learner writes them, trained with
        ``model.fit``; see :mod:`softlogit.experiment._engine_keras_fit`).
    progress : callable, optional
        Called as ``progress(network, step, total_steps)`` at every recorded step.

    Returns
    -------
    ExperimentResult

    Raises
    ------
    InputValueError
        For an unknown engine, or data the spec cannot use (NaN, one class, missing
        CSV target column, ...); the message names the option. A ``ValueError``.
    InputTypeError
        If ``spec`` is not an :class:`ExperimentSpec` (a ``TypeError``).

    Examples
    --------
    >>> from softlogit.experiment import ExperimentSpec, run_experiment
    >>> spec = ExperimentSpec().replace(steps=50, hidden=(4,))
    >>> result = run_experiment(spec)
    >>> result.pair("0", "2").verdict
    'identical up to rounding'
    >>> result.pair("0", "1").verdict
    'different'
    >>> result.pair("0", "1c").verdict
    'identical up to rounding'
    """
    t_start = time.perf_counter()
    if spec is None:
        spec = ExperimentSpec()
    if not isinstance(spec, ExperimentSpec):
        raise InputTypeError(
            f"`spec` must be an ExperimentSpec; got {type(spec).__name__}."
        )
    available = available_engines()
    if engine not in available:
        raise InputValueError(
            f"`engine` must be one of {', '.join(map(repr, available))}; got {engine!r}."
        )
    module, attr = ENGINES[engine]
    train = getattr(importlib.import_module(module), attr)

    prepared = prepare_experiment(spec)
    data, nets, inits, batches = (
        prepared.data,
        prepared.networks,
        prepared.inits,
        prepared.batches,
    )
    k = data.info.n_classes
    names = tuple(nets)
    pairs = prepared.pairs
    tr = spec.training
    t_data = time.perf_counter()

    trajectories: dict[str, Trajectory] = {}
    # The experiment's matrices are small: a multi-threaded BLAS only adds
    # synchronization, so train on one thread.
    with single_blas_thread():
        for name, net in nets.items():
            trajectories[name] = train(
                net, data, spec, initial_params(net, inits), batches, progress
            )
    t_train = time.perf_counter()

    # the one-ulp control explains the drift of pairs the theory keeps identical
    comparisons = explain_by_control(
        [
            compare_pair(
                trajectories[a],
                trajectories[b],
                nets[a],
                nets[b],
                tr,
                k,
                y_train=data.y_train,
            )
            for a, b in pairs
        ]
    )
    conserved = [
        conserved_sum(trajectories[n], nets[n], tr, k)
        for n in names
        if nets[n].head in ("difference", "softmax") and not nets[n].perturbed
    ]
    movements = []
    if k == 2:
        full = next(
            (n for n in names if nets[n].head in ("difference", "softmax")), None
        )
        if full is not None:
            for n in ("1", "1c"):
                if n in trajectories:
                    movements.append(
                        head_movement(
                            trajectories[full], trajectories[n], nets[full], nets[n], tr
                        )
                    )
    answers = {
        a.key: a.explanation
        for a in answer_questions(comparisons, conserved, movements, tr)
    }
    t_end = time.perf_counter()

    from softlogit._version import version

    versions = {
        "softlogit": version(),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    if engine.startswith("keras"):
        from softlogit.experiment._keras_backend import (
            import_keras_backend,
            keras_versions,
        )

        versions.update(keras_versions(import_keras_backend()[0]))
    return ExperimentResult(
        spec=spec,
        engine=engine,
        data=data.info,
        trajectories=trajectories,
        pairs=comparisons,
        conserved=conserved,
        head_movements=movements,
        answers=answers,
        timings={
            "data": t_data - t_start,
            "train": t_train - t_data,
            "compare": t_end - t_train,
            "total": t_end - t_start,
        },
        versions=versions,
    )
