"""JSON for softlogit's files: NumPy values converted, no NaN or Infinity literals.

Strict JSON parsers reject ``NaN`` and ``Infinity``; softlogit's result and report
files therefore write non-finite numbers as ``null`` (the documents say why a value
is missing). Model files, which must round-trip exactly, tag them instead (see
:mod:`softlogit._persistence`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["dumps", "to_jsonable"]


def to_jsonable(value: object) -> Any:
    """Convert NumPy scalars and arrays (recursively) to JSON-ready Python values.

    Non-finite floats become None; tuples become lists; other objects their ``str``.

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"a": np.array([1.0, np.nan]), "b": (np.int64(2), "x")})
    {'a': [1.0, None], 'b': [2, 'x']}
    """
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def dumps(doc: Mapping[str, Any], *, indent: int | None = 1) -> str:
    """Serialize a document as UTF-8-ready text ending in a newline.

    Raises ``ValueError`` on NaN or infinity rather than writing invalid JSON (pass
    the document through :func:`to_jsonable` first).
    """
    return json.dumps(doc, indent=indent, allow_nan=False, ensure_ascii=False) + "\n"
