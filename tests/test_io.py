"""Atomic output: nothing half-written, nothing clobbered without force."""

from __future__ import annotations

from pathlib import Path

import pytest

from softlogit._io import atomic_directory, atomic_write_text


def test_write_text_creates_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "hello")
    assert target.read_text() == "hello"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_write_text_refuses_to_clobber(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(FileExistsError, match=r"`out` .*a\.txt.* already exists"):
        atomic_write_text(target, "new", name="out")
    assert target.read_text() == "old"
    atomic_write_text(target, "new", force=True)
    assert target.read_text() == "new"


def test_write_text_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_text(tmp_path / "no" / "a.txt", "x")


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    class Boom(Exception):
        pass

    class Exploding(str):
        def encode(self, *args: object, **kwargs: object) -> bytes:
            raise Boom

    with pytest.raises(Boom):
        atomic_write_text(tmp_path / "a.txt", Exploding("x"))
    assert list(tmp_path.iterdir()) == []


def test_directory_is_moved_into_place(tmp_path: Path) -> None:
    target = tmp_path / "report"
    with atomic_directory(target, marker=".ours") as tmp:
        assert not target.exists()
        (tmp / "a.txt").write_text("a")
    assert (target / "a.txt").read_text() == "a"
    assert (target / ".ours").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_directory_failure_keeps_old_content(tmp_path: Path) -> None:
    target = tmp_path / "report"
    with atomic_directory(target, marker=".ours") as tmp:
        (tmp / "a.txt").write_text("first")

    def write_then_fail() -> None:
        with atomic_directory(target, marker=".ours") as tmp:
            (tmp / "a.txt").write_text("second")
            raise RuntimeError("fail mid-way")

    with pytest.raises(RuntimeError, match="fail mid-way"):
        write_then_fail()
    assert (target / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_directory_replaces_own_output(tmp_path: Path) -> None:
    target = tmp_path / "report"
    with atomic_directory(target, marker=".ours") as tmp:
        (tmp / "old.txt").write_text("old")
    with atomic_directory(target, marker=".ours") as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == [".ours", "new.txt"]


def test_directory_refuses_foreign_directory(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("precious")
    with (
        pytest.raises(FileExistsError, match="not a softlogit output; pass --force"),
        atomic_directory(target, marker=".ours", name="out"),
    ):
        pass  # pragma: no cover
    assert (target / "thesis.tex").read_text() == "precious"
    with atomic_directory(target, marker=".ours", force=True) as tmp:
        (tmp / "a.txt").write_text("a")
    assert sorted(p.name for p in target.iterdir()) == [".ours", "a.txt"]


def test_directory_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with (
        pytest.raises(FileExistsError, match="not a directory"),
        atomic_directory(target, force=True),
    ):
        pass  # pragma: no cover


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_softlogits_own_os_errors_pass_through_unchanged(
    tmp_path: Path, kind: str
) -> None:
    """An error of softlogit's own that is also an OSError (an unreachable
    scheduler), raised while an output is written, is not rewritten as a failure
    to write the output (the system's OSErrors are: their messages name it), and
    nothing is left behind."""
    from softlogit import SchedulerConnectionError
    from softlogit._io import atomic_path

    error = SchedulerConnectionError("tcp://127.0.0.1:1", 1.0, "refused")
    write = atomic_path if kind == "file" else atomic_directory
    with pytest.raises(SchedulerConnectionError) as info, write(tmp_path / "out"):
        raise error
    assert info.value is error
    assert list(tmp_path.iterdir()) == []
    denied = PermissionError(13, "Permission denied")
    cannot = pytest.raises(PermissionError, match="cannot write it")
    with cannot as system, write(tmp_path / "out"):
        raise denied
    assert system.value.errno == 13
    assert list(tmp_path.iterdir()) == []
