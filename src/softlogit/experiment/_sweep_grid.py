"""The grid of a sweep: axes over spec options, seeds, and the key of every row.

A :class:`SweepGrid` holds fixed options (an :class:`ExperimentSpec`), the swept
axes (an option name and its values) and the seeds. Every point of the grid is a
*cell*; every cell is run once per seed, giving one *row*. A row is keyed by a hash
of its resolved spec (:func:`row_key`), so that a store of rows can be resumed and
shared between grids: a larger grid reuses the rows of the cells it has in common
with a smaller one.

Axis values are written as in ``--grid name=v1,v2,...``: a comma-separated list,
or a range ``low..high:Nlog`` (N values evenly spaced on a log scale, both ends
included; ``:N`` or ``:Nlin`` for a linear scale). ``full``, ``none`` or ``auto``
stand for an option's automatic value (the full batch for ``batch_size``); a
multi-layer ``hidden`` is written with ``/`` (``32/16``).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import numpy as np

from softlogit.errors import InputTypeError, InputValueError
from softlogit.experiment._spec import OPTIONS, ExperimentSpec, OptionInfo

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "DEFAULT_GRID",
    "MEASURE_VERSION",
    "SweepGrid",
    "cell_key",
    "parse_axis",
    "row_key",
]

#: what a row measures; a change of it makes earlier rows stale (new keys)
MEASURE_VERSION = 2

_OPTION = {o.name: o for o in OPTIONS}
# options a grid may not sweep: the sweep chooses the networks and pairs itself
_NOT_SWEPT = ("networks", "pairs", "seed")
_AUTOMATIC = ("full", "none", "auto")


def _canonical(spec: ExperimentSpec) -> dict[str, object]:
    d = spec.to_dict()
    d.pop("networks", None)
    d.pop("pairs", None)
    return d


def _hash(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def row_key(spec: ExperimentSpec) -> str:
    """The key of one row: a hash of the resolved spec (seed included).

    Examples
    --------
    >>> from softlogit.experiment import ExperimentSpec
    >>> from softlogit.experiment._sweep_grid import row_key
    >>> a = ExperimentSpec().replace(lr=0.01)
    >>> row_key(a) == row_key(ExperimentSpec().replace(lr=0.01)), len(row_key(a))
    (True, 16)
    >>> row_key(a) == row_key(a.replace(seed=1))
    False
    """
    return _hash({"spec": _canonical(spec), "measure": MEASURE_VERSION})


def cell_key(spec: ExperimentSpec) -> str:
    """The key of a cell: a hash of the resolved spec without its seed."""
    d = _canonical(spec)
    d.pop("seed", None)
    return _hash({"cell": d, "measure": MEASURE_VERSION})


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputValueError(
            f"grid axis `{name}`: {text!r} is not a number."
        ) from None


def _range(text: str, name: str) -> list[float]:
    """``low..high:N[log|lin]`` -> N values from low to high."""
    bounds, _, count = text.partition(":")
    low_text, _, high_text = bounds.partition("..")
    scale = "log" if count.endswith("log") else "lin"
    count = count.removesuffix("log").removesuffix("lin")
    if not count.isdigit() or int(count) < 1:
        raise InputValueError(
            f"grid axis `{name}`: a range is written low..high:Nlog or low..high:N "
            f"with N >= 1 values; got {text!r}."
        )
    low, high, n = _number(low_text, name), _number(high_text, name), int(count)
    if scale == "log":
        if low <= 0 or high <= 0:
            raise InputValueError(
                f"grid axis `{name}`: a log range needs positive ends; got {text!r}."
            )
        values = np.logspace(math.log10(low), math.log10(high), n)
    else:
        values = np.linspace(low, high, n)
    # three significant digits: readable values, equal for equal ranges
    return [float(f"{v:.3g}") for v in values]


def _value(info: OptionInfo, item: object) -> object:
    """One value of an axis, converted to the option's type."""
    if isinstance(item, str) and item.strip().lower() in _AUTOMATIC:
        return () if info.kind == "ints" else None
    if info.kind == "ints":
        if isinstance(item, str):
            return tuple(int(p) for p in item.replace("/", " ").split() if p)
        return item
    if not isinstance(item, str):
        return item
    text = item.strip()
    if info.kind == "int":
        number = _number(text, info.name)
        return int(number) if number.is_integer() else number
    if info.kind == "float":
        return _number(text, info.name)
    if info.kind == "bool":
        return text.lower() in ("1", "true", "yes", "on")
    return text


