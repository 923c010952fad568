"""Estimators with scikit-learn's API: ``LogisticRegression`` and ``SoftmaxRegression``.

Both minimize scikit-learn's objective

.. math::

    F(W, b) = \\frac{1}{S}\\sum_i s_i\\, \\ell(y_i, W x_i + b)
              + \\frac{1}{2 C S}\\lVert W \\rVert_F^2, \\qquad S = \\sum_i s_i,

with the binomial loss (one row :math:`w`) or the multinomial loss (one row per class,
also for two classes). The estimator validates and encodes the data, builds the
objective from :class:`softlogit.LinearModelLoss` and hands it to a solver of
:mod:`softlogit._solvers`; it never differentiates anything itself.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from softlogit._gram import gram
from softlogit._inference import InferenceMixin
from softlogit._linear_loss import LinearModelLoss
from softlogit._loss import BinomialLoss, MultinomialLoss
from softlogit._persistence import PersistenceMixin
from softlogit._solvers import (
    SolverResult,
    _max_abs,
    first_order,
    lbfgs,
    newton_cholesky,
)
from softlogit._special import log_sigmoid, log_softmax
from softlogit._threads import single_blas_thread_if_small
from softlogit._typing import ArrayLike, FloatArray

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["LogisticRegression", "SoftmaxRegression"]

Solver = Literal["auto", "newton", "lbfgs", "gd", "momentum", "adam"]
SOLVERS: tuple[str, ...] = ("auto", "newton", "lbfgs", "gd", "momentum", "adam")
GAUGES: tuple[str, ...] = ("centered", "reference", "none")

# "auto" uses Newton's method up to this many free parameters: a Newton step costs
# about n_samples * n_params**2 / 2 flops (the Hessian, one syrk), an L-BFGS step about
# 4 * n_samples * n_params (two memory-bound matrix products); Newton needs ~6 steps,
# L-BFGS in whitened coordinates ~30-50. Measured crossover (benchmarks/fit_speed.py):
# L-BFGS is faster at 189 free parameters (10k x 20 x 10), Newton at 101 (100k x 100 x 2).
NEWTON_MAX_PARAMS = 120
# Correction pairs of the estimators' L-BFGS: 20 instead of SciPy's 10 takes 10-15%
# fewer iterations on the 10-class benchmark cases (45 -> 40 at 10k x 20 x 10, 44 -> 39
# at 100k x 100 x 10), at a cost per iteration that is small next to the objective's.
LBFGS_HISTORY = 20
# "auto" beyond NEWTON_MAX_PARAMS: L-BFGS for at most _lbfgs_budget(n_free)
# iterations, then Newton's method from its last iterate, up to this many free
# parameters (a Newton step's Hessian costs about n_free / 30 L-BFGS iterations).
NEWTON_SWITCH_MAX_PARAMS = 2000


def _lbfgs_budget(n_free: int) -> int:
    """L-BFGS iterations worth about eight Newton steps (at least 50).

    Measured on one core: a Hessian (``n n_free^2 / 2`` multiply-adds by syrk) costs
    about ``n_free / 30`` L-BFGS iterations (two thin products with ``X`` per
    evaluation), e.g. 585 free parameters of the raw digits data: 15 ms against
    0.37 ms.
    """
    return max(50, n_free // 4)


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------


def _check_numeric_columns(X: Any) -> None:
    """Raise naming the first non-numeric column (and row) of ``X``."""
    columns = getattr(X, "columns", None)
    dtypes = getattr(X, "dtypes", None)
    if columns is not None and dtypes is not None:  # pandas DataFrame
        import pandas as pd

        for j, (name, dt) in enumerate(zip(columns, dtypes, strict=True)):
            if pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt):
                continue
            col = X.iloc[:, j]
            converted = pd.to_numeric(col, errors="coerce")
            bad = np.flatnonzero(converted.isna().to_numpy() & col.notna().to_numpy())
            if bad.size:
                i = int(bad[0])
                raise ValueError(
                    f"`X` column {name!r} (position {j}) must be numeric; got dtype "
                    f"{dt} with the non-numeric value {col.iloc[i]!r} at row {i}."
                )
        return
    arr = np.asarray(X) if not hasattr(X, "toarray") else None
    if arr is None or arr.dtype.kind not in "OUS" or arr.ndim != 2:
        return
    try:
        arr.astype(np.float64)
    except (TypeError, ValueError):
        pass  # find the offending entry below
    else:
        return
    for j in range(arr.shape[1]):
        for i, value in enumerate(arr[:, j]):
            try:
                float(value)
            except TypeError as exc:
                raise TypeError(
                    f"`X` must be numeric; column {j}, row {i} holds {value!r}: {exc}"
                ) from None
            except ValueError:
                raise ValueError(
                    f"`X` must be numeric; column {j}, row {i} holds the non-numeric "
                    f"value {value!r}."
                ) from None


def _check_finite(X: FloatArray, name: str = "X") -> None:
    finite = np.isfinite(X)
    if finite.all():
        return
    bad = np.argwhere(~finite)
    i, j = (int(v) for v in bad[0])
    value = X[i, j]
    what = "NaN" if np.isnan(value) else ("infinity" if value > 0 else "-infinity")
    raise ValueError(
        f"`{name}` contains {what} at row {i}, column {j} ({len(bad)} non-finite "
        f"entr{'y' if len(bad) == 1 else 'ies'} in all; inf and NaN are not "
        "allowed)."
    )


def _check_sample_weight(sample_weight: Any, n_samples: int) -> FloatArray:
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number) and not isinstance(
        sample_weight, bool
    ):
        sw = np.full(n_samples, float(sample_weight))  # type: ignore[arg-type]
    else:
        raw = np.asarray(sample_weight)
        if raw.dtype.kind not in "biuf":
            raise TypeError(f"`sample_weight` must be numeric; got dtype {raw.dtype}.")
        if raw.shape != (n_samples,):
            raise ValueError(
                f"`sample_weight` must have shape (n_samples,) = ({n_samples},); "
                f"got shape {raw.shape}."
            )
        sw = raw.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(sw) | (sw < 0))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            "`sample_weight` must be finite and non-negative; got "
            f"{float(sw[i])!r} at row {i}."
        )
    if not np.any(sw > 0):
        raise ValueError("`sample_weight` must have a positive sum; got all zeros.")
    return sw


def _check_params(est: _LinearClassifier) -> None:
    C = est.C
    if isinstance(C, bool) or not isinstance(C, numbers.Real) or not C > 0:
        raise ValueError(
            f"`C` must be a positive number (np.inf for no penalty); got {C!r}."
        )
    if not isinstance(est.fit_intercept, (bool, np.bool_)):
        raise TypeError(
            f"`fit_intercept` must be a bool; got {type(est.fit_intercept).__name__}."
        )
    if est.solver not in SOLVERS:
        raise ValueError(f"`solver` must be one of {SOLVERS}; got {est.solver!r}.")
    tol = est.tol
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0:
        raise ValueError(f"`tol` must be a positive number; got {tol!r}.")
    mi = est.max_iter
    if isinstance(mi, bool) or not isinstance(mi, numbers.Integral) or mi < 0:
        raise ValueError(f"`max_iter` must be a non-negative integer; got {mi!r}.")


# --------------------------------------------------------------------------------------
# objectives handed to the solvers (flat parameter vectors)
# --------------------------------------------------------------------------------------


class _FullObjective:
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

    def loss(self, x: FloatArray) -> float:
        return self.lml.loss(x, self.X, self.y, self.sw, self.l2)

    def loss_gradient(self, x: FloatArray) -> tuple[float, FloatArray]:
        return self.lml.loss_gradient(x, self.X, self.y, self.sw, self.l2)

    def gradient_hessian(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self.lml.gradient_hessian(x, self.X, self.y, self.sw, self.l2)


class _ReducedObjective(_FullObjective):
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

    def gradient_hessian(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        g, H = self.lml.gradient_hessian(
            self.expand(x),
            self.X,
            self.y,
            self.sw,
            self.l2,
            reference_class=self.n_classes - 1,
        )
        return g.ravel(), H


class _WhitenedObjective:
    """An objective in coordinates where the (weighted) features are white.

    Each coefficient row ``x = [w, b]`` is ``v @ M`` with
    ``M = [[L^-1, -L^-1 mu], [0, 1]]``, where ``mu`` is the weighted feature mean and
    ``L L^T = cov / 4 + l2 I`` (Cholesky), an approximation of the objective's
    Hessian in ``w``. In ``v`` the features' correlations and scales are removed, so
    L-BFGS needs far fewer iterations on correlated or badly scaled features; the
    minimizer is the same (it is only a change of variables). The gradient is
    ``g_x @ M^T``.
    """

    def __init__(self, inner: _FullObjective, M: FloatArray, n_rows: int) -> None:
        self.inner, self.M, self.n_rows = inner, M, n_rows

    @classmethod
    def build(
        cls,
        inner: _FullObjective,
        X: FloatArray,
        sw: FloatArray,
        fit_intercept: bool,
        n_rows: int,
    ) -> _WhitenedObjective | None:
        """The whitened objective, or None when the covariance is (near) singular."""
        S = float(sw.sum())
        unit = bool(np.all(sw == 1.0))
        mu = (sw @ X) / S if fit_intercept else np.zeros(X.shape[1])
        # The objective's Hessian in w is about 1/4 of the weighted covariance (the
        # curvature p(1 - p) of the loss) plus the penalty l2 * I: whitening that
        # (not the covariance alone) keeps low-variance features, where the penalty
        # dominates, from being blown up.
        covariance = gram(
            X,
            shift=mu if fit_intercept else None,
            scale=None if unit else np.sqrt(sw),
        )
        cov = 0.25 * (covariance / S) + inner.l2 * np.eye(X.shape[1])
        scale = float(np.max(np.diag(cov), initial=0.0))
        if not scale > 0:
            return None
        try:
            L = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            return None
        if float(np.min(np.diag(L))) ** 2 < 1e-12 * scale:
            return None  # numerically singular (collinear features, no penalty)
        p = X.shape[1]
        Linv = np.linalg.solve(L, np.eye(p))
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

    def loss(self, v: FloatArray) -> float:
        return self.inner.loss(self.to_x(v))

    def loss_gradient(self, v: FloatArray) -> tuple[float, FloatArray]:
        value, g = self.inner.loss_gradient(self.to_x(v))
        out: FloatArray = (g.reshape(self.n_rows, -1) @ self.M.T).ravel()
        return value, out

    def gradient_hessian(self, v: FloatArray) -> tuple[FloatArray, FloatArray]:
        g, H = self.inner.gradient_hessian(self.to_x(v))
        # x = B v with B^T = blockdiag(M, ..., M): g_v = B^T g_x, H_v = B^T H_x B.
        BT = np.kron(np.eye(self.n_rows), self.M)
        return BT @ g.ravel(), BT @ H @ BT.T


def _lbfgs_whitened(
    obj: _FullObjective,
    X: FloatArray,
    sw: FloatArray,
    fit_intercept: bool,
    n_rows: int,
    x0: FloatArray,
    tol: float,
    max_iter: int,
) -> SolverResult:
    """L-BFGS in whitened coordinates, finished by plain L-BFGS if needed.

    Convergence keeps its meaning (``max |gradient| <= tol`` in the original
    coefficients): if the whitened run stops with a larger original gradient, plain
    L-BFGS continues from its result with the remaining iterations.
    """
    white = _WhitenedObjective.build(obj, X, sw, fit_intercept, n_rows)
    if white is None:
        return lbfgs(obj, x0, tol=tol, max_iter=max_iter, history=LBFGS_HISTORY)
    res = lbfgs(
        white, white.to_v(x0), tol=tol, max_iter=max_iter, history=LBFGS_HISTORY
    )
    x = white.to_x(res.x)
    f, g = obj.loss_gradient(x)
    g_max = _max_abs(g)
    if g_max <= tol or res.n_iter >= max_iter:
        return SolverResult(
            x, f, g_max, res.n_iter, bool(g_max <= tol) or res.converged, res.message
        )
    rest = lbfgs(obj, x, tol=tol, max_iter=max_iter - res.n_iter, history=LBFGS_HISTORY)
    return SolverResult(
        rest.x,
        rest.loss,
        rest.grad_max,
        res.n_iter + rest.n_iter,
        rest.converged,
        rest.message,
    )


def _lipschitz(X: FloatArray, sw: FloatArray, fit_intercept: bool, l2: float) -> float:
    """An estimate of the largest eigenvalue of ``Xa^T diag(sw) Xa / S`` plus ``l2``."""
    rng = np.random.default_rng(0)
    n_dof = X.shape[1] + fit_intercept
    v = rng.normal(size=n_dof)
    lam = 0.0
    S = float(sw.sum())
    for _ in range(30):
        v /= np.linalg.norm(v)
        z = X @ v[: X.shape[1]] + (v[-1] if fit_intercept else 0.0)
        u = X.T @ (sw * z)
        if fit_intercept:
            u = np.append(u, np.sum(sw * z))
        lam = float(np.linalg.norm(u)) / S
        v = u
    return 1.05 * lam + l2


# --------------------------------------------------------------------------------------
# shared estimator code
# --------------------------------------------------------------------------------------


class _LinearClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Validation, encoding, solving and prediction shared by both estimators."""

    C: float
    fit_intercept: bool
    solver: str
    tol: float
    max_iter: int
    warm_start: bool
    _multinomial: bool = True
    classes_: np.ndarray
    coef_: FloatArray
    intercept_: FloatArray
    n_iter_: np.ndarray
    n_features_in_: int

    def __init__(
        self,
        C: float = 1.0,
        *,
        fit_intercept: bool = True,
        solver: Solver = "auto",
        tol: float = 1e-4,
        max_iter: int = 100,
        warm_start: bool = False,
    ) -> None:
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Fit the model.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Finite numeric features (NumPy array, list or pandas DataFrame).
        y : array_like of shape (n_samples,)
            Labels of any type: of two classes for :class:`LogisticRegression`, of
            at least two for :class:`SoftmaxRegression`.
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights with a positive sum.

        Returns
        -------
        self
        """
        self._fit_common(X, y, sample_weight)
        return self

    def _solver_params(self) -> dict[str, Any]:
        """The parameters the converted estimator (``to_softmax``, ...) keeps."""
        return {
            "fit_intercept": self.fit_intercept,
            "solver": self.solver,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "warm_start": self.warm_start,
        }

    # ---------------------------------------------------------------- validation
    def _validate_fit_data(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[FloatArray, np.ndarray, FloatArray]:
        _check_params(self)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is "
                "None."
            )
        _check_numeric_columns(X)
        n_x = _n_rows(X)
        n_y = _n_rows(y)
        if n_x is not None and n_y is not None and n_x != n_y:
            raise ValueError(
                f"`X` and `y` must have the same number of samples; got {n_x} rows in "
                f"`X` and {n_y} labels in `y`."
            )
        X_arr, y_arr = validate_data(
            self,
            X,
            y,
            reset=True,
            dtype=np.float64,
            ensure_all_finite=False,
            order="C",
        )
        _check_finite(X_arr)
        check_classification_targets(y_arr)
        classes, y_enc = np.unique(y_arr, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                "`y` must contain at least two classes; got 1 class "
                f"({classes[0]!r}). A classifier cannot train on a single class."
            )
        self.classes_ = classes
        sw = _check_sample_weight(sample_weight, X_arr.shape[0])
        return X_arr, y_enc.astype(np.int64), sw

    def _validate_predict_X(self, X: ArrayLike) -> FloatArray:
        check_is_fitted(self)
        _check_numeric_columns(X)
        X_arr = validate_data(
            self, X, reset=False, dtype=np.float64, ensure_all_finite=False
        )
        _check_finite(X_arr)
        out: FloatArray = X_arr
        return out

    # ---------------------------------------------------------------- solving
    def _solve(
        self,
        X: FloatArray,
        y_enc: np.ndarray,
        sw: FloatArray,
        n_rows: int,
        x0_full: FloatArray | None,
    ) -> tuple[FloatArray, SolverResult, str]:
        """Minimize the objective; return full coefficients, the result and solver."""
        multinomial = self._multinomial
        lml = LinearModelLoss(
            MultinomialLoss() if multinomial else BinomialLoss(),
            fit_intercept=bool(self.fit_intercept),
        )
        S = float(sw.sum())
        l2 = 0.0 if np.isinf(self.C) else 1.0 / (float(self.C) * S)
        y_loss = y_enc if multinomial else y_enc.astype(np.float64)
        # Unit weights are passed as None: the losses then skip two passes over the
        # per-sample arrays.
        sw_loss = None if np.all(sw == 1.0) else sw
        n_dof = X.shape[1] + bool(self.fit_intercept)
        n_free = (n_rows - 1 if multinomial else 1) * n_dof
        solver = self.solver
        if solver == "auto":
            solver = "newton" if n_free <= NEWTON_MAX_PARAMS else "lbfgs"
        full_shape = (n_rows, n_dof) if multinomial else (n_dof,)
        if x0_full is not None:
            x0 = x0_full.reshape(full_shape)
        else:
            x0 = np.zeros(full_shape)
            totals = np.bincount(y_enc, weights=sw, minlength=max(n_rows, 2))
            if self.fit_intercept and np.all(totals > 0):
                # Start from the intercept-only optimum: log-odds / centered log
                # priors of the classes (one or two Newton steps fewer).
                log_prior = np.log(totals)
                if multinomial:
                    x0[:, -1] = log_prior - log_prior.mean()
                else:
                    x0[-1] = log_prior[1] - log_prior[0]
        tol, max_iter = float(self.tol), int(self.max_iter)

        def newton(
            start: FloatArray, iterations: int
        ) -> tuple[FloatArray, SolverResult]:
            if multinomial:
                red = _ReducedObjective(lml, X, y_loss, sw_loss, l2, n_rows)
                res = newton_cholesky(
                    red, red.reduce(start), tol=tol, max_iter=iterations
                )
                return red.expand(res.x), res
            full = _FullObjective(lml, X, y_loss, sw_loss, l2)
            res = newton_cholesky(full, start.ravel(), tol=tol, max_iter=iterations)
            return res.x.reshape(full_shape), res

        if solver == "newton":
            coef, res = newton(x0, max_iter)
            return coef, res, solver
        obj = _FullObjective(lml, X, y_loss, sw_loss, l2)
        if solver == "lbfgs":
            # "auto" gives L-BFGS about the work of eight Newton steps (and at most
            # half of max_iter), then lets Newton finish: on nearly separable data
            # with a weak penalty L-BFGS crawls (hundreds of iterations or more).
            switch = self.solver == "auto" and n_free <= NEWTON_SWITCH_MAX_PARAMS
            budget = min(max_iter // 2, _lbfgs_budget(n_free)) if switch else max_iter
            res = _lbfgs_whitened(
                obj,
                X,
                sw,
                bool(self.fit_intercept),
                n_rows if multinomial else 1,
                x0.ravel(),
                tol,
                budget,
            )
            if switch and not res.converged and res.n_iter < max_iter:
                coef, finish = newton(res.x.reshape(full_shape), max_iter - res.n_iter)
                finish = dataclasses.replace(finish, n_iter=res.n_iter + finish.n_iter)
                return coef, finish, "lbfgs+newton"
        else:
            curvature = 0.5 if multinomial else 0.25
            L = curvature * _lipschitz(X, sw, bool(self.fit_intercept), 0.0) + l2
            lr = 1e-2 if solver == "adam" else 1.0 / L
            res = first_order(
                obj, x0.ravel(), method=solver, lr=lr, tol=tol, max_iter=max_iter
            )
        return res.x.reshape(full_shape), res, solver

    def _warn_not_converged(self, res: SolverResult, solver: str) -> None:
        if res.converged:
            return
        advice = "increase max_iter"
        if solver in ("gd", "momentum", "adam"):
            advice += (
                " (first-order solvers need thousands of iterations) or use "
                "solver='newton' or 'lbfgs'"
            )
        elif solver == "lbfgs":
            advice += (
                ", standardize the features (StandardScaler) or use solver='newton'"
            )
        else:
            advice += ", standardize the features or use a smaller C"
        if np.isinf(self.C):
            advice += (
                "; without a penalty (C=np.inf) a nearly separable data set has no "
            )
            advice += "finite optimum, so also try a finite C"
        warnings.warn(
            f"{type(self).__name__} did not converge (solver={solver!r}, "
            f"max_iter={self.max_iter}, tol={self.tol}): max |gradient| = "
            f"{res.grad_max:.3g} ({res.message}). To fix it, {advice}.",
            ConvergenceWarning,
            stacklevel=5,
        )

    def _finish_fit(
        self, X: FloatArray, y_enc: np.ndarray, sw: FloatArray, res: SolverResult
    ) -> None:
        if np.isinf(self.C):
            proven = False
            if res.hessian is not None and res.gradient is not None:
                from softlogit._separation import curvature_certificate

                # Newton's last Hessian and final gradient are in reference-gauge
                # parameters (the reduced objective, or [w, b] of a logistic model).
                assert res.hessian_at is not None
                distance = float(np.linalg.norm(res.x - res.hessian_at))
                proven = curvature_certificate(
                    res.gradient, res.hessian, distance, X, bool(self.fit_intercept)
                )
            # C=inf: the solver's objective is the mean negative log-likelihood.
            self._store_inference(
                X,
                y_enc,
                sw,
                existence_proven=proven,
                log_likelihood=-float(sw.sum()) * res.loss,
            )
        else:
            self._store_inference(None, None, None)

    def _fit_common(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[FloatArray, np.ndarray, FloatArray]:
        # A fit that raises (bad input, separated data) leaves the estimator as it
        # was: no half-set attributes from this call.
        saved = dict(self.__dict__)
        try:
            return self._fit_unguarded(X, y, sample_weight)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _fit_unguarded(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[FloatArray, np.ndarray, FloatArray]:
        previous = self._previous_coefficients()
        X_arr, y_enc, sw = self._validate_fit_data(X, y, sample_weight)
        self._check_n_classes()
        n_rows = len(self.classes_) if self._multinomial else 1
        x0 = None
        if previous is not None and previous[0] == (n_rows, X_arr.shape[1]):
            x0 = previous[1]
        # Small problems run faster on one BLAS thread: thread start-up and spinning
        # cost more than the matrix products (20x slower on a loaded 2-core machine).
        with single_blas_thread_if_small(X_arr.size * max(n_rows, 2)):
            coef, res, solver = self._solve(X_arr, y_enc, sw, n_rows, x0)
        self._set_coefficients(coef)
        self.n_iter_ = np.array([res.n_iter], dtype=np.int32)
        self.solver_ = solver
        # Without a penalty, _finish_fit proves that the optimum exists or raises
        # SeparationError (which then explains a fit that did not converge): from
        # Newton's last Hessian (nearly free) or from the fitted probabilities
        # (about one pass over X); the exact linear program, seconds on mid-sized
        # data, runs only when both fail (on separated data, or after a fit far
        # from the optimum).
        self._finish_fit(X_arr, y_enc, sw, res)
        self._warn_not_converged(res, solver)
        return X_arr, y_enc, sw

    def _previous_coefficients(self) -> tuple[tuple[int, int], FloatArray] | None:
        if not self.warm_start or not hasattr(self, "coef_"):
            return None
        coef = np.asarray(self.coef_, dtype=np.float64)
        intercept = np.asarray(self.intercept_, dtype=np.float64)
        full = np.hstack([coef, intercept[:, None]]) if self.fit_intercept else coef
        return coef.shape, full.ravel() if not self._multinomial else full

    # subclasses
    def _check_n_classes(self) -> None:
        raise NotImplementedError

    def _set_coefficients(self, coef: FloatArray) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- prediction
    def _logits(self, X: ArrayLike) -> FloatArray:
        X_arr = self._validate_predict_X(X)
        out: FloatArray = X_arr @ self.coef_.T + self.intercept_
        return out

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class labels (the class of the largest logit).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        z = self._logits(X)
        # One column: the log-odds of classes_[1]; several: one logit per class.
        idx = (z[:, 0] > 0).astype(np.intp) if z.shape[1] == 1 else np.argmax(z, 1)
        out: np.ndarray = self.classes_[idx]
        return out


def _n_rows(a: Any) -> int | None:
    shape = getattr(a, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    try:
        return len(a)
    except TypeError:
        return None


# --------------------------------------------------------------------------------------
# LogisticRegression
# --------------------------------------------------------------------------------------


class LogisticRegression(InferenceMixin, PersistenceMixin, _LinearClassifier):
    """Binary logistic regression with scikit-learn's objective and API.

    Minimizes the weighted mean binary cross-entropy plus
    :math:`\\lVert w \\rVert^2 / (2 C S)` (the intercept is not penalized), exactly as
    ``sklearn.linear_model.LogisticRegression`` does for binary targets.

    Parameters
    ----------
    C : float, default=1.0
        Inverse L2 strength (scikit-learn's convention); ``np.inf`` fits without a
        penalty (the data must then overlap, see Notes).
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    solver : {'auto', 'newton', 'lbfgs', 'gd', 'momentum', 'adam'}, default='auto'
        ``'newton'``: Newton's method with the exact Hessian and a Cholesky solve;
        ``'lbfgs'``: SciPy's L-BFGS; ``'gd'``, ``'momentum'`` and ``'adam'``:
        full-batch first-order methods with PyTorch's update rules (learning rate
        ``1 / L`` for the first two with ``L`` the gradient's Lipschitz constant,
        0.01 for Adam; they need thousands of iterations). ``'lbfgs'`` runs in
        whitened coordinates (the features decorrelated and scaled by the Cholesky
        factor of their covariance), which changes the path, not the solution.
        ``'auto'`` picks Newton for up to 120 coefficients; beyond, L-BFGS, which
        hands over to Newton's method when it has not converged after about the
        work of eight Newton steps (at most ``max_iter // 2`` iterations; the
        ``solver_`` is then ``'lbfgs+newton'``), as on nearly separable data with
        a weak penalty.
    tol : float, default=1e-4
        Stop when the largest absolute entry of the gradient of the objective is at
        most ``tol``.
    max_iter : int, default=100
        Maximal number of solver iterations.
    warm_start : bool, default=False
        Start from the previous solution when refitting data of the same shape.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels; ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (1, n_features)
        Weights of the log-odds of ``classes_[1]``.
    intercept_ : ndarray of shape (1,)
    n_iter_ : ndarray of shape (1,)
        Iterations the solver took.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names (pandas).
    solver_ : str
        The solver used (``'auto'`` resolved: ``'newton'``, ``'lbfgs'`` or
        ``'lbfgs+newton'``).

    Raises
    ------
    ValueError
        From :meth:`fit`, for more than two classes (use :class:`SoftmaxRegression`),
        bad input (naming the row and column), or separated data with ``C=np.inf``.

    See Also
    --------
    SoftmaxRegression : the multinomial model; ``to_softmax`` converts.

    Notes
    -----
    Without a penalty the maximum-likelihood estimate exists only if the classes
    overlap. With ``C=np.inf``, :meth:`fit` proves this after solving (from Newton's
    last Hessian, or a certificate built from the fitted probabilities, the exact
    linear program of :func:`~softlogit.check_separation` only when both fail) and
    raises a :class:`~softlogit.SeparationError` (a ``ValueError``)
    otherwise, leaving the estimator as it was.

    With ``C=np.inf``, :meth:`fit` keeps a reference to its validated training
    ``X`` and sample weights until the covariance is first needed (``summary()``,
    ``save()``, pickling or copying), so that a fit does not pay
    :math:`O(n (K - 1)^2 (p + 1)^2)` for inference nobody asked for. Modifying
    ``X`` in place before then makes ``summary()`` and ``save()`` raise a
    ``ValueError``: call ``summary()`` first, or refit.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from softlogit import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = LogisticRegression(C=1.0).fit(X, y)
    >>> clf.coef_.shape, clf.solver_
    ((1, 30), 'newton')
    >>> round(clf.score(X, y), 3)
    0.988
    """

    _multinomial = False

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _check_n_classes(self) -> None:
        if len(self.classes_) != 2:
            raise ValueError(
                "Only binary classification is supported: `y` must have exactly 2 "
                f"classes for LogisticRegression; got {len(self.classes_)}. Use "
                "SoftmaxRegression for more classes."
            )

    def _set_coefficients(self, coef: FloatArray) -> None:
        if self.fit_intercept:
            self.coef_ = coef[None, :-1].copy()
            self.intercept_ = coef[-1:].copy()
        else:
            self.coef_ = coef[None, :].copy()
            self.intercept_ = np.zeros(1)

    def decision_function(self, X: ArrayLike) -> FloatArray:
        """Log-odds of ``classes_[1]``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        out: FloatArray = self._logits(X)[:, 0]
        return out

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Class probabilities ``[sigmoid(-z), sigmoid(z)]`` with ``z`` the log-odds.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        return BinomialLoss().predict_proba(self.decision_function(X))

    def predict_log_proba(self, X: ArrayLike) -> FloatArray:
        """Logarithms of :meth:`predict_proba`, computed from the logits.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        z = self.decision_function(X)
        # log(1 - sigmoid(z)) = log_sigmoid(-z): no cancellation for z >> 0.
        return np.stack([log_sigmoid(-z), log_sigmoid(z)], axis=1)

    def to_softmax(
        self, gauge: Literal["centered", "reference"] = "centered"
    ) -> SoftmaxRegression:
        """The equivalent two-class :class:`SoftmaxRegression`, already fitted.

        The softmax rows are ``[-w/2, w/2]`` (``gauge='centered'``, the optimum of
        the penalized softmax problem) or ``[0, w]`` (``'reference'``, with
        ``classes_[0]`` as reference), and ``C`` becomes ``C / 2`` (DESIGN.md T7), so
        that fitting the returned estimator's parameters on the same data reproduces
        it.

        Parameters
        ----------
        gauge : {'centered', 'reference'}, default='centered'

        Returns
        -------
        SoftmaxRegression
            With identical ``predict_proba``.

        Examples
        --------
        >>> import numpy as np
        >>> from softlogit import LogisticRegression
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> clf = LogisticRegression(C=2.0).fit(X, [0, 1, 0, 1])
        >>> soft = clf.to_softmax()
        >>> soft.C, bool(np.allclose(soft.coef_[1], -soft.coef_[0]))
        (1.0, True)
        >>> bool(np.allclose(soft.predict_proba(X), clf.predict_proba(X), atol=1e-12))
        True
        """
        from softlogit._heads import (
            SigmoidHead,
            sigmoid_C_to_softmax,
            sigmoid_to_softmax,
        )

        check_is_fitted(self)
        if gauge not in ("centered", "reference"):
            raise ValueError(
                f"`gauge` must be 'centered' or 'reference'; got {gauge!r}."
            )
        head = SigmoidHead(weight=self.coef_[0], bias=float(self.intercept_[0]))
        soft = sigmoid_to_softmax(head, gauge=gauge)
        out = SoftmaxRegression(
            C=sigmoid_C_to_softmax(float(self.C)),
            **self._solver_params(),
            gauge=gauge,
            reference_class=self.classes_[0] if gauge == "reference" else None,
        )
        out.coef_ = np.array(soft.weight)
        out.intercept_ = np.array(soft.bias)
        _copy_fitted(self, out)
        return out


# --------------------------------------------------------------------------------------
# SoftmaxRegression
# --------------------------------------------------------------------------------------


class SoftmaxRegression(InferenceMixin, PersistenceMixin, _LinearClassifier):
    """Softmax (multinomial logistic) regression for any number of classes, even two.

    Minimizes the weighted mean softmax cross-entropy plus
    :math:`\\lVert W \\rVert_F^2 / (2 C S)` over one weight row per class, the
    objective of scikit-learn's multinomial ``LogisticRegression``. Unlike
    scikit-learn (>= 1.8), two classes are fitted as a genuine two-row softmax.

    Parameters
    ----------
    C : float, default=1.0
        Inverse L2 strength (scikit-learn's convention); ``np.inf`` fits without a
        penalty (the data must then overlap).
    fit_intercept : bool, default=True
        Whether to fit (unpenalized) intercepts.
    solver : {'auto', 'newton', 'lbfgs', 'gd', 'momentum', 'adam'}, default='auto'
        ``'newton'``: Newton's method with the exact Hessian of the objective with the
        gauge eliminated (``(K - 1) * n_dof`` unknowns), Cholesky and a line search;
        ``'lbfgs'``: SciPy's L-BFGS on all ``K`` rows; first-order methods as in
        :class:`LogisticRegression` (on all ``K`` rows, so their raw iterate shows
        the conserved row sum of DESIGN.md T3). ``'auto'`` picks Newton for up to
        120 free coefficients and L-BFGS beyond, handing over to Newton as in
        :class:`LogisticRegression` when L-BFGS is slow.
    tol : float, default=1e-4
        Stop when the largest absolute entry of the gradient is at most ``tol``.
    max_iter : int, default=100
        Maximal number of solver iterations.
    warm_start : bool, default=False
        Start from the previous solution when refitting data of the same shape.
    gauge : {'centered', 'reference', 'none'}, default='centered'
        The representative reported in ``coef_`` and ``intercept_`` (probabilities do
        not depend on it): ``'centered'`` rows and intercepts sum to zero
        (scikit-learn's and glmnet's convention; with a finite ``C`` the weights of
        the optimum are centered anyway); ``'reference'``: the row and intercept of
        ``reference_class`` are zero (statsmodels' convention with the first class);
        ``'none'``: the solver's final iterate as it is.
    reference_class : label, optional
        The reference class for ``gauge='reference'``, a value of ``classes_``;
        default the first class.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features)
        One row per class, in the requested gauge.
    intercept_ : ndarray of shape (n_classes,)
    n_iter_ : ndarray of shape (1,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names (pandas).
    solver_ : str
        The solver used (``'auto'`` resolved: ``'newton'``, ``'lbfgs'`` or
        ``'lbfgs+newton'``).

    See Also
    --------
    LogisticRegression : the binary model; ``to_logistic`` converts (K = 2).

    Notes
    -----
    :meth:`decision_function` follows scikit-learn: the ``(n_samples, n_classes)``
    logits for three or more classes, and for two classes the log-odds
    ``z_1 - z_0`` of shape ``(n_samples,)``; :meth:`logits` always returns all
    columns.

    With ``C=np.inf``, :meth:`fit` proves that the maximum-likelihood estimate
    exists, or raises :class:`~softlogit.SeparationError`, as
    :class:`LogisticRegression` does, and likewise defers the covariance for
    ``summary()`` (keeping a reference to the training ``X`` and weights until it
    is first needed: ``summary()``, ``save()``, pickling or copying).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from softlogit import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegression(C=10.0).fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    >>> bool(abs(clf.coef_.sum(axis=0)).max() < 1e-12)  # centered gauge
    True
    >>> round(clf.score(X, y), 2)
    0.98
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        fit_intercept: bool = True,
        solver: Solver = "auto",
        tol: float = 1e-4,
        max_iter: int = 100,
        warm_start: bool = False,
        gauge: Literal["centered", "reference", "none"] = "centered",
        reference_class: Any = None,
    ) -> None:
        super().__init__(
            C,
            fit_intercept=fit_intercept,
            solver=solver,
            tol=tol,
            max_iter=max_iter,
            warm_start=warm_start,
        )
        self.gauge = gauge
        self.reference_class = reference_class

    def _check_n_classes(self) -> None:
        if self.gauge not in GAUGES:
            raise ValueError(f"`gauge` must be one of {GAUGES}; got {self.gauge!r}.")
        self._reference_position()

    def _reference_position(self) -> int:
        if self.reference_class is None:
            return 0
        hits = np.flatnonzero(self.classes_ == self.reference_class)
        if hits.size != 1:
            raise ValueError(
                "`reference_class` must be one of the classes "
                f"{self.classes_.tolist()}; got {self.reference_class!r}."
            )
        return int(hits[0])

    def _set_coefficients(self, coef: FloatArray) -> None:
        if self.gauge == "centered":
            coef = coef - coef.mean(axis=0)
        elif self.gauge == "reference":
            coef = coef - coef[self._reference_position()]
        if self.fit_intercept:
            self.coef_ = np.ascontiguousarray(coef[:, :-1])
            self.intercept_ = coef[:, -1].copy()
        else:
            self.coef_ = np.ascontiguousarray(coef)
            self.intercept_ = np.zeros(coef.shape[0])

    def logits(self, X: ArrayLike) -> FloatArray:
        """The logits ``X @ coef_.T + intercept_`` of all classes.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            In the estimator's gauge (only differences between columns matter).
        """
        return self._logits(X)

    def decision_function(self, X: ArrayLike) -> FloatArray:
        """Logits (K >= 3) or the log-odds ``z_1 - z_0`` (K = 2), as scikit-learn.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes) or (n_samples,)
        """
        z = self._logits(X)
        if z.shape[1] == 2:
            out: FloatArray = z[:, 1] - z[:, 0]
            return out
        return z

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Class probabilities ``softmax(logits)``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return MultinomialLoss().predict_proba(self._logits(X))

    def predict_log_proba(self, X: ArrayLike) -> FloatArray:
        """``log_softmax(logits)``, computed from the logits.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._logits(X), axis=1)

    def to_logistic(self) -> LogisticRegression:
        """The equivalent :class:`LogisticRegression` (two classes), already fitted.

        ``w = W[1] - W[0]``, ``b = b[1] - b[0]`` and ``C' = 2 C`` (DESIGN.md T7): the
        returned estimator has the same probabilities, and fitting its parameters on
        the same data reproduces it.

        Returns
        -------
        LogisticRegression

        Raises
        ------
        ValueError
            If the model has more than two classes.

        Examples
        --------
        >>> import numpy as np
        >>> from softlogit import SoftmaxRegression
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> soft = SoftmaxRegression(C=1.0).fit(X, ["a", "b", "a", "b"])
        >>> clf = soft.to_logistic()
        >>> clf.C, clf.classes_.tolist()
        (2.0, ['a', 'b'])
        >>> bool(np.allclose(clf.predict_proba(X), soft.predict_proba(X), atol=1e-12))
        True
        """
        from softlogit._heads import (
            SoftmaxHead,
            softmax_C_to_sigmoid,
            softmax_to_sigmoid,
        )

        check_is_fitted(self)
        if len(self.classes_) != 2:
            raise ValueError(
                "to_logistic() needs a two-class model; this SoftmaxRegression has "
                f"{len(self.classes_)} classes."
            )
        head = softmax_to_sigmoid(
            SoftmaxHead(weight=self.coef_, bias=self.intercept_), positive=1
        )
        out = LogisticRegression(
            C=softmax_C_to_sigmoid(float(self.C)),
            **self._solver_params(),
        )
        out.coef_ = np.array(head.weight)[None, :]
        out.intercept_ = np.array([head.bias])
        _copy_fitted(self, out)
        return out


def _copy_fitted(src: _LinearClassifier, dst: _LinearClassifier) -> None:
    """Copy the data-dependent fitted attributes (not the coefficients)."""
    dst.classes_ = src.classes_.copy()
    dst.n_features_in_ = src.n_features_in_
    if hasattr(src, "feature_names_in_"):
        dst.feature_names_in_ = src.feature_names_in_.copy()
    dst.n_iter_ = src.n_iter_.copy()
    dst.solver_ = getattr(src, "solver_", src.solver)
    # The covariance is kept in a reference gauge; for two classes it is the same for
    # the logistic and the softmax parametrization (and either reference class).
    dst._inference_ = getattr(src, "_inference_", None)
