"""The penalty options of ``softlogit fit``: ``--l1-ratio``, ``--class-weight``,
``--cv`` (cross-validated ``C``) and ``--path`` (the regularization path and its
plot)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from softlogit.errors import CLIError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "check_penalty_options",
    "cross_validate",
    "cv_report",
    "no_penalty_on_dask",
    "parse_class_weight",
    "penalty_options",
    "run_path",
    "set_penalty",
]


_PENALTY_OPTIONS = [
    click.option(
        "--l1-ratio",
        default=None,
        type=float,
        metavar="R",
        help="Elastic-net mixing in [0, 1] (scikit-learn's l1_ratio): 0 L2, 1 L1 "
        "(lasso); needs a finite --C, --cv or --path. Default 0.",
    ),
    click.option(
        "--class-weight",
        default=None,
        metavar="balanced|JSON",
        help="'balanced', or class weights as a JSON object: '{\"cat\": 2.0}'.",
    ),
    click.option(
        "--cv",
        default=None,
        type=int,
        metavar="K",
        help="Choose C by K-fold cross-validation (prints the CV curve).",
    ),
    click.option(
        "--Cs",
        "n_grid",
        default=None,
        type=click.IntRange(min=1),
        metavar="N",
        help="Number of values of C for --cv (default 10, 1e-4..1e4) or --path "
        "(default 50, from the all-zero C up by 1e4).",
    ),
    click.option(
        "--scoring",
        default="accuracy",
        show_default=True,
        metavar="NAME",
        help="The score of --cv (a scikit-learn scorer name, e.g. neg_log_loss).",
    ),
    click.option(
        "--path",
        "path_",
        is_flag=True,
        help="Fit the regularization path (warm-started, glmnet's grid) and print it.",
    ),
    click.option(
        "--plot",
        default=None,
        metavar="PATH.png",
        help="With --path: plot the coefficients along the path (.png, .svg, .pdf).",
    ),
]


def penalty_options(func: Any) -> Any:
    """The click options of the penalties, applied to ``softlogit fit``."""
    for option in reversed(_PENALTY_OPTIONS):
        func = option(func)
    return func


def check_penalty_options(
    C_text: str,
    out: str | None,
    *,
    l1_ratio: float | None,
    cv: int | None,
    path_: bool,
    plot: str | None,
    **_: Any,
) -> None:
    """Refuse combinations of options that mean nothing, before any work."""
    from softlogit._validation import ESTIMATOR_PARAMS, check_param
    from softlogit.errors import InputTypeError, InputValueError

    if l1_ratio is not None:
        try:
            check_param("l1_ratio", l1_ratio, ESTIMATOR_PARAMS["l1_ratio"])
        except (InputValueError, InputTypeError):
            raise CLIError(
                f"--l1-ratio must be a number in [0, 1]; got {l1_ratio!r}."
            ) from None
        if l1_ratio > 0 and C_text == "inf" and cv is None and not path_:
            raise CLIError(
                "--l1-ratio needs a finite --C (or --cv, or --path): without a "
                "penalty there is no L1 term."
            )
    if cv is not None and cv < 2:
        raise CLIError(f"--cv must be an integer >= 2 (folds); got {cv!r}.")
    if (cv is not None or path_) and C_text != "inf":
        raise CLIError("--C is chosen by --cv / spanned by --path; do not pass both.")
    if cv is not None and path_:
        raise CLIError("--cv and --path exclude each other.")
    if plot is not None and not path_:
        raise CLIError("--plot draws the path of --path; pass --path too.")
    if path_ and out is not None:
        raise CLIError("--path fits many models; --out saves one (use --cv or --C).")


def parse_class_weight(text: str | None, classes: np.ndarray[Any, Any]) -> Any:
    """``'balanced'``, or a JSON object ``{"label": weight}`` (labels as text)."""
    if text is None or text == "balanced":
        return text
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, dict) or not raw:
        raise CLIError(
            "--class-weight must be 'balanced' or a JSON object of class: weight "
            f"(for example '{{\"cat\": 2}}'); got {text!r}."
        )
    by_text = {str(label): label for label in classes.tolist()}
    out = {}
    for key, weight in raw.items():
        if key not in by_text:
            shown = ", ".join(by_text)
            raise CLIError(
                f"--class-weight names {key!r}, which is not a class ({shown})."
            )
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise CLIError(
                f"--class-weight: the weight of {key!r} must be a number; got "
                f"{weight!r}."
            )
        out[by_text[key]] = float(weight)
    return out


def _is_logistic(model: Any) -> bool:
    from softlogit._estimators import LogisticRegression

    return isinstance(model, LogisticRegression)


def cross_validate(
    model: Any,
    X: pd.DataFrame,
    y: np.ndarray[Any, Any],
    folds: int,
    n_grid: int | None,
    scoring: str,
) -> Any:
    """``model``'s CV estimator (same parameters, its ``l1_ratio``), fitted."""
    from softlogit._cv import LogisticRegressionCV, SoftmaxRegressionCV

    cls = LogisticRegressionCV if _is_logistic(model) else SoftmaxRegressionCV
    params = model.get_params(deep=False)
    keep = set(cls().get_params(deep=False))
    search = cls(
        Cs=n_grid or 10,
        l1_ratios=[params["l1_ratio"]],
        cv=folds,
        scoring=scoring,
        **{k: v for k, v in params.items() if k in keep},
    )
    return search.fit(X, y)


