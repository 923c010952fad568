"""``softlogit fit`` and ``softlogit predict``: models from and for CSV files.

``fit`` reads a CSV file, fits a :class:`~softlogit.SoftmaxRegression` or
:class:`~softlogit.LogisticRegression` on all columns but the target, prints the
summary (coefficients with standard errors for an unpenalized fit, coefficients only
for a penalized one) and saves the model as JSON. ``predict`` loads such a model and
writes one row per input row: the probability of every class (``proba_<class>``) and
the predicted class. Every output file is written atomically and never replaces an
existing file without ``--force``. Globs, Parquet files, data larger than memory and
``--scheduler`` go through Dask (:mod:`softlogit._cli._bigdata`). With
``--standardize`` the model is a :class:`~softlogit.StandardizedModel`: the estimator
fitted on standardized features, saved with its scaling.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from softlogit._cli._bigdata import dask_options, fit_dask, wants_dask
from softlogit._cli._fit_checks import (
    fit_model,
    standardize_in_memory,
    unwrap,
    warn_row_index,
)
from softlogit._cli._fit_penalties import (
    check_penalty_options,
    cross_validate,
    cv_report,
    no_penalty_on_dask,
    penalty_options,
    run_path,
    set_penalty,
)
from softlogit._cli._npz import (
    check_data_options,
    is_npz,
    labels_option,
    name_features,
    read_npz,
)
from softlogit._cli._table import (
    read_table,
)
from softlogit.errors import CLIError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["fit"]

_SETTINGS = {"help_option_names": ["-h", "--help"]}


# The options that set a checked parameter, and the parameter's name.
_OPTIONS = {
    "C": "--C",
    "tol": "--tol",
    "max_iter": "--max-iter",
    "alpha": "--alpha",
}


def _check_option(param: str, value: object, typed: str) -> Any:
    """Check an option's value against the parameter's constraint (the same table
    as the estimators' and ``summary()``'s); the message names the option."""
    from softlogit._validation import ALPHA, ESTIMATOR_PARAMS, check_param, describe
    from softlogit.errors import InputTypeError, InputValueError

    constraint = ALPHA if param == "alpha" else ESTIMATOR_PARAMS[param]
    try:
        return check_param(param, value, constraint)
    except (InputValueError, InputTypeError):
        # The command line spells infinity 'inf'.
        expected = describe(constraint).replace("np.inf", "'inf'")
        raise CLIError(
            f"{_OPTIONS[param]} must be {expected}; got {typed!r}."
        ) from None


def _parse_C(value: str) -> float:
    try:
        C: object = float(value)
    except ValueError:
        C = value  # not a number: refused below, naming the text given
    return float(_check_option("C", C, value))


def _parse_label(value: str, classes: np.ndarray[Any, Any]) -> object:
    """Convert the text of --reference to a label of ``classes``' type."""
    for label in classes.tolist():
        if str(label) == value:
            return label
    shown = ", ".join(str(c) for c in classes.tolist())
    raise CLIError(f"--reference must be one of the classes ({shown}); got {value!r}.")


def _check_out(out: str | None, force: bool, option: str) -> None:
    """Fail before any work if ``out`` cannot be written."""
    if out is None:
        return
    target = Path(out)
    if target.exists() and not force:
        raise CLIError(
            f"{option} {out!r} already exists; pass --force to overwrite it."
        )
    if target.exists() and target.is_dir():
        raise CLIError(f"{option} {out!r} is a directory.")
    if not target.parent.exists():
        raise CLIError(
            f"{option} {out!r}: directory {str(target.parent)!r} does not exist."
        )


def _width() -> int:
    return max(80, min(140, shutil.get_terminal_size((100, 24)).columns))


def _coefficient_text(model: Any, title: str, *, standardized: bool = False) -> str:
    """A rich table of the coefficients (penalized fits have no standard errors)."""
    import numpy as np
    from rich.table import Table
    from rich.text import Text

    from softlogit._scaling import NOTE
    from softlogit._summary import render_text

    # names and labels are Text, never markup ("dose[mg]" prints as written)
    table = Table(
        title=Text(title),
        caption="penalized fit: coefficients only (standard errors need --C inf)",
        caption_justify="left",
    )
    names = (["intercept"] if model.fit_intercept else []) + [
        str(n) for n in model.feature_names_in_
    ]
    coef = np.asarray(model.coef_)
    intercept = np.asarray(model.intercept_)
    rows = [model.classes_[1]] if coef.shape[0] == 1 else list(model.classes_.tolist())
    table.add_column("term")
    for label in rows:
        table.add_column(Text(str(label)), justify="right")
    for t, name in enumerate(names):
        values = intercept if (model.fit_intercept and t == 0) else None
        col = t - int(bool(model.fit_intercept))
        cells = [
            f"{(values[e] if values is not None else coef[e, col]):.6g}"
            for e in range(coef.shape[0])
        ]
        table.add_row(Text(name), *cells)
    return render_text(table, _width()) + (f"note: {NOTE}.\n" if standardized else "")


