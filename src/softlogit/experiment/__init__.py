"""The seed's experiment: networks 0, 1, 2 on one base network, trained side by side.

Describe an experiment with an :class:`ExperimentSpec`, run it with
:func:`run_experiment` and read the :class:`ExperimentResult`: trajectories of every
network, pairwise comparisons with verdicts (:class:`Verdict`) explained by the theory
(T3-T6 of :data:`THEOREMS`, each proved by a step of ``softlogit derive``), conserved
sums, the first-step head-movement ratio and the answers to the seed's two questions
(:class:`Answer`). A sensitivity control (network ``0-ulp``: network 0 from one
initial weight moved by one ulp) tells rounding amplification from real difference.

The atlas maps where networks 0 and 1 end with similar weights: :class:`SweepGrid`
describes a grid of experiments (optimizers, learning rates, batch sizes, widths,
data, seeds), :func:`run_sweep` trains it (many networks at once, in parallel
processes or on Dask) into rows stored in Parquet, and :func:`build_atlas` turns the
rows into heat maps and findings (``softlogit sweep``).

Three engines train the same spec and return the same result type: ``'numpy'``
(hand-written forward and backward passes, PyTorch's optimizer definitions; the
reference), ``'torch'`` (autograd and ``torch.optim``) and ``'keras'`` (Keras 3
variables and optimizers on any Keras backend). In float64 the NumPy and PyTorch
engines agree to about 1e-15; Keras agrees too except for Adam, whose epsilon Keras
places differently. ``'keras-fit'`` trains the networks as a learner writes them in
Keras (softmax and sigmoid heads, ``model.fit``) and records the loss path Keras took
for each (:attr:`Trajectory.loss_path`); ``'keras-fit-logits'`` is the same with
losses ``from_logits=True``.

Examples
--------
>>> from softlogit.experiment import ExperimentSpec, run_experiment
>>> result = run_experiment(ExperimentSpec().replace(steps=100, hidden=(8,)))
>>> for pair in result.pairs:
...     print(pair.name, "|", pair.verdict, "|", pair.theorem)
0 vs 2 | identical up to rounding | T4
0 vs 1 | different | T5
2 vs 1 | different | T5
0 vs 1c | identical up to rounding | T5
0 vs 0-ulp | identical up to rounding |
>>> round(result.head_movements[0].ratio, 12)
2.0
"""

from __future__ import annotations

from softlogit.experiment._answers import QUESTIONS, Answer
from softlogit.experiment._atlas import Atlas, AtlasCell, Finding, build_atlas
from softlogit.experiment._comparisons import (
    ConservedSum,
    HeadMovement,
    PairComparison,
)
from softlogit.experiment._result import DataInfo, ExperimentResult, Trajectory
from softlogit.experiment._run import (
    PreparedExperiment,
    available_engines,
    prepare_experiment,
    run_experiment,
)
from softlogit.experiment._spec import (
    ACTIVATIONS,
    DATASETS,
    OPTIONS,
    DataSpec,
    ExperimentSpec,
    InitSpec,
    ModelSpec,
    OptionInfo,
    TrainingSpec,
    default_networks,
    default_pairs,
    network_names,
)
from softlogit.experiment._sweep_grid import DEFAULT_GRID, SweepGrid
from softlogit.experiment._sweep_run import run_sweep
from softlogit.experiment._theory import (
    THEOREM_STEPS,
    THEOREMS,
    function_tolerance,
    rounding_tolerance,
)
from softlogit.experiment._verdict import Verdict

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "DEFAULT_GRID",
    "OPTIONS",
    "QUESTIONS",
    "THEOREMS",
    "THEOREM_STEPS",
    "Answer",
    "Atlas",
    "AtlasCell",
    "ConservedSum",
    "DataInfo",
    "DataSpec",
    "ExperimentResult",
    "ExperimentSpec",
    "Finding",
    "HeadMovement",
    "InitSpec",
    "ModelSpec",
    "OptionInfo",
    "PairComparison",
    "PreparedExperiment",
    "SweepGrid",
    "TrainingSpec",
    "Trajectory",
    "Verdict",
    "available_engines",
    "build_atlas",
    "default_networks",
    "default_pairs",
    "function_tolerance",
    "network_names",
    "prepare_experiment",
    "rounding_tolerance",
    "run_experiment",
    "run_sweep",
]
