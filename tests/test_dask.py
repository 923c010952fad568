"""Fits and predictions on Dask arrays and dataframes, on Dask's threaded scheduler.

The reference is the in-memory fit of the same estimator on the same data, which the
rest of the suite checks against scikit-learn and statsmodels: the coefficients must
agree to 1e-8 (relative), the summaries to the same precision. The cluster tests
(worker processes, out of core, faults) are in ``test_dask_cluster.py``.
"""

from __future__ import annotations

import pickle
import re
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from softlogit import (
    BinomialLoss,
    InputTypeError,
    InputValueError,
    LinearModelLoss,
    LogisticRegression,
    MultinomialLoss,
    SchedulerConnectionError,
    SeparationError,
    SoftmaxRegression,
)
from softlogit._dask import Pass, progress

ROWS = 400  # rows per Dask block


@pytest.fixture(autouse=True)
def _threads() -> Iterator[None]:
    with dask.config.set(scheduler="threads"):
        yield


def _data(
    rng: np.random.Generator, n: int, p: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlapping classes from a softmax model, and positive weights."""
    X = rng.normal(size=(n, p))
    W = rng.normal(size=(k, p))
    logits = X @ W.T + rng.gumbel(size=(n, k))
    return X, np.argmax(logits, axis=1), rng.uniform(0.5, 2.0, size=n)


def _arrays(X: np.ndarray, y: Any, sw: np.ndarray) -> tuple[Any, Any, Any]:
    return (
        da.from_array(X, chunks=(ROWS, X.shape[1])),
        da.from_array(np.asarray(y), chunks=ROWS),
        da.from_array(sw, chunks=ROWS),
    )


def _frames(X: np.ndarray, y: Any, sw: np.ndarray) -> tuple[Any, Any, Any]:
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    frame["label"] = y
    frame["w"] = sw
    ddf = dd.from_pandas(frame, chunksize=ROWS)
    return ddf.drop(columns=["label", "w"]), ddf["label"], ddf["w"]


def _rel(got: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))


def _estimator(model: str, C: float, **kw: Any) -> Any:
    if model == "logistic":
        return LogisticRegression(C=C, **kw)
    gauge = model.split("-")[1]
    return SoftmaxRegression(C=C, gauge=gauge, **kw)  # type: ignore[arg-type]


CASES = [
    pytest.param("logistic", 2, id="logistic"),
    pytest.param("softmax-centered", 2, id="softmax-centered-K2"),
    pytest.param("softmax-reference", 2, id="softmax-reference-K2"),
    pytest.param("softmax-centered", 5, id="softmax-centered-K5"),
    pytest.param("softmax-reference", 5, id="softmax-reference-K5"),
]


@pytest.mark.parametrize(("model", "k"), CASES)
@pytest.mark.parametrize("C", [1.0, np.inf], ids=["C=1", "C=inf"])
@pytest.mark.parametrize("inputs", ["arrays", "frames"])
def test_fit_equals_in_memory_fit(
    model: str, k: int, C: float, inputs: str, rng: np.random.Generator
) -> None:
    X, y, sw = _data(rng, 2000, 4, k)
    labels = np.array(["ant", "bee", "cat", "dog", "eel"])[y]
    est = _estimator(model, C, tol=1e-10)
    ref = clone(est).fit(X, labels, sample_weight=sw)
    convert = _arrays if inputs == "arrays" else _frames
    got = clone(est).fit(
        *convert(X, labels, sw)[:2], sample_weight=convert(X, y, sw)[2]
    )
    assert got.classes_.tolist() == ref.classes_.tolist()
    assert got.solver_ == ref.solver_ == "newton"
    assert _rel(got.coef_, ref.coef_) <= 1e-8
    assert _rel(got.intercept_, ref.intercept_) <= 1e-8
    assert got.n_features_in_ == 4
    if inputs == "frames":
        assert got.feature_names_in_.tolist() == ["f0", "f1", "f2", "f3"]
    else:
        assert not hasattr(got, "feature_names_in_")
    if np.isinf(C):
        s_got, s_ref = got.summary(), ref.summary()
        assert _rel(s_got.std_err, s_ref.std_err) <= 1e-8
        assert s_got.log_likelihood == pytest.approx(s_ref.log_likelihood, rel=1e-12)
        assert s_got.null_log_likelihood == pytest.approx(
            s_ref.null_log_likelihood, rel=1e-12
        )
        assert s_got.n_obs == pytest.approx(s_ref.n_obs, rel=1e-14)
        assert s_got.n_samples == s_ref.n_samples
        assert s_got.mle_verified
        assert s_ref.mle_verified
    else:
        assert got._inference_ is None


@pytest.mark.parametrize("C", [1.0, np.inf], ids=["C=1", "C=inf"])
def test_lbfgs_fit_equals_in_memory_fit(C: float, rng: np.random.Generator) -> None:
    """Whitened L-BFGS: the whitening comes from a pass over the blocks; without
    Newton's Hessian the existence proof is the certificate over all rows."""
    X, y, sw = _data(rng, 3000, 5, 5)
    X[:, 1] = 3.0 * X[:, 0] + X[:, 1] + 5.0  # correlated, off-center: whitening works
    est = SoftmaxRegression(C=C, solver="lbfgs", tol=1e-10, max_iter=500)
    ref = clone(est).fit(X, y, sample_weight=sw)
    got = clone(est).fit(*_arrays(X, y, sw)[:2], sample_weight=_arrays(X, y, sw)[2])
    # (an unpenalized fit is polished by Newton's method, on Dask data too)
    assert got.solver_ == ref.solver_ == ("lbfgs+newton" if np.isinf(C) else "lbfgs")
    assert _rel(got.coef_, ref.coef_) <= 1e-8
    assert _rel(got.intercept_, ref.intercept_) <= 1e-8
    if np.isinf(C):
        assert got.summary().mle_verified
        assert _rel(got.summary().std_err, ref.summary().std_err) <= 1e-8


@pytest.mark.parametrize("solver", ["gd", "momentum", "adam"])
def test_first_order_solvers_follow_the_in_memory_path(
    solver: str, rng: np.random.Generator
) -> None:
    """The step size 1/L comes from the second-moment matrix summed over blocks;
    after a fixed number of steps both fits are at the same point."""
    X, y, sw = _data(rng, 1200, 3, 2)
    est = LogisticRegression(C=1.0, solver=solver, max_iter=25)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = clone(est).fit(X, y, sample_weight=sw)
        got = clone(est).fit(*_arrays(X, y, sw)[:2], sample_weight=_arrays(X, y, sw)[2])
    assert _rel(got.coef_, ref.coef_) <= 1e-10


def test_without_weights_and_without_intercept(rng: np.random.Generator) -> None:
    X, y, _ = _data(rng, 1500, 3, 3)
    for est in (
        SoftmaxRegression(C=2.0, fit_intercept=False, tol=1e-10),
        LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-10),
    ):
        yy = y if isinstance(est, SoftmaxRegression) else (y > 0).astype(int)
        ref = clone(est).fit(X, yy)
        got = clone(est).fit(da.from_array(X, chunks=ROWS), da.from_array(yy, ROWS))
        assert _rel(got.coef_, ref.coef_) <= 1e-8
        assert np.all(got.intercept_ == 0)


