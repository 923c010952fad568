"""Concurrent fits on one estimator: the final state is one fit's, complete."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from softlogit import LogisticRegression, SeparationError, SoftmaxRegression


def _blas_threads() -> list[int]:
    """Thread counts of the BLAS libraries, as threadpoolctl reports them."""
    return [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]


def _data(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Data sets of different shapes (classes, features): a mixed state shows."""
    rng = np.random.default_rng(seed)
    out = []
    for k, p in [(3, 2), (4, 3), (2, 4), (5, 2)]:
        X = rng.normal(size=(300, p))
        W = rng.normal(size=(k, p))
        out.append((X, np.argmax(X @ W.T + rng.gumbel(size=(300, k)), axis=1)))
    return out


def _state(est: SoftmaxRegression) -> tuple[object, ...]:
    s = est.summary()
    return (
        est.classes_.tolist(),
        est.n_features_in_,
        est.coef_.tolist(),
        est.intercept_.tolist(),
        s.coef.tolist(),
        s.std_err.tolist(),
    )


def test_concurrent_fits_leave_one_complete_state(seed: int) -> None:
    """Four threads refit one estimator on four data sets (bounded: 3 rounds x 5
    fits each): afterwards its state equals one serial fit's exactly, and
    summary() (which needs coefficients, classes and covariance of one fit)
    works. Serial fits on fresh estimators are the reference."""
    datasets = _data(seed)
    serial = [_state(SoftmaxRegression(C=np.inf).fit(X, y)) for X, y in datasets]
    for _ in range(3):
        est = SoftmaxRegression(C=np.inf)
        errors: list[BaseException] = []

        def refit(
            i: int,
            est: SoftmaxRegression = est,
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                for _ in range(5):
                    est.fit(*datasets[i])
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=refit, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert _state(est) in serial


def test_a_failed_fit_leaves_the_previous_state(seed: int) -> None:
    """A fit that raises (separated data) publishes nothing: the earlier fit's
    state stays whole (statsmodels-free reference: the same estimator before)."""
    X, y = _data(seed)[2]
    est = LogisticRegression(C=np.inf).fit(X, y)
    before = (est.coef_.copy(), est.intercept_.copy(), est.summary().std_err.copy())
    separated = (X[:, 0] > 0).astype(int)
    with pytest.raises(SeparationError):
        est.fit(X[:, :3], separated)
    assert est.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(est.coef_, before[0])
    np.testing.assert_array_equal(est.intercept_, before[1])
    np.testing.assert_array_equal(est.summary().std_err, before[2])


def test_a_small_fit_finishes_its_inference_on_one_blas_thread(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The existence proof (eigenvalues) and the covariance (a Cholesky factor) of a
    small unpenalized fit run under the fit's one-thread guard, like its solver:
    BLAS threads spinning on matrices this small made a 10k x 20, K = 10 fit five
    times slower on a busy machine. The thread counts are threadpoolctl's."""
    import softlogit._covariance as covariance
    import softlogit._separation as separation

    seen: list[list[int]] = []

    def recording(function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen.append(_blas_threads())
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        separation,
        "curvature_certificate",
        recording(separation.curvature_certificate),
    )
    monkeypatch.setattr(covariance, "inverse_spd", recording(covariance.inverse_spd))
    X, y = _data(seed)[0]
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        est = SoftmaxRegression(C=np.inf).fit(X, y)
        assert _blas_threads() == before
    assert np.all(np.isfinite(est.summary().std_err))
    assert len(seen) == 2  # the certificate and the covariance
    assert all(set(counts) == {1} for counts in seen)
