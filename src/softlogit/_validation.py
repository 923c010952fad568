"""Validation of arguments: declarative constraints and one rule for errors.

A parameter is checked against a *constraint* (or a tuple of alternatives): a real
number in an interval (:class:`Real`), an integer (:class:`Integer`), one of a few
strings (:class:`Options`), a bool (:class:`Boolean`), ``None`` (:data:`NONE`) or
anything (:data:`ANY`). :func:`check_param` applies one; :func:`check_params` a table
of them (``{"C": Real(0, None, low_open=True, allow_inf=True), ...}``), the way
scikit-learn's ``_parameter_constraints`` do. One rule decides the exception:

- a value of the wrong *type* (a string for a number, a bool for an integer, a float
  for a bool) raises :class:`~softlogit.InputTypeError` (a ``TypeError``);
- a value of the right type but a wrong *value* (out of range, NaN, not an option)
  raises :class:`~softlogit.InputValueError` (a ``ValueError``).

Each message names the argument, says what was expected and what was received:
``"`C` must be a positive real number or inf; got -5."``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import numpy as np

from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "ANY",
    "NONE",
    "Boolean",
    "Constraint",
    "Integer",
    "Options",
    "Real",
    "check_param",
    "check_params",
    "describe",
]


class _ConstraintLike(Protocol):
    def accepts_type(self, value: object) -> bool: ...

    def accepts(self, value: object) -> bool: ...

    def describe(self) -> str: ...


def _is_real(value: object) -> bool:
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not (
        isinstance(value, (bool, np.bool_))
    )


def _fmt(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:g}"


@dataclass(frozen=True)
class Real:
    """A real number (ints accepted) in ``[low, high]``; NaN is never accepted.

    ``low``/``high`` of None mean unbounded; ``low_open``/``high_open`` exclude the
    bound; ``allow_inf`` admits ``+inf`` (with ``high=None``) and ``-inf`` (with
    ``low=None``), which are otherwise refused.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    allow_inf: bool = False

    def accepts_type(self, value: object) -> bool:
        return _is_real(value)

    def accepts(self, value: object) -> bool:
        if not _is_real(value):
            return False
        v = float(value)  # type: ignore[arg-type]
        if math.isnan(v):
            return False
        if math.isinf(v):
            if not self.allow_inf:
                return False
            bound = self.high if v > 0 else self.low
            return bound is None
        if self.low is not None and (v <= self.low if self.low_open else v < self.low):
            return False
        return self.high is None or (
            v < self.high if self.high_open else v <= self.high
        )

    def describe(self) -> str:
        finite = "" if self.allow_inf else "finite "
        if self.low == 0 and self.high is None:
            what = (
                f"a positive {finite}real number"
                if self.low_open
                else f"a non-negative {finite}real number"
            )
        elif self.low is None and self.high is None:
            what = f"a {finite}real number"
        else:
            lo = "(" if self.low_open or self.low is None else "["
            hi = ")" if self.high_open or self.high is None else "]"
            low = "-inf" if self.low is None else _fmt(self.low)
            high = "inf" if self.high is None else _fmt(self.high)
            what = f"a {finite}real number in {lo}{low}, {high}{hi}"
        if self.allow_inf and self.high is None:
            what += " or inf"
        return what


@dataclass(frozen=True)
class Integer:
    """An integer (not a bool, not a float) in ``[low, high]`` (None: unbounded)."""

    low: int | None = None
    high: int | None = None

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(
            value, (bool, np.bool_)
        )

    def accepts(self, value: object) -> bool:
        if not self.accepts_type(value):
            return False
        v = int(value)  # type: ignore[call-overload]
        return (self.low is None or v >= self.low) and (
            self.high is None or v <= self.high
        )

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"an integer in [{self.low}, {self.high}]"
        if self.low is not None:
            return f"an integer >= {self.low}"
        if self.high is not None:
            return f"an integer <= {self.high}"
        return "an integer"


