#!/usr/bin/env python3
"""Set up softlogit's environment and run its jobs; the one script for developers and CI.

Usage (from the repository root, with only Python >= 3.10 and pip on the machine)::

    python3 scripts/dev.py compare [ARGS...]   # the main job: `softlogit compare`
    python3 scripts/dev.py test [PYTEST ARGS]  # install everything, lint, type-check, test
    python3 scripts/dev.py setup               # only create/refresh the environment

The virtual environment lives in ``.venv`` unless ``SOFTLOGIT_VENV`` names another
directory (CI keeps one outside the clone). It is rebuilt whenever the dependency
specification in ``pyproject.toml`` changes (a hash is stored beside it), and the
project itself is re-installed (editable) on every run, which takes a second.
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


def setup(extras: str = "all") -> Path:
    """Create or refresh the virtual environment; return its python."""
    env_dir = _venv_dir()
    py = _python(env_dir)
    stamp = env_dir / ".softlogit-deps"
    key = f"{_dependency_key()}:{extras}"
    if not (py.exists() and stamp.exists() and stamp.read_text().strip() == key):
        if env_dir.exists():
            shutil.rmtree(env_dir)
        print(f"creating virtual environment in {env_dir}", flush=True)
        venv.EnvBuilder(with_pip=True).create(env_dir)
        _run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        if extras in ("all", "torch"):
            _run([py, "-m", "pip", "install", "--quiet", TORCH_PIN])
        _run([py, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extras}]"])
        stamp.write_text(key + "\n")
    else:
        # The environment is current; point the editable install at this checkout.
        _run([py, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(ROOT)])
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
        print("+", " ".join(str(c) for c in step), flush=True)
        if subprocess.run([str(c) for c in step]).returncode != 0:
            return 1
    cmd = [str(py), "-m", "pytest", "-n", "2", "--dist", "loadgroup", *args]
    print("+", " ".join(cmd), flush=True)
    rc = subprocess.run(cmd).returncode
    if rc == 5:
        print("error: no test ran", file=sys.stderr)
        return 1
    return rc


def compare(args: list[str]) -> int:
    py = setup("all")
    os.chdir(ROOT)
    return subprocess.run([str(py), "-m", "softlogit", "compare", *args]).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("test", "compare", "setup"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "setup":
        setup(rest[0] if rest else "all")
        return 0
    if command == "test":
        return test(rest)
    return compare(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
