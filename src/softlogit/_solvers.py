r"""Solvers for smooth convex objectives: Newton-Cholesky, L-BFGS and first-order methods.

A solver receives an *objective*: an object with ``loss(x)``, ``loss_gradient(x)`` and
(for Newton) ``gradient_hessian(x)`` on a flat parameter vector ``x``. Solvers never
re-derive a formula; :mod:`softlogit._objectives` builds objectives from
:class:`softlogit.LinearModelLoss`.

Every solver judges convergence on a measure that does not depend on the units of the
parameters (a feature scaled by ``1e-9`` scales its coefficient by ``1e9`` and its
gradient by ``1e-9``; a raw ``max |gradient|`` would call a far-off start converged):
Newton's method on its *decrement* :math:`\lambda = \sqrt{g^\top H^{-1} g}` (the
gradient measured in the metric of the Hessian), the other solvers on the largest
entry of the gradient in coordinates that the caller whitens (see
:class:`softlogit._objectives.WhitenedObjective`). The result reports the measure, so
the caller can warn with advice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from softlogit._typing import FloatArray

__all__ = [
    "POLISH_DECREMENT",
    "Objective",
    "SolverResult",
    "first_order",
    "lbfgs",
    "newton_cholesky",
]

#: Newton decrement at which a polishing run (``polish=True``) stops: the last step
#: then leaves an error of about its square, at the rounding level of float64, and the
#: last Hessian lies within this distance (in its own metric) of the final iterate.
POLISH_DECREMENT = 1e-10
#: Newton's steps with a sampled Hessian (``objective.sampled_hessian``) go on while
#: their decrement exceeds this; exact Hessians take over from there.
SAMPLED_DECREMENT = 1e-2
#: Step halvings allowed to a sampled Hessian's step before exact Hessians take over.
SAMPLED_HALVINGS = 4


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
    criterion : float
        The convergence measure (compared with ``tol``): Newton's decrement at the
        last point where it was computed, or ``max |gradient|`` in the solver's
        (whitened) coordinates at ``x``.
    n_iter : int
        Iterations (steps) taken.
    converged : bool
        ``criterion <= tol`` (or, for L-BFGS, no further decrease was possible at
        machine precision).
    message : str
        A short description of how the run ended.
    gradient : ndarray or None
        The gradient at ``x`` (Newton only).
    hessian, hessian_at : ndarray or None
        Newton only: the last Hessian computed and the iterate it was computed at;
        ``None`` if none was.
    polished : bool
        Newton with ``polish=True`` only: the run reached the rounding level (its
        last decrement at most :data:`POLISH_DECREMENT`, or no longer decreasing)
        and ``hessian`` was computed at ``hessian_at``, at most that decrement
        from ``x`` in the Hessian's metric.
    """

    x: FloatArray
    loss: float
    criterion: float
    n_iter: int
    converged: bool
    message: str
    gradient: FloatArray | None = None
    hessian: FloatArray | None = None
    hessian_at: FloatArray | None = None
    polished: bool = False


def _max_abs(g: FloatArray) -> float:
    return float(np.max(np.abs(g))) if g.size else 0.0


