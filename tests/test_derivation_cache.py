"""The checks of a derivation are kept on disk per fingerprint of the steps."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import sympy as sp

from softlogit import derivation
from softlogit._cli import main
from softlogit._derivation import Derivation
from softlogit._derivation._cache import cache_dir, checked, fingerprint


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOFTLOGIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cache_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOFTLOGIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "softlogit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "softlogit"
    monkeypatch.setenv("SOFTLOGIT_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_second_call_reads_what_the_first_checked(cache: Path) -> None:
    d = derivation(2)
    first, where = checked(d)
    assert where is None  # computed here
    assert first == d.check()  # the same outcome as checking directly
    again, where = checked(d)
    assert where is not None
    assert where.parent == cache
    assert again == first
    stored = json.loads(where.read_text(encoding="utf-8"))
    assert stored["fingerprint"] == fingerprint(d)
    assert [c["step_id"] for c in stored["checks"]] == d.ids


def test_a_changed_step_is_checked_afresh(cache: Path) -> None:
    d = derivation(2)
    checked(d)
    steps = list(d.steps)
    # the same title and id, another (wrong) relation: a new fingerprint
    steps[1] = dataclasses.replace(steps[1], rhs=steps[1].rhs + sp.Integer(1))
    changed = Derivation(tuple(steps), n_classes=2)
    assert fingerprint(changed) != fingerprint(d)
    checks, where = checked(changed)
    assert where is None
    assert not checks[1].passed
    # a failed derivation is not stored: asking again checks again
    assert checked(changed)[1] is None


def test_assumptions_are_part_of_the_fingerprint() -> None:
    d = derivation(2)
    steps = list(d.steps)
    t = sp.Symbol("t", real=True)
    t_positive = sp.Symbol("t", positive=True)
    a = dataclasses.replace(steps[0], lhs=t, rhs=t)
    b = dataclasses.replace(steps[0], lhs=t_positive, rhs=t_positive)
    assert str(a.lhs) == str(b.lhs)
    assert fingerprint(Derivation((a,))) != fingerprint(Derivation((b,)))


def test_a_damaged_cache_file_is_checked_again(cache: Path) -> None:
    d = derivation(2)
    _, _ = checked(d)
    path = checked(d)[1]
    assert path is not None
    path.write_text("{not json", encoding="utf-8")
    checks, where = checked(d)
    assert where is None
    assert all(c.passed for c in checks)
    # a file claiming a failed step is not trusted either
    doc = {"checks": [dataclasses.asdict(c) for c in checks]}
    doc["checks"][0]["passed"] = False
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert checked(d)[1] is None


def test_an_unwritable_cache_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("SOFTLOGIT_CACHE_DIR", str(blocker / "cache"))
    checks, where = checked(derivation(2))
    assert where is None
    assert all(c.passed for c in checks)


def test_cli_derive_says_when_it_read_the_cache(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["derive"]) == 0
    first = capsys.readouterr()
    assert "cache" not in first.err
    assert main(["derive"]) == 0
    second = capsys.readouterr()
    assert second.out == first.out
    assert "checks read from the cache" in second.err
    assert str(cache) in second.err
    assert main(["derive", "--recheck"]) == 0
    assert "cache" not in capsys.readouterr().err


def test_a_twin_is_part_of_the_fingerprint() -> None:
    """A step's statement for every K enters the fingerprint: this package's by the
    builder's name (its source is hashed), any other by the statement it builds."""
    from softlogit._derivation import _steps_generic as every_k

    d = derivation(3)
    steps = list(d.steps)
    n = d.ids.index("gradients")
    own = every_k.gradients
    twin = own()
    wrong = twin._replace(rhs=-twin.rhs)
    keys = {
        fingerprint(Derivation((*steps[:n], dataclasses.replace(steps[n], generic=g))))
        for g in (own, lambda: twin, lambda: wrong, None)
    }
    assert len(keys) == 4
    # the same foreign statement, built by two functions, is the same fingerprint
    again = dataclasses.replace(steps[n], generic=lambda: own())
    assert fingerprint(Derivation((*steps[:n], again))) in keys
