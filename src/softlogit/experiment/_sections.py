"""The four sections of the experiment spec: data, model, initialization, training.

Each section is an immutable dataclass whose fields are options of the spec
(:data:`softlogit.experiment.OPTIONS`). Its values are checked, on construction,
against a table of constraints (:mod:`softlogit._validation`): a value of the wrong
type raises :class:`~softlogit.InputTypeError`, a value out of range
:class:`~softlogit.InputValueError`, each naming the option. Integer options also
take integral floats (``2000.0``, as TOML and JSON may write them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from softlogit._optimizers import OPTIMIZER_NAMES, OptimizerSpec
from softlogit._typing import Gauge
from softlogit._validation import (
    NONE,
    Boolean,
    Constraint,
    Integer,
    Options,
    Real,
    check_param,
)
from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "DTYPES",
    "INIT_FROM",
    "INIT_GAUGES",
    "WEIGHT_DECAY_MODES",
    "DataSpec",
    "DatasetName",
    "InitSpec",
    "ModelSpec",
    "TrainingSpec",
]

Activation = Literal["tanh", "relu", "sigmoid", "identity"]
ACTIVATIONS: tuple[str, ...] = get_args(Activation)
DatasetName = Literal["breast_cancer", "iris", "wine", "digits", "synthetic", "csv"]
DATASETS: tuple[str, ...] = get_args(DatasetName)
DTYPES: tuple[str, ...] = ("float64", "float32")
INIT_FROM: tuple[str, ...] = ("softmax", "sigmoid")
INIT_GAUGES: tuple[str, ...] = ("centered", "reference")
WEIGHT_DECAY_MODES: tuple[str, ...] = ("coupled", "decoupled")
_MOMENTUM_OPTIMIZERS = ("momentum", "nesterov")
_POSITIVE = Real(0, None, low_open=True)
_FRACTION = Real(0, 1, high_open=True)
# counts of steps are stored as int64 (the recorded steps)
_INT64_MAX = 2**63 - 1

DATA_CONSTRAINTS: dict[str, Constraint] = {
    "dataset": Options(DATASETS),
    "n_samples": Integer(low=4),
    "n_features": Integer(low=1),
    "n_classes": Integer(low=2),
    "standardize": Boolean(),
    "test_size": Real(0, 1, low_open=True, high_open=True),
}
MODEL_CONSTRAINTS: dict[str, Constraint] = {"activation": Options(ACTIVATIONS)}
INIT_CONSTRAINTS: dict[str, Constraint] = {
    "init_from": Options(INIT_FROM),
    "gauge": Options(INIT_GAUGES),
}
TRAINING_CONSTRAINTS: dict[str, Constraint] = {
    "optimizer": Options(OPTIMIZER_NAMES),
    "lr": _POSITIVE,
    "momentum": _FRACTION,  # (0, 1) for momentum and nesterov, see TrainingSpec
    "beta1": _FRACTION,
    "beta2": _FRACTION,
    "eps": Real(0),
    "weight_decay": Real(0),
    "weight_decay_mode": (Options(WEIGHT_DECAY_MODES), NONE),
    "base_lr_multiplier": _POSITIVE,
    "head_lr_multiplier": _POSITIVE,
    "batch_size": (Integer(low=1, high=_INT64_MAX), NONE),
    "steps": Integer(low=1, high=_INT64_MAX),
    "dtype": Options(DTYPES),
    "record_every": (Integer(low=1, high=_INT64_MAX), NONE),
}


def _wants_integer(constraint: Constraint) -> bool:
    if isinstance(constraint, tuple):
        return any(_wants_integer(c) for c in constraint)
    return isinstance(constraint, Integer)


def check_fields(section: object, table: Mapping[str, Constraint]) -> None:
    """Check the fields of a frozen ``section`` named in ``table``, in its order.

    Each field is replaced by its normalized value (floats for real options, ints
    for integer options, which also take integral floats).
    """
    for name, constraint in table.items():
        value = getattr(section, name)
        if (
            isinstance(value, float)
            and value.is_integer()
            and _wants_integer(constraint)
        ):
            value = int(value)
        object.__setattr__(section, name, check_param(name, value, constraint))


def _optional_text(name: str, value: object, what: str) -> None:
    if value is not None and not isinstance(value, str):
        raise InputTypeError(f"`{name}` must be {what}; got {value!r}.")


@dataclass(frozen=True)
class DataSpec:
    """Which data, how it is standardized and split.

    Parameters
    ----------
    dataset : {'breast_cancer', 'iris', 'wine', 'digits', 'synthetic', 'csv'}
        A scikit-learn toy data set, a seeded synthetic one, or a CSV file (``csv``
        and ``target`` then name the file and the label column).
    csv : str, optional
        Path of the CSV file (header row, numeric feature columns).
    target : str, optional
        Name of the label column of the CSV file.
    features : tuple of str, optional
        The CSV file's feature columns (also ``"a,b"``); default every column but
        ``target``.
    n_samples, n_features, n_classes : int
        Size of the synthetic data set (defaults 500, 10, 2).
    standardize : bool, default=True
        Center and scale every feature with the training split's mean and standard
        deviation.
    test_size : float, default=0.25
        Fraction of the samples held out, in (0, 1), stratified by class.
    """

    dataset: DatasetName = "breast_cancer"
    csv: str | None = None
    target: str | None = None
    features: tuple[str, ...] | None = None
    n_samples: int = 500
    n_features: int = 10
    n_classes: int = 2
    standardize: bool = True
    test_size: float = 0.25

    def __post_init__(self) -> None:
        check_fields(self, DATA_CONSTRAINTS)
        _optional_text("csv", self.csv, "a file path")
        _optional_text("target", self.target, "a column name")
        if self.features is not None:
            object.__setattr__(self, "features", _column_names(self.features))
            if self.dataset != "csv":
                raise InputValueError(
                    f"`features` selects columns of a CSV file (`dataset` 'csv'); got "
                    f"dataset {self.dataset!r}."
                )
            if self.target in self.features:
                raise InputValueError(
                    f"`features` must not include the `target` {self.target!r}."
                )
        if self.dataset == "csv":
            if self.csv is None:
                raise InputValueError("`csv` must name a file when `dataset` is 'csv'.")
            if self.target is None:
                raise InputValueError(
                    "`target` must name the label column of the CSV file "
                    f"{self.csv!r}; got none."
                )
        elif self.csv is not None:
            raise InputValueError(
                f"`csv` is only used with `dataset` 'csv'; got dataset "
                f"{self.dataset!r} and csv {self.csv!r}."
            )


def _column_names(value: object) -> tuple[str, ...]:
    """``features`` as a tuple of distinct column names (also from ``"a,b"``)."""
    names = (
        tuple(p.strip() for p in value.split(",") if p.strip())
        if isinstance(value, str)
        else value
    )
    if not isinstance(names, (tuple, list)) or not all(
        isinstance(n, str) for n in names
    ):
        raise InputTypeError(
            f"`features` must be a sequence of column names; got {value!r}."
        )
    if not names or len(set(names)) != len(names) or not all(names):
        raise InputValueError(
            "`features` must name distinct columns, at least one; got "
            f"{tuple(names)!r}."
        )
    return tuple(names)


@dataclass(frozen=True)
class ModelSpec:
    """The base network shared by all networks of the experiment.

    Parameters
    ----------
    hidden : tuple of int, default=(16,)
        Sizes of the hidden layers; ``()`` means no hidden layer (the heads act on the
        inputs: plain logistic/softmax regression).
    activation : {'tanh', 'relu', 'sigmoid', 'identity'}, default='tanh'
        Activation of every hidden layer.

    Notes
    -----
    Layers are initialized as PyTorch's ``nn.Linear``: weight and bias uniform on
    :math:`[-1/\\sqrt{\\text{fan\\_in}}, 1/\\sqrt{\\text{fan\\_in}}]`, from the
    experiment's seed.
    """

    hidden: tuple[int, ...] = (16,)
    activation: Activation = "tanh"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", _layer_sizes(self.hidden))
        check_fields(self, MODEL_CONSTRAINTS)


def _layer_sizes(hidden: object) -> tuple[int, ...]:
    """``hidden`` as a tuple of layer sizes: from an int, a sequence, or the command
    line's ``"16,8"`` / ``"16 8"`` / ``""`` (no hidden layer)."""
    given = hidden
    if isinstance(hidden, int) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if isinstance(hidden, str):
        parts = hidden.replace(",", " ").split()
        if not all(p.isdigit() for p in parts):
            raise InputValueError(
                "`hidden` must be a sequence of positive integers (layer sizes); "
                f"got {given!r}."
            )
        hidden = tuple(int(p) for p in parts)
    if not isinstance(hidden, (tuple, list)):
        raise InputTypeError(
            f"`hidden` must be a sequence of positive integers; got {hidden!r}."
        )
    message = (
        "`hidden` must be a sequence of positive integers (layer sizes); "
        f"got {tuple(hidden)!r}."
    )
    for h in hidden:
        if isinstance(h, bool) or not isinstance(h, int):
            raise InputTypeError(message)
        if h < 1:
            raise InputValueError(message)
    return tuple(hidden)


