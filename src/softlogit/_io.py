"""Atomic output: a failure leaves no half-written file and never clobbers silently."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "atomic_directory",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_target",
]

StrPath = str | os.PathLike[str]


def check_target(path: Path, force: bool, name: str) -> None:
    """Refuse to overwrite ``path`` without ``force``, or to write into a missing folder."""
    if path.exists() and not force:
        raise FileExistsError(
            f"`{name}` {str(path)!r} already exists; pass --force (force=True) to "
            "overwrite it."
        )
    if not path.parent.exists():
        raise FileNotFoundError(
            f"`{name}` {str(path)!r}: directory {str(path.parent)!r} does not exist."
        )


def atomic_write_bytes(
    path: StrPath, data: bytes, *, force: bool = False, name: str = "path"
) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    Raises ``FileExistsError`` if ``path`` exists and ``force`` is false.
    """
    target = Path(path)
    check_target(target, force, name)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target


def atomic_write_text(
    path: StrPath, text: str, *, force: bool = False, name: str = "path"
) -> Path:
    """Write UTF-8 ``text`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"), force=force, name=name)


@contextlib.contextmanager
def atomic_directory(
    path: StrPath,
    *,
    force: bool = False,
    marker: str | None = None,
    name: str = "out",
) -> Iterator[Path]:
    """Build a directory in a temporary sibling and move it into place on success.

    An existing ``path`` is replaced only if ``force`` is true, or if it holds the file
    ``marker`` (it is an earlier output of the same kind). On any exception the temporary
    directory is removed and ``path`` is left as it was.

    Yields
    ------
    Path
        The temporary directory to write into.
    """
    target = Path(path)
    if target.exists():
        ours = marker is not None and (target / marker).is_file()
        if not (force or ours):
            raise FileExistsError(
                f"`{name}` {str(target)!r} already exists and is not a softlogit output; "
                "pass --force to overwrite it."
            )
        if not target.is_dir():
            raise FileExistsError(
                f"`{name}` {str(target)!r} exists and is not a directory."
            )
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise FileNotFoundError(
            f"`{name}` {str(target)!r}: directory {str(parent)!r} does not exist."
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        yield tmp
        if marker is not None:
            (tmp / marker).write_text("written by softlogit\n", encoding="utf-8")
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=parent))
            os.replace(target, old / "x")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
