"""The documentation site: complete API reference, executed pages, offline rendering.

The site is built by ``python3 scripts/dev.py docs`` (and before pytest by
``python3 scripts/dev.py test``) into ``docs/_build/html``; when no build is there,
the first test builds it (with warnings as errors). The browser tests open pages from
disk in headless Debian Chromium, wait for MathJax (served from the site's own
``_static/mathjax``), take screenshots (under ``tests/artifacts/`` or
``$SOFTLOGIT_ARTIFACTS``) and read Chrome's DevTools network log: every request a page
makes must be for a file of the site itself (``file://``) or inline data.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

import softlogit

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("docs")]

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "docs" / "_build" / "html"
SUBMODULES = (
    "softlogit.experiment",
    "softlogit.torch",
    "softlogit.keras",
    "softlogit.errors",
)


@pytest.fixture(scope="module")
def site() -> Path:
    if not (HTML / "index.html").exists():
        cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q"]
        done = subprocess.run(
            [*cmd, str(ROOT / "docs"), str(HTML)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-5000:]
    return HTML


def _ids(site: Path) -> set[str]:
    ids: set[str] = set()
    for page in (site / "api").rglob("*.html"):
        ids |= set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))
    return ids


def test_every_public_name_is_in_the_reference(site: Path) -> None:
    ids = _ids(site)
    top = (site / "api" / "softlogit.html").read_text(encoding="utf-8")
    missing = []
    for name in softlogit.__all__:
        if f"softlogit.{name}" in ids:
            continue
        # re-exported names link to their one documented home
        homes = [f"{mod}.{name}" for mod in SUBMODULES if f"{mod}.{name}" in ids]
        if not (homes and f"softlogit.{name}" in top):
            missing.append(f"softlogit.{name}")
    for module in SUBMODULES:
        for name in importlib.import_module(module).__all__:
            if f"{module}.{name}" not in ids:
                missing.append(f"{module}.{name}")
    assert missing == []


def test_pages_were_executed_at_build_time(site: Path) -> None:
    start = (site / "start.html").read_text(encoding="utf-8")
    # the outputs of the two questions' cells, not text written in the page source
    assert re.search(r"different \| theorem T5", start)
    assert re.search(r"identical up to rounding \| theorem T4", start)
    source = (ROOT / "docs" / "start.md").read_text(encoding="utf-8")
    assert "identical up to rounding |" not in source
    images = list((site / "_images").glob("*.png"))
    assert len(images) >= 8, images  # the gallery's and guide's figures
    tutorial = (site / "tutorial.html").read_text(encoding="utf-8")
    assert "first-step movement ratio: 2.000000" in tutorial


# -- in the browser -----------------------------------------------------------------

PAGES = (
    "index.html",
    "start.html",
    "guide/heads.html",
    "guide/experiment.html",
    "guide/derivation.html",
    "gallery/differences.html",
    "api/generated/softlogit.softmax_penalty_to_sigmoid.html",
)

_WAIT_FOR_MATH = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.startup) { done("no MathJax"); return; }
MathJax.startup.promise.then(() => document.fonts.ready).then(() => done("ok"),
                                                              e => done(String(e)));
"""

_INSPECT = """
const math = Array.from(document.querySelectorAll('mjx-container')).map(m => {
  const r = m.getBoundingClientRect(); return [r.width, r.height]; });
const images = Array.from(document.images).map(i =>
  [i.getAttribute('src'), i.complete, i.naturalWidth]);
return {math, images, text: document.body.innerText,
        height: document.documentElement.scrollHeight,
        mathjax: (document.querySelector('script[src*="mathjax"]') || {}).src || null};
"""


@pytest.fixture(scope="module")
def browser(
    headless_chromium: Callable[..., AbstractContextManager[Any]],
) -> Iterator[Any]:
    flags = ("--window-size=1280,1000", "--hide-scrollbars")
    with headless_chromium(flags, console_log=True, performance_log=True) as driver:
        driver.set_script_timeout(60)
        yield driver


def _artifacts() -> Path:
    root = os.environ.get("SOFTLOGIT_ARTIFACTS")
    path = Path(root) if root else Path(__file__).parent / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _requests(driver: Any) -> list[str]:
    """URLs the pages requested since the last call (DevTools ``Network`` events).

    Requests made by the browser's own pages (``chrome://``, e.g. the new-tab page
    at start-up) are not the site's.
    """
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.requestWillBeSent":
            continue
        params = message["params"]
        if not params.get("documentURL", "").startswith("chrome://"):
            urls.append(params["request"]["url"])
    return urls


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(browser: Any, site: Path, page: str) -> None:
    browser.get("about:blank")
    _requests(browser)  # drop what earlier pages logged
    browser.get((site / page).resolve().as_uri())
    assert browser.execute_async_script(_WAIT_FOR_MATH) == "ok"
    info = browser.execute_script(_INSPECT)
    urls = _requests(browser)

    assert urls, "the performance log recorded no request"
    outside = [u for u in urls if not u.startswith(("file://", "data:", "blob:"))]
    assert outside == [], f"{page} asked the network for {outside}"
    assert any("/_static/mathjax/" in u for u in urls) or "mathjax" not in str(
        info["mathjax"]
    )
    errors = [
        e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"
    ]
    assert errors == []
    broken = [
        src for src, complete, width in info["images"] if not (complete and width)
    ]
    assert broken == []
    if page != "index.html" or info["math"]:
        assert info["math"], f"no formula typeset on {page}"
        empty = [i for i, (w, h) in enumerate(info["math"]) if not (w > 0 and h > 0)]
        assert empty == []
    for source in ("$$", "\\frac", "\\operatorname", "\\sigma("):
        assert source not in info["text"], f"raw LaTeX {source!r} visible on {page}"


@pytest.mark.browser
@pytest.mark.parametrize(
    ("page", "name"),
    [("start.html", "docs-start.png"), ("guide/heads.html", "docs-gauge.png")],
)
def test_screenshot(browser: Any, site: Path, page: str, name: str) -> None:
    browser.get((site / page).resolve().as_uri())
    assert browser.execute_async_script(_WAIT_FOR_MATH) == "ok"
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(height, 600) + 120, 12000))
    path = _artifacts() / name
    assert browser.save_screenshot(str(path))
    assert path.stat().st_size > 50_000
    browser.set_window_size(1280, 1000)
    # the figure of the gauge (heads page) or the identity's formula (start page)
    # is on the page and laid out with a real size
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('img, mjx-container'))"
        ".map(e => e.getBoundingClientRect().width)"
    )
    assert max(sizes) > 300
