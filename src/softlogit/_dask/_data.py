"""The inputs of a fit on Dask data: row-chunked arrays, checked in one pass.

:func:`as_arrays` turns ``X`` (a Dask array or dataframe), ``y`` and
``sample_weight`` (Dask collections, or in-memory arrays that are then chunked like
``X``) into Dask arrays with the same row chunks, ``X`` in a single block of columns
(a Dask array chunked along columns is rechunked: the losses need whole rows). A
dataframe's partitions become the blocks: ``X`` and the Dask series of the same
dataframe (``y``, the weights) are read from the same partitions, whose lengths are
computed first (a pass that brings back one integer per partition).

:func:`check_pass` then reads every block once, on the workers, and brings back only
what the fit needs: the first non-finite entry of ``X`` (if any), the largest row
norm, the first invalid weight, the sum of the weights and the weighted feature
sums, and the distinct labels with their weights (unique per block, combined by a
tree reduction), from which the classes are sorted and the labels encoded lazily
(:func:`encode`). The errors are those of in-memory fits, with rows counted from
the first row of the whole data set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from softlogit._dask import is_dask_collection
from softlogit._dask._blocks import compute, merged_blocks
from softlogit._typing import FloatArray
from softlogit._validation import encode_labels, sklearn_input_errors
from softlogit.errors import InputTypeError, InputValueError, MissingExtraError

__all__ = [
    "Checked",
    "DaskInputs",
    "as_arrays",
    "check_frame",
    "check_pass",
    "encode",
]


def _dask_array() -> Any:
    try:
        import dask.array as da
    except ImportError:  # pragma: no cover - a Dask collection implies Dask
        raise MissingExtraError("Dask", "dask") from None
    return da


@dataclass(frozen=True)
class DaskInputs:
    """``X`` (float64), ``y`` and ``sw`` as Dask arrays with the same row chunks.

    ``frame`` is the empty pandas frame of a dataframe ``X`` (its column names and
    dtypes), else None; ``sw`` is None for unit weights.
    """

    X: Any
    y: Any
    sw: Any
    frame: Any = None


def _is_frame(obj: object) -> bool:
    return is_dask_collection(obj) and hasattr(obj, "map_partitions")


def check_frame(X: Any) -> None:
    """A dataframe ``X`` must be 2-D, every column numeric (bool counts as numeric)."""
    import pandas as pd

    if X.ndim != 2:
        raise InputValueError("`X` must be 2-D; got a Dask series.")
    for j, (column, dt) in enumerate(zip(X.columns, X.dtypes, strict=True)):
        if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt)):
            raise InputValueError(
                f"`X` column {column!r} (position {j}) must be numeric; got dtype {dt}."
            )


def _features_of(part: Any, columns: list[Any]) -> np.ndarray:
    """A partition's feature columns as float64 (missing values as NaN)."""
    out: np.ndarray = part[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _column_of(part: Any, column: Any) -> np.ndarray:
    """A partition's column as a NumPy array (pandas strings as objects)."""
    out: np.ndarray = part[column].to_numpy()
    return out


def _partition_arrays(frame: Any, columns: list[tuple[Any, bool]]) -> list[Any]:
    """Dask arrays of ``frame``'s columns with one block per partition.

    ``columns`` lists ``(column or list of columns, as features)``. The partitions
    are fixed once (``to_delayed``) and their lengths computed (a pass that brings
    back one integer per partition), so that every array has the same row chunks
    however Dask would otherwise regroup the partitions of a column selection.
    """
    import pandas as pd
    from dask.delayed import delayed

    da = _dask_array()
    parts = list(frame.to_delayed())
    lengths = [int(n) for n in compute(*(delayed(len)(p) for p in parts))]
    arrays = []
    fn: Callable[[Any, Any], np.ndarray]
    tail: tuple[int, ...]
    dtype: np.dtype[Any]
    for column, features in columns:
        if features:
            fn, tail, dtype = _features_of, (len(column),), np.dtype(np.float64)
        else:
            dt = frame._meta[column].dtype
            numeric = pd.api.types.is_numeric_dtype(dt) and isinstance(dt, np.dtype)
            fn, tail, dtype = _column_of, (), dt if numeric else np.dtype(object)
        blocks = [
            da.from_delayed(
                delayed(fn, pure=True)(part, column),
                shape=(n, *tail),
                dtype=dtype,
                meta=np.empty((0,) * (1 + len(tail)), dtype=dtype),
            )
            for part, n in zip(parts, lengths, strict=True)
        ]
        arrays.append(da.concatenate(blocks, axis=0))
    return arrays


def _frame_inputs(X: Any, y: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
    """``X`` (a dataframe), and ``y`` and the weights if they are Dask series of
    the same dataframe, as arrays read from the same partitions (the others are
    returned unchanged)."""
    columns = list(X.columns)
    combined = X
    wanted: list[tuple[Any, bool]] = [(columns, True)]
    extra = {"y": y, "sample_weight": sample_weight}
    taken = {}
    for name, obj in extra.items():
        if not _is_frame(obj) or obj.ndim != 1:
            continue
        key = f"__softlogit_{name}__"
        try:
            combined = combined.assign(**{key: obj})
        except (ValueError, TypeError, NotImplementedError):
            continue  # not partitioned like X: converted on its own
        taken[name] = len(wanted)
        wanted.append((key, False))
    arrays = _partition_arrays(combined, wanted)
    for name, index in taken.items():
        extra[name] = arrays[index]
    return arrays[0], extra["y"], extra["sample_weight"]


def _column(obj: Any, name: str, X: Any) -> Any:
    """``y`` or ``sample_weight`` as a 1-D Dask array with the row chunks of ``X``."""
    da = _dask_array()
    if _is_frame(obj):
        if obj.ndim != 1:
            raise InputValueError(f"`{name}` must be 1-D; got a Dask dataframe.")
        arr = _partition_arrays(obj.to_frame(name="c"), [("c", False)])[0]
    elif is_dask_collection(obj):
        arr = obj.compute_chunk_sizes() if np.isnan(obj.shape).any() else obj
    else:
        arr = da.from_array(np.asarray(obj), chunks=(X.chunks[0],))
    if arr.ndim != 1:
        raise InputValueError(f"`{name}` must be 1-D; got shape {arr.shape}.")
    if arr.shape[0] != X.shape[0]:
        what = "labels in `y`" if name == "y" else "weights in `sample_weight`"
        raise InputValueError(
            f"`X` and `{name}` must have the same number of samples; got "
            f"{X.shape[0]} rows in `X` and {arr.shape[0]} {what}."
        )
    return arr if arr.chunks[0] == X.chunks[0] else arr.rechunk((X.chunks[0],))


def as_arrays(X: Any, y: Any, sample_weight: Any) -> DaskInputs:
    """The inputs of a fit as row-chunked Dask arrays (see the module docs).

    Raises
    ------
    InputTypeError
        If ``X`` is not a Dask collection, or not numeric.
    InputValueError
        For a non-numeric dataframe column, a wrong shape or a length mismatch.
    """
    da = _dask_array()
    if not is_dask_collection(X):
        raise InputTypeError(
            "`X` must be a Dask array or dataframe when `y` or `sample_weight` is a "
            f"Dask collection; got {type(X).__name__}."
        )
    frame = None
    if _is_frame(X):
        check_frame(X)
        frame = X._meta
        X, y, sample_weight = _frame_inputs(X, y, sample_weight)
    elif np.isnan(X.shape).any():
        X = X.compute_chunk_sizes()
    if X.ndim != 2:
        raise InputValueError(f"`X` must be 2-D; got shape {X.shape}.")
    if X.dtype.kind not in "biuf":
        raise InputTypeError(f"`X` must be a real numeric array; got dtype {X.dtype}.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise InputValueError(
            f"`X` must have at least one sample and one feature; got shape {X.shape}."
        )
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})  # whole rows in every block
    X = X.astype(np.float64)
    y_arr = _column(y, "y", X)
    sw = _weights(sample_weight, X, da)
    return DaskInputs(X, y_arr, sw, frame)


