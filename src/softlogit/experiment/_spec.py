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
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from softlogit._optimizers import OPTIMIZER_NAMES
from softlogit._validation import Constraint, Integer
from softlogit.errors import InputTypeError, InputValueError
from softlogit.experiment._sections import (
    ACTIVATIONS,
    DATASETS,
    DTYPES,
    INIT_FROM,
    INIT_GAUGES,
    WEIGHT_DECAY_MODES,
    DatasetName,
    DataSpec,
    InitSpec,
    ModelSpec,
    TrainingSpec,
    check_fields,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "ACTIVATIONS",
    "CONTROL_NETWORKS",
    "DATASETS",
    "OPTIONS",
    "DataSpec",
    "DatasetName",
    "ExperimentSpec",
    "InitSpec",
    "ModelSpec",
    "OptionInfo",
    "TrainingSpec",
    "default_networks",
    "default_pairs",
    "network_names",
]

# Networks by number of classes. For K = 2 the seed's networks 0, 1, 2 and "1c"
# (network 1 with head learning rate x2 and head weight decay x1/2); for any K the
# K-unit softmax head, the (K-1)-unit reference-class head and that head with the
# SGD-exact preconditioner P = I + 11^T. The sensitivity controls repeat network 0
# (or the softmax head) from initial weights one ulp away.
BINARY_NETWORKS: tuple[str, ...] = ("0", "1", "2", "1c")
GENERAL_NETWORKS: tuple[str, ...] = ("softmax", "reference", "reference-P")
CONTROL_NETWORKS: tuple[str, ...] = ("0-ulp", "softmax-ulp")
_CONTROLLED = {"0-ulp": "0", "softmax-ulp": "softmax"}
_SGD_TYPE = ("sgd", "momentum", "nesterov")


def network_names(n_classes: int) -> tuple[str, ...]:
    """The network names available for ``n_classes`` classes.

    Examples
    --------
    >>> from softlogit.experiment import network_names
    >>> network_names(2)
    ('0', '1', '2', '1c', 'softmax', 'reference', 'reference-P', '0-ulp', 'softmax-ulp')
    >>> network_names(3)
    ('softmax', 'reference', 'reference-P', 'softmax-ulp')
    """
    if n_classes == 2:
        return BINARY_NETWORKS + GENERAL_NETWORKS + CONTROL_NETWORKS
    return GENERAL_NETWORKS + CONTROL_NETWORKS[1:]


def default_networks(n_classes: int, optimizer: str = "sgd") -> tuple[str, ...]:
    """Networks run when the spec leaves ``networks`` unset.

    ``('0', '1', '2', '1c')`` for two classes, ``('softmax', 'reference',
    'reference-P')`` otherwise, followed by the sensitivity control of the first
    network wherever the theory predicts that two of them are identical: always for
    two classes (networks 0 and 2, T4), and for more classes under the SGD-type
    ``optimizer`` s (the softmax head and the preconditioned reference head, T6).

    Examples
    --------
    >>> from softlogit.experiment import default_networks
    >>> default_networks(2)
    ('0', '1', '2', '1c', '0-ulp')
    >>> default_networks(3, "adam")
    ('softmax', 'reference', 'reference-P')
    """
    if n_classes == 2:
        return (*BINARY_NETWORKS, "0-ulp")
    control = ("softmax-ulp",) if optimizer in _SGD_TYPE else ()
    return GENERAL_NETWORKS + control


