"""The checks of a derivation, kept on disk per number of classes.

Checking the derivation for ``K`` classes repeats the same SymPy work for every run
of ``softlogit derive --classes K`` and every report of a ``K``-class experiment. The
outcome depends only on the steps, on the code that checks them and on SymPy and
mpmath, so :func:`checked` stores it in a small JSON file whose name is a SHA-256
fingerprint of exactly those: the source of this package, SymPy's and mpmath's
versions and every field of every step (``sympy.srepr``, assumptions included). A
changed step, checker or library gives another fingerprint and is checked afresh.
Only derivations whose every step passed are stored.

The directory is ``$SOFTLOGIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/softlogit``, else
``~/.cache/softlogit``. A directory that cannot be written is not an error: the
checks are then simply not kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from pathlib import Path

import mpmath
import sympy as sp

from softlogit._derivation._core import RenderedSteps, Step, StepCheck
from softlogit._derivation._generic import Generic
from softlogit._io import atomic_write_text

__all__ = ["cache_dir", "checked", "fingerprint"]

_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """Where checked derivations are kept (see the module docstring)."""
    explicit = os.environ.get("SOFTLOGIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "softlogit"


def _twin_text(builder: Callable[[], Generic]) -> str:
    """A builder of this package by its name (its source is in the fingerprint);
    any other by the statement it builds."""
    module, name = (
        getattr(builder, "__module__", ""),
        getattr(builder, "__qualname__", ""),
    )
    if module.startswith(f"{__package__}.") and "<" not in name:
        return f"{module}.{name}"
    return str(sp.srepr(builder()))


def _step_text(step: Step) -> str:
    """Every field of a step, with SymPy objects in ``srepr`` (assumptions shown)."""
    parts = []
    for f in fields(step):
        value = getattr(step, f.name)
        if f.name == "generic" and value is not None:
            value = _twin_text(value)
        elif isinstance(value, dict) or hasattr(value, "items"):
            value = sorted(((sp.srepr(k), repr(v)) for k, v in value.items()))
        parts.append(f"{f.name}={sp.srepr(value)}")
    return "\n".join(parts)


def fingerprint(derivation: RenderedSteps) -> str:
    """The SHA-256 of the steps, the checking code and the libraries (hex).

    Examples
    --------
    >>> from softlogit import derivation
    >>> fingerprint(derivation(2)) == fingerprint(derivation(2))
    True
    >>> fingerprint(derivation(2)) == fingerprint(derivation(3))
    False
    """
    digest = hashlib.sha256()
    digest.update(f"format {_FORMAT}; sympy {sp.__version__}; ".encode())
    digest.update(f"mpmath {mpmath.__version__}; K {derivation.n_classes}\n".encode())
    for source in sorted(_PACKAGE.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    for step in derivation:
        digest.update(_step_text(step).encode("utf-8") + b"\0")
    return digest.hexdigest()


def _path(derivation: RenderedSteps, key: str) -> Path:
    return cache_dir() / f"derivation-K{derivation.n_classes}-{key[:24]}.json"


def _load(path: Path, ids: Sequence[str]) -> list[StepCheck] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        checks = [StepCheck(**entry) for entry in document["checks"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if [c.step_id for c in checks] != list(ids) or not all(c.passed for c in checks):
        return None
    return checks


def checked(
    derivation: RenderedSteps, *, recheck: bool = False
) -> tuple[list[StepCheck], Path | None]:
    """The checks of ``derivation``, from the cache when it holds them.

    Parameters
    ----------
    derivation : Derivation
        The derivation (:func:`softlogit.derivation`).
    recheck : bool, default=False
        Check every step again even if the cache holds the checks (and store the
        new outcome).

    Returns
    -------
    checks : list of StepCheck
        One per step, in order: what ``derivation.check()`` returns.
    cached : Path or None
        The cache file the checks were read from, or None if they were computed
        here.
    """
    key = fingerprint(derivation)
    path = _path(derivation, key)
    if not recheck:
        cached = _load(path, derivation.ids)
        if cached is not None:
            return cached, path
    checks = derivation.check()
    if all(c.passed for c in checks):
        document = {
            "format": _FORMAT,
            "fingerprint": key,
            "n_classes": derivation.n_classes,
            "checks": [asdict(c) for c in checks],
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(
                path, json.dumps(document, indent=1), force=True, cache=True
            )
        except OSError:
            pass  # a read-only cache directory: the checks are not kept
    return checks, None