def newton_cholesky(
    objective: Objective,
    x0: FloatArray,
    *,
    tol: float,
    max_iter: int,
    polish: bool = False,
) -> SolverResult:
    r"""Damped Newton's method with a Cholesky solve and a backtracking line search.

    Parameters
    ----------
    objective : Objective
        Needs ``loss``, ``loss_gradient`` and ``gradient_hessian``; the Hessian must be
        positive definite at the solution (an identified parametrization).
    x0 : ndarray of shape (n_params,)
        Start.
    tol : float
        Converged when the Newton decrement :math:`\lambda \le` ``tol``; the run
        then goes on to :math:`\lambda \le` ``tol**2`` (see Notes).
    max_iter : int
        Maximal number of Newton steps before convergence.
    polish : bool, default=False
        After convergence, go on to a decrement of at most
        :data:`POLISH_DECREMENT` (or until it stops decreasing: the rounding level)
        instead, confirmed by a fresh Hessian: ``x`` is then the minimizer to
        machine precision and the returned Hessian is that of the minimizer (the
        covariance of an unpenalized fit).

    Returns
    -------
    SolverResult

    Notes
    -----
    The step solves :math:`H d = -g` by Cholesky, on :math:`H` scaled to unit
    diagonal (so that neither the factorization nor its damping depends on the units
    of the parameters); if the factorization fails, :math:`\mu I` is added to the
    scaled matrix, with :math:`\mu` growing from :math:`10^{-10}`. The decrement
    :math:`\lambda^2 = -g^\top d` is invariant to a linear change of the
    parameters; :math:`\lambda^2 / 2` predicts the decrease of the objective and
    :math:`\lambda` is the distance to the minimizer in the metric of the Hessian,
    to first order. Once :math:`\lambda \le` ``tol`` the run is converged; it
    goes on, mostly with the last factor (each such step costs one gradient), until
    :math:`\lambda \le` ``tol**2`` (the error in the Hessian's metric), takes that
    last step as well (it also moves coefficients that the objective hardly
    depends on, such as those of features in tiny units under a penalty) and
    stops. A run whose decrement no longer falls tenfold per step (with a fresh
    Hessian) has reached the rounding level and stops there.

    The step length halves until the Armijo condition
    :math:`F(x + t d) \le F(x) + 10^{-4} t\, g^\top d` holds; once the predicted
    decrease :math:`\lambda^2 / 2` is below the rounding level of :math:`F` the full
    step is taken (the quadratic-convergence phase, where differences of :math:`F` are
    all rounding).

    In that phase the Hessian barely changes from one iterate to the next, so the
    last Cholesky factor's step is computed first (a triangular solve): if its
    decrement is a hundredth of the previous iterate's (a tenth after a reused
    factor), it is taken instead of computing and factoring a new Hessian
    (Shamanskii's variant of Newton's method; the convergence stays superlinear,
    and the test, on decrements, is as invariant as the stopping rule). A
    polishing run that gets below :data:`POLISH_DECREMENT` with a reused factor
    confirms it with a fresh Hessian (the one returned). An objective with
    ``polish_hessian`` (a sampled Hessian, where an exact one costs many gradients)
    first leads a polish there by steps with its factor (:func:`_polish_factor`),
    so that the fresh Hessian at the end is usually the only exact one.
    """
    from scipy import linalg

    x: FloatArray = np.array(x0, dtype=np.float64)
    # The gradient comes with every accepted point (the line search evaluates loss and
    # gradient together); the Hessian is computed only when another step is needed.
    f, g = objective.loss_gradient(x)
    x, f, g, n_iter = _sampled_steps(objective, x, f, g, max_iter, linalg)
    polish_factor = _polish_factor(objective, x, linalg) if polish else None
    if polish_factor is not None:
        # the polish's steps with one sampled factor, down to a tenth of its target
        x, f, g, n_iter = _steps_while_halving(
            objective,
            x,
            f,
            g,
            n_iter,
            max_iter,
            lambda _: polish_factor,
            POLISH_DECREMENT / 10,
            SAMPLED_DECREMENT,
            linalg,
        )
    H: FloatArray | None = None
    x_at_H: FloatArray | None = None
    factor: Any = None
    reused = False
    lam = lam_prev = np.inf  # the decrement at x and at the iterate before
    # where a converged run stops: the decrement that leaves the error asked for
    target = POLISH_DECREMENT if polish else tol * tol
    converged = polished = False
    message = f"maximum number of iterations ({max_iter}) reached"

    def direction(fresh: bool) -> tuple[FloatArray, float, float]:
        nonlocal H, x_at_H, factor
        if fresh:
            _, H = objective.gradient_hessian(x)
            x_at_H = x
            factor = _newton_factor(H, linalg)
        d = -g if factor is None else _newton_solve(factor, g, linalg)
        slope = float(g @ d)
        if not slope < 0:
            d, slope = -g, -float(g @ g)
        return d, slope, float(np.sqrt(-slope))

    while True:
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            message = "the objective or its gradient is not finite"
            break
        # Reuse the last factor in the quadratic phase (see Notes): when its step
        # here, computed first (a triangular solve), has a decrement a hundredth
        # of the last one (a tenth after a reused step).
        reuse = False
        if factor is not None:
            d, slope, lam = direction(False)
            reuse = lam <= lam_prev * (1e-1 if reused else 1e-2)
            # (a polish confirms with a fresh Hessian at x, the one returned)
            reuse = reuse and not (polish and lam <= target)
        if not reuse:
            d, slope, lam = direction(True)
        if not converged and lam <= tol:
            converged = True
            message = "converged: Newton decrement <= tol"
        # not a tenth of the last decrement with a fresh factor after a fresh one:
        # the rounding level
        stalled = lam > lam_prev / 10 and not (reuse or reused)
        lam_prev = lam
        final = False
        if converged:
            if lam > target and stalled:
                polished = polish  # the rounding level; a polish has H at x
                message = "converged to the rounding level of the decrement"
                break
            # done: the step already computed is taken as well (one gradient): it
            # also moves coefficients the objective hardly depends on, such as
            # those of features in tiny units under a penalty
            final = lam <= target
            polished = final and polish
        reused = reuse
        if not converged and n_iter >= max_iter:
            break
        step = _line_search(objective, x, f, d, slope)
        if step is None:
            # (after convergence x stays converged; its Hessian is still at x)
            failed = "the line search failed to decrease the objective"
            message = message if converged else failed
            break
        x, f, g = step
        n_iter += 1
        if final:
            break
    return SolverResult(
        x, f, lam, n_iter, converged, message, g, H, x_at_H, polished and converged
    )


