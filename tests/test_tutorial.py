"""The tutorial notebook and its jupytext source stay one document.

``examples/tutorial.py`` (percent format) is the source of truth;
``examples/tutorial.ipynb`` is made from it (``jupytext --sync``) and committed
without outputs. nbmake executes the notebook in the test run (``--nbmake`` in the
pytest options), and the documentation build executes it again.
"""

from __future__ import annotations

from pathlib import Path

import jupytext

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _cells(path: Path) -> list[tuple[str, str]]:
    notebook = jupytext.read(path)
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_notebook_matches_its_source() -> None:
    source = _cells(EXAMPLES / "tutorial.py")
    notebook = _cells(EXAMPLES / "tutorial.ipynb")
    assert len(source) > 10
    assert notebook == source, "run `jupytext --sync examples/tutorial.py`"


def test_notebook_is_paired_and_committed_without_outputs() -> None:
    notebook = jupytext.read(EXAMPLES / "tutorial.ipynb")
    assert notebook.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.get("outputs") for cell in code)


def test_the_story_is_told() -> None:
    text = (EXAMPLES / "tutorial.py").read_text(encoding="utf-8")
    for needle in (
        "sl.softmax(",
        "SoftmaxRegression(",
        "LogisticRegression(",
        ".to_logistic()",
        "run_experiment(",
        '"1c"',
        "plt.show()",
    ):
        assert needle in text, needle
