"""The results store of a sweep: one Parquet file, one row per cell and seed.

Rows (:func:`~softlogit.experiment._sweep_rows.measure_rows`) are keyed by a hash of
their resolved spec (``key``). :func:`write_rows` replaces the file atomically (a
temporary file renamed over it), so an interrupted sweep leaves the rows of every
finished batch; a later run reads them back (:func:`read_rows`) and trains only the
missing keys. The grid of the last run is stored in the file's metadata.

Parquet goes through pyarrow, the ``sweep`` extra.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from softlogit.errors import InputValueError, MissingExtraError

__all__ = ["ROWS_FILE", "read_rows", "write_rows"]

#: the name of the rows file in a sweep's directory
ROWS_FILE = "rows.parquet"
_GRID_KEY = b"softlogit.sweep.grid"


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MissingExtraError("pyarrow", "sweep") from None
    return pyarrow


def read_rows(path: str | Path) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The rows of a store and the grid of its last run (None if not recorded).

    Parameters
    ----------
    path : str or path
        The Parquet file, or a sweep directory holding :data:`ROWS_FILE`.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InputValueError
        If the file is not a softlogit sweep's Parquet file.
    """
    pa = _pyarrow()
    p = Path(path)
    if p.is_dir():
        p = p / ROWS_FILE
    if not p.is_file():
        raise FileNotFoundError(f"sweep results {str(p)!r} do not exist.")
    try:
        table = pa.parquet.read_table(p)
    except (pa.ArrowException, OSError) as exc:
        raise InputValueError(f"{str(p)!r} is not a Parquet file: {exc}") from None
    if "key" not in table.column_names:
        raise InputValueError(f"{str(p)!r} holds no softlogit sweep rows.")
    meta = table.schema.metadata or {}
    grid = json.loads(meta[_GRID_KEY]) if _GRID_KEY in meta else None
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows, grid


def write_rows(
    path: str | Path, rows: Sequence[dict[str, Any]], grid: dict[str, Any]
) -> Path:
    """Write ``rows`` (one key each) and ``grid`` to ``path``, atomically."""
    pa = _pyarrow()
    p = Path(path)
    table = pa.Table.from_pylist(list(rows))
    meta = dict(table.schema.metadata or {})
    meta[_GRID_KEY] = json.dumps(grid).encode("utf-8")
    table = table.replace_schema_metadata(meta)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    pa.parquet.write_table(table, tmp)
    os.replace(tmp, p)
    return p
