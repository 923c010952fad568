r"""Inference for unpenalized fits: what a fit keeps, and ``summary()`` in any gauge.

At the end of an unpenalized fit (``C=np.inf``) the estimators call
:meth:`InferenceMixin._store_inference`, which builds an :class:`InferenceState`
with :func:`fit_inference`: the log-likelihoods, the sample size, the proof that the
maximum-likelihood estimate (MLE) exists (see :func:`~softlogit.check_separation`)
and the covariance of the coefficients, the inverse Fisher information at the MLE
(:mod:`softlogit._covariance`). The state holds numbers only: a fitted model keeps
no reference to its training data. The covariance costs
:math:`O(n (K - 1)^2 (p + 1)^2)` operations; ``store_covariance=False`` skips it
(``summary()`` then refuses, saying so).

:meth:`InferenceMixin.summary` turns the state into a :class:`~softlogit.Summary`
in the estimator's gauge or any other (see :mod:`softlogit._covariance` for the
gauge map of the covariance).

The Wald tests answer different questions in different gauges: in the reference gauge
the z-statistic of class :math:`k` tests :math:`w_k = w_r` (no difference from the
reference class, statsmodels' test), in the centered gauge it tests
:math:`w_k = \frac1K \sum_j w_j` (no difference from the average class). For two
classes they coincide up to sign.

The *raw* iterate (``gauge="none"``) is not identified: its "standard errors" would be
infinite. :meth:`InferenceMixin.summary` therefore refuses it and asks for
``gauge="centered"`` or ``gauge="reference"`` explicitly.

Sample weights are treated as frequency weights (a weight of 2 counts a row twice):
the information and the log-likelihood are weighted sums, and the number of
observations in the BIC is the sum of the weights.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from softlogit._covariance import covariance_at, covariance_in_gauge, display_order
from softlogit._gauge import to_gauge_rows
from softlogit._rows import rows_matmul
from softlogit._special import softmax_columns
from softlogit._summary import Summary
from softlogit._threads import single_blas_thread_if_small
from softlogit._typing import FloatArray, Gauge
from softlogit._validation import ALPHA, check_param
from softlogit.errors import InputValueError

__all__ = [
    "InferenceMixin",
    "InferenceState",
    "Summary",
    "class_index",
    "fit_inference",
    "fitted_proba_t",
    "full_coefficients",
]


@dataclasses.dataclass(frozen=True)
class InferenceState:
    """What an unpenalized fit keeps for :meth:`InferenceMixin.summary`.

    Attributes
    ----------
    cov : ndarray of shape ((K - 1) q, (K - 1) q) or None
        Covariance of the reference-gauge parameters with reference class
        ``reference_index``, class-major, ``q`` terms per class (intercept last);
        ``None`` if the Fisher information is singular or was not computed.
    reference_index : int
    log_likelihood, null_log_likelihood : float
    n_samples : int
        Rows with positive weight.
    sum_weights : float
    mle_verified : bool
        Whether the existence of the MLE was proven.
    covariance_skipped : bool
        ``cov`` is ``None`` because the fit was asked not to compute it.
    """

    cov: FloatArray | None
    reference_index: int
    log_likelihood: float
    null_log_likelihood: float
    n_samples: int
    sum_weights: float
    mle_verified: bool
    covariance_skipped: bool = False


def full_coefficients(
    coef: FloatArray, intercept: FloatArray, n_classes: int, fit_intercept: bool
) -> FloatArray:
    """The ``(K, q)`` coefficient rows, intercept last; ``[0, w]`` for a logistic."""
    full = (
        np.hstack([coef, intercept.reshape(-1, 1)])
        if fit_intercept
        else np.array(coef, dtype=np.float64)
    )
    if full.shape[0] == 1 and n_classes == 2:  # binary logistic: rows [0, w]
        full = np.vstack([np.zeros_like(full), full])
    return full


def fitted_proba_t(
    X: FloatArray, full: FloatArray, fit_intercept: bool, y: NDArray[np.integer]
) -> tuple[FloatArray, FloatArray]:
    """Fitted probabilities ``(K, n)`` and each sample's log-probability of its class.

    The plain stable formula of :func:`softlogit._special.softmax_columns`
    (``exp(d) / sum(exp(d))`` with ``d`` the logits minus their maximum), accurate
    to a few ulp, at a fraction of the cost of ``log_softmax``'s error-free
    transformations (a log-likelihood is a sum over samples and cannot resolve more
    anyway). Transposed, ``(K, n)``: the reductions over classes are elementwise.
    """
    p = X.shape[1]
    if X.dtype == np.float32:  # float32 features are never converted whole
        dt = np.ascontiguousarray(rows_matmul(X, full[:, :p].T).T)
    else:
        dt = np.ascontiguousarray(full[:, :p] @ X.T)
    if fit_intercept:
        dt += full[:, p:]
    nll = softmax_columns(dt, y * y.size + np.arange(y.size))
    return dt, -nll


def fit_inference(
    X: FloatArray,
    y: NDArray[np.integer],
    s: FloatArray,
    full: FloatArray,
    reference_index: int,
    fit_intercept: bool,
    *,
    existence_proven: bool = False,
    log_likelihood: float | None = None,
    store_covariance: bool = True,
    covariance: tuple[FloatArray | None, int] | None = None,
    weight_scale: float = 1.0,
) -> InferenceState:
    """The inference state of an unpenalized fit at coefficients ``full``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The validated float64 training features.
    y : ndarray of shape (n_samples,)
        Labels encoded as ``0..n_classes-1``.
    s : ndarray of shape (n_samples,)
        Sample weights.
    full : ndarray of shape (n_classes, q)
        The fitted coefficient rows, intercept last (:func:`full_coefficients`).
    reference_index : int
        The reference class of the stored covariance.
    fit_intercept : bool
    existence_proven : bool, default=False
        Whether the caller already proved that the MLE exists (by
        :func:`~softlogit._separation.curvature_certificate`); otherwise
        :func:`~softlogit.check_separation` proves it or raises.
    log_likelihood : float, optional
        The weighted log-likelihood at ``full``, if the caller has it (the solver's
        final objective times ``-sum(s)``); with ``existence_proven`` it spares a
        pass over ``X`` when no covariance is wanted.
    store_covariance : bool, default=True
        Compute the covariance (one Fisher information and its inverse).
    covariance : (ndarray or None, int), optional
        A covariance the caller already has and its reference index (from a
        solver's Hessian at ``full``: the inverse of ``sum(s) * H``); used instead
        of computing one from ``X``. It is for the weights ``s`` (then divided by
        ``weight_scale``, like the computed one).
    weight_scale : float, default=1.0
        The weights are ``weight_scale * s`` (``s`` was divided by a power of two
        to keep its sum finite): the likelihoods and the sum of the weights are
        multiplied by it, the covariance divided (they may overflow, honestly).

    Returns
    -------
    InferenceState

    Raises
    ------
    SeparationError
        If the data are separated (the MLE does not exist).
    """
    n_classes = full.shape[0]
    with single_blas_thread_if_small(X.size * max(n_classes, 2)):
        y = np.asarray(y, dtype=np.int64)
        totals = np.bincount(y, weights=s, minlength=n_classes)
        sum_w = float(totals.sum())
        present = totals > 0
        llnull = float(np.sum(totals[present] * np.log(totals[present] / sum_w)))
        proba_t = None
        verified = existence_proven
        if existence_proven and log_likelihood is not None:
            llf = float(log_likelihood)
        else:
            proba_t, log_p_y = fitted_proba_t(X, full, fit_intercept, y)
            llf = float(s @ log_p_y)
        if not verified:
            from softlogit._separation import _check_separation

            # Proves that the MLE exists (a certificate from the fitted
            # probabilities, else the exact program); separated data raise.
            assert proba_t is not None
            verified = _check_separation(
                X, y, s, fit_intercept=fit_intercept, proba=proba_t.T
            )
        cov: FloatArray | None = None
        if covariance is not None:
            cov, reference_index = covariance
        elif store_covariance:
            if proba_t is None:
                proba_t, _ = fitted_proba_t(X, full, fit_intercept, y)
            cov = covariance_at(X, s, proba_t.T, reference_index, fit_intercept)
    if cov is not None and weight_scale != 1.0:
        cov = cov / weight_scale
    # Python floats overflow to inf, silently (weights near 1e308).
    llf, llnull, sum_w = weight_scale * llf, weight_scale * llnull, weight_scale * sum_w
    return InferenceState(
        cov=cov,
        reference_index=reference_index,
        log_likelihood=llf,
        null_log_likelihood=llnull,
        n_samples=int(np.count_nonzero(s > 0)),
        sum_weights=sum_w,
        mle_verified=bool(verified),
        covariance_skipped=covariance is None and not store_covariance,
    )


class InferenceMixin:
    """Adds :meth:`summary` (standard errors, tests, intervals) to an estimator.

    The estimator provides ``coef_`` (shape ``(1, n_features)`` for a binary
    logistic regression, ``(n_classes, n_features)`` for a softmax regression),
    ``intercept_``, ``classes_``, ``fit_intercept``, ``store_covariance`` and, for a
    softmax regression, ``gauge`` and ``reference_class``; it calls
    :meth:`_store_inference` at the end of ``fit``.
    """

    _inference_: InferenceState | None

    def _reference_index(self) -> int:
        """Index of the reference class of the estimator's gauge (0 if not reference)."""
        if getattr(self, "gauge", None) != "reference":
            return 0
        classes = list(np.asarray(_attr(self, "classes_")).tolist())
        return class_index(classes, getattr(self, "reference_class", None))

    def _full_coefficients(self) -> FloatArray:
        return full_coefficients(
            np.asarray(_attr(self, "coef_"), dtype=np.float64),
            np.asarray(_attr(self, "intercept_"), dtype=np.float64).reshape(-1),
            len(_attr(self, "classes_")),
            bool(getattr(self, "fit_intercept", True)),
        )

    def _store_inference(
        self,
        X: FloatArray | None,
        y_encoded: NDArray[np.integer] | None,
        sample_weight: FloatArray | None,
        *,
        existence_proven: bool = False,
        log_likelihood: float | None = None,
        covariance: tuple[FloatArray | None, int] | None = None,
        weight_scale: float = 1.0,
    ) -> None:
        """Keep what :meth:`summary` needs; call with ``None`` for penalized fits.

        The arguments are those of :func:`fit_inference` (``sample_weight`` ``None``
        means all ones); the coefficients are the estimator's.
        """
        if X is None or y_encoded is None:
            self._inference_ = None
            return
        s = (
            np.ones(X.shape[0])
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float64)
        )
        self._inference_ = fit_inference(
            X,
            y_encoded,
            s,
            self._full_coefficients(),
            self._reference_index(),
            bool(getattr(self, "fit_intercept", True)),
            existence_proven=existence_proven,
            log_likelihood=log_likelihood,
            store_covariance=bool(getattr(self, "store_covariance", True)),
            covariance=covariance,
            weight_scale=weight_scale,
        )

    def _usable_state(self) -> InferenceState:
        """The inference state, or the error that explains why there is none."""
        state: InferenceState | None = getattr(self, "_inference_", None)
        name = type(self).__name__
        l1_ratio = getattr(self, "l1_ratio", 0.0)
        if state is None and l1_ratio and not np.isinf(getattr(self, "C", np.inf)):
            raise InputValueError(
                f"summary() has no standard errors for an L1 or elastic-net fit "
                f"(l1_ratio={l1_ratio!r}): the penalized estimate is biased and its "
                "zeros are chosen by the data, so Wald standard errors and p-values "
                f"do not apply. Fit {name}(C=np.inf) for the maximum-likelihood "
                "estimate and its standard errors."
            )
        if state is None:
            raise InputValueError(
                f"summary() needs an unpenalized fit: standard errors of the "
                f"maximum-likelihood estimate exist only for {name}(C=np.inf); this "
                f"model was fitted with C={getattr(self, 'C', None)!r}."
            )
        if state.cov is None and state.covariance_skipped:
            raise InputValueError(
                f"summary() needs the covariance, which this {name} was fitted "
                "without (store_covariance=False); refit with store_covariance=True."
            )
        if state.cov is None:
            raise InputValueError(
                "summary(): the Fisher information at the MLE is singular (collinear "
                "or constant features, or a class with too few samples); remove "
                "redundant features to get standard errors."
            )
        if not state.mle_verified:
            warnings.warn(
                f"summary(): the existence of the MLE could not be proven for this "
                f"{name} (the data are too large for the exact separation check and "
                "the fit gave no certificate); if coefficients or standard errors are "
                "huge, the data may be quasi-separated: use a finite C.",
                UserWarning,
                stacklevel=3,
            )
        return state

    def _summary_gauge(
        self, gauge: Gauge | None, reference_class: object, classes: list[object]
    ) -> tuple[Gauge, int]:
        """The gauge and reference class index a softmax summary is shown in."""
        shown: Gauge = getattr(self, "gauge", "centered") if gauge is None else gauge
        if shown not in ("centered", "reference", "none"):
            raise InputValueError(
                f"`gauge` must be 'centered' or 'reference'; got {shown!r}."
            )
        if shown == "none":
            raise InputValueError(
                "summary(): coefficients in gauge='none' (the raw iterate) are not "
                "identified (any vector can be added to every class's row), so "
                "they have no standard errors; call summary(gauge='centered') or "
                "summary(gauge='reference')."
            )
        if reference_class is None:
            return shown, class_index(classes, getattr(self, "reference_class", None))
        if shown != "reference":
            raise InputValueError(
                f"`reference_class` needs gauge='reference'; got gauge={shown!r}."
            )
        return shown, class_index(classes, reference_class)

    def summary(
        self,
        alpha: float = 0.05,
        *,
        gauge: Gauge | None = None,
        reference_class: object = None,
    ) -> Summary:
        """Coefficients with standard errors, Wald tests and confidence intervals.

        Parameters
        ----------
        alpha : float, default=0.05
            The confidence intervals have level ``1 - alpha``.
        gauge : {"centered", "reference"}, default=None
            Softmax regression only: the gauge to report in; default the
            estimator's own. The raw ``"none"`` gauge is not identified and is
            refused.
        reference_class : label, default=None
            With ``gauge="reference"``: the reference class; default the
            estimator's ``reference_class`` (or the first class).

        Returns
        -------
        Summary

        Raises
        ------
        ValueError
            If the fit was penalized (a finite ``C``), if the Fisher information is
            singular (collinear features), if the model was fitted with
            ``store_covariance=False``, or if ``alpha``, ``gauge`` or
            ``reference_class`` is invalid.

        Notes
        -----
        The covariance is the inverse Fisher information at the MLE, computed by
        ``fit`` (see ``store_covariance``); this method only maps it to the gauge
        shown.

        Examples
        --------
        >>> import numpy as np
        >>> from softlogit import LogisticRegression
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2))
        >>> y = (X[:, 0] + rng.logistic(size=200) > 0).astype(int)
        >>> s = LogisticRegression(C=np.inf).fit(X, y).summary()
        >>> s.terms
        ('intercept', 'x0', 'x1')
        >>> s.coef.shape, bool(np.all(s.std_err > 0))
        ((1, 3), True)
        >>> print(s.to_frame().round(2).loc[1, ["coef", "std_err"]])  # = statsmodels
                   coef  std_err
        term
        intercept  0.13     0.16
        x0         1.11     0.20
        x1        -0.04     0.16
        """
        from scipy.stats import norm
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, ["coef_", "classes_"])
        alpha = check_param("alpha", alpha, ALPHA)
        state = self._usable_state()
        assert state.cov is not None
        classes = list(np.asarray(_attr(self, "classes_")).tolist())
        n_classes = len(classes)
        fit_intercept = bool(getattr(self, "fit_intercept", True))
        full = self._full_coefficients()
        if np.shape(_attr(self, "coef_"))[0] == 1 and n_classes == 2:
            if gauge is not None or reference_class is not None:
                raise InputValueError(
                    "`gauge` and `reference_class` apply to a softmax regression; a "
                    f"logistic regression has a single gauge; got gauge={gauge!r}."
                )
            # For two classes the covariance is the same for either reference class
            # (theta_0 = -theta_1): a logistic model shows the positive class.
            shown: Gauge | None = None
            stored, ref_index = 0, 0
        else:
            shown, ref_index = self._summary_gauge(gauge, reference_class, classes)
            stored = state.reference_index
        rows, cov = covariance_in_gauge(
            state.cov, n_classes, stored, shown or "reference", ref_index
        )
        q = full.shape[1]
        # Displayed with the intercept first, as statsmodels shows it.
        order = display_order(len(rows), q, fit_intercept)
        cov = cov[np.ix_(order, order)]
        params = to_gauge_rows(full, shown or "reference", ref_index)[rows]
        params = params[:, order[:q]]
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None)).reshape(len(rows), q)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = params / se
        # isf, not ppf(1 - alpha / 2): 1 - 5e-18 rounds to 1 (an infinite interval).
        crit = float(norm.isf(alpha / 2.0))
        terms = (("intercept",) if fit_intercept else ()) + _feature_names(
            self, q - int(fit_intercept)
        )
        return Summary(
            model=type(self).__name__,
            gauge=shown,
            reference_class=classes[ref_index],
            classes=tuple(classes[k] for k in rows),
            terms=terms,
            coef=params,
            std_err=se,
            z=z,
            p_values=2.0 * norm.sf(np.abs(z)),
            conf_low=params - crit * se,
            conf_high=params + crit * se,
            cov=cov,
            alpha=alpha,
            log_likelihood=state.log_likelihood,
            null_log_likelihood=state.null_log_likelihood,
            n_params=(n_classes - 1) * q,
            n_obs=state.sum_weights,
            n_samples=state.n_samples,
            mle_verified=state.mle_verified,
        )


def class_index(classes: Sequence[object], label: object) -> int:
    """The index of ``label`` (a ``reference_class``) in ``classes``; 0 for None."""
    if label is None:
        return 0
    for i, c in enumerate(classes):
        if c == label:
            return i
    raise InputValueError(
        f"`reference_class` must be one of the classes {list(classes)}; got {label!r}."
    )


def _attr(est: object, name: str) -> Any:
    """A fitted attribute or parameter of the estimator that mixes us in."""
    return getattr(est, name)


def _feature_names(est: object, n_features: int) -> tuple[str, ...]:
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        return tuple(str(n) for n in names)
    return tuple(f"x{i}" for i in range(n_features))