# ----------------------------------------------------------------------------- fit
_TARGET_HELP = (
    "The class column (required for a CSV DATA; with a .npz DATA, the column of a "
    "--labels CSV file)."
)
_TARGET_OPTION = click.option(
    "--target", default=None, metavar="COL", help=_TARGET_HELP
)
_JSON_OPTION = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the fit as one JSON document (coefficients, summary, convergence, "
    "warnings) instead of the table.",
)
_STANDARDIZE_OPTION = click.option(
    "--standardize",
    is_flag=True,
    help="Standardize every feature before the fit (mean 0, standard deviation 1 "
    "on DATA): the coefficients refer to the standardized features, and the "
    "scaling is saved in the model file and applied by predict.",
)


@click.command("fit", context_settings=_SETTINGS)
@click.argument("data", metavar="DATA")
@_TARGET_OPTION
@labels_option
@click.option(
    "--features",
    default=None,
    metavar="COL,COL,...",
    help="The feature columns (comma-separated); default: every column but --target.",
)
@click.option(
    "--model",
    "kind",
    type=click.Choice(["softmax", "logistic"]),
    default="softmax",
    show_default=True,
    help="SoftmaxRegression (any number of classes) or LogisticRegression (two).",
)
@click.option(
    "--C",
    "C_text",
    default="inf",
    show_default=True,
    metavar="FLOAT|inf",
    help="Inverse L2 strength (scikit-learn's C); 'inf' fits the unpenalized MLE "
    "and prints standard errors.",
)
@click.option(
    "--gauge",
    type=click.Choice(["centered", "reference", "none"]),
    default=None,
    help="Softmax only: how the coefficients are identified (default centered, or "
    "reference when --reference is given).",
)
@click.option(
    "--reference",
    default=None,
    metavar="CLASS",
    help="Softmax only: the reference class of --gauge reference (default: first).",
)
@click.option("--no-intercept", is_flag=True, help="Fit without an intercept.")
@_STANDARDIZE_OPTION
@click.option(
    "--alpha",
    default=0.05,
    show_default=True,
    type=float,
    help="Confidence intervals have level 1 - alpha.",
)
@click.option(
    "--tol",
    default=1e-8,
    show_default=True,
    type=float,
    help="Convergence tolerance, the estimators' tol (tighter than their default, "
    "so that a penalized fit's printed digits are converged; an unpenalized fit is "
    "finished to machine precision whatever the tol).",
)
@click.option(
    "--max-iter",
    default=1000,
    show_default=True,
    type=int,
    help="Maximal number of solver iterations.",
)
@penalty_options
@click.option(
    "--out", default=None, metavar="MODEL.json", help="Save the model (JSON) there."
)
@click.option("--force", is_flag=True, help="Overwrite MODEL.json if it exists.")
@_JSON_OPTION
@dask_options
def fit(
    data: str,
    target: str | None,
    labels: str | None,
    features: str | None,
    kind: str,
    C_text: str,
    gauge: str | None,
    reference: str | None,
    no_intercept: bool,
    standardize: bool,
    alpha: float,
    tol: float,
    max_iter: int,
    out: str | None,
    force: bool,
    as_json: bool,
    scheduler: str | None,
    connect_timeout: float,
    memory_fraction: float,
    **penalty: Any,
) -> int:
    """Fit a softmax or logistic regression on DATA and print its summary.

    DATA is a CSV file, a Parquet file or directory, or a quoted glob of them
    ('data/*.parquet'). The features (every column but --target, or those of
    --features) must be numeric. With the default
    --C inf the fit is the unpenalized maximum-likelihood estimate; it does not exist
    on separable data, which are reported with advice to use a finite --C.

    Globs, Parquet, --scheduler and data larger than --memory-fraction of the
    memory are fitted out of core through Dask, on a local cluster when larger,
    with every pass over the data shown on stderr.

    --l1-ratio adds an L1 term (sparse coefficients), --cv chooses C by
    cross-validation and --path prints (and --plot draws) the regularization path.

    --standardize fits on standardized features (every feature minus its mean,
    divided by its standard deviation on DATA): the coefficients refer to them,
    and the model file keeps the scaling, which predict applies.

    A sparse X is read from a DATA.npz written by scipy.sparse.save_npz (never
    densified); such a file holds X only, so the labels come from --labels, and
    the features are named x0, x1, ... or by --features a,b,... (one name per
    column).
    """
    check_penalty_options(C_text, out, **penalty)
    C = _parse_C(C_text)
    _check_fit_options(kind, alpha, tol, max_iter, gauge, reference)
    _check_io(data, target, labels, scheduler, out, penalty["plot"], force)
    if is_npz(data):
        X, y, penalty["names"] = read_npz(data, labels, target, features, C, penalty)
    elif wants_dask(data, scheduler, memory_fraction):
        no_penalty_on_dask(penalty)
        options = {"kind": kind, "C": C, "gauge": gauge, "reference": reference}
        options.update(fit_intercept=not no_intercept, tol=tol, max_iter=max_iter)
        where = {"scheduler": scheduler, "timeout": connect_timeout}
        where.update(fraction=memory_fraction, standardize=standardize)
        model, caught = fit_dask(data, str(target), features, options, where)
        return _print_and_save(model, _Shown(C, alpha, as_json), caught, out, force)
    else:
        X, y = read_table(data, str(target), features)
    model = _model(
        kind, y, str(y.name), C, gauge, reference, not no_intercept, tol, max_iter
    )
    set_penalty(model, penalty, y)
    warn_row_index(X)
    X, wrap = standardize_in_memory(X, standardize, penalty)
    args = (model, X, y, C, alpha, as_json, force, penalty)
    model, shown, caught = _recording(_fit_and_show, *args)
    model = wrap(model, shown)
    return _print_and_save(model, shown, caught, out, force)


