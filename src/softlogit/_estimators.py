"""Estimators with scikit-learn's API: ``LogisticRegression`` and ``SoftmaxRegression``.

Both minimize scikit-learn's objective

.. math::

    F(W, b) = \\frac{1}{S}\\sum_i s_i\\, \\ell(y_i, W x_i + b)
              + \\frac{1}{C S}\\Big(r \\lVert W \\rVert_1
              + \\frac{1 - r}{2}\\lVert W \\rVert_F^2\\Big), \\qquad S = \\sum_i s_i,

(``r = l1_ratio``, scikit-learn 1.9's elastic net; ``s_i`` includes the class weights)

with the binomial loss (one row :math:`w`) or the multinomial loss (one row per class,
also for two classes). A fit validates its arguments (:mod:`softlogit._validation`),
encodes the labels, solves (:mod:`softlogit._objectives` builds the objective from
:class:`softlogit.LinearModelLoss` and picks the solver) and sets the coefficients;
unpenalized fits then keep what ``summary()`` needs (:mod:`softlogit._inference`).
It never differentiates anything itself.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from softlogit._dask import dask_aware, is_dask_collection
from softlogit._gauge import to_gauge_rows
from softlogit._inference import InferenceMixin, class_index
from softlogit._loss import BinomialLoss, MultinomialLoss
from softlogit._objectives import Problem, plan_solver, solve
from softlogit._persistence import PersistenceMixin
from softlogit._solvers import SolverResult
from softlogit._sparse import check_finite_sparse, is_sparse
from softlogit._special import (
    linear_logits,
    log_sigmoid,
    log_softmax_scaled,
    logits_value,
    softmax_scaled,
)
from softlogit._threads import single_blas_thread_if_small
from softlogit._typing import ArrayLike, FloatArray, Gauge, IntArray
from softlogit._validation import (
    ESTIMATOR_PARAMS,
    MAX_FIT_ABS,
    Solver,
    check_finite,
    check_numeric_columns,
    check_params,
    check_same_length,
    encode_labels,
    sklearn_input_errors,
)
from softlogit._weights import (
    check_sample_weight,
    check_weighted_classes,
    class_weights,
)
from softlogit.errors import InputValueError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["LogisticRegression", "SoftmaxRegression"]

# float32 features stay float32 (half the memory); every product with them is formed
# by blocks of rows in float64, and every sum accumulates in float64. Other inputs
# become float64.
_X_DTYPES = (np.float64, np.float32)


def _validate_data(est: Any, *args: Any, **kwargs: Any) -> Any:
    """scikit-learn's ``validate_data``, its input errors raised as softlogit's.

    The message is prefixed with the argument it is about (scikit-learn's own
    messages do not always name it: "Expected 2D array, got 1D array instead").
    """
    with sklearn_input_errors():
        return validate_data(est, *args, **kwargs)


def _check_finite(X: Any, max_abs: float | None = None) -> None:
    """:func:`check_finite` for dense ``X``, its stored entries for sparse ``X``."""
    if is_sparse(X):
        check_finite_sparse(X)
    else:
        check_finite(X, max_abs=max_abs)


# --------------------------------------------------------------------------------------
# shared estimator code
# --------------------------------------------------------------------------------------


class _LinearClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Validation, encoding, solving and prediction shared by both estimators."""

    C: float
    l1_ratio: float
    fit_intercept: bool
    class_weight: Any
    solver: str
    tol: float
    max_iter: int
    warm_start: bool
    store_covariance: bool
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
        l1_ratio: float = 0.0,
        fit_intercept: bool = True,
        class_weight: Any = None,
        solver: Solver = "auto",
        tol: float = 1e-4,
        max_iter: int = 100,
        warm_start: bool = False,
        store_covariance: bool = True,
    ) -> None:
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.store_covariance = store_covariance

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Fit the model.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Finite numeric features (NumPy array, list or pandas DataFrame).
            float32 features are kept in float32, never converted whole: products
            with them are formed in float64 by blocks of rows and sums accumulate
            in float64, so the fit reaches the float64 fit's objective in half the
            memory for ``X``.
        y : array_like of shape (n_samples,)
            Labels of any type: of two classes for :class:`LogisticRegression`, of
            at least two for :class:`SoftmaxRegression`.
        sample_weight : array_like of shape (n_samples,), optional
            Finite non-negative weights, scikit-learn's convention: scaling all of
            them by ``b`` is the same as scaling ``C`` by ``b`` (weights near 1e308
            or 1e-308 are fitted exactly so). Every class of ``y`` needs a positive
            total weight (with ``fit_intercept=False`` and a finite ``C``, at least
            two classes); otherwise :class:`~softlogit.InputValueError`.

        Returns
        -------
        self

        Notes
        -----
        The fitted attributes are published together when the fit ends, so
        concurrent fits on one estimator (from several threads) leave the complete
        state of one of them; parameters set during a fit are overwritten by it.
        """
        # The fit builds its state on a private copy and publishes it at the end in
        # one step (the attribute dictionary is replaced): a fit that raises (bad
        # input, separated data) leaves the estimator as it was, and concurrent fits
        # on one estimator leave the complete state of one of them.
        work = object.__new__(type(self))
        work.__dict__.update(self.__dict__)
        work._fit(X, y, sample_weight)
        self.__dict__ = work.__dict__
        return self

    def _solver_params(self) -> dict[str, Any]:
        """The parameters the converted estimator (``to_softmax``, ...) keeps."""
        return {
            "fit_intercept": self.fit_intercept,
            "class_weight": self.class_weight,
            "solver": self.solver,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "warm_start": self.warm_start,
            "store_covariance": self.store_covariance,
        }

    def _check_params(self) -> None:
        """Check every parameter against :data:`~softlogit._validation.ESTIMATOR_PARAMS`
        and the solver against the penalty."""
        check_params(self.get_params(deep=False), ESTIMATOR_PARAMS)
        if self._has_l1() and self.solver not in ("auto", "prox-newton"):
            raise InputValueError(
                f"`solver` {self.solver!r} handles smooth objectives only; an L1 or "
                f"elastic-net penalty (l1_ratio={self.l1_ratio!r} with a finite C) "
                "needs solver='prox-newton' or 'auto'."
            )

    def _has_l1(self) -> bool:
        """Whether the objective has an L1 term (``l1_ratio > 0`` and a finite C)."""
        return bool(self.l1_ratio > 0 and not np.isinf(self.C))

    # ---------------------------------------------------------------- validation
    def _validate_fit_data(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[FloatArray, IntArray, FloatArray]:
        """Checked float64 ``X``, encoded labels and weights; sets ``classes_``."""
        self._check_params()
        if y is None:
            raise InputValueError(
                f"`y` is required: {type(self).__name__} requires y to be passed, "
                "but the target y is None."
            )
        check_numeric_columns(X)
        check_same_length(X, y)
        X_arr, y_arr = _validate_data(
            self,
            X,
            y,
            reset=True,
            dtype=_X_DTYPES,
            ensure_all_finite=False,
            order="C",
            accept_sparse="csr",
        )
        _check_finite(X_arr, max_abs=MAX_FIT_ABS)
        if is_sparse(X_arr) and np.isinf(self.C):
            raise InputValueError(
                "`X` is sparse and C=np.inf: an unpenalized fit proves that the "
                "maximum-likelihood estimate exists and computes its covariance on "
                "dense features. Pass X.toarray(), or use a finite C (sparse X is "
                "fitted as it is)."
            )
        self.classes_, y_enc = encode_labels(y_arr)
        sw = check_sample_weight(sample_weight, X_arr.shape[0])
        if self.class_weight is not None:
            sw = sw * class_weights(self.class_weight, self.classes_, y_enc, sw)[y_enc]
        check_weighted_classes(
            self.classes_,
            y_enc,
            sw,
            every_class=bool(self.fit_intercept) or bool(np.isinf(self.C)),
        )
        return X_arr, y_enc, sw

    def _validate_predict_X(self, X: ArrayLike) -> FloatArray:
        check_is_fitted(self)
        check_numeric_columns(X)
        X_arr = _validate_data(
            self,
            X,
            reset=False,
            dtype=_X_DTYPES,
            ensure_all_finite=False,
            accept_sparse=("csr", "csc"),
        )
        _check_finite(X_arr)
        out: FloatArray = X_arr
        return out

    # ---------------------------------------------------------------- fitting
    def _fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None) -> None:
        """Validate, encode, solve, set the coefficients (and keep the inference)."""
        previous = self._previous_coefficients()
        problem = self._problem(X, y, sample_weight)
        n_rows, X_arr = problem.n_rows, problem.X
        warm = None
        if previous is not None and previous[0] == (n_rows, X_arr.shape[1]):
            warm = previous[1]
        plan = plan_solver(self.solver, problem.n_free, int(self.max_iter))
        # An unpenalized fit (the MLE behind summary()) is finished to machine
        # precision; its last Hessian gives the covariance.
        polish = bool(np.isinf(self.C) and self.store_covariance)
        # Small problems run on one BLAS thread (see softlogit._threads): the solve
        # and the inference after it (small factorizations and eigenvalues).
        with single_blas_thread_if_small(X_arr.size * max(n_rows, 2)):
            coef, res, solver = solve(
                problem,
                plan,
                problem.start(warm),
                float(self.tol),
                int(self.max_iter),
                polish=polish,
                unpenalized=bool(np.isinf(self.C)),
            )
            self._set_coefficients(coef)
            self.n_iter_ = np.array([res.n_iter], dtype=np.int32)
            self.solver_ = solver
            # Without a penalty, _finish_fit proves that the optimum exists or
            # raises SeparationError (which then explains a fit that did not
            # converge), and computes the covariance for summary().
            self._finish_fit(problem, res)
        self._warn_not_converged(res, solver)

    def _problem(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None
    ) -> Problem:
        """The validated, encoded problem; sets ``classes_`` and the feature counts.

        Dask input is checked and encoded on its workers (softlogit._dask).
        """
        if is_dask_collection(X, y, sample_weight):
            from softlogit._dask._problem import dask_problem

            return dask_problem(self, X, y, sample_weight)
        X_arr, y_enc, sw = self._validate_fit_data(X, y, sample_weight)
        self._check_classes()
        n_rows = len(self.classes_) if self._multinomial else 1
        return Problem.build(
            X_arr,
            y_enc,
            sw,
            n_rows=n_rows,
            multinomial=self._multinomial,
            fit_intercept=bool(self.fit_intercept),
            C=float(self.C),
            l1_ratio=float(self.l1_ratio),
        )

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
        measure = (
            "proximal Newton decrement"
            if solver == "prox-newton"
            else "Newton decrement"
            if solver.endswith("newton")
            else "max |gradient| in whitened coordinates"
        )
        warnings.warn(
            f"{type(self).__name__} did not converge (solver={solver!r}, "
            f"max_iter={self.max_iter}, tol={self.tol}): {measure} = "
            f"{res.criterion:.3g} ({res.message}). To fix it, {advice}.",
            ConvergenceWarning,
            stacklevel=4,
        )

    def _finish_fit(self, problem: Problem, res: SolverResult) -> None:
        """Keep what ``summary()`` needs (unpenalized fits only).

        The existence of the MLE is proven from Newton's last Hessian (nearly free)
        or from the fitted probabilities (about one pass over ``X``); the exact
        linear program runs only when both fail (on separated data, or after a fit
        far from the optimum). The covariance is the inverse of Newton's last
        Hessian when the polish computed it at the optimum (see
        ``softlogit._objectives.solve``), else the Fisher information at the final
        coefficients.
        """
        if not np.isinf(self.C):
            self._store_inference(None, None, None)
            return
        if is_dask_collection(problem.X):
            from softlogit._dask._inference import finish_fit

            finish_fit(self, problem, res)
            return
        proven = False
        covariance = None
        if res.hessian is not None and res.gradient is not None:
            from softlogit._separation import curvature_certificate

            # Newton's last Hessian and final gradient are in reference-gauge
            # parameters (the reduced objective, reference class K - 1, or [w, b]
            # of a logistic model, reference class 0).
            assert res.hessian_at is not None
            distance = float(np.linalg.norm(res.x - res.hessian_at))
            proven = curvature_certificate(
                res.gradient,
                res.hessian,
                distance,
                problem.X,
                problem.fit_intercept,
            )
            if res.polished and self.store_covariance:
                covariance = self._covariance_from(res.hessian, problem)
        # C=inf: the solver's objective is the mean negative log-likelihood.
        self._store_inference(
            problem.X,
            problem.y,
            problem.sw,
            existence_proven=proven,
            log_likelihood=-float(problem.sw.sum()) * res.loss,
            covariance=covariance,
            weight_scale=problem.weight_scale,
        )

    def _covariance_from(
        self, hessian: FloatArray, problem: Problem
    ) -> tuple[FloatArray | None, int]:
        """The covariance from Newton's Hessian at the optimum, in the reference
        gauge of the estimator's reference class (as it is saved)."""
        from softlogit._covariance import covariance_in_gauge, inverse_spd

        # The Hessian of the mean negative log-likelihood is I / S, in the
        # parameters of reference class K - 1 (multinomial) or 0 (logistic [w, b]).
        inverse = inverse_spd(hessian)
        if inverse is None:
            return None, 0
        cov = inverse / float(problem.sw.sum())
        if not problem.multinomial:
            return cov, 0
        K, wanted = problem.n_rows, self._reference_index()
        _, cov = covariance_in_gauge(cov, K, K - 1, "reference", wanted)
        return cov, wanted

    def _previous_coefficients(self) -> tuple[tuple[int, int], FloatArray] | None:
        if not self.warm_start or not hasattr(self, "coef_"):
            return None
        coef = np.asarray(self.coef_, dtype=np.float64)
        intercept = np.asarray(self.intercept_, dtype=np.float64)
        full = np.hstack([coef, intercept[:, None]]) if self.fit_intercept else coef
        return coef.shape, full.ravel() if not self._multinomial else full

    # subclasses
    def _check_classes(self) -> None:
        """Check the parameters that depend on ``classes_``."""
        raise NotImplementedError

    def _set_coefficients(self, coef: FloatArray) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- prediction
    def _scaled_logits(self, X: ArrayLike) -> tuple[FloatArray, IntArray | None]:
        """The logits as ``(z, e)`` of :func:`softlogit._special.linear_logits`:
        rows that overflow are kept in units of ``2**e`` (their order and softmax
        survive)."""
        X_arr = self._validate_predict_X(X)
        return linear_logits(
            X_arr,
            np.asarray(self.coef_, dtype=np.float64),
            np.asarray(self.intercept_, dtype=np.float64),
        )

    def _logits(self, X: ArrayLike) -> FloatArray:
        return logits_value(*self._scaled_logits(X))

    @dask_aware
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
        # (Scaled rows keep their order: the same argmax as the exact logits.)
        z, _ = self._scaled_logits(X)
        # One column: the log-odds of classes_[1]; several: one logit per class.
        idx = (z[:, 0] > 0).astype(np.intp) if z.shape[1] == 1 else np.argmax(z, 1)
        out: np.ndarray = self.classes_[idx]
        return out

    # --------------------------------------------------------------------------------------
    # LogisticRegression
    # --------------------------------------------------------------------------------------

    def to_sklearn(self) -> Any:
        """This model as a fitted ``sklearn.linear_model.LogisticRegression``.

        The same ``classes_``, ``predict_proba`` and ``C``; a two-class
        :class:`SoftmaxRegression` becomes scikit-learn's binary model with ``2 C``
        (theorem T7), since scikit-learn >= 1.8 has no two-row softmax. See
        :func:`softlogit.convert_head` for other frameworks.

        Returns
        -------
        sklearn.linear_model.LogisticRegression
        """
        from softlogit._convert._sklearn import to_sklearn

        return to_sklearn(self)


