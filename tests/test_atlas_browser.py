"""The atlas page in headless Chromium: heat maps drawn, no errors, no requests.

Chromium and its driver are Debian's packages (see tests/conftest.py); nothing is
downloaded, and a missing browser fails the test.
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

_INSPECT = r"""
const visible = e => { const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0; };
const maps = Array.from(document.querySelectorAll('section.maps figure svg'));
const links = Array.from(document.querySelectorAll('#findings a.chip')).map(
  a => a.getAttribute('href').slice(1));
return {maps: maps.length, visibleMaps: maps.filter(visible).length,
        cells: maps.map(s => s.querySelectorAll('text').length),
        findings: document.querySelectorAll('#findings li').length,
        links: links, missing: links.filter(id => !document.getElementById(id)),
        resources: performance.getEntriesByType('resource').map(e => e.name),
        external: Array.from(document.querySelectorAll('[src], [href]')).map(
            e => e.getAttribute('src') || e.getAttribute('href')).concat(
            Array.from(document.styleSheets).flatMap(s => Array.from(s.cssRules))
              .map(r => r.cssText).filter(t => t.includes('url(')))
          .filter(u => /^(https?:)?\/\/|url\(/.test(u)),
        client: document.documentElement.clientWidth,
        scroll: document.documentElement.scrollWidth,
        height: document.documentElement.scrollHeight};
"""


@pytest.fixture(scope="module")
def browser(
    headless_chromium: Callable[..., AbstractContextManager[Any]],
) -> Iterator[Any]:
    flags = ("--window-size=1280,1000", "--hide-scrollbars")
    with headless_chromium(flags, console_log=True) as driver:
        yield driver


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("atlas") / "a"
    argv = [
        "sweep", "--grid", "lr=0.01,0.3", "--grid", "optimizer=sgd,adam",
        "--grid", "batch_size=full,32", "--seeds", "2", "--steps", "40",
        "--hidden", "4", "--processes", "1", "--quiet", "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    return out / "atlas.html"


def test_the_atlas_page_renders_offline(browser: Any, page: Path) -> None:
    browser.get(page.resolve().as_uri())
    info = browser.execute_script(_INSPECT)
    # three axes: three maps for each ratio of 0 vs 1 and 2 vs 1, one for the
    # probability ratio and one each for 0 vs 2, 0 vs 1c and the control
    assert info["maps"] == 3 + 3 + 1 + 3
    assert info["visibleMaps"] == info["maps"]
    assert all(n > 4 for n in info["cells"])  # labels of the cells are drawn
    assert info["findings"] >= 6
    assert info["links"]
    assert info["missing"] == []
    # nothing was fetched and nothing refers to the network: everything is inline
    assert info["resources"] == []
    assert info["external"] == []
    assert info["scroll"] <= info["client"]
    errors = [
        e for e in browser.get_log("browser") if e.get("level") in ("SEVERE", "ERROR")
    ]
    assert errors == []
    root = os.environ.get("SOFTLOGIT_ARTIFACTS")
    artifacts = Path(root) if root else Path(__file__).parent / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1280, min(info["height"] + 120, 12000))
    assert browser.save_screenshot(str(artifacts / "atlas.png"))


def test_a_fetching_page_would_be_caught(browser: Any, tmp_path: Path) -> None:
    """The inspection can fail: a page that refers to the network is seen."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><img src='http://127.0.0.1:9/x.png'></body></html>"
    )
    browser.get(bad.resolve().as_uri())
    assert browser.execute_script(_INSPECT)["external"] == ["http://127.0.0.1:9/x.png"]
