"""Type aliases shared by the whole package."""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["GAUGES", "ArrayLike", "Axis", "FloatArray", "Gauge", "IntArray"]

FloatArray: TypeAlias = NDArray[np.floating]
IntArray: TypeAlias = NDArray[np.integer]
Axis: TypeAlias = "int | tuple[int, ...] | None"

#: How a representative of a softmax model's coefficients is chosen (the models
#: are identified only up to a common row): ``"centered"``, rows summing to zero;
#: ``"reference"``, the reference class's row zero; ``"none"``, no choice (a
#: solver's raw iterate). Conversions that pick a representative accept the first
#: two only and say so.
Gauge: TypeAlias = Literal["centered", "reference", "none"]
GAUGES: tuple[str, ...] = get_args(Gauge)
