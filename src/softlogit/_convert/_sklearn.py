r"""scikit-learn's ``LogisticRegression`` to and from softlogit's estimators.

Conventions (scikit-learn >= 1.8): a binary model is a logistic regression,
``coef_`` of shape ``(1, n_features)`` with ``P(classes_[1]) = sigmoid(coef_ @ x +
intercept_)``; three or more classes are a softmax regression with centered rows
``coef_`` of shape ``(n_classes, n_features)``. Both minimize the mean log-loss plus
``||W||^2 / (2 C S)``, as softlogit's estimators do, so ``C`` carries over.

Old binary "multinomial" models
-------------------------------
Before scikit-learn 1.8, ``LogisticRegression(multi_class="multinomial")`` on two
classes fitted a two-row softmax but stored only its class-1 row: the rows are
``[-coef_, coef_]``, so ``predict_proba`` is :math:`\operatorname{softmax}(-d,
d)_1 = \sigma(2d)` with :math:`d` = ``coef_ @ x + intercept_``; ``coef_`` is half
the logistic coefficient. Such an object carries ``multi_class == "multinomial"``
(fitted by, or unpickled from, those versions), which is what
``legacy_multinomial=None`` detects. Coefficients of such a model that reach you
without that attribute (copied into a new estimator, exported by a tool that drops
it) cannot be told apart from a logistic model's: pass ``legacy_multinomial=True``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from softlogit._convert._common import (
    FoundHead,
    HeadConversion,
    Kind,
    Request,
    new_parameters,
    verified,
)
from softlogit._typing import FloatArray, Gauge
from softlogit._validation import NONE, Boolean, Options, check_param
from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "convert_estimator",
    "convert_head_data",
    "from_sklearn",
    "is_legacy_multinomial",
    "is_sklearn_logistic",
    "is_softlogit_estimator",
    "to_sklearn",
]

# scikit-learn solver -> the softlogit solver of the same family
_SOLVERS = {"lbfgs": "lbfgs", "newton-cholesky": "newton", "newton-cg": "newton"}


def is_sklearn_logistic(obj: object) -> bool:
    """Whether ``obj`` is a scikit-learn ``LogisticRegression`` (or a subclass)."""
    return any(
        c.__name__ == "LogisticRegression"
        and (c.__module__ or "").startswith("sklearn.")
        for c in type(obj).__mro__
    )


def is_softlogit_estimator(obj: object) -> bool:
    """Whether ``obj`` is softlogit's ``LogisticRegression`` or ``SoftmaxRegression``."""
    return any(
        c.__name__ in ("LogisticRegression", "SoftmaxRegression")
        and (c.__module__ or "").startswith("softlogit.")
        for c in type(obj).__mro__
    )


def _fitted(est: Any, name: str) -> None:
    missing = [a for a in ("coef_", "intercept_", "classes_") if not hasattr(est, a)]
    if missing:
        raise InputValueError(
            f"`{name}` ({type(est).__name__}) is not fitted: it has no {missing[0]}."
        )


def _check_sklearn(est: object) -> None:
    if not is_sklearn_logistic(est):
        raise InputTypeError(
            "`est` must be a fitted sklearn.linear_model.LogisticRegression; got "
            f"{type(est).__name__}."
        )
    _fitted(est, "est")


def is_legacy_multinomial(est: Any, legacy_multinomial: bool | None = None) -> bool:
    """Whether a two-class scikit-learn model stores half its logistic coefficients.

    ``legacy_multinomial`` True or False is taken as said (True needs two
    classes); None detects it: ``multi_class == "multinomial"`` on two classes.
    """
    flag = check_param("legacy_multinomial", legacy_multinomial, (Boolean(), NONE))
    n_classes = len(np.asarray(est.classes_))
    if flag and n_classes != 2:
        raise InputValueError(
            "`legacy_multinomial=True` describes a two-class model; `est` has "
            f"{n_classes} classes."
        )
    if flag is not None:
        return bool(flag)
    return n_classes == 2 and getattr(est, "multi_class", None) == "multinomial"


