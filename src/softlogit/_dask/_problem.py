"""The fit's problem on Dask data, handed to the same solvers as in-memory fits.

:func:`dask_problem` does for Dask input what an estimator's in-memory validation
and :meth:`~softlogit._objectives.Problem.build` do: it checks the parameters and
the data (one pass, :func:`softlogit._dask._data.check_pass`), sets ``classes_``,
``n_features_in_`` and ``feature_names_in_``, and returns a :class:`DaskProblem`.

A :class:`DaskProblem` is a :class:`~softlogit._objectives.Problem` whose ``X``,
``y`` and ``sw`` are Dask arrays: its objectives evaluate
:class:`~softlogit._dask._loss.ChunkedLinearModelLoss` (one pass per evaluation),
and the statistics that :func:`~softlogit._objectives.solve` asks of a problem
besides the objective come from sums over blocks: the class totals (from the check
pass), the weighted feature covariance for whitened L-BFGS (one pass) and the
second-moment matrix behind the step size of the first-order solvers (one pass).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from softlogit._dask import report_pass
from softlogit._dask._blocks import summed_blocks
from softlogit._dask._data import as_arrays, check_pass, encode
from softlogit._dask._loss import ChunkedLinearModelLoss
from softlogit._gram import gram
from softlogit._loss import BinomialLoss, MultinomialLoss
from softlogit._objectives import (
    FullObjective,
    Problem,
    WhitenedObjective,
    power_iteration,
)
from softlogit._typing import FloatArray
from softlogit.errors import InputValueError

__all__ = ["DaskProblem", "dask_problem"]


@dataclass(frozen=True, kw_only=True)
class DaskProblem(Problem):
    """A :class:`~softlogit._objectives.Problem` on Dask arrays.

    ``X`` (float64, rows chunked), ``y`` (encoded labels) and ``sw`` (weights, or
    None for unit weights) are Dask arrays with the same row chunks.

    Attributes
    ----------
    totals : ndarray of shape (n_classes,)
        The weight of each class.
    sum_weights : float
    n_positive : int
        Rows with positive weight.
    max_row_sq : float
        The largest squared norm of a row of ``X``.
    feature_sums : ndarray of shape (n_features,)
        The weighted sums of the features, ``sw @ X``.
    """

    totals: FloatArray
    sum_weights: float
    n_positive: int
    max_row_sq: float
    feature_sums: FloatArray

    def linear_loss(self) -> ChunkedLinearModelLoss:
        base = MultinomialLoss() if self.multinomial else BinomialLoss()
        return ChunkedLinearModelLoss(base, fit_intercept=self.fit_intercept)

    def full(self) -> FullObjective:
        # The binomial loss takes float labels (converted block by block).
        y = self.y if self.multinomial else self.y.astype(np.float64)
        return FullObjective(self.linear_loss(), self.X, y, self.sw, self.l2)

    def class_totals(self) -> FloatArray:
        out = np.zeros(max(self.n_rows, 2))
        out[: self.totals.size] = self.totals
        return out

    def _columns(self) -> tuple[Any, ...]:
        return () if self.sw is None else (self.sw,)

    def whitened(self, inner: FullObjective) -> WhitenedObjective:
        """Whitening from the weighted scatter matrix around the weighted mean (one
        pass: :func:`~softlogit._gram.gram` of every block, summed)."""
        started = time.perf_counter()
        S = self.sum_weights
        p = self.X.shape[1]
        mu = self.feature_sums / S if self.fit_intercept else np.zeros(p)
        scatter = summed_blocks(
            _scatter_block,
            p * p,
            self.X,
            *self._columns(),
            spec=mu if self.fit_intercept else None,
            name="moments",
        ).reshape(p, p)
        report_pass("moments", started)
        return WhitenedObjective.from_moments(
            inner, S, mu, scatter, self.fit_intercept, self.n_rows
        )

    def lipschitz(self) -> float:
        """The power iteration of :func:`~softlogit._objectives.lipschitz` on the
        matrix ``Xa^T diag(sw) Xa``, summed over blocks in one pass."""
        started = time.perf_counter()
        p = self.X.shape[1]
        top = summed_blocks(
            _scatter_block, p * p, self.X, *self._columns(), spec=None, name="moments"
        ).reshape(p, p)
        report_pass("moments", started)
        if self.fit_intercept:
            A = np.empty((p + 1, p + 1))
            A[:p, :p] = top
            A[:p, p] = A[p, :p] = self.feature_sums
            A[p, p] = self.sum_weights
        else:
            A = top
        return power_iteration(lambda v: A @ v, A.shape[0], self.sum_weights, 0.0)


def _scatter_block(
    Xb: FloatArray, swb: FloatArray | None = None, *, spec: FloatArray | None
) -> FloatArray:
    """``sum_i s_i (x_i - mu)(x_i - mu)^T`` over one block (``mu = spec`` or 0)."""
    scale = None if swb is None else np.sqrt(swb)
    out: FloatArray = gram(Xb, shift=spec, scale=scale).reshape(1, -1)
    return out


def dask_problem(est: Any, X: Any, y: Any, sample_weight: Any) -> DaskProblem:
    """Check ``est``'s parameters and the Dask data; set the data-dependent
    attributes (``classes_``, ``n_features_in_``, ``feature_names_in_``); return
    the problem. ``est`` is a :class:`~softlogit.LogisticRegression` or
    :class:`~softlogit.SoftmaxRegression`.
    """
    from sklearn.utils.validation import _check_feature_names, _check_n_features

    est._check_params()
    if y is None:
        raise InputValueError(
            f"{type(est).__name__} requires y to be passed, but the target y is None."
        )
    started = time.perf_counter()
    inputs = as_arrays(X, y, sample_weight)
    checked, classes = check_pass(inputs)
    report_pass("check", started)
    n_features = inputs.X.shape[1]
    names = inputs.frame if inputs.frame is not None else np.empty((0, n_features))
    _check_feature_names(est, names, reset=True)
    _check_n_features(est, np.empty((0, n_features)), reset=True)
    est.classes_ = classes
    est._check_classes()
    n_rows = len(classes) if est._multinomial else 1
    C = float(est.C)
    # Problem.build's penalty: l2 = 1 / (C S).
    if not np.isfinite(checked.sum_weights):
        raise InputValueError(
            "`sample_weight` of Dask data must have a finite sum; got a sum beyond "
            "the float range. Divide the weights by a constant (and multiply C by "
            "it: the fit is the same)."
        )
    l2 = 0.0 if np.isinf(C) else (1.0 / C) / checked.sum_weights
    return DaskProblem(
        X=inputs.X,
        y=encode(inputs.y, classes),
        sw=inputs.sw,
        n_rows=n_rows,
        multinomial=est._multinomial,
        fit_intercept=bool(est.fit_intercept),
        l2=l2,
        totals=checked.label_weights,
        sum_weights=checked.sum_weights,
        n_positive=checked.n_positive,
        max_row_sq=checked.max_row_sq,
        feature_sums=checked.feature_sums,
    )
