r"""The covariance of an unpenalized fit: Fisher information, its inverse, gauges.

Softmax coefficients are identified only up to a common row, so their covariance
exists only in an identified parametrization. The *reference gauge* with reference
class :math:`r` fixes :math:`w_r = 0` and keeps the differences
:math:`\theta_k = w_k - w_r` for :math:`k \ne r` (the parameters of statsmodels'
``MNLogit`` with :math:`r = 0` and, for two classes, of a logistic regression). With
:math:`\tilde x_i = (x_i, 1)` (the package's layout: intercept last) and weights
:math:`s_i`, the Fisher information of :math:`\theta` is

.. math:: \mathcal I = \sum_i s_i \big(\operatorname{diag}(p_i) - p_i p_i^T\big)
    \otimes \tilde x_i \tilde x_i^T,

with :math:`p_i` the probabilities of the non-reference classes
(:func:`fisher_information`), and the covariance is :math:`\mathcal I^{-1}`
(:func:`inverse_spd`). Every other gauge is a linear function of :math:`\theta`:
the full rows are :math:`E \theta` (:func:`softlogit._gauge.embed_reference` inserts
the zero row) and a gauge's rows are :math:`A E \theta`
(:func:`softlogit._gauge.gauge_matrix`), so its covariance is
:math:`(M \otimes I) \mathcal I^{-1} (M \otimes I)^T` with :math:`M = A E`, exact
(:func:`covariance_in_gauge`). The centered covariance is singular (its rows sum to
zero), its standard errors are well defined; for :math:`K = 2` they are half of the
logistic regression's.

Where the information comes from: at the end of an unpenalized fit, from one pass
over the training data at the final coefficients. The Hessian of the mean negative
log-likelihood in the reference gauge is :math:`\mathcal I / S` (:math:`S` the sum of
the weights): a solver that computed it *at* the final coefficients (Newton's method
on the reduced objective, reference class :math:`K - 1`, or on a logistic model's
:math:`[w, b]`) can hand over :math:`S H` instead (see
``softlogit._inference.fit_inference``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from softlogit._gauge import embed_reference, gauge_matrix
from softlogit._gram import class_pair_information
from softlogit._typing import FloatArray, Gauge

__all__ = [
    "covariance_at",
    "covariance_in_gauge",
    "display_order",
    "fisher_information",
    "inverse_spd",
]


def fisher_information(
    X: FloatArray,
    proba: FloatArray,
    s: FloatArray,
    reference_index: int,
    fit_intercept: bool,
    *,
    method: Literal["auto", "syrk", "khatri-rao"] = "auto",
) -> FloatArray:
    """Fisher information of the reference-gauge parameters (class-major blocks).

    ``I = sum_i s_i (diag(p_i) - p_i p_i^T) (x) z_i z_i^T`` with ``p`` the
    probabilities (``proba``, shape ``(n_samples, n_classes)``) of the classes
    other than ``reference_index`` and ``z_i = (x_i, 1)`` (or ``x_i`` without
    intercept); see :func:`softlogit._gram.class_pair_information` for how it is
    computed. Shape ``((K - 1) q, (K - 1) q)`` with ``q`` terms per class.
    """
    keep = [k for k in range(proba.shape[1]) if k != reference_index]
    info = class_pair_information(X, proba[:, keep], s, fit_intercept, method=method)
    size = info.shape[0] * info.shape[1]
    out: FloatArray = info.reshape(size, size)
    return out


def inverse_spd(m: FloatArray) -> FloatArray | None:
    """Inverse of a symmetric positive definite matrix, ``None`` if singular."""
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    # Scale to unit diagonal so that the Cholesky test of definiteness is
    # independent of the features' units.
    d = np.sqrt(np.diag(m))
    if not np.all(d > 0) or not np.all(np.isfinite(d)):
        return None
    scaled = m / np.outer(d, d)
    try:
        factor = cho_factor(scaled, lower=True, check_finite=False)
    except LinAlgError:
        return None
    inv = cho_solve(factor, np.eye(m.shape[0]), check_finite=False)
    # Condition guard (1-norm condition number, from the inverse we have anyway): a
    # nearly singular information is as good as singular.
    cond = np.abs(scaled).sum(axis=0).max() * np.abs(inv).sum(axis=0).max()
    if not np.isfinite(cond) or cond > 1e13:
        return None
    out: FloatArray = inv / np.outer(d, d)
    return 0.5 * (out + out.T)


def covariance_at(
    X: FloatArray,
    s: FloatArray,
    proba: FloatArray,
    reference_index: int,
    fit_intercept: bool,
) -> FloatArray | None:
    """The inverse Fisher information at fitted probabilities (``None``: singular)."""
    return inverse_spd(fisher_information(X, proba, s, reference_index, fit_intercept))


def covariance_in_gauge(
    cov: FloatArray,
    n_classes: int,
    stored_index: int,
    gauge: Gauge,
    reference_index: int,
) -> tuple[list[int], FloatArray]:
    """The covariance of a gauge's rows from the reference-gauge covariance.

    Parameters
    ----------
    cov : ndarray of shape ((K - 1) q, (K - 1) q)
        Covariance of the reference-gauge parameters with reference class
        ``stored_index`` (class-major).
    n_classes : int
    stored_index : int
    gauge : {'centered', 'reference'}
        The gauge wanted.
    reference_index : int
        Its reference class (``gauge='reference'``).

    Returns
    -------
    rows : list of int
        The classes shown: all in the centered gauge, all but the reference class
        in the reference gauge.
    cov : ndarray of shape (len(rows) q, len(rows) q)
        Their covariance, class-major, symmetric.
    """
    mix = gauge_matrix(n_classes, gauge, reference_index) @ embed_reference(
        n_classes, stored_index
    )
    if gauge == "centered":
        rows = list(range(n_classes))
    else:
        rows = [k for k in range(n_classes) if k != reference_index]
    mix = mix[rows]
    m = n_classes - 1
    q = cov.shape[0] // m
    cov4 = cov.reshape(m, q, m, q)
    out = np.einsum("ak,kilj,bl->aibj", mix, cov4, mix).reshape(
        len(rows) * q, len(rows) * q
    )
    return rows, 0.5 * (out + out.T)


def display_order(n_blocks: int, q: int, fit_intercept: bool) -> np.ndarray:
    """Index permutation of class-major blocks of ``q`` terms, intercept moved first.

    The package keeps the intercept last; summaries and model files show it first
    (as statsmodels does). ``x[display_order(...)]`` reorders; ``np.argsort`` of
    the permutation reverses it.
    """
    within = np.r_[q - 1, 0 : q - 1] if fit_intercept and q > 0 else np.arange(q)
    out: np.ndarray = (np.arange(n_blocks)[:, None] * q + within[None, :]).ravel()
    return out
