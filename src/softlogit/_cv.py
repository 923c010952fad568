"""Cross-validated estimators: ``LogisticRegressionCV`` and ``SoftmaxRegressionCV``.

scikit-learn's ``LogisticRegressionCV`` with the attributes of its 1.10 layout
(``use_legacy_attributes=False``): for every fold and every ``l1_ratio`` the fits
run along ``Cs`` in increasing order, each warm-started from the previous one
(:func:`softlogit._path.warm_fits`, glmnet's path), and are scored on the held-out
fold. The ``(C, l1_ratio)`` of the best total score over the folds (ties: the
first in ``Cs``, then in ``l1_ratios``, scikit-learn's rule) is refitted on all the
data (``refit=True``), or the folds' best coefficients are averaged
(``refit=False``).

Class weights are computed once on all the data (``'balanced'`` from the whole
``y``, as scikit-learn does) and enter the folds' fits as sample weights; the
scorer receives the folds' own ``sample_weight``, without class weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from softlogit._estimators import LogisticRegression, SoftmaxRegression
from softlogit._path import warm_fits
from softlogit._typing import ArrayLike, FloatArray
from softlogit._validation import (
    Boolean,
    Integer,
    Solver,
    check_param,
)
from softlogit._weights import check_sample_weight
from softlogit.errors import InputTypeError, InputValueError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["LogisticRegressionCV", "SoftmaxRegressionCV"]


def _check_grid(Cs: Any) -> FloatArray:
    """``Cs`` as values: an integer ``n`` is scikit-learn's ``logspace(-4, 4, n)``."""
    if isinstance(Cs, (int, np.integer)) and not isinstance(Cs, bool):
        n = check_param("Cs", Cs, Integer(low=1, text="an integer >= 1 or values"))
        return np.logspace(-4, 4, n)
    try:
        grid = np.asarray(Cs, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        grid = np.array([np.nan])
    if grid.size == 0 or not np.all(grid > 0):
        raise InputValueError(
            f"`Cs` must be an integer >= 1 or positive values; got {Cs!r}."
        )
    return grid


def _check_l1_ratios(l1_ratios: Any) -> FloatArray:
    try:
        ratios = np.asarray(l1_ratios, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        ratios = np.array([np.nan])
    if ratios.size == 0 or not np.all((ratios >= 0) & (ratios <= 1)):
        raise InputValueError(
            "`l1_ratios` must be a non-empty sequence of numbers in [0, 1]; got "
            f"{l1_ratios!r}."
        )
    return ratios


def _scorer(scoring: Any) -> Callable[..., float]:
    """scikit-learn's scorer for ``scoring`` (``None``: accuracy)."""
    from sklearn.metrics import get_scorer, get_scorer_names

    if scoring is None:
        scoring = "accuracy"
    if isinstance(scoring, str):
        if scoring not in get_scorer_names():
            raise InputValueError(
                f"`scoring` must be a scorer name of scikit-learn (see "
                f"sklearn.metrics.get_scorer_names()) or a callable; got {scoring!r}."
            )
        out: Callable[..., float] = get_scorer(scoring)
        return out
    if not callable(scoring):
        raise InputTypeError(
            "`scoring` must be a string, a callable scorer(estimator, X, y) or None; "
            f"got {type(scoring).__name__}."
        )
    return scoring  # type: ignore[no-any-return]


def _folds(cv: Any, X: Any, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) indices of ``cv`` (scikit-learn's ``check_cv``: an integer
    is ``StratifiedKFold(cv)``, ``None`` is 5 folds)."""
    from sklearn.model_selection import check_cv

    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        check_param("cv", cv, Integer(low=2, text="an integer >= 2 or a splitter"))
    elif not (cv is None or hasattr(cv, "split") or hasattr(cv, "__iter__")):
        raise InputTypeError(
            "`cv` must be None, an integer >= 2, a scikit-learn splitter or an "
            f"iterable of (train, test) indices; got {type(cv).__name__}."
        )
    splitter = check_cv(cv, y, classifier=True)
    return [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y)]


class _CrossValidated(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """The cross-validation shared by both estimators (see the module docstring)."""

    _base: type[LogisticRegression] | type[SoftmaxRegression]
    Cs: Any
    l1_ratios: Any
    fit_intercept: bool
    cv: Any
    scoring: Any
    solver: str
    tol: float
    max_iter: int
    class_weight: Any
    refit: bool
    classes_: np.ndarray
    coef_: FloatArray
    intercept_: FloatArray
    estimator_: Any

    def __init__(
        self,
        *,
        Cs: int | ArrayLike = 10,
        l1_ratios: ArrayLike = (0.0,),
        fit_intercept: bool = True,
        cv: Any = None,
        scoring: Any = None,
        solver: Solver = "auto",
        tol: float = 1e-4,
        max_iter: int = 100,
        class_weight: Any = None,
        refit: bool = True,
    ) -> None:
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.refit = refit

    def _base_params(self) -> dict[str, Any]:
        """The parameters of the fitted estimators (everything but the grid)."""
        cv_only = {"Cs", "l1_ratios", "cv", "scoring", "refit"}
        return {
            k: v for k, v in self.get_params(deep=False).items() if k not in cv_only
        }

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Cross-validate ``(C, l1_ratio)`` over the grid, then fit the best.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
        sample_weight : array_like of shape (n_samples,), optional
            Weights of the fits and of the scorer.

        Returns
        -------
        self
        """
        Cs = _check_grid(self.Cs)
        ratios = _check_l1_ratios(self.l1_ratios)
        refit = check_param("refit", self.refit, Boolean())
        scorer = _scorer(self.scoring)
        params = self._base_params()
        # A probe validates the data as the fits will (with the strongest L1 term,
        # so that a solver that cannot take it is refused before any fit).
        probe = self._base(C=1.0, l1_ratio=float(ratios.max()), **params)
        X_arr, y_enc, sw_fit = probe._validate_fit_data(X, y, sample_weight)
        labels = probe.classes_[y_enc]
        sw_score = None
        if sample_weight is not None:
            sw_score = check_sample_weight(sample_weight, X_arr.shape[0])
        folds = _folds(self.cv, X_arr, y_enc)
        shape = (len(folds), ratios.size, Cs.size)
        scores = np.zeros(shape)
        n_iter = np.zeros(shape, dtype=np.int32)
        paths: list[list[list[Any]]] = []
        fold_params = {**params, "class_weight": None}
        for f, (train, test) in enumerate(folds):
            self._check_fold(f, y_enc[train], len(probe.classes_))
            paths.append([])
            extra = {} if sw_score is None else {"sample_weight": sw_score[test]}
            for r, ratio in enumerate(ratios):
                est = self._base(l1_ratio=float(ratio), **fold_params)
                row: list[Any] = [None] * Cs.size
                fits = warm_fits(est, X_arr[train], labels[train], sw_fit[train], Cs)
                for i, fitted in fits:
                    row[i] = _dof(fitted)
                    n_iter[f, r, i] = int(fitted.n_iter_[0])
                    scores[f, r, i] = scorer(fitted, X_arr[test], labels[test], **extra)
                paths[-1].append(row)
        self.Cs_, self.l1_ratios_ = Cs, ratios
        self.scores_, self.n_iter_ = scores, n_iter
        self.coefs_paths_ = np.array(paths)
        self._choose(X, y, sample_weight, refit, probe)
        return self

    def _check_fold(self, f: int, y_train: np.ndarray, n_classes: int) -> None:
        missing = n_classes - np.unique(y_train).size
        if missing:
            raise InputValueError(
                f"`cv`: training fold {f} lacks {missing} of the {n_classes} classes; "
                "use fewer folds or a stratified splitter (the default)."
            )

    def _choose(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None,
        refit: bool,
        probe: Any,
    ) -> None:
        """Set ``C_``, ``l1_ratio_`` and the final estimator (scikit-learn's rules)."""
        params = self._base_params()
        if refit:
            # Summed over the folds, flattened C-major: ties go to the first C.
            total = self.scores_.sum(axis=0).T
            i, r = np.unravel_index(int(np.argmax(total)), total.shape)
            self.C_, self.l1_ratio_ = float(self.Cs_[i]), float(self.l1_ratios_[r])
            est = self._base(C=self.C_, l1_ratio=self.l1_ratio_, **params)
            est.fit(X, y, sample_weight)
        else:
            # The average of each fold's best coefficients, C and l1_ratio.
            per_fold = self.scores_.transpose(0, 2, 1).reshape(len(self.scores_), -1)
            best = [
                np.unravel_index(int(j), (self.Cs_.size, self.l1_ratios_.size))
                for j in np.argmax(per_fold, axis=1)
            ]
            dof = np.mean(
                [self.coefs_paths_[f, r, i] for f, (i, r) in enumerate(best)], axis=0
            )
            self.C_ = float(np.mean([self.Cs_[i] for i, _ in best]))
            self.l1_ratio_ = float(np.mean([self.l1_ratios_[r] for _, r in best]))
            est = self._base(C=self.C_, l1_ratio=self.l1_ratio_, **params)
            _set_dof(est, dof, probe)
        self.estimator_ = est
        self.classes_ = est.classes_
        self.coef_ = est.coef_
        self.intercept_ = est.intercept_
        self.n_features_in_ = est.n_features_in_
        if hasattr(est, "feature_names_in_"):
            self.feature_names_in_ = est.feature_names_in_

    # ------------------------------------------------------------------ prediction
    def predict(self, X: ArrayLike) -> np.ndarray:
        """Class labels of the final estimator (see ``estimator_``)."""
        check_is_fitted(self)
        out: np.ndarray = self.estimator_.predict(X)
        return out

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Class probabilities of the final estimator, shape (n_samples, n_classes)."""
        check_is_fitted(self)
        out: FloatArray = self.estimator_.predict_proba(X)
        return out

    def predict_log_proba(self, X: ArrayLike) -> FloatArray:
        """Log-probabilities of the final estimator."""
        check_is_fitted(self)
        out: FloatArray = self.estimator_.predict_log_proba(X)
        return out

    def decision_function(self, X: ArrayLike) -> FloatArray:
        """The final estimator's ``decision_function``."""
        check_is_fitted(self)
        out: FloatArray = self.estimator_.decision_function(X)
        return out

    def score(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """The ``scoring`` of the final estimator on ``(X, y)`` (accuracy by
        default, as scikit-learn's ``LogisticRegressionCV.score``)."""
        check_is_fitted(self)
        extra = {} if sample_weight is None else {"sample_weight": sample_weight}
        return float(_scorer(self.scoring)(self, X, y, **extra))


def _dof(est: Any) -> FloatArray:
    """``[coef_, intercept_]`` as (n_rows, n_dof), scikit-learn's ``coefs_paths_``."""
    coef = np.asarray(est.coef_, dtype=np.float64)
    if not est.fit_intercept:
        return coef.copy()
    return np.hstack([coef, np.asarray(est.intercept_, dtype=np.float64)[:, None]])


def _set_dof(est: Any, dof: FloatArray, probe: Any) -> None:
    """Make ``est`` a fitted estimator with the coefficients ``dof`` (no fit)."""
    p = probe.n_features_in_
    est.coef_ = dof[:, :p].copy()
    est.intercept_ = dof[:, p].copy() if est.fit_intercept else np.zeros(len(dof))
    est.classes_ = probe.classes_
    est.n_features_in_ = p
    if hasattr(probe, "feature_names_in_"):
        est.feature_names_in_ = probe.feature_names_in_
    est.n_iter_ = np.zeros(1, dtype=np.int32)
    est.solver_ = "cv-average"
    est._store_inference(None, None, None)


_CV_PARAMS_DOC = """
    Parameters
    ----------
    Cs : int or array_like, default=10
        Values of ``C``, or their number: ``np.logspace(-4, 4, Cs)`` (scikit-learn's
        grid). Each fold fits them in increasing order, warm-started.
    l1_ratios : array_like, default=(0.0,)
        Values of ``l1_ratio`` in [0, 1] (scikit-learn 1.10's default).
    fit_intercept : bool, default=True
    cv : int, splitter or iterable, default=None
        scikit-learn's ``cv``: ``None`` is 5 folds, an integer the number of
        ``StratifiedKFold`` folds, or a splitter / iterable of (train, test).
    scoring : str, callable or None, default=None
        A scorer name of scikit-learn or ``scorer(estimator, X, y)``; ``None`` is
        accuracy (scikit-learn's default up to 1.10; pass ``'neg_log_loss'`` for
        the log loss, its default from 1.11).
    solver, tol, max_iter, class_weight
        As for the fitted estimator (``class_weight='balanced'`` is computed once
        on all the data, as scikit-learn does).
    refit : bool, default=True
        Refit at the best ``(C, l1_ratio)`` on all the data; ``False``: average
        the folds' best coefficients (and their ``C`` and ``l1_ratio``).
"""

_CV_ATTRS_DOC = """
    Attributes
    ----------
    C_ : float
        The chosen ``C`` (``refit=False``: the mean of the folds' best).
    l1_ratio_ : float
    Cs_ : ndarray of shape (n_Cs,)
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
    scores_ : ndarray of shape (n_folds, n_l1_ratios, n_Cs)
        The held-out score of every fit.
    coefs_paths_ : ndarray of shape (n_folds, n_l1_ratios, n_Cs, n_rows, n_dof)
        Every fold's coefficients, ``[coef_, intercept_]`` by row (``n_dof`` is
        ``n_features + 1`` with an intercept).
    n_iter_ : ndarray of shape (n_folds, n_l1_ratios, n_Cs)
    estimator_ : estimator
        The final fitted estimator (its ``summary()``, ``to_softmax()``, ``save()``).
    coef_, intercept_, classes_, n_features_in_
        Those of ``estimator_``.
"""


class LogisticRegressionCV(_CrossValidated):
    __doc__ = (
        """:class:`LogisticRegression` with ``C`` and ``l1_ratio`` chosen by
    cross-validation (scikit-learn's ``LogisticRegressionCV``).
"""
        + _CV_PARAMS_DOC
        + _CV_ATTRS_DOC
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from softlogit import LogisticRegressionCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> cv = LogisticRegressionCV(Cs=[0.01, 0.1, 1.0], l1_ratios=[0.5, 1.0])
    >>> cv = cv.fit(X, y)
    >>> cv.scores_.shape, cv.coefs_paths_.shape
    ((5, 2, 3), (5, 2, 3, 1, 31))
    """
    )

    _base = LogisticRegression

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


class SoftmaxRegressionCV(_CrossValidated):
    __doc__ = (
        """:class:`SoftmaxRegression` with ``C`` and ``l1_ratio`` chosen by
    cross-validation.
"""
        + _CV_PARAMS_DOC
        + """    gauge, reference_class
        As for :class:`SoftmaxRegression` (``coefs_paths_`` are in this gauge).
"""
        + _CV_ATTRS_DOC
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from softlogit import SoftmaxRegressionCV
    >>> X, y = load_iris(return_X_y=True)
    >>> cv = SoftmaxRegressionCV(Cs=[0.01, 1.0, 100.0], cv=3).fit(X, y)
    >>> cv.C_ in (0.01, 1.0, 100.0), cv.coefs_paths_.shape
    (True, (3, 1, 3, 3, 5))
    """
    )

    _base = SoftmaxRegression
    gauge: str
    reference_class: Any

    def __init__(
        self,
        *,
        Cs: int | ArrayLike = 10,
        l1_ratios: ArrayLike = (0.0,),
        fit_intercept: bool = True,
        cv: Any = None,
        scoring: Any = None,
        solver: Solver = "auto",
        tol: float = 1e-4,
        max_iter: int = 100,
        class_weight: Any = None,
        refit: bool = True,
        gauge: str = "centered",
        reference_class: Any = None,
    ) -> None:
        super().__init__(
            Cs=Cs,
            l1_ratios=l1_ratios,
            fit_intercept=fit_intercept,
            cv=cv,
            scoring=scoring,
            solver=solver,
            tol=tol,
            max_iter=max_iter,
            class_weight=class_weight,
            refit=refit,
        )
        self.gauge = gauge
        self.reference_class = reference_class
