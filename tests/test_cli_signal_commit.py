"""A signal and the commit of an output: the exit code tells which output is there.

Non-zero means the previous output is untouched; zero means the new output is
complete. A signal delivered right before the final rename ends the command with
``128 + signal``; one delivered once the rename has begun (or after it) is too late
to undo it: the command completes, exits 0, and says so. The signals are raised in
the process itself (``signal.raise_signal`` runs the handler before it returns), at
exactly the point under test.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import softlogit._cli as cli_package
import softlogit._io as io_module
from softlogit import load_model
from softlogit._cli import main
from softlogit._io import (
    atomic_directory,
    atomic_write_text,
    output_committed,
    record_commits,
)

SIGNALS = [signal.SIGTERM, signal.SIGINT]
IDS = ["TERM", "INT"]


@pytest.fixture
def data_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + rng.logistic(size=200) > 0).astype(int)
    path = tmp_path / "data.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y}).to_csv(path, index=False)
    return path


@pytest.fixture
def handlers_restored() -> Iterator[None]:
    """Python's default handlers during the test, as in a new ``softlogit`` process
    (the command line leaves a SIGINT handler of its caller's in place, and a test
    run in a process that earlier tests shared may have one); the previous ones
    afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def _replace_with_signal(
    monkeypatch: pytest.MonkeyPatch, target: Path, sig: int, *, before: bool
) -> None:
    """``os.replace`` onto ``target`` raises ``sig`` before (or after) renaming."""
    real: Callable[..., None] = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)) == target and before:
            signal.raise_signal(sig)
        real(src, dst)
        if Path(str(dst)) == target and not before:
            signal.raise_signal(sig)

    monkeypatch.setattr(io_module.os, "replace", replace)


def _fit_argv(csv: Path, model: Path) -> list[str]:
    return ["fit", str(csv), "--target", "y", "--out", str(model), "--force"]


@pytest.mark.usefixtures("handlers_restored")
@pytest.mark.parametrize("sig", SIGNALS, ids=IDS)
def test_a_signal_during_the_rename_is_too_late(
    data_csv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sig: int,
) -> None:
    model = tmp_path / "model.json"
    model.write_text("{}")
    _replace_with_signal(monkeypatch, model, sig, before=False)
    assert main(_fit_argv(data_csv, model)) == 0
    load_model(model)  # the new model, complete
    err = capsys.readouterr().err
    assert f"note: signal {int(sig)} arrived" in err, err
    assert "error" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "model.json"]


@pytest.mark.usefixtures("handlers_restored")
@pytest.mark.parametrize("sig", SIGNALS, ids=IDS)
def test_a_signal_before_the_commit_keeps_the_old_output(
    data_csv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sig: int,
) -> None:
    model = tmp_path / "model.json"
    model.write_text("{}")
    real = io_module._committing

    def signalled(target: Path, cache: bool) -> object:
        signal.raise_signal(sig)  # the last moment before the commit is marked
        return real(target, cache)

    monkeypatch.setattr(io_module, "_committing", signalled)
    code = main(_fit_argv(data_csv, model))
    assert code == (130 if sig == signal.SIGINT else 128 + sig)
    assert model.read_text() == "{}"
    assert "note:" not in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "model.json"]


@pytest.mark.usefixtures("handlers_restored")
def test_a_signal_during_a_directory_swap_is_too_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's directory swap: exchange or two renames, the same rule."""
    out = tmp_path / "rep"
    argv = ["compare", "--hidden", "2", "-q", "--out", str(out)]
    assert main([*argv, "--steps", "5"]) == 0
    before = (out / "result.json").read_bytes()
    real_swap = io_module._swap_into_place
    raised: list[Path] = []

    def swap(tmp: Path, target: Path, parent: Path) -> None:
        real_swap(tmp, target, parent)
        if target == out.resolve() and not raised:  # one signal: a second kills
            raised.append(target)
            signal.raise_signal(signal.SIGTERM)

    monkeypatch.setattr(io_module, "_swap_into_place", swap)
    assert main([*argv, "--steps", "7"]) == 0
    assert raised
    assert (out / "result.json").read_bytes() != before  # the new report
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


