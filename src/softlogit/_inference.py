r"""Inference for unpenalized fits: standard errors, tests and intervals in any gauge.

The estimators mix in :class:`InferenceMixin`. At the end of an unpenalized fit they
call :meth:`InferenceMixin._store_inference`, which computes the cheap parts (the
log-likelihoods, the sample size, and the proof that the maximum-likelihood estimate
(MLE) exists, see :func:`~softlogit.check_separation`) and defers the rest: the Fisher
information at the MLE costs :math:`O(n (K - 1)^2 (p + 1)^2)` operations, more than the
fit itself for many classes and features, and only :meth:`InferenceMixin.summary` needs
it. Until it is first needed (by :meth:`~InferenceMixin.summary`, by ``save()``, or by
pickling or copying the estimator), the fit keeps a reference to its validated training
features and weights (the caller's array itself when it is already float64 and
C-ordered), and a fingerprint of them; it then computes the information and its inverse
(the asymptotic covariance), keeps only the covariance and drops the references. A
pickled fitted estimator therefore never contains its training data. Modifying the
training arrays in place between the fit and that moment is detected (the fingerprint no
longer matches) and reported: refit, or call :meth:`~InferenceMixin.summary` before
modifying the data.

Gauges and covariances
----------------------
Softmax coefficients are identified only up to a common row (adding a vector to every
class's coefficients leaves the probabilities unchanged), so their covariance exists
only in an identified parametrization. The *reference gauge* with reference class
:math:`r` fixes :math:`w_r = 0` and keeps the differences
:math:`\theta_k = w_k - w_r` for :math:`k \ne r` (with the intercept as the first
entry of each row): these are the parameters of statsmodels' ``MNLogit`` (reference =
first class) and, for two classes, of a logistic regression. With
:math:`\tilde x_i = (1, x_i)` and weights :math:`s_i`, the Fisher information of
:math:`\theta` is

.. math:: \mathcal I = \sum_i s_i \big(\operatorname{diag}(p_i) - p_i p_i^T\big)
    \otimes \tilde x_i \tilde x_i^T,

with :math:`p_i` the probabilities of the non-reference classes, and the covariance
is :math:`\mathcal I^{-1}`. Every other gauge is a linear function of :math:`\theta`,
:math:`\phi = A \theta`, so its covariance is :math:`A \mathcal I^{-1} A^T` (exact,
no further approximation): another reference class :math:`r'` uses
:math:`\phi_k = \theta_k - \theta_{r'}`, and the centered gauge (rows summing to
zero, the one of scikit-learn) uses :math:`\phi = (I - \tfrac1K 11^T) E \theta`,
where :math:`E` inserts the zero row of :math:`r`. The centered covariance is singular
(its rows sum to zero), its standard errors are well defined; for :math:`K = 2` they are
half of the logistic regression's.

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
import io
import threading
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from softlogit._gram import class_pair_information
from softlogit._threads import single_blas_thread_if_small
from softlogit._typing import FloatArray

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Group
    from rich.table import Table

__all__ = ["InferenceMixin", "Summary"]

Gauge = Literal["centered", "reference", "none"]


class _PendingCovariance:
    """What the covariance needs, kept from the fit until it is first computed.

    References (not copies) to the validated training features and weights, a copy of
    the fitted coefficients (all ``K`` rows, intercept first), and a fingerprint of
    the data taken at fit time: random-weighted column sums of ``X`` and a
    random-weighted sum of the weights (one pass, no BLAS, so bit-for-bit
    reproducible). Any in-place change to the arrays (a rescaled column, a permuted
    row, a changed weight) changes the fingerprint, barring changes below rounding.
    The labels are not needed: the Fisher information of a softmax model depends on
    the features and the fitted probabilities only.
    """

    __slots__ = ("X", "fingerprint", "fit_intercept", "full", "reference", "weights")

    def __init__(
        self,
        X: FloatArray,
        weights: FloatArray,
        full: FloatArray,
        reference: int,
        fit_intercept: bool,
    ) -> None:
        self.X = X
        self.weights = weights
        self.full = full
        self.reference = reference
        self.fit_intercept = fit_intercept
        self.fingerprint = _fingerprint(X, weights)

    def unchanged(self) -> bool:
        """Whether the arrays still hold the data the model was fitted on."""
        now = _fingerprint(self.X, self.weights)
        return all(
            np.array_equal(a, b) for a, b in zip(now, self.fingerprint, strict=True)
        )

    def covariance(self) -> FloatArray | None:
        """Inverse Fisher information at the fitted coefficients (``None``: singular)."""
        with single_blas_thread_if_small(self.X.size * self.full.shape[0]):
            return self._covariance_now()

    def _covariance_now(self) -> FloatArray | None:
        from softlogit._special import softmax

        proba = softmax(self.X @ self.full[:, 1:].T + self.full[:, 0], axis=1)
        info = _fisher(self.X, proba, self.weights, self.reference, self.fit_intercept)
        return _inverse_spd(info)


def _fingerprint(X: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Random-weighted column sums of ``X`` and weighted sum of ``weights``."""
    r = np.random.default_rng(0x5EED).uniform(1.0, 2.0, size=X.shape[0])
    # einsum without `optimize` runs NumPy's own loops, never BLAS: the same data give
    # the same bits whatever the number of BLAS threads.
    return np.einsum("i,ij->j", r, X), np.einsum("i,i->", r, weights)[None]


