"""Atomic output: a failure leaves no half-written file and never clobbers silently.

Every file softlogit writes is built in a temporary sibling and moved into place with
one rename, so a reader sees the old file or the new one, never a part; on any
failure, an exception, ``KeyboardInterrupt`` or the command line's ``SIGTERM``
(turned into an exception by :mod:`softlogit._cli`), the temporary is removed and
the old output is left as it was. The rules:

- **Files** (:func:`atomic_write_bytes`, :func:`atomic_path`) are renamed over the
  old file with :func:`os.replace`, atomic on POSIX and Windows.
- **Directories** (:func:`atomic_directory`, a report or a saved result) cannot be
  renamed over a non-empty directory. Where the system can *exchange* two paths in
  one step (Linux's ``renameat2(RENAME_EXCHANGE)``, on the file systems that
  support it) the new directory and the old one swap atomically and the old one is
  then deleted. Elsewhere the old directory is renamed aside, the new one renamed
  into place, and on any failure between the two the old one is renamed back: the
  previous output survives every failure the process lives through (a ``SIGKILL``
  or a power cut between the renames leaves it in the hidden ``.<name>.old.*``
  sibling). A directory symlink swapped with :func:`os.replace` would be atomic
  everywhere, but it changes what users get (a link instead of a directory, which
  Windows creates only with privileges and archive tools copy as a link); the
  exchange keeps the directory a directory.
- **Modes** follow the process umask, as with any other tool: a new file gets
  ``0o666 & ~umask`` and a new directory ``0o777 & ~umask`` (temporary files are
  created private, ``0o600``), and a replaced file keeps its mode.
- **Symbolic links** are followed: writing to a link (with ``force``) replaces the
  file it points to, and the link stays.
- **Errors** of the system (a full disk, a read-only directory) are re-raised as the
  same ``OSError`` subclass with a message naming the output and its option, not the
  temporary file.
- **Commits** are known to the command line: within :func:`record_commits`,
  :func:`output_committed` is true from the moment an output's final rename begins
  (neither a cache file, ``cache=True``, nor a file renamed inside a directory still
  being built counts). The command line's signal handlers
  ask it, so that a signal cannot report a failure once the new output is in place:
  a command exits non-zero only with its previous output untouched.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TypeGuard

from softlogit.errors import SoftlogitError

__all__ = [
    "atomic_directory",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_target",
    "new_directory_mode",
    "new_file_mode",
    "output_committed",
    "record_commits",
]

StrPath = str | os.PathLike[str]

_UMASK_LOCK = threading.Lock()


# ------------------------------------------------------------------ commits
class _Commits:
    """Within :func:`record_commits`: whether an output has been (or is being) committed."""

    recording = False
    committed = False


# Directories being built by atomic_directory: what is renamed inside them is not an
# output yet (the directory's own swap is).
_STAGING: set[Path] = set()


@contextlib.contextmanager
def record_commits() -> Iterator[None]:
    """Record, for the length of the block, whether an output gets committed."""
    saved = (_Commits.recording, _Commits.committed)
    _Commits.recording, _Commits.committed = True, False
    try:
        yield
    finally:
        _Commits.recording, _Commits.committed = saved


def output_committed() -> bool:
    """Whether an output's final rename has begun within :func:`record_commits`."""
    return _Commits.recording and _Commits.committed


@contextlib.contextmanager
def _committing(target: Path, cache: bool) -> Iterator[None]:
    """Mark the block that moves an output into place at ``target``.

    Not a cache file's, nor a file's inside a directory still being built. The mark
    is set before the rename, so a signal handler that runs from then on sees it;
    if the rename fails, the mark is taken back and the error propagates.
    """
    staged = any(target.is_relative_to(d) for d in tuple(_STAGING))
    if cache or staged or not _Commits.recording:
        yield
        return
    before = _Commits.committed
    _Commits.committed = True
    try:
        yield
    except BaseException:
        _Commits.committed = before
        raise


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii") as fh,
    ):
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:  # os.umask sets while it reads: restore it at once
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode ``open(path, "w")`` gives a new file under the current umask."""
    return 0o666 & ~_umask()


def new_directory_mode() -> int:
    """The mode ``mkdir`` gives a new directory under the current umask."""
    return 0o777 & ~_umask()


def _resolve(path: StrPath) -> Path:
    """``path``, with a symbolic link replaced by the path it points to."""
    target = Path(path)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def _parent(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _writing_error(
    exc: BaseException, passed: type[OSError] | tuple[type[OSError], ...]
) -> TypeGuard[OSError]:
    """Whether ``exc``, raised while an output was written, is the system's error
    to report as one about the output: an ``OSError`` other than ``passed`` and
    other than softlogit's own (which say what failed themselves)."""
    return isinstance(exc, OSError) and not isinstance(exc, (passed, SoftlogitError))