def _recording(
    fit: Callable[..., tuple[Any, _Shown]], *args: Any
) -> tuple[Any, _Shown, list[Any]]:
    """``fit(*args)`` and the warnings it raised (recorded, to be shown once)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, shown = fit(*args)
    return model, shown, caught


def _check_io(
    data: str,
    target: str | None,
    labels: str | None,
    scheduler: str | None,
    out: str | None,
    plot: str | None,
    force: bool,
) -> None:
    """Fail before any work on inconsistent data options, or if ``--out`` or
    ``--plot`` cannot be written."""
    check_data_options(data, target, labels, scheduler)
    _check_out(out, force, "--out")
    _check_out(plot, force, "--plot")


def _fit_and_show(
    model: Any,
    X: pd.DataFrame,
    y: pd.Series,
    C: float,
    alpha: float,
    as_json: bool,
    force: bool,
    penalty: dict[str, Any],
) -> tuple[Any, _Shown]:
    """Fit (or run the path, or cross-validate): the model to save and what to show."""
    n_grid, scoring, cv = penalty["n_grid"], penalty["scoring"], penalty["cv"]
    l1_ratio = penalty["l1_ratio"] or 0.0
    names = penalty.get("names")  # a sparse X's feature names
    if penalty["path_"]:
        if as_json:
            raise CLIError("--json describes one fit; --path fits many: drop one.")
        text = run_path(
            model, X, y.to_numpy(), n_grid, l1_ratio, penalty["plot"], force, names
        )
        return None, _Shown(C, alpha, as_json, text=text)
    if cv is not None:
        searched = cross_validate(model, X, y.to_numpy(), cv, n_grid, scoring)
        best = searched.estimator_
        if names is not None:
            name_features(best, names)
        text = cv_report(searched, scoring) + _report(best, searched.C_, alpha)
        return best, _Shown(searched.C_, alpha, as_json, text=text)
    fit_model(model, X, y)
    if names is not None:
        name_features(model, names)
    return model, _Shown(C, alpha, as_json, _summary_of(model, C, alpha))


def _check_fit_options(
    kind: str,
    alpha: float,
    tol: float,
    max_iter: int,
    gauge: str | None,
    reference: str | None,
) -> None:
    """The options of ``fit`` that click does not check by itself."""
    _check_option("alpha", alpha, str(alpha))
    _check_option("tol", tol, str(tol))
    _check_option("max_iter", max_iter, str(max_iter))
    if max_iter < 1:
        raise CLIError(f"--max-iter must be at least 1; got {max_iter!r}.")
    if kind == "logistic" and (gauge is not None or reference is not None):
        raise CLIError("--gauge and --reference apply to --model softmax only.")
    if reference is not None and gauge not in (None, "reference"):
        raise CLIError(f"--reference needs --gauge reference; got --gauge {gauge}.")


def _prediction_columns(model: Any, columns: list[Any], data: str) -> list[str] | None:
    """The columns of DATA that ``predict`` uses: those named at fit time, or None
    (every column) for a model fitted without names, if their number is right."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        if len(columns) != model.n_features_in_:
            raise CLIError(
                f"{data!r} has {len(columns)} columns; the model expects "
                f"{model.n_features_in_} features."
            )
        return None
    wanted = [str(n) for n in names]
    absent = [n for n in wanted if n not in columns]
    if absent:
        raise CLIError(
            f"{data!r} lacks the feature column(s) {absent} the model was fitted with."
        )
    return wanted