def _penalty_C(est: Any) -> float:
    """scikit-learn's ``C`` of an L2 (or no) penalty; other penalties are refused."""
    if hasattr(est, "C_"):  # LogisticRegressionCV: the chosen C, one per class
        values = np.unique(np.ravel(est.C_))
        if values.size != 1:
            raise InputValueError(
                f"`est` chose a different C per class ({values.tolist()}); softlogit's "
                "estimators have one C."
            )
        C = float(values[0])
        ratios = [r for r in np.ravel(getattr(est, "l1_ratio_", [])).tolist() if r]
        ratio = max(ratios) if ratios else None
    else:
        C, ratio = float(est.C), getattr(est, "l1_ratio", None)
    penalty = getattr(est, "penalty", "deprecated")
    if penalty in (None, "none"):
        return math.inf
    if penalty == "l2" or (penalty == "deprecated" and ratio in (None, 0, 0.0)):
        return C
    raise InputValueError(
        f"`est` has an L1 or elastic-net penalty (penalty={penalty!r}, l1_ratio="
        f"{ratio!r}); softlogit's estimators fit L2 penalties only. Its head "
        "converts exactly as data: softlogit.SigmoidHead(est.coef_[0], "
        "est.intercept_[0])."
    )


def _is_ovr(est: Any, n_classes: int) -> bool:
    multi = getattr(est, "multi_class", None)
    return n_classes > 2 and (
        multi == "ovr"
        or (multi in ("auto", "warn") and getattr(est, "solver", "") == "liblinear")
    )


def _coefficients(est: Any) -> tuple[np.ndarray, FloatArray, FloatArray]:
    classes = np.asarray(est.classes_)
    coef = np.asarray(est.coef_, dtype=np.float64)
    intercept = np.asarray(est.intercept_, dtype=np.float64).reshape(-1)
    rows = 1 if classes.size == 2 else classes.size
    if coef.ndim != 2 or coef.shape[0] != rows or intercept.shape != (rows,):
        raise InputValueError(
            f"`est` has {classes.size} classes but coef_ of shape {coef.shape} and "
            f"intercept_ of shape {intercept.shape}; expected ({rows}, n_features) "
            f"and ({rows},)."
        )
    if _is_ovr(est, classes.size):
        raise InputValueError(
            "`est` is a one-vs-rest model (multi_class='ovr' or liblinear): its "
            "probabilities are normalized sigmoids, not a softmax; refit it with "
            "the multinomial loss (solver='lbfgs')."
        )
    return classes, coef, intercept


def _fill(out: Any, est: Any, classes: np.ndarray, C: float) -> Any:
    """Copy the data-dependent fitted attributes of a scikit-learn model."""
    out.classes_ = classes.copy()
    out.n_features_in_ = int(est.n_features_in_)
    if hasattr(est, "feature_names_in_"):
        out.feature_names_in_ = np.asarray(est.feature_names_in_, dtype=object).copy()
    n_iter = np.asarray(getattr(est, "n_iter_", [0]))
    out.n_iter_ = np.array([int(n_iter.max()) if n_iter.size else 0], dtype=np.int32)
    out.solver_ = f"scikit-learn {est.solver}"
    out._inference_ = None
    return out


def _params(est: Any, C: float) -> dict[str, Any]:
    return {
        "C": C,
        "fit_intercept": bool(est.fit_intercept),
        "solver": _SOLVERS.get(str(est.solver), "auto"),
        "tol": float(est.tol),
        "max_iter": int(est.max_iter),
        "warm_start": bool(getattr(est, "warm_start", False)),
    }


