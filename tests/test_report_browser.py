"""The report page's layout in headless Chromium, at desktop and phone widths.

(tests/test_browser.py checks that the formulas and plots render; this checks that the
page is laid out for reading: nothing wider than the window, the navigation resolves,
the verdict badges and the answers are visible.) Chromium and its driver are Debian's
packages; nothing is downloaded. Missing Chromium fails the test, as in
tests/test_browser.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from softlogit._cli import main

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


_LAYOUT = """
const doc = document.documentElement;
const visible = sel => Array.from(document.querySelectorAll(sel)).filter(e => {
  const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length;
const nav = Array.from(document.querySelectorAll('nav.toc a')).map(
  a => a.getAttribute('href'));
return {client: doc.clientWidth, scroll: doc.scrollWidth, nav: nav,
        missing: nav.filter(h => !document.getElementById(h.slice(1))),
        badges: visible('.badge'), answers: visible('.answer'),
        figures: visible('figure svg')};
"""


@pytest.fixture(scope="module")
def browser(
    headless_chromium: Callable[..., AbstractContextManager[Any]],
) -> Iterator[Any]:
    with headless_chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "r"
    assert (
        main(
            ["compare", "--steps", "40", "--hidden", "4", "--quiet", "--out", str(out)]
        )
        == 0
    )
    return out / "report.html"


@pytest.mark.parametrize(
    ("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"]
)
def test_layout_fits_the_window(
    browser: Any, report: Path, width: int, height: int
) -> None:
    browser.set_window_size(width, height)
    browser.get(report.resolve().as_uri())
    info = browser.execute_script(_LAYOUT)
    # nothing makes the page scroll sideways (wide tables and formulas scroll in
    # their own boxes)
    assert info["scroll"] <= info["client"], info
    assert info["nav"] == [
        "#answers",
        "#networks",
        "#verdicts",
        "#glossary",
        "#plots",
        "#settings",
        "#derivation",
    ]
    assert info["missing"] == []
    assert info["badges"] >= 3 + 4  # a verdict per pair, a status per network
    assert info["answers"] == 2
    assert info["figures"] == 4


@pytest.fixture(scope="module")
def report_k10(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten classes: the widest verdicts table (long network names, every figure)."""
    out = tmp_path_factory.mktemp("report") / "k10"
    argv = ["compare", "--dataset", "synthetic", "--n-classes", "10", "--steps", "20"]
    argv += ["--hidden", "4", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    return out / "report.html"


_TABLES = """
return Array.from(document.querySelectorAll('table')).map(t => {
  const card = t.closest('.card');
  return [t.className, t.scrollWidth, card.clientWidth, card.scrollWidth]; });
"""

_HEADLINES = """
return Array.from(document.querySelectorAll('.answer .short')).map(e => [
  e.textContent, e.getBoundingClientRect().height,
  parseFloat(getComputedStyle(e).lineHeight)]);
"""


@pytest.mark.parametrize("width", [1600, 1280, 390])
def test_k10_tables_fit_their_cards_and_nothing_overflows(
    browser: Any,
    report_k10: Path,
    width: int,
    overflowing: Callable[[Any], list[str]],
) -> None:
    browser.set_window_size(width, 900)
    browser.get(report_k10.resolve().as_uri())
    tables = browser.execute_script(_TABLES)
    assert [t[0] for t in tables][:2] == ["stack", "verdicts stack"]
    for name, table_width, card_width, card_scroll in tables:
        # the table is no wider than its card: nothing is cut or scrolled
        assert table_width <= card_width, (name, table_width, card_width)
        assert card_scroll <= card_width, (name, card_scroll, card_width)
    assert overflowing(browser) == []
    page = browser.execute_script(
        "return [document.documentElement.scrollWidth, "
        "document.documentElement.clientWidth]"
    )
    assert page[0] <= page[1]


@pytest.mark.parametrize("width", [1280, 390])
def test_answer_headlines_take_at_most_two_lines(
    browser: Any, report_k10: Path, report: Path, width: int
) -> None:
    browser.set_window_size(width, 900)
    for page in (report, report_k10):
        browser.get(page.resolve().as_uri())
        headlines = browser.execute_script(_HEADLINES)
        assert len(headlines) == 2
        for text, height, line in headlines:
            assert height <= 2 * line + 1, (width, text, height / line)


def test_the_table_of_contents_stays_in_view(browser: Any, report_k10: Path) -> None:
    browser.set_window_size(1280, 900)
    browser.get(report_k10.resolve().as_uri())
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    nav = browser.execute_script(
        "const n = document.querySelector('nav.toc'); const r = n.getBoundingClientRect();"
        "return [r.top, r.height, window.scrollY, "
        "Array.from(n.querySelectorAll('a')).map(a => a.getAttribute('href'))];"
    )
    top, height, scrolled, links = nav
    assert scrolled > 5000  # a long page, scrolled to its end
    assert abs(top) <= 1  # pinned to the top of the window
    assert height > 20
    assert "#glossary" in links
    assert "#derivation" in links
    # a link target is not hidden under the pinned bar
    browser.execute_script("document.querySelector('a[href=\"#verdicts\"]').click()")
    target = browser.execute_script(
        "return document.getElementById('verdicts').getBoundingClientRect().top"
    )
    assert target >= height - 1


def test_theorem_labels_have_their_definitions_on_hover(
    browser: Any, report: Path
) -> None:
    from softlogit.experiment import THEOREMS

    browser.set_window_size(1280, 900)
    browser.get(report.resolve().as_uri())
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('abbr.term, .theorem a'))"
        ".map(e => [e.textContent, e.getAttribute('title')]);"
    )
    assert {label for label, _ in titles} >= {"T4", "T5"}
    for label, title in titles:
        if label in THEOREMS:
            assert title == f"{label}: {THEOREMS[label]}"
    glossary = browser.execute_script(
        "return Array.from(document.querySelectorAll('#glossary dt'))"
        ".map(e => e.textContent);"
    )
    assert glossary[:8] == list(THEOREMS)


def test_the_derivation_uses_a_math_font(browser: Any, report: Path) -> None:
    """The embedded derivation sets the math font the standalone page sets, so
    brackets around tall content stretch."""
    browser.set_window_size(1280, 900)
    browser.get(report.resolve().as_uri())
    fonts = browser.execute_script(
        "return Array.from(document.querySelectorAll('#derivation math'))"
        ".map(m => getComputedStyle(m).fontFamily);"
    )
    assert fonts
    assert all("STIX Two Math" in f for f in fonts)