_STALE = (
    "The training data passed to fit were modified in place after fitting: an "
    "unpenalized fit computes the covariance of its coefficients (for summary(), "
    "save() and pickling) from its training data when first needed, and `X` no "
    "longer holds the values it was fitted on. Refit the model, or call summary() "
    "before modifying the training data."
)


class _InferenceState:
    """What an unpenalized fit keeps for :meth:`InferenceMixin.summary`.

    ``cov`` is the covariance of the reference-gauge parameters with reference class
    index ``reference``, flattened class-major (``[(k, term) for k != r for term]``),
    or ``None`` when the Fisher information is singular. A state built by a fit is
    *pending*: it holds a :class:`_PendingCovariance` and computes ``cov`` on first
    access (once, also when estimators share the state after a conversion), then
    drops the references to the training data. Pickling and copying compute it first,
    so a pickled state never holds training data; if the data were modified in place
    since the fit, the state is marked stale instead and ``cov`` (hence
    :meth:`InferenceMixin.summary`) and :meth:`to_json` raise a ``ValueError`` that
    says so.
    """

    def __init__(
        self,
        cov: FloatArray | None,
        reference: int,
        log_likelihood: float,
        null_log_likelihood: float,
        n_samples: int,
        sum_weights: float,
        mle_verified: bool,
        *,
        pending: _PendingCovariance | None = None,
    ) -> None:
        self._cov = cov
        self.reference = reference
        self.log_likelihood = log_likelihood
        self.null_log_likelihood = null_log_likelihood
        self.n_samples = n_samples
        self.sum_weights = sum_weights
        self.mle_verified = mle_verified
        self._pending = pending
        self._stale = False
        # Concurrent first uses (summary() from two threads) compute once.
        self._lock = threading.Lock()

    @property
    def pending(self) -> bool:
        """Whether the covariance is still to be computed from the training data."""
        return self._pending is not None

    @property
    def cov(self) -> FloatArray | None:
        """The covariance, computed from the training data on first access.

        Raises
        ------
        ValueError
            If the training arrays were modified in place since the fit.
        """
        self._materialize()
        if self._stale:
            raise ValueError(_STALE)
        return self._cov

    def _materialize(self) -> None:
        """Compute the covariance if pending; mark the state stale if data changed."""
        if self._pending is None:
            return
        with self._lock:
            pending = self._pending
            if pending is None:  # another thread computed it meanwhile
                return
            if pending.unchanged():
                self._cov = pending.covariance()
            else:
                self._stale = True
            self._pending = None  # drop the references to the training data

    def __getstate__(self) -> dict[str, Any]:
        self._materialize()
        return {
            k: v for k, v in self.__dict__.items() if k not in ("_pending", "_lock")
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._pending = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        status = "pending" if self.pending else "stale" if self._stale else "computed"
        return (
            f"_InferenceState(reference={self.reference}, "
            f"log_likelihood={self.log_likelihood!r}, n_samples={self.n_samples}, "
            f"covariance {status})"
        )

    def to_json(self) -> dict[str, Any]:
        cov = self.cov
        return {
            "cov": None if cov is None else cov.tolist(),
            "reference": self.reference,
            "log_likelihood": self.log_likelihood,
            "null_log_likelihood": self.null_log_likelihood,
            "n_samples": self.n_samples,
            "sum_weights": self.sum_weights,
            "mle_verified": self.mle_verified,
        }


@dataclasses.dataclass(frozen=True, eq=False)
class Summary:
    """Coefficients, standard errors, tests and fit statistics of an unpenalized fit.

    Rows are equations (one per class whose coefficients are shown: all classes in the
    centered gauge, all but the reference class in the reference gauge, the positive
    class for a logistic regression), columns are terms (the intercept first).

    Attributes
    ----------
    model : str
        The estimator's class name.
    gauge : str or None
        ``"centered"`` or ``"reference"``; ``None`` for a logistic regression.
    reference_class : object or None
        The reference class of the reference gauge (the negative class of a
        logistic regression).
    classes : tuple
        The class label of each equation.
    terms : tuple of str
        ``"intercept"`` (when fitted) and the feature names.
    coef, std_err, z, p_values, conf_low, conf_high : ndarray of shape (n_equations, n_terms)
        Estimates, standard errors, Wald statistics, two-sided p-values and the
        ``1 - alpha`` Wald confidence interval.
    cov : ndarray of shape (n_equations * n_terms, n_equations * n_terms)
        Covariance of ``coef.ravel()`` (equation-major).
    alpha : float
        Level of the confidence intervals.
    log_likelihood, null_log_likelihood : float
        At the MLE, and of the model with only intercepts (class frequencies).
    n_params : int
        Number of identified parameters, ``(n_classes - 1) * n_terms``.
    n_obs : float
        Sum of the sample weights (the number of samples when unweighted).
    n_samples : int
        Number of rows with positive weight.
    mle_verified : bool
        Whether the existence of the MLE was proven at fit time (by the exact
        linear program of :func:`~softlogit.check_separation` or by the certificate
        built from the fitted probabilities). ``False`` means "not proven", not
        "separated": separated data raise :class:`~softlogit.SeparationError`.
    """

    model: str
    gauge: str | None
    reference_class: object
    classes: tuple[object, ...]
    terms: tuple[str, ...]
    coef: FloatArray
    std_err: FloatArray
    z: FloatArray
    p_values: FloatArray
    conf_low: FloatArray
    conf_high: FloatArray
    cov: FloatArray
    alpha: float
    log_likelihood: float
    null_log_likelihood: float
    n_params: int
    n_obs: float
    n_samples: int
    mle_verified: bool = False

    @property
    def aic(self) -> float:
        """Akaike's criterion, ``-2 log L + 2 n_params``."""
        return -2.0 * self.log_likelihood + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """Schwarz's criterion, ``-2 log L + n_params log(n_obs)``."""
        return -2.0 * self.log_likelihood + self.n_params * float(np.log(self.n_obs))

    @property
    def pseudo_r2(self) -> float:
        """McFadden's pseudo R-squared, ``1 - log L / log L_null``."""
        if self.null_log_likelihood == 0.0:
            return float("nan")
        return 1.0 - self.log_likelihood / self.null_log_likelihood

    def to_frame(self) -> pd.DataFrame:
        """Return the coefficient table as a DataFrame indexed by (class, term).

        Returns
        -------
        pandas.DataFrame
            Columns ``coef``, ``std_err``, ``z``, ``p_value``, ``ci_low``,
            ``ci_high``; the index levels are ``class`` and ``term``.
        """
        import pandas as pd

        index = pd.MultiIndex.from_tuples(
            [(c, t) for c in self.classes for t in self.terms],
            names=["class", "term"],
        )
        return pd.DataFrame(
            {
                "coef": self.coef.ravel(),
                "std_err": self.std_err.ravel(),
                "z": self.z.ravel(),
                "p_value": self.p_values.ravel(),
                "ci_low": self.conf_low.ravel(),
                "ci_high": self.conf_high.ravel(),
            },
            index=index,
        )

    def _title(self) -> str:
        if self.gauge is None:
            where = f"P(y = {self.classes[0]!r}) vs {self.reference_class!r}"
        elif self.gauge == "reference":
            where = f"gauge: reference, class {self.reference_class!r}"
        else:
            where = "gauge: centered (rows sum to zero)"
        return f"{self.model} — unpenalized MLE — {where}"

    def _stats(self) -> list[tuple[str, str]]:
        return [
            ("observations", _fmt_count(self.n_obs)),
            ("parameters", str(self.n_params)),
            ("log-likelihood", f"{self.log_likelihood:.6g}"),
            ("null log-likelihood", f"{self.null_log_likelihood:.6g}"),
            ("pseudo R² (McFadden)", f"{self.pseudo_r2:.4f}"),
            ("AIC", f"{self.aic:.6g}"),
            ("BIC", f"{self.bic:.6g}"),
            ("MLE existence", "proven" if self.mle_verified else "not verified"),
        ]

    def to_table(self) -> Table:
        """Return the coefficient table as a :class:`rich.table.Table`."""
        from rich.table import Table

        lo = f"[{self.alpha / 2:g}"
        hi = f"{1 - self.alpha / 2:g}]"
        table = Table(title=self._title())
        show_class = len(self.classes) > 1 or self.gauge is not None
        if show_class:
            table.add_column("class")
        table.add_column("term")
        for name in ("coef", "std err", "z", "P>|z|", lo, hi):
            table.add_column(name, justify="right")
        for e, label in enumerate(self.classes):
            for t, term in enumerate(self.terms):
                cells = [
                    f"{self.coef[e, t]:.6g}",
                    f"{self.std_err[e, t]:.4g}",
                    f"{self.z[e, t]:.3f}",
                    _fmt_p(float(self.p_values[e, t])),
                    f"{self.conf_low[e, t]:.4g}",
                    f"{self.conf_high[e, t]:.4g}",
                ]
                head = [str(label) if t == 0 else "", term] if show_class else [term]
                table.add_row(*head, *cells, end_section=t == len(self.terms) - 1)
        return table

    def stats_table(self) -> Table:
        """Return the fit statistics (likelihoods, AIC, BIC, ...) as a rich grid."""
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        for _ in range(4):
            grid.add_column()
        stats = self._stats()
        half = (len(stats) + 1) // 2
        right = stats[half:] + [("", "")] * (2 * half - len(stats))
        for (k1, v1), (k2, v2) in zip(stats[:half], right, strict=True):
            grid.add_row(f"{k1}:", v1, f"{k2}:" if k2 else "", v2)
        return grid

    def __rich__(self) -> Group:
        from rich.console import Group

        return Group(self.to_table(), self.stats_table())

    def to_text(self, width: int = 100) -> str:
        """Render the summary as plain text ``width`` characters wide."""
        from rich.console import Console

        buffer = io.StringIO()
        console = Console(
            file=buffer, width=width, color_system=None, force_terminal=False
        )
        console.print(self.__rich__())
        return buffer.getvalue()

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """HTML for notebooks: the title, the statistics and :meth:`to_frame`."""
        import html

        stats = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._stats()
        )
        return (
            f"<p><b>{html.escape(self._title())}</b></p>"
            f"<table>{stats}</table>{self.to_frame().to_html(float_format='{:.6g}'.format)}"
        )

    def __repr__(self) -> str:
        return (
            f"<Summary of {self.model}: {len(self.classes)} equation(s) x "
            f"{len(self.terms)} term(s), log-likelihood {self.log_likelihood:.6g}>"
        )


