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
        "#plots",
        "#settings",
        "#derivation",
    ]
    assert info["missing"] == []
    assert info["badges"] >= 3 + 4  # a verdict per pair, a status per network
    assert info["answers"] == 2
    assert info["figures"] == 4
