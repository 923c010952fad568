"""BLAS thread control: small problems run on one BLAS thread.

Thread start-up and spinning cost more than the arithmetic of small matrix products,
so fits, inference and the experiment run work below :data:`SINGLE_THREAD_WORK` on
one BLAS thread. The limit is process-wide
(BLAS libraries have one setting per process), so :func:`single_blas_thread` is
reference-counted: concurrent users share one limit, and the last one out restores
exactly the setting found by the first one in.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from typing import Any

__all__ = [
    "SINGLE_THREAD_WORK",
    "blas_controller",
    "blas_threads",
    "single_blas_thread",
    "single_blas_thread_if_small",
]

#: Work (entries of ``X`` times the number of classes) below which one BLAS thread
#: is used.
SINGLE_THREAD_WORK = 4_000_000

_lock = threading.Lock()
_depth = 0
_limiter: Any = None


@functools.cache
def blas_controller() -> Any:
    """threadpoolctl's controller, built once (finding the libraries takes ~0.1 s)."""
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController()


def blas_threads() -> int:
    """The current thread limit of the BLAS libraries (aware of active limits)."""
    libs = blas_controller().select(user_api="blas").lib_controllers
    return max([1, *(int(lib.num_threads) for lib in libs)])


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the body on one BLAS thread; restore the previous limit afterwards.

    Nested and concurrent uses (from several Python threads) share one limit: the
    first entry sets it, the last exit restores what the first entry found.
    """
    global _depth, _limiter
    with _lock:
        if _depth == 0:
            _limiter = blas_controller().limit(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _limiter.restore_original_limits()
                _limiter = None


def single_blas_thread_if_small(work: int) -> contextlib.AbstractContextManager[None]:
    """:func:`single_blas_thread` if ``work < SINGLE_THREAD_WORK``, else nothing."""
    if work < SINGLE_THREAD_WORK:
        return single_blas_thread()
    return contextlib.nullcontext()
