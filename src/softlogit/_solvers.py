"""Solvers for smooth convex objectives: Newton-Cholesky, L-BFGS and first-order methods.

A solver receives an *objective*: an object with ``loss(x)``, ``loss_gradient(x)`` and
(for Newton) ``gradient_hessian(x)`` on a flat parameter vector ``x``. Solvers never
re-derive a formula; :mod:`softlogit._objectives` builds objectives from
:class:`softlogit.LinearModelLoss`. Every solver judges convergence on the largest
absolute entry of the gradient (the projected gradient of an unconstrained problem) and
reports it in the result, so the caller can warn with advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from softlogit._typing import FloatArray

__all__ = ["Objective", "SolverResult", "first_order", "lbfgs", "newton_cholesky"]


class Objective(Protocol):
    """What a solver needs from the problem, on a flat parameter vector."""

    def loss(self, x: FloatArray) -> float: ...

    def loss_gradient(self, x: FloatArray) -> tuple[float, FloatArray]: ...

    def gradient_hessian(self, x: FloatArray) -> tuple[FloatArray, FloatArray]: ...


@dataclass(frozen=True)
class SolverResult:
    """The outcome of a solver run.

    Attributes
    ----------
    x : ndarray
        The final iterate (flat).
    loss : float
        The objective at ``x``.
    grad_max : float
        ``max |gradient|`` at ``x``.
    n_iter : int
        Iterations taken.
    converged : bool
        ``grad_max <= tol`` (or, for L-BFGS, no further decrease was possible at
        machine precision).
    message : str
        A short description of how the run ended.
    gradient : ndarray or None
        The gradient at ``x`` (Newton only).
    hessian, hessian_at : ndarray or None
        Newton only: the last Hessian computed and the iterate it was computed at
        (the step before ``x``); ``None`` if no step was taken.
    """

    x: FloatArray
    loss: float
    grad_max: float
    n_iter: int
    converged: bool
    message: str
    gradient: FloatArray | None = None
    hessian: FloatArray | None = None
    hessian_at: FloatArray | None = None


def _max_abs(g: FloatArray) -> float:
    return float(np.max(np.abs(g))) if g.size else 0.0


def newton_cholesky(
    objective: Objective, x0: FloatArray, *, tol: float, max_iter: int
) -> SolverResult:
    """Damped Newton's method with a Cholesky solve and a backtracking line search.

    Parameters
    ----------
    objective : Objective
        Needs ``loss``, ``loss_gradient`` and ``gradient_hessian``; the Hessian must be
        positive definite at the solution (an identified parametrization).
    x0 : ndarray of shape (n_params,)
        Start.
    tol : float
        Stop when ``max |gradient| <= tol``.
    max_iter : int
        Maximal number of Newton steps.

    Returns
    -------
    SolverResult

    Notes
    -----
    The step solves :math:`(H + \\mu I) d = -g` by Cholesky with :math:`\\mu = 0`
    unless the factorization fails, then with :math:`\\mu` growing from
    :math:`10^{-10} \\max_i H_{ii}`. The step length halves until the Armijo condition
    :math:`F(x + t d) \\le F(x) + 10^{-4} t\\, g^\\top d` holds; once the predicted
    decrease :math:`-g^\\top d / 2` is below the rounding level of :math:`F` the full
    step is taken (the quadratic-convergence phase, where differences of :math:`F` are
    all rounding).

    In that phase the Hessian barely changes from one iterate to the next, so once a
    step has shrunk ``max |gradient|`` a hundredfold, the next step reuses the last
    Cholesky factor instead of computing and factoring a new Hessian (Shamanskii's
    variant of Newton's method; the convergence stays superlinear). A reused factor
    whose step fails to shrink the gradient tenfold is replaced at the next step.
    """
    from scipy import linalg

    x = np.array(x0, dtype=np.float64)
    # The gradient comes with every accepted point (the line search evaluates loss and
    # gradient together); the Hessian is computed only when another step is needed.
    f, g = objective.loss_gradient(x)
    n_iter = 0
    H: FloatArray | None = None
    x_at_H: FloatArray | None = None
    factor: Any = None
    reused = False
    g_prev = np.inf
    message = f"maximum number of iterations ({max_iter}) reached"
    for it in range(max_iter + 1):
        g_max = _max_abs(g)
        if not np.isfinite(g_max):
            message = "the gradient is not finite"
            break
        if g_max <= tol:
            message = "converged: max |gradient| <= tol"
            break
        if it == max_iter:
            break
        # Reuse the last factor in the quadratic phase (see Notes), but never twice
        # in a row without a tenfold decrease.
        shrink = g_max / g_prev
        reuse = factor is not None and (shrink <= 1e-1 if reused else shrink <= 1e-2)
        g_prev = g_max
        if not reuse:
            _, H = objective.gradient_hessian(x)
            x_at_H = x
            factor = _newton_factor(H, linalg)
        reused = reuse
        d = -g if factor is None else _newton_solve(factor, g, linalg)
        slope = float(g @ d)
        if slope >= 0:
            d, slope = -g, -float(g @ g)
        n_iter = it + 1
        rounding = 64 * np.finfo(np.float64).eps * max(abs(f), 1.0)
        if -slope / 2 <= rounding:
            x = x + d
            f, g = objective.loss_gradient(x)
            continue
        t = 1.0
        for _ in range(60):
            f_new, g_new = objective.loss_gradient(x + t * d)
            if f_new <= f + 1e-4 * t * slope:
                break
            t /= 2
        else:
            message = "the line search failed to decrease the objective"
            break
        x = x + t * d
        f, g = f_new, g_new
    converged = g_max <= tol
    return SolverResult(x, f, g_max, n_iter, converged, message, g, H, x_at_H)


def _newton_factor(H: FloatArray, linalg: Any) -> Any:
    """Cholesky factor of ``H + mu I``, raising ``mu`` until it works (None: failed)."""
    mu = 0.0
    scale = max(float(np.max(np.abs(np.diag(H)))), 1e-300)
    for _ in range(12):
        try:
            factor = linalg.cho_factor(
                H + mu * np.eye(H.shape[0]) if mu else H,
                lower=False,
                check_finite=False,
            )
        except linalg.LinAlgError:
            mu = 1e-10 * scale if mu == 0 else mu * 100
            continue
        if np.all(np.isfinite(factor[0])):
            return factor
        mu = 1e-10 * scale if mu == 0 else mu * 100
    return None


def _newton_solve(factor: Any, g: FloatArray, linalg: Any) -> FloatArray:
    """The Newton direction ``-(H + mu I)^-1 g`` (steepest descent if not finite)."""
    d: FloatArray = -linalg.cho_solve(factor, g, check_finite=False)
    return d if np.all(np.isfinite(d)) else -g


def lbfgs(
    objective: Objective,
    x0: FloatArray,
    *,
    tol: float,
    max_iter: int,
    history: int = 10,
) -> SolverResult:
    """L-BFGS (``scipy.optimize.minimize(method="L-BFGS-B")`` without bounds).

    Parameters
    ----------
    objective : Objective
        Needs ``loss_gradient``.
    x0 : ndarray of shape (n_params,)
        Start.
    tol : float
        ``gtol``: stop when ``max |gradient| <= tol``.
    max_iter : int
        Maximal number of iterations.
    history : int, default=10
        Number of correction pairs kept.

    Returns
    -------
    SolverResult
        ``converged`` when ``max |gradient| <= tol``, or when SciPy stopped because the
        relative decrease of the objective fell below machine precision (64 ulp, as
        scikit-learn's ``lbfgs`` solver).
    """
    from scipy import optimize

    def fun(x: FloatArray) -> tuple[float, FloatArray]:
        value, grad = objective.loss_gradient(x)
        return value, grad

    res = optimize.minimize(
        fun,
        np.array(x0, dtype=np.float64),
        method="L-BFGS-B",
        jac=True,
        options={
            "maxiter": max_iter,
            "maxls": 50,
            "maxcor": history,
            "gtol": tol,
            "ftol": 64 * np.finfo(np.float64).eps,
        },
    )
    x = np.asarray(res.x, dtype=np.float64)
    f, g = objective.loss_gradient(x)
    g_max = _max_abs(g)
    message = str(res.message)
    at_precision = res.status == 0 and "RELATIVE REDUCTION" in message.upper()
    converged = bool(g_max <= tol or at_precision) and bool(np.isfinite(f))
    return SolverResult(x, f, g_max, int(res.nit), converged, message)


def first_order(
    objective: Objective,
    x0: FloatArray,
    *,
    method: str,
    lr: float,
    tol: float,
    max_iter: int,
) -> SolverResult:
    """Full-batch gradient descent, heavy-ball momentum or Adam.

    The update rules are those of :mod:`softlogit._optimizers` (PyTorch's
    ``torch.optim`` definitions), which the network experiment uses as well.

    Parameters
    ----------
    objective : Objective
        Needs ``loss_gradient``.
    x0 : ndarray of shape (n_params,)
        Start.
    method : {'gd', 'momentum', 'adam'}
        ``'gd'`` is ``torch.optim.SGD``, ``'momentum'`` the same with momentum 0.9,
        ``'adam'`` is ``torch.optim.Adam`` with the default betas.
    lr : float
        Learning rate.
    tol : float
        Stop when ``max |gradient| <= tol``.
    max_iter : int
        Maximal number of steps.

    Returns
    -------
    SolverResult
    """
    from softlogit._optimizers import OptimizerSpec, make_optimizer

    names = {"gd": "sgd", "momentum": "momentum", "adam": "adam"}
    spec = OptimizerSpec(name=names[method], lr=lr)  # type: ignore[arg-type]
    x = np.array(x0, dtype=np.float64)
    opt = make_optimizer(spec, [x])
    n_iter = 0
    message = f"maximum number of iterations ({max_iter}) reached"
    f, g = objective.loss_gradient(x)
    g_max = _max_abs(g)
    for it in range(max_iter):
        if g_max <= tol:
            message = "converged: max |gradient| <= tol"
            break
        if not np.isfinite(f):
            message = "the objective diverged (lower the learning rate)"
            break
        opt.step([x], [g])
        n_iter = it + 1
        f, g = objective.loss_gradient(x)
        g_max = _max_abs(g)
    else:
        if g_max <= tol:
            message = "converged: max |gradient| <= tol"
    return SolverResult(x, f, g_max, n_iter, g_max <= tol, message)