def parse_axis(text: str) -> tuple[str, tuple[object, ...]]:
    """Parse ``name=v1,v2,...`` or ``name=low..high:Nlog`` into (option, values).

    Raises
    ------
    InputValueError
        For an unknown or unsweepable option, or a malformed value list.

    Examples
    --------
    >>> from softlogit.experiment._sweep_grid import parse_axis
    >>> parse_axis("lr=1e-4..1e-1:4log")
    ('lr', (0.0001, 0.001, 0.01, 0.1))
    >>> parse_axis("batch_size=full,32"), parse_axis("hidden=8,32/16")
    (('batch_size', (None, 32)), ('hidden', ((8,), (32, 16))))
    """
    name, sep, values = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not values.strip():
        raise InputValueError(
            f"a grid axis is written name=v1,v2,... or name=low..high:Nlog; got "
            f"{text!r}."
        )
    info = _axis_option(name)
    if ".." in values:
        return name, tuple(_value(info, v) for v in _range(values.strip(), name))
    return name, tuple(_value(info, v) for v in values.split(",") if v.strip())


def _axis_option(name: str) -> OptionInfo:
    if name in _NOT_SWEPT or name not in _OPTION:
        accepted = sorted(n for n in _OPTION if n not in _NOT_SWEPT)
        raise InputValueError(
            f"grid axis {name!r} is not a sweepable option; accepted: "
            f"{', '.join(accepted)}."
        )
    return _OPTION[name]