@pytest.mark.usefixtures("handlers_restored")
def test_after_a_commit_the_entry_point_ignores_late_signals(
    tmp_path: Path,
) -> None:
    """At the process's entry point a committed command cannot be killed on exit."""
    with cli_package._signals_unwind(entry_point=True):
        atomic_write_text(tmp_path / "out.txt", "new")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


@pytest.mark.usefixtures("handlers_restored")
def test_without_a_commit_the_handlers_are_restored(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    with cli_package._signals_unwind(entry_point=True):
        atomic_write_text(tmp_path / "c.json", "{}", cache=True)
    assert signal.getsignal(signal.SIGTERM) is before
    with cli_package._signals_unwind(entry_point=False):
        atomic_write_text(tmp_path / "out.txt", "new")
    assert signal.getsignal(signal.SIGTERM) is before


def test_commits_are_recorded_only_for_outputs(tmp_path: Path) -> None:
    assert not output_committed()
    atomic_write_text(tmp_path / "a.txt", "x")
    assert not output_committed()  # not recording
    with record_commits():
        atomic_write_text(tmp_path / "cache.json", "{}", cache=True)
        assert not output_committed()
        with atomic_directory(tmp_path / "d") as tmp:
            atomic_write_text(tmp / "f", "x")  # inside a directory being built
            assert not output_committed()
            with atomic_directory(tmp / "inner") as inner:
                (inner / "g").write_text("y")
            assert not output_committed()
        assert output_committed()
    assert not output_committed()


def test_a_failed_rename_takes_the_mark_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(io_module.os, "replace", refuse)
    with record_commits():
        with pytest.raises(PermissionError):
            atomic_write_text(tmp_path / "a.txt", "x")
        assert not output_committed()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


class _Interrupted(Exception):
    pass


def test_the_report_writer_waits_for_its_save_through_a_signal() -> None:
    """A signal during the wait for the background save is raised only once the
    save has ended: the directory it writes into is removed next."""
    from concurrent.futures import ThreadPoolExecutor

    from softlogit._report._write import _wait_through_signals

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted

    ended: list[float] = []

    def save() -> None:
        time.sleep(0.6)
        ended.append(time.monotonic())

    saved = signal.signal(signal.SIGUSR1, interrupt)
    try:
        pool = ThreadPoolExecutor(max_workers=1)
        task = pool.submit(save)
        timer = threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1))
        timer.start()
        with pytest.raises(_Interrupted):
            _wait_through_signals(task)
        raised = time.monotonic()
        timer.join()
        pool.shutdown()
    finally:
        signal.signal(signal.SIGUSR1, saved)
    assert ended  # the save ended
    assert ended[0] <= raised  # before the signal was raised


@pytest.mark.usefixtures("handlers_restored")
@pytest.mark.parametrize("sig", SIGNALS, ids=IDS)
def test_a_signal_a_callback_swallowed_is_delivered_again(
    capsys: pytest.CaptureFixture[str], sig: int
) -> None:
    """A signal that lands in a weakref callback (as one can during an import) has
    its exception swallowed there ("Exception ignored"): the signal is sent again
    and ends the command outside the callback, with nothing printed."""
    import weakref

    class Thing:
        pass

    def command() -> None:
        with cli_package._signals_unwind(entry_point=False):
            thing = Thing()
            refs.append(weakref.ref(thing, lambda _: signal.raise_signal(sig)))
            del thing  # the callback runs here, and its exception cannot propagate
            deadline = time.monotonic() + 10.0
            while time.monotonic() < deadline:
                time.sleep(0.01)

    refs: list[weakref.ref[Thing]] = []
    expected = cli_package.Terminated if sig == signal.SIGTERM else KeyboardInterrupt
    with pytest.raises(expected):
        command()
    assert refs[0]() is None
    assert "Exception ignored" not in capsys.readouterr().err