def _weights(sample_weight: Any, X: Any, da: Any) -> Any:
    """``sample_weight`` as a float64 Dask array like ``X``'s rows; None for None."""
    if sample_weight is None:
        return None
    if np.ndim(sample_weight) == 0 and not is_dask_collection(sample_weight):
        value = float(sample_weight)
        return da.full(X.shape[0], value, chunks=(X.chunks[0],), dtype=np.float64)
    sw = _column(sample_weight, "sample_weight", X)
    if sw.dtype.kind not in "biuf":
        raise InputTypeError(f"`sample_weight` must be numeric; got dtype {sw.dtype}.")
    return sw.astype(np.float64)


# --------------------------------------------------------------------------------------
# the check pass
# --------------------------------------------------------------------------------------


@dataclass
class Checked:
    """What one pass over the blocks found (merged over blocks by :meth:`merge`).

    Rows are global (the block's first row added). ``bad_x`` is ``(row, column,
    value)`` of the first non-finite entry of ``X`` and ``n_bad_x`` their number;
    ``bad_w`` is ``(row, value)`` of the first negative or non-finite weight.
    """

    bad_x: tuple[int, int, float] | None = None
    n_bad_x: int = 0
    bad_w: tuple[int, float] | None = None
    max_row_sq: float = 0.0
    sum_weights: float = 0.0
    n_positive: int = 0
    feature_sums: FloatArray = field(default_factory=lambda: np.zeros(0))
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0))
    label_weights: FloatArray = field(default_factory=lambda: np.zeros(0))

    @staticmethod
    def merge(*parts: Checked) -> Checked:
        """One :class:`Checked` for the rows of all ``parts``."""
        out = Checked()
        bad_x = [p.bad_x for p in parts if p.bad_x is not None]
        bad_w = [p.bad_w for p in parts if p.bad_w is not None]
        out.bad_x = min(bad_x) if bad_x else None
        out.bad_w = min(bad_w) if bad_w else None
        out.n_bad_x = sum(p.n_bad_x for p in parts)
        out.max_row_sq = max(p.max_row_sq for p in parts)
        out.sum_weights = sum(p.sum_weights for p in parts)
        out.n_positive = sum(p.n_positive for p in parts)
        sums = [p.feature_sums for p in parts if p.feature_sums.size]
        out.feature_sums = np.sum(sums, axis=0) if sums else np.zeros(0)
        labels = [p.labels for p in parts if p.labels.size]
        if labels:
            out.labels, inverse = np.unique(np.concatenate(labels), return_inverse=True)
            weights = np.concatenate([p.label_weights for p in parts if p.labels.size])
            out.label_weights = np.bincount(
                inverse.ravel(), weights=weights, minlength=out.labels.size
            ).astype(np.float64)
        return out


