"""The wheel and the sdist build, and the wheel installs and runs in a clean venv.

``python -m build --no-isolation`` builds the sdist, then the wheel *from the sdist*
(so a file missing from the sdist fails here), with the hatchling of the test
environment (no download). The wheel is installed with ``--no-deps`` into a fresh
virtual environment that sees the test environment's site-packages only as a plain
path for the dependencies — not its ``.pth`` files, so the editable install of this
checkout is invisible there — and must then answer ``softlogit --version`` and fit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ]
    )
    return out


def test_sdist_and_wheel_contents(dist: Path) -> None:
    release = version("softlogit")
    sdist = dist / f"softlogit-{release}.tar.gz"
    wheel = dist / f"softlogit-{release}-py3-none-any.whl"
    assert sdist.exists(), sorted(p.name for p in dist.iterdir())
    assert wheel.exists(), sorted(p.name for p in dist.iterdir())
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "src/softlogit/__init__.py"} <= names
    assert "docs/conf.py" in names
    assert not any(n.startswith("docs/_build") for n in names)
    with zipfile.ZipFile(wheel) as whl:
        files = set(whl.namelist())
    assert "softlogit/py.typed" in files
    assert "softlogit/experiment/__init__.py" in files
    entry = next(n for n in files if n.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as whl:
        assert "softlogit = softlogit._cli:main" in whl.read(entry).decode()


def test_wheel_installs_and_runs_in_a_clean_venv(dist: Path, tmp_path: Path) -> None:
    wheel = next(dist.glob("softlogit-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / "python"
    site = Path(
        _run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    # The dependencies (and pip) come from the test environment, as a plain path.
    (site / "test-env-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)])

    done = _run([str(bindir / "softlogit"), "--version"])
    assert done.stdout.strip() == f"softlogit, version {version('softlogit')}"
    code = (
        "import numpy as np, softlogit as sl\n"
        "X = np.array([[0.0], [1.0], [2.0], [3.0]])\n"
        "m = sl.SoftmaxRegression(C=1.0).fit(X, [0, 1, 0, 1])\n"
        "p = m.predict_proba(X)\n"
        "print(sl.__file__)\n"
        "print(bool(np.allclose(p.sum(axis=1), 1.0)), m.coef_.shape)\n"
    )
    where, fitted = _run([str(py), "-c", code]).stdout.strip().splitlines()
    assert Path(where).resolve().is_relative_to(env_dir.resolve())
    assert fitted == "True (2, 1)"
