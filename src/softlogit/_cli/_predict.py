"""``softlogit predict``: class probabilities for the rows of a table.

One output row per input row: the identifier columns carried through (``--keep``; by
default every column that is not a feature, written exactly as they are in the file,
so that ``007`` stays ``007``), the probability of every class (``proba_<class>``)
and the predicted class; as CSV, or with ``--json`` as one JSON document. Globs,
Parquet and large files go through Dask (:mod:`softlogit._cli._bigdata`), partition
by partition with the same kept columns.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from softlogit._cli._bigdata import dask_options
from softlogit._cli._fit import _check_out, _prediction_columns
from softlogit._cli._npz import is_npz, predict_sparse, read_sparse
from softlogit._cli._table import numeric_features, read_csv
from softlogit.errors import CLIError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["kept_columns", "predict"]

_SETTINGS = {"help_option_names": ["-h", "--help"]}

#: the format of ``softlogit predict --json``
PREDICTIONS_FORMAT = "softlogit.predictions"


def kept_columns(
    columns: list[str], features: list[str], keep: str | None, outputs: list[str]
) -> list[str]:
    """The columns ``--keep`` carries into the predictions, in the file's order.

    Parameters
    ----------
    columns : list of str
        The columns of DATA.
    features : list of str
        The model's feature columns.
    keep : str or None
        ``--keep``: comma-separated names, ``none``, or None for the default (every
        column that is not a feature).
    outputs : list of str
        The columns the predictions add (``proba_<class>``, ``predicted``).

    Raises
    ------
    CLIError
        For a name that is not a column, a name given twice, or a kept column named
        like an output column.

    Examples
    --------
    >>> kept_columns(["id", "x", "y", "date"], ["x"], None, ["predicted"])
    ['id', 'y', 'date']
    >>> kept_columns(["id", "x", "date"], ["x"], "date,id", ["predicted"])
    ['date', 'id']
    >>> kept_columns(["id", "x"], ["x"], "none", ["predicted"])
    []
    """
    if keep is None:
        chosen = [c for c in columns if c not in features]
    elif keep.strip().lower() == "none":
        return []
    else:
        chosen = [n.strip() for n in keep.split(",") if n.strip()]
        absent = [n for n in chosen if n not in columns]
        if absent or not chosen:
            raise CLIError(
                f"--keep must name columns of DATA (or be 'none'); not found: {absent}."
            )
        if len(set(chosen)) != len(chosen):
            raise CLIError(f"--keep names a column twice: {keep!r}.")
    clash = [c for c in chosen if c in outputs]
    if clash:
        raise CLIError(
            f"DATA's column(s) {clash} would be kept under the name of a prediction "
            "column; rename them, or choose the kept columns with --keep (--keep none "
            "keeps none)."
        )
    return chosen


def _text_columns(path: str, names: list[str]) -> pd.DataFrame:
    """The columns ``names`` of the CSV file exactly as written (text, no parsing)."""
    import pandas as pd

    return pd.read_csv(
        path, usecols=names, dtype=str, keep_default_na=False, na_filter=False
    )[names]


def _json_document(
    model_path: str,
    result: pd.DataFrame,
    kept: list[str],
    classes: list[Any],
    caught: list[Any],
) -> str:
    """The predictions as one JSON document (``--json``)."""
    from softlogit._json import dumps, to_jsonable

    proba = [f"proba_{c}" for c in classes]
    rows = [
        {
            **{k: record[k] for k in kept},
            "proba": {str(c): record[p] for c, p in zip(classes, proba, strict=True)},
            "predicted": record["predicted"],
        }
        for record in result.to_dict(orient="records")
    ]
    doc = {
        "format": PREDICTIONS_FORMAT,
        "format_version": 1,
        "model": model_path,
        "classes": classes,
        "kept": kept,
        "n_rows": len(rows),
        "rows": rows,
        "warnings": [str(w.message) for w in caught],
    }
    return dumps(to_jsonable(doc))


@click.command("predict", context_settings=_SETTINGS)
@click.argument("model_path", metavar="MODEL.json")
@click.argument("data", metavar="DATA")
@click.option(
    "--out",
    default=None,
    metavar="PRED.csv|DIR",
    help="Write the predictions there (default: standard output); through Dask, a "
    "path not ending in .csv is a directory of one CSV file per partition (with "
    "--json, always one file).",
)
@click.option("--force", is_flag=True, help="Overwrite PRED.csv if it exists.")
@click.option(
    "--keep",
    default=None,
    metavar="COL,COL,...|none",
    help="Columns of DATA to carry into the predictions, written as in the file, so "
    "that predictions join back to their rows (default: every column that is not "
    "a feature; 'none': only the predictions).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Write one JSON document (the kept columns, the probabilities and the "
    "predicted class of every row, and any warnings) instead of CSV.",
)
@dask_options
def predict(
    model_path: str,
    data: str,
    out: str | None,
    force: bool,
    keep: str | None,
    as_json: bool,
    scheduler: str | None,
    connect_timeout: float,
    memory_fraction: float,
) -> int:
    """Write class probabilities (proba_<class>) and the predicted class.

    The feature columns are found by the names the model was fitted with; the other
    columns (identifiers, dates, the target) are carried through unchanged (see
    --keep). DATA as for fit: globs, Parquet and large files are predicted partition
    by partition through Dask, each partition with its kept columns; --json there
    needs data within --memory-fraction of the memory (one JSON document is read
    whole). A scipy.sparse DATA.npz (scipy.sparse.save_npz) is read sparse, its
    columns taken by position as the model's features; the output has one row per
    row.
    """
    from softlogit._cli import _bigdata
    from softlogit._io import atomic_write_text
    from softlogit._persistence import load_model

    dask_route = _bigdata.wants_dask(data, scheduler, memory_fraction)
    if not dask_route or as_json:
        _check_out(out, force, "--out")
    if not Path(model_path).is_file():
        raise CLIError(f"MODEL {model_path!r} does not exist.")
    model = load_model(model_path)
    classes = model.classes_.tolist()
    if dask_route:
        where = {"scheduler": scheduler, "timeout": connect_timeout}
        where["fraction"] = memory_fraction
        if not as_json:
            return _bigdata.predict_dask(model, data, out, force, where, keep)
        result, kept, caught = _bigdata.predictions_in_memory(model, data, keep, where)
    elif is_npz(data):
        result, kept, caught = _predict_npz(model, data, keep)
    else:
        result, kept, caught = _predict_in_memory(model, data, keep)
    if as_json:
        text = _json_document(model_path, result, kept, classes, caught)
    else:
        for w in caught:
            click.echo(f"warning: {w.message}", err=True)
        text = result.to_csv(index=False)
    if out is None:
        click.echo(text, nl=False)
    else:
        atomic_write_text(out, text, force=force, name="--out")
        click.echo(f"wrote {len(result)} predictions to {out!r}", err=True)
    return 0


def _predict_npz(
    model: Any, data: str, keep: str | None
) -> tuple[pd.DataFrame, list[str], list[Any]]:
    """The predictions of the sparse matrix in ``data`` (no columns to keep) and
    the warnings."""
    import pandas as pd

    if keep not in (None, "none"):
        raise CLIError("--keep names columns of a CSV DATA; a .npz DATA has none.")
    X = read_sparse(data)
    proba, labels, caught = predict_sparse(model, X)
    result = pd.DataFrame(index=pd.RangeIndex(X.shape[0]))
    return _with_predictions(result, model, proba, labels), [], caught


def _with_predictions(
    result: pd.DataFrame, model: Any, proba: Any, labels: Any
) -> pd.DataFrame:
    """``result`` (the kept columns) with ``proba_<class>`` and ``predicted``."""
    for k, c in enumerate(model.classes_.tolist()):
        result[f"proba_{c}"] = proba[:, k]
    result["predicted"] = labels
    return result


def _predict_in_memory(
    model: Any, data: str, keep: str | None
) -> tuple[pd.DataFrame, list[str], list[Any]]:
    """The predictions of the CSV file ``data`` read into memory, the kept
    columns and the warnings."""
    import pandas as pd

    frame = read_csv(data, "DATA")
    names = _prediction_columns(model, list(frame.columns), data)
    features = [str(c) for c in frame.columns] if names is None else names
    classes = model.classes_.tolist()
    outputs = [f"proba_{c}" for c in classes] + ["predicted"]
    kept = kept_columns([str(c) for c in frame.columns], features, keep, outputs)
    X = numeric_features(frame if names is None else frame[names], data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proba = model.predict_proba(X if names is not None else X.to_numpy())
        labels = model.predict(X if names is not None else X.to_numpy())
    result = _text_columns(data, kept) if kept else pd.DataFrame(index=frame.index)
    return _with_predictions(result, model, proba, labels), kept, caught
