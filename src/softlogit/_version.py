"""The installed distribution's version: ``pyproject.toml`` is the one source."""

from __future__ import annotations

import functools

__all__ = ["version"]


@functools.cache
def version() -> str:
    """The version of the installed ``softlogit`` distribution.

    Examples
    --------
    >>> import softlogit
    >>> version() == softlogit.__version__
    True
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as distribution_version

    try:
        return distribution_version("softlogit")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0+unknown"
