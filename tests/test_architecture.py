"""The house rules that keep modules small: checked on the package's own source."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _code_size():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "code_size", ROOT / "scripts" / "code_size.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_module_or_function_over_the_limits() -> None:
    """No module over 500 lines of code, no function over 120 (docstrings excluded)."""
    code_size = _code_size()
    problems = [
        p for f in sorted((ROOT / "src").rglob("*.py")) for p in code_size.problems(f)
    ]
    assert problems == []


def test_the_counter_excludes_docstrings_comments_and_blank_lines(
    tmp_path: Path,
) -> None:
    code_size = _code_size()
    source = textwrap.dedent(
        '''
        """Module docstring
        on two lines."""

        # a comment

        def f(x):
            """Docstring."""
            y = x + 1  # trailing comment
            return (
                y
            )
        '''
    )
    assert sorted(code_size.code_lines(source)) == [7, 9, 10, 11, 12]
    body = "\n".join(f"    x{i} = {i}" for i in range(121))
    big = tmp_path / "big.py"
    big.write_text(f"def g():\n    '''Doc.'''\n{body}\n", encoding="utf-8")
    assert code_size.problems(big) == [f"{big}:1: function g has 122 lines (limit 120)"]
