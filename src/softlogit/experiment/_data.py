"""Data for the experiment: built-in, synthetic or CSV; validated, split, standardized."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from softlogit._special import softmax_rows
from softlogit._typing import FloatArray, IntArray
from softlogit.errors import InputValueError
from softlogit.experiment._result import DataInfo
from softlogit.experiment._spec import DataSpec

__all__ = ["Dataset", "load_data"]


@dataclass(frozen=True)
class Dataset:
    """A split, standardized data set with integer labels ``0 .. n_classes - 1``.

    Attributes
    ----------
    X_train, X_test : ndarray of shape (n_samples, n_features), float64
    y_train, y_test : ndarray of int64 of shape (n_samples,)
    info : DataInfo
    """

    X_train: FloatArray
    y_train: IntArray
    X_test: FloatArray
    y_test: IntArray
    info: DataInfo


_BREAST_CANCER_BASE = (
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave points",
    "symmetry",
    "fractal dimension",
)
# file in sklearn/datasets/data, has a header line, feature names (as scikit-learn
# names them)
_BUILTIN: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "breast_cancer": (
        "breast_cancer.csv",
        True,
        tuple(f"mean {b}" for b in _BREAST_CANCER_BASE)
        + tuple(f"{b} error" for b in _BREAST_CANCER_BASE)
        + tuple(f"worst {b}" for b in _BREAST_CANCER_BASE),
    ),
    "iris": (
        "iris.csv",
        True,
        (
            "sepal length (cm)",
            "sepal width (cm)",
            "petal length (cm)",
            "petal width (cm)",
        ),
    ),
    "wine": (
        "wine_data.csv",
        True,
        (
            "alcohol",
            "malic_acid",
            "ash",
            "alcalinity_of_ash",
            "magnesium",
            "total_phenols",
            "flavanoids",
            "nonflavanoid_phenols",
            "proanthocyanins",
            "color_intensity",
            "hue",
            "od280/od315_of_diluted_wines",
            "proline",
        ),
    ),
    "digits": (
        "digits.csv.gz",
        False,
        tuple(f"pixel_{i}_{j}" for i in range(8) for j in range(8)),
    ),
}


def _builtin(
    name: str,
) -> tuple[FloatArray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """A scikit-learn toy data set, read from the files scikit-learn ships.

    Reading the CSV directly avoids importing scikit-learn, which is slow; the values,
    labels and names are those of ``sklearn.datasets.load_*`` (a test checks it).
    """
    import gzip
    import importlib.util

    fname, header, features = _BUILTIN[name]
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover
        raise ModuleNotFoundError("scikit-learn is needed for the built-in data sets.")
    path = Path(next(iter(spec.submodule_search_locations)), "datasets", "data", fname)
    opener = gzip.open if fname.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        first = fh.readline().strip().split(",") if header else None
        table = np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)
    # digits has no header line; its classes are the digits 0-9
    classes = tuple(first[2:]) if first is not None else tuple(map(str, range(10)))
    X = np.ascontiguousarray(table[:, :-1])
    y = table[:, -1].astype(np.int64)
    return X, y, classes, features


def _synthetic(
    spec: DataSpec, rng: np.random.Generator
) -> tuple[FloatArray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    # Gaussian features, labels drawn from a softmax of a random linear function:
    # classes overlap, so the data are not separable and the MLE is finite.
    n, p, k = spec.n_samples, spec.n_features, spec.n_classes
    if n < 4 * k:
        raise InputValueError(
            f"`n_samples` must be at least 4 * n_classes = {4 * k} for a stratified "
            f"split of the synthetic data; got {n}."
        )
    X = rng.standard_normal((n, p))
    coef = rng.standard_normal((k, p)) * (2.0 / np.sqrt(p))
    logits = X @ coef.T
    prob = softmax_rows(logits, out=logits)
    u = rng.random(n)[:, None]
    y = np.minimum((u > np.cumsum(prob, axis=1)).sum(axis=1), k - 1)
    # every class present at least twice, so that a stratified split exists: move
    # samples over from the classes that have the most
    for c in range(k):
        while np.count_nonzero(y == c) < 2:
            donor = int(np.argmax(np.bincount(y, minlength=k)))
            y[rng.choice(np.flatnonzero(y == donor))] = c
    return (
        X,
        y,
        tuple(str(c) for c in range(k)),
        tuple(f"x{i}" for i in range(p)),
    )


def _csv(
    spec: DataSpec,
) -> tuple[FloatArray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    import pandas as pd

    assert spec.csv is not None
    assert spec.target is not None
    path = Path(spec.csv)
    if not path.is_file():
        raise FileNotFoundError(f"`csv` file {spec.csv!r} does not exist.")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputValueError(
            f"`csv` file {spec.csv!r} could not be read: {exc}"
        ) from None
    if spec.target not in frame.columns:
        cols = ", ".join(map(repr, map(str, frame.columns)))
        raise InputValueError(
            f"`target` {spec.target!r} is not a column of the CSV file {spec.csv!r}; "
            f"columns: {cols}."
        )
    y_raw = frame[spec.target]
    if y_raw.isna().any():
        raise InputValueError(
            f"`target` column {spec.target!r} of {spec.csv!r} has missing values."
        )
    if spec.features is not None:
        absent = [c for c in spec.features if c not in frame.columns]
        if absent:
            raise InputValueError(
                f"`features` must name columns of the CSV file {spec.csv!r}; not "
                f"found: {', '.join(map(repr, absent))}."
            )
        features = frame[list(spec.features)]
    else:
        features = frame.drop(columns=[spec.target])
    if features.shape[1] == 0:
        raise InputValueError(
            f"`csv` file {spec.csv!r} has no feature columns besides the target."
        )
    bad = [
        str(c)
        for c in features.columns
        if not pd.api.types.is_numeric_dtype(features[c])
    ]
    if bad:
        raise InputValueError(
            f"`csv` feature columns must be numeric; non-numeric: "
            f"{', '.join(map(repr, bad))}."
        )
    X = features.to_numpy(dtype=np.float64)
    classes, y = np.unique(y_raw.to_numpy(), return_inverse=True)
    return X, y, tuple(str(c) for c in classes), tuple(str(c) for c in features.columns)


def load_data(spec: DataSpec, seed: np.random.SeedSequence) -> Dataset:
    """Load, validate, split (stratified) and standardize the data of ``spec``.

    Parameters
    ----------
    spec : DataSpec
    seed : numpy.random.SeedSequence
        Seeds the synthetic data and the split.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        If the data contain NaN or infinite values, have fewer than two classes, a
        class with fewer than two samples, or (CSV) lack the target column.
    """
    rng = np.random.default_rng(seed)
    if spec.dataset == "synthetic":
        X, y, classes, features = _synthetic(spec, rng)
        name = "synthetic"
    elif spec.dataset == "csv":
        X, y, classes, features = _csv(spec)
        name = str(spec.csv)
    else:
        X, y, classes, features = _builtin(spec.dataset)
        name = spec.dataset
    option = "csv" if spec.dataset == "csv" else "dataset"
    if not np.all(np.isfinite(X)):
        raise InputValueError(
            f"`{option}` data must be finite; found "
            f"{int(np.count_nonzero(~np.isfinite(X)))} NaN or infinite values."
        )
    _, y_int = np.unique(y, return_inverse=True)
    y_int = y_int.astype(np.int64)
    counts = np.bincount(y_int)
    # class problems are about the label column when the data come from a CSV file
    label = (
        f"`target` column {spec.target!r}"
        if spec.dataset == "csv"
        else (f"`{option}` labels")
    )
    if counts.size < 2:
        raise InputValueError(
            f"{label} must have at least two classes (K >= 2); got one class "
            f"{classes[0] if classes else ''!r}."
        )
    if counts.min() < 2:
        raise InputValueError(
            f"{label}: every class needs at least two samples for a stratified "
            f"split; class counts are {counts.tolist()}."
        )
    n = X.shape[0]
    k = counts.size
    n_test = int(np.ceil(spec.test_size * n))
    if n_test < k or n - n_test < k:
        raise InputValueError(
            f"`test_size` {spec.test_size} leaves {n - n_test} training and {n_test} "
            f"test samples for {k} classes; both need at least one per class."
        )
    # stratified split: shuffle each class and give it its share of the test set
    test_mask = np.zeros(n, dtype=bool)
    order = rng.permutation(n)
    shares = counts * (n_test / n)
    take = np.floor(shares).astype(int)
    rest = n_test - take.sum()
    take[np.argsort(-(shares - take), kind="stable")[:rest]] += 1
    take = np.clip(take, 1, counts - 1)
    for c in range(k):
        members = order[y_int[order] == c]
        test_mask[members[: take[c]]] = True
    train_idx = np.sort(order[~test_mask[order]])
    test_idx = np.sort(order[test_mask[order]])
    X_train, X_test = X[train_idx], X[test_idx]
    if spec.standardize:
        mean = X_train.mean(axis=0)
        std = X_train.std(axis=0)
        std[std == 0] = 1.0  # constant features stay constant (zero)
        X_train = (X_train - mean) / std
        X_test = (X_test - mean) / std
    info = DataInfo(
        name=name,
        n_train=int(train_idx.size),
        n_test=int(test_idx.size),
        n_features=int(X.shape[1]),
        n_classes=int(k),
        classes=classes,
        feature_names=features,
    )
    return Dataset(
        X_train=np.ascontiguousarray(X_train),
        y_train=y_int[train_idx],
        X_test=np.ascontiguousarray(X_test),
        y_test=y_int[test_idx],
        info=info,
    )
