"""Classification data generated block by block, lazily on Dask or at once in memory.

Every block of rows is a pure function of ``(seed, block index)``
(:func:`features`, :func:`labels`, :func:`weights`): features from a standard normal distribution, labels drawn
from a softmax model with fixed coefficients (so that the classes overlap and the
unpenalized maximum-likelihood estimate exists), weights uniform on ``[0.5, 2]``.
:func:`dask_data` builds the data as Dask arrays whose blocks are generated where
they are computed (a worker never receives data, and never holds more than the
blocks it works on); :func:`numpy_data` generates the same blocks in memory, for the
reference fit of a test or a benchmark.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["dask_data", "features", "labels", "numpy_data", "weights"]


def _coef(n_features: int, n_classes: int, seed: int) -> np.ndarray:
    """The model's coefficients ``(n_classes, n_features + 1)``, intercept last."""
    rng = np.random.default_rng(seed)
    coef: np.ndarray = rng.normal(size=(n_classes, n_features + 1))
    coef *= 2.0 / np.sqrt(n_features)
    return coef


def features(index: int, rows: int, n_features: int, seed: int) -> np.ndarray:
    """The features of block ``index``."""
    return np.random.default_rng([seed, index, 0]).standard_normal((rows, n_features))


def labels(X: np.ndarray, index: int, n_classes: int, seed: int) -> np.ndarray:
    """Labels of the rows ``X`` of block ``index``, drawn from the softmax model."""
    coef = _coef(X.shape[1], n_classes, seed)
    logits = X @ coef[:, :-1].T + coef[:, -1]
    # Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits).
    noise = np.random.default_rng([seed, index, 1]).gumbel(size=logits.shape)
    out: np.ndarray = np.argmax(logits + noise, axis=1).astype(np.int64)
    return out


def weights(index: int, rows: int, seed: int) -> np.ndarray:
    """The sample weights of block ``index``, uniform on ``[0.5, 2]``."""
    return np.random.default_rng([seed, index, 2]).uniform(0.5, 2.0, size=rows)


def _location(block_info: dict[Any, Any] | None) -> tuple[int, int]:
    assert block_info is not None
    info = block_info[None]
    return int(info["chunk-location"][0]), int(info["chunk-shape"][0])


def _features(
    n_features: int, seed: int, block_info: dict[Any, Any] | None = None
) -> np.ndarray:
    index, rows = _location(block_info)
    return features(index, rows, n_features, seed)


def _labels(
    X: np.ndarray, n_classes: int, seed: int, block_info: dict[Any, Any] | None = None
) -> np.ndarray:
    return labels(X, _location(block_info)[0], n_classes, seed)


def _weights(seed: int, block_info: dict[Any, Any] | None = None) -> np.ndarray:
    index, rows = _location(block_info)
    return weights(index, rows, seed)


def _blocks(n_samples: int, rows_per_block: int) -> tuple[int, ...]:
    full, rest = divmod(n_samples, rows_per_block)
    return (rows_per_block,) * full + ((rest,) if rest else ())


def dask_data(
    n_samples: int,
    n_features: int,
    n_classes: int,
    rows_per_block: int,
    seed: int = 0,
) -> tuple[Any, Any, Any]:
    """``X``, ``y`` (int64) and ``sample_weight`` as lazy Dask arrays.

    All three are blockwise (``map_blocks``), so Dask fuses their generation with
    the task that uses a block.
    """
    import dask.array as da

    rows = _blocks(n_samples, rows_per_block)
    X = da.map_blocks(  # type: ignore[no-untyped-call]
        _features,
        n_features,
        seed,
        chunks=(rows, (n_features,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )
    y = X.map_blocks(
        _labels, n_classes, seed, drop_axis=1, dtype=np.int64, meta=np.empty(0, int)
    )
    sw = da.map_blocks(  # type: ignore[no-untyped-call]
        _weights, seed, chunks=(rows,), dtype=np.float64, meta=np.empty(0)
    )
    return X, y, sw


def numpy_data(
    n_samples: int,
    n_features: int,
    n_classes: int,
    rows_per_block: int,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The data of :func:`dask_data`, generated in memory."""
    rows = _blocks(n_samples, rows_per_block)
    blocks = [features(i, r, n_features, seed) for i, r in enumerate(rows)]
    y = np.concatenate([labels(b, i, n_classes, seed) for i, b in enumerate(blocks)])
    sw = np.concatenate([weights(i, r, seed) for i, r in enumerate(rows)])
    return np.vstack(blocks), y, sw