def test_column_chunks_and_uneven_blocks(rng: np.random.Generator) -> None:
    """X chunked along columns is rechunked into whole rows; y's chunks follow X's."""
    X, y, sw = _data(rng, 1700, 6, 3)
    ref = SoftmaxRegression(tol=1e-10).fit(X, y, sample_weight=sw)
    Xd = da.from_array(X, chunks=(300, 2))
    yd = da.from_array(y, chunks=(1000, 700))
    got = SoftmaxRegression(tol=1e-10).fit(Xd, yd, sample_weight=sw)  # sw in memory
    assert _rel(got.coef_, ref.coef_) <= 1e-8


def test_warm_start(rng: np.random.Generator) -> None:
    X, y, _ = _data(rng, 1000, 3, 3)
    est = SoftmaxRegression(C=1.0, warm_start=True, tol=1e-10)
    first = est.fit(da.from_array(X, chunks=ROWS), da.from_array(y, chunks=ROWS))
    again = first.fit(da.from_array(X, chunks=ROWS), da.from_array(y, chunks=ROWS))
    assert again.n_iter_[0] <= 1  # started at the optimum


# --------------------------------------------------------------------------------------
# nothing data-sized reaches the client
# --------------------------------------------------------------------------------------


class _GuardedScheduler:
    """Dask's threaded scheduler that records the size of every computed result."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, dsk: Any, keys: Any, **kwargs: Any) -> Any:
        result = dask.threaded.get(dsk, keys, **kwargs)
        self.sizes.append(len(pickle.dumps(result)))
        return result


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_data_never_reaches_the_client(solver: str, rng: np.random.Generator) -> None:
    """Every result a fit computes is small next to the data (the largest here is
    the Fisher information with the certificate's matrix, 31 KB, against 5.8 MB
    of data)."""
    X, y, sw = _data(rng, 60_000, 10, 5)
    Xd, yd, swd = _arrays(X, y, sw)
    data_bytes = X.nbytes + y.nbytes + sw.nbytes
    guard = _GuardedScheduler()
    with dask.config.set(scheduler=guard):
        est = SoftmaxRegression(C=np.inf, solver=solver).fit(Xd, yd, sample_weight=swd)
        est.summary()
        n_fit = len(guard.sizes)
        proba = est.predict_proba(Xd)
        labels = est.predict(Xd)
    assert n_fit >= 5  # the guard saw the fit's passes
    assert max(guard.sizes) < data_bytes / 100
    assert len(guard.sizes) == n_fit  # predictions are lazy: nothing computed
    assert isinstance(proba, da.Array)
    assert isinstance(labels, da.Array)


# --------------------------------------------------------------------------------------
# predictions
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 4])
def test_predictions_are_lazy_dask_arrays(k: int, rng: np.random.Generator) -> None:
    X, y, _ = _data(rng, 1000, 3, k)
    labels = np.array(["a", "b", "c", "d"])[y]
    models = [SoftmaxRegression().fit(X, labels)]
    if k == 2:
        models.append(LogisticRegression().fit(X, labels))
    Xd = da.from_array(X, chunks=(300, 3))
    for model in models:
        methods = ["predict", "predict_proba", "predict_log_proba", "decision_function"]
        if isinstance(model, SoftmaxRegression):
            methods.append("logits")
        for method in methods:
            ref = getattr(model, method)(X)
            got = getattr(model, method)(Xd)
            assert isinstance(got, da.Array), method
            assert got.dtype == ref.dtype, method
            assert got.shape == ref.shape, method
            assert got.chunks[0] == (300, 300, 300, 100), method
            if ref.ndim == 2:
                assert got.chunks[1] == (ref.shape[1],), method
            computed = got.compute()
            if ref.dtype.kind == "f":
                np.testing.assert_allclose(computed, ref, rtol=0, atol=1e-14)
            else:
                assert computed.tolist() == ref.tolist(), method


def test_predictions_on_dataframes_check_names_up_front(
    rng: np.random.Generator,
) -> None:
    X, y, _ = _data(rng, 900, 3, 3)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = SoftmaxRegression().fit(frame, y)
    ddf = dd.from_pandas(frame, npartitions=3)
    proba = model.predict_proba(ddf)
    assert isinstance(proba, da.Array)
    assert np.isnan(proba.chunks[0]).all()  # a dataframe's partitions: unknown
    np.testing.assert_allclose(proba.compute(), model.predict_proba(frame), atol=1e-15)
    with pytest.raises(ValueError, match="feature names"):
        model.predict_proba(ddf[["b", "a", "c"]])  # before anything is computed
    with pytest.raises(InputValueError, match="2-D"):
        model.predict(ddf["a"])


# --------------------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------------------


def test_progress_reports_every_pass(rng: np.random.Generator) -> None:
    X, y, sw = _data(rng, 1500, 4, 3)
    seen: list[Pass] = []
    with progress(seen.append):
        est = SoftmaxRegression(C=1.0, tol=1e-10).fit(
            *_arrays(X, y, sw)[:2], sample_weight=_arrays(X, y, sw)[2]
        )
    assert [p.index for p in seen] == list(range(1, len(seen) + 1))
    assert seen[0].kind == "check"
    kinds = {p.kind for p in seen}
    assert {"gradient", "hessian"} <= kinds
    # The last objective reported is the fitted objective, evaluated in memory.
    coef = np.column_stack([est.coef_, est.intercept_])
    l2 = 1.0 / (1.0 * sw.sum())
    expected = LinearModelLoss(MultinomialLoss()).loss(coef, X, y, sw, l2)
    last = [p for p in seen if p.objective is not None][-1]
    assert last.objective == pytest.approx(expected, rel=1e-12)
    assert last.grad_max is not None
    assert last.grad_max <= 1e-10


# --------------------------------------------------------------------------------------
# errors: the same as in memory (rows counted from the start of the data)
# --------------------------------------------------------------------------------------


def _same_error(
    make: Callable[[], Any], X: Any, y: Any, sw: Any, Xd: Any, yd: Any, swd: Any
) -> str:
    with pytest.raises(InputValueError) as ref:
        make().fit(X, y, sample_weight=sw)
    with pytest.raises(InputValueError) as got:
        make().fit(Xd, yd, sample_weight=swd)
    assert str(got.value) == str(ref.value)
    return str(got.value)


def test_non_finite_entry_named_by_global_row(rng: np.random.Generator) -> None:
    X, y, sw = _data(rng, 2000, 3, 3)
    X[1234, 2] = np.nan
    X[1500, 0] = np.inf
    message = _same_error(SoftmaxRegression, X, y, sw, *_arrays(X, y, sw))
    assert "NaN at row 1234, column 2 (2 non-finite entries" in message


def test_invalid_weight_named_by_global_row(rng: np.random.Generator) -> None:
    X, y, sw = _data(rng, 2000, 3, 3)
    sw[1801] = -1.0
    message = _same_error(SoftmaxRegression, X, y, sw, *_arrays(X, y, sw))
    assert "-1.0 at row 1801" in message
    zero = np.zeros_like(sw)
    message = _same_error(SoftmaxRegression, X, y, zero, *_arrays(X, y, zero))
    assert "positive sum" in message


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (lambda y: y + 0.5, "continuous"),
        (lambda y: np.where(np.arange(y.size) == 777, np.nan, y), "NaN"),
        (lambda y: np.zeros_like(y), "at least two classes"),
    ],
    ids=["continuous", "nan", "one-class"],
)
def test_bad_labels_as_in_memory(
    labels: Callable[[np.ndarray], np.ndarray], match: str, rng: np.random.Generator
) -> None:
    X, y, sw = _data(rng, 1200, 2, 3)
    bad = labels(y.astype(np.float64))
    message = _same_error(SoftmaxRegression, X, bad, sw, *_arrays(X, bad, sw))
    assert match in message


def test_logistic_regression_refuses_three_classes(rng: np.random.Generator) -> None:
    X, y, sw = _data(rng, 900, 2, 3)
    message = _same_error(LogisticRegression, X, y, sw, *_arrays(X, y, sw))
    assert "exactly 2 classes" in message


def test_input_errors(rng: np.random.Generator) -> None:
    X, y, sw = _data(rng, 800, 3, 2)
    Xd, yd, swd = _arrays(X, y, sw)
    est = LogisticRegression()
    with pytest.raises(InputTypeError, match="`X` must be a Dask array or dataframe"):
        est.fit(X, yd)
    with pytest.raises(InputValueError, match="same number of samples"):
        est.fit(Xd, yd[:700])
    with pytest.raises(InputValueError, match="same number of samples"):
        est.fit(Xd, yd, sample_weight=swd[:10])
    with pytest.raises(InputValueError, match="`X` must be 2-D"):
        est.fit(Xd[:, 0], yd)
    with pytest.raises(InputValueError, match="`y` must be 1-D"):
        est.fit(Xd, Xd)
    with pytest.raises(InputTypeError, match="real numeric array; got dtype"):
        est.fit(Xd.astype(object), yd)
    with pytest.raises(InputTypeError, match="`sample_weight` must be numeric"):
        est.fit(Xd, yd, sample_weight=da.from_array(np.array(["a"] * 800), chunks=ROWS))
    with pytest.raises(InputValueError, match="at least one sample"):
        est.fit(da.zeros((0, 3), chunks=10), da.zeros(0, chunks=10))
    with pytest.raises(InputValueError, match="requires y to be passed"):
        est.fit(Xd, None)
    with pytest.raises(InputTypeError, match="one sortable type"):
        est.fit(Xd, da.from_array(np.array(["a", 1] * 400, dtype=object), chunks=ROWS))
    frame = dd.from_pandas(
        pd.DataFrame({"a": X[:, 0], "b": ["x"] * 800}), npartitions=2
    )
    with pytest.raises(
        InputValueError, match=r"column 'b' \(position 1\) must be numeric"
    ):
        est.fit(frame, yd)
    with pytest.raises(InputValueError, match="got a Dask series"):
        est.fit(frame["a"], yd)
    huge = da.full(800, 1e308, chunks=ROWS)
    with pytest.raises(InputValueError, match="`sample_weight` of Dask data must have"):
        LogisticRegression(C=1.0).fit(Xd, yd, sample_weight=huge)


def test_scalar_weight_scales_like_in_memory(rng: np.random.Generator) -> None:
    X, y, _ = _data(rng, 1000, 3, 2)
    ref = LogisticRegression(C=1.0, tol=1e-10).fit(X, y, sample_weight=3.0)
    got = LogisticRegression(C=1.0, tol=1e-10).fit(*_arrays(X, y, X[:, 0])[:2], 3.0)
    assert _rel(got.coef_, ref.coef_) <= 1e-8


# --------------------------------------------------------------------------------------
# existence of the MLE
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_complete_separation_found_by_the_fit(
    solver: str, rng: np.random.Generator
) -> None:
    """A fit that classifies every sample correctly proves complete separation."""
    X = rng.normal(size=(600, 2))
    X[:, 0] += np.where(X[:, 0] > 0, 1.0, -1.0)  # a gap of 2 between the classes
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(SeparationError, match="completely separated") as info:
        LogisticRegression(C=np.inf, solver=solver, max_iter=300).fit(
            da.from_array(X, chunks=200), da.from_array(y, chunks=200)
        )
    assert info.value.kind == "complete"


def test_unproven_existence_warns_and_says_so(rng: np.random.Generator) -> None:
    """Quasi-complete separation (ties on the boundary, in both classes): in memory
    the exact program refutes the MLE; on Dask data nothing is proven and the fit
    says so, as does summary()."""
    x = rng.normal(size=400)
    y = (x > 0).astype(int)
    x[:40] = 0.0
    y[:20], y[20:40] = 0, 1
    X = np.column_stack([x, rng.normal(size=400)])
    with pytest.raises(SeparationError, match="quasi-completely"):
        LogisticRegression(C=np.inf).fit(X, y)
    with pytest.warns(UserWarning, match="could not be proven on Dask data") as caught:
        est = LogisticRegression(C=np.inf).fit(
            da.from_array(X, chunks=100), da.from_array(y, chunks=100)
        )
    assert "Quasi-complete separation is not ruled out" in str(caught[0].message)
    assert est._inference_.mle_verified is False
    with pytest.warns(UserWarning, match="could not be proven"):
        assert est.summary().mle_verified is False


def test_one_class_without_weight_is_separation(rng: np.random.Generator) -> None:
    X, y, sw = _data(rng, 900, 2, 3)
    sw[y != 1] = 0.0
    with pytest.raises(SeparationError, match="only one class has positive weight"):
        SoftmaxRegression(C=np.inf).fit(*_arrays(X, y, sw)[:2], _arrays(X, y, sw)[2])


def test_store_covariance_false_skips_the_information(rng: np.random.Generator) -> None:
    X, y, _ = _data(rng, 900, 2, 3)
    est = SoftmaxRegression(C=np.inf, store_covariance=False).fit(
        da.from_array(X, chunks=ROWS), da.from_array(y, chunks=ROWS)
    )
    with pytest.raises(InputValueError, match="store_covariance=False"):
        est.summary()


def test_chunked_loss_matches_the_local_loss(rng: np.random.Generator) -> None:
    """The chunked loss's Hessian-vector products and reference-gauge Hessian."""
    from softlogit._dask._loss import ChunkedLinearModelLoss

    X, y, sw = _data(rng, 1000, 3, 3)
    Xd, yd, swd = _arrays(X, y, sw)
    coef = rng.normal(size=(3, 4))
    s = rng.normal(size=(3, 4))
    local = LinearModelLoss(MultinomialLoss())
    chunked = ChunkedLinearModelLoss(MultinomialLoss())
    g_ref, hessp_ref = local.gradient_hessian_product(coef, X, y, sw, 0.01)
    g_got, hessp_got = chunked.gradient_hessian_product(coef, Xd, yd, swd, 0.01)
    np.testing.assert_allclose(g_got, g_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hessp_got(s), hessp_ref(s), rtol=1e-12, atol=1e-15)
    ref = local.gradient_hessian(coef, X, y, sw, 0.01, reference_index=1)
    got = chunked.gradient_hessian(coef, Xd, yd, swd, 0.01, reference_index=1)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    yb = (y == 1).astype(np.float64)
    binomial = ChunkedLinearModelLoss(BinomialLoss())
    value = binomial.loss(coef[0], Xd, da.from_array(yb, chunks=ROWS), None, 0.1)
    expected = LinearModelLoss(BinomialLoss()).loss(coef[0], X, yb, None, 0.1)
    assert value == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize(
    ("scheduler", "workers", "expected"),
    [("threads", 2, 1), ("threads", 1, 2), ("sync", 2, 2)],
    ids=["threads=2", "threads=1", "sync"],
)
def test_threaded_tasks_run_on_one_blas_thread(
    scheduler: str,
    workers: int,
    expected: int,
    rng: np.random.Generator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the threaded scheduler with several threads every block of a pass runs on
    one BLAS thread (else each task's BLAS starts threads of its own: more threads
    than cores, spinning); one Dask thread or the synchronous scheduler keeps the
    BLAS threads, and the limit found before the pass is restored after it."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from softlogit._dask import _loss

    def blas_threads() -> int:
        return max(
            int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"
        )

    seen: list[int] = []
    block_sums = _loss._block_sums

    def spy(*args: Any, **kwargs: Any) -> np.ndarray:
        seen.append(blas_threads())
        return block_sums(*args, **kwargs)

    monkeypatch.setattr(_loss, "_block_sums", spy)
    X, y, sw = _data(rng, 2000, 3, 3)
    chunked = _loss.ChunkedLinearModelLoss(MultinomialLoss())
    coef = rng.normal(size=(3, 4))
    with (
        threadpool_limits(2, user_api="blas"),
        dask.config.set(scheduler=scheduler, num_workers=workers),
    ):
        assert blas_threads() == 2
        value, grad = chunked.loss_gradient(coef, *_arrays(X, y, sw), 0.01)
        assert blas_threads() == 2
    assert len(seen) == X.shape[0] // ROWS  # every block
    assert set(seen) == {expected}
    ref = LinearModelLoss(MultinomialLoss()).loss_gradient(coef, X, y, sw, 0.01)
    assert value == pytest.approx(ref[0], rel=1e-13)
    np.testing.assert_allclose(grad, ref[1], rtol=1e-12, atol=1e-15)


def test_import_softlogit_estimators_does_not_import_dask() -> None:
    code = (
        "import sys, softlogit._estimators, softlogit._dask; "
        "print('dask' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------
# the scheduler
# --------------------------------------------------------------------------------------


def test_unreachable_scheduler_fails_within_the_timeout() -> None:
    from softlogit._dask._cluster import connect

    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(
        SchedulerConnectionError, match=re.escape(repr(address))
    ) as info:
        connect(address, timeout=1.0)
    assert 1.0 <= time.monotonic() - started < 6.0
    assert isinstance(info.value, ConnectionError)
    assert "within 1 s" in str(info.value)
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.address, copy.timeout, str(copy)) == (address, 1.0, str(info.value))
    with pytest.raises(InputValueError, match="address 'no-port' is not valid"):
        connect("no-port", timeout=1.0)
