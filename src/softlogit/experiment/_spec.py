"""The experiment spec: one immutable description of data, networks and training.

Every field is a named *option* with a flat, unique name (``dataset``, ``hidden``,
``optimizer``, ``lr``, ...), so that the command line, TOML files and Python all use the
same vocabulary: :data:`OPTIONS` lists them with their defaults, accepted values and
help; :meth:`ExperimentSpec.replace` and :meth:`ExperimentSpec.from_options` take them
as keywords; :meth:`ExperimentSpec.from_toml` reads them from ``[data]``, ``[model]``,
``[init]``, ``[training]`` sections (or from the top level).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from softlogit._optimizers import OPTIMIZER_NAMES, OptimizerSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "OPTIONS",
    "DataSpec",
    "ExperimentSpec",
    "InitSpec",
    "ModelSpec",
    "OptionInfo",
    "TrainingSpec",
    "default_networks",
    "default_pairs",
    "network_names",
]

Activation = Literal["tanh", "relu", "sigmoid", "identity"]
ACTIVATIONS: tuple[str, ...] = get_args(Activation)
Dataset = Literal["breast_cancer", "iris", "wine", "digits", "synthetic", "csv"]
DATASETS: tuple[str, ...] = get_args(Dataset)
DTYPES: tuple[str, ...] = ("float64", "float32")
INIT_FROM: tuple[str, ...] = ("softmax", "sigmoid")
GAUGES: tuple[str, ...] = ("centered", "reference")
WEIGHT_DECAY_MODES: tuple[str, ...] = ("coupled", "decoupled")

# Networks by number of classes. For K = 2 the seed's networks 0, 1, 2 and "1c"
# (network 1 with head learning rate x2 and head weight decay x1/2); for any K the
# K-unit softmax head, the (K-1)-unit reference-class head and that head with the
# SGD-exact preconditioner P = I + 11^T.
BINARY_NETWORKS: tuple[str, ...] = ("0", "1", "2", "1c")
GENERAL_NETWORKS: tuple[str, ...] = ("softmax", "reference", "reference-P")


def network_names(n_classes: int) -> tuple[str, ...]:
    """The network names available for ``n_classes`` classes.

    Examples
    --------
    >>> from softlogit.experiment import network_names
    >>> network_names(2)
    ('0', '1', '2', '1c', 'softmax', 'reference', 'reference-P')
    >>> network_names(3)
    ('softmax', 'reference', 'reference-P')
    """
    if n_classes == 2:
        return BINARY_NETWORKS + GENERAL_NETWORKS
    return GENERAL_NETWORKS


def default_networks(n_classes: int) -> tuple[str, ...]:
    """Networks run when the spec leaves ``networks`` unset.

    ``('0', '1', '2', '1c')`` for two classes, ``('softmax', 'reference',
    'reference-P')`` otherwise.
    """
    return BINARY_NETWORKS if n_classes == 2 else GENERAL_NETWORKS


def default_pairs(networks: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Pairs compared when the spec leaves ``pairs`` unset.

    Network 0 (or, if it is not run, network 2) against 2, 1 and 1c (those that
    are run), and the softmax head against each reference head.

    Examples
    --------
    >>> from softlogit.experiment import default_pairs
    >>> default_pairs(("0", "1", "2", "1c"))
    (('0', '2'), ('0', '1'), ('0', '1c'))
    >>> default_pairs(("2", "1"))
    (('2', '1'),)
    """
    anchor = "0" if "0" in networks else "2"
    wanted = [(anchor, "2"), (anchor, "1"), (anchor, "1c")]
    wanted += [("softmax", "reference"), ("softmax", "reference-P")]
    return tuple(
        (a, b) for a, b in wanted if a != b and a in networks and b in networks
    )


def _choice(option: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"`{option}` must be one of {', '.join(map(repr, choices))}; got {value!r}."
        )
    return value