def cv_report(cv: Any, scoring: str) -> str:
    """The chosen ``C`` and the CV curve: mean and standard deviation by ``C``."""
    scores = cv.scores_[:, 0, :]
    lines = [
        f"cross-validation ({scores.shape[0]} folds, scoring {scoring}, "
        f"l1_ratio {cv.l1_ratio_:g}): chosen C = {cv.C_:.6g}",
        f"{'C':>12}  {'mean':>12}  {'std':>10}",
    ]
    for i, C in enumerate(cv.Cs_):
        mark = "  <- chosen" if C == cv.C_ else ""
        column = scores[:, i]
        lines.append(f"{C:12.4g}  {column.mean():12.6g}  {column.std():10.3g}{mark}")
    return "\n".join(lines) + "\n"


def run_path(
    model: Any,
    X: pd.DataFrame,
    y: np.ndarray[Any, Any],
    n_grid: int | None,
    l1_ratio: float,
    plot: str | None,
    force: bool,
    names: list[str] | None = None,
) -> str:
    """Fit the regularization path; the table of ``C`` and nonzero weights (and
    the plot, written atomically). ``names``: the features of a sparse ``X``."""
    import numpy as np

    from softlogit._path import regularization_path

    params = {
        k: v
        for k, v in model.get_params(deep=False).items()
        if k not in ("C", "l1_ratio", "warm_start")
    }
    kind: Literal["logistic", "softmax"] = (
        "logistic" if _is_logistic(model) else "softmax"
    )
    path = regularization_path(
        X, y, Cs=n_grid or 50, l1_ratio=l1_ratio, model=kind, **params
    )
    lines = [
        f"regularization path ({kind}, l1_ratio {l1_ratio:g}, {path.Cs.size} values "
        "of C, warm-started)",
        f"{'C':>12}  {'nonzero':>8}  {'iterations':>10}",
    ]
    for C, coef, n_iter in zip(path.Cs, path.coefs, path.n_iter, strict=True):
        lines.append(f"{C:12.4g}  {int(np.count_nonzero(coef)):8d}  {n_iter:10d}")
    if plot is not None:
        columns = names if names is not None else [str(c) for c in X.columns]
        _save_plot(path, columns, plot, force)
    return "\n".join(lines) + "\n"


def _save_plot(path: Any, names: list[str], target: str, force: bool) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    from softlogit._io import atomic_write_bytes

    suffix = Path(target).suffix.lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise CLIError(f"--plot must end in .png, .svg or .pdf; got {target!r}.")
    fig = Figure(figsize=(7, 4.5))
    path.plot(ax=fig.subplots(), feature_names=names)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix)
    atomic_write_bytes(target, buffer.getvalue(), force=force, name="--plot")
    click.echo(f"wrote the path plot to {target!r}", err=True)


def set_penalty(model: Any, penalty: dict[str, Any], y: Any) -> None:
    """Set ``l1_ratio`` and ``class_weight`` (labels parsed against ``y``)."""
    import numpy as np

    model.set_params(
        l1_ratio=penalty["l1_ratio"] or 0.0,
        class_weight=parse_class_weight(
            penalty["class_weight"], np.unique(y.to_numpy())
        ),
    )


def no_penalty_on_dask(penalty: dict[str, Any]) -> None:
    """Refuse the penalty options that Dask data do not support."""
    given = [
        flag
        for flag, key in (
            ("--l1-ratio", "l1_ratio"),
            ("--class-weight", "class_weight"),
            ("--cv", "cv"),
            ("--path", "path_"),
        )
        if penalty.get(key)
    ]
    if given:
        raise CLIError(
            f"{', '.join(given)} cannot be used on data fitted through Dask (globs, "
            "Parquet, --scheduler or large files); fit an L2 model there, or load "
            "the data in memory."
        )
