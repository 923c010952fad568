"""softlogit: softmax regression, logistic regression and the exact bridge between them.

For two classes, ``softmax([z1, z2])[1] == sigmoid(z2 - z1)``: softmax regression
generalizes logistic regression. softlogit provides stable functions on logits, losses,
parametrizations with explicit gauges and exact conversions between them, estimators,
the seed experiment (networks 0, 1, 2) and a machine-checked derivation.

Only NumPy is imported eagerly; everything else loads on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from softlogit._special import (
    binary_cross_entropy,
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    softplus,
)

__version__ = "0.1.0"

# Public names that live in modules with heavier imports: name -> module.
_LAZY: dict[str, str] = {}

# Keep sorted; a test checks it. Lazily loaded names are listed too.
__all__ = [
    "__version__",
    "binary_cross_entropy",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "softplus",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'softlogit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
