"""A softlogit estimator fitted on standardized features, with its scaling.

Why a wrapper and not an estimator parameter: the coefficients of a model fitted with
``softlogit fit --standardize`` refer to standardized features, ``(x - mean) /
scale`` with the training data's means and standard deviations. A model file that
holds them must predict from raw features, whoever loads it. The scaling therefore
travels with the model, in the file (the ``scaling`` field) and in memory, in this
object: :func:`~softlogit.load_model` returns a :class:`StandardizedModel` for such
a file, and its ``predict_proba`` standardizes the raw features before the
estimator sees them, as scikit-learn's ``make_pipeline(StandardScaler(), model)``
does. The estimators themselves stay what they are (their ``fit`` learns
coefficients and nothing else, their ``get_params`` are scikit-learn's), so a
loaded estimator never applies a transform its parameters do not show.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from softlogit._io import StrPath
from softlogit._persistence import save_model
from softlogit._scaling import Scaling
from softlogit._summary import Summary
from softlogit._validation import check_finite, check_numeric_columns
from softlogit._weights import check_sample_weight
from softlogit.errors import InputTypeError, InputValueError

__all__ = ["StandardizedModel"]


class StandardizedModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A classifier fitted on standardized features, applied to raw features.

    ``fit`` learns the mean and the population standard deviation of every feature
    (scikit-learn's ``StandardScaler``, weighted by ``sample_weight``; a constant
    feature gets the scale 1) and fits a clone of ``estimator`` on
    ``(X - mean) / scale``. Prediction standardizes ``X`` the same way first, so
    the probabilities are those of ``make_pipeline(StandardScaler(), estimator)``;
    the coefficients (``coef_``, ``summary()``) refer to the standardized features.

    Parameters
    ----------
    estimator : LogisticRegression or SoftmaxRegression
        The (unfitted) estimator to fit on the standardized features.

    Attributes
    ----------
    estimator_ : LogisticRegression or SoftmaxRegression
        The fitted estimator (its coefficients are on the standardized scale).
    scaling_ : Scaling
        ``mean``, ``scale`` and the feature names.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit import LogisticRegression, StandardizedModel
    >>> X = np.array([[0.0, 10.0], [1.0, 30.0], [2.0, 20.0], [3.0, 40.0]])
    >>> model = StandardizedModel(LogisticRegression()).fit(X, [0, 0, 1, 1])
    >>> model.scaling_.mean.tolist()
    [1.5, 25.0]
    >>> model.predict_proba(X).shape
    (4, 2)
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> StandardizedModel:
        """Learn the scaling of ``X`` and fit the estimator on the scaled ``X``.

        Raises
        ------
        InputTypeError
            If ``estimator`` is None, ``X`` is sparse (centring would make it
            dense) or a Dask collection.
        InputValueError
            If ``X`` is not numeric, 2-D and finite, or ``sample_weight`` is
            invalid.
        """
        if self.estimator is None:
            raise InputTypeError(
                "`estimator` must be a LogisticRegression or SoftmaxRegression; got "
                "None."
            )
        self.scaling_ = Scaling.fit(X, _checked_weights(X, sample_weight))
        estimator = clone(self.estimator)
        estimator.fit(self.scaling_.transform(X), y, sample_weight=sample_weight)
        self.estimator_ = estimator
        return self

    @classmethod
    def from_fitted(cls, estimator: Any, scaling: Scaling) -> StandardizedModel:
        """The model of a fitted ``estimator`` whose features are ``scaling``'s.

        Raises
        ------
        InputValueError
            If ``scaling`` does not describe the estimator's features (their
            number and names).
        """
        names = getattr(estimator, "feature_names_in_", None)
        features = None if names is None else tuple(str(n) for n in names)
        if (
            scaling.mean.shape[0] != estimator.n_features_in_
            or scaling.features != features
        ):
            raise InputValueError(
                "`scaling` must describe the estimator's "
                f"{estimator.n_features_in_} features {features}; got "
                f"{scaling.mean.shape[0]} features {scaling.features}."
            )
        model = cls(clone(estimator))
        model.estimator_ = estimator
        model.scaling_ = scaling
        return model

    # -------------------------------------------------------------- prediction
    def transform(self, X: Any) -> Any:
        """The standardized features ``(X - mean) / scale``."""
        check_is_fitted(self, ["estimator_", "scaling_"])
        return self.scaling_.transform(X)

    def decision_function(self, X: Any) -> Any:
        """The estimator's logits of the standardized ``X``."""
        return self.estimator_.decision_function(self.transform(X))

    def predict_proba(self, X: Any) -> Any:
        """Class probabilities of the standardized ``X``."""
        return self.estimator_.predict_proba(self.transform(X))

    def predict_log_proba(self, X: Any) -> Any:
        """Log-probabilities of the standardized ``X``."""
        return self.estimator_.predict_log_proba(self.transform(X))

    def predict(self, X: Any) -> Any:
        """The most probable class of each row."""
        return self.estimator_.predict(self.transform(X))

    def summary(self, alpha: float = 0.05, **options: Any) -> Summary:
        """The estimator's :meth:`summary` (keyword ``options`` as there), which
        says that its coefficients refer to the standardized features."""
        check_is_fitted(self, ["estimator_", "scaling_"])
        summary: Summary = self.estimator_.summary(alpha, **options)
        return dataclasses.replace(summary, standardized=True)

    def save(self, path: StrPath, *, force: bool = False) -> Path:
        """Write the model (format version 2, with its ``scaling``) to ``path``."""
        return save_model(self, path, force=force)

    # ---------------------------------------------------- the fitted estimator's
    # (properties, so that the model and its estimator cannot disagree)
    @property
    def classes_(self) -> Any:
        """The class labels."""
        return self.estimator_.classes_

    @property
    def coef_(self) -> Any:
        """The coefficients, on the standardized features."""
        return self.estimator_.coef_

    @property
    def intercept_(self) -> Any:
        """The intercepts, on the standardized features."""
        return self.estimator_.intercept_

    @property
    def n_features_in_(self) -> int:
        """The number of features."""
        return int(self.estimator_.n_features_in_)

    @property
    def feature_names_in_(self) -> Any:
        """The feature names (absent for features fitted without names)."""
        return self.estimator_.feature_names_in_


def _checked_weights(X: Any, sample_weight: Any) -> Any:
    """Check the features that ``Scaling.fit`` reads; the checked weights."""
    import scipy.sparse as sp

    if sp.issparse(X):
        raise InputTypeError(
            "`X` must be dense for StandardizedModel: centring a sparse matrix "
            "would make it dense; got a scipy.sparse matrix."
        )
    if hasattr(X, "__dask_graph__"):
        raise InputTypeError(
            "`X` must be in memory (NumPy or pandas) for StandardizedModel; got a "
            "Dask collection: standardize it first, or use `softlogit fit "
            "--standardize`, which computes the scaling in one pass."
        )
    check_numeric_columns(X)
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise InputValueError(f"`X` must be 2-D; got shape {arr.shape}.")
    check_finite(arr)
    if sample_weight is None:
        return None
    return check_sample_weight(sample_weight, arr.shape[0])
