"""``softlogit fit``'s checks of the data and its errors in the command line's words.

A feature column that numbers the rows gets a warning; the estimators' errors name
the options (``--C``, not ``C``); separation names the labels and the pairs of
classes a linear function separates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from softlogit.errors import CLIError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "check_two_classes",
    "fit_model",
    "standardize_in_memory",
    "unwrap",
    "warn_row_index",
]


def check_two_classes(y: pd.Series, target: str) -> None:
    """Refuse a target column with a single class."""
    if y.nunique() < 2:
        raise CLIError(
            f"target column {target!r} has a single class ({y.iloc[0]!r}); a "
            "classifier needs at least two."
        )


def warn_row_index(X: pd.DataFrame | Any) -> None:
    """Warn about feature columns that look like a row index (``id``: 0, 1, 2, ...).

    A column of distinct integers in increasing steps of one numbers the rows; as a
    feature it fits the order of the file, not the data. A sparse ``X`` (no
    columns) is not searched.
    """
    import numpy as np

    if not hasattr(X, "columns"):
        return

    for column in X.columns:
        values = X[column].to_numpy()
        if values.size < 3 or not np.all(values == np.round(values)):
            continue
        steps = np.diff(values)
        if np.all(steps == 1):
            click.echo(
                f"warning: feature column {column!r} looks like a row index "
                f"(the integers {values[0]:.0f} to {values[-1]:.0f} in order); it is "
                "used as a feature. Leave it out with --features.",
                err=True,
            )


# the estimators' parameter names and the options that set them
_FLAGS = {"C": "--C", "tol": "--tol", "max_iter": "--max-iter"}


def fit_model(model: Any, X: pd.DataFrame, y: pd.Series) -> None:
    """Fit ``model``; its errors name the options, separation names the labels."""
    import re

    from softlogit.errors import InputValueError, SeparationError

    try:
        model.fit(X, y.to_numpy())
    except SeparationError as exc:
        raise CLIError(_separation_message(exc, X, y)) from None
    except InputValueError as exc:
        text = re.sub(
            r"`(C|tol|max_iter)`", lambda m: f"`{_FLAGS[m.group(1)]}`", str(exc)
        )
        raise CLIError(text) from None


def _separation_message(exc: Any, X: pd.DataFrame, y: pd.Series) -> str:
    """Why the unpenalized fit failed, in the command line's words and labels."""
    import numpy as np

    labels = np.unique(y.to_numpy())
    involved = [str(labels[c]) for c in exc.classes if 0 <= c < labels.size]
    # the pairs are searched on a table's columns (not on a sparse X)
    pairs = (
        _separated_pairs(X.to_numpy(), y.to_numpy(), labels)
        if hasattr(X, "to_numpy")
        else []
    )
    which = (
        "separates the classes " + ", ".join(map(repr, involved))
        if exc.kind == "complete"
        else "separates some of the classes " + ", ".join(map(repr, involved))
    )
    detail = (
        " Separable pairs: " + "; ".join(f"{a!r} from {b!r}" for a, b in pairs) + "."
        if pairs
        else ""
    )
    return (
        f"the data are {exc.kind}ly separated: a linear function of the features "
        f"{which}, so the unpenalized fit (--C inf, the default) has no "
        f"maximum-likelihood estimate (the coefficients diverge).{detail} Fit with "
        "a penalty, e.g. --C 1, or leave out the separating features with "
        "--features."
    )


def _separated_pairs(
    X: np.ndarray[Any, Any], y: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]
) -> list[tuple[str, str]]:
    """The pairs of classes that a linear function separates (small problems).

    Each pair is checked on its own rows by the exact linear program of
    :func:`~softlogit.check_separation`; pairs too large for it are skipped.
    """
    import numpy as np

    from softlogit._separation import check_separation
    from softlogit.errors import SeparationError

    found: list[tuple[str, str]] = []
    if labels.size > 6:  # at most 15 pairs, each a program of at most a second
        return found
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            rows = (y == a) | (y == b)
            try:
                check_separation(X[rows], (y[rows] == b).astype(np.int64))
            except SeparationError:
                found.append((str(a), str(b)))
    return found


def unwrap(model: Any) -> Any:
    """The estimator of a ``StandardizedModel`` (``--standardize``), or ``model``."""
    return model.estimator_ if getattr(model, "scaling_", None) is not None else model


def standardize_in_memory(
    X: pd.DataFrame, standardize: bool, penalty: dict[str, Any]
) -> tuple[pd.DataFrame, Callable[[Any, Any], Any]]:
    """``--standardize`` on features in memory: the features to fit, and what
    turns the fitted estimator into the model to save (with its scaling) and marks
    what ``fit`` shows (its summary, the report of ``--path``) as referring to
    standardized features."""
    if not standardize:
        return X, lambda model, shown: model
    if penalty.get("cv") is not None:
        raise CLIError(
            "--standardize cannot be used with --cv: the scaling would be learned "
            "on the held-out folds too; standardize the features beforehand, or "
            "choose C by --cv without --standardize."
        )
    import dataclasses

    from softlogit._scaling import NOTE, Scaling
    from softlogit._standardized import StandardizedModel

    scaling = Scaling.fit(X)

    def wrap(model: Any, shown: Any) -> Any:
        if shown.text is not None:
            shown.text = f"note: {NOTE}.\n{shown.text}"
        if shown.summary is not None:
            shown.summary = dataclasses.replace(shown.summary, standardized=True)
        if model is None:  # --path: no model to save
            return None
        return StandardizedModel.from_fitted(model, scaling)

    return scaling.transform(X), wrap