@dataclass(frozen=True)
class InitSpec:
    """How the networks are given the same starting function.

    Parameters
    ----------
    init_from : {'softmax', 'sigmoid'}, default='softmax'
        Which head is drawn at random. ``'softmax'``: the K-unit head (rows
        :math:`w_k`, biases :math:`b_k`) is drawn; the reference-class heads get
        :math:`v_k = w_k - w_0` (for K = 2 network 1 gets :math:`w = w_2 - w_1`).
        ``'sigmoid'``: the (K-1)-unit reference head is drawn and the K-unit heads are
        obtained in ``gauge``.
    gauge : {'centered', 'reference'}, default='centered'
        The inverse map for ``init_from='sigmoid'``: ``'centered'`` gives rows summing
        to zero (:math:`\\pm w/2` for K = 2), ``'reference'`` puts zeros in class 0.
    """

    init_from: Literal["softmax", "sigmoid"] = "softmax"
    gauge: Gauge = "centered"

    def __post_init__(self) -> None:
        check_fields(self, INIT_CONSTRAINTS)


@dataclass(frozen=True)
class TrainingSpec:
    """The training procedure, identical for every network.

    Parameters
    ----------
    optimizer : {'sgd', 'momentum', 'nesterov', 'adam', 'adamw'}, default='sgd'
        Update rule with PyTorch's definitions (see :mod:`softlogit._optimizers`).
    lr : float, default=0.1
        Learning rate, > 0.
    momentum : float, default=0.9
        For ``'momentum'`` and ``'nesterov'``, in (0, 1).
    beta1, beta2 : float, default=0.9, 0.999
        Adam's moment coefficients, in [0, 1).
    eps : float, default=1e-8
        Adam's epsilon, >= 0.
    weight_decay : float, default=0.0
        Weight decay :math:`\\lambda \\ge 0` on every weight and bias.
    weight_decay_mode : {'coupled', 'decoupled'}, optional
        ``'coupled'``: L2 added to the gradient; ``'decoupled'``: parameters shrunk
        by :math:`1 - \\eta\\lambda` before the step. Default: decoupled for
        ``'adamw'``, coupled otherwise (``'adamw'`` with ``'coupled'`` is an error).
    base_lr_multiplier, head_lr_multiplier : float, default=1.0
        Per-group learning-rate factors (> 0) for the base network and the head.
        Network 1c multiplies its head factor by 2 on top of these.
    batch_size : int, optional
        Minibatch size; ``None`` (default) trains on the full batch. Minibatches
        follow one shuffled order per epoch, shared by all networks.
    steps : int, default=2000
        Number of optimizer steps, >= 1.
    dtype : {'float64', 'float32'}, default='float64'
        Floating type of parameters and computations.
    record_every : int, optional
        Record every this many steps; default ``ceil(steps / 100)``. Step 0, step 1
        and the last step are always recorded.
    """

    optimizer: Literal["sgd", "momentum", "nesterov", "adam", "adamw"] = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    weight_decay_mode: Literal["coupled", "decoupled"] | None = None
    base_lr_multiplier: float = 1.0
    head_lr_multiplier: float = 1.0
    batch_size: int | None = None
    steps: int = 2000
    dtype: Literal["float64", "float32"] = "float64"
    record_every: int | None = None

    def __post_init__(self) -> None:
        table = TRAINING_CONSTRAINTS
        if self.optimizer in _MOMENTUM_OPTIMIZERS:
            table = {**table, "momentum": Real(0, 1, low_open=True, high_open=True)}
        check_fields(self, table)
        if self.optimizer == "adamw" and self.weight_decay_mode == "coupled":
            raise InputValueError(
                "`weight_decay_mode` 'coupled' contradicts `optimizer` 'adamw' "
                "(AdamW decouples weight decay); use optimizer 'adam' for coupled "
                "L2."
            )

    @property
    def decoupled(self) -> bool:
        """Whether weight decay is decoupled (``'adamw'`` or ``'decoupled'`` mode)."""
        return self.optimizer == "adamw" or self.weight_decay_mode == "decoupled"

    @property
    def record_interval(self) -> int:
        """The recording interval in steps (``record_every`` or its default)."""
        if self.record_every is not None:
            return self.record_every
        return max(1, math.ceil(self.steps / 100))

    def optimizer_spec(self) -> OptimizerSpec:
        """The :class:`~softlogit._optimizers.OptimizerSpec` of this procedure."""
        return OptimizerSpec(
            self.optimizer,
            lr=self.lr,
            momentum=self.momentum if self.optimizer != "sgd" else 0.9,
            betas=(self.beta1, self.beta2),
            eps=self.eps,
            weight_decay=self.weight_decay,
            decoupled_weight_decay=self.decoupled,
        )