def _int(option: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(
                f"`{option}` must be an integer >= {minimum}; got {value!r}."
            )
    if value < minimum:
        raise ValueError(f"`{option}` must be an integer >= {minimum}; got {value!r}.")
    return value


def _float(
    option: str,
    value: object,
    *,
    low: float | None = None,
    low_open: bool = False,
    high: float | None = None,
    high_open: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"`{option}` must be a real number; got {value!r}.")
    out = float(value)
    lo = "-inf" if low is None else repr(low)
    hi = "inf" if high is None else repr(high)
    interval = f"{'(' if low_open or low is None else '['}{lo}, {hi}"
    interval += ")" if high_open or high is None else "]"
    bad = not math.isfinite(out)
    if low is not None:
        bad |= out <= low if low_open else out < low
    if high is not None:
        bad |= out >= high if high_open else out > high
    if bad:
        raise ValueError(
            f"`{option}` must be a finite number in {interval}; got {out!r}."
        )
    return out


def _bool(option: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"`{option}` must be true or false; got {value!r}.")
    return value


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
    n_samples, n_features, n_classes : int
        Size of the synthetic data set (defaults 500, 10, 2).
    standardize : bool, default=True
        Center and scale every feature with the training split's mean and standard
        deviation.
    test_size : float, default=0.25
        Fraction of the samples held out, in (0, 1), stratified by class.
    """

    dataset: Dataset = "breast_cancer"
    csv: str | None = None
    target: str | None = None
    n_samples: int = 500
    n_features: int = 10
    n_classes: int = 2
    standardize: bool = True
    test_size: float = 0.25

    def __post_init__(self) -> None:
        _choice("dataset", self.dataset, DATASETS)
        if self.csv is not None and not isinstance(self.csv, str):
            raise ValueError(f"`csv` must be a file path; got {self.csv!r}.")
        if self.target is not None and not isinstance(self.target, str):
            raise ValueError(f"`target` must be a column name; got {self.target!r}.")
        if self.dataset == "csv":
            if self.csv is None:
                raise ValueError("`csv` must name a file when `dataset` is 'csv'.")
            if self.target is None:
                raise ValueError(
                    "`target` must name the label column of the CSV file "
                    f"{self.csv!r}; got none."
                )
        elif self.csv is not None:
            raise ValueError(
                f"`csv` is only used with `dataset` 'csv'; got dataset "
                f"{self.dataset!r} and csv {self.csv!r}."
            )
        object.__setattr__(
            self, "n_samples", _int("n_samples", self.n_samples, minimum=4)
        )
        object.__setattr__(
            self, "n_features", _int("n_features", self.n_features, minimum=1)
        )
        object.__setattr__(
            self, "n_classes", _int("n_classes", self.n_classes, minimum=2)
        )
        _bool("standardize", self.standardize)
        object.__setattr__(
            self,
            "test_size",
            _float(
                "test_size",
                self.test_size,
                low=0,
                low_open=True,
                high=1,
                high_open=True,
            ),
        )


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
        hidden: object = self.hidden
        if isinstance(hidden, int) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if isinstance(hidden, str):
            # command-line form: "16,8", "16 8" or "" for no hidden layer
            parts = hidden.replace(",", " ").split()
            if not all(p.isdigit() for p in parts):
                raise ValueError(
                    "`hidden` must be a sequence of positive integers (layer sizes); "
                    f"got {self.hidden!r}."
                )
            hidden = tuple(int(p) for p in parts)
        if isinstance(hidden, str) or not isinstance(hidden, (tuple, list)):
            raise ValueError(
                f"`hidden` must be a sequence of positive integers; got {hidden!r}."
            )
        for h in hidden:
            if isinstance(h, bool) or not isinstance(h, int) or h < 1:
                raise ValueError(
                    "`hidden` must be a sequence of positive integers (layer sizes); "
                    f"got {tuple(hidden)!r}."
                )
        object.__setattr__(self, "hidden", tuple(hidden))
        _choice("activation", self.activation, ACTIVATIONS)


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
    gauge: Literal["centered", "reference"] = "centered"

    def __post_init__(self) -> None:
        _choice("init_from", self.init_from, INIT_FROM)
        _choice("gauge", self.gauge, GAUGES)


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
        _choice("optimizer", self.optimizer, OPTIMIZER_NAMES)
        setf = object.__setattr__
        setf(self, "lr", _float("lr", self.lr, low=0, low_open=True))
        if self.optimizer in ("momentum", "nesterov"):
            setf(
                self,
                "momentum",
                _float(
                    "momentum",
                    self.momentum,
                    low=0,
                    low_open=True,
                    high=1,
                    high_open=True,
                ),
            )
        else:
            setf(
                self,
                "momentum",
                _float("momentum", self.momentum, low=0, high=1, high_open=True),
            )
        setf(self, "beta1", _float("beta1", self.beta1, low=0, high=1, high_open=True))
        setf(self, "beta2", _float("beta2", self.beta2, low=0, high=1, high_open=True))
        setf(self, "eps", _float("eps", self.eps, low=0))
        setf(self, "weight_decay", _float("weight_decay", self.weight_decay, low=0))
        if self.weight_decay_mode is not None:
            _choice("weight_decay_mode", self.weight_decay_mode, WEIGHT_DECAY_MODES)
            if self.optimizer == "adamw" and self.weight_decay_mode == "coupled":
                raise ValueError(
                    "`weight_decay_mode` 'coupled' contradicts `optimizer` 'adamw' "
                    "(AdamW decouples weight decay); use optimizer 'adam' for coupled "
                    "L2."
                )
        for name in ("base_lr_multiplier", "head_lr_multiplier"):
            setf(self, name, _float(name, getattr(self, name), low=0, low_open=True))
        if self.batch_size is not None:
            setf(self, "batch_size", _int("batch_size", self.batch_size, minimum=1))
        setf(self, "steps", _int("steps", self.steps, minimum=1))
        _choice("dtype", self.dtype, DTYPES)
        if self.record_every is not None:
            setf(
                self, "record_every", _int("record_every", self.record_every, minimum=1)
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


@dataclass(frozen=True)
class OptionInfo:
    """One option of the experiment spec, for command lines and documentation.

    Attributes
    ----------
    name : str
        Flat option name (a field of one of the sections), e.g. ``'lr'``.
    section : {'data', 'model', 'init', 'training', 'experiment'}
        The TOML section and the attribute of :class:`ExperimentSpec` holding it.
    kind : {'str', 'int', 'float', 'bool', 'ints', 'names', 'pairs'}
        Value type: ``'ints'`` a tuple of integers (``hidden``), ``'names'`` a tuple of
        network names, ``'pairs'`` a tuple of name pairs.
    default : object
        Default value (``None`` means "automatic", see ``help``).
    choices : tuple of str or None
        Accepted values for string options with a fixed set.
    help : str
        One-line description.
    """

    name: str
    section: str
    kind: str
    default: object
    choices: tuple[str, ...] | None
    help: str


def _options() -> tuple[OptionInfo, ...]:
    kinds = {
        "hidden": "ints",
        "networks": "names",
        "pairs": "pairs",
    }
    choices: dict[str, tuple[str, ...]] = {
        "dataset": DATASETS,
        "activation": ACTIVATIONS,
        "init_from": INIT_FROM,
        "gauge": GAUGES,
        "optimizer": OPTIMIZER_NAMES,
        "weight_decay_mode": WEIGHT_DECAY_MODES,
        "dtype": DTYPES,
    }
    helps = {
        "dataset": "built-in data set, 'synthetic', or 'csv' (with --csv and --target)",
        "csv": "CSV file with a header row (implies dataset 'csv')",
        "target": "label column of the CSV file",
        "n_samples": "synthetic data: number of samples",
        "n_features": "synthetic data: number of features",
        "n_classes": "synthetic data: number of classes",
        "standardize": "standardize features with the training split's statistics",
        "test_size": "fraction of samples held out for testing, stratified",
        "hidden": "hidden layer sizes of the base network, e.g. 16 or 32,16 (none, 0 or empty: no hidden layer)",
        "activation": "activation of the hidden layers",
        "init_from": "which head is drawn at random; the others are mapped from it",
        "gauge": "gauge of the K-unit heads when init_from is 'sigmoid'",
        "optimizer": "update rule (PyTorch definitions)",
        "lr": "learning rate",
        "momentum": "momentum coefficient (momentum, nesterov)",
        "beta1": "Adam's first-moment coefficient",
        "beta2": "Adam's second-moment coefficient",
        "eps": "Adam's epsilon",
        "weight_decay": "weight decay strength on all parameters",
        "weight_decay_mode": "coupled (L2 in the gradient) or decoupled; default: "
        "decoupled for adamw, coupled otherwise",
        "base_lr_multiplier": "learning-rate factor of the base network",
        "head_lr_multiplier": "learning-rate factor of the head",
        "batch_size": "minibatch size (default: full batch)",
        "steps": "number of optimizer steps",
        "dtype": "floating type",
        "record_every": "record every this many steps (default: steps/100)",
        "networks": "networks to train (default: 0 1 2 1c for two classes, "
        "softmax reference reference-P otherwise)",
        "pairs": "pairs to compare, e.g. '0:2' (default: 0 against the others)",
        "seed": "seed of the split, the synthetic data, initialization and shuffling",
    }
    out: list[OptionInfo] = []
    sections: list[tuple[str, type]] = [
        ("data", DataSpec),
        ("model", ModelSpec),
        ("init", InitSpec),
        ("training", TrainingSpec),
    ]
    for section, cls in sections:
        for f in dataclasses.fields(cls):
            default = f.default
            if isinstance(default, bool):
                kind = "bool"
            elif f.name in kinds:
                kind = kinds[f.name]
            elif f.name in choices or f.name in ("csv", "target"):
                kind = "str"
            elif isinstance(default, float) or f.name in ("lr",):
                kind = "float"
            else:
                kind = "int"
            out.append(
                OptionInfo(
                    f.name, section, kind, default, choices.get(f.name), helps[f.name]
                )
            )
    out.append(
        OptionInfo("networks", "experiment", "names", None, None, helps["networks"])
    )
    out.append(OptionInfo("pairs", "experiment", "pairs", None, None, helps["pairs"]))
    out.append(OptionInfo("seed", "experiment", "int", 0, None, helps["seed"]))
    return tuple(out)


OPTIONS: tuple[OptionInfo, ...] = _options()
_SECTION_OF: dict[str, str] = {o.name: o.section for o in OPTIONS}
_SECTIONS = ("data", "model", "init", "training")


def _parse_pair(value: object) -> tuple[str, str]:
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) == 2 and all(parts):
            return parts[0], parts[1]
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
    ):
        return str(value[0]), str(value[1])
    raise ValueError(
        f"`pairs` entries must be 'A:B' or (A, B) with network names; got {value!r}."
    )


@dataclass(frozen=True)
class ExperimentSpec:
    """The whole experiment: data, base network, initialization, training, networks.

    Immutable; derive variants with :meth:`replace`. All engines take the same spec.

    Parameters
    ----------
    data : DataSpec
    model : ModelSpec
    init : InitSpec
    training : TrainingSpec
    networks : tuple of str, optional
        Networks to train; default :func:`default_networks` of the data's number of
        classes. Names: ``'0'``, ``'1'``, ``'2'``, ``'1c'`` (two classes only) and
        ``'softmax'``, ``'reference'``, ``'reference-P'``.
    pairs : tuple of (str, str), optional
        Pairs to compare; default :func:`default_pairs`. Both names must be in
        ``networks``.
    seed : int, default=0
        Seeds the split, synthetic data, initialization and minibatch order (through
        independent child streams of one :class:`numpy.random.SeedSequence`).

    Examples
    --------
    >>> from softlogit.experiment import ExperimentSpec
    >>> spec = ExperimentSpec().replace(optimizer="adam", lr=0.01, hidden=(8, 4))
    >>> spec.training.optimizer, spec.model.hidden
    ('adam', (8, 4))
    >>> ExperimentSpec().replace(activation="gelu")
    Traceback (most recent call last):
    ...
    ValueError: `activation` must be one of 'tanh', 'relu', 'sigmoid', 'identity'; got 'gelu'.
    """

    data: DataSpec = field(default_factory=DataSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    init: InitSpec = field(default_factory=InitSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    networks: tuple[str, ...] | None = None
    pairs: tuple[tuple[str, str], ...] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name, cls in (
            ("data", DataSpec),
            ("model", ModelSpec),
            ("init", InitSpec),
            ("training", TrainingSpec),
        ):
            if not isinstance(getattr(self, name), cls):
                raise TypeError(
                    f"`{name}` must be a {cls.__name__}; got "
                    f"{type(getattr(self, name)).__name__}."
                )
        if self.networks is not None:
            nets = self.networks
            if isinstance(nets, str):
                nets = tuple(nets.replace(",", " ").split())
            if not isinstance(nets, (tuple, list)) or not nets:
                raise ValueError(
                    f"`networks` must be a non-empty sequence of names; got {nets!r}."
                )
            allowed = BINARY_NETWORKS + GENERAL_NETWORKS
            for n in nets:
                if n not in allowed:
                    raise ValueError(
                        f"`networks` entries must be among "
                        f"{', '.join(map(repr, allowed))}; got {n!r}."
                    )
            if len(set(nets)) != len(nets):
                raise ValueError(f"`networks` has repeated names; got {tuple(nets)!r}.")
            object.__setattr__(self, "networks", tuple(str(n) for n in nets))
        if self.pairs is not None:
            pairs = self.pairs
            if isinstance(pairs, str):
                pairs = tuple(pairs.replace(",", " ").split())
            parsed = tuple(_parse_pair(p) for p in pairs)
            for a, b in parsed:
                if a == b:
                    raise ValueError(
                        f"`pairs` must compare two different networks; got {a!r}:{b!r}."
                    )
                if self.networks is not None:
                    for n in (a, b):
                        if n not in self.networks:
                            raise ValueError(
                                f"`pairs` names network {n!r}, which is not in "
                                f"`networks` {self.networks!r}."
                            )
            object.__setattr__(self, "pairs", parsed)
        object.__setattr__(self, "seed", _int("seed", self.seed, minimum=0))

    # -- construction ------------------------------------------------------------

    def replace(self, **overrides: object) -> ExperimentSpec:
        """A copy with some options changed, by flat option name.

        Parameters
        ----------
        **overrides
            Option names from :data:`OPTIONS` (``dataset``, ``hidden``, ``lr``, ...).
            Setting ``csv`` implies ``dataset='csv'`` unless ``dataset`` is given.

        Returns
        -------
        ExperimentSpec

        Raises
        ------
        ValueError
            For an unknown option (the message lists the accepted ones) or a value
            outside its range (the message names the option and its accepted values).
        """
        unknown = [k for k in overrides if k not in _SECTION_OF]
        if unknown:
            raise ValueError(
                f"unknown option {unknown[0]!r}; accepted options are "
                f"{', '.join(sorted(_SECTION_OF))}."
            )
        overrides = dict(overrides)
        if overrides.get("csv") is not None and "dataset" not in overrides:
            overrides["dataset"] = "csv"
        per_section: dict[str, dict[str, object]] = {}
        top: dict[str, object] = {}
        for key, value in overrides.items():
            section = _SECTION_OF[key]
            if section == "experiment":
                top[key] = value
            else:
                per_section.setdefault(section, {})[key] = value
        changes: dict[str, object] = dict(top)
        for section, values in per_section.items():
            changes[section] = dataclasses.replace(getattr(self, section), **values)
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_options(cls, options: Mapping[str, object]) -> ExperimentSpec:
        """Build a spec from flat options; keys whose value is ``None`` keep defaults.

        ``None`` means "not given" here (as for unset command-line options), so an
        option whose default is automatic stays automatic.

        Examples
        --------
        >>> from softlogit.experiment import ExperimentSpec
        >>> spec = ExperimentSpec.from_options({"steps": 100, "batch_size": None})
        >>> spec.training.steps, spec.training.batch_size
        (100, None)
        """
        return cls().replace(**{k: v for k, v in options.items() if v is not None})

    @classmethod
    def from_dict(cls, mapping: Mapping[str, object]) -> ExperimentSpec:
        """Build a spec from a nested mapping as written by :meth:`to_dict` or TOML.

        Sections ``data``, ``model``, ``init``, ``training`` hold their options;
        ``networks``, ``pairs``, ``seed`` (and any option) may also sit at the top.
        """
        if not isinstance(mapping, Mapping):
            raise TypeError(
                f"the spec must be a mapping; got {type(mapping).__name__}."
            )
        flat: dict[str, object] = {}
        for key, value in mapping.items():
            if key in _SECTIONS:
                if not isinstance(value, Mapping):
                    raise ValueError(
                        f"section [{key}] must be a table of options; got {value!r}."
                    )
                for sub, v in value.items():
                    if _SECTION_OF.get(sub) != key:
                        accepted = sorted(o.name for o in OPTIONS if o.section == key)
                        raise ValueError(
                            f"unknown option {sub!r} in section [{key}]; accepted "
                            f"options are {', '.join(accepted)}."
                        )
                    flat[sub] = v
            else:
                flat[key] = value
        if "hidden" in flat and isinstance(flat["hidden"], list):
            flat["hidden"] = tuple(flat["hidden"])
        return cls().replace(**flat)

    @classmethod
    def from_toml(cls, path: str | Path) -> ExperimentSpec:
        """Read a spec from a TOML file (see :meth:`from_dict` for its layout).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from softlogit.experiment import ExperimentSpec
        >>> text = '[model]\\nhidden = [8]\\n[training]\\noptimizer = "adam"\\nlr = 0.01\\n'
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = pathlib.Path(d, "exp.toml")
        ...     _ = p.write_text(text)
        ...     spec = ExperimentSpec.from_toml(p)
        >>> spec.model.hidden, spec.training.optimizer
        ((8,), 'adam')
        """
        p = Path(path)
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"spec file {str(p)!r} does not exist.") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"spec file {str(p)!r} is not valid TOML: {exc}") from None
        return cls.from_dict(data)

    # -- export ------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        """A nested, JSON- and TOML-compatible dict (``None`` values omitted)."""
        out: dict[str, object] = {}
        for section in _SECTIONS:
            values = dataclasses.asdict(getattr(self, section))
            if "hidden" in values:
                values["hidden"] = list(values["hidden"])
            out[section] = {k: v for k, v in values.items() if v is not None}
        if self.networks is not None:
            out["networks"] = list(self.networks)
        if self.pairs is not None:
            out["pairs"] = [f"{a}:{b}" for a, b in self.pairs]
        out["seed"] = self.seed
        return out

    def to_toml(self) -> str:
        """The spec as TOML text that :meth:`from_toml` reads back to an equal spec.

        Examples
        --------
        >>> from softlogit.experiment import ExperimentSpec
        >>> spec = ExperimentSpec().replace(optimizer="adam", lr=0.01, hidden=(8,))
        >>> print(spec.to_toml())  # doctest: +ELLIPSIS
        seed = 0
        <BLANKLINE>
        [data]
        dataset = "breast_cancer"
        ...
        [training]
        optimizer = "adam"
        lr = 0.01
        ...
        """

        def value(v: object) -> str:
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, (int, float)):
                return repr(v)
            if isinstance(v, str):
                # JSON string escapes are valid TOML basic-string escapes
                import json

                return json.dumps(v)
            if isinstance(v, (list, tuple)):
                return "[" + ", ".join(value(x) for x in v) + "]"
            raise TypeError(f"cannot write {v!r} as TOML")  # pragma: no cover

        d = self.to_dict()
        lines = [
            f"{k} = {value(d[k])}" for k in ("networks", "pairs", "seed") if k in d
        ]
        for section in _SECTIONS:
            lines += ["", f"[{section}]"]
            values = d[section]
            assert isinstance(values, dict)
            lines += [f"{k} = {value(v)}" for k, v in values.items()]
        return "\n".join(lines) + "\n"

    def options(self) -> dict[str, object]:
        """The flat option values of this spec (``None`` for automatic ones)."""
        out: dict[str, object] = {}
        for o in OPTIONS:
            if o.section == "experiment":
                out[o.name] = getattr(self, o.name)
            else:
                out[o.name] = getattr(getattr(self, o.section), o.name)
        return out

    def resolved_networks(self, n_classes: int) -> tuple[str, ...]:
        """The networks to run on data with ``n_classes`` classes, validated."""
        nets = (
            self.networks if self.networks is not None else default_networks(n_classes)
        )
        allowed = network_names(n_classes)
        for n in nets:
            if n not in allowed:
                raise ValueError(
                    f"`networks` entry {n!r} needs two classes; the data have "
                    f"{n_classes}. Accepted: {', '.join(map(repr, allowed))}."
                )
        return nets

    def resolved_pairs(self, n_classes: int) -> tuple[tuple[str, str], ...]:
        """The pairs to compare on data with ``n_classes`` classes, validated."""
        nets = self.resolved_networks(n_classes)
        if self.pairs is None:
            return default_pairs(nets)
        for a, b in self.pairs:
            for n in (a, b):
                if n not in nets:
                    raise ValueError(
                        f"`pairs` names network {n!r}, which is not run; networks: "
                        f"{', '.join(nets)}."
                    )
        return self.pairs
