"""``summary()`` and the existence proof of an unpenalized fit on Dask data.

What an in-memory fit computes from all rows at once
(:func:`softlogit._inference.fit_inference`) is a sum over rows, so it is computed
per block at the fitted coefficients and added (one pass): the log-likelihood, the
Fisher information (its inverse is the covariance, computed on the client), and the
pieces of the certificate of existence below.

What is proven
--------------
The maximum-likelihood estimate (MLE) is proven to exist, and ``summary()`` reports
``MLE existence: proven`` (``mle_verified`` is True), by either of two exact
arguments (see :mod:`softlogit._separation`):

1. **Curvature** (after Newton's method): the last Hessian and the final gradient,
   with the largest row norm of ``X`` from the check pass, bound the objective
   from below on a sphere around the final iterate
   (:func:`~softlogit._separation.curvature_bound`).
2. **A Stiemke certificate over all rows**: the fitted probabilities, floored,
   give positive multipliers whose weighted sum ``A^T lam`` nearly vanishes; one
   linear solve of the size of a Hessian (the sum of per-block matrices
   ``A_b^T diag(lam_b) A_b``) corrects every multiplier, and a second pass checks
   that every corrected multiplier stays positive. The in-memory check corrects
   only a subsample of rows; here every row takes part.

If the fitted model classifies every sample strictly correctly, the data are
completely separated and the fit raises :class:`~softlogit.SeparationError`, as in
memory.

When neither certificate concludes (a fit far from its optimum, or quasi-complete
separation), an in-memory fit would solve the exact separation program, which needs
all rows in one place: on Dask data it is not run, nothing is proven, and
``mle_verified`` is False; the fit warns (:data:`NOT_PROVEN`) and ``summary()``
warns again that quasi-complete separation was not ruled out. A False therefore
means "not proven", never "separated".
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from softlogit._covariance import fisher_information, inverse_spd
from softlogit._dask import report_pass
from softlogit._dask._blocks import summed_blocks
from softlogit._inference import InferenceState, fitted_proba_t
from softlogit._separation import (
    check_two_classes,
    curvature_bound,
    fitted_separation_error,
    largest_multiplier_change,
    multiplier_correction,
    multiplier_sum,
    n_misclassified,
    pair_matrix,
    with_intercept,
)
from softlogit._solvers import SolverResult
from softlogit._typing import FloatArray

__all__ = ["dask_inference", "finish_fit"]

# Rows of a block processed at once for the certificate's pair matrix (its
# temporary holds rows * n_classes * terms floats).
_PAIR_ROWS = 2048


@dataclass(frozen=True)
class _Spec:
    """What a block computes at the fitted coefficients ``full`` ``(K, q)``."""

    full: FloatArray
    fit_intercept: bool
    reference_index: int
    likelihood: bool
    covariance: bool
    certificate: bool
    delta: FloatArray | None = None

    def size(self) -> int:
        k, q = self.full.shape
        m = (k - 1) * q
        return (
            int(self.likelihood)
            + (m * m if self.covariance else 0)
            + (1 + m + 2 + m * m if self.certificate else 0)
        )


def _weights(Xb: FloatArray, swb: FloatArray | None) -> FloatArray:
    return np.ones(Xb.shape[0]) if swb is None else swb


def _inference_block(
    Xb: FloatArray, yb: np.ndarray, swb: FloatArray | None = None, *, spec: _Spec
) -> FloatArray:
    """The block's log-likelihood, information and certificate sums, flat."""
    y, s = yb, _weights(Xb, swb)
    parts: list[Any] = []
    proba_t, log_p_y = fitted_proba_t(Xb, spec.full, spec.fit_intercept, y)
    if spec.likelihood:
        parts.append([s @ log_p_y])
    if spec.covariance:
        info = fisher_information(
            Xb, proba_t.T, s, spec.reference_index, spec.fit_intercept
        )
        parts.append(info.ravel())
    if spec.certificate:
        # Rows without weight are not in the likelihood (check_separation drops them).
        keep = s > 0
        X, y, s, proba = Xb[keep], y[keep], s[keep], proba_t.T[keep]
        lam, g, coefs_sq, z_sq = multiplier_sum(X, spec.fit_intercept, y, s, proba)
        k, q = spec.full.shape
        pair = np.zeros((k * q, k * q))
        for start in range(0, X.shape[0], _PAIR_ROWS):
            rows = slice(start, start + _PAIR_ROWS)
            Z = with_intercept(X[rows], spec.fit_intercept)
            pair += pair_matrix(Z, y[rows], lam[rows])
        parts += [
            [n_misclassified(proba, y)],
            g.ravel(),
            [coefs_sq, z_sq],
            pair[q:, q:].ravel(),  # reference class 0 dropped
        ]
    out: FloatArray = np.concatenate([np.ravel(p) for p in parts])[None, :]
    return out


def _change_block(
    Xb: FloatArray, yb: np.ndarray, swb: FloatArray | None = None, *, spec: _Spec
) -> FloatArray:
    """The largest relative change of a corrected multiplier in the block."""
    assert spec.delta is not None
    keep = _weights(Xb, swb) > 0
    Z = with_intercept(Xb[keep], spec.fit_intercept)
    return np.array([[largest_multiplier_change(Z, yb[keep], spec.delta)]])


