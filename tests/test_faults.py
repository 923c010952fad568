"""Faults while writing: every file operation fails in turn, the disk fills up.

A writer is run once to count its file operations, then once per operation with
that operation failing. After each failure the previous output is intact and
loadable, no temporary file or directory is left, and the error names the output.
Also: modes follow the umask, symbolic links are followed.
"""

from __future__ import annotations

import errno
import os
import pathlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import softlogit._io as sio
from softlogit import SoftmaxRegression, load_model
from softlogit._cli import main
from softlogit.experiment import ExperimentResult, ExperimentSpec, run_experiment

# the file operations a writer performs, by module and name
_OPERATIONS: list[tuple[Any, str]] = [
    (os, "open"),
    (os, "mkdir"),
    (os, "replace"),
    (os, "rename"),
    (os, "fsync"),
    (os, "chmod"),
    (pathlib.Path, "write_text"),
    (pathlib.Path, "write_bytes"),
    (sio, "_exchange"),
]


class _Injected(OSError):
    pass


class _Faults:
    """Counts the file operations; makes the ``fail_at``-th one raise."""

    def __init__(self, fail_at: int | None, error: int) -> None:
        self.fail_at = fail_at
        self.error = error
        self.calls: list[str] = []

    def wrap(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def operation(*args: Any, **kwargs: Any) -> Any:
            # only operations on the test's files count (not imports, not caches),
            # and not the removal of temporaries (shutil.rmtree ignores errors by
            # design: what cannot be deleted cannot be cleaned up)
            caller = sys._getframe(1).f_code.co_filename
            if caller.endswith("shutil.py") or not any(
                "pytest-" in str(a) or "faults" in str(a) for a in args
            ):
                return original(*args, **kwargs)
            self.calls.append(name)
            if len(self.calls) == self.fail_at:
                raise _Injected(self.error, os.strerror(self.error), str(args[0]))
            return original(*args, **kwargs)

        return operation


@contextmanager
def _injected(
    monkeypatch: pytest.MonkeyPatch, fail_at: int | None, error: int = errno.EIO
) -> Iterator[_Faults]:
    faults = _Faults(fail_at, error)
    with monkeypatch.context() as m:
        for owner, name in _OPERATIONS:
            m.setattr(owner, name, faults.wrap(name, getattr(owner, name)))
        yield faults


def _listing(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def _every_failure(
    monkeypatch: pytest.MonkeyPatch,
    write: Callable[[], object],
    state: Callable[[], bytes],
    load: Callable[[], object],
    directory: Path,
    error: int = errno.EIO,
) -> int:
    """Run ``write`` with each of its file operations failing; return their count.

    ``state`` reads the output (compared before and after each failed write),
    ``load`` loads it (it must stay valid).
    """
    with _injected(monkeypatch, None) as dry:
        write()
    n_ops = len(dry.calls)
    assert n_ops >= 2, dry.calls
    load()  # the dry run wrote a new, valid output
    before, expected = state(), _listing(directory)
    for k in range(1, n_ops + 1):
        with _injected(monkeypatch, k, error) as faults:
            try:
                write()
            except OSError:
                pass
            else:
                raise AssertionError(
                    f"operation {k} ({faults.calls[k - 1]}) failed silently"
                )
        assert state() == before, (k, faults.calls[k - 1])
        load()
        assert _listing(directory) == expected, (k, faults.calls[k - 1])
    return n_ops


# --------------------------------------------------------------------- writers
@pytest.fixture
def model(rng: np.random.Generator) -> SoftmaxRegression:
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + rng.logistic(size=60) > 0).astype(int)
    return SoftmaxRegression(C=np.inf).fit(X, y)


def test_model_save_survives_every_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: SoftmaxRegression
) -> None:
    path = tmp_path / "faults-model.json"
    model.save(path)
    n = _every_failure(
        monkeypatch,
        lambda: model.save(path, force=True),
        path.read_bytes,
        lambda: load_model(path),
        tmp_path,
    )
    assert n >= 3  # open, fsync, chmod, replace