def default_pairs(networks: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Pairs compared when the spec leaves ``pairs`` unset.

    Network 0 (or, if it is not run, network 2) against 2 and 1, then the learner's
    own comparison, the softmax network 2 against the sigmoid network 1, then 0
    against 1c (those that are run), the softmax head against each reference head,
    and last each sensitivity control against the network it perturbs.

    Examples
    --------
    >>> from softlogit.experiment import default_pairs
    >>> default_pairs(("0", "1", "2", "1c"))
    (('0', '2'), ('0', '1'), ('2', '1'), ('0', '1c'))
    >>> default_pairs(("2", "1", "0", "0-ulp"))
    (('0', '2'), ('0', '1'), ('2', '1'), ('0', '0-ulp'))
    >>> default_pairs(("2", "1"))
    (('2', '1'),)
    """
    anchor = "0" if "0" in networks else "2"
    wanted = [(anchor, "2"), (anchor, "1"), ("2", "1"), (anchor, "1c")]
    wanted += [("softmax", "reference"), ("softmax", "reference-P")]
    wanted += [(_CONTROLLED[c], c) for c in CONTROL_NETWORKS]
    chosen = [(a, b) for a, b in wanted if a != b and a in networks and b in networks]
    return tuple(dict.fromkeys(chosen))


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
        Value type: ``'ints'`` a tuple of integers (``hidden``), ``'names'`` a tuple of names
        (networks, CSV columns), ``'pairs'`` a tuple of name pairs.
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
        "features": "names",
        "networks": "names",
        "pairs": "pairs",
    }
    choices: dict[str, tuple[str, ...]] = {
        "dataset": DATASETS,
        "activation": ACTIVATIONS,
        "init_from": INIT_FROM,
        "gauge": INIT_GAUGES,
        "optimizer": OPTIMIZER_NAMES,
        "weight_decay_mode": WEIGHT_DECAY_MODES,
        "dtype": DTYPES,
    }
    helps = {
        "dataset": "built-in data set, 'synthetic', or 'csv' (with --csv and --target)",
        "csv": "CSV file with a header row (implies dataset 'csv')",
        "target": "label column of the CSV file",
        "features": "feature columns of the CSV file, comma-separated (default: "
        "every column but the target)",
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
        "networks": "networks to train (default: 0 1 2 1c 0-ulp for two classes, "
        "softmax reference reference-P otherwise, with softmax-ulp for SGD types)",
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


_EXPERIMENT_CONSTRAINTS: dict[str, Constraint] = {"seed": Integer(low=0)}


def _parse_pair(value: object) -> tuple[str, str]:
    message = (
        f"`pairs` entries must be 'A:B' or (A, B) with network names; got {value!r}."
    )
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) == 2 and all(parts):
            return parts[0], parts[1]
        raise InputValueError(message)
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(v, str) for v in value
    ):
        raise InputTypeError(message)
    if len(value) != 2:
        raise InputValueError(message)
    return str(value[0]), str(value[1])


def _network_names(value: object) -> tuple[str, ...]:
    """The ``networks`` option: a sequence of names, or ``"0,1"`` / ``"0 1"``."""
    nets = tuple(value.replace(",", " ").split()) if isinstance(value, str) else value
    if not isinstance(nets, (tuple, list)):
        raise InputTypeError(
            f"`networks` must be a non-empty sequence of names; got {nets!r}."
        )
    if not nets:
        raise InputValueError(
            f"`networks` must be a non-empty sequence of names; got {nets!r}."
        )
    allowed = BINARY_NETWORKS + GENERAL_NETWORKS + CONTROL_NETWORKS
    for n in nets:
        if n not in allowed:
            error = InputValueError if isinstance(n, str) else InputTypeError
            raise error(
                f"`networks` entries must be among "
                f"{', '.join(map(repr, allowed))}; got {n!r}."
            )
    if len(set(nets)) != len(nets):
        raise InputValueError(f"`networks` has repeated names; got {tuple(nets)!r}.")
    return tuple(str(n) for n in nets)


def _network_pairs(
    value: object, networks: tuple[str, ...] | None
) -> tuple[tuple[str, str], ...]:
    """The ``pairs`` option: ``'A:B'`` strings or (A, B) tuples, of two networks."""
    pairs = tuple(value.replace(",", " ").split()) if isinstance(value, str) else value
    if not isinstance(pairs, (tuple, list)):
        raise InputTypeError(
            f"`pairs` must be a sequence of 'A:B' or (A, B); got {pairs!r}."
        )
    parsed = tuple(_parse_pair(p) for p in pairs)
    for a, b in parsed:
        if a == b:
            raise InputValueError(
                f"`pairs` must compare two different networks; got {a!r}:{b!r}."
            )
        for n in (a, b):
            if networks is not None and n not in networks:
                raise InputValueError(
                    f"`pairs` names network {n!r}, which is not in `networks` "
                    f"{networks!r}."
                )
    return parsed


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
        classes and the optimizer. Names: ``'0'``, ``'1'``, ``'2'``, ``'1c'``,
        ``'0-ulp'`` (two classes only) and ``'softmax'``, ``'reference'``,
        ``'reference-P'``, ``'softmax-ulp'`` (the ``-ulp`` networks are sensitivity
        controls: one initial weight moved by one ulp).
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
    softlogit.InputValueError: `activation` must be one of 'tanh', 'relu', 'sigmoid', 'identity'; got 'gelu'.
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
                raise InputTypeError(
                    f"`{name}` must be a {cls.__name__}; got "
                    f"{type(getattr(self, name)).__name__}."
                )
        if self.networks is not None:
            object.__setattr__(self, "networks", _network_names(self.networks))
        if self.pairs is not None:
            object.__setattr__(self, "pairs", _network_pairs(self.pairs, self.networks))
        check_fields(self, _EXPERIMENT_CONSTRAINTS)

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
        InputValueError
            For an unknown option (the message lists the accepted ones) or a value
            outside its range (the message names the option and its accepted
            values); a ``ValueError``.
        InputTypeError
            For a value of the wrong type (a ``TypeError``).
        """
        unknown = [k for k in overrides if k not in _SECTION_OF]
        if unknown:
            raise InputValueError(
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
            raise InputTypeError(
                f"the spec must be a mapping; got {type(mapping).__name__}."
            )
        flat: dict[str, object] = {}
        for key, value in mapping.items():
            if key in _SECTIONS:
                if not isinstance(value, Mapping):
                    raise InputTypeError(
                        f"section [{key}] must be a table of options; got {value!r}."
                    )
                for sub, v in value.items():
                    if _SECTION_OF.get(sub) != key:
                        accepted = sorted(o.name for o in OPTIONS if o.section == key)
                        raise InputValueError(
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
            raise InputValueError(
                f"spec file {str(p)!r} is not valid TOML: {exc}"
            ) from None
        except RecursionError:  # the parser recurses once per nested array
            raise InputValueError(
                f"spec file {str(p)!r} is not valid TOML: nested too deeply."
            ) from None
        return cls.from_dict(data)

    # -- export ------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        """A nested, JSON- and TOML-compatible dict (``None`` values omitted)."""
        out: dict[str, object] = {}
        for section in _SECTIONS:
            values = dataclasses.asdict(getattr(self, section))
            for key in ("hidden", "features"):
                if values.get(key) is not None:
                    values[key] = list(values[key])
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
            self.networks
            if self.networks is not None
            else default_networks(n_classes, self.training.optimizer)
        )
        allowed = network_names(n_classes)
        for n in nets:
            if n not in allowed:
                raise InputValueError(
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
                    raise InputValueError(
                        f"`pairs` names network {n!r}, which is not run; networks: "
                        f"{', '.join(nets)}."
                    )
        return self.pairs