def _sampled_steps(
    objective: Objective,
    x: FloatArray,
    f: float,
    g: FloatArray,
    max_iter: int,
    linalg: Any,
) -> tuple[FloatArray, float, FloatArray, int]:
    """Newton steps with the Hessian of a sample of rows, while the objective offers
    one (``sampled_hessian``, for many rows) and its decrement exceeds
    :data:`SAMPLED_DECREMENT` and keeps falling by half or more per step.

    A sampled Hessian's steps converge linearly (by about its relative error per
    step) instead of quadratically, at a fraction of a Hessian's cost; the exact
    Newton iterations that follow judge convergence with exact Hessians (the
    decrements of these steps are estimates and decide nothing but the switch).
    """
    sampled = getattr(objective, "sampled_hessian", None)
    if sampled is None:
        return x, f, g, 0

    def factor_at(x: FloatArray) -> Any:
        H = sampled(x)
        return None if H is None else _newton_factor(H, linalg)

    return _steps_while_halving(
        objective, x, f, g, 0, max_iter, factor_at, SAMPLED_DECREMENT, np.inf, linalg
    )


def _polish_factor(objective: Objective, x: FloatArray, linalg: Any) -> Any:
    """The factor of the sampled Hessian at ``x`` (``polish_hessian``) whose steps
    lead a polish to its exact Hessians, or None (no such Hessian).

    The steps (:func:`_steps_while_halving`, while their decrement halves or more,
    down to a tenth of :data:`POLISH_DECREMENT`, the first at most half of
    :data:`SAMPLED_DECREMENT`: near the optimum only) converge linearly, by about
    the sample's relative error per step; when they get there, the exact Hessian
    that follows (at the final iterate) confirms at once, and the polish computes
    one exact Hessian instead of two.
    """
    sampled = getattr(objective, "polish_hessian", None)
    H = None if sampled is None else sampled(x)
    return None if H is None else _newton_factor(H, linalg)


def _steps_while_halving(
    objective: Objective,
    x: FloatArray,
    f: float,
    g: FloatArray,
    n_iter: int,
    max_iter: int,
    factor_at: Callable[[FloatArray], Any],
    floor: float,
    lam_prev: float,
    linalg: Any,
) -> tuple[FloatArray, float, FloatArray, int]:
    """Newton steps with the factors ``factor_at(x)`` of sampled Hessians (None:
    stop) while their decrement exceeds ``floor`` and is at most half the last one
    (``lam_prev`` before the first step); a step whose line search fails stops."""
    while n_iter < max_iter:
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            break
        factor = factor_at(x)
        if factor is None:
            break
        d = _newton_solve(factor, g, linalg)
        slope = float(g @ d)
        lam = np.sqrt(-slope) if slope < 0 else 0.0
        if not (lam > floor and lam <= lam_prev / 2):
            break
        # (a sampled Hessian far from the exact one: a few halvings, then exact)
        step = _line_search(objective, x, f, d, slope, SAMPLED_HALVINGS)
        if step is None:
            break
        x, f, g = step
        n_iter += 1
        lam_prev = lam
    return x, f, g, n_iter