@pytest.fixture(scope="module")
def result() -> ExperimentResult:
    return run_experiment(ExperimentSpec().replace(steps=10, hidden=(2,)))


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_result_directory_survives_every_failure(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    result: ExperimentResult,
    exchange: bool,
) -> None:
    if not exchange:
        monkeypatch.setattr(sio, "_exchange", lambda a, b: False)
    out = tmp_path / "faults-result"
    result.save(out)
    _every_failure(
        monkeypatch,
        lambda: result.save(out),
        (out / "result.json").read_bytes,
        lambda: ExperimentResult.load(out),
        tmp_path,
    )


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_report_directory_survives_every_failure(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    result: ExperimentResult,
    exchange: bool,
) -> None:
    """The report writer of ``softlogit compare`` with each file operation failing
    (one figure instead of four: each adds the same two writes)."""
    from softlogit._report import _plots
    from softlogit._report._adapter import report_data
    from softlogit._report._json import report_json
    from softlogit._report._write import write_report

    if not exchange:
        monkeypatch.setattr(sio, "_exchange", lambda a, b: False)
    make_figures = _plots.make_figures
    monkeypatch.setattr(
        _plots, "make_figures", lambda d: dict(list(make_figures(d).items())[:1])
    )
    data = report_data(result)
    doc = {**result.to_json_dict(), "report": report_json(data)}
    out = tmp_path / "faults-report"

    def write() -> None:
        write_report(out, data, doc, result=result, derivation="<section></section>")

    write()
    _every_failure(
        monkeypatch,
        write,
        lambda: (out / "report.html").read_bytes(),
        lambda: ExperimentResult.load(out / "data"),
        tmp_path,
    )


# --------------------------------------------------------------------- disks
class _FullDisk:
    """A file whose writes fail as on a full disk (the file itself was created)."""

    def __init__(self, fh: Any) -> None:
        self._fh = fh

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = open

    def full_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(file, mode, *args, **kwargs)
        return _FullDisk(fh) if "w" in mode else fh

    def full_write(self: Path, data: Any, *args: Any, **kwargs: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sio, "open", full_open, raising=False)
    monkeypatch.setattr(pathlib.Path, "write_text", full_write)
    monkeypatch.setattr(pathlib.Path, "write_bytes", full_write)


@pytest.mark.parametrize("command", ["fit", "compare"])
def test_full_disk_is_a_clear_error_and_loses_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rng: np.random.Generator,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    import pandas as pd

    X = rng.normal(size=(50, 2))
    pd.DataFrame(
        {"a": X[:, 0], "b": X[:, 1], "y": (X[:, 0] + rng.logistic(size=50) > 0)}
    ).to_csv(tmp_path / "faults.csv", index=False)
    if command == "fit":
        out = tmp_path / "faults-model.json"
        argv = ["fit", str(tmp_path / "faults.csv"), "--target", "y", "--C", "1"]
        key = out
    else:
        out = tmp_path / "faults-report"
        argv = ["compare", "--steps", "5", "--hidden", "2", "-q"]
        key = out / "result.json"
    argv += ["--out", str(out), "--force"]
    assert main(argv) == 0
    saved = key.read_bytes()
    capsys.readouterr()
    with monkeypatch.context() as m:
        _full_disk(m)
        code = main(argv)
    err = capsys.readouterr().err
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: `--out` "), err
    assert "no space left on device" in err
    assert key.read_bytes() == saved
    assert _listing(tmp_path) == sorted(["faults.csv", *_listing_of(out, tmp_path)])


def _listing_of(out: Path, root: Path) -> list[str]:
    if out.is_dir():
        return [
            str(out.relative_to(root)),
            *(str(p.relative_to(root)) for p in out.rglob("*")),
        ]
    return [str(out.relative_to(root))]


