"""The one-BLAS-thread guard restores exactly what it changed, also across threads."""

from __future__ import annotations

import threading

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from softlogit import LogisticRegression
from softlogit._threads import single_blas_thread, single_blas_thread_if_small


def _blas_threads() -> list[int]:
    """Thread counts of the BLAS libraries, as threadpoolctl reports them."""
    return [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]


def test_guard_limits_and_restores() -> None:
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        with single_blas_thread():
            assert set(_blas_threads()) == {1}
            with single_blas_thread():  # nested
                assert set(_blas_threads()) == {1}
            assert set(_blas_threads()) == {1}
        assert _blas_threads() == before


def test_large_work_is_not_limited() -> None:
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        with single_blas_thread_if_small(10**12):
            assert _blas_threads() == before


def test_concurrent_small_fits_restore_the_thread_count() -> None:
    """Overlapping guards in many threads leave the process as they found it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + rng.logistic(size=200) > 0).astype(int)
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        barrier = threading.Barrier(6)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                barrier.wait()
                for _ in range(5):
                    LogisticRegression().fit(X, y)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert _blas_threads() == before
