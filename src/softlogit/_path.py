"""Regularization paths: fits along a grid of ``C`` with warm starts (glmnet's way).

glmnet fits a decreasing sequence of penalty strengths, starting from the smallest
one that makes every coefficient zero, each fit warm-started from the previous
one (Friedman, Hastie and Tibshirani 2010, section 2.5). In scikit-learn's
parametrization the strength is ``1 / (C S)``, so the path runs over *increasing*
``C`` from :func:`smallest_C` (where an L1 term zeroes every weight) upwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from softlogit._estimators import LogisticRegression, SoftmaxRegression
from softlogit._typing import ArrayLike, FloatArray
from softlogit._validation import Integer, Options, Real, check_param
from softlogit.errors import InputValueError

__all__ = ["RegularizationPath", "regularization_path", "smallest_C", "warm_fits"]

#: glmnet's ``lambda.min.ratio``: the path spans this factor in ``C``.
C_RANGE = 1e4
#: glmnet's stand-in for a pure L2 path's start: the start of ``l1_ratio = 1e-3``.
L2_START_RATIO = 1e-3


@dataclass(frozen=True)
class RegularizationPath:
    """The fits of :func:`regularization_path`.

    Attributes
    ----------
    Cs : ndarray of shape (n_Cs,)
        Increasing (decreasing penalty).
    l1_ratio : float
    coefs : ndarray of shape (n_Cs, n_rows, n_features)
        ``coef_`` of each fit (``n_rows`` is 1 for the logistic model, ``K`` for
        softmax, in the solver's own gauge ``'none'``).
    intercepts : ndarray of shape (n_Cs, n_rows)
    n_iter : ndarray of shape (n_Cs,)
        Solver iterations of each fit (few, thanks to the warm starts).
    classes : ndarray of shape (n_classes,)
    """

    Cs: FloatArray
    l1_ratio: float
    coefs: FloatArray
    intercepts: FloatArray
    n_iter: np.ndarray
    classes: np.ndarray

    def plot(self, ax: Any = None, feature_names: Any = None) -> Any:
        """Coefficients against ``log10(C)`` (matplotlib), one line per coefficient.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        x = np.log10(self.Cs)
        order = np.argsort(x)
        n_rows, p = self.coefs.shape[1:]
        names = feature_names if feature_names is not None else range(p)
        for k in range(n_rows):
            prefix = f"{self.classes[k]}: " if n_rows > 1 else ""
            for j, name in enumerate(names):
                ax.plot(x[order], self.coefs[order, k, j], label=f"{prefix}{name}")
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.set_xlabel("log10(C)")
        ax.set_ylabel("coefficient")
        ax.set_title(f"Regularization path (l1_ratio = {self.l1_ratio:g})")
        if n_rows * p <= 12:
            ax.legend(fontsize="small")
        return ax


def smallest_C(
    X: Any, y: np.ndarray, sw: FloatArray, l1_ratio: float, multinomial: bool
) -> float:
    r"""The largest ``C`` at which an L1 term keeps every weight at zero.

    At the intercept-only optimum the gradient of the mean loss in the weights is
    :math:`G = X^\top \operatorname{diag}(s) (P_0 - Y) / S`; the zero weights are
    optimal while :math:`\max|G| \le r / (C S)`, i.e. for
    :math:`C \le r / (S \max|G|)` (``y`` encoded, ``sw`` the weights).
    """
    S = float(sw.sum())
    K = int(y.max()) + 1
    totals = np.bincount(y, weights=sw, minlength=K) / S
    Y = np.eye(K)[y]
    R = (totals - Y) if multinomial else (totals[1] - Y[:, 1:])
    G = np.asarray(X.T @ (sw[:, None] * R)) / S
    top = float(np.max(np.abs(G)))
    if top == 0:
        raise InputValueError(
            "regularization_path: every weight is zero at any C (the features do "
            "not correlate with the labels)."
        )
    # A relative margin of 1e-9 keeps the start strictly inside the all-zero region
    # (at its edge the rounding of the gradient decides).
    return (1 - 1e-9) * max(l1_ratio, L2_START_RATIO) / (S * top)


def regularization_path(
    X: ArrayLike,
    y: ArrayLike,
    *,
    Cs: int | ArrayLike = 50,
    l1_ratio: float = 1.0,
    model: Literal["logistic", "softmax"] = "logistic",
    sample_weight: ArrayLike | None = None,
    **params: Any,
) -> RegularizationPath:
    """Fits along a grid of ``C``, each warm-started from the previous (glmnet).

    Parameters
    ----------
    X : array_like or scipy.sparse matrix of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
    Cs : int or array_like, default=50
        A number of values, spaced geometrically over a factor of 1e4 upwards from
        :func:`smallest_C` (the largest ``C`` with all weights zero under L1;
        for ``l1_ratio=0``, that of ``l1_ratio=1e-3``, as glmnet), or the values
        themselves (fitted in increasing order).
    l1_ratio : float, default=1.0
    model : {'logistic', 'softmax'}, default='logistic'
        :class:`LogisticRegression` or :class:`SoftmaxRegression` (``gauge='none'``).
    sample_weight : array_like of shape (n_samples,), optional
    **params
        Other parameters of the estimator (``tol``, ``class_weight``, ...).

    Returns
    -------
    RegularizationPath

    Raises
    ------
    ValueError
        For a bad ``Cs``, ``l1_ratio`` or ``model`` (and what the estimator raises).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from softlogit import regularization_path
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> path = regularization_path(StandardScaler().fit_transform(X), y, Cs=10)
    >>> path.coefs.shape, int((path.coefs[0] != 0).sum())
    ((10, 1, 30), 0)
    """
    l1_ratio = check_param("l1_ratio", l1_ratio, Real(0, 1, text="a number in [0, 1]"))
    model = check_param("model", model, Options(("logistic", "softmax")))
    cls = LogisticRegression if model == "logistic" else SoftmaxRegression
    if model == "softmax":
        params.setdefault("gauge", "none")
    est: Any = cls(l1_ratio=l1_ratio, warm_start=True, **params)
    grid = _grid(est, X, y, sample_weight, Cs, l1_ratio, model == "softmax")
    coefs: list[Any] = [None] * grid.size
    intercepts: list[Any] = [None] * grid.size
    n_iter = np.zeros(grid.size, dtype=np.int64)
    for i, fitted in warm_fits(est, X, y, sample_weight, grid):
        coefs[i] = fitted.coef_.copy()
        intercepts[i] = fitted.intercept_.copy()
        n_iter[i] = int(fitted.n_iter_[0])
    return RegularizationPath(
        grid,
        l1_ratio,
        np.array(coefs),
        np.array(intercepts),
        n_iter,
        est.classes_.copy(),
    )


def warm_fits(
    est: Any,
    X: Any,
    y: Any,
    sample_weight: ArrayLike | None,
    Cs: FloatArray,
) -> Iterator[tuple[int, Any]]:
    """Fit ``est`` at each ``C`` of ``Cs`` in increasing order (decreasing penalty),
    each fit warm-started from the previous one.

    Yields ``(i, est)`` with ``est`` fitted at ``Cs[i]``; ``est`` is one estimator,
    refitted in place (copy what you keep before the next step).
    """
    est.set_params(warm_start=True)
    for i in np.argsort(Cs, kind="stable"):
        est.set_params(C=float(Cs[i])).fit(X, y, sample_weight)
        yield int(i), est


def _grid(
    est: Any,
    X: ArrayLike,
    y: ArrayLike,
    sample_weight: ArrayLike | None,
    Cs: int | ArrayLike,
    l1_ratio: float,
    multinomial: bool,
) -> FloatArray:
    if isinstance(Cs, (int, np.integer)) and not isinstance(Cs, bool):
        n = check_param("Cs", Cs, Integer(low=1, text="an integer >= 1 or an array"))
        X_arr, y_enc, sw = est._validate_fit_data(X, y, sample_weight)
        start = smallest_C(X_arr, y_enc, sw, l1_ratio, multinomial)
        return np.asarray(start * np.geomspace(1.0, C_RANGE, n))
    grid = np.asarray(Cs, dtype=np.float64).ravel()
    if grid.size == 0 or not np.all(grid > 0):
        raise InputValueError(
            f"`Cs` must be an integer >= 1 or positive values; got {Cs!r}."
        )
    return grid