def from_sklearn(
    est: Any,
    *,
    to: Literal["logistic", "softmax"] | None = None,
    gauge: Gauge = "centered",
    legacy_multinomial: bool | None = None,
) -> Any:
    """softlogit's equivalent of a fitted scikit-learn ``LogisticRegression``.

    Parameters
    ----------
    est : sklearn.linear_model.LogisticRegression
        A fitted model (``LogisticRegressionCV`` too), with an L2 penalty or none.
    to : {'logistic', 'softmax'}, optional
        The estimator to return: a :class:`~softlogit.LogisticRegression` (two
        classes) or a :class:`~softlogit.SoftmaxRegression`. Default: the model's own
        form (logistic for a binary model, softmax for three or more classes or an
        old binary "multinomial" model).
    gauge : {'centered', 'reference'}, default='centered'
        The gauge of a returned ``SoftmaxRegression`` (reference: the first class).
    legacy_multinomial : bool, optional
        Whether ``est`` is an old binary "multinomial" model (``coef_`` half the
        logistic coefficient; see the module notes). None: detected from
        ``multi_class == "multinomial"``.

    Returns
    -------
    LogisticRegression or SoftmaxRegression
        Fitted, with the same ``predict_proba``. A binary model becomes a softmax
        with rows ``[-w/2, w/2]`` (or ``[0, w]``) and ``C / 2``; an old binary
        multinomial one becomes the softmax ``[-coef_, coef_]`` with the same ``C``,
        or the logistic ``2 coef_`` with ``2 C`` (T7). No covariance is carried:
        ``summary()`` needs a fit.

    Raises
    ------
    InputTypeError
        If ``est`` is not a scikit-learn ``LogisticRegression``.
    InputValueError
        If ``est`` is not fitted, is one-vs-rest, has an L1 or elastic-net
        penalty, or a logistic model is asked for three or more classes.
    """
    from softlogit._estimators import LogisticRegression, SoftmaxRegression
    from softlogit._heads import SoftmaxHead, to_gauge

    _check_sklearn(est)
    target = check_param("to", to, (Options(("logistic", "softmax")), NONE))
    check_param("gauge", gauge, Options(("centered", "reference")))
    legacy = is_legacy_multinomial(est, legacy_multinomial)
    classes, coef, intercept = _coefficients(est)
    C = _penalty_C(est)
    binary_logistic = classes.size == 2 and not legacy
    target = target or ("logistic" if binary_logistic else "softmax")
    if target == "logistic" and classes.size > 2:
        raise InputValueError(
            f"`to='logistic'` needs a two-class model; `est` has {classes.size} "
            "classes."
        )
    if binary_logistic:
        logistic = LogisticRegression(**_params(est, C))
        _fill(logistic, est, classes, C)
        logistic.coef_, logistic.intercept_ = coef.copy(), intercept.copy()
        return logistic if target == "logistic" else logistic.to_softmax(gauge=gauge)
    if legacy:  # the stored row is the class-1 row of the centered softmax
        coef, intercept = (
            np.vstack([-coef, coef]),
            np.concatenate([-intercept, intercept]),
        )
    head = to_gauge(SoftmaxHead(coef, intercept), gauge, reference=0)
    softmax = SoftmaxRegression(
        **_params(est, C),
        gauge=gauge,
        reference_class=classes[0] if gauge == "reference" else None,
    )
    _fill(softmax, est, classes, C)
    softmax.coef_, softmax.intercept_ = np.array(head.weight), np.array(head.bias)
    return softmax if target == "softmax" else softmax.to_logistic()


def to_sklearn(est: Any) -> Any:
    """A fitted scikit-learn ``LogisticRegression`` equivalent to a softlogit model.

    Parameters
    ----------
    est : LogisticRegression or SoftmaxRegression
        A fitted softlogit estimator.

    Returns
    -------
    sklearn.linear_model.LogisticRegression
        With the same ``classes_``, ``predict_proba`` and ``C``. A two-class
        ``SoftmaxRegression`` becomes scikit-learn's binary (logistic) model,
        ``coef_ = W[1] - W[0]`` and ``C' = 2 C`` (T7): scikit-learn >= 1.8 cannot
        hold a two-row softmax. Three or more classes keep their rows, centered
        (scikit-learn's convention); the solver is ``'lbfgs'``.

    Raises
    ------
    InputTypeError
        If ``est`` is not a softlogit estimator.
    InputValueError
        If it is not fitted.
    """
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    if not is_softlogit_estimator(est):
        raise InputTypeError(
            "`est` must be a fitted softlogit LogisticRegression or "
            f"SoftmaxRegression; got {type(est).__name__}."
        )
    _fitted(est, "est")
    if type(est).__name__ == "SoftmaxRegression" and len(est.classes_) == 2:
        est = est.to_logistic()
    coef = np.array(est.coef_, dtype=np.float64)
    intercept = np.array(est.intercept_, dtype=np.float64).reshape(-1)
    if coef.shape[0] > 2:
        coef, intercept = coef - coef.mean(axis=0), intercept - intercept.mean()
    out = SkLogisticRegression(
        C=float(est.C),
        fit_intercept=bool(est.fit_intercept),
        tol=float(est.tol),
        max_iter=int(est.max_iter),
        warm_start=bool(est.warm_start),
    )
    out.classes_ = np.asarray(est.classes_).copy()
    out.coef_, out.intercept_ = coef, intercept
    out.n_features_in_ = int(est.n_features_in_)
    if hasattr(est, "feature_names_in_"):
        out.feature_names_in_ = np.asarray(est.feature_names_in_, dtype=object).copy()
    out.n_iter_ = np.asarray(getattr(est, "n_iter_", [0]), dtype=np.int32).copy()
    return out


