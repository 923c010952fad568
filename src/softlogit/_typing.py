"""Type aliases shared by the whole package."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["ArrayLike", "Axis", "FloatArray", "IntArray"]

FloatArray: TypeAlias = NDArray[np.floating]
IntArray: TypeAlias = NDArray[np.integer]
Axis: TypeAlias = "int | tuple[int, ...] | None"
