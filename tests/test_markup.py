"""User strings are text, never markup: every renderer prints names as written.

Feature names ``dose[mg]`` and ``dose[g]`` once both printed as ``dose`` (rich read
``[mg]`` as a style), and a label ``[/]`` crashed with rich's MarkupError. Each
renderer is checked with names that are rich markup, HTML and matplotlib math.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from softlogit import LogisticRegression, SoftmaxRegression
from softlogit._cli import main

FEATURES = ["dose[mg]", "dose[g]", "[bold]x[/bold]"]
LABELS = np.array(["[/]", "<b>&", "$x_1$"])


def _frame(rng: np.random.Generator, k: int = 3) -> pd.DataFrame:
    X = rng.normal(size=(240, 3))
    W = rng.normal(size=(k, 3))
    y = np.argmax(X @ W.T + rng.gumbel(size=(240, k)), axis=1)
    frame = pd.DataFrame(X, columns=FEATURES)
    frame["[red]kind"] = LABELS[:k][y]
    return frame


def _fit(rng: np.random.Generator, model: object, k: int = 3) -> object:
    frame = _frame(rng, k)
    return model.fit(frame[FEATURES], frame["[red]kind"].to_numpy())  # type: ignore[attr-defined]


@pytest.mark.parametrize("k", [2, 3])
def test_summary_text_shows_every_name_as_written(
    rng: np.random.Generator, k: int
) -> None:
    model = _fit(rng, SoftmaxRegression(C=np.inf), k)
    text = model.summary().to_text(width=200)  # type: ignore[attr-defined]
    for name in FEATURES:
        assert name in text, (name, text)
    for label in LABELS[:k]:
        assert label in text


def test_logistic_summary_title_keeps_the_labels(rng: np.random.Generator) -> None:
    model = _fit(rng, LogisticRegression(C=np.inf), 2)
    text = str(model.summary())  # type: ignore[attr-defined]
    assert "P(y = '<b>&') vs '$x_1$'" in text or "P(y = '[/]')" in text, text
    assert "dose[mg]" in text
    assert "dose[g]" in text


def test_summary_html_escapes_every_name(rng: np.random.Generator) -> None:
    model = _fit(rng, SoftmaxRegression(C=np.inf), 3)
    page = model.summary()._repr_html_()  # type: ignore[attr-defined]
    assert "<b>&" not in page  # the label is escaped, not markup
    assert html.escape("<b>&") in page
    for name in FEATURES:
        assert html.escape(name) in page


def test_rich_rendering_through_a_console(rng: np.random.Generator) -> None:
    from rich.console import Console

    model = _fit(rng, SoftmaxRegression(C=np.inf), 3)
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(model.summary())  # type: ignore[attr-defined]
    for name in FEATURES:
        assert name in buffer.getvalue()


@pytest.mark.parametrize("C", ["inf", "1"])
def test_cli_fit_prints_markup_names(
    tmp_path: Path,
    rng: np.random.Generator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    C: str,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "data.csv"
    _frame(rng).to_csv(path, index=False)
    code = main(["fit", str(path), "--target", "[red]kind", "--C", C])
    out, err = capsys.readouterr()
    assert code == 0, err
    for name in [*FEATURES, *LABELS]:
        assert name in out, (name, out)


def test_report_terminal_and_page_show_markup_names(
    tmp_path: Path,
    rng: np.random.Generator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    frame = _frame(rng, 2)
    csv = tmp_path / "d[bold]a<t>a.csv"
    frame.to_csv(csv, index=False)
    out = tmp_path / "r[b]ep"
    code = main(
        [
            "compare",
            "--csv",
            str(csv),
            "--target",
            "[red]kind",
            "--steps",
            "20",
            "--hidden",
            "2",
            "--out",
            str(out),
        ]
    )
    stdout, err = capsys.readouterr()
    assert code == 0, err
    flat = "".join(stdout.split())  # the path may wrap in the table
    assert flat.count("".join(str(csv).split())) >= 2  # title and settings
    assert f"report:{out}/report.html".replace(" ", "") in flat
    page = (out / "report.html").read_text(encoding="utf-8")
    assert html.escape(csv.name) in page
    assert "d[bold]a<t>a" not in page


def test_summary_text_never_cuts_a_number(rng: np.random.Generator) -> None:
    """At a narrow width the table keeps its own width: no cell ends in an
    ellipsis, every coefficient is printed with its digits."""
    model = _fit(rng, SoftmaxRegression(C=np.inf), 3)
    summary = model.summary()  # type: ignore[attr-defined]
    text = summary.to_text(width=40)
    assert "…" not in text
    for value in summary.coef.ravel():
        assert f"{value:.6g}" in text