@dataclass(frozen=True)
class SweepGrid:
    """A grid of experiments: fixed options, swept axes and seeds.

    Parameters
    ----------
    axes : sequence of (str, sequence)
        The swept options in display order (the first two span the atlas's first
        heat map), each with its values.
    seeds : sequence of int, default=(0, 1, 2)
        Every cell runs once per seed.
    base : ExperimentSpec, optional
        The fixed options of every cell (default: the experiment's defaults).

    Raises
    ------
    InputValueError
        For an axis that is not a sweepable option, an empty or repeated axis or
        seed list, a value the spec refuses (the message names the option), or
        data with more than two classes (the atlas compares networks 0, 1 and 2).

    Examples
    --------
    >>> from softlogit.experiment import SweepGrid
    >>> grid = SweepGrid([("optimizer", ("sgd", "adam")), ("lr", (0.01, 0.1))],
    ...                  seeds=(0, 1))
    >>> len(grid.cells()), len(grid.specs())
    (4, 8)
    >>> grid.specs()[1].training.optimizer, grid.specs()[1].seed
    ('sgd', 1)
    """

    axes: tuple[tuple[str, tuple[object, ...]], ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    base: ExperimentSpec = field(default_factory=ExperimentSpec)

    def __post_init__(self) -> None:
        axes = tuple((str(n), tuple(v)) for n, v in self.axes)
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "seeds", tuple(self.seeds))
        names = [n for n, _ in axes]
        if len(set(names)) != len(names):
            raise InputValueError(f"grid axes must differ; got {names}.")
        for name, values in axes:
            _axis_option(name)
            if not values:
                raise InputValueError(f"grid axis `{name}` has no values.")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise InputValueError(
                f"`seeds` must be distinct and at least one; got {self.seeds}."
            )
        for cell in self.cells():
            spec = self._spec(cell, self.seeds[0])
            _check_two_classes(spec)

    @classmethod
    def from_strings(
        cls,
        axes: Sequence[str],
        seeds: int | Sequence[int] = 3,
        base: ExperimentSpec | None = None,
    ) -> SweepGrid:
        """A grid from ``--grid`` strings; ``seeds`` a count (0..N-1) or a list."""
        parsed = [parse_axis(a) for a in axes]
        return cls(tuple(parsed), _seeds(seeds), base or ExperimentSpec())

    @classmethod
    def from_toml(cls, path: str | Path) -> SweepGrid:
        """Read a grid: ``seeds`` (count or list), ``[fixed]`` options, ``[grid]`` axes.

        Each ``[grid]`` entry is a list of values or a range string
        (``lr = "1e-4..1e-1:7log"``); ``[fixed]`` holds spec options as in
        ``softlogit compare --config``.
        """
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"grid file {str(p)!r} does not exist.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputValueError(
                f"grid file {str(p)!r} is not valid TOML: {exc}"
            ) from None
        unknown = set(data) - {"seeds", "fixed", "grid", "description"}
        if unknown:
            raise InputValueError(
                f"grid file {str(p)!r}: unknown keys {sorted(unknown)}; expected "
                "seeds, description, [fixed] and [grid]."
            )
        base = ExperimentSpec.from_dict(data.get("fixed", {}))
        axes: list[tuple[str, tuple[object, ...]]] = []
        for name, values in data.get("grid", {}).items():
            if isinstance(values, str):
                axes.append(parse_axis(f"{name}={values}"))
            elif isinstance(values, list):
                info = _axis_option(name)
                axes.append((name, tuple(_value(info, v) for v in values)))
            else:
                raise InputTypeError(
                    f"grid axis `{name}` must be a list or a range string; got "
                    f"{values!r}."
                )
        return cls(tuple(axes), _seeds(data.get("seeds", 3)), base)

    def cells(self) -> list[dict[str, object]]:
        """The axis values of every cell, the first axis slowest."""
        names = [n for n, _ in self.axes]
        return [
            dict(zip(names, values, strict=True))
            for values in product(*(v for _, v in self.axes))
        ]

    def _spec(self, cell: Mapping[str, object], seed: int) -> ExperimentSpec:
        spec = self.base.replace(**cell, seed=seed, networks=None, pairs=None)
        if spec.training.record_every is None:
            # about 20 records along the way of every run
            spec = spec.replace(record_every=max(1, spec.training.steps // 20))
        return spec

    def specs(self) -> list[ExperimentSpec]:
        """The resolved spec of every row: cells in order, each with every seed."""
        return [self._spec(c, s) for c in self.cells() for s in self.seeds]

    def to_dict(self) -> dict[str, object]:
        """A JSON-compatible description (stored with the rows)."""
        return {
            "axes": [[n, [_jsonable(v) for v in vs]] for n, vs in self.axes],
            "seeds": list(self.seeds),
            "base": _canonical(self.base),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> SweepGrid:
        """Inverse of :meth:`to_dict`."""
        axes = []
        for name, values in d["axes"]:  # type: ignore[attr-defined]
            info = _axis_option(name)
            axes.append((name, tuple(_value(info, _unjson(v)) for v in values)))
        seeds = tuple(int(s) for s in d["seeds"])  # type: ignore[attr-defined]
        base = ExperimentSpec.from_dict(d["base"])  # type: ignore[arg-type]
        return cls(tuple(axes), seeds, base)


def _jsonable(v: object) -> object:
    return list(v) if isinstance(v, tuple) else v


def _unjson(v: object) -> object:
    return tuple(v) if isinstance(v, list) else ("none" if v is None else v)


def _seeds(seeds: object) -> tuple[int, ...]:
    if isinstance(seeds, bool) or not isinstance(seeds, (int, list, tuple)):
        raise InputTypeError(f"`seeds` must be a count or a list; got {seeds!r}.")
    if isinstance(seeds, int):
        if seeds < 1:
            raise InputValueError(f"`seeds` must be at least 1; got {seeds}.")
        return tuple(range(seeds))
    return tuple(int(s) for s in seeds)


_KNOWN_CLASSES = {"breast_cancer": 2, "iris": 3, "wine": 3, "digits": 10}


def _check_two_classes(spec: ExperimentSpec) -> None:
    d = spec.data
    k = d.n_classes if d.dataset == "synthetic" else _KNOWN_CLASSES.get(d.dataset, 2)
    if k != 2:
        raise InputValueError(
            f"the atlas compares networks 0, 1 and 2, which need two classes; "
            f"`dataset` {d.dataset!r} has {k}."
        )


#: ``softlogit sweep`` without arguments: seven learning rates x three optimizers x
#: two batch sizes on breast_cancer (2000 steps), three seeds: 126 runs
#: (benchmarks/results/sweep_speed.csv gives its run time)
DEFAULT_GRID = SweepGrid(
    (
        ("lr", (0.001, 0.00316, 0.01, 0.0316, 0.1, 0.316, 1.0)),
        ("optimizer", ("sgd", "momentum", "adam")),
        ("batch_size", (None, 32)),
    ),
    seeds=(0, 1, 2),
)
