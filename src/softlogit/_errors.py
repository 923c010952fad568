"""Exceptions and warnings of softlogit."""

from __future__ import annotations

__all__ = ["CLIError", "MissingExtraError"]


class CLIError(Exception):
    """A user-facing command-line error: printed as ``error: <message>``.

    Parameters
    ----------
    message : str
        What went wrong, naming the option or file.
    exit_code : int, default=2
        The process exit code (2 for bad usage or input, 1 for a failed run).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class MissingExtraError(ImportError):
    """An optional dependency is missing; the message names the ``pip install``."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"this feature needs {package}; install it with "
            f"`pip install 'softlogit[{extra}]'`."
        )
