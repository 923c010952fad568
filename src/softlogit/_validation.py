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

:data:`ESTIMATOR_PARAMS` is the one table of the estimators' parameters: ``fit``
checks it, :func:`~softlogit.load_model` checks a model file's parameters against
it, and ``softlogit fit`` checks its options with it (naming the options).

The array checks of the public boundaries live here too, under the same rule:
:func:`check_numeric_columns` and :func:`real_array` (numbers, not strings or
objects), :func:`check_finite` (no NaN or infinity, located by row and column),
:func:`check_same_length`, :func:`check_not_iterator`, :func:`check_unit_interval`
and :func:`encode_labels`; the weights' checks in :mod:`softlogit._weights`.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, get_args

import numpy as np

from softlogit._typing import GAUGES, ArrayLike, FloatArray, IntArray
from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "ALPHA",
    "ANY",
    "DICT",
    "ESTIMATOR_PARAMS",
    "MAX_FIT_ABS",
    "NONE",
    "SOLVERS",
    "Boolean",
    "Constraint",
    "Integer",
    "Options",
    "Real",
    "Solver",
    "check_finite",
    "check_not_iterator",
    "check_numeric_columns",
    "check_param",
    "check_params",
    "check_same_length",
    "check_unit_interval",
    "describe",
    "encode_labels",
    "finite_copy",
    "name_argument",
    "real_array",
    "sklearn_input_errors",
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
    ``low=None``), which are otherwise refused. ``text``, if given, replaces the
    generated description in messages.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    allow_inf: bool = False
    text: str | None = None

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
        if self.text is not None:
            return self.text
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
    """An integer (not a bool, not a float) in ``[low, high]`` (None: unbounded).

    ``text``, if given, replaces the generated description in messages.
    """

    low: int | None = None
    high: int | None = None
    text: str | None = None

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
        if self.text is not None:
            return self.text
        if self.low is not None and self.high is not None:
            high = "2**63 - 1" if self.high == 2**63 - 1 else str(self.high)
            return f"an integer in [{self.low}, {high}]"
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


@dataclass(frozen=True)
class _DictConstraint:
    def accepts_type(self, value: object) -> bool:
        return isinstance(value, Mapping)

    def accepts(self, value: object) -> bool:
        return isinstance(value, Mapping)

    def describe(self) -> str:
        return "a dict"


#: ``None`` is accepted.
NONE = _NoneConstraint()
#: A mapping (a dict of class weights; its entries are checked against the data).
DICT = _DictConstraint()
#: Anything is accepted (a label, checked elsewhere against the data).
ANY = _AnyConstraint()

Constraint: TypeAlias = "Real | Integer | Options | Boolean | _NoneConstraint | _AnyConstraint | _DictConstraint | tuple[Constraint, ...]"


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


# ----------------------------------------------------------------------------------
# the estimators' parameters
# ----------------------------------------------------------------------------------

#: The estimators' solvers (``"auto"`` picks one, see ``softlogit._objectives``).
Solver: TypeAlias = Literal[
    "auto", "newton", "lbfgs", "gd", "momentum", "adam", "prox-newton"
]
SOLVERS: tuple[str, ...] = get_args(Solver)

#: Constraints of every parameter of ``LogisticRegression`` and
#: ``SoftmaxRegression`` (the logistic model has no ``gauge`` or
#: ``reference_class``). ``reference_class`` is a label, checked against the
#: classes once they are known.
ESTIMATOR_PARAMS: dict[str, Constraint] = {
    # at least the smallest normal double: the penalty strength 1/C stays finite
    "C": Real(
        2.0**-1022,
        None,
        allow_inf=True,
        text="a positive number >= 2.2e-308 (np.inf for no penalty)",
    ),
    "l1_ratio": Real(0, 1, text="a number in [0, 1]"),
    "fit_intercept": Boolean(),
    "class_weight": (Options(("balanced",)), DICT, NONE),
    "solver": Options(SOLVERS),
    "tol": Real(0, None, low_open=True, text="a positive number"),
    "max_iter": Integer(low=0, text="a non-negative integer"),
    "warm_start": Boolean(),
    "store_covariance": Boolean(),
    "gauge": Options(GAUGES),
    "reference_class": ANY,
}