class LogisticRegression(InferenceMixin, PersistenceMixin, _LinearClassifier):
    """Binary logistic regression with scikit-learn's objective and API.

    Minimizes the weighted mean binary cross-entropy plus
    :math:`\\lVert w \\rVert^2 / (2 C S)` (the intercept is not penalized), exactly as
    ``sklearn.linear_model.LogisticRegression`` does for binary targets.

    Parameters
    ----------
    C : float, default=1.0
        Inverse penalty strength (scikit-learn's convention); ``np.inf`` fits
        without a penalty (the data must then overlap, see Notes).
    l1_ratio : float, default=0.0
        The elastic-net mixing parameter ``r`` in [0, 1] (scikit-learn 1.9's
        convention): the penalty is :math:`(r \\lVert W\\rVert_1 + \\frac{1 - r}{2}
        \\lVert W\\rVert_F^2) / (C S)`; 0 is L2 (the default), 1 is L1 (the
        lasso). Ignored with ``C=np.inf``. With ``r > 0`` the objective is not
        smooth: it is solved by ``'prox-newton'``.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplying the sample weights (scikit-learn's
        semantics): a dict ``{label: weight}`` (classes left out weigh 1), or
        ``'balanced'``, :math:`S / (K S_k)` with :math:`S_k` the total sample
        weight of class ``k``. ``S`` in the penalty is the sum of the products.
    solver : {'auto', 'newton', 'lbfgs', 'gd', 'momentum', 'adam', 'prox-newton'}, \
default='auto'
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
        ``'prox-newton'``: proximal Newton with coordinate descent on an active
        set (newGLMNET, the method of glmnet and glum), the solver of L1 and
        elastic-net penalties, which ``'auto'`` then picks (see
        ``softlogit._prox_newton``); it stops on the proximal Newton decrement.
    tol : float, default=1e-4
        Convergence tolerance, on measures that do not depend on the units of the
        features (see Notes). Newton's method is converged once its decrement
        :math:`\\lambda = \\sqrt{g^\\top H^{-1} g}` (the gradient measured in the
        metric of the Hessian) is at most ``tol`` (the objective then within about
        ``tol**2 / 2`` of its minimum); it goes on with cheap steps, which reuse its
        last factor, to a decrement of ``tol**2``, so that the coefficients are
        within about ``tol**2`` of the optimum in that metric. L-BFGS and the
        first-order methods stop once the largest entry of the gradient in whitened
        coordinates (the features centered, decorrelated and scaled to unit
        variance) is at most ``tol`` (a bound on the gradient, not on the objective:
        see Notes); with ``solver='auto'``, a ``tol`` below 1e-6
        is reached by Newton's method from L-BFGS's result at 1e-6. Unpenalized
        fits (``C=np.inf`` with ``store_covariance=True``) continue to machine
        precision, whatever ``tol``.
    max_iter : int, default=100
        Maximal number of solver iterations.
    warm_start : bool, default=False
        Start from the previous solution when refitting data of the same shape.
    store_covariance : bool, default=True
        With ``C=np.inf``: finish the fit by Newton's method to machine precision
        and keep the covariance of the coefficients, the inverse of its last
        Hessian (the Fisher information at the optimum; a Hessian costs
        :math:`O(n (p + 1)^2)` operations for ``n`` samples and ``p``
        features), which ``summary()`` needs. ``False`` skips
        both (the fit stops at ``tol``; ``summary()`` then raises). Ignored for
        penalized fits.

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

    With ``C=np.inf``, :meth:`fit` also finishes the fit to machine precision and
    computes the covariance that ``summary()`` reports (unless
    ``store_covariance=False``): Newton's method continues until its decrement
    is at most 1e-10 (or stops decreasing, at the rounding level), and the
    inverse of its last Hessian, computed within that distance of the optimum, is
    the covariance. The coefficients, standard errors and p-values are then those
    of the exact maximum-likelihood estimate up to rounding (at default settings).

    **What** ``tol`` **guarantees.** Newton's method bounds the objective: it is
    within about ``tol**4 / 2`` of its minimum (the run goes on to a decrement of
    ``tol**2``). L-BFGS and the first-order methods bound the gradient ``g`` in
    whitened coordinates, ``max |g| <= tol``; the objective is then within about
    ``||g||**2 / (2 mu)`` of its minimum, ``mu`` the smallest curvature in those
    coordinates (about ``4 p (1 - p)`` for class probabilities ``p``, 1 at
    ``p = 1/2``), so at most about ``m tol**2 / (2 mu)`` for ``m`` coefficients.
    With many classes (L-BFGS, above 120 free coefficients) the default
    ``tol=1e-4`` can leave the objective a few times 1e-7 (relative) above its
    minimum, where scikit-learn's solvers at their calibrated tolerance reach
    1e-8; pass ``tol=1e-5`` for an objective within about 1e-8. Unpenalized fits
    are finished to machine precision whatever ``tol``.

    The convergence measures do not depend on the units of the features: scaling
    a feature by ``10**k`` scales its fitted coefficient by ``10**-k`` and nothing
    else (a raw ``max |gradient|`` would be scaled by ``10**k``, and a start far
    from the optimum could pass for converged). A fitted model keeps numbers
    only, never a reference to its training data.

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

    def _check_classes(self) -> None:
        if len(self.classes_) != 2:
            raise InputValueError(
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

    @dask_aware
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

    @dask_aware
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

    @dask_aware
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

    @classmethod
    def from_sklearn(
        cls, est: Any, *, legacy_multinomial: bool | None = None
    ) -> LogisticRegression:
        """The equivalent of a fitted two-class scikit-learn ``LogisticRegression``.

        Parameters
        ----------
        est : sklearn.linear_model.LogisticRegression
            A fitted binary model with an L2 penalty or none.
        legacy_multinomial : bool, optional
            Whether ``est`` is an old (scikit-learn < 1.8) binary
            ``multi_class="multinomial"`` model, whose ``coef_`` is half the
            logistic coefficients (doubled here, with ``2 C``); by default read from
            its ``multi_class`` attribute.

        Returns
        -------
        LogisticRegression
            Fitted, with the same ``predict_proba``.
        """
        from softlogit._convert._sklearn import from_sklearn

        out: LogisticRegression = from_sklearn(
            est, to="logistic", legacy_multinomial=legacy_multinomial
        )
        return out

    def to_softmax(self, gauge: Gauge = "centered") -> SoftmaxRegression:
        """The equivalent two-class :class:`SoftmaxRegression`, already fitted.

        The softmax rows are ``[-w/2, w/2]`` (``gauge='centered'``, the optimum of
        the penalized softmax problem) or ``[0, w]`` (``'reference'``, with
        ``classes_[0]`` as reference), and ``(C, l1_ratio)`` become
        ``(C (1 + r) / 2, r)`` with ``r = l1_ratio / (2 - l1_ratio)`` (``C / 2``
        for L2; theorem T7 of ``softlogit.experiment.THEOREMS``,
        :func:`~softlogit.sigmoid_C_l1_ratio_to_softmax`), so that fitting the
        returned estimator's parameters on the same data reproduces it.

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
        from softlogit._heads import SigmoidHead, sigmoid_to_softmax
        from softlogit._penalties import sigmoid_C_l1_ratio_to_softmax

        check_is_fitted(self)
        if gauge not in ("centered", "reference"):
            raise InputValueError(
                f"`gauge` must be 'centered' or 'reference'; got {gauge!r}."
            )
        head = SigmoidHead(weight=self.coef_[0], bias=float(self.intercept_[0]))
        soft = sigmoid_to_softmax(head, gauge=gauge)
        C, l1_ratio = sigmoid_C_l1_ratio_to_softmax(float(self.C), float(self.l1_ratio))
        out = SoftmaxRegression(
            C=C,
            l1_ratio=l1_ratio,
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
        Inverse penalty strength (scikit-learn's convention); ``np.inf`` fits
        without a penalty (the data must then overlap).
    l1_ratio : float, default=0.0
        The elastic-net mixing parameter ``r`` in [0, 1] (scikit-learn 1.9's
        convention): the penalty is :math:`(r \\lVert W\\rVert_1 + \\frac{1 - r}{2}
        \\lVert W\\rVert_F^2) / (C S)`; 0 is L2 (the default), 1 is L1 (the
        lasso). Ignored with ``C=np.inf``. With ``r > 0`` the objective is not
        smooth: it is solved by ``'prox-newton'``.
    fit_intercept : bool, default=True
        Whether to fit (unpenalized) intercepts.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplying the sample weights (scikit-learn's
        semantics): a dict ``{label: weight}`` (classes left out weigh 1), or
        ``'balanced'``, :math:`S / (K S_k)` with :math:`S_k` the total sample
        weight of class ``k``. ``S`` in the penalty is the sum of the products.
    solver : {'auto', 'newton', 'lbfgs', 'gd', 'momentum', 'adam', 'prox-newton'}, \
default='auto'
        ``'newton'``: Newton's method with the exact Hessian of the objective with the
        gauge eliminated (``(K - 1) * n_dof`` unknowns), Cholesky and a line search;
        ``'lbfgs'``: SciPy's L-BFGS on all ``K`` rows; first-order methods as in
        :class:`LogisticRegression` (on all ``K`` rows, so their raw iterate shows
        the conserved row sum of theorem T3). ``'auto'`` picks Newton for up to
        120 free coefficients and L-BFGS beyond, handing over to Newton as in
        :class:`LogisticRegression` when L-BFGS is slow.
        ``'prox-newton'``: proximal Newton on all ``K`` rows with coordinate descent on an active
        set (newGLMNET, the method of glmnet and glum), the solver of L1 and
        elastic-net penalties, which ``'auto'`` then picks (see
        ``softlogit._prox_newton``); it stops on the proximal Newton decrement.
    tol : float, default=1e-4
        Convergence tolerance, on measures that do not depend on the units of the
        features, as in :class:`LogisticRegression` (which says what it
        guarantees); unpenalized fits (``C=np.inf`` with ``store_covariance=True``)
        continue to machine precision, whatever ``tol``.
    max_iter : int, default=100
        Maximal number of solver iterations.
    warm_start : bool, default=False
        Start from the previous solution when refitting data of the same shape.
    gauge : {'centered', 'reference', 'none'}, default='centered'
        The representative reported in ``coef_`` and ``intercept_`` (probabilities do
        not depend on it): ``'centered'`` rows and intercepts sum to zero
        (scikit-learn's and glmnet's convention; with a finite ``C`` and no L1 term
        the weights of the optimum are centered anyway, see Notes for L1); ``'reference'``: the row and intercept of
        ``reference_class`` are zero (statsmodels' convention with the first class);
        ``'none'``: the solver's final iterate as it is.
    reference_class : label, optional
        The reference class for ``gauge='reference'``, a value of ``classes_``;
        default the first class.
    store_covariance : bool, default=True
        As in :class:`LogisticRegression` (finish an unpenalized fit to machine
        precision and keep the covariance ``summary()`` needs); a Hessian costs
        :math:`O(n (K - 1)^2 (p + 1)^2)` operations for ``n`` samples, ``K``
        classes and ``p`` features.

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

    **The gauge under an L1 term.** An L2 penalty is smallest, among the
    coefficients that give the same probabilities (rows plus any vector), at the
    centered ones, so the penalized optimum is centered and ``gauge='centered'``
    reports it. An L1 term picks its own split: for each feature the optimum
    minimizes :math:`\\sum_k r|W_{kj}| + \\frac{1-r}{2} W_{kj}^2` over the shifts of
    the column (unique for ``r < 1``; with ``r = 1`` any median of the column, which
    is why the lasso's softmax rows are sparse). softlogit solves in all ``K``
    rows, so the solver's iterate is that optimum, and reports it with
    ``gauge='none'`` (sparse rows, as scikit-learn's ``saga`` returns them).
    ``'centered'`` and ``'reference'`` move it, as for any fit, to their
    representative: the same probabilities and the same differences between rows,
    but the rows themselves are then not the minimizer of the penalized objective
    and no longer sparse. For ``K = 2`` with ``r < 1`` the optimum is centered
    (theorem T7), so ``'centered'`` is the optimum itself.

    With ``C=np.inf``, :meth:`fit` proves that the maximum-likelihood estimate
    exists, or raises :class:`~softlogit.SeparationError`, finishes the fit to
    machine precision and computes the covariance for ``summary()``, as
    :class:`LogisticRegression` does (see its Notes, also on ``tol``).

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
        l1_ratio: float = 0.0,
        fit_intercept: bool = True,
        class_weight: Any = None,
        solver: Solver = "auto",
        tol: float = 1e-4,
        max_iter: int = 100,
        warm_start: bool = False,
        store_covariance: bool = True,
        gauge: Gauge = "centered",
        reference_class: Any = None,
    ) -> None:
        super().__init__(
            C,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            class_weight=class_weight,
            solver=solver,
            tol=tol,
            max_iter=max_iter,
            warm_start=warm_start,
            store_covariance=store_covariance,
        )
        self.gauge = gauge
        self.reference_class = reference_class

    def _check_classes(self) -> None:
        class_index(self.classes_.tolist(), self.reference_class)

    def _set_coefficients(self, coef: FloatArray) -> None:
        coef = to_gauge_rows(coef, self.gauge, self._reference_index())
        if self.fit_intercept:
            self.coef_ = np.ascontiguousarray(coef[:, :-1])
            self.intercept_ = coef[:, -1].copy()
        else:
            self.coef_ = np.ascontiguousarray(coef)
            self.intercept_ = np.zeros(coef.shape[0])

    @dask_aware
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

    @dask_aware
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

    @dask_aware
    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Class probabilities ``softmax(logits)``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        z, e = self._scaled_logits(X)
        # The fast softmax kernel unless some logits are beyond the float range.
        return MultinomialLoss().predict_proba(z) if e is None else softmax_scaled(z, e)

    @dask_aware
    def predict_log_proba(self, X: ArrayLike) -> FloatArray:
        """``log_softmax(logits)``, computed from the logits.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return log_softmax_scaled(*self._scaled_logits(X))

    @classmethod
    def from_sklearn(
        cls,
        est: Any,
        *,
        gauge: Gauge = "centered",
        legacy_multinomial: bool | None = None,
    ) -> SoftmaxRegression:
        """The equivalent of a fitted scikit-learn ``LogisticRegression``.

        A binary scikit-learn model becomes a two-row softmax with ``C / 2``
        (theorem T7), rows in ``gauge``; a multinomial one keeps its rows.

        Parameters
        ----------
        est : sklearn.linear_model.LogisticRegression
            A fitted model with an L2 penalty or none.
        gauge : {'centered', 'reference'}, default='centered'
            The gauge of the returned rows (two classes).
        legacy_multinomial : bool, optional
            As in :meth:`LogisticRegression.from_sklearn`.

        Returns
        -------
        SoftmaxRegression
            Fitted, with the same ``predict_proba``.
        """
        from softlogit._convert._sklearn import from_sklearn

        out: SoftmaxRegression = from_sklearn(
            est, to="softmax", gauge=gauge, legacy_multinomial=legacy_multinomial
        )
        return out

    def to_logistic(self) -> LogisticRegression:
        """The equivalent :class:`LogisticRegression` (two classes), already fitted.

        ``w = W[1] - W[0]``, ``b = b[1] - b[0]``, ``C' = 2 C / (1 + r)`` and
        ``l1_ratio' = 2 r / (1 + r)`` with ``r = l1_ratio`` (``C' = 2 C`` for L2;
        theorem T7, :func:`~softlogit.softmax_C_l1_ratio_to_sigmoid`): the returned
        estimator has the same probabilities, and fitting its parameters on the
        same data reproduces it.

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
        from softlogit._heads import SoftmaxHead, softmax_to_sigmoid
        from softlogit._penalties import softmax_C_l1_ratio_to_sigmoid

        check_is_fitted(self)
        if len(self.classes_) != 2:
            raise InputValueError(
                "to_logistic() needs a two-class model; this SoftmaxRegression has "
                f"{len(self.classes_)} classes."
            )
        head = softmax_to_sigmoid(
            SoftmaxHead(weight=self.coef_, bias=self.intercept_), positive=1
        )
        C, l1_ratio = softmax_C_l1_ratio_to_sigmoid(float(self.C), float(self.l1_ratio))
        out = LogisticRegression(
            C=C,
            l1_ratio=l1_ratio,
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
