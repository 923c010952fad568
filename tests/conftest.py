"""Shared fixtures."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# checked derivations are cached on disk (softlogit._derivation._cache): the tests
# keep theirs in a directory of their own, never in the user's cache
os.environ.setdefault(
    "SOFTLOGIT_CACHE_DIR", tempfile.mkdtemp(prefix="softlogit-test-cache-")
)

CHROMIUM = Path(os.environ.get("SOFTLOGIT_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("SOFTLOGIT_CHROMEDRIVER", "/usr/bin/chromedriver"))


@pytest.fixture
def seed() -> int:
    """A seed for random test data; tests must pass for any seed (SOFTLOGIT_TEST_SEED)."""
    return int(os.environ.get("SOFTLOGIT_TEST_SEED", "0"))


@pytest.fixture
def run_cli(
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., tuple[int, str, str]]:
    """Run ``softlogit ARGV...`` in this process: its exit code, stdout and stderr."""
    from softlogit._cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@contextlib.contextmanager
def _headless_chromium(
    extra_flags: Sequence[str] = (),
    *,
    console_log: bool = False,
    performance_log: bool = False,
) -> Iterator[Any]:
    """A headless Debian Chromium under Selenium that downloads nothing.

    ``extra_flags`` go on the command line after the common ones; ``console_log``
    keeps the browser console for ``driver.get_log("browser")``;
    ``performance_log`` keeps the DevTools network events for
    ``driver.get_log("performance")``. A missing Chromium or chromedriver fails the
    test (it never skips).
    """
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"browser tests need Debian's Chromium: {', '.join(missing)} not found. "
            "Install with `apt-get install -y chromium chromium-driver` (scripts/dev.py "
            "test does this), or point SOFTLOGIT_CHROMIUM/SOFTLOGIT_CHROMEDRIVER at them."
        )
    from selenium import webdriver

    env = pytest.MonkeyPatch()
    env.setenv("SE_OFFLINE", "true")  # Selenium Manager must not fetch anything

    profile = tempfile.mkdtemp(prefix="softlogit-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        *extra_flags,
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    logs = {"browser": "ALL"} if console_log else {}
    if performance_log:
        logs["performance"] = "ALL"
    if logs:
        options.set_capability("goog:loggingPrefs", logs)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        env.undo()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def headless_chromium() -> Callable[..., AbstractContextManager[Any]]:
    """Starts a browser: ``with headless_chromium(flags, console_log=...) as driver``.

    The browser test modules wrap it in their own module-scoped ``browser`` fixture.
    """
    return _headless_chromium


# Every element must lie within each box around it (main, section, card, figure,
# derivation step) unless a scroll container between them holds it: content that
# scrolls inside its own box is allowed, content that sticks out of a box is not.
_OVERFLOW_JS = """
const scrolls = e => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX);
const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
  (typeof e.className === 'string' && e.className ?
   '.' + e.className.trim().split(/\\s+/).join('.') : '');
const bad = [];
const boxes = document.querySelectorAll(
  'main, section, .card, figure, li.sl-d-step, nav.toc');
for (const box of boxes) {
  const b = box.getBoundingClientRect();
  const limit = scrolls(box) ? box.clientWidth + b.left : b.right;
  for (const d of box.querySelectorAll('*')) {
    if (d.closest('svg') && d.tagName.toLowerCase() !== 'svg') continue;
    let a = d.parentElement, inner = false;
    while (a && a !== box) { if (scrolls(a)) { inner = true; break; } a = a.parentElement; }
    if (inner) continue;
    const r = d.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > limit + 1 || r.left < b.left - 1)
      bad.push(name(d).slice(0, 60) + ' [' + Math.round(r.left) + ', ' +
               Math.round(r.right) + '] outside ' + name(box).slice(0, 40) + ' [' +
               Math.round(b.left) + ', ' + Math.round(limit) + ']');
  }
}
return bad;
"""


@pytest.fixture(scope="session")
def overflowing() -> Callable[[Any], list[str]]:
    """``overflowing(driver)``: the elements of the open page that stick out of a box
    around them (main, section, card, figure, derivation step) instead of scrolling
    inside one: an empty list when the page is laid out well."""

    def find(driver: Any) -> list[str]:
        return list(driver.execute_script(_OVERFLOW_JS))

    return find


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the size and outcome table of the bad-input matrix when it ran."""
    stats = terminalreporter.stats
    ran = [
        r
        for key in ("passed", "failed")
        for r in stats.get(key, [])
        if "test_bad_input_matrix.py::test_cell" in getattr(r, "nodeid", "")
    ]
    if not ran:
        return
    import importlib.util

    path = Path(__file__).with_name("test_bad_input_matrix.py")
    spec = importlib.util.spec_from_file_location("_matrix_for_summary", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    failed = [r.nodeid for r in stats.get("failed", []) if "test_cell" in r.nodeid]
    terminalreporter.write_line(
        f"bad-input matrix: {len(module.CELLS)} cells, {len(ran)} run, "
        f"{len(failed)} failed; outcomes {module.outcome_table()}"
    )
