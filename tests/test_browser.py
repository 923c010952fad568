"""The HTML outputs in a real browser: headless Debian Chromium driven by Selenium.

The pages are produced by the command line (``softlogit derive --format html`` and
``softlogit compare``), opened from disk, screenshotted (kept under ``tests/artifacts/``
or ``$SOFTLOGIT_ARTIFACTS``) and inspected through the DOM: every formula is laid out
as MathML with a non-zero size (a fraction's numerator sits above its denominator), no
LaTeX source is visible, every plot image loaded, and the console has no errors.

Nothing is downloaded: Selenium is pointed at ``/usr/bin/chromedriver`` and
``/usr/bin/chromium`` with Selenium Manager offline. When Chromium is missing the tests
fail (they never skip): ``scripts/dev.py`` installs it with apt.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from softlogit._cli import main

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LATEX_SOURCE = ("\\frac", "\\left", "\\sigma", "\\operatorname", "\\mathbf", "$$")

# Measured in the page: every <math> box, every fraction's layout, images, text.
_INSPECT = """
const boxes = Array.from(document.querySelectorAll('math')).map(m => {
  const r = m.getBoundingClientRect(); return [r.width, r.height]; });
const fracs = Array.from(document.querySelectorAll('mfrac')).map(f => {
  const num = f.children[0].getBoundingClientRect();
  const den = f.children[1].getBoundingClientRect();
  return [num.bottom, den.top, num.height, den.height]; });
const images = Array.from(document.images).map(i => [i.currentSrc.slice(0, 40),
  i.complete, i.naturalWidth, i.naturalHeight]);
const svgs = Array.from(document.querySelectorAll('svg')).map(s => {
  const r = s.getBoundingClientRect(); return [r.width, r.height]; });
return {boxes, fracs, images, svgs, text: document.body.innerText,
        height: document.documentElement.scrollHeight,
        mathDisplay: document.querySelector('math') ?
          getComputedStyle(document.querySelector('math')).display : null};