@dataclass(frozen=True)
class Options:
    """One of a few strings (or other hashable values of one type)."""

    values: tuple[Any, ...]

    def accepts_type(self, value: object) -> bool:
        return any(type(value) is type(v) for v in self.values) or (
            isinstance(value, str) and any(isinstance(v, str) for v in self.values)
        )

    def accepts(self, value: object) -> bool:
        try:
            return self.accepts_type(value) and value in self.values
        except TypeError:  # unhashable or incomparable
            return False

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Boolean:
    """``True`` or ``False`` (NumPy's bool too)."""

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, (bool, np.bool_))

    def accepts(self, value: object) -> bool:
        return self.accepts_type(value)

    def describe(self) -> str:
        return "a bool"


@dataclass(frozen=True)
class _NoneConstraint:
    def accepts_type(self, value: object) -> bool:
        return value is None

    def accepts(self, value: object) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


@dataclass(frozen=True)
class _AnyConstraint:
    def accepts_type(self, value: object) -> bool:
        return True

    def accepts(self, value: object) -> bool:
        return True

    def describe(self) -> str:
        return "any value"


#: ``None`` is accepted.
NONE = _NoneConstraint()
#: Anything is accepted (a label, checked elsewhere against the data).
ANY = _AnyConstraint()

Constraint: TypeAlias = "Real | Integer | Options | Boolean | _NoneConstraint | _AnyConstraint | tuple[Constraint, ...]"


def _alternatives(constraint: Constraint) -> tuple[_ConstraintLike, ...]:
    if isinstance(constraint, tuple):
        out: list[_ConstraintLike] = []
        for c in constraint:
            out.extend(_alternatives(c))
        return tuple(out)
    return (constraint,)


def describe(constraint: Constraint) -> str:
    """What ``constraint`` accepts, in words (``"a positive real number or inf"``).

    Examples
    --------
    >>> describe((Integer(low=1), NONE))
    'an integer >= 1 or None'
    """
    parts = [c.describe() for c in _alternatives(constraint)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _received(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(value, (str, bool, int, float, type(None))):
        return text
    return f"{text} of type {type(value).__name__}"


def check_param(name: str, value: object, constraint: Constraint) -> Any:
    """Return ``value`` if it satisfies ``constraint``; raise naming ``name`` if not.

    Real numbers are returned as ``float``, integers as ``int``, bools as ``bool``
    (NumPy scalars are converted); other accepted values are returned unchanged.

    Raises
    ------
    InputTypeError
        If no alternative accepts the type of ``value``.
    InputValueError
        If an alternative accepts its type but not its value.

    Examples
    --------
    >>> check_param("C", 2, Real(0, None, low_open=True, allow_inf=True))
    2.0
    >>> check_param("C", -5, Real(0, None, low_open=True, allow_inf=True))
    Traceback (most recent call last):
    ...
    softlogit.InputValueError: `C` must be a positive real number or inf; got -5.
    >>> check_param("max_iter", 2.5, Integer(low=0))
    Traceback (most recent call last):
    ...
    softlogit.InputTypeError: `max_iter` must be an integer >= 0; got 2.5.
    """
    alternatives = _alternatives(constraint)
    for c in alternatives:
        if c.accepts(value):
            if isinstance(c, Real):
                return float(value)  # type: ignore[arg-type]
            if isinstance(c, Integer):
                return int(value)  # type: ignore[call-overload]
            if isinstance(c, Boolean):
                return bool(value)
            return value
    message = f"`{name}` must be {describe(constraint)}; got {_received(value)}."
    if any(c.accepts_type(value) for c in alternatives):
        raise InputValueError(message)
    raise InputTypeError(message)


def check_params(
    values: Mapping[str, object], table: Mapping[str, Constraint]
) -> dict[str, Any]:
    """Check every entry of ``values`` named in ``table``, in the table's order.

    Returns the normalized values (see :func:`check_param`); names missing from
    ``values`` are skipped.
    """
    return {
        name: check_param(name, values[name], constraint)
        for name, constraint in table.items()
        if name in values
    }