# ------------------------------------------------------------- convert_head paths
def _legacy_proba(est: Any, X: FloatArray) -> FloatArray:
    """What scikit-learn < 1.8 predicted for an old binary multinomial model."""
    from softlogit._special import softmax

    d = X @ np.asarray(est.coef_, dtype=np.float64)[0] + float(
        np.ravel(est.intercept_)[0]
    )
    return softmax(np.stack([-d, d], axis=1), axis=1)


def _verify_estimators(
    result: HeadConversion, before: Any, after: Any, verify: Any, tol: float | None
) -> HeadConversion:
    # a DataFrame keeps its column names (the estimators check them)
    X = verify if hasattr(verify, "columns") else np.asarray(verify, np.float64)
    if is_sklearn_logistic(before) and is_legacy_multinomial(before):
        p_before = _legacy_proba(before, np.asarray(X, dtype=np.float64))
    else:
        p_before = before.predict_proba(X)
    return verified(result, p_before[:, 1], after.predict_proba(X)[:, 1], tol)


def _estimator_kind(est: Any) -> tuple[Kind, str]:
    """The head an estimator holds, and its description."""
    name = "scikit-learn " if is_sklearn_logistic(est) else ""
    shape = np.shape(est.coef_)
    legacy = is_sklearn_logistic(est) and is_legacy_multinomial(est)
    if type(est).__name__ == "SoftmaxRegression" or legacy:
        what = "old binary multinomial " if legacy else ""
        return "softmax", f"{name}{what}{type(est).__name__}, coef_ {shape}"
    if len(est.classes_) > 2:
        return "softmax", f"{name}{type(est).__name__}, coef_ {shape}"
    return "sigmoid", f"{name}{type(est).__name__}, coef_ {shape}"


def convert_estimator(est: Any, req: Request) -> HeadConversion:
    """Convert a softlogit or scikit-learn estimator between logistic and softmax."""
    _fitted(est, "model")
    kind, before = _estimator_kind(est)
    to, gauge, positive = req.to, req.gauge, req.positive
    if positive != 1:
        raise InputValueError(
            "`positive` must be 1 for an estimator: its classes_ order decides the "
            f"positive class (classes_[1]); got {positive}."
        )
    if kind == to:
        raise InputValueError(
            f"`model` ({before}) already is a {to} model; nothing to convert."
        )
    if len(est.classes_) != 2:
        raise InputValueError(
            f"`model` has {len(est.classes_)} classes; only two-class models have a "
            "sigmoid form."
        )
    if is_sklearn_logistic(est):
        soft = to == "softmax"
        new = from_sklearn(est, to="softmax" if soft else "logistic", gauge=gauge)
        new = new if soft else to_sklearn(new)
    else:
        new = est.to_softmax(gauge=gauge) if to == "softmax" else est.to_logistic()
    name = "scikit-learn " if is_sklearn_logistic(new) else ""
    after = f"{name}{type(new).__name__}, coef_ {np.shape(new.coef_)}"
    result = HeadConversion(new, "coef_", before, after, "float64")
    if req.verify is None:
        return result
    return _verify_estimators(result, est, new, req.verify, req.tol)


def convert_head_data(head: Any, req: Request) -> HeadConversion:
    """Convert a :class:`~softlogit.SigmoidHead` or a two-class ``SoftmaxHead``."""
    from softlogit._heads import SigmoidHead, SoftmaxHead

    if isinstance(head, SigmoidHead):
        weight, bias = head.weight[None, :], np.array([head.bias])
    elif head.n_classes != 2:
        raise InputValueError(
            f"`model` is a SoftmaxHead with {head.n_classes} classes; only two-class "
            "heads have a sigmoid form."
        )
    else:
        weight, bias = head.weight, head.bias
    kind: Kind = "sigmoid" if isinstance(head, SigmoidHead) else "softmax"
    desc = f"{type(head).__name__}, weight {head.weight.shape}"
    found = FoundHead("head", kind, "logits", weight, bias, "float64", desc)
    new_w, new_b = new_parameters(found, req)
    assert new_b is not None
    new = (
        SigmoidHead(new_w[0], float(new_b[0]))
        if req.to == "sigmoid"
        else SoftmaxHead(new_w, new_b)
    )
    after = f"{type(new).__name__}, weight {new.weight.shape}"
    result = HeadConversion(new, "head", desc, after, "float64")
    if req.verify is None:
        return result
    X = np.asarray(req.verify)

    def proba(h: SigmoidHead | SoftmaxHead) -> FloatArray:
        # a sigmoid head gives its class's probability in column 1
        column = 1 if isinstance(h, SigmoidHead) else req.positive
        return h.predict_proba(X)[:, column]

    return verified(result, proba(head), proba(new), req.tol)
