"""The public namespace: an explicit, sorted ``__all__`` whose names all resolve."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import types

import pytest

import softlogit
import softlogit.errors


def _fresh(code: str) -> str:
    """What ``code`` prints in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _public_names() -> set[str]:
    """Every name of the package namespace not starting with ``_``, submodules
    excluded."""
    return {
        name
        for name in dir(softlogit)
        if not name.startswith("_")
        and not isinstance(getattr(softlogit, name), types.ModuleType)
    }


def test_all_is_sorted_and_unique() -> None:
    assert list(softlogit.__all__) == sorted(set(softlogit.__all__))


def test_all_is_exactly_the_public_names() -> None:
    """Before and after every lazy name is loaded (and submodules are imported)."""
    assert set(softlogit.__all__) == _public_names() | {"__version__"}
    for name in softlogit.__all__:
        getattr(softlogit, name)
    for module in ("softlogit.experiment", "softlogit._cli", "softlogit._report._html"):
        importlib.import_module(module)
    assert set(softlogit.__all__) == _public_names() | {"__version__"}


def test_all_is_exact_in_a_fresh_interpreter() -> None:
    code = (
        "import types, softlogit; print(sorted(n for n in dir(softlogit) "
        "if not n.startswith('_') and not isinstance(getattr(softlogit, n), "
        "types.ModuleType)))"
    )
    assert _fresh(code) == str(sorted(set(softlogit.__all__) - {"__version__"}))


def test_errors_report_themselves_as_softlogit() -> None:
    """Tracebacks read ``softlogit.SeparationError``: the exported classes of
    softlogit.errors say they live in ``softlogit``, where they resolve."""
    classes = {
        name: obj
        for name, obj in vars(softlogit.errors).items()
        if inspect.isclass(obj) and obj.__module__.startswith("softlogit")
    }
    assert set(classes) == set(softlogit.errors.__all__)
    exported = {name for name in classes if name in softlogit.__all__}
    assert exported == set(classes) - {"CLIError"}
    for name in exported:
        assert classes[name].__module__ == "softlogit", name
        assert getattr(softlogit, name) is classes[name]
    # the command line's own error is not part of the library's namespace
    assert softlogit.errors.CLIError.__module__ == "softlogit.errors"


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
    assert _fresh(code) == ""


def test_lazy_names_are_all_public() -> None:
    """Every lazily loaded name is in `__all__`, and `__all__` holds nothing else unknown."""
    eager = {name for name in softlogit.__all__ if name in vars(softlogit)}
    assert set(softlogit._LAZY) <= set(softlogit.__all__)
    assert set(softlogit.__all__) - set(softlogit._LAZY) <= eager | {"__version__"}
