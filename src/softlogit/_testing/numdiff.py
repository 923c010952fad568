r"""5-point central finite differences, the tests' independent reference for derivatives.

.. math::

    f'(x; v) \approx \frac{-f(x + 2hv) + 8 f(x + hv) - 8 f(x - hv) + f(x - 2hv)}{12 h},

with truncation error :math:`O(h^4)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["derivative", "gradient"]


def derivative(
    f: Callable[[Any], Any], x: Any, direction: Any = 1.0, h: float = 1e-4
) -> Any:
    """Derivative of ``f`` at ``x`` along ``direction``, by 5-point differences.

    ``x`` and ``direction`` may be scalars or arrays (``x + h * direction`` must make
    sense); ``f`` may return a scalar or an array. With an array ``x`` and the default
    scalar direction, an elementwise ``f`` gives its elementwise derivative.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit._testing.numdiff import derivative
    >>> round(float(derivative(np.sin, 0.0)), 12)
    1.0
    >>> derivative(lambda t: t**3, np.array([1.0, 2.0])).round(9).tolist()
    [3.0, 12.0]
    """
    step = h * direction
    return (-f(x + 2 * step) + 8 * f(x + step) - 8 * f(x - step) + f(x - 2 * step)) / (
        12 * h
    )


def gradient(f: Callable[[np.ndarray], Any], x: np.ndarray, h: float = 1e-4) -> Any:
    """Gradient (or Jacobian, for an array-valued ``f``) of ``f`` at the array ``x``.

    One :func:`derivative` per entry of ``x``, along its unit vector; the result has
    shape ``x.shape + shape of f(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit._testing.numdiff import gradient
    >>> gradient(lambda w: float(w @ w), np.array([1.0, -2.0])).round(9).tolist()
    [2.0, -4.0]
    """
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for i in np.ndindex(x.shape):
        unit = np.zeros_like(x)
        unit[i] = 1.0
        columns.append(np.asarray(derivative(f, x, unit, h)))
    return np.stack(columns).reshape(x.shape + columns[0].shape)
