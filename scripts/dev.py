#!/usr/bin/env python3
"""Set up softlogit's environment and run its jobs; the one script for developers and CI.

Usage (from the repository root, with only Python >= 3.10 and pip on the machine)::

    python3 scripts/dev.py compare [ARGS...]   # the main job: `softlogit compare`
    python3 scripts/dev.py test [PYTEST ARGS]  # install everything, lint, type-check,
                                               # build the docs, test
    python3 scripts/dev.py docs [SPHINX ARGS]  # build the documentation site
    python3 scripts/dev.py setup [core|all]    # only create/refresh the environment

The virtual environment lives in ``.venv`` unless ``SOFTLOGIT_VENV`` names another
directory (CI keeps one outside the clone). ``compare`` needs only the core dependencies
(the NumPy engine is the default: no PyTorch, no TensorFlow); ``test`` and ``docs`` need
every extra and add them to the same environment. It is rebuilt whenever the dependency
specification in ``pyproject.toml`` changes (a hash is stored beside it), and the
project itself is re-installed (editable) on every run, which takes a second.

``test`` without arguments also builds the documentation (warnings are errors); with
pytest arguments it runs only those tests (the docs tests then use the last build, or
build the site when there is none).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# PyTorch's CPU wheel lies on the project's machines; asking for plain `torch` (or a
# newer release) would download a multi-GB CUDA build instead.
TORCH_PIN = "torch==2.13.0"


def _venv_dir() -> Path:
    return Path(os.environ.get("SOFTLOGIT_VENV", ROOT / ".venv")).expanduser().resolve()


def _python(env_dir: Path) -> Path:
    return env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"


def _dependency_key() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib

        project = tomllib.loads(text)["project"]
        spec = {
            "dependencies": project.get("dependencies", []),
            "optional": project.get("optional-dependencies", {}),
            "requires-python": project.get("requires-python"),
        }
        text = json.dumps(spec, sort_keys=True)
    except ModuleNotFoundError:  # Python 3.10: hash the whole file
        pass
    payload = f"{text}\n{TORCH_PIN}\n{sys.version_info[:2]}"
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _run(cmd: list[str | Path], **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)  # type: ignore[call-overload]


# Installation levels: "core" is the package and its dependencies alone (enough for
# `compare`, whose default engine is NumPy); "all" adds every extra (PyTorch, Keras,
# Dask, the test and docs tools). A venv at "all" serves both.
LEVELS = ("core", "all")


def _covers(have: str, want: str) -> bool:
    return want == have or want == "core" or have == "all"


def setup(level: str = "all") -> Path:
    """Create or refresh the virtual environment at ``level``; return its python."""
    if level not in LEVELS:
        raise SystemExit(f"error: unknown level {level!r}; use one of {LEVELS}")
    env_dir = _venv_dir()
    py = _python(env_dir)
    stamp = env_dir / ".softlogit-deps"
    key = _dependency_key()
    have_key, _, have_level = (
        stamp.read_text().strip().partition(":")
        if py.exists() and stamp.exists()
        else ("", "", "")
    )
    if have_key == key and _covers(have_level, level):
        # The environment is current; point the editable install at this checkout.
        _run([py, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(ROOT)])
        return py
    if have_key != key:
        if env_dir.exists():
            shutil.rmtree(env_dir)
        print(f"creating virtual environment in {env_dir}", flush=True)
        venv.EnvBuilder(with_pip=True).create(env_dir)
        _run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    else:
        print(f"adding the extras of level {level!r} to {env_dir}", flush=True)
    if level == "all":
        _run([py, "-m", "pip", "install", "--quiet", TORCH_PIN])
    target = f"{ROOT}[all]" if level == "all" else str(ROOT)
    _run([py, "-m", "pip", "install", "--quiet", "-e", target])
    stamp.write_text(f"{key}:{level}\n")
    return py


def _ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium; install it when it is missing."""
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return
    if shutil.which("apt-get") is None or (
        hasattr(os, "geteuid") and os.geteuid() != 0
    ):
        print(
            "warning: chromium/chromedriver missing and apt-get unavailable; "
            "the browser tests will fail",
            flush=True,
        )
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], env=env)


def _step(cmd: list[str | Path], env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], env=env).returncode


def _build_docs(py: Path, args: list[str]) -> int:
    """Build the site into docs/_build/html; every Sphinx warning is an error."""
    out = ROOT / "docs" / "_build" / "html"
    cmd: list[str | Path] = [
        py,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-W",
        "--keep-going",
        "-q",
        *args,
        ROOT / "docs",
        out,
    ]
    rc = _step(cmd)
    if rc == 0:
        print(f"documentation: {out / 'index.html'}", flush=True)
    return rc


def test(args: list[str]) -> int:
    py = setup("all")
    _ensure_chromium()
    os.chdir(ROOT)
    paths = [
        p for p in ("src", "tests", "benchmarks", "scripts") if (ROOT / p).exists()
    ]
    steps: list[list[str | Path]] = [
        [py, "-m", "ruff", "check", *paths],
        [py, "-m", "ruff", "format", "--check", *paths],
        [py, "-m", "mypy"],
    ]
    for step in steps:
        if _step(step) != 0:
            return 1
    # The layering contracts (pyproject.toml [tool.importlinter]); softlogit's own
    # contract type lives in scripts/import_contracts.py.
    lint_env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"))
    if _step([py.parent / "lint-imports", "--no-cache"], env=lint_env) != 0:
        return 1
    if not args and _build_docs(py, []) != 0:
        return 1
    cmd = [str(py), "-m", "pytest", "-n", "2", "--dist", "loadgroup", *args]
    print("+", " ".join(cmd), flush=True)
    rc = subprocess.run(cmd).returncode
    if rc == 5:
        print("error: no test ran", file=sys.stderr)
        return 1
    return rc


def docs(args: list[str]) -> int:
    py = setup("all")
    os.chdir(ROOT)
    return _build_docs(py, args)


def compare(args: list[str]) -> int:
    py = setup("core")
    os.chdir(ROOT)
    return subprocess.run([str(py), "-m", "softlogit", "compare", *args]).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("test", "compare", "docs", "setup"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "setup":
        setup(rest[0] if rest else "all")
        return 0
    if command == "test":
        return test(rest)
    if command == "docs":
        return docs(rest)
    return compare(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
