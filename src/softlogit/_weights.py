"""Sample and class weights: checked, combined and sufficient for a fit.

:func:`check_sample_weight` (the user's weights, or ones), :func:`class_weights`
(``class_weight`` as scikit-learn applies it) and :func:`check_weighted_classes`
(enough classes keep weight), under :mod:`softlogit._validation`'s rule for errors.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from softlogit._typing import FloatArray, IntArray
from softlogit._validation import Real, check_param
from softlogit.errors import InputTypeError, InputValueError

__all__ = ["check_sample_weight", "check_weighted_classes", "class_weights"]


def check_sample_weight(sample_weight: Any, n_samples: int) -> FloatArray:
    """Sample weights as a float64 array of ``n_samples`` (ones for None).

    A scalar is broadcast; weights must be finite and non-negative with a positive
    sum.

    Raises
    ------
    InputTypeError
        If the weights are not numeric.
    InputValueError
        For a wrong shape, a negative or non-finite weight, or all zeros.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number) and not isinstance(
        sample_weight, bool
    ):
        sw = np.full(n_samples, float(sample_weight))  # type: ignore[arg-type]
    else:
        raw = np.asarray(sample_weight)
        if raw.dtype.kind not in "biuf":
            raise InputTypeError(
                f"`sample_weight` must be numeric; got dtype {raw.dtype}."
            )
        if raw.shape != (n_samples,):
            raise InputValueError(
                f"`sample_weight` must have shape (n_samples,) = ({n_samples},); "
                f"got shape {raw.shape}."
            )
        sw = raw.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(sw) | (sw < 0))
    if bad.size:
        i = int(bad[0])
        raise InputValueError(
            "`sample_weight` must be finite and non-negative; got "
            f"{float(sw[i])!r} at row {i}."
        )
    if not np.any(sw > 0):
        raise InputValueError(
            "`sample_weight` must have a positive sum; got all zeros."
        )
    return sw


def class_weights(
    class_weight: object,
    classes: np.ndarray[Any, Any],
    y_encoded: IntArray,
    sample_weight: FloatArray,
) -> FloatArray:
    """The per-class weights of ``class_weight``, as scikit-learn applies them.

    ``None``: ones. ``"balanced"``: ``S / (n_classes * S_k)`` with ``S_k`` the total
    sample weight of class ``k`` and ``S`` of all (scikit-learn 1.9's
    ``compute_class_weight`` with ``sample_weight``; without weights, the counts).
    A dict maps labels to non-negative weights; classes it leaves out keep weight 1
    (a key that is not a class is an error, where scikit-learn ignores it when
    every class has a weight). The fit multiplies each sample's weight by its
    class's.

    Raises
    ------
    InputValueError
        For a key that is not a class of ``y`` or a weight that is not a finite
        non-negative number.
    InputTypeError
        For a weight that is not a real number.
    """
    n_classes = len(classes)
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str):  # "balanced" (checked by ESTIMATOR_PARAMS)
        totals = np.bincount(y_encoded, weights=sample_weight, minlength=n_classes)
        # A class without weight keeps 1 (it contributes nothing either way).
        safe = np.where(totals > 0, totals, 1.0)
        out: FloatArray = np.where(totals > 0, totals.sum() / (n_classes * safe), 1.0)
        return out
    assert isinstance(class_weight, Mapping)
    weights = np.ones(n_classes)
    labels = classes.tolist()
    for key, value in class_weight.items():
        if key not in labels:
            raise InputValueError(
                f"`class_weight` has the key {key!r}, which is not a class of `y` "
                f"(classes: {labels})."
            )
        weight = check_param(
            f"class_weight[{key!r}]",
            value,
            Real(0, None, text="a finite non-negative number"),
        )
        weights[labels.index(key)] = weight
    return weights


def check_weighted_classes(
    classes: np.ndarray[Any, Any],
    y_encoded: IntArray,
    sample_weight: FloatArray,
    *,
    every_class: bool,
) -> None:
    """Raise unless the weights leave at least two classes (``every_class``: all).

    A class of zero total weight contributes nothing to the loss: with one class
    left a classifier learns nothing, and a class without weight has no finite
    optimum for its intercept (or, unpenalized, its coefficients).

    Raises
    ------
    InputValueError
        Naming the classes and the weights.
    """
    totals = np.bincount(y_encoded, weights=sample_weight, minlength=len(classes))
    weighted = np.flatnonzero(totals > 0)
    if weighted.size < 2:
        rows = int(np.count_nonzero(sample_weight > 0))
        raise InputValueError(
            "`sample_weight` must give positive weight to at least two classes; "
            f"got positive weight on class {classes[weighted[0]].item()!r} only ({rows} "
            f"row{'s' if rows != 1 else ''} of positive weight). A classifier "
            "cannot train on a single class."
        )
    if every_class and weighted.size < len(classes):
        missing = classes[totals <= 0].tolist()
        raise InputValueError(
            f"`sample_weight` gives no weight to class(es) {missing} of `y`: their "
            "intercepts (and, without a penalty, coefficients) have no finite "
            "optimum. Drop their rows or give them positive weight."
        )
