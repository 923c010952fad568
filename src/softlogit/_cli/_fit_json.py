"""``softlogit fit --json``: the fit as one JSON document.

Format ``softlogit.fit``, version 1::

    format, format_version   "softlogit.fit", 1
    model                    the estimator's class name
    params                   its parameters (get_params)
    classes, features        the class labels and feature names (features: null
                             for a model fitted without names)
    coefficients             terms (intercept first), equations (the class of each
                             row) and values[equation][term]
    convergence              solver, iterations, converged (no convergence warning)
    summary                  for an unpenalized fit (--C inf): the statistics of
                             summary() per equation and term (coef, std_err, z,
                             p_value, conf_low, conf_high) and the fit statistics;
                             null for a penalized fit
    scaling                  null, or with --standardize what the coefficients
                             refer to: features (names), mean and scale per
                             feature (standardized x = (x - mean) / scale) and
                             note (the sentence summary() shows)
    warnings                 the warnings of the fit, as text
    saved                    the model file written (--out), or null

Non-finite numbers are written as null.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from softlogit._summary import Summary

__all__ = ["FIT_FORMAT", "fit_document"]

FIT_FORMAT = "softlogit.fit"


def _coefficients(model: Any) -> dict[str, Any]:
    import numpy as np

    coef = np.asarray(model.coef_, dtype=np.float64)
    names = [str(n) for n in getattr(model, "feature_names_in_", [])] or [
        f"x{j}" for j in range(coef.shape[1])
    ]
    classes = model.classes_.tolist()
    equations = [classes[1]] if coef.shape[0] == 1 else classes
    values = coef
    terms = names
    if model.fit_intercept:
        intercept = np.asarray(model.intercept_, dtype=np.float64).reshape(-1, 1)
        values = np.hstack([intercept, coef])
        terms = ["intercept", *names]
    return {"terms": terms, "equations": equations, "values": values}


def _summary(summary: Summary) -> dict[str, Any]:
    stats = ("coef", "std_err", "z", "p_values", "conf_low", "conf_high")
    table = [
        {
            "equation": label,
            "term": term,
            **{
                ("p_value" if s == "p_values" else s): float(getattr(summary, s)[e, t])
                for s in stats
            },
        }
        for e, label in enumerate(summary.classes)
        for t, term in enumerate(summary.terms)
    ]
    return {
        "gauge": summary.gauge,
        "reference_class": summary.reference_class,
        "alpha": summary.alpha,
        "table": table,
        "log_likelihood": summary.log_likelihood,
        "null_log_likelihood": summary.null_log_likelihood,
        "aic": summary.aic,
        "bic": summary.bic,
        "pseudo_r2": summary.pseudo_r2,
        "n_params": summary.n_params,
        "n_obs": summary.n_obs,
        "n_samples": summary.n_samples,
        "mle_verified": summary.mle_verified,
        "standardized": summary.standardized,
    }


def fit_document(
    model: Any,
    summary: Summary | None,
    caught: list[Any],
    saved: str | None,
) -> dict[str, Any]:
    """The JSON document of a fitted model (see the module docstring).

    Parameters
    ----------
    model : LogisticRegression or SoftmaxRegression
        The fitted estimator.
    summary : Summary or None
        Its summary (unpenalized fits), or None.
    caught : list of warnings.WarningMessage
        The warnings the fit raised.
    saved : str or None
        The model file written, if any.
    """
    from softlogit._json import to_jsonable
    from softlogit._scaling import NOTE

    scaling = getattr(model, "scaling_", None)
    if scaling is not None:  # a StandardizedModel (--standardize): its estimator
        model = model.estimator_
    names = getattr(model, "feature_names_in_", None)
    converged = not any(w.category.__name__ == "ConvergenceWarning" for w in caught)
    doc = {
        "format": FIT_FORMAT,
        "format_version": 1,
        "model": type(model).__name__,
        "params": model.get_params(),
        "classes": model.classes_.tolist(),
        "features": None if names is None else [str(n) for n in names],
        "coefficients": _coefficients(model),
        "convergence": {
            "solver": getattr(model, "solver_", None),
            "n_iter": int(model.n_iter_[0]),
            "converged": converged,
        },
        "summary": None if summary is None else _summary(summary),
        "scaling": None if scaling is None else {**scaling.to_json(), "note": NOTE},
        "warnings": [str(w.message) for w in caught],
        "saved": saved,
    }
    result: dict[str, Any] = to_jsonable(doc)
    return result
