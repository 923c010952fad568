"""Checked reading of the fields of a JSON document (model files).

Every check fails with an :class:`~softlogit.InputValueError` that names the field,
says what was expected and shows (a bounded part of) what was found.
"""

from __future__ import annotations

import math
import reprlib
from typing import TypeGuard

import numpy as np

from softlogit._typing import FloatArray
from softlogit.errors import InputValueError

__all__ = ["fail", "float_array", "is_int", "is_number"]

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxstring, _REPR.maxother = 3, 4, 40, 40


def fail(field: str, expected: str, got: object) -> InputValueError:
    """The error for model-file field ``field``: ``expected``, but ``got``."""
    shown = _REPR.repr(got)  # bounded: a deeply nested value is not walked
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return InputValueError(
        f"invalid model file: field `{field}` must be {expected}; got {shown}."
    )


def is_int(v: object) -> TypeGuard[int]:
    """Whether ``v`` is a JSON integer (``true`` is not)."""
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: object) -> bool:
    """Whether ``v`` is a JSON number (``true`` is not)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def float_array(field: str, value: object, ndim: int) -> FloatArray:
    """A finite float64 array of ``ndim`` dimensions from nested JSON lists."""

    def check(v: object, depth: int) -> None:
        if depth == ndim:
            if not is_number(v) or not math.isfinite(float(v)):  # type: ignore[arg-type]
                raise fail(field, "made of finite numbers", v)
            return
        if not isinstance(v, list):
            raise fail(field, f"a {ndim}-D list of numbers", v)
        for item in v:
            check(item, depth + 1)

    check(value, 0)
    try:
        arr = np.array(value, dtype=np.float64)
    except ValueError as exc:  # ragged rows
        raise fail(field, "a rectangular list of rows", value) from exc
    if arr.ndim != ndim:
        raise fail(field, f"a {ndim}-D list of numbers", value)
    return arr