def _system_error(exc: OSError, target: Path, name: str) -> OSError:
    """``exc`` (same class, same errno) with a message naming the output."""
    reason = exc.strerror or str(exc)
    new = type(exc)(
        f"`{name}` {str(target)!r}: cannot write it ({reason[:1].lower()}"
        f"{reason[1:]} in {str(_parent(target))!r}); nothing was changed."
    )
    new.errno = exc.errno or errno.EIO
    return new


def check_target(path: Path, force: bool, name: str) -> None:
    """Refuse to overwrite ``path`` without ``force``, or to write into a missing folder."""
    if path.exists() and not force:
        raise FileExistsError(
            f"`{name}` {str(path)!r} already exists; pass --force (force=True) to "
            "overwrite it."
        )
    if path.is_dir():
        raise IsADirectoryError(
            f"`{name}` {str(path)!r} is a directory; name a file to write."
        )
    if not _parent(path).exists():
        raise FileNotFoundError(
            f"`{name}` {str(path)!r}: directory {str(path.parent)!r} does not exist."
        )


@contextlib.contextmanager
def atomic_path(
    path: StrPath,
    *,
    force: bool = False,
    name: str = "path",
    suffix: str = ".tmp",
    cache: bool = False,
) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write; move it into place on success.

    For writers that take a path (Keras writes only to names ending in
    ``.keras``: pass ``suffix=".keras"``). On any exception the temporary is
    removed and ``path`` is left as it was. A ``cache`` file is not a command's
    output (see :func:`output_committed`).

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``force`` is false.
    IsADirectoryError
        If ``path`` is a directory.
    FileNotFoundError
        If the directory of ``path`` does not exist.
    OSError
        If the system refuses (a read-only directory, a full disk): the message
        names ``path``.
    """
    target = _resolve(path)
    check_target(target, force, name)
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else new_file_mode()
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=suffix, dir=_parent(target)
        )
        os.close(fd)
    except OSError as exc:
        raise _system_error(exc, target, name) from None
    try:
        yield Path(tmp)
        os.chmod(tmp, mode)
        with _committing(target, cache):
            os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if _writing_error(exc, FileNotFoundError):
            raise _system_error(exc, target, name) from None
        raise


def atomic_write_bytes(
    path: StrPath,
    data: bytes,
    *,
    force: bool = False,
    name: str = "path",
    cache: bool = False,
) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    Returns the path given (a symbolic link stays one: its target is replaced).
    See :func:`atomic_path` for the errors.
    """
    with (
        atomic_path(path, force=force, name=name, cache=cache) as tmp,
        open(tmp, "wb") as fh,
    ):
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


def atomic_write_text(
    path: StrPath,
    text: str,
    *,
    force: bool = False,
    name: str = "path",
    cache: bool = False,
) -> Path:
    """Write UTF-8 ``text`` atomically; see :func:`atomic_write_bytes`."""
    data = text.encode("utf-8")
    return atomic_write_bytes(path, data, force=force, name=name, cache=cache)


# ------------------------------------------------------------------ directories
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap the paths ``a`` and ``b`` in one atomic step; False where unsupported.

    Linux's ``renameat2(..., RENAME_EXCHANGE)`` (glibc 2.28, kernel 3.15, local
    file systems); any other system, or a file system that refuses the flag,
    returns False and the caller falls back to two renames.

    Raises
    ------
    OSError
        If the exchange is supported but fails (a permission, a missing path).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    rc = renameat2(
        _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE
    )
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_into_place(tmp: Path, target: Path, parent: Path) -> None:
    """Put the directory ``tmp`` at ``target``, replacing a directory there.

    The old directory is kept until the new one is in place, and put back on any
    failure.
    """
    if not target.exists():
        os.replace(tmp, target)
        return
    if _exchange(tmp, target):  # tmp now holds the old directory
        shutil.rmtree(tmp, ignore_errors=True)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=parent))
    old = aside / target.name
    try:
        os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        if old.exists() and not target.exists():
            os.replace(old, target)  # restore: the old output is never lost
        shutil.rmtree(aside, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)


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
    directory is removed and ``path`` is left as it was. A symbolic link is
    followed: the directory it points to is replaced, the link stays.

    Yields
    ------
    Path
        The temporary directory to write into (mode ``0o777 & ~umask``).
    """
    target = _resolve(path)
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
    parent = _parent(target)
    if not parent.exists():
        raise FileNotFoundError(
            f"`{name}` {str(target)!r}: directory {str(parent)!r} does not exist."
        )
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    except OSError as exc:
        raise _system_error(exc, target, name) from None
    _STAGING.add(tmp)
    try:
        tmp.chmod(new_directory_mode())
        yield tmp
        if marker is not None:
            (tmp / marker).write_text("written by softlogit\n", encoding="utf-8")
        with _committing(target, cache=False):
            _swap_into_place(tmp, target, parent)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if _writing_error(exc, (FileNotFoundError, FileExistsError)):
            raise _system_error(exc, target, name) from None
        raise
    finally:
        _STAGING.discard(tmp)
