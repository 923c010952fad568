"""Fitting and predicting on Dask collections: data larger than one machine's memory.

The estimators' ``fit`` accepts Dask arrays and Dask dataframes for ``X``, ``y`` and
``sample_weight``; their prediction methods return Dask arrays for Dask input. The
estimators only dispatch here (:func:`is_dask_collection`, :func:`dask_aware`); the
work lives in the submodules, which import Dask when they run, so that ``import
softlogit`` never imports it:

- :mod:`softlogit._dask._data`: the inputs as row-chunked Dask arrays, checked and
  the labels encoded in one pass over the data (unique labels per chunk, combined);
- :mod:`softlogit._dask._loss`: :class:`~softlogit.LinearModelLoss` evaluated per
  chunk on the workers and summed (one pass over the data per evaluation);
- :mod:`softlogit._dask._problem`: the fit's :class:`~softlogit._objectives.Problem`
  on Dask data, which the estimators hand to the same solvers as in-memory fits;
- :mod:`softlogit._dask._inference`: ``summary()`` and the existence proof of an
  unpenalized fit, from sums over chunks;
- :mod:`softlogit._dask._predict`: lazy predictions (``map_blocks``);
- :mod:`softlogit._dask._cluster`: connecting to a scheduler within a time limit;
- :mod:`softlogit._dask._workers`: computations on a cluster that end with
  :class:`~softlogit.WorkersLostError` when the workers are lost for good.

The optimizer runs in the calling process (the *client*); the data stay where Dask
keeps them (the threaded scheduler's memory or a cluster's workers), and nothing
larger than the coefficients (and, for Newton's method, the Hessian) comes back.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Pass", "dask_aware", "is_dask_collection", "progress", "report_pass"]

F = TypeVar("F", bound=Callable[..., Any])


def is_dask_collection(*objs: object) -> bool:
    """Whether any of ``objs`` is a Dask collection (array, dataframe, series).

    Never imports Dask: without it in ``sys.modules`` nothing can be one.
    """
    if "dask" not in sys.modules:
        return False
    from dask.base import is_dask_collection as _is

    return any(_is(obj) for obj in objs)


def dask_aware(method: F) -> F:
    """Let a prediction method ``method(self, X)`` take a Dask collection ``X``.

    For Dask input the method runs lazily on every block of rows
    (:func:`softlogit._dask._predict.predict_lazily`) and returns a Dask array;
    any other input goes to ``method`` unchanged.
    """

    @functools.wraps(method)
    def wrapper(self: Any, X: Any) -> Any:
        if is_dask_collection(X):
            from softlogit._dask._predict import predict_lazily

            return predict_lazily(self, method.__name__, X)
        return method(self, X)

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------------------
# progress of a fit on Dask data
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pass:
    """One pass over the data of a fit on Dask data, as reported to :func:`progress`.

    Attributes
    ----------
    index : int
        1 for the first pass of the fit.
    kind : str
        ``'loss'``, ``'gradient'`` (loss and gradient: one solver step or
        line-search trial), ``'hessian'`` (gradient and Hessian: one Newton step),
        ``'hessian-product'``, or a preparation or inference pass (``'check'``,
        ``'moments'``, ``'inference'``, ``'certificate'``).
    objective : float or None
        The objective at the pass's coefficients, when the pass computed it.
    grad_max : float or None
        ``max |gradient|`` there, when the pass computed the gradient.
    seconds : float
        Wall time of the pass.
    """

    index: int
    kind: str
    objective: float | None
    grad_max: float | None
    seconds: float


_CALLBACK: ContextVar[Callable[[Pass], None] | None] = ContextVar(
    "softlogit_dask_progress", default=None
)
_COUNT: ContextVar[list[int] | None] = ContextVar("softlogit_dask_passes", default=None)


@contextmanager
def progress(callback: Callable[[Pass], None]) -> Iterator[None]:
    """Call ``callback`` with a :class:`Pass` after every pass over Dask data.

    Used by ``softlogit fit`` to show the solver's progress; passes are numbered
    from 1 within the ``with`` block.
    """
    token = _CALLBACK.set(callback)
    count = _COUNT.set([0])
    try:
        yield
    finally:
        _CALLBACK.reset(token)
        _COUNT.reset(count)


def report_pass(
    kind: str,
    started: float,
    objective: float | None = None,
    grad_max: float | None = None,
) -> None:
    """Report a pass that began at ``time.perf_counter() == started``."""
    callback = _CALLBACK.get()
    count = _COUNT.get()
    if callback is None or count is None:
        return
    count[0] += 1
    callback(Pass(count[0], kind, objective, grad_max, time.perf_counter() - started))
