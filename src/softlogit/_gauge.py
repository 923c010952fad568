r"""The gauge map: one linear map between representatives of softmax coefficients.

Softmax probabilities do not change when one vector is added to every class's
coefficient row, so a model is a class of matrices :math:`W + 1 v^\top`; a *gauge*
picks one representative. Every gauge of softlogit subtracts an *anchor row*
:math:`a^\top W` from every row,

.. math:: \phi(W) = W - 1\, a^\top W = (I - 1 a^\top)\, W,

with :math:`a = \tfrac1K 1` for ``"centered"`` (rows summing to zero),
:math:`a = e_r` for ``"reference"`` (row :math:`r` zero) and :math:`a = 0` for
``"none"`` (unchanged). The map is linear, so a covariance :math:`\Sigma` of the
stacked rows becomes :math:`(A \otimes I)\, \Sigma\, (A \otimes I)^\top` with
:math:`A = I - 1 a^\top`: :func:`to_gauge_rows` applies the map to coefficients
(heads, estimators, summaries) and :func:`gauge_matrix` gives :math:`A` for
covariances (``softlogit._covariance``).
"""

from __future__ import annotations

import numpy as np

from softlogit._typing import FloatArray, Gauge

__all__ = ["embed_reference", "gauge_matrix", "to_gauge_rows"]


def to_gauge_rows(
    coef: FloatArray, gauge: Gauge, reference_index: int = 0
) -> FloatArray:
    """The rows of ``coef`` (one per class) moved to ``gauge``, as a new array.

    ``"centered"`` subtracts the mean row, ``"reference"`` the row
    ``reference_index`` (which becomes exactly zero), ``"none"`` copies. Each new
    entry is rounded once.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 5.0], [3.0, 7.0]])
    >>> to_gauge_rows(W, "centered").tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> to_gauge_rows(W, "reference", 1).tolist()
    [[-2.0, -2.0], [0.0, 0.0]]
    """
    if gauge == "centered":
        out: FloatArray = coef - coef.mean(axis=0)
        return out
    if gauge == "reference":
        out = coef - coef[reference_index]
        return out
    return np.array(coef, dtype=np.float64, copy=True)


def gauge_matrix(n_classes: int, gauge: Gauge, reference_index: int = 0) -> FloatArray:
    """The ``(n_classes, n_classes)`` matrix ``A`` with ``to_gauge_rows(W) = A @ W``.

    Examples
    --------
    >>> gauge_matrix(2, "reference", 0).tolist()
    [[0.0, 0.0], [-1.0, 1.0]]
    """
    anchor = np.zeros(n_classes)
    if gauge == "centered":
        anchor[:] = 1.0 / n_classes
    elif gauge == "reference":
        anchor[reference_index] = 1.0
    out: FloatArray = np.eye(n_classes) - anchor[None, :]
    return out


def embed_reference(n_classes: int, reference_index: int) -> FloatArray:
    """The ``(n_classes, n_classes - 1)`` matrix inserting a zero row at the reference.

    The reference gauge stores only the ``n_classes - 1`` rows of the other
    classes (the parameters of statsmodels' ``MNLogit``); ``E @ theta`` restores
    the full matrix, whose other gauges are ``gauge_matrix(...) @ E @ theta``.
    """
    others = [k for k in range(n_classes) if k != reference_index]
    out = np.zeros((n_classes, n_classes - 1))
    out[others, np.arange(n_classes - 1)] = 1.0
    return out
