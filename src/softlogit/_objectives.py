"""The objectives the estimators hand to the solvers, and the choice of solver.

An estimator's fit is a :class:`Problem` (validated, encoded data and the penalty);
this module turns it into objectives on flat parameter vectors and runs the solvers
of :mod:`softlogit._solvers` on them:

- :class:`FullObjective`: scikit-learn's objective in all coefficients
  (``(n_dof,)`` for the binomial loss, ``(K, n_dof)`` flattened for the
  multinomial loss), from :class:`~softlogit.LinearModelLoss`;
- :class:`ReducedObjective`: the multinomial objective with the gauge eliminated
  (``(K - 1) n_dof`` unknowns, positive definite Hessian), for Newton's method;
- :class:`WhitenedObjective`: either of them in coordinates where the weighted
  features are white, for L-BFGS (:func:`lbfgs_whitened`), whose gradient is the
  convergence measure of L-BFGS and of the first-order methods;
- :func:`lipschitz`: the step size of the first-order methods.

:func:`plan_solver` is the ``solver="auto"`` policy, one pure function of the
problem's size; :func:`solve` carries a plan out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from softlogit._gram import gram
from softlogit._linear_loss import LinearModelLoss
from softlogit._loss import BinomialLoss, MultinomialLoss
from softlogit._prox_newton import L1Problem, prox_newton
from softlogit._rows import rows_matmul, rows_tmatmul
from softlogit._solvers import (
    SolverResult,
    _max_abs,
    first_order,
    lbfgs,
    newton_cholesky,
)
from softlogit._sparse import is_sparse, sparse_column_variances
from softlogit._typing import FloatArray, IntArray
from softlogit.errors import InputValueError

__all__ = [
    "LBFGS_HISTORY",
    "NEWTON_FINISH_TOL",
    "NEWTON_MAX_PARAMS",
    "NEWTON_SWITCH_MAX_PARAMS",
    "POLISH_LBFGS_TOL",
    "FullObjective",
    "Problem",
    "ReducedObjective",
    "SolverPlan",
    "WhitenedObjective",
    "lbfgs_budget",
    "lbfgs_whitened",
    "lipschitz",
    "plan_solver",
    "power_iteration",
    "solve",
]

# "auto" uses Newton's method up to this many free parameters and L-BFGS beyond: a
# Newton step costs about n_samples * n_params**2 / 2 flops (the Hessian, one syrk),
# an L-BFGS step about 4 * n_samples * n_params (two matrix products); Newton needs
# a handful of steps, L-BFGS in whitened coordinates a few dozen. The value is the
# measured crossover of benchmarks/fit_speed.py (benchmarks/results/fit_notes.md).
NEWTON_MAX_PARAMS = 120
# Correction pairs of the estimators' L-BFGS (SciPy's default is 10): more pairs take
# fewer iterations on many-class problems at a cost per iteration that is small next
# to the objective's (benchmarks/results/fit_notes.md).
LBFGS_HISTORY = 20
# "auto" beyond NEWTON_MAX_PARAMS: L-BFGS for at most lbfgs_budget(n_free)
# iterations, then Newton's method from its last iterate, up to this many free
# parameters (beyond, a Newton step's Hessian costs too much).
NEWTON_SWITCH_MAX_PARAMS = 2000
# "auto" with L-BFGS and a Newton finish: a tol finer than this is reached by Newton's
# method from L-BFGS's result at this tol. Below it L-BFGS's progress is soon limited
# by the rounding of the objective's values (its line search compares them), while
# Newton's decrement, a gradient measure, converges quadratically to machine
# precision.
NEWTON_FINISH_TOL = 1e-6
# An unpenalized fit polished by Newton's method after L-BFGS: L-BFGS runs to at most
# this tol first. Each Newton step of the polish costs a Hessian (about n_free / 30
# L-BFGS iterations); from here Newton's first step is already in its quadratic
# phase, so the polish takes two Hessians (the step's, and the one at the optimum
# that gives the covariance) instead of three or four; one where sampled Hessians
# lead it (POLISH_SAMPLE_MIN_GRADIENTS). Unpolished unpenalized fits
# (store_covariance=False) too: near the optimum the fitted probabilities give the
# existence proof (a certificate), far from it the exact linear program runs.
POLISH_LBFGS_TOL = 1e-4

# Newton's first steps on a logistic regression with many rows use a Hessian from
# every k-th row (k = 1 / HESSIAN_SAMPLE_FRACTION), when that leaves at least
# HESSIAN_SAMPLE_ROWS_PER_PARAM rows per parameter: a Hessian costs about n_dof / 6
# gradients (syrk against two thin products), the sample a tenth of that, and its
# steps still shrink the decrement about tenfold each (see newton_cholesky).
HESSIAN_SAMPLE_FRACTION = 1 / 16
HESSIAN_SAMPLE_ROWS_PER_PARAM = 20
# A polish leads to its exact Hessian with steps of a Hessian from every k-th row
# (newton_cholesky), the largest k of these that keeps HESSIAN_SAMPLE_ROWS_PER_PARAM
# rows per parameter, where an exact Hessian costs at least
# POLISH_SAMPLE_MIN_GRADIENTS gradients (multiply-adds): the sampled steps converge
# linearly, about a tenth of the way down to the rounding level each, so a polish
# takes ten or more gradients instead of its second exact Hessian (measured
# crossover: benchmarks/results/fit_notes.md).
POLISH_SAMPLE_STEPS = (16, 8, 4)
POLISH_SAMPLE_MIN_GRADIENTS = 50


def _sample_step(n: int, n_dof: int) -> int:
    """``k`` of a sample of every ``k``-th row (:data:`HESSIAN_SAMPLE_FRACTION`),
    or 1 when it would leave fewer than :data:`HESSIAN_SAMPLE_ROWS_PER_PARAM` rows
    per parameter."""
    k = round(1.0 / HESSIAN_SAMPLE_FRACTION)
    return k if n >= k * HESSIAN_SAMPLE_ROWS_PER_PARAM * n_dof else 1


def _polish_sample_step(n: int, n_params: int) -> int:
    """``k`` of the sampled Hessian of a polish (:meth:`FullObjective.polish_hessian`):
    the largest of :data:`POLISH_SAMPLE_STEPS` that leaves at least
    :data:`HESSIAN_SAMPLE_ROWS_PER_PARAM` rows per parameter, for more than
    :data:`NEWTON_MAX_PARAMS` parameters (below, an exact Hessian costs a few
    gradients); else 1."""
    if n_params <= NEWTON_MAX_PARAMS:
        return 1
    for k in POLISH_SAMPLE_STEPS:
        if n >= k * HESSIAN_SAMPLE_ROWS_PER_PARAM * n_params:
            return k
    return 1


def lbfgs_budget(n_free: int) -> int:
    """L-BFGS iterations worth about eight Newton steps (at least 50).

    A Hessian (``n n_free^2 / 2`` multiply-adds by syrk) costs about ``n_free / 30``
    L-BFGS iterations (two thin products with ``X`` per evaluation).
    """
    return max(50, n_free // 4)


# --------------------------------------------------------------------------------------
# the problem
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A validated fit: data, weights and the penalty of scikit-learn's objective.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite float64 features, C-ordered.
    y : ndarray of shape (n_samples,)
        Labels encoded ``0..n_classes-1``.
    sw : ndarray of shape (n_samples,)
        Sample weights (non-negative, positive sum), divided by ``weight_scale``.
    n_rows : int
        Coefficient rows: ``n_classes`` (multinomial) or 1 (binomial).
    multinomial : bool
        The softmax loss (else the binomial loss).
    fit_intercept : bool
    l2 : float
        ``(1 - l1_ratio) / (C S)`` with ``S`` the sum of the user's weights (times
        the class weights), 0 for ``C = inf``.
    weight_scale : float
        A power of two: the user's weights are ``weight_scale * sw``.
    l1 : float
        ``l1_ratio / (C S)``, the strength of the L1 term (0 for ``C = inf``).
    """

    X: FloatArray
    y: IntArray
    sw: FloatArray
    n_rows: int
    multinomial: bool
    fit_intercept: bool
    l2: float
    weight_scale: float = 1.0
    l1: float = 0.0

    @classmethod
    def build(
        cls,
        X: FloatArray,
        y: IntArray,
        sw: FloatArray,
        *,
        n_rows: int,
        multinomial: bool,
        fit_intercept: bool,
        C: float,
        l1_ratio: float = 0.0,
    ) -> Problem:
        """The problem of scikit-learn's objective with inverse penalty ``C``
        (scikit-learn 1.9's elastic net: ``l1_ratio * ||W||_1 + (1 - l1_ratio) / 2 *
        ||W||_F^2``, divided by ``C S``).

        Weights whose sum overflows (or that are tiny) are divided by a power of two
        ``b`` (exactly): the mean loss does not change, and the penalty
        ``1 / (2 C S)`` is kept by computing ``l2 = 1 / (C S)`` as
        ``(1 / (C S')) / b`` with ``S' = S / b`` (scaling all weights by ``b``
        equals scaling ``C`` by ``b``).
        """
        scale = _weight_scale(sw)
        if scale != 1.0:
            sw = sw / scale
        S = float(sw.sum())
        lam = 0.0 if np.isinf(C) else (1.0 / float(C)) / S / scale
        if not np.isfinite(lam):
            raise InputValueError(
                "`C` times the sum of `sample_weight` must be at least about 1e-308 "
                f"(the penalty 1 / (C S) overflows); got C={C!r} and a sum of "
                f"{S * scale!r}. Use a larger C or larger weights."
            )
        l2, l1 = (1.0 - l1_ratio) * lam, l1_ratio * lam
        return cls(X, y, sw, n_rows, multinomial, fit_intercept, l2, scale, l1)

    @property
    def n_dof(self) -> int:
        """Coefficients per row: features plus the intercept (last)."""
        return int(self.X.shape[1]) + int(self.fit_intercept)

    @property
    def n_free(self) -> int:
        """Identified parameters: ``(K - 1) n_dof`` (multinomial) or ``n_dof``."""
        return (self.n_rows - 1 if self.multinomial else 1) * self.n_dof

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the full coefficients: ``(K, n_dof)`` or ``(n_dof,)``."""
        return (self.n_rows, self.n_dof) if self.multinomial else (self.n_dof,)

    def linear_loss(self) -> LinearModelLoss:
        base = MultinomialLoss() if self.multinomial else BinomialLoss()
        return LinearModelLoss(base, fit_intercept=self.fit_intercept)

    def full(self) -> FullObjective:
        """The objective in all coefficients."""
        # The binomial loss takes float labels; unit weights are passed as None (the
        # losses then skip two passes over the per-sample arrays).
        y = self.y if self.multinomial else self.y.astype(np.float64)
        sw = None if np.all(self.sw == 1.0) else self.sw
        return FullObjective(self.linear_loss(), self.X, y, sw, self.l2)

    def l1_problem(self) -> L1Problem:
        """The elastic-net problem of :func:`~softlogit._prox_newton.prox_newton`."""
        full = self.full()
        return L1Problem(
            full.lml, full.X, full.y, full.sw, self.l1, self.l2, self.n_rows
        )

    def reduced(self) -> ReducedObjective:
        """The multinomial objective with the gauge eliminated (reference last)."""
        full = self.full()
        return ReducedObjective(full.lml, full.X, full.y, full.sw, full.l2, self.n_rows)

    def start(self, previous: FloatArray | None) -> FloatArray:
        """The initial full coefficients: ``previous`` (a warm start) or the
        intercept-only optimum (log-odds, centered log-priors) when there is an
        intercept and every class has weight, else zeros."""
        if previous is not None:
            return previous.reshape(self.shape)
        x0 = np.zeros(self.shape)
        totals = self.class_totals()
        if self.fit_intercept and np.all(totals > 0):
            log_prior = np.log(totals)
            if self.multinomial:
                x0[:, -1] = log_prior - log_prior.mean()
            else:
                x0[-1] = log_prior[1] - log_prior[0]
        return x0

    # The statistics of the data that the solvers' set-up needs besides the
    # objective; a problem on data held elsewhere (softlogit._dask) computes them
    # by its own passes over the data.
    def class_totals(self) -> FloatArray:
        """The weight of each class, ``(max(n_rows, 2),)``."""
        totals = np.bincount(self.y, weights=self.sw, minlength=max(self.n_rows, 2))
        return totals.astype(np.float64)

    def whitened(self, inner: FullObjective) -> WhitenedObjective:
        """``inner`` in whitened coordinates (:class:`WhitenedObjective`)."""
        return WhitenedObjective.build(
            inner, self.X, self.sw, self.fit_intercept, self.n_rows
        )

    def lipschitz(self) -> float:
        """:func:`lipschitz` of the data, without the penalty."""
        return lipschitz(self.X, self.sw, self.fit_intercept, 0.0)


def _weight_scale(sw: FloatArray) -> float:
    """1 for weights in a safe range, else the power of two nearest their maximum."""
    top = float(np.max(sw))
    if 2.0**-500 < top < 2.0**500:
        return 1.0
    return float(np.ldexp(1.0, int(np.frexp(top)[1]) - 1))


# --------------------------------------------------------------------------------------
# objectives handed to the solvers (flat parameter vectors)
# --------------------------------------------------------------------------------------


class FullObjective:
    """The objective in the full coefficients (``(n_dof,)`` or ``(K, n_dof)`` flat)."""

    def __init__(
        self,
        lml: LinearModelLoss,
        X: FloatArray,
        y: np.ndarray,
        sw: FloatArray | None,
        l2: float,
    ) -> None:
        self.lml, self.X, self.y, self.sw, self.l2 = lml, X, y, sw, l2
        # Hessians of a sample of rows, on data in memory only (on Dask arrays a
        # pass costs its reading or generating of the data, and the sampled steps'
        # passes cost more than the Hessians they save)
        self._in_memory = isinstance(X, np.ndarray) or is_sparse(X)
        # binomial loss: Newton's first steps may use a sample
        self._sampled = not lml.is_multinomial and self._in_memory

    def loss(self, x: FloatArray) -> float:
        return self.lml.loss(x, self.X, self.y, self.sw, self.l2)

    def loss_gradient(self, x: FloatArray) -> tuple[float, FloatArray]:
        return self.lml.loss_gradient(x, self.X, self.y, self.sw, self.l2)

    def gradient_hessian(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self._gradient_hessian_on(x, self.X, self.y, self.sw)

    def _gradient_hessian_on(
        self, x: FloatArray, X: Any, y: Any, sw: Any
    ) -> tuple[FloatArray, FloatArray]:
        """Gradient and Hessian at ``x`` on the rows ``X``, ``y``, ``sw``."""
        return self.lml.gradient_hessian(x, X, y, sw, self.l2)

    def _rows_hessian(self, x: FloatArray, k: int) -> FloatArray | None:
        """The Hessian at ``x`` on every ``k``-th row (the exact pass on them, a
        ``k``-th of one); ``None`` when those rows have no weight."""
        sw = None if self.sw is None else self.sw[::k]
        if sw is not None and not np.sum(sw) > 0:
            return None
        return self._gradient_hessian_on(x, self.X[::k], self.y[::k], sw)[1]

    def sampled_hessian(self, x: FloatArray) -> FloatArray | None:
        """Binomial loss with many rows: the Hessian at ``x`` estimated from every
        ``k``-th row (:data:`HESSIAN_SAMPLE_FRACTION` of them), for the first steps
        of Newton's method; ``None`` when there are too few rows.

        The exact Hessian pass on the sampled rows (a ``k``-th of a pass): keeping
        every row's logits from the line search instead would add an array of the
        size of ``y`` to the fit's peak memory.
        """
        n, n_dof = self.X.shape[0], self.X.shape[1] + self.lml.fit_intercept
        k = _sample_step(n, n_dof)
        if not self._sampled or k == 1:
            return None
        return self._rows_hessian(x, k)

    def polish_hessian(self, x: FloatArray) -> FloatArray | None:
        """The Hessian at ``x`` of a sample of every ``k``-th row, for the steps
        that lead a polish to its exact Hessian (:func:`_polish_sample_step`);
        ``None`` when the exact Hessian costs fewer than
        :data:`POLISH_SAMPLE_MIN_GRADIENTS` gradients or the rows are too few."""
        if self._hessian_in_gradients() < POLISH_SAMPLE_MIN_GRADIENTS:
            return None
        k = _polish_sample_step(self.X.shape[0], x.size)
        if k == 1 or not self._in_memory:
            return None
        return self._rows_hessian(x, k)

    def _hessian_in_gradients(self) -> float:
        """Multiply-adds of the exact Hessian over those of a gradient:
        ``q m (m + 1) / 4`` per row (syrk, ``m`` free classes) against ``2 q c``
        (two products with ``c`` logit columns): ``q / 4`` for the binomial loss."""
        return float(self.X.shape[1] + self.lml.fit_intercept) / 4


class ReducedObjective(FullObjective):
    """The multinomial objective with the gauge eliminated (reference class last).

    ``phi`` holds rows ``0..K-2`` of ``coef - coef[K-1]``; the full coefficients are
    ``center(E phi)`` (see :meth:`LinearModelLoss.gradient_hessian`).
    """

    def __init__(
        self,
        lml: LinearModelLoss,
        X: FloatArray,
        y: np.ndarray,
        sw: FloatArray | None,
        l2: float,
        n_classes: int,
    ) -> None:
        super().__init__(lml, X, y, sw, l2)
        self.n_classes = n_classes
        self.n_dof = X.shape[1] + lml.fit_intercept

    def expand(self, phi: FloatArray) -> FloatArray:
        full = np.zeros((self.n_classes, self.n_dof))
        full[:-1] = phi.reshape(self.n_classes - 1, self.n_dof)
        out: FloatArray = full - full.mean(axis=0)
        return out

    def reduce(self, coef: FloatArray) -> FloatArray:
        out: FloatArray = (coef[:-1] - coef[-1]).ravel()
        return out

    def loss(self, x: FloatArray) -> float:
        return super().loss(self.expand(x))

    def loss_gradient(self, x: FloatArray) -> tuple[float, FloatArray]:
        # At centered coefficients the gradient of phi -> F(center(E phi)) is the full
        # gradient without the reference row (LinearModelLoss.gradient_hessian).
        value, grad = super().loss_gradient(self.expand(x))
        return value, grad[:-1].ravel()

    def _gradient_hessian_on(
        self, x: FloatArray, X: Any, y: Any, sw: Any
    ) -> tuple[FloatArray, FloatArray]:
        g, H = self.lml.gradient_hessian(
            self.expand(x), X, y, sw, self.l2, reference_index=self.n_classes - 1
        )
        return g.ravel(), H

    def _hessian_in_gradients(self) -> float:
        m = self.n_classes - 1
        return float(self.n_dof * m * (m + 1)) / (8 * self.n_classes)


class WhitenedObjective:
    """An objective in coordinates where the (weighted) features are white.

    Each coefficient row ``x = [w, b]`` is ``v @ M`` with
    ``M = [[L^-1, -L^-1 mu], [0, 1]]``, where ``mu`` is the weighted feature mean and
    ``L L^T = cov / 4 + l2 I`` (Cholesky), an approximation of the objective's
    Hessian in ``w``. In ``v`` the features' correlations and scales are removed, so
    L-BFGS needs far fewer iterations on correlated or badly scaled features; the
    minimizer is the same (it is only a change of variables). The gradient is
    ``g_x @ M^T``. Where the Cholesky factorization fails (collinear features
    without a penalty) ``L`` is the diagonal of standard deviations instead (unit
    for constant features).

    The gradient in ``v`` does not depend on the units or the offsets of the
    features (an affine change of the features changes ``M``, not ``g_v``):
    :meth:`measure` is the convergence measure of the solvers that run on it or
    beside it.
    """

    def __init__(self, inner: FullObjective, M: FloatArray, n_rows: int) -> None:
        self.inner, self.M, self.n_rows = inner, M, n_rows

    @classmethod
    def build(
        cls,
        inner: FullObjective,
        X: FloatArray,
        sw: FloatArray,
        fit_intercept: bool,
        n_rows: int,
    ) -> WhitenedObjective:
        """The whitened objective of ``inner`` on the features ``X``."""
        if is_sparse(X):
            return DiagonalWhitenedObjective.of(inner, X, sw, fit_intercept, n_rows)
        S = float(sw.sum())
        unit = bool(np.all(sw == 1.0))
        mu = rows_tmatmul(sw, X) / S if fit_intercept else np.zeros(X.shape[1])
        covariance = gram(
            X,
            shift=mu if fit_intercept else None,
            scale=None if unit else np.sqrt(sw),
        )
        return cls.from_moments(inner, S, mu, covariance, fit_intercept, n_rows)

    @classmethod
    def from_moments(
        cls,
        inner: FullObjective,
        S: float,
        mu: FloatArray,
        covariance: FloatArray,
        fit_intercept: bool,
        n_rows: int,
    ) -> WhitenedObjective:
        """The whitened objective from the weights' sum ``S``, the weighted mean
        ``mu`` of the features and their weighted scatter matrix ``covariance``
        (``sum_i s_i (x_i - mu)(x_i - mu)^T``, uncentered without intercept)."""
        # The objective's Hessian in w is about 1/4 of the weighted covariance (the
        # curvature p(1 - p) of the loss) plus the penalty l2 * I: whitening that
        # (not the covariance alone) keeps low-variance features, where the penalty
        # dominates, from being blown up.
        p = covariance.shape[0]
        cov = 0.25 * (covariance / S) + inner.l2 * np.eye(p)
        Linv = _whitening(cov, mu)
        if not fit_intercept:
            return cls(inner, Linv, n_rows)
        M = np.zeros((p + 1, p + 1))
        M[:p, :p] = Linv
        M[:p, p] = -Linv @ mu
        M[p, p] = 1.0
        return cls(inner, M, n_rows)

    def to_x(self, v: FloatArray) -> FloatArray:
        out: FloatArray = (v.reshape(self.n_rows, -1) @ self.M).ravel()
        return out

    def to_v(self, x: FloatArray) -> FloatArray:
        out: FloatArray = np.linalg.solve(
            self.M.T, x.reshape(self.n_rows, -1).T
        ).T.ravel()
        return out

    def gradient_to_v(self, g: FloatArray) -> FloatArray:
        """The gradient in ``v`` from the gradient in ``x``."""
        out: FloatArray = (g.reshape(self.n_rows, -1) @ self.M.T).ravel()
        return out

    def measure(self, g: FloatArray) -> float:
        """``max |gradient|`` in ``v``, from the gradient in ``x``."""
        return _max_abs(self.gradient_to_v(g))

    def loss(self, v: FloatArray) -> float:
        return self.inner.loss(self.to_x(v))

    def loss_gradient(self, v: FloatArray) -> tuple[float, FloatArray]:
        value, g = self.inner.loss_gradient(self.to_x(v))
        return value, self.gradient_to_v(g)

    def gradient_hessian(self, v: FloatArray) -> tuple[FloatArray, FloatArray]:
        g, H = self.inner.gradient_hessian(self.to_x(v))
        # x = B v with B^T = blockdiag(M, ..., M): g_v = B^T g_x, H_v = B^T H_x B.
        BT = np.kron(np.eye(self.n_rows), self.M)
        return BT @ g.ravel(), BT @ H @ BT.T


class DiagonalWhitenedObjective(WhitenedObjective):
    """:class:`WhitenedObjective` for sparse ``X``: centered and scaled features,
    not decorrelated.

    ``L`` is the diagonal of ``cov / 4 + l2 I`` (the columns' weighted variances):
    a full ``p x p`` factor would be dense, and for the many columns of sparse data
    too large. ``M = [[D, -D mu], [0, 1]]`` is applied in ``O(p)`` per row and never
    formed; ``X`` is never shifted (it would no longer be sparse).
    """

    def __init__(
        self,
        inner: FullObjective,
        scale: FloatArray,
        mu: FloatArray,
        fit_intercept: bool,
        n_rows: int,
    ) -> None:
        self.inner, self.n_rows = inner, n_rows
        self.scale, self.mu, self.fit_intercept = scale, mu, fit_intercept

    @classmethod
    def of(
        cls,
        inner: FullObjective,
        X: Any,
        sw: FloatArray,
        fit_intercept: bool,
        n_rows: int,
    ) -> DiagonalWhitenedObjective:
        mu, var = sparse_column_variances(X, sw, fit_intercept)
        d = 0.25 * var + inner.l2
        scale = 1.0 / np.sqrt(np.where(d > 0, d, 1.0))
        return cls(inner, scale, mu, fit_intercept, n_rows)

    def _rows(self, a: FloatArray) -> FloatArray:
        return a.reshape(self.n_rows, -1)

    def to_x(self, v: FloatArray) -> FloatArray:
        x = self._rows(v).copy()
        p = self.scale.size
        x[:, :p] *= self.scale
        if self.fit_intercept:
            x[:, p] -= x[:, :p] @ self.mu
        return x.ravel()

    def to_v(self, x: FloatArray) -> FloatArray:
        v = self._rows(x).copy()
        p = self.scale.size
        if self.fit_intercept:
            v[:, p] += v[:, :p] @ self.mu
        v[:, :p] /= self.scale
        return v.ravel()

    def gradient_to_v(self, g: FloatArray) -> FloatArray:
        gv = self._rows(g).copy()
        p = self.scale.size
        if self.fit_intercept:
            gv[:, :p] -= gv[:, p : p + 1] * self.mu
        gv[:, :p] *= self.scale
        return gv.ravel()

    def gradient_hessian(self, v: FloatArray) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError("Newton's method runs on the unwhitened objective")


def _whitening(cov: FloatArray, mu: FloatArray) -> FloatArray:
    """``L^-1`` with ``L L^T = cov`` (Cholesky), or the inverse standard deviations
    when ``cov`` is numerically singular (collinear features).

    The factorization runs on the correlation matrix, so that features of very
    different units do not look singular; a constant feature (its variance at the
    rounding level of its mean ``mu``) keeps scale 1.
    """
    d = np.diag(cov)
    constant = ~(d > (1e-12 * np.abs(mu)) ** 2) | (d == 0)
    sd = np.where(constant, 1.0, np.sqrt(np.where(constant, 1.0, d)))
    corr = cov / sd[:, None] / sd[None, :]
    corr[constant, :] = 0.0
    corr[:, constant] = 0.0
    corr[constant, constant] = 1.0
    try:
        L = np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        L = None
    if L is not None and float(np.min(np.diag(L), initial=1.0)) ** 2 >= 1e-12:
        out: FloatArray = np.linalg.solve(L, np.eye(cov.shape[0])) / sd[None, :]
        return out
    return np.diag(1.0 / sd)  # collinear features: each scaled alone


def lbfgs_whitened(
    white: WhitenedObjective,
    x0: FloatArray,
    tol: float,
    max_iter: int,
) -> SolverResult:
    """L-BFGS on ``white`` (an objective whitened: :class:`WhitenedObjective`).

    Convergence is judged there: ``max |gradient|`` in ``v`` at most ``tol``. The
    result's ``x`` is in the original coefficients.
    """
    res = lbfgs(
        white, white.to_v(x0), tol=tol, max_iter=max_iter, history=LBFGS_HISTORY
    )
    return dataclasses.replace(res, x=white.to_x(res.x))


def lipschitz(X: FloatArray, sw: FloatArray, fit_intercept: bool, l2: float) -> float:
    """An estimate of the largest eigenvalue of ``Xa^T diag(sw) Xa / S`` plus ``l2``."""

    def matvec(v: FloatArray) -> FloatArray:
        z = rows_matmul(X, v[: X.shape[1]]) + (v[-1] if fit_intercept else 0.0)
        u: FloatArray = rows_tmatmul(sw * z, X, x_first=True)
        return np.append(u, np.sum(sw * z)) if fit_intercept else u

    n_dof = X.shape[1] + fit_intercept
    return power_iteration(matvec, n_dof, float(sw.sum()), l2)


def power_iteration(
    matvec: Callable[[FloatArray], FloatArray], n_dof: int, S: float, l2: float
) -> float:
    """:func:`lipschitz` from products ``v -> Xa^T diag(sw) Xa v`` (30 iterations
    from a seeded random start, 5 % margin)."""
    rng = np.random.default_rng(0)
    v: FloatArray = rng.normal(size=n_dof)
    lam = 0.0
    for _ in range(30):
        v /= np.linalg.norm(v)
        u = matvec(v)
        lam = float(np.linalg.norm(u)) / S
        v = u
    return 1.05 * lam + l2


# --------------------------------------------------------------------------------------
# the solver policy and its execution
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SolverPlan:
    """Which solver runs first, for how long, and whether Newton finishes.

    Attributes
    ----------
    solver : {'newton', 'lbfgs', 'gd', 'momentum', 'adam'}
        The first solver.
    iterations : int
        Its iteration budget.
    newton_finish : bool
        Whether Newton's method continues (with the rest of ``max_iter``) when the
        first solver has not converged within its budget.
    """

    solver: str
    iterations: int
    newton_finish: bool = False


def plan_solver(solver: str, n_free: int, max_iter: int) -> SolverPlan:
    """The plan for the user's ``solver`` on a problem with ``n_free`` parameters.

    ``"auto"`` picks Newton's method up to :data:`NEWTON_MAX_PARAMS` free parameters;
    beyond, whitened L-BFGS, which (up to :data:`NEWTON_SWITCH_MAX_PARAMS`) gets
    about the work of eight Newton steps (:func:`lbfgs_budget`, at most half of
    ``max_iter``) before Newton's method finishes: on nearly separable data with a
    weak penalty L-BFGS crawls. Newton's method also finishes a run to a ``tol``
    finer than :data:`NEWTON_FINISH_TOL` (L-BFGS runs to that one). Any other
    solver runs alone for ``max_iter``.

    Examples
    --------
    >>> plan_solver("auto", 60, 100)
    SolverPlan(solver='newton', iterations=100, newton_finish=False)
    >>> plan_solver("auto", 585, 100)
    SolverPlan(solver='lbfgs', iterations=50, newton_finish=True)
    >>> plan_solver("adam", 585, 100)
    SolverPlan(solver='adam', iterations=100, newton_finish=False)
    """
    if solver != "auto":
        return SolverPlan(solver, max_iter)
    if n_free <= NEWTON_MAX_PARAMS:
        return SolverPlan("newton", max_iter)
    if n_free <= NEWTON_SWITCH_MAX_PARAMS:
        return SolverPlan("lbfgs", min(max_iter // 2, lbfgs_budget(n_free)), True)
    return SolverPlan("lbfgs", max_iter)


def _newton(
    problem: Problem, start: FloatArray, tol: float, max_iter: int, polish: bool
) -> tuple[FloatArray, SolverResult]:
    """Newton's method from full coefficients ``start``; full coefficients back."""
    if problem.multinomial:
        red = problem.reduced()
        res = newton_cholesky(
            red, red.reduce(start), tol=tol, max_iter=max_iter, polish=polish
        )
        return red.expand(res.x), res
    res = newton_cholesky(
        problem.full(), start.ravel(), tol=tol, max_iter=max_iter, polish=polish
    )
    return res.x.reshape(problem.shape), res


def _first_order(
    problem: Problem, solver: str, x0: FloatArray, tol: float, max_iter: int
) -> SolverResult:
    """Gradient descent, momentum (step ``1 / L``) or Adam (step 0.01), judged on the
    whitened gradient (:meth:`WhitenedObjective.measure`)."""
    curvature = 0.5 if problem.multinomial else 0.25
    L = curvature * problem.lipschitz()
    lr = 1e-2 if solver == "adam" else 1.0 / (L + problem.l2)
    full = problem.full()
    white = problem.whitened(full)
    return first_order(
        full,
        x0.ravel(),
        method=solver,
        lr=lr,
        tol=tol,
        max_iter=max_iter,
        measure=white.measure,
    )


def solve(
    problem: Problem,
    plan: SolverPlan,
    x0: FloatArray,
    tol: float,
    max_iter: int,
    *,
    polish: bool = False,
    unpenalized: bool = False,
) -> tuple[FloatArray, SolverResult, str]:
    """Carry out ``plan`` from the full coefficients ``x0``.

    L-BFGS runs to at most :data:`POLISH_LBFGS_TOL` with ``polish`` or
    ``unpenalized`` (an unpenalized fit, whose existence proof is then a certificate
    from the fitted probabilities, which a fit far from the optimum cannot give).

    With ``polish`` (unpenalized fits), a run that converged is finished by Newton's
    method to machine precision (:func:`~softlogit._solvers.newton_cholesky` with
    ``polish=True``), whose last Hessian is the Fisher information at the optimum
    (times ``1 / S``). After L-BFGS that takes two exact Hessians (L-BFGS cannot
    resolve the optimum beyond the rounding level of the objective's values, about
    ``sqrt(eps)``, and one Newton step from there leaves the Hessian too far from
    the optimum for the covariance), or one where steps with a sampled Hessian lead
    the way (:meth:`FullObjective.polish_hessian`).

    Returns
    -------
    coef : ndarray
        The final full coefficients (:attr:`Problem.shape`, intercept last).
    result : SolverResult
        The last solver's result, with the iterations of all solvers.
    solver : str
        What ran: ``'newton'``, ``'lbfgs'``, ``'lbfgs+newton'``, ``'gd'``, ...
        (``'+newton'`` when Newton's method finished another solver's run).
    """
    if problem.l1 > 0 or plan.solver == "prox-newton":
        res = prox_newton(problem.l1_problem(), x0.ravel(), tol=tol, max_iter=max_iter)
        return res.x.reshape(problem.shape), res, "prox-newton"
    if plan.solver == "newton":
        coef, res = _newton(problem, x0, tol, plan.iterations, polish)
        return coef, res, "newton"
    if plan.solver != "lbfgs":
        res = _first_order(problem, plan.solver, x0, tol, plan.iterations)
        name = plan.solver
    else:
        lbfgs_tol = max(tol, NEWTON_FINISH_TOL) if plan.newton_finish else tol
        if polish or unpenalized:
            lbfgs_tol = min(lbfgs_tol, POLISH_LBFGS_TOL)
        res = lbfgs_whitened(
            problem.whitened(problem.full()), x0.ravel(), lbfgs_tol, plan.iterations
        )
        name = "lbfgs"
    # Hand over when L-BFGS did not reach tol within its budget, or when tol is
    # finer than NEWTON_FINISH_TOL.
    handover = plan.newton_finish and res.criterion > tol and res.n_iter < max_iter
    # (a polish follows a run that reached the user's tol, if not POLISH_LBFGS_TOL)
    if not (handover or (polish and (res.converged or res.criterion <= tol))):
        return res.x.reshape(problem.shape), res, name
    start = res.x.reshape(problem.shape)
    budget = max_iter - res.n_iter if handover else max_iter
    coef, finish = _newton(problem, start, tol, budget, polish)
    finish = dataclasses.replace(finish, n_iter=res.n_iter + finish.n_iter)
    return coef, finish, name + "+newton"
