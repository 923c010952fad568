"""The README's Python examples run as doctests, and its two commands exist as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert blocks, "the README has no Python examples"
    # One doctest for all blocks: later examples use names defined in earlier ones.
    test = doctest.DocTestParser().get_doctest(
        "\n".join(blocks), {}, "README.md", str(ROOT / "README.md"), 0
    )
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_the_two_commands_are_the_dev_script() -> None:
    commands = re.findall(r"^python3 scripts/dev\.py (\w+)", README, flags=re.MULTILINE)
    assert commands[:2] == ["compare", "test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 scripts/dev.py test" in ci