def _certificate(problem: Any, spec: _Spec, sums: FloatArray) -> bool:
    """Raise if the fit separates; else whether the Stiemke certificate holds."""
    k, q = spec.full.shape
    m = (k - 1) * q
    misclassified, g = sums[0], sums[1 : 1 + m]
    coefs_sq, z_sq = sums[1 + m], sums[2 + m]
    pair = sums[3 + m :].reshape(m, m)
    if misclassified == 0:
        raise fitted_separation_error(np.arange(k))
    delta = multiplier_correction(pair, g, float(np.sqrt(coefs_sq * z_sq)))
    if delta is None:
        return False
    started = time.perf_counter()
    largest = summed_blocks(
        _change_block,
        1,
        problem.X,
        *_columns(problem),
        spec=_Spec(spec.full, spec.fit_intercept, 0, False, False, False, delta),
        name="certificate",
        reduce="max",
    )
    report_pass("certificate", started)
    return bool(largest[0] < 0.5)


def _columns(problem: Any) -> tuple[Any, ...]:
    return (problem.y,) if problem.sw is None else (problem.y, problem.sw)


def dask_inference(
    problem: Any,
    full: FloatArray,
    reference_index: int,
    *,
    existence_proven: bool,
    log_likelihood: float,
    store_covariance: bool,
) -> InferenceState:
    """The inference state of an unpenalized fit on Dask data (at most two passes).

    The arguments are those of :func:`softlogit._inference.fit_inference`, with the
    data in ``problem`` (a :class:`~softlogit._dask._problem.DaskProblem`).

    Raises
    ------
    SeparationError
        If only one class has weight, or the fit classifies every sample strictly
        correctly (complete separation).
    """
    totals = np.asarray(problem.totals, dtype=np.float64)
    present = np.flatnonzero(totals > 0)
    check_two_classes(present)
    sum_w = float(totals.sum())
    llnull = float(np.sum(totals[present] * np.log(totals[present] / sum_w)))
    spec = _Spec(
        full,
        problem.fit_intercept,
        reference_index,
        likelihood=not existence_proven,
        covariance=store_covariance,
        # A class without weight leaves no certificate (as in check_separation).
        certificate=not existence_proven and present.size == totals.size,
    )
    llf, proven, cov = log_likelihood, existence_proven, None
    if spec.size():
        started = time.perf_counter()
        sums = summed_blocks(
            _inference_block,
            spec.size(),
            problem.X,
            *_columns(problem),
            spec=spec,
            name="inference",
        )
        report_pass("inference", started)
        if spec.likelihood:
            llf, sums = float(sums[0]), sums[1:]
        if spec.covariance:
            m = (full.shape[0] - 1) * full.shape[1]
            cov, sums = inverse_spd(sums[: m * m].reshape(m, m)), sums[m * m :]
        if spec.certificate:
            proven = _certificate(problem, spec, sums)
    return InferenceState(
        cov=cov,
        reference_index=reference_index,
        log_likelihood=llf,
        null_log_likelihood=llnull,
        n_samples=int(problem.n_positive),
        sum_weights=sum_w,
        mle_verified=bool(proven),
        covariance_skipped=not store_covariance,
    )


def finish_fit(est: Any, problem: Any, res: SolverResult) -> None:
    """An estimator's ``_finish_fit`` for an unpenalized fit on Dask data.

    Proves existence from Newton's last Hessian when there is one (free: the
    largest row norm came with the check pass), then stores
    :func:`dask_inference` as the estimator's ``_inference_``.
    """
    proven = False
    if res.hessian is not None and res.gradient is not None:
        assert res.hessian_at is not None
        distance = float(np.linalg.norm(res.x - res.hessian_at))
        R = float(np.sqrt(problem.max_row_sq + (1.0 if problem.fit_intercept else 0.0)))
        proven = curvature_bound(
            res.gradient, res.hessian, distance, R, int(problem.X.shape[0])
        )
    state = dask_inference(
        problem,
        est._full_coefficients(),
        est._reference_index(),
        existence_proven=proven,
        # C=inf: the solver's objective is the mean negative log-likelihood.
        log_likelihood=-problem.sum_weights * res.loss,
        store_covariance=bool(est.store_covariance),
    )
    est._inference_ = state
    if not state.mle_verified:
        warnings.warn(
            NOT_PROVEN.format(name=type(est).__name__), UserWarning, stacklevel=5
        )


#: The warning of an unpenalized fit on Dask data whose MLE was not proven to exist.
NOT_PROVEN = (
    "{name}: the existence of the maximum-likelihood estimate could not be proven "
    "on Dask data: neither Newton's curvature bound nor positive multipliers from "
    "the fitted probabilities (over all rows) gave a certificate, and the exact "
    "separation check needs all rows on one machine, so it did not run. "
    "Quasi-complete separation is not ruled out (summary().mle_verified is False): "
    "if coefficients or standard errors are huge, use a finite C."
)
