r"""Proximal Newton with coordinate descent: the solver for L1 and elastic-net fits.

The objective is scikit-learn's with an elastic-net penalty,

.. math::

    F(x) = f(x) + \sum_j \lambda_{1} |w_j|, \qquad
    f(x) = \frac{1}{S}\sum_i s_i \ell_i + \frac{\lambda_2}{2}\lVert W \rVert_F^2,

with the smooth part :math:`f` from :class:`softlogit.LinearModelLoss` and the L1
term on the weights only (intercepts are not penalized). Its method is newGLMNET
(Yuan, Ho and Lin 2012), the one glum's IRLS solver (``glum._solvers._irls_solver``
with ``enet_coordinate_descent_gram``) follows:

1. at ``x``, the quadratic model :math:`q(d) = g^\top d + \frac12 d^\top H d +
   \lambda_1(\lVert w + d_w\rVert_1 - \lVert w \rVert_1)` with the exact gradient
   and Hessian of :math:`f`;
2. minimized by cyclic coordinate descent on the Hessian (covariance updates: one
   row of ``H`` per coordinate change), over an *active set*: the coordinates that
   are nonzero or whose gradient violates the optimality condition
   :math:`|g_j| \le \lambda_1` (glum's ``identify_active_set``), each class with
   its own set for the multinomial loss (newGLMNET's per-coordinate working set);
   the Hessian is built for these coordinates only
   (:func:`softlogit._gram.softmax_coordinate_hessian`; where every weight is zero,
   as at the start, it is a Kronecker product of one Gram matrix). Within a solve,
   sweeps alternate between the nonzero coordinates and full sweeps (glmnet's
   scheme);
3. a backtracking (Armijo) line search on :math:`F` with the model decrease
   :math:`\Delta = g^\top d + \lambda_1(\lVert w + d_w\rVert_1 - \lVert w\rVert_1)`;
4. after a full step (:math:`t = 1`, the region of fast local convergence) the next
   step reuses the Hessian if its active set lies within the Hessian's, and
   then a new one is built: Shamanskii's variant of Newton's method (one Hessian
   for two steps, still superlinear), as glum reuses its Hessian between IRLS
   iterations when the weights barely change (``hessian_approx``). The gradient is
   always exact, so the optimum is the same.

For the multinomial loss the model is in all ``K`` rows (the penalty, not a
reference class, picks the split between them). The convergence measure is the
proximal Newton decrement :math:`\sqrt{d^\top H d}` of the model's minimizer, which
does not depend on the units of the features; at an optimum it is zero.

References
----------
G.-X. Yuan, C.-H. Ho and C.-J. Lin, "An improved GLMNET for L1-regularized logistic
regression", Journal of Machine Learning Research 13 (2012), 1999-2030.

J. Friedman, T. Hastie and R. Tibshirani, "Regularization paths for generalized
linear models via coordinate descent", Journal of Statistical Software 33 (2010).

V. E. Shamanskii, "A modification of Newton's method", Ukrainian Mathematical
Journal 19 (1967), 118-122.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from softlogit._linear_loss import LinearModelLoss
from softlogit._rows import rows_matmul
from softlogit._solvers import SolverResult
from softlogit._sparse import is_sparse
from softlogit._typing import FloatArray

__all__ = ["L1Problem", "coordinate_descent", "prox_newton"]

#: Armijo's sufficient-decrease factor and the step shrinking of the line search
#: (Yuan, Ho and Lin's sigma and beta).
ARMIJO = 0.01
SHRINK = 0.5
#: Sweeps of one coordinate-descent solve at most.
MAX_SWEEPS = 1000


@dataclass(frozen=True)
class L1Problem:
    """The data of an elastic-net fit, in the layout of :class:`LinearModelLoss`.

    Attributes
    ----------
    lml : LinearModelLoss
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    sw : ndarray of shape (n_samples,) or None
    l1, l2 : float
        The strengths of :math:`\\lVert W\\rVert_1` and
        :math:`\\frac12\\lVert W\\rVert_F^2`.
    n_rows : int
        Coefficient rows: ``K`` (multinomial) or 1 (binomial).
    """

    lml: LinearModelLoss
    X: Any
    y: np.ndarray
    sw: FloatArray | None
    l1: float
    l2: float
    n_rows: int

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_dof(self) -> int:
        return self.n_features + int(self.lml.fit_intercept)

    def shaped(self, x: FloatArray) -> FloatArray:
        """``x`` as ``(n_rows, n_dof)``."""
        return x.reshape(self.n_rows, self.n_dof)

    def coef(self, x: FloatArray) -> FloatArray:
        """``x`` in the layout of :class:`LinearModelLoss`."""
        return x.reshape(self.n_rows, -1) if self.n_rows > 1 else x.ravel()

    def l1_norm(self, x: FloatArray) -> float:
        return float(np.abs(self.shaped(x)[:, : self.n_features]).sum())

    def objective(self, x: FloatArray) -> float:
        """:math:`F(x)`, the smooth part plus the L1 term."""
        smooth = self.lml.loss(self.coef(x), self.X, self.y, self.sw, self.l2)
        return smooth + self.l1 * self.l1_norm(x)

    def smooth_gradient(self, x: FloatArray) -> tuple[float, FloatArray]:
        """:math:`f(x)` and its gradient as ``(n_rows, n_dof)``."""
        f, g = self.lml.loss_gradient(self.coef(x), self.X, self.y, self.sw, self.l2)
        return f, g.reshape(self.n_rows, self.n_dof)

    def active_features(self, x: FloatArray, g: FloatArray) -> np.ndarray:
        """Features nonzero in some row, or whose gradient exceeds ``l1`` in one."""
        p = self.n_features
        w, gw = self.shaped(x)[:, :p], g[:, :p]
        active = ((w != 0) | (np.abs(gw) > self.l1)).any(axis=0)
        return np.flatnonzero(active)

    def hessian(self, x: FloatArray, features: np.ndarray) -> FloatArray:
        """The Hessian of ``f`` in the coefficients of ``features`` (and the
        intercepts), all rows: coordinates ``(row, column)`` in C order.

        The other features' coefficients are zero, so the logits are those of the
        restricted model."""
        cols = self.columns(features)
        sub = self.shaped(x)[:, cols]
        if features.size == 0:
            # Intercepts only: they are the weights of a constant column (not
            # penalized).
            ones = np.ones((self.X.shape[0], 1))
            lml = LinearModelLoss(self.lml.base_loss, fit_intercept=False)
            coef0 = sub if self.n_rows > 1 else sub.ravel()
            return lml.gradient_hessian(coef0, ones, self.y, self.sw, 0.0)[1]
        if self.n_rows == 1 and not is_sparse(self.X):
            return self._binomial_hessian(x, features)
        X_sub = self.X if features.size == self.n_features else self.X[:, features]
        coef = sub if self.n_rows > 1 else sub.ravel()
        _, H = self.lml.gradient_hessian(coef, X_sub, self.y, self.sw, self.l2)
        return H

    def active_model(
        self, x: FloatArray, g: FloatArray
    ) -> tuple[np.ndarray, FloatArray, Callable[[], FloatArray]]:
        """The active coordinates (flat indices into ``x``), the Hessian of ``f`` in
        them and their L1 weights (0 for intercepts).

        A coordinate is active when it is nonzero or its gradient exceeds ``l1``;
        the intercepts always are. For the multinomial loss each class has its own
        set (newGLMNET's active set is per coordinate), which shrinks the Hessian
        from ``K`` times every feature of any class to the classes' own features.
        """
        p = self.n_features
        if self.n_rows == 1:
            features = self.active_features(x, g)
            cols = self.columns(features)
            pen = np.zeros(cols.size)
            pen[: features.size] = self.l1
            return cols, pen, lambda: self.hessian(x, features)
        W, G = self.shaped(x)[:, :p], g[:, :p]
        per_class = [np.flatnonzero(row) for row in (W != 0) | (np.abs(G) > self.l1)]
        flat = np.concatenate(
            [k * self.n_dof + self.columns(c) for k, c in enumerate(per_class)]
        )
        o = int(self.lml.fit_intercept)
        pen = np.concatenate([np.r_[np.full(c.size, self.l1), np.zeros(o)]
                              for c in per_class])  # fmt: skip
        return flat, pen, lambda: self.class_hessian(x, per_class)

    def class_hessian(self, x: FloatArray, per_class: list[np.ndarray]) -> FloatArray:
        """The multinomial Hessian of ``f`` in class ``k``'s features
        ``per_class[k]`` (and its intercept), class by class."""
        from softlogit._gram import softmax_coordinate_hessian

        o = int(self.lml.fit_intercept)
        if is_sparse(self.X):
            # the Hessian in the union of the features, then its class coordinates
            union = np.unique(np.concatenate(per_class))
            H = self.hessian(x, union)
            q = union.size + o
            pos = np.concatenate(
                [k * q + np.r_[np.searchsorted(union, c), np.arange(union.size, q)]
                 for k, c in enumerate(per_class)]
            ).astype(np.intp)  # fmt: skip
            return H[np.ix_(pos, pos)]
        sub = self.shaped(x)
        n = self.X.shape[0]
        s = np.full(n, 1.0 / n) if self.sw is None else self.sw / self.sw.sum()
        if not sub[:, : self.n_features].any():
            H = self._kronecker_hessian(sub, s, per_class)
        else:
            Z = self.X @ sub[:, : self.n_features].T
            if o:
                Z = Z + sub[:, -1]
            P = np.exp(Z - Z.max(axis=1, keepdims=True))  # softmax, max subtracted
            P /= P.sum(axis=1, keepdims=True)
            H = softmax_coordinate_hessian(self.X, P, s, per_class, bool(o))
        if self.l2:
            weights = np.concatenate(
                [np.r_[np.ones(c.size, bool), np.zeros(o, bool)] for c in per_class]
            )
            H[np.flatnonzero(weights), np.flatnonzero(weights)] += self.l2
        return H

    def _binomial_hessian(self, x: FloatArray, features: np.ndarray) -> FloatArray:
        """The binomial Hessian in ``features`` (and the intercept), dense ``X``:
        ``Z^T diag(s p (1 - p)) Z`` by :func:`softlogit._gram.gathered_gram` (the
        columns gathered from row blocks, not from the strided ``X[:, features]``)."""
        from softlogit._gram import gathered_gram

        o = int(self.lml.fit_intercept)
        flat = self.shaped(x)[0]
        z = rows_matmul(self.X, flat[: self.n_features]) + (flat[-1] if o else 0.0)
        p = 0.5 * (1.0 + np.tanh(0.5 * z))  # the sigmoid, without overflow
        n = self.X.shape[0]
        s = np.full(n, 1.0 / n) if self.sw is None else self.sw / self.sw.sum()
        h = p * (1.0 - p) * s  # 1 - p is exact near p = 1
        H = gathered_gram(self.X, h, features.astype(np.intp), bool(o))
        weights = np.arange(features.size)
        H[weights, weights] += self.l2
        return H

    def _kronecker_hessian(
        self, sub: FloatArray, s: FloatArray, per_class: list[np.ndarray]
    ) -> FloatArray:
        """The Hessian where every weight is zero: every sample has the same
        probabilities ``pi`` (of the intercepts), so block ``(a, b)`` is
        ``(pi_a [a = b] - pi_a pi_b) Z^T diag(s) Z``, one Gram matrix for all."""
        from softlogit._gram import weighted_gram

        o = int(self.lml.fit_intercept)
        b = sub[:, -1] if o else np.zeros(self.n_rows)
        pi = np.exp(b - b.max())
        pi /= pi.sum()
        union = np.unique(np.concatenate(per_class))
        if union.size == 0:  # the intercepts alone
            G = np.full((o, o), s.sum())
        else:
            X_sub = self.X if union.size == self.n_features else self.X[:, union]
            G = weighted_gram(X_sub, s, bool(o))
        q = union.size
        index = [np.r_[np.searchsorted(union, c), np.arange(q, q + o)].astype(np.intp)
                 for c in per_class]  # fmt: skip
        M = np.diag(pi) - np.outer(pi, pi)
        return np.block(
            [[M[a, c] * G[np.ix_(ia, ic)] for c, ic in enumerate(index)]
             for a, ia in enumerate(index)]
        )  # fmt: skip

    def columns(self, features: np.ndarray) -> np.ndarray:
        """Columns of ``(n_rows, n_dof)`` for ``features`` (and the intercept)."""
        if self.lml.fit_intercept:
            return np.append(features, self.n_features)
        return features


def coordinate_descent(
    H: FloatArray,
    g: FloatArray,
    x: FloatArray,
    penalty: FloatArray,
    tol: float,
    max_sweeps: int = MAX_SWEEPS,
) -> tuple[FloatArray, int]:
    r"""Minimize :math:`q(d) = g^\top d + \frac12 d^\top H d + \sum_j \pi_j
    (|x_j + d_j| - |x_j|)` by cyclic coordinate descent.

    Each coordinate is set to its exact minimizer (a soft-thresholded Newton step)
    and ``H d`` is updated with one row of ``H``. Sweeps over the nonzero
    coordinates (and the unpenalized ones) repeat until no change exceeds ``tol``
    in the metric of ``H`` (:math:`H_{jj}\,\delta_j^2 \le` ``tol**2``); then one full
    sweep checks the other coordinates, and the solve ends when it changes none.

    Parameters
    ----------
    H : ndarray of shape (m, m)
        Symmetric positive semi-definite.
    g : ndarray of shape (m,)
    x : ndarray of shape (m,)
        The current point (the L1 term is on ``x + d``).
    penalty : ndarray of shape (m,)
        Non-negative L1 weights :math:`\pi_j` (0 for intercepts).
    tol : float
    max_sweeps : int

    Returns
    -------
    d : ndarray of shape (m,)
    sweeps : int

    Examples
    --------
    A one-dimensional lasso: the minimizer of :math:`d^2 / 2 - 3 d + |d|` is 2.

    >>> import numpy as np
    >>> d, _ = coordinate_descent(np.eye(1), np.array([-3.0]), np.zeros(1),
    ...                           np.ones(1), 1e-12)
    >>> d
    array([2.])
    """
    m = g.size
    d = np.zeros(m)
    q = g.astype(np.float64).copy()  # the model's gradient g + H d
    diag = np.diag(H).copy()
    rows = list(H)
    tol2 = tol * tol
    usable = np.flatnonzero(diag > 0)
    free = penalty[usable] == 0
    sweeps = 0
    full = True
    while sweeps < max_sweeps:
        sweeps += 1
        inner = usable if full else usable[(x[usable] + d[usable] != 0) | free]
        coords: list[int] = inner.tolist()
        worst = 0.0
        for j in coords:
            hj = diag[j]
            cur = x[j] + d[j]
            u = cur - q[j] / hj
            t = penalty[j] / hj
            new = u - t if u > t else (u + t if u < -t else 0.0)
            delta = new - cur
            if delta != 0.0:
                d[j] += delta
                q += delta * rows[j]
                change = hj * delta * delta
                if change > worst:
                    worst = change
        if worst <= tol2:
            if full:
                break
            full = True
        else:
            full = False
    return d, sweeps


def prox_newton(
    problem: L1Problem, x0: FloatArray, *, tol: float, max_iter: int
) -> SolverResult:
    r"""Minimize :math:`F` by proximal Newton steps (see the module docstring).

    Parameters
    ----------
    problem : L1Problem
    x0 : ndarray
        Full coefficients, flat (``n_rows * n_dof``).
    tol : float
        The run is converged once the proximal Newton decrement is at most ``tol``;
        it goes on to ``tol**2`` (proximal Newton converges quadratically near the
        optimum, so this takes one or two more steps) or until no step decreases
        :math:`F` at machine precision.
    max_iter : int
        Proximal Newton steps at most.

    Returns
    -------
    SolverResult
        ``loss`` is :math:`F` at ``x``; ``criterion`` the last decrement.
    """
    x: FloatArray = np.array(x0, dtype=np.float64).ravel()
    f, g = problem.smooth_gradient(x)
    F = f + problem.l1 * problem.l1_norm(x)
    decrement = math.inf
    converged = False
    message = "max_iter reached"
    n_iter = 0
    kept: tuple[np.ndarray, FloatArray] | None = None
    while n_iter < max_iter:
        flat, pen, hessian = problem.active_model(x, g)
        H = _kept_hessian(kept, flat)
        if H is None:
            H = hessian()
            kept = (flat, H)
        else:
            kept = None  # one more step on it at most
        inner = 0.1 * min(decrement, 1.0) * min(tol, 1.0)
        d_sub, _ = coordinate_descent(H, g.ravel()[flat], x[flat], pen, inner)
        previous = decrement
        decrement = math.sqrt(max(float(d_sub @ H @ d_sub), 0.0))
        d = np.zeros_like(x)
        d[flat] = d_sub
        n_iter += 1
        step = _line_search(problem, x, F, g.ravel(), d)
        if step is None:
            converged = decrement <= tol
            message = "no decrease at machine precision"
            break
        x, F, f, g, stalled, t = step
        if t < 1.0:  # outside the region of fast local convergence
            kept = None
        if decrement <= tol * tol:
            converged, message = True, "converged"
            break
        if stalled and (decrement <= tol or decrement >= previous):
            # The model's decrease is within the rounding of F: stop once the
            # decrement meets tol, or when it no longer shrinks (rounding level).
            converged = decrement <= tol
            message = "converged" if converged else "no decrease at machine precision"
            break
    else:
        converged = decrement <= tol
    return SolverResult(x, F, decrement, n_iter, converged, message)


def _kept_hessian(
    kept: tuple[np.ndarray, FloatArray] | None, flat: np.ndarray
) -> FloatArray | None:
    """The kept Hessian in the coordinates ``flat`` if it covers them (both
    sorted), else None."""
    if kept is None:
        return None
    old, H = kept
    pos = np.searchsorted(old, flat)
    if pos.size and (pos[-1] >= old.size or not np.array_equal(old[pos], flat)):
        return None
    return H if pos.size == old.size else H[np.ix_(pos, pos)]


def _line_search(
    problem: L1Problem, x: FloatArray, F: float, g: FloatArray, d: FloatArray
) -> tuple[FloatArray, float, float, FloatArray, bool, float] | None:
    """Armijo backtracking on ``F`` along ``d``: ``(x, F, f, g, stalled)`` or None;
    ``stalled`` when the model's decrease is within the rounding of ``F`` (the full
    step is then taken as it is)."""
    delta = float(g @ d) + problem.l1 * (problem.l1_norm(x + d) - problem.l1_norm(x))
    rounding = 64 * np.finfo(np.float64).eps * max(abs(F), 1.0)
    stalled = bool(-delta <= rounding)
    t = 1.0
    for _ in range(60):
        x_new = x + t * d
        f_new, g_new = problem.smooth_gradient(x_new)
        obj_new = f_new + problem.l1 * problem.l1_norm(x_new)
        if obj_new <= F + ARMIJO * t * delta or (stalled and t == 1.0):
            return x_new, obj_new, f_new, g_new, stalled, t
        t *= SHRINK
    return None
