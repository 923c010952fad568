"""The seed's experiment: networks 0, 1, 2 on one base network, trained side by side.

Describe an experiment with an :class:`ExperimentSpec`, run it with
:func:`run_experiment` and read the :class:`ExperimentResult`: trajectories of every
network, pairwise comparisons with verdicts explained by the theory (T3-T6 of the
design), conserved sums, the first-step head-movement ratio and the answers to the
seed's two questions in words.
"""

from __future__ import annotations

from softlogit.experiment._result import (
    ConservedSum,
    DataInfo,
    ExperimentResult,
    HeadMovement,
    PairComparison,
    Trajectory,
)
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
from softlogit.experiment._theory import (
    THEOREM_STEPS,
    THEOREMS,
    function_tolerance,
    rounding_tolerance,
)

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "OPTIONS",
    "THEOREMS",
    "THEOREM_STEPS",
    "ConservedSum",
    "DataInfo",
    "DataSpec",
    "ExperimentResult",
    "ExperimentSpec",
    "HeadMovement",
    "InitSpec",
    "ModelSpec",
    "OptionInfo",
    "PairComparison",
    "PreparedExperiment",
    "TrainingSpec",
    "Trajectory",
    "available_engines",
    "default_networks",
    "default_pairs",
    "function_tolerance",
    "network_names",
    "prepare_experiment",
    "rounding_tolerance",
    "run_experiment",
]
