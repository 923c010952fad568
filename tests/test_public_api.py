"""The public namespace: an explicit, sorted ``__all__`` whose names all resolve."""

from __future__ import annotations

import subprocess
import sys

import pytest

import softlogit


def test_all_is_sorted_and_unique() -> None:
    assert list(softlogit.__all__) == sorted(set(softlogit.__all__))


def test_every_public_name_resolves() -> None:
    for name in softlogit.__all__:
        assert getattr(softlogit, name) is not None, name


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        softlogit.no_such_name  # type: ignore[attr-defined]


def test_import_is_lazy() -> None:
    """`import softlogit` loads none of the heavy dependencies."""
    code = (
        "import sys, softlogit; heavy = ['sklearn', 'scipy', 'sympy', 'matplotlib', "
        "'torch', 'tensorflow', 'keras', 'dask', 'pandas', 'rich', 'click']; "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_lazy_names_are_all_public() -> None:
    """Every lazily loaded name is in `__all__`, and `__all__` holds nothing else unknown."""
    eager = {name for name in softlogit.__all__ if name in vars(softlogit)}
    assert set(softlogit._LAZY) <= set(softlogit.__all__)
    assert set(softlogit.__all__) - set(softlogit._LAZY) <= eager | {"__version__"}