def _check_block(Xb: FloatArray, yb: np.ndarray, *rest: Any) -> Checked:
    """The :class:`Checked` of one block of rows; ``rest`` is ``(weights, first
    row)`` or ``(first row,)``. NumPy only: a worker that runs it imports neither
    pandas nor scikit-learn."""
    swb, offset = (None, rest[0]) if len(rest) == 1 else rest
    out = Checked()
    finite = np.isfinite(Xb)
    if not finite.all():
        bad = np.argwhere(~finite)
        i, j = (int(v) for v in bad[0])
        out.bad_x, out.n_bad_x = (offset + i, j, float(Xb[i, j])), len(bad)
        Xb = np.where(finite, Xb, 0.0)
    if Xb.shape[0]:
        out.max_row_sq = float(np.max(np.einsum("ij,ij->i", Xb, Xb)))
    sw = np.ones(Xb.shape[0]) if swb is None else swb
    invalid = np.flatnonzero(~np.isfinite(sw) | (sw < 0))
    if invalid.size:
        i = int(invalid[0])
        out.bad_w = (offset + i, float(sw[i]))
        sw = np.where(np.isfinite(sw) & (sw >= 0), sw, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond the range: refused
        out.sum_weights = float(np.sum(sw))
        out.feature_sums = sw @ Xb
    out.n_positive = int(np.count_nonzero(sw > 0))
    if yb.size:
        try:
            out.labels, inverse = np.unique(yb, return_inverse=True)
        except TypeError as exc:  # labels of several types that do not sort
            raise InputTypeError(
                f"`y` must hold labels of one sortable type; got {exc}"
            ) from None
        out.label_weights = np.bincount(
            inverse.ravel(), weights=sw, minlength=out.labels.size
        ).astype(np.float64)
        if out.labels.dtype.kind == "f":
            # Continuous values are not labels: keep two of them (not a distinct
            # value per row), which the check of the combined labels refuses.
            # (NaN counts as fractional.)
            fractional = out.labels[out.labels != np.floor(out.labels)][:2]
            if fractional.size:
                out.labels, out.label_weights = fractional, np.zeros(fractional.size)
    return out


def check_pass(inputs: DaskInputs) -> tuple[Checked, np.ndarray]:
    """Check the data in one pass; return the summary and the sorted classes.

    Raises
    ------
    InputValueError
        For a non-finite entry of ``X`` (its global row and column), a missing or
        non-class label, fewer than two classes, or an invalid weight.
    """
    columns = (inputs.y,) if inputs.sw is None else (inputs.y, inputs.sw)
    checked: Checked = merged_blocks(_check_block, Checked.merge, inputs.X, *columns)
    if checked.bad_x is not None:
        i, j, value = checked.bad_x
        what = "NaN" if np.isnan(value) else ("infinity" if value > 0 else "-infinity")
        n = checked.n_bad_x
        raise InputValueError(
            f"`X` contains {what} at row {i}, column {j} ({n} non-finite "
            f"entr{'y' if n == 1 else 'ies'} in all; inf and NaN are not allowed)."
        )
    # scikit-learn's checks of the labels (as in memory: NaN first, then the type
    # of target), on the labels combined from all blocks.
    if checked.labels.dtype.kind == "f":
        from sklearn.utils.validation import _assert_all_finite

        with sklearn_input_errors():
            _assert_all_finite(checked.labels, input_name="y")
    classes, _ = encode_labels(checked.labels)
    if checked.bad_w is not None:
        i, value = checked.bad_w
        raise InputValueError(
            "`sample_weight` must be finite and non-negative; got "
            f"{value!r} at row {i}."
        )
    if not checked.sum_weights > 0:
        raise InputValueError(
            "`sample_weight` must have a positive sum; got all zeros."
        )
    return checked, classes


def _encode_block(yb: np.ndarray, classes: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.searchsorted(classes, yb).astype(np.int64)
    return out


def encode(y: Any, classes: np.ndarray) -> Any:
    """The labels ``y`` encoded as ``0..n_classes-1`` (lazily, block by block)."""
    return y.map_blocks(_encode_block, classes, dtype=np.int64)