@dataclasses.dataclass
class _Shown:
    """What ``fit`` prints: the table (or --json) of a fit with this C and alpha."""

    C: float
    alpha: float
    as_json: bool
    summary: Any = None
    text: str | None = None  # a report made already (--path, --cv)


def _print_and_save(
    model: Any, shown: _Shown, caught: list[Any], out: str | None, force: bool
) -> int:
    """Print the fit's warnings and report (or its JSON); save the model to ``out``
    (none for ``--path``, which fits no one model)."""
    saved = None
    if out is not None and model is not None:
        from softlogit._persistence import save_model

        saved = str(save_model(model, out, force=force, name="--out"))
    if shown.as_json:
        from softlogit._cli._fit_json import fit_document
        from softlogit._json import dumps

        summary = shown.summary
        if summary is None and math.isinf(shown.C):
            summary = _summary_of(model, shown.C, shown.alpha)
        click.echo(dumps(fit_document(model, summary, caught, saved)), nl=False)
        return 0
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    text = shown.text
    if text is None:
        text = _report(model, shown.C, shown.alpha, shown.summary)
    click.echo(text, nl=False)
    if saved is not None:
        click.echo(f"saved {type(model).__name__} to {saved!r}", err=True)
    return 0


def _model(
    kind: str,
    y: pd.Series,
    target: str,
    C: float,
    gauge: str | None,
    reference: str | None,
    fit_intercept: bool,
    tol: float,
    max_iter: int,
) -> Any:
    """The unfitted estimator the options describe."""
    from softlogit._estimators import LogisticRegression, SoftmaxRegression

    common: dict[str, Any] = {
        "C": C,
        "fit_intercept": fit_intercept,
        "tol": tol,
        "max_iter": max_iter,
    }
    if kind == "logistic":
        n_classes = y.nunique()
        if n_classes != 2:
            raise CLIError(
                f"--model logistic needs exactly 2 classes; {target!r} has "
                f"{n_classes}: use --model softmax."
            )
        return LogisticRegression(**common)
    import numpy as np

    ref_label = (
        None if reference is None else _parse_label(reference, np.unique(y.to_numpy()))
    )
    return SoftmaxRegression(
        **common,
        gauge=gauge or ("reference" if reference is not None else "centered"),  # type: ignore[arg-type]
        reference_class=ref_label,
    )


def _summary_of(model: Any, C: float, alpha: float) -> Any:
    """The summary of an unpenalized fit (in the centered gauge for gauge 'none'),
    or None for a penalized one."""
    if not math.isinf(C):
        return None
    raw = getattr(unwrap(model), "gauge", None) == "none"
    return model.summary(alpha=alpha, gauge="centered" if raw else None)


def _report(model: Any, C: float, alpha: float, summary: Any = None) -> str:
    """The summary of an unpenalized fit, the coefficient table of a penalized one."""
    if not math.isinf(C):
        standardized = getattr(model, "scaling_", None) is not None
        model = unwrap(model)
        title = (
            f"{type(model).__name__}, C={C:.6g}"
            + (f", l1_ratio={model.l1_ratio:g}" if model.l1_ratio else "")
            + (f", gauge {model.gauge}" if hasattr(model, "gauge") else "")
        )
        return _coefficient_text(model, title, standardized=standardized)
    raw = getattr(unwrap(model), "gauge", None) == "none"
    note = (
        "note: gauge 'none' is not identified; the table shows the centered gauge.\n"
        if raw
        else ""
    )
    if summary is None:
        summary = _summary_of(model, C, alpha)
    return note + str(summary.to_text(width=_width()))
