"""What an experiment will allocate, estimated before it allocates anything.

``softlogit compare --hidden 1000000000`` once died of a ``MemoryError`` traceback
after minutes; :func:`check_memory` refuses such a spec at once, with the figure and
the option to blame. The estimate counts the arrays the experiment keeps (the data
and its split copies, every network's parameters at every recorded step, the
recorded probabilities, the minibatch schedule) and the working memory of a step
(parameters, gradients and optimizer state, the activations of a batch). It is an
upper bound within a small factor, and it is compared with the machine's physical
memory: a spec is refused only when it cannot fit at all.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass

from softlogit.errors import InputValueError
from softlogit.experiment._spec import (
    BINARY_NETWORKS,
    GENERAL_NETWORKS,
    DataSpec,
    ExperimentSpec,
)

__all__ = ["MemoryEstimate", "check_memory", "estimate_memory", "known_shape"]

# samples, features, classes of the built-in data sets (a test checks them)
BUILTIN_SHAPES: dict[str, tuple[int, int, int]] = {
    "breast_cancer": (569, 30, 2),
    "iris": (150, 4, 3),
    "wine": (178, 13, 3),
    "digits": (1797, 64, 10),
}
# the bytes a Python object costs beyond its data (an int in a set, a small array)
_OBJECT = 128


def known_shape(data: DataSpec) -> tuple[int, int, int] | None:
    """(samples, features, classes) of ``data`` when known without loading it.

    Examples
    --------
    >>> from softlogit.experiment import ExperimentSpec
    >>> known_shape(ExperimentSpec().data)
    (569, 30, 2)
    """
    if data.dataset == "synthetic":
        return data.n_samples, data.n_features, data.n_classes
    return BUILTIN_SHAPES.get(data.dataset)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes an experiment needs, by part; each part names the options it grows with.

    Attributes
    ----------
    parts : tuple of (str, str, int)
        ``(what, options, bytes)`` for each part.
    """

    parts: tuple[tuple[str, str, int], ...]

    @property
    def total(self) -> int:
        """The sum of the parts, in bytes."""
        return sum(b for _, _, b in self.parts)

    @property
    def largest(self) -> tuple[str, str, int]:
        """The part that needs the most."""
        return max(self.parts, key=lambda part: part[2])


def estimate_memory(
    spec: ExperimentSpec, n_samples: int, n_features: int, n_classes: int
) -> MemoryEstimate:
    """Estimate the memory of running ``spec`` on data of the given shape.

    Examples
    --------
    >>> from softlogit.experiment import ExperimentSpec
    >>> estimate = estimate_memory(ExperimentSpec(), 569, 30, 2)
    >>> estimate.total < 100 * 2**20
    True
    >>> big = estimate_memory(ExperimentSpec().replace(hidden=10**9), 569, 30, 2)
    >>> big.largest[1], big.total > 10**12
    ('`hidden`, `steps`, `record_every`', True)
    """
    tr = spec.training
    item = 4 if tr.dtype == "float32" else 8
    n, p, k = n_samples, n_features, n_classes
    n_test = math.ceil(spec.data.test_size * n)
    n_train = max(n - n_test, 1)
    nets = spec.networks or (BINARY_NETWORKS if k == 2 else GENERAL_NETWORKS)
    widths = [p, *spec.model.hidden, k]
    n_params = sum(a * b + b for a, b in itertools.pairwise(widths))
    every = tr.record_interval
    records = tr.steps // every + 3
    batch = n_train if tr.batch_size is None else min(tr.batch_size, n_train)
    schedule = 0
    if tr.batch_size is not None and tr.batch_size < n_train:
        schedule = tr.steps * (batch * 8 + _OBJECT)
    activations = batch * (sum(spec.model.hidden) + k) * item * 4
    parts = (
        ("the data and its split copies", "`n_samples`, `n_features`", 4 * n * p * 8),
        (
            "the parameters, gradients and optimizer state of every network",
            "`hidden`",
            len(nets) * n_params * item * 8,
        ),
        (
            "the recorded parameters",
            "`hidden`, `steps`, `record_every`",
            len(nets) * n_params * item * records,
        ),
        (
            "the recorded probabilities",
            "`n_samples`, `steps`, `record_every`",
            len(nets) * records * n * k * item * 2,
        ),
        ("the recorded steps", "`steps`, `record_every`", records * _OBJECT),
        ("the minibatch schedule", "`steps`, `batch_size`", schedule),
        ("the activations of a batch", "`hidden`, `batch_size`", activations),
    )
    return MemoryEstimate(parts)


def physical_memory() -> int | None:
    """The machine's physical memory in bytes, or None where it is not known."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows)
        return None
    return int(pages) * int(size) if pages > 0 and size > 0 else None


def _bytes(n: int) -> str:
    """``n`` bytes in the largest unit that keeps a number >= 1 (decimal units).

    Examples
    --------
    >>> _bytes(2_500_000), _bytes(131 * 10**12), _bytes(10**20)
    ('2.5 MB', '131 TB', '1e+05 PB')
    """
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size or unit == "MB":
            return f"{n / size:.3g} {unit}"
    raise AssertionError  # pragma: no cover


def check_memory(
    spec: ExperimentSpec,
    n_samples: int,
    n_features: int,
    n_classes: int,
    *,
    available: int | None = None,
) -> None:
    """Refuse a spec whose estimated memory exceeds the machine's physical memory.

    Parameters
    ----------
    spec : ExperimentSpec
    n_samples, n_features, n_classes : int
        The shape of the data.
    available : int, optional
        Bytes available; default the physical memory (nothing is checked where it
        is unknown).

    Raises
    ------
    InputValueError
        Naming the options of the largest part and the figures, e.g. "the
        experiment needs about 131 TB of memory, 117 TB of it for the recorded
        parameters (set by `hidden`, `steps`, `record_every`), more than this
        machine's 25.3 GB".
    """
    limit = physical_memory() if available is None else available
    if limit is None:
        return
    estimate = estimate_memory(spec, n_samples, n_features, n_classes)
    if estimate.total <= limit:
        return
    what, options, size = estimate.largest
    raise InputValueError(
        f"the experiment needs about {_bytes(estimate.total)} of memory, "
        f"{_bytes(size)} of it for {what} (set by {options}), more than this "
        f"machine's {_bytes(limit)}; choose smaller values."
    )