"""


def _artifacts() -> Path:
    root = os.environ.get("SOFTLOGIT_ARTIFACTS")
    path = Path(root) if root else Path(__file__).parent / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser(
    headless_chromium: Callable[..., AbstractContextManager[Any]],
) -> Iterator[Any]:
    """A headless Chromium that downloads nothing and keeps its console log."""
    flags = ("--window-size=1280,1000", "--hide-scrollbars")
    with headless_chromium(flags, console_log=True) as driver:
        yield driver


def _open(driver: Any, page: Path) -> dict[str, Any]:
    driver.get(page.resolve().as_uri())
    driver.execute_script("return document.fonts.ready")
    info: dict[str, Any] = driver.execute_script(_INSPECT)
    return info


def _screenshot(driver: Any, name: str, height: int) -> Path:
    """A full-page screenshot (the window grows to the page height, capped)."""
    driver.set_window_size(1280, min(max(height, 600) + 120, 12000))
    path = _artifacts() / name
    assert driver.save_screenshot(str(path)), f"could not save {path}"
    assert path.stat().st_size > 10_000
    return path


def _console_errors(driver: Any) -> list[str]:
    return [
        f"{e.get('level')}: {e.get('message')}"
        for e in driver.get_log("browser")
        if e.get("level") in ("SEVERE", "ERROR")
    ]


def _assert_math_rendered(info: dict[str, Any], at_least: int) -> None:
    boxes = info["boxes"]
    assert len(boxes) >= at_least
    empty = [i for i, (w, h) in enumerate(boxes) if not (w > 0 and h > 0)]
    assert empty == [], f"<math> elements with zero size: {empty}"
    # MathML was laid out as math (display "math" or "block math" in Chromium), and
    # every fraction's numerator sits above its denominator (inline text would not).
    assert info["mathDisplay"] in ("math", "block math", "inline math")
    assert info["fracs"], "no fraction rendered"
    for num_bottom, den_top, num_h, den_h in info["fracs"]:
        assert num_h > 0
        assert den_h > 0
        assert num_bottom <= den_top + 1.0
    visible = [s for s in LATEX_SOURCE if s in info["text"]]
    assert visible == [], f"raw LaTeX visible in the page: {visible}"


def test_derivation_page_renders(browser: Any, tmp_path: Path) -> None:
    from softlogit import derivation

    page = tmp_path / "derivation.html"
    assert main(["derive", "--format", "html", "--out", str(page)]) == 0
    ids = derivation(2).ids
    info = _open(browser, page)
    _assert_math_rendered(info, at_least=len(ids))
    assert "steps verified" in info["text"]
    assert "FAILED" not in info["text"]
    for step_id in ids:
        element = browser.find_element("id", f"step-{step_id}")
        rect = element.rect
        assert rect["width"] > 0
        assert rect["height"] > 0
    badges = browser.find_elements("css selector", "#derivation .sl-d-badge")
    assert len(badges) == len(ids)
    assert all(b.text.startswith("✓ verified") for b in badges)
    _assert_nothing_overflows(browser)
    assert _console_errors(browser) == []
    _screenshot(browser, "derivation.png", info["height"])
    # A link to a step (as the report's verdicts use) scrolls to it.
    browser.set_window_size(1280, 900)
    browser.get(page.resolve().as_uri() + "#step-training-dynamics")
    top = browser.execute_script(
        "return document.getElementById('step-training-dynamics')"
        ".getBoundingClientRect().top"
    )
    assert abs(top) < 50
    assert browser.execute_script("return window.scrollY") > 0


def test_derivation_page_renders_k_classes(
    browser: Any, tmp_path: Path, overflowing: Callable[[Any], list[str]]
) -> None:
    page = tmp_path / "derivation-k3.html"
    assert (
        main(["derive", "--classes", "3", "--format", "html", "--out", str(page)]) == 0
    )
    info = _open(browser, page)
    _assert_math_rendered(info, at_least=20)
    # The preconditioner matrix is a rendered table.
    tables = browser.find_elements("css selector", "#step-training-dynamics mtable")
    assert tables
    assert all(t.rect["height"] > 0 for t in tables)
    _assert_nothing_overflows(browser)
    assert overflowing(browser) == []
    # at a desktop width no step needs a scroll bar: long equations (step 12, the
    # loss in reference form) are broken over lines
    browser.set_window_size(1280, 900)
    wide = browser.execute_script(
        "return Array.from(document.querySelectorAll('.sl-d-math'))"
        ".filter(e => e.scrollWidth > e.clientWidth + 1)"
        ".map(e => e.closest('li.sl-d-step').id);"
    )
    assert wide == []
    broken = browser.find_elements(
        "css selector", "#step-same-loss-reference .sl-d-line"
    )
    assert len(broken) >= 2
    # the page opens with the steps' table of contents and the T-label map, and
    # every link resolves
    contents = browser.execute_script(
        "return Array.from(document.querySelectorAll('.sl-d-toc a, .sl-d-theorems a'))"
        ".map(a => a.getAttribute('href').slice(1))"
    )
    from softlogit import derivation

    assert contents[: len(derivation(3).ids)] == [
        f"step-{i}" for i in derivation(3).ids
    ]
    assert all(browser.find_elements("id", target) for target in contents)
    assert _console_errors(browser) == []
    _screenshot(browser, "derivation-k3.png", info["height"])


@pytest.mark.slow
def test_report_page_renders(browser: Any, tmp_path: Path) -> None:
    """`softlogit compare`'s report: plots loaded, derivation math laid out, links."""
    out = tmp_path / "report"
    assert main(["compare", "--steps", "5", "--out", str(out)]) == 0
    page = out / "report.html"
    info = _open(browser, page)
    _assert_math_rendered(info, at_least=10)
    plots = info["images"] + [["svg", True, w, h] for w, h in info["svgs"]]
    assert plots, "the report shows no plot"
    for src, complete, width, height in info["images"]:
        assert complete, f"image {src} did not finish loading"
        assert width > 0, f"image {src} did not load"
        assert height > 0, f"image {src} did not load"
    for width, height in info["svgs"]:
        assert width > 0
        assert height > 0
    # Every link to a derivation step lands on an element of the page.
    targets = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href^=\"#step-\"]'))"
        ".map(a => a.getAttribute('href').slice(1))"
    )
    assert targets, "no verdict links to the derivation"
    missing = [t for t in targets if not browser.find_elements("id", t)]
    assert missing == []
    assert _console_errors(browser) == []
    _screenshot(browser, "report.png", info["height"])


def test_inspection_detects_unrendered_math(browser: Any, tmp_path: Path) -> None:
    """The checks above can fail: raw LaTeX and a missing image are caught."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        "<p>$$\\frac{e^{z_2}}{e^{z_1} + e^{z_2}}$$</p>"
        "<math display='block'><mfrac><mi>a</mi><mi>b</mi></mfrac></math>"
        "<img src='missing.png' alt='plot'></body></html>",
        encoding="utf-8",
    )
    info = _open(browser, page)
    with pytest.raises(AssertionError, match="raw LaTeX visible"):
        _assert_math_rendered(info, at_least=1)
    assert info["images"][0][2] == 0  # naturalWidth of the missing plot
    assert _console_errors(browser) != []  # the failed load is logged


def _assert_nothing_overflows(driver: Any) -> None:
    """No step card is wider than the section: wide formulas scroll inside it."""
    overflow = driver.execute_script(
        "const s = document.getElementById('derivation').getBoundingClientRect();"
        "return Array.from(document.querySelectorAll('#derivation li.sl-d-step *'))"
        ".filter(e => e.getBoundingClientRect().right > s.right + 1"
        " && !e.closest('.sl-d-math, .sl-d-side li'))"
        ".map(e => e.tagName + ' in ' + e.closest('li.sl-d-step').id).slice(0, 5);"
    )
    assert overflow == [], f"elements stick out of the derivation: {overflow}"
