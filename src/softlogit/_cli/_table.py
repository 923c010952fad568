"""Reading a CSV DATA for ``softlogit fit`` and ``predict``: the file, the target
column and the numeric feature columns, every problem as a :class:`CLIError`
naming the file, the column and the line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from softlogit._cli._fit_checks import check_two_classes
from softlogit.errors import CLIError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "feature_frame",
    "numeric_features",
    "read_csv",
    "read_table",
    "target_column",
]


def read_csv(path: str, name: str) -> pd.DataFrame:
    """Read a CSV file, turning every reading problem into a CLIError."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise CLIError(f"{name} {path!r} does not exist.")
    if not p.is_file():
        raise CLIError(f"{name} {path!r} is not a file.")
    try:
        frame = pd.read_csv(p)
    except pd.errors.EmptyDataError:
        raise CLIError(f"{name} {path!r} is empty.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
        raise CLIError(f"{name} {path!r} is not a valid CSV file: {first}") from None
    if frame.shape[0] == 0:
        raise CLIError(f"{name} {path!r} has a header but no data rows.")
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:  # pragma: no cover - pandas renames duplicates ("a.1")
        raise CLIError(f"{name} {path!r} has duplicated columns {duplicated}.")
    return frame


def _line(position: int) -> int:
    """The file line of data row ``position`` (the header is line 1)."""
    return position + 2


def numeric_features(frame: pd.DataFrame, path: str) -> pd.DataFrame:
    """Check that every column is numeric and finite; return them as float64."""
    import numpy as np
    import pandas as pd

    out = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind == "b":
            values = values.astype(np.float64)
        elif values.dtype.kind not in "iuf":
            coerced = pd.to_numeric(values, errors="coerce")
            bad = np.flatnonzero(coerced.isna().to_numpy() & values.notna().to_numpy())
            if bad.size:
                raise CLIError(
                    f"feature column {column!r} of {path!r} is not numeric: "
                    f"{values.iloc[bad[0]]!r} at line {_line(int(bad[0]))}."
                )
            values = coerced
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            what = "a missing value" if np.isnan(arr[bad[0]]) else "an infinite value"
            raise CLIError(
                f"feature column {column!r} of {path!r} has {what} at line "
                f"{_line(int(bad[0]))}; remove or impute it."
            )
        out[str(column)] = arr
    return pd.DataFrame(out, index=frame.index)


def read_table(
    data: str, target: str, features: str | None
) -> tuple[pd.DataFrame, pd.Series]:
    """The numeric features and the target column (two classes at least) of a CSV
    DATA."""
    frame = read_csv(data, "DATA")
    y = target_column(frame, target, data)
    check_two_classes(y, target)
    return numeric_features(feature_frame(frame, target, features, data), data), y


def target_column(frame: pd.DataFrame, target: str, data: str) -> pd.Series:
    """The --target column: present and without missing values."""
    if target not in frame.columns:
        shown = ", ".join(repr(str(c)) for c in frame.columns)
        raise CLIError(f"--target {target!r} is not a column of {data!r} ({shown}).")
    y = frame[target]
    missing = y.isna().to_numpy().nonzero()[0]
    if missing.size:
        raise CLIError(
            f"target column {target!r} has a missing value at line "
            f"{_line(int(missing[0]))}."
        )
    return y


def feature_frame(
    frame: pd.DataFrame, target: str, features: str | None, data: str
) -> pd.DataFrame:
    """The feature columns: those of --features, or every column but --target."""
    if features is None:
        chosen = frame.drop(columns=[target])
    else:
        names = [n.strip() for n in features.split(",") if n.strip()]
        absent = [n for n in names if n not in frame.columns]
        if absent or not names:
            raise CLIError(
                f"--features must name columns of {data!r}; not found: {absent}."
            )
        if target in names:
            raise CLIError(f"--features must not include --target {target!r}.")
        if len(set(names)) != len(names):
            raise CLIError(f"--features names a column twice: {features!r}.")
        chosen = frame[names]
    if chosen.shape[1] == 0:
        raise CLIError(f"{data!r} has no feature column besides --target {target!r}.")
    return chosen
