"""Sparse input of ``softlogit fit`` and ``predict``: a ``scipy.sparse`` ``.npz`` file.

``DATA.npz`` is a file written by :func:`scipy.sparse.save_npz`: it holds ``X``
only, never densified here (the estimators fit it through sparse products). The
labels come from their own file, ``--labels``: ``.npy`` (a 1-D array, no pickles),
``.csv`` (one column with a header, or the column ``--target`` names) or ``.txt``
(one label per line). This is the layout of scikit-learn's and SciPy's own
savers (``save_npz`` stores one matrix) and of the svmlight and libsvm formats'
users who keep the labels apart; a dense ``np.savez`` archive of ``X`` and ``y``
would need a naming convention of its own and cannot hold a sparse ``X``.
The features are named ``x0 .. x{d-1}``, or by ``--features a,b,...`` (``d``
names); ``predict`` takes an ``.npz`` file's columns by position.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from softlogit._cli._fit_checks import check_two_classes
from softlogit.errors import CLIError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "check_data_options",
    "is_npz",
    "labels_option",
    "name_features",
    "predict_sparse",
    "read_labels",
    "read_npz",
    "read_sparse",
    "sparse_names",
]

#: ``fit --labels``
labels_option = click.option(
    "--labels",
    default=None,
    metavar="Y.npy|Y.csv|Y.txt",
    help="With a scipy.sparse DATA.npz (which holds X only): the labels, one per "
    "row, as .npy, .csv (one column with a header, or the --target column) or .txt "
    "(one per line).",
)

_LABEL_SUFFIXES = (".npy", ".csv", ".txt")


def is_npz(path: str) -> bool:
    """Whether DATA names a ``.npz`` file (the sparse route)."""
    return Path(path).suffix.lower() == ".npz"


def check_data_options(
    data: str, target: str | None, labels: str | None, scheduler: str | None
) -> None:
    """``--labels`` goes with a ``.npz`` DATA (read into memory, not through Dask),
    ``--target`` is required otherwise."""
    if is_npz(data) and scheduler is not None:
        raise CLIError(
            "--scheduler applies to data read through Dask; a .npz DATA is read "
            "into memory (sparse)."
        )
    if not is_npz(data) and (target is None or labels is not None):
        raise CLIError(
            "--target is required with a CSV or Parquet DATA (--labels goes with a "
            "scipy.sparse .npz DATA)."
        )


def _existing(path: str, name: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise CLIError(f"{name} {path!r} does not exist.")
    if not p.is_file():
        raise CLIError(f"{name} {path!r} is not a file.")
    return p


def read_sparse(path: str) -> Any:
    """The CSR or CSC matrix of a ``scipy.sparse.save_npz`` file (other formats are
    converted to CSR, sparse to sparse); every reading problem is a CLIError."""
    import zipfile
    import zlib

    import numpy as np
    import scipy.sparse as sp

    p = _existing(path, "DATA")
    if not zipfile.is_zipfile(p):
        raise CLIError(
            f"DATA {path!r} is not a .npz file (not a zip archive); write it with "
            "scipy.sparse.save_npz."
        )
    try:
        with np.load(p, allow_pickle=False) as archive:
            keys = sorted(archive.files)
        if "format" not in keys:
            raise CLIError(
                f"DATA {path!r} is not a scipy.sparse .npz file: it holds the arrays "
                f"{keys}. Save the sparse X with scipy.sparse.save_npz(path, X) and "
                "give the labels with --labels."
            )
        X = sp.load_npz(p)
    except (
        OSError,
        ValueError,
        KeyError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
    ) as exc:
        raise CLIError(
            f"DATA {path!r} is a corrupt scipy.sparse .npz file "
            f"({type(exc).__name__}: {exc})."
        ) from None
    if X.ndim != 2:
        raise CLIError(f"DATA {path!r} must hold a 2-D matrix; got shape {X.shape}.")
    if X.format not in ("csr", "csc"):
        X = X.tocsr()
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise CLIError(f"DATA {path!r} holds an empty matrix (shape {X.shape}).")
    if X.dtype.kind not in "biuf":
        raise CLIError(f"DATA {path!r} must be numeric; got dtype {X.dtype}.")
    if not np.isfinite(X.data).all():
        raise CLIError(f"DATA {path!r} has a missing or infinite value.")
    return X


def _labels_array(path: str, target: str | None) -> np.ndarray[Any, Any]:
    import numpy as np
    import pandas as pd

    p = _existing(path, "--labels")
    suffix = p.suffix.lower()
    if suffix not in _LABEL_SUFFIXES:
        raise CLIError(f"--labels must be a .npy, .csv or .txt file; got {path!r}.")
    try:
        if suffix == ".npy":
            values = np.load(p, allow_pickle=False)
        elif suffix == ".txt":
            values = pd.read_csv(
                p, header=None, sep="\t", skip_blank_lines=True
            ).to_numpy()
        else:
            frame = pd.read_csv(p)
            if target is not None:
                if target not in frame.columns:
                    raise CLIError(
                        f"--target {target!r} is not a column of --labels {path!r}."
                    )
                frame = frame[[target]]
            values = frame.to_numpy()
    except CLIError:
        raise
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CLIError(f"--labels {path!r} could not be read: {first}") from None
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise CLIError(
            f"--labels {path!r} must hold one label per row (one column); got "
            f"shape {values.shape}."
        )
    return np.asarray(values)


def read_labels(path: str | None, target: str | None, n_rows: int) -> pd.Series:
    """The labels of ``--labels``, one per row of DATA, without missing values."""
    import pandas as pd

    if path is None:
        raise CLIError(
            "--labels is required with a .npz DATA (a scipy.sparse file holds X "
            "only): give the labels as .npy, .csv or .txt."
        )
    values = _labels_array(path, target)
    if values.shape[0] != n_rows:
        raise CLIError(
            f"--labels {path!r} has {values.shape[0]} labels; DATA has {n_rows} rows."
        )
    y = pd.Series(values, name=target or "label")
    missing = y.isna().to_numpy().nonzero()[0]
    if missing.size:
        raise CLIError(
            f"--labels {path!r} has a missing label at row {int(missing[0])}."
        )
    return y


def sparse_names(features: str | None, n_features: int) -> list[str]:
    """``x0 .. x{d-1}``, or the ``d`` names of ``--features``."""
    if features is None:
        return [f"x{i}" for i in range(n_features)]
    names = [n.strip() for n in features.split(",")]
    if len(names) != n_features or not all(names):
        raise CLIError(
            f"--features must give one name per column of a .npz DATA ({n_features}); "
            f"got {len([n for n in names if n])}."
        )
    if len(set(names)) != len(names):
        raise CLIError(f"--features names a column twice: {features!r}.")
    return names


def read_npz(
    data: str,
    labels: str | None,
    target: str | None,
    features: str | None,
    C: float,
    penalty: dict[str, Any],
) -> tuple[Any, pd.Series, list[str]]:
    """``X`` (sparse), ``y`` and the feature names of ``fit`` on a ``.npz`` DATA
    (``penalty``: the options of :mod:`softlogit._cli._fit_penalties`)."""
    if float("inf") == C and not (penalty["cv"] or penalty["path_"]):
        raise CLIError(
            "a .npz DATA is fitted sparse, with a penalty: pass a finite --C (or "
            "--cv, or --path). The unpenalized fit (--C inf, the default) and its "
            "standard errors need dense features (a CSV DATA)."
        )
    X = read_sparse(data)
    y = read_labels(labels, target, X.shape[0])
    check_two_classes(y, str(y.name))
    return X, y, sparse_names(features, X.shape[1])


def name_features(model: Any, names: list[str]) -> None:
    """Give a model fitted on a sparse ``X`` its feature names (the summary, the
    JSON and the saved model show them)."""
    import numpy as np

    if model is not None:
        model.feature_names_in_ = np.asarray(names, dtype=object)


def predict_sparse(model: Any, X: Any) -> tuple[Any, Any, list[Any]]:
    """Probabilities, labels and warnings for a sparse ``X`` whose columns are the
    model's features by position (a model's feature names are not a sparse file's)."""
    if X.shape[1] != model.n_features_in_:
        raise CLIError(
            f"DATA has {X.shape[1]} columns; the model expects "
            f"{model.n_features_in_} features."
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="X does not have valid feature")
        proba = model.predict_proba(X)
        labels = model.predict(X)
    return proba, labels, list(caught)
