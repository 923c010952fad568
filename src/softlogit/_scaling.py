"""The standardization of features: per-feature mean and standard deviation.

:class:`Scaling` holds what ``softlogit fit --standardize`` (and
:class:`~softlogit.StandardizedModel`) learn from the training features: the mean
and the population standard deviation (``ddof=0``) of every column, computed as
scikit-learn's ``StandardScaler`` computes them (weighted means and variances with
``sample_weight``; a column whose variance is indistinguishable from zero gets the
scale 1, so that it is centred and not divided). It maps features to standardized
features, ``(x - mean) / scale``, and is written to and read from the ``scaling``
field of a model file (format version 2, :mod:`softlogit._persistence`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from softlogit._json_fields import fail, float_array
from softlogit._typing import FloatArray
from softlogit.errors import InputValueError

__all__ = ["NOTE", "Scaling"]

#: What the coefficients of a standardized model refer to (summaries, reports).
NOTE = (
    "coefficients refer to standardized features: (x - mean) / sd, mean 0 and sd 1 "
    "on the training data"
)

_FIELDS = ("features", "mean", "scale")


@dataclasses.dataclass(frozen=True, eq=False)
class Scaling:
    """Per-feature centre and scale: standardized ``x`` is ``(x - mean) / scale``.

    Attributes
    ----------
    mean : ndarray of shape (n_features,)
        The (weighted) mean of every feature on the training data.
    scale : ndarray of shape (n_features,)
        The (weighted) population standard deviation of every feature, 1 for a
        feature that is constant on the training data.
    features : tuple of str or None
        The feature names, or None for features without names.
    """

    mean: FloatArray
    scale: FloatArray
    features: tuple[str, ...] | None = None

    @classmethod
    def from_moments(
        cls,
        mean: Any,
        var: Any,
        n_samples: float,
        features: list[str] | None = None,
    ) -> Scaling:
        """The scaling of features with these means and population variances.

        ``n_samples`` (the sum of the weights when weighted) sets, as in
        scikit-learn's ``StandardScaler``, which variances count as zero: those
        within the rounding error of the two-pass algorithm,
        ``var <= n * eps * var + (n * mean * eps) ** 2``.
        """
        mean = np.asarray(mean, dtype=np.float64)
        var = np.asarray(var, dtype=np.float64)
        eps = np.finfo(np.float64).eps
        constant = var <= n_samples * eps * var + (n_samples * mean * eps) ** 2
        scale = np.where(constant, 1.0, np.sqrt(var))
        names = None if features is None else tuple(str(f) for f in features)
        return cls(mean=mean, scale=scale, features=names)

    @classmethod
    def fit(cls, X: Any, sample_weight: Any = None) -> Scaling:
        """The scaling of the dense features ``X`` (weighted by ``sample_weight``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite numeric features (a pandas DataFrame gives the names).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, as ``StandardScaler.fit(X, sample_weight=...)``.

        Examples
        --------
        >>> import numpy as np
        >>> s = Scaling.fit(np.array([[1.0, 5.0], [5.0, 5.0]]))  # 2nd: constant
        >>> s.mean.tolist(), s.scale.tolist()
        ([3.0, 5.0], [2.0, 1.0])
        """
        columns = getattr(X, "columns", None)
        arr = np.asarray(X, dtype=np.float64)
        if sample_weight is None:
            w = np.ones(arr.shape[0])
        else:
            w = np.asarray(sample_weight, dtype=np.float64)
        mean = np.average(arr, axis=0, weights=w)
        var = np.average((arr - mean) ** 2, axis=0, weights=w)
        names = None if columns is None else [str(c) for c in columns]
        return cls.from_moments(mean, var, float(w.sum()), names)

    def transform(self, X: Any) -> Any:
        """``(X - mean) / scale``; a DataFrame stays one, with its columns, and
        Dask data stay lazy (standardized partition by partition).

        Raises
        ------
        InputValueError
            If ``X`` is not 2-D with one column per feature.
        """
        shape = tuple(getattr(X, "shape", None) or np.shape(X))
        if len(shape) != 2 or shape[1] != self.mean.shape[0]:
            raise InputValueError(
                f"`X` must have {self.mean.shape[0]} feature columns, as at fit; got "
                f"shape {shape}."
            )
        if hasattr(X, "__dask_graph__"):  # lazy: block by block
            if hasattr(X, "columns"):
                return X.map_partitions(self.transform)
            return (X - self.mean) / self.scale
        if hasattr(X, "columns"):
            import pandas as pd

            mean = pd.Series(self.mean, index=X.columns)
            scale = pd.Series(self.scale, index=X.columns)
            return (X - mean) / scale
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.scale

    def to_json(self) -> dict[str, object]:
        """The ``scaling`` field of a model file."""
        return {
            "features": None if self.features is None else list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
        }

    @classmethod
    def from_json(
        cls, value: object, n_features: int, names: list[str] | None
    ) -> Scaling:
        """Read the ``scaling`` field of a model file of ``n_features`` features
        named ``names`` (``feature_names_in``).

        Raises
        ------
        InputValueError
            If the field is not an object with ``features`` (equal to ``names``),
            ``mean`` (finite numbers) and ``scale`` (finite numbers > 0), one per
            feature; the message names the field.
        """
        if not isinstance(value, dict) or set(value) != set(_FIELDS):
            raise fail("scaling", f"null or an object with fields {_FIELDS}", value)
        if value["features"] != names:
            expected = "null" if names is None else f"the {n_features} feature names"
            raise fail("scaling.features", f"{expected} (feature_names_in)", value)
        arrays = {}
        for field in ("mean", "scale"):
            arr = float_array(f"scaling.{field}", value[field], 1)
            if arr.shape != (n_features,):
                raise fail(
                    f"scaling.{field}", f"a list of {n_features} numbers", arr.shape
                )
            arrays[field] = arr
        if not np.all(arrays["scale"] > 0):
            bad = float(np.min(arrays["scale"]))
            raise fail("scaling.scale", "made of numbers > 0", bad)
        features = None if names is None else tuple(names)
        return cls(mean=arrays["mean"], scale=arrays["scale"], features=features)

    def __post_init__(self) -> None:
        if self.mean.ndim != 1 or self.mean.shape != self.scale.shape:
            raise InputValueError(
                "`mean` and `scale` must be 1-D of one length; got shapes "
                f"{self.mean.shape} and {self.scale.shape}."
            )
        if self.features is not None and len(self.features) != self.mean.shape[0]:
            raise InputValueError(
                f"`features` must name {self.mean.shape[0]} features; got "
                f"{len(self.features)}."
            )