def _fmt_p(p: float) -> str:
    return "<1e-16" if p < 1e-16 else f"{p:.3g}"


def _fmt_count(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else f"{n:.6g}"


def _reference_theta(
    coef: FloatArray, intercept: FloatArray, n_classes: int, reference: int
) -> tuple[FloatArray, FloatArray]:
    """Full (K, q) coefficient matrix (intercept first) and its reference-gauge rows."""
    full = np.hstack([np.asarray(intercept, dtype=np.float64)[:, None], coef])
    if full.shape[0] == 1 and n_classes == 2:  # binary logistic: rows [0, w]
        full = np.vstack([np.zeros_like(full), full])
    theta_full = full - full[reference]
    return full, np.delete(theta_full, reference, axis=0)


def _fisher(
    X: FloatArray,
    proba: FloatArray,
    s: FloatArray,
    reference: int,
    fit_intercept: bool,
    *,
    method: Literal["auto", "syrk", "khatri-rao"] = "auto",
) -> FloatArray:
    """Fisher information of the reference-gauge parameters (class-major blocks).

    ``I = sum_i s_i (diag(p_i) - p_i p_i^T) (x) z_i z_i^T`` with ``p`` the
    probabilities of the classes other than ``reference`` and ``z_i = (1, x_i)`` (or
    ``x_i`` without intercept); see :func:`softlogit._gram.class_pair_information`
    for how it is computed.
    """
    keep = [k for k in range(proba.shape[1]) if k != reference]
    info = class_pair_information(X, proba[:, keep], s, fit_intercept, method=method)
    size = info.shape[0] * info.shape[1]
    out: FloatArray = info.reshape(size, size)
    return out


def _inverse_spd(m: FloatArray) -> FloatArray | None:
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


class InferenceMixin:
    """Adds :meth:`summary` (standard errors, tests, intervals) to an estimator.

    The estimator provides ``coef_`` (shape ``(1, n_features)`` for a binary
    logistic regression, ``(n_classes, n_features)`` for a softmax regression),
    ``intercept_``, ``classes_``, ``fit_intercept`` and, for a softmax regression,
    ``gauge`` and ``reference_class``; it calls :meth:`_store_inference` at the end
    of ``fit``.
    """

    _inference_: _InferenceState | None

    def _reference_index(self) -> int:
        """Index of the reference class of the estimator's gauge (0 if not reference)."""
        if getattr(self, "gauge", None) != "reference":
            return 0
        classes = list(np.asarray(_attr(self, "classes_")).tolist())
        ref = getattr(self, "reference_class", None)
        if ref is None:
            return 0
        return _class_index(classes, ref, "reference_class")

    def _store_inference(
        self,
        X: FloatArray | None,
        y_encoded: NDArray[np.integer] | None,
        sample_weight: FloatArray | None,
        *,
        existence_proven: bool = False,
        log_likelihood: float | None = None,
    ) -> None:
        """Keep what :meth:`summary` needs; call with ``None`` for penalized fits.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features) or None
            The validated float64 training features.
        y_encoded : ndarray of shape (n_samples,) or None
            Labels encoded as ``0..n_classes-1``.
        sample_weight : ndarray of shape (n_samples,) or None
            The sample weights (``None`` means all ones).
        existence_proven : bool, default=False
            Whether the caller already proved that the MLE exists (by
            :func:`~softlogit._separation.curvature_certificate`); otherwise
            :func:`~softlogit.check_separation` proves it or raises.
        log_likelihood : float, optional
            The weighted log-likelihood at the fitted coefficients, if the caller
            has it (the solver's final objective times ``-sum(sample_weight)``);
            with ``existence_proven`` it spares a pass over ``X``.
        """
        if X is None or y_encoded is None:
            self._inference_ = None
            return
        n_classes = np.asarray(_attr(self, "classes_")).shape[0]
        with single_blas_thread_if_small(X.size * max(n_classes, 2)):
            self._store_inference_now(
                X, y_encoded, sample_weight, existence_proven, log_likelihood
            )

    def _store_inference_now(
        self,
        X: FloatArray,
        y_encoded: NDArray[np.integer],
        sample_weight: FloatArray | None,
        existence_proven: bool,
        log_likelihood: float | None,
    ) -> None:
        classes = np.asarray(_attr(self, "classes_"))
        n_classes = classes.shape[0]
        fit_intercept = bool(getattr(self, "fit_intercept", True))
        reference = self._reference_index()
        s = (
            np.ones(X.shape[0])
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float64)
        )
        full, _ = _reference_theta(
            np.asarray(_attr(self, "coef_"), dtype=np.float64),
            np.asarray(_attr(self, "intercept_"), dtype=np.float64).reshape(-1),
            n_classes,
            reference,
        )
        y = np.asarray(y_encoded, dtype=np.int64)
        totals = np.bincount(y, weights=s, minlength=n_classes)
        sum_w = float(totals.sum())
        present = totals > 0
        llnull = float(np.sum(totals[present] * np.log(totals[present] / sum_w)))
        if existence_proven and log_likelihood is not None:
            llf, verified = float(log_likelihood), True
        else:
            # The fitted probabilities by the plain stable formula: exp(d) / sum(
            # exp(d)) with d the logits minus their maximum, accurate to a few ulp,
            # at a fraction of the cost of log_softmax's error-free transformations
            # (a log-likelihood is a sum over samples and cannot resolve more
            # anyway). Transposed, (K, n): the reductions over classes are
            # elementwise.
            dt = full[:, 1:] @ X.T + full[:, :1]
            dt -= dt.max(axis=0)
            d_y = dt[y, np.arange(y.size)]
            np.exp(dt, out=dt)
            total = dt.sum(axis=0)
            dt /= total
            llf = float(s @ (d_y - np.log(total)))
            verified = existence_proven
            if not verified:
                from softlogit._separation import check_separation

                # Proves that the MLE exists (a certificate from the fitted
                # probabilities, else the exact program); separated data raise.
                verified = check_separation(
                    X, y, s, fit_intercept=fit_intercept, proba=dt.T
                )
        # The Fisher information is computed when first needed (see the module
        # docstring): keep references to the data, not the O(n K^2 p^2) matrix.
        self._inference_ = _InferenceState(
            cov=None,
            reference=reference,
            log_likelihood=llf,
            null_log_likelihood=llnull,
            n_samples=int(np.count_nonzero(s > 0)),
            sum_weights=sum_w,
            mle_verified=verified,
            pending=_PendingCovariance(X, s, full, reference, fit_intercept),
        )

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
            singular (collinear features), if the training data were modified in
            place between the fit and the first call (see Notes), or if ``alpha``,
            ``gauge`` or ``reference_class`` is invalid.

        Notes
        -----
        The covariance is the inverse Fisher information at the MLE, which costs
        :math:`O(n (K - 1)^2 (p + 1)^2)` operations for ``n`` samples, ``K``
        classes and ``p`` features, often more than the fit. So that fits do not pay
        for inference nobody asked for, it is computed on the first call of
        :meth:`summary` (or of ``save()``, or when the estimator is pickled or
        copied) and cached; until then the estimator keeps a reference to its
        training features and weights. Modifying them in place before that first
        call raises a ``ValueError``: refit, or call :meth:`summary` before
        modifying the data.

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
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, ["coef_", "classes_"])
        if not (isinstance(alpha, (float, int)) and 0.0 < float(alpha) < 1.0):
            raise ValueError(f"`alpha` must be a number in (0, 1); got {alpha!r}.")
        state = getattr(self, "_inference_", None)
        name = type(self).__name__
        if state is None:
            raise ValueError(
                f"summary() needs an unpenalized fit: standard errors of the "
                f"maximum-likelihood estimate exist only for {name}(C=np.inf); this "
                f"model was fitted with C={getattr(self, 'C', None)!r}."
            )
        if state.cov is None:
            raise ValueError(
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
                stacklevel=2,
            )
        classes = list(np.asarray(_attr(self, "classes_")).tolist())
        n_classes = len(classes)
        fit_intercept = bool(getattr(self, "fit_intercept", True))
        coef = np.asarray(_attr(self, "coef_"), dtype=np.float64)
        intercept = np.asarray(_attr(self, "intercept_"), dtype=np.float64)
        logistic = coef.shape[0] == 1 and n_classes == 2
        # For two classes the covariance is the same for either reference class
        # (theta_0 = -theta_1), so a logistic model always uses the negative class.
        stored_ref = 0 if logistic else state.reference
        full, theta = _reference_theta(
            coef, intercept.reshape(-1), n_classes, stored_ref
        )
        if not fit_intercept:
            full, theta = full[:, 1:], theta[:, 1:]
        q = full.shape[1]
        others = [k for k in range(n_classes) if k != stored_ref]

        if logistic:
            if gauge is not None or reference_class is not None:
                raise ValueError(
                    "`gauge` and `reference_class` apply to a softmax regression; a "
                    f"logistic regression has a single gauge; got gauge={gauge!r}."
                )
            shown_gauge: str | None = None
            ref_index = 0
        else:
            shown_gauge = getattr(self, "gauge", "centered") if gauge is None else gauge
            if shown_gauge not in ("centered", "reference", "none"):
                raise ValueError(
                    f"`gauge` must be 'centered' or 'reference'; got {shown_gauge!r}."
                )
            if shown_gauge == "none":
                raise ValueError(
                    "summary(): coefficients in gauge='none' (the raw iterate) are not "
                    "identified (any vector can be added to every class's row), so "
                    "they have no standard errors; call summary(gauge='centered') or "
                    "summary(gauge='reference')."
                )
            if reference_class is not None:
                if shown_gauge != "reference":
                    raise ValueError(
                        "`reference_class` needs gauge='reference'; got "
                        f"gauge={shown_gauge!r}."
                    )
                ref_index = _class_index(classes, reference_class, "reference_class")
            elif gauge == "reference" and getattr(self, "gauge", None) != "reference":
                ref_index = _class_index(
                    classes, getattr(self, "reference_class", None), "reference_class"
                )
            else:
                ref_index = stored_ref

        # Linear map M (rows shown x stored reference rows) on the class axis.
        embed = np.zeros((n_classes, n_classes - 1))
        embed[others, np.arange(n_classes - 1)] = 1.0  # inserts the zero row
        if shown_gauge == "centered":
            mix = (np.eye(n_classes) - 1.0 / n_classes) @ embed
            rows = list(range(n_classes))
        else:
            shift = np.eye(n_classes) - np.eye(n_classes)[[ref_index] * n_classes]
            rows = [k for k in range(n_classes) if k != ref_index]
            mix = (shift @ embed)[rows]
        params = mix @ theta
        cov4 = state.cov.reshape(n_classes - 1, q, n_classes - 1, q)
        cov = np.einsum("ak,kilj,bl->aibj", mix, cov4, mix).reshape(
            len(rows) * q, len(rows) * q
        )
        cov = 0.5 * (cov + cov.T)
        from scipy.stats import norm

        se = np.sqrt(np.clip(np.diag(cov), 0.0, None)).reshape(len(rows), q)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = params / se
        crit = float(norm.ppf(1.0 - float(alpha) / 2.0))
        terms = (("intercept",) if fit_intercept else ()) + _feature_names(
            self, coef.shape[1]
        )
        return Summary(
            model=name,
            gauge=shown_gauge,
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
            alpha=float(alpha),
            log_likelihood=state.log_likelihood,
            null_log_likelihood=state.null_log_likelihood,
            n_params=(n_classes - 1) * q,
            n_obs=state.sum_weights,
            n_samples=state.n_samples,
            mle_verified=state.mle_verified,
        )


def _class_index(classes: Sequence[object], label: object, name: str) -> int:
    if label is None:
        return 0
    for i, c in enumerate(classes):
        if c == label:
            return i
    raise ValueError(f"`{name}` must be one of the classes {classes}; got {label!r}.")


def _attr(est: object, name: str) -> Any:
    """A fitted attribute or parameter of the estimator that mixes us in."""
    return getattr(est, name)


def _feature_names(est: object, n_features: int) -> tuple[str, ...]:
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        return tuple(str(n) for n in names)
    return tuple(f"x{i}" for i in range(n_features))
