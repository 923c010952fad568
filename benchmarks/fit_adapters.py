"""One adapter per competitor of the fit-speed benchmark.

Each adapter fits the same problem (scikit-learn's objective: weighted mean log-loss
plus ``||W||^2 / (2 C n)``, intercept unpenalized) at a given ``tol`` (each library's
own meaning of it) and returns the coefficients, so that the runner can check that
every competitor reached the same objective and calibrate each one's ``tol``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fitted:
    """Coefficients of a fit, as ``(n_rows, n_features)`` weights and intercepts."""

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int


class Adapter:
    """A competitor: a name, a support check and a fit."""

    name = "base"

    def skip_reason(self, n: int, d: int, k: int, C: float) -> str | None:
        """Why this competitor cannot run the case, or None."""
        return None

    def fit(self, X: np.ndarray, y: np.ndarray, C: float, tol: float | None) -> Fitted:
        """Fit at ``tol`` (None: the library's default)."""
        raise NotImplementedError


class Softlogit(Adapter):
    """softlogit: LogisticRegression (K = 2) or SoftmaxRegression, solver='auto'.

    ``store_covariance`` is the estimators' parameter (default True: unpenalized
    fits compute the covariance behind ``summary()``).
    """

    name = "softlogit"
    last_estimator: object = None
    store_covariance = True

    def fit(self, X: np.ndarray, y: np.ndarray, C: float, tol: float | None) -> Fitted:
        from softlogit import LogisticRegression, SoftmaxRegression

        k = int(y.max()) + 1
        cls = LogisticRegression if k == 2 else SoftmaxRegression
        kwargs = {} if tol is None else {"tol": tol}
        est = cls(
            C=C, max_iter=1000, store_covariance=self.store_covariance, **kwargs
        ).fit(X, y)
        self.last_estimator = est
        return Fitted(est.coef_, est.intercept_, int(est.n_iter_[0]))


class SklearnAdapter(Adapter):
    """scikit-learn's LogisticRegression with one solver."""

    def __init__(self, solver: str) -> None:
        self.solver = solver
        self.name = f"sklearn-{solver}"

    def skip_reason(self, n: int, d: int, k: int, C: float) -> str | None:
        # newton-cholesky's multinomial Hessian is (K (d + 1))^2 per sample: already
        # 26 s per fit (7x lbfgs: never the best) at 100k x 100 x 10, ten times that
        # at 1M; skipped from 5e10 multiply-adds per iteration.
        work = n * (k * (d + 1)) ** 2 if k > 2 else 0
        if self.solver == "newton-cholesky" and work > 5e10:
            return f"multinomial Hessian of {work:.1e} multiply-adds per iteration"
        return None

    def fit(self, X: np.ndarray, y: np.ndarray, C: float, tol: float | None) -> Fitted:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        kwargs = {} if tol is None else {"tol": tol}
        est = LogisticRegression(C=C, solver=self.solver, max_iter=10_000, **kwargs)
        with warnings.catch_warnings():
            # lbfgs stops at the rounding level of the objective before a tiny gtol.
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        return Fitted(est.coef_, est.intercept_, int(np.max(est.n_iter_)))


class Statsmodels(Adapter):
    """statsmodels Logit / MNLogit with Newton's method (unpenalized only)."""

    name = "statsmodels"

    def __init__(self, max_params: int = 500) -> None:
        self.max_params = max_params

    def skip_reason(self, n: int, d: int, k: int, C: float) -> str | None:
        if math.isfinite(C):
            return "L2 penalty not supported (fit_regularized is L1 only)"
        params = (d + 1) * (k - 1)
        if params > self.max_params:
            return f"{params} parameters: MNLogit's Newton Hessian is too slow here"
        return None

    def fit(self, X: np.ndarray, y: np.ndarray, C: float, tol: float | None) -> Fitted:
        import statsmodels.api as sm

        Xc = sm.add_constant(X, has_constant="add")
        k = int(y.max()) + 1
        model = sm.Logit(y, Xc) if k == 2 else sm.MNLogit(y, Xc)
        kwargs = {} if tol is None else {"tol": tol}
        with warnings.catch_warnings():
            # A loose tol stops Newton early on purpose (the calibration's ladder).
            warnings.simplefilter("ignore")
            res = model.fit(method="newton", maxiter=100, disp=0, **kwargs)
        params = np.asarray(res.params).reshape(X.shape[1] + 1, -1)  # (1 + d, K - 1)
        n_iter = int(res.mle_retvals.get("iterations", -1))
        if k == 2:
            return Fitted(params[1:].T, params[0], n_iter)
        coef = np.vstack([np.zeros(X.shape[1]), params[1:].T])  # reference: class 0
        intercept = np.concatenate([[0.0], params[0]])
        return Fitted(coef, intercept, n_iter)


ALL: tuple[Adapter, ...] = (
    Softlogit(),
    SklearnAdapter("lbfgs"),
    SklearnAdapter("newton-cholesky"),
    Statsmodels(),
)