def _line_search(
    objective: Objective,
    x: FloatArray,
    f: float,
    d: FloatArray,
    slope: float,
    halvings: int = 60,
) -> tuple[FloatArray, float, FloatArray] | None:
    """Backtracking from the full step ``d`` (see :func:`newton_cholesky`'s Notes),
    at most ``halvings`` times."""
    rounding = 64 * np.finfo(np.float64).eps * max(abs(f), 1.0)
    if -slope / 2 <= rounding:
        x_new = x + d
        f_new, g_new = objective.loss_gradient(x_new)
        return x_new, f_new, g_new
    t = 1.0
    for _ in range(halvings):
        x_new = x + t * d
        f_new, g_new = objective.loss_gradient(x_new)
        if f_new <= f + 1e-4 * t * slope:
            return x_new, f_new, g_new
        t /= 2
    return None


def _newton_factor(H: FloatArray, linalg: Any) -> Any:
    """Cholesky factor of ``H`` scaled to unit diagonal, damped until it works.

    Returns ``(factor, scale)`` with ``H ~ diag(scale) L L^T diag(scale)``, or None.
    """
    diag = np.diag(H)
    ok = np.isfinite(diag) & (diag > 0)
    scale = np.where(ok, np.sqrt(np.where(ok, diag, 1.0)), 1.0)
    unit = H / scale[:, None] / scale[None, :]
    mu = 0.0
    for _ in range(12):
        try:
            factor = linalg.cho_factor(
                unit + mu * np.eye(H.shape[0]) if mu else unit,
                lower=False,
                check_finite=False,
            )
        except linalg.LinAlgError:
            mu = 1e-10 if mu == 0 else mu * 100
            continue
        if np.all(np.isfinite(factor[0])):
            return factor, scale
        mu = 1e-10 if mu == 0 else mu * 100
    return None


def _newton_solve(factor: Any, g: FloatArray, linalg: Any) -> FloatArray:
    """The Newton direction ``-H^-1 g`` (steepest descent if not finite)."""
    cho, scale = factor
    d: FloatArray = -linalg.cho_solve(cho, g / scale, check_finite=False) / scale
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
        ``gtol``: stop when ``max |gradient| <= tol`` (in the coordinates of
        ``objective``: whitened ones make it independent of the features' units).
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

    last: list[Any] = []  # the last evaluation: (x, value, gradient)

    def fun(x: FloatArray) -> tuple[float, FloatArray]:
        value, grad = objective.loss_gradient(x)
        last[:] = [np.array(x, copy=True), value, np.array(grad, copy=True)]
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
    if last and np.array_equal(last[0], x):
        f, g = last[1], last[2]  # the final iterate is usually the last evaluated
    else:
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
    measure: Callable[[FloatArray], float] = _max_abs,
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
        Stop when ``measure(gradient) <= tol``.
    max_iter : int
        Maximal number of steps.
    measure : callable, default=max |gradient|
        The convergence measure of a gradient (the caller passes one that is
        invariant to the units of the parameters).

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
    value = measure(g)
    for it in range(max_iter):
        if value <= tol:
            message = "converged: scaled max |gradient| <= tol"
            break
        if not np.isfinite(f):
            message = "the objective diverged (lower the learning rate)"
            break
        opt.step([x], [g])
        n_iter = it + 1
        f, g = objective.loss_gradient(x)
        value = measure(g)
    else:
        if value <= tol:
            message = "converged: scaled max |gradient| <= tol"
    return SolverResult(x, f, value, n_iter, bool(value <= tol), message)