#: The level argument of ``summary()`` and of ``softlogit fit --alpha``.
ALPHA = Real(0, 1, low_open=True, high_open=True, text="a number in (0, 1)")


# ----------------------------------------------------------------------------------
# arrays
# ----------------------------------------------------------------------------------


@contextlib.contextmanager
def sklearn_input_errors() -> Iterator[None]:
    """Raise scikit-learn's input errors (``check_array``, ``validate_data``) as
    softlogit's: ``TypeError`` as InputTypeError, ``ValueError`` as
    InputValueError, the message prefixed with the argument it is about
    (:func:`name_argument`)."""
    try:
        yield
    except TypeError as exc:
        if isinstance(exc, InputTypeError):
            raise
        raise InputTypeError(name_argument(str(exc))) from exc
    except ValueError as exc:
        if isinstance(exc, InputValueError):
            raise
        raise InputValueError(name_argument(str(exc))) from exc


def real_array(name: str, value: ArrayLike) -> np.ndarray[Any, Any]:
    """``value`` as an array of a real numeric dtype (bool, integer or float).

    Raises
    ------
    InputTypeError
        For any other dtype (strings, objects, complex numbers).
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise InputTypeError(
            f"`{name}` must be a real numeric array; got dtype {arr.dtype}."
        )
    return arr


def finite_copy(name: str, value: ArrayLike) -> FloatArray:
    """A finite float64 copy of a real numeric ``value`` (parameters, not data).

    Raises
    ------
    InputTypeError
        If ``value`` is not real numeric.
    InputValueError
        If it holds NaN or infinity (the message counts them).
    """
    out = np.array(real_array(name, value), dtype=np.float64, copy=True)
    if not np.all(np.isfinite(out)):
        n_nan = int(np.sum(np.isnan(out)))
        n_inf = int(np.sum(np.isinf(out)))
        parts = [f"{n_nan} NaN"] if n_nan else []
        parts += [f"{n_inf} infinite"] if n_inf else []
        raise InputValueError(
            f"`{name}` must be finite; got {' and '.join(parts)} value(s)."
        )
    return out


def check_unit_interval(name: str, values: FloatArray) -> None:
    """Raise naming the first entry of ``values`` outside [0, 1] (NaN included).

    Raises
    ------
    InputValueError
        ``"`y` must lie in [0, 1]; got nan at index (0,)."``
    """
    bad = ~((values >= 0) & (values <= 1))
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputValueError(
            f"`{name}` must lie in [0, 1]; got {float(values[where])!r} at index "
            f"{where}."
        )


def check_numeric_columns(X: Any, name: str = "X") -> None:
    """Raise naming the first non-numeric column (and row) of ``X``.

    A pandas DataFrame is checked column by column; a NumPy array of strings or
    objects entry by entry. Other inputs pass (the conversion to float that
    follows reports them).

    Raises
    ------
    InputValueError
        For a value that is not a number (``"x"`` in a column of numbers).
    InputTypeError
        For an entry that cannot be converted at all (a list, a dict).
    """
    check_not_iterator(name, X)
    sparse = hasattr(X, "toarray")  # scikit-learn names sparse input itself
    if X is None or (isinstance(X, (str, bytes, Mapping, set)) and not sparse):
        raise InputTypeError(
            f"`{name}` must be a 2-D array of numbers (a NumPy array, a list of rows "
            f"or a DataFrame); got {type(X).__name__}."
        )
    columns = getattr(X, "columns", None)
    dtypes = getattr(X, "dtypes", None)
    if columns is not None and dtypes is not None:  # pandas DataFrame
        _check_frame_columns(X, name)
        return
    try:
        arr = np.asarray(X) if not hasattr(X, "toarray") else None
    except ValueError as exc:  # rows of different lengths
        raise InputValueError(
            f"`{name}` must be a rectangular 2-D array (rows of one length); "
            f"{str(exc).splitlines()[0][:120]}"
        ) from None
    if arr is None or arr.dtype.kind not in "OUS" or arr.ndim != 2:
        return
    try:
        arr.astype(np.float64)
    except (TypeError, ValueError):
        pass  # find the offending entry below
    else:
        return
    for j in range(arr.shape[1]):
        for i, value in enumerate(arr[:, j]):
            try:
                float(value)
            except TypeError as exc:
                raise InputTypeError(
                    f"`{name}` must be numeric; column {j}, row {i} holds {value!r}: "
                    f"{exc}"
                ) from None
            except ValueError:
                raise InputValueError(
                    f"`{name}` must be numeric; column {j}, row {i} holds the "
                    f"non-numeric value {value!r}."
                ) from None


def _check_frame_columns(X: Any, name: str) -> None:
    import pandas as pd

    for j, (column, dt) in enumerate(zip(X.columns, X.dtypes, strict=True)):
        if pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt):
            continue
        col = X.iloc[:, j]
        converted = pd.to_numeric(col, errors="coerce")
        bad = np.flatnonzero(converted.isna().to_numpy() & col.notna().to_numpy())
        if bad.size:
            i = int(bad[0])
            raise InputValueError(
                f"`{name}` column {column!r} (position {j}) must be numeric; got "
                f"dtype {dt} with the non-numeric value {col.iloc[i]!r} at row {i}."
            )


#: The largest magnitude of a feature a fit accepts: products of two features
#: (the Gram matrix, the Hessian) must not overflow float64.
MAX_FIT_ABS = 1e150

# Rows per block of check_finite: about 4 MiB of a float64 X (the boolean mask of a
# block, not of the whole array, is the only temporary).
_FINITE_BLOCK_BYTES = 1 << 22


def _finite_block_rows(X: np.ndarray[Any, Any]) -> int:
    row_bytes = max(1, int(np.prod(X.shape[1:], dtype=np.int64)) * X.itemsize)
    return max(1, _FINITE_BLOCK_BYTES // row_bytes)


def check_finite(
    X: FloatArray, name: str = "X", *, max_abs: float | None = None
) -> None:
    """Raise naming the first NaN or infinite entry of a 2-D float array.

    With ``max_abs``, also the first entry larger than it in magnitude. ``X`` is
    checked by blocks of rows, so that no temporary larger than a block (a few
    MiB) is made, whatever the size of ``X``.

    Raises
    ------
    InputValueError
        ``"`X` contains NaN at row 3, column 2 (1 non-finite entry in all; ...)"``.
    """
    step = _finite_block_rows(X)
    n = X.shape[0]
    # the first block with a non-finite entry, and the first with a large one
    first: int | None = None
    big: int | None = None
    limit = np.inf if max_abs is None else max_abs
    for s in range(0, n, step):
        block = X[s : s + step]
        if not block.size:
            continue
        # Two reductions, no temporary: NaN propagates to both, infinities and
        # large entries show in them; only a block that fails looks closer.
        hi, lo = float(block.max()), float(block.min())
        if -limit <= lo and hi <= limit and math.isfinite(lo) and math.isfinite(hi):
            continue
        if not np.isfinite(block).all():
            first = s
            break
        if big is None and max_abs is not None:
            big = s
    if first is None:
        if big is not None and max_abs is not None:
            _raise_above(X[big : big + step], big, name, max_abs)
        return
    block = X[first : first + step]
    i, j = (int(v) for v in np.argwhere(~np.isfinite(block))[0])
    i += first
    n_bad = sum(
        int(np.count_nonzero(~np.isfinite(X[s : s + step])))
        for s in range(first, n, step)
    )
    value = X[i, j]
    what = "NaN" if np.isnan(value) else ("infinity" if value > 0 else "-infinity")
    raise InputValueError(
        f"`{name}` contains {what} at row {i}, column {j} ({n_bad} non-finite "
        f"entr{'y' if n_bad == 1 else 'ies'} in all; inf and NaN are not "
        "allowed)."
    )


def _raise_above(block: FloatArray, start: int, name: str, max_abs: float) -> None:
    """Raise naming the first entry of ``block`` (rows from ``start``) above
    ``max_abs`` in magnitude."""
    i, j = (int(v) for v in np.argwhere(np.abs(block) > max_abs)[0])
    raise InputValueError(
        f"`{name}` holds {block[i, j]:.3g} at row {start + i}, column {j}; a fit "
        f"needs features below {max_abs:g} in magnitude (their products must "
        "not overflow): rescale the features (e.g. StandardScaler)."
    )


def name_argument(message: str) -> str:
    r"""Prefix a message of scikit-learn's input checks with the argument it is about.

    Examples
    --------
    >>> name_argument("Expected 2D array, got 1D array instead:\narray=[1 2].\nReshape")
    '`X` is invalid: Expected 2D array, got 1D array instead: Reshape'
    >>> name_argument("Input y contains NaN.")
    '`y` is invalid: Input y contains NaN.'
    """
    # one line, without the dump of the array scikit-learn includes ("array=[...]")
    lines = [ln.strip() for ln in message.strip().splitlines()]
    first = " ".join(ln for ln in lines if ln and not ln.startswith("array="))
    if len(first) > 500:
        first = first[:497] + "..."
    if first.startswith("`"):
        return first
    about_y = any(w in first for w in ("Input y", "y should", "target y", " y "))
    return f"`{'y' if about_y else 'X'}` is invalid: {first}"


def check_not_iterator(name: str, value: object) -> None:
    """Refuse a one-shot iterator (a generator, ``map``, ``iter(...)``) as data.

    An iterator is consumed by the first look at it, so it cannot be validated and
    then used; NumPy would make a 0-d object array of it.

    Raises
    ------
    InputTypeError
        ``"`X` must be an array-like (...); got a generator. ..."``
    """
    if isinstance(value, Iterator):
        raise InputTypeError(
            f"`{name}` must be an array-like (a NumPy array, a list or a pandas "
            f"object); got a {type(value).__name__}, an iterator that can be read "
            f"only once: pass np.array(list({name})) instead."
        )


def _n_rows(a: Any) -> int | None:
    shape = getattr(a, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    try:
        return len(a)
    except TypeError:
        return None


def check_same_length(X: Any, y: Any, y_name: str = "y") -> None:
    """Raise if ``X`` and ``y`` have different numbers of rows (when both have one).

    Raises
    ------
    InputValueError
        ``"`X` and `y` must have the same number of samples; got 6 rows in `X`
        and 5 labels in `y`."`` (``y_name`` names the labels).
    """
    check_not_iterator("X", X)
    check_not_iterator("y", y)
    n_x, n_y = _n_rows(X), _n_rows(y)
    if n_x is not None and n_y is not None and n_x != n_y:
        raise InputValueError(
            f"`X` and `{y_name}` must have the same number of samples; got {n_x} rows "
            f"in `X` and {n_y} labels in `{y_name}`."
        )


def _small_integer_labels(
    y: np.ndarray[Any, Any],
) -> tuple[np.ndarray[Any, Any], IntArray] | None:
    """``np.unique(y, return_inverse=True)`` for 1-D integer labels in a range of at
    most ``y.size + 1024`` values, by counting: no sort and no temporary beyond the
    encoded labels (a 1-D integer array is always a classification target).
    ``None`` for any other ``y``."""
    if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.size) or (
        y.dtype.kind not in "iub"
    ):
        return None
    lo, hi = int(y.min()), int(y.max())
    if hi - lo > y.size + 1024:
        return None
    shifted = y if (lo == 0 and y.dtype.kind == "i") else y.astype(np.int64) - lo
    present = np.flatnonzero(np.bincount(shifted, minlength=hi - lo + 1))
    code = np.zeros(hi - lo + 1, dtype=np.int64)
    code[present] = np.arange(present.size)
    classes = (present + lo).astype(y.dtype)
    return classes, code[shifted]


def encode_labels(
    y: np.ndarray[Any, Any], name: str = "y", *, min_classes: int = 2
) -> tuple[np.ndarray[Any, Any], IntArray]:
    """The sorted classes of ``y`` and ``y`` encoded as ``0..n_classes-1``.

    Raises
    ------
    InputValueError
        If ``y`` is not a classification target (continuous values, a
        multi-output array: scikit-learn's judgement) or holds fewer than
        ``min_classes`` classes.
    """
    from sklearn.utils.multiclass import check_classification_targets

    small = _small_integer_labels(y)
    y_enc: np.ndarray[Any, Any]
    if small is None:
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise InputValueError(f"`{name}` must hold class labels; {exc}") from None
        classes, y_enc = np.unique(y, return_inverse=True)
    else:
        classes, y_enc = small
    if classes.size < min_classes:
        raise InputValueError(
            f"`{name}` must contain at least two classes; got 1 class "
            f"({classes[0]!r}). A classifier cannot train on a single class."
        )
    return classes, y_enc.astype(np.int64, copy=False)