@pytest.mark.parametrize("error", [errno.EROFS, errno.EACCES], ids=["EROFS", "EACCES"])
def test_read_only_directory_is_a_clear_cli_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rng: np.random.Generator,
    capsys: pytest.CaptureFixture[str],
    error: int,
) -> None:
    """The directory refuses new files (simulated: the tests may run as root,
    who writes anywhere): one ``error:`` line naming the output, nothing lost."""
    import pandas as pd

    X = rng.normal(size=(50, 2))
    pd.DataFrame(
        {"a": X[:, 0], "b": X[:, 1], "y": (X[:, 0] + rng.logistic(size=50) > 0)}
    ).to_csv(tmp_path / "faults.csv", index=False)
    out = tmp_path / "faults-model.json"
    out.write_text("earlier")
    real_open = os.open

    def refuse_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            raise OSError(error, os.strerror(error), str(path))
        return real_open(path, flags, *args, **kwargs)

    def refuse_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(error, os.strerror(error), str(path))

    with monkeypatch.context() as m:
        m.setattr(os, "open", refuse_open)
        m.setattr(os, "mkdir", refuse_mkdir)
        code = main(
            [
                *("fit", str(tmp_path / "faults.csv"), "--target", "y", "--C", "1"),
                *("--out", str(out), "--force"),
            ]
        )
    err = capsys.readouterr().err
    assert code in (1, 2), err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: `--out` "), err
    assert "faults-model.json" in err
    assert os.strerror(error).lower() in err
    assert ".tmp" not in err
    assert out.read_text() == "earlier"
    assert _listing(tmp_path) == ["faults-model.json", "faults.csv"]


def test_really_read_only_directory(tmp_path: Path, model: SoftmaxRegression) -> None:
    """Without privileges a 0o555 directory refuses the temporary file; as root
    it does not, and the save succeeds: both leave a valid model."""
    directory = tmp_path / "ro"
    directory.mkdir()
    path = directory / "m.json"
    model.save(path)
    saved = path.read_bytes()
    directory.chmod(0o555)
    try:
        if os.geteuid() == 0:  # root writes anyway
            model.save(path, force=True)
        else:
            with pytest.raises(PermissionError, match=r"m\.json.*permission denied"):
                model.save(path, force=True)
            assert path.read_bytes() == saved
        load_model(path)
        assert sorted(p.name for p in directory.iterdir()) == ["m.json"]
    finally:
        directory.chmod(0o755)


# --------------------------------------------------------------------- modes, links
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_outputs_follow_the_umask(
    tmp_path: Path, model: SoftmaxRegression, result: ExperimentResult, umask: int
) -> None:
    old = os.umask(umask)
    try:
        path = model.save(tmp_path / "m.json")
        out = result.save(tmp_path / "res")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask
    for child in out.iterdir():
        assert child.stat().st_mode & 0o777 == 0o666 & ~umask, child


def test_a_replaced_file_keeps_its_mode(
    tmp_path: Path, model: SoftmaxRegression
) -> None:
    path = model.save(tmp_path / "m.json")
    path.chmod(0o640)
    model.save(path, force=True)
    assert path.stat().st_mode & 0o777 == 0o640


def test_out_symlink_is_followed(
    tmp_path: Path, model: SoftmaxRegression, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real" / "m.json"
    real.parent.mkdir()
    real.write_text("earlier")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with pytest.raises(FileExistsError):
        model.save(link)
    model.save(link, force=True)
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    load_model(real)
    assert sorted(p.name for p in real.parent.iterdir()) == ["m.json"]


def test_report_out_symlink_is_followed(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "run"
    real.parent.mkdir()
    link = tmp_path / "latest"
    argv = ["compare", "--steps", "5", "--hidden", "2", "-q", "--no-report"]
    assert main([*argv[:-1], "--out", str(real)]) == 0
    link.symlink_to(real, target_is_directory=True)
    assert main([*argv[:-1], "--out", str(link)]) == 0
    assert link.is_symlink()
    assert (real / "report.html").is_file()
    assert sorted(p.name for p in real.parent.iterdir()) == ["run"]
