"""`softlogit compare`, in-process: the main job, its outputs and its bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from softlogit._cli import main
from softlogit._cli._compare import MARKER, parse_hidden, parse_pairs
from softlogit.errors import CLIError
from softlogit.experiment import OPTIONS

# small runs: the theory holds at any step count, and the tests stay fast
FAST = ["--steps", "60", "--hidden", "4"]


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are laid out for 200 columns, so that no cell text wraps."""
    monkeypatch.setenv("COLUMNS", "200")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["compare", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _no_constants(name: str) -> None:
    raise AssertionError(f"result JSON holds the non-standard constant {name}")


def _listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_help_lists_every_spec_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["--help"], capsys)
    assert code == 0
    for info in OPTIONS:
        flag = "--pair" if info.name == "pairs" else "--" + info.name.replace("_", "-")
        assert flag in out, flag
    for flag in ("--config", "--out", "--force", "--quiet", "--json", "--no-report"):
        assert flag in out


@pytest.mark.slow
def test_default_experiment_with_fewer_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The true default (breast_cancer, 16 tanh, SGD, networks 0 1 2 1c), 300 steps."""
    out_dir = tmp_path / "report"
    code, out, err = _run(["--steps", "300", "--out", str(out_dir)], capsys)
    assert code == 0, err
    for text in (
        "0 vs 2",
        "0 vs 1",
        "0 vs 1c",
        "identical up to rounding",
        "Do networks 0 and 1 end with very similar weights?",
        "What can be concluded about networks 0 and 2?",
    ):
        assert text in out, text
    doc = json.loads((out_dir / "result.json").read_text(encoding="utf-8"))
    verdicts = {(p["left"], p["right"]): p["verdict"] for p in doc["pairs"]}
    assert verdicts[("0", "2")] == "identical up to rounding"
    assert verdicts[("0", "1c")] == "identical up to rounding"
    assert verdicts[("0", "1")] in ("same function, different trajectory", "different")
    assert doc["spec"]["data"]["dataset"] == "breast_cancer"
    assert doc["spec"]["model"]["hidden"] == [16]


def test_report_directory_contents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "report"
    code, out, err = _run([*FAST, "--out", str(out_dir)], capsys)
    assert code == 0, err
    files = _listing(out_dir)
    for name in (
        MARKER,
        "report.html",
        "result.json",
        "loss.png",
        "loss.svg",
        "differences.png",
        "head.png",
        "conserved.png",
        "data/result.json",
        "data/arrays.npz",
    ):
        assert name in files, name
    assert not [f for f in files if f.endswith(".tmp")]
    assert str(out_dir / "report.html") in out.replace("\n", "")

    page = (out_dir / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 4
    assert "<script" not in page
    assert 'src="http' not in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # unique, although four SVGs are inlined
    refs = set(re.findall(r'href="#([^"]+)"', page))
    assert refs <= set(ids)

    # the table's figures are the saved trajectories' differences, recomputed here
    doc = json.loads((out_dir / "result.json").read_text(encoding="utf-8"))
    with np.load(out_dir / "data" / "arrays.npz") as npz:
        p0 = npz["network/0/proba_test"][-1]
        p2 = npz["network/2/proba_test"][-1]
        p1 = npz["network/1/proba_test"][-1]
    summary = {(p["a"], p["b"]): p for p in doc["report"]["pairs"]}
    assert np.max(np.abs(p0 - p2)) <= summary[("0", "2")]["final"]["max |Δ proba|"]
    assert np.max(np.abs(p0 - p2)) < 1e-13
    assert np.max(np.abs(p0 - p1)) <= summary[("0", "1")]["final"]["max |Δ proba|"]
    assert summary[("0", "1")]["final"]["max |Δ proba|"] > 1e-6


def test_json_output_is_machine_readable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run([*FAST, "--json", "--no-report"], capsys)
    assert code == 0
    # stdout holds exactly one strict JSON document
    doc = json.loads(out, parse_constant=_no_constants)
    assert {"spec", "pairs", "answers", "report"} <= set(doc)
    assert doc["spec"]["training"]["steps"] == 60
    assert [p["name"] for p in doc["pairs"]] == [
        "0 vs 2",
        "0 vs 1",
        "2 vs 1",
        "0 vs 1c",
        "0 vs 0-ulp",
    ]


def test_no_report_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run([*FAST, "--no-report"], capsys)
    assert code == 0
    assert "0 vs 2" in out
    assert list(tmp_path.iterdir()) == []


def test_default_out_directory_and_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _run([*FAST, "--quiet"], capsys)
    assert code == 0
    assert out == ""
    assert err == ""
    assert (tmp_path / "softlogit-report" / "report.html").is_file()


def test_refuses_to_overwrite_a_foreign_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    code, _, err = _run([*FAST, "--out", str(foreign)], capsys)
    assert code == 2
    assert err.startswith("error: ")
    assert "--force" in err
    assert _listing(foreign) == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # no temporary left

    code, _, err = _run([*FAST, "--out", str(foreign), "--force"], capsys)
    assert code == 0, err
    assert "notes.txt" not in _listing(foreign)
    assert "report.html" in _listing(foreign)


@pytest.mark.parametrize("out", [".", "..", "~"])
def test_never_replaces_the_working_or_home_directory(
    out: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("keep", encoding="utf-8")
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(work))
    target = str(Path(out).expanduser())
    code, _, err = _run([*FAST, "--out", target, "--force"], capsys)
    assert code == 2
    assert "`--out`" in err
    assert "current directory" in err
    assert _listing(work) == ["keep.txt"]


def test_replaces_an_earlier_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "r"
    assert _run([*FAST, "--out", str(out_dir), "--seed", "1"], capsys)[0] == 0
    assert _run([*FAST, "--out", str(out_dir), "--seed", "2"], capsys)[0] == 0
    doc = json.loads((out_dir / "result.json").read_text(encoding="utf-8"))
    assert doc["spec"]["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_config_file_and_command_line_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "exp.toml"
    config.write_text(
        '[model]\nhidden = [3]\nactivation = "relu"\n'
        '[training]\noptimizer = "adam"\nlr = 0.01\nsteps = 40\n',
        encoding="utf-8",
    )
    code, out, err = _run(
        ["--config", str(config), "--lr", "0.02", "--json", "--no-report"], capsys
    )
    assert code == 0, err
    spec = json.loads(out)["spec"]
    assert spec["model"] == {"hidden": [3], "activation": "relu"}
    assert spec["training"]["optimizer"] == "adam"
    assert spec["training"]["lr"] == 0.02
    assert spec["training"]["steps"] == 40


def test_networks_pairs_and_other_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "--steps", "30", "--hidden", "3,2", "--activation", "sigmoid",
        "--optimizer", "momentum", "--momentum", "0.5", "--weight-decay", "0.01",
        "--decoupled", "--batch-size", "64", "--dtype", "float32",
        "--record-every", "10", "--seed", "3", "--networks", "0,1",
        "--pair", "1:0", "--json", "--no-report",
    ]  # fmt: skip
    code, out, err = _run(args, capsys)
    assert code == 0, err
    doc = json.loads(out)
    t = doc["spec"]["training"]
    assert (t["optimizer"], t["momentum"], t["weight_decay"]) == ("momentum", 0.5, 0.01)
    assert t["weight_decay_mode"] == "decoupled"
    assert (t["batch_size"], t["dtype"], t["record_every"]) == (64, "float32", 10)
    assert doc["spec"]["model"]["hidden"] == [3, 2]
    assert [n["name"] for n in doc["networks"]] == ["0", "1"]
    assert [p["name"] for p in doc["pairs"]] == ["1 vs 0"]
    assert doc["networks"][0]["steps"] == [0, 1, 10, 20, 30]


@pytest.mark.slow
def test_multiclass_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        [
            "--dataset",
            "iris",
            "--steps",
            "30",
            "--hidden",
            "3",
            "--out",
            str(tmp_path / "r"),
        ],
        capsys,
    )
    assert code == 0, err
    assert "softmax vs reference" in out
    assert (tmp_path / "r" / "report.html").is_file()


def test_divergence_is_reported_not_turned_into_nan_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "r"
    code, out, err = _run(
        # a linear network with a large step size explodes after about 120 steps
        [
            "--steps",
            "300",
            "--hidden",
            "8",
            "--activation",
            "identity",
            "--lr",
            "5",
            "--out",
            str(out_dir),
        ],
        capsys,
    )
    assert code == 0, err
    assert "diverged" in out
    text = (out_dir / "result.json").read_text(encoding="utf-8")
    doc = json.loads(text, parse_constant=_no_constants)  # strict JSON: no NaN
    assert any(n["diverged"] for n in doc["networks"])
    assert {p["verdict"] for p in doc["pairs"]} == {"not compared"}
    page = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "diverged." in page
    assert "not compared (a run diverged)" in page


def _csv(path: Path, rows: list[str]) -> str:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["--optimizer", "rmsprop"], r"--optimizer.*'sgd'.*'adamw'"),
        (["--activation", "gelu"], r"--activation.*'tanh'.*'identity'"),
        (["--dataset", "mnist"], r"--dataset.*'breast_cancer'"),
        (["--dtype", "float16"], r"--dtype.*'float64'"),
        (["--lr", "0"], r"`--lr` must be a positive finite real number; got 0\.0"),
        (["--lr", "-0.1"], r"`--lr` must be"),
        (["--lr", "nan"], r"`--lr` must be"),
        (
            ["--steps", "0"],
            r"`--steps` must be an integer in \[1, 2\*\*63 - 1\]; got 0",
        ),
        (["--steps", "-5"], r"`--steps` must be an integer in \[1, 2\*\*63 - 1\]"),
        (["--steps", "2.5"], r"--steps.*not a valid integer"),
        (["--hidden", "16,x"], r"`--hidden` must be comma-separated positive"),
        (["--hidden", "-3"], r"`--hidden` must be comma-separated positive"),
        (["--hidden", "16,0"], r"`--hidden` must be comma-separated positive"),
        (["--momentum", "1.5", "--optimizer", "momentum"], r"`--momentum` must be"),
        (
            ["--batch-size", "0"],
            r"`--batch-size` must be an integer in \[1, 2\*\*63 - 1\]",
        ),
        (["--networks", "0,7"], r"`--networks` entries must be among"),
        (["--pair", "0-1"], r"`--pair` must be two network names"),
        (["--pair", "0:0"], r"`--pair.*two different networks"),
        (
            ["--decoupled", "--weight-decay-mode", "coupled"],
            r"`--decoupled` contradicts",
        ),
        (["--config", "no-such-file.toml"], r"`--config`.*does not exist"),
        (["--engine", "jax"], r"`--engine` must be one of 'numpy'"),
        (["--out", "missing/dir/report"], r"`--out`.*does not exist"),
    ],
)
def test_bad_options(
    args: list[str],
    pattern: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(
        [*args, "--steps", "5"] if "--steps" not in args else args, capsys
    )
    assert code == 2
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert re.search(pattern, err), err
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(
    ("rows", "extra", "pattern"),
    [
        (["a,b,label", "1,2,x", "3,4,x", "5,6,x", "7,8,x"], [], r"class"),
        (["a,b,c", "1,2,0", "3,4,1", "5,6,0", "7,8,1"], [], r"`--target`.*label"),
        (["a,b,label", "1,,0", "3,4,1", "5,6,0", "7,8,1"], [], r"NaN|missing"),
    ],
    ids=["one-class", "no-target-column", "nan"],
)
def test_bad_csv(
    rows: list[str],
    extra: list[str],
    pattern: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _csv(tmp_path / "data.csv", rows)
    code, _, err = _run(
        ["--csv", path, "--target", "label", "--steps", "5", *extra], capsys
    )
    assert code == 2, err
    assert err.startswith("error: ")
    assert re.search(pattern, err), err
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]


def test_parse_hidden() -> None:
    assert parse_hidden("16") == (16,)
    assert parse_hidden(" 32, 16 ") == (32, 16)
    assert parse_hidden("none") == ()
    assert parse_hidden("0") == ()
    for bad in ("16,", "a", "1.5", "-1", "16,0"):
        with pytest.raises(CLIError, match="`--hidden` must be comma-separated"):
            parse_hidden(bad)


def test_parse_pairs() -> None:
    assert parse_pairs(("0:1", "2,1c")) == (("0", "1"), ("2", "1c"))
    with pytest.raises(CLIError, match="`--pair` must be two network names"):
        parse_pairs(("0:1:2",))


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ('[training]\noptimizer = "rmsprop"\n', r"`optimizer` must be one of 'sgd'"),
        ("[training]\nlearning_rate = 0.1\n", r"unknown option 'learning_rate'"),
        ("[model\nhidden = 3\n", r"not valid TOML"),
    ],
    ids=["bad-value", "unknown-option", "not-toml"],
)
def test_bad_config_file(
    text: str,
    pattern: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp.toml").write_text(text, encoding="utf-8")
    code, _, err = _run(["--config", "exp.toml"], capsys)
    assert code == 2
    assert err.startswith("error: `--config` 'exp.toml': ")
    assert re.search(pattern, err), err
    assert [p.name for p in tmp_path.iterdir()] == ["exp.toml"]


@pytest.mark.slow
def test_engine_option(capsys: pytest.CaptureFixture[str]) -> None:
    """--engine selects the implementation (the engines' own tests cover Keras)."""
    code, out, err = _run(
        [
            "--engine",
            "torch",
            "--steps",
            "20",
            "--hidden",
            "3",
            "--json",
            "--no-report",
        ],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["engine"] == "torch"
    verdicts = {p["name"]: p["verdict"] for p in doc["pairs"]}
    assert verdicts["0 vs 2"] == "identical up to rounding"
    assert verdicts["0 vs 1"] != "identical up to rounding"


def test_pair_2_1_titles_the_answer_with_networks_2_and_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run([*FAST, "--pair", "2:1", "--no-report"], capsys)
    assert code == 0
    assert "Do networks 2 and 1 end with very similar weights?" in out
    assert "networks 0 and 1" not in out
    assert "2 vs 1" in out


def test_the_terminal_legend_defines_every_theorem_label_it_shows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from softlogit.experiment import THEOREMS

    code, out, _ = _run([*FAST, "--no-report"], capsys)
    assert code == 0
    shown = set(re.findall(r"\bT[1-8]\b", out))
    assert shown >= {"T4", "T5"}
    lines = out.splitlines()
    for label in shown:
        # one legend line: the label, then its definition from THEOREMS
        assert any(
            line.split()[:1] == [label] and THEOREMS[label] in line for line in lines
        ), label
    assert any(line.startswith("control ") for line in lines)


def test_the_time_line_shows_every_phase_and_the_true_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The wall time of the whole run, the derivation check and the report
    included (the issue: 'time 3.32 s' printed for a 34 s run)."""
    import time

    out = tmp_path / "report"
    started = time.perf_counter()
    code, text, _ = _run([*FAST, "--out", str(out)], capsys)
    elapsed = time.perf_counter() - started
    assert code == 0
    (line,) = [ln for ln in text.splitlines() if ln.startswith("time ")]
    phases = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"([a-z][a-z ]*?) (\d+\.\d+) s", line[4:].strip())
    }
    assert list(phases) == [
        "data",
        "training",
        "comparison",
        "derivation check",
        "report",
        "total",
    ]
    parts = sum(v for k, v in phases.items() if k != "total")
    # the total is the run's own clock: at least its phases, at most the call
    assert parts - 0.02 <= phases["total"] <= elapsed + 0.01
    doc = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert list(doc["report"]["phases"]) == list(phases)[:4]
