"""Predictions on Dask input, lazily: the in-memory method on every block of rows.

``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function`` (and
``logits`` of a softmax regression) on a Dask array or dataframe return a Dask array
built by ``map_blocks``: nothing is computed until the caller computes it, and each
block is predicted by the estimator's own in-memory method (the estimator, a few
coefficients, travels with the tasks).

The result has the row chunks of ``X`` (a dataframe's partitions, of unknown length
until computed: Dask shows them as ``nan``) and one chunk along columns:

===================== ============================== =====================
method                shape                          dtype
===================== ============================== =====================
``predict``           ``(n_samples,)``               that of ``classes_``
``predict_proba``     ``(n_samples, n_classes)``     float64
``predict_log_proba`` ``(n_samples, n_classes)``     float64
``decision_function`` as in memory: ``(n_samples,)`` float64
                      for two classes, else
                      ``(n_samples, n_classes)``
``logits``            ``(n_samples, n_classes)``     float64
===================== ============================== =====================

The input is checked up front on a stand-in of one row (the number of features, a
dataframe's column names and dtypes), so that a wrong input fails when the method is
called, not when its result is computed; non-finite values are found when a block is
computed (the block's in-memory call raises).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["predict_lazily"]


def _predict_block(block: Any, est: Any, method: str, columns: Any) -> Any:
    """``est.<method>`` on one block (a frame with the fitted column names)."""
    if columns is not None:
        import pandas as pd

        block = pd.DataFrame(block, columns=columns)
    return getattr(est, method)(block)


def predict_lazily(est: Any, method: str, X: Any) -> Any:
    """``est.<method>(X)`` for a Dask collection ``X``, as a lazy Dask array."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est)
    columns = None
    if hasattr(X, "map_partitions"):  # a Dask dataframe
        from softlogit._dask._data import check_frame

        check_frame(X)
        stand_in = X._meta_nonempty.iloc[:1]
        columns = stand_in.columns
        with warnings.catch_warnings():
            # pandas extension dtypes become object arrays (checked above)
            warnings.filterwarnings("ignore", "Dask currently has limited support")
            X = X.to_dask_array()
    else:
        if X.ndim == 2 and X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        stand_in = np.zeros((1, *X.shape[1:]), dtype=X.dtype)
    # Checks the input (features, names) and gives the output's shape and dtype.
    sample = np.asarray(getattr(est, method)(stand_in))
    if sample.ndim == 1:
        return X.map_blocks(
            _predict_block,
            est,
            method,
            columns,
            drop_axis=1,
            dtype=sample.dtype,
            meta=np.empty((0,), dtype=sample.dtype),
        )
    return X.map_blocks(
        _predict_block,
        est,
        method,
        columns,
        chunks=(X.chunks[0], (sample.shape[1],)),
        dtype=sample.dtype,
        meta=np.empty((0, 0), dtype=sample.dtype),
    )
