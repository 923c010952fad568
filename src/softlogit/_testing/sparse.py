"""A sparse matrix that proves it is never densified, for the tests of sparse input."""

from __future__ import annotations

from typing import Any, NoReturn

import scipy.sparse as sp

__all__ = ["NoDense"]


class NoDense(sp.csr_matrix):  # type: ignore[misc]
    """A CSR matrix that fails the test if anything densifies it."""

    def toarray(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("a sparse X was densified (toarray)")

    def todense(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("a sparse X was densified (todense)")

    def __array__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("a sparse X was densified (__array__)")
