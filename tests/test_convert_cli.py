"""`softlogit convert`, run in-process through main(): safe loading, atomic writes,
the verification figure, and files the other framework reads back."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import softlogit as sl
from softlogit._cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_error(code: int, err: str, *fragments: str, exit_code: int = 2) -> None:
    assert code == exit_code, err
    assert err.startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def _net(units: int, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, units))


def _csv(path: Path, X: np.ndarray) -> Path:
    pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]).to_csv(
        path, index=False
    )
    return path


# ------------------------------------------------------------------------ PyTorch
def test_state_dict_to_sigmoid_with_verification(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed: int
) -> None:
    net = _net(2, seed)
    torch.save(net.state_dict(), tmp_path / "net.pt")
    X = torch.randn(30, 5, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        features = net[1](net[0](X))
    data = _csv(tmp_path / "head.csv", features.double().numpy())

    code, out, err = _run(
        capsys,
        "convert",
        str(tmp_path / "net.pt"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "sig.pt"),
        "--verify",
        str(data),
    )
    assert code == 0, err
    assert "found: head '2'" in out
    assert "2.weight (2, 8) + 2.bias (2,) [float32]" in out
    assert "wrote: " in out
    assert "2.weight (1, 8) + 2.bias (1,)" in out
    assert "verified on 30 rows" in out
    assert "tolerance 1e-06" in out
    # the file loads safely into the sigmoid architecture and predicts the same
    sig = _net(1, seed + 1)
    sig.load_state_dict(torch.load(tmp_path / "sig.pt", weights_only=True))
    with torch.no_grad():
        before = torch.softmax(net(X), dim=1)[:, 1]
        after = torch.sigmoid(sig(X))[:, 0]
    assert float((before - after).abs().max()) <= 1e-6
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "head.csv",
        "net.pt",
        "sig.pt",
    ]


def test_state_dict_to_softmax_reference_gauge(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed: int
) -> None:
    net = _net(1, seed).double()
    torch.save(net.state_dict(), tmp_path / "net.pth")
    code, out, err = _run(
        capsys,
        "convert",
        str(tmp_path / "net.pth"),
        "--to",
        "softmax",
        "--gauge",
        "reference",
        "--head",
        "2",
        "--out",
        str(tmp_path / "soft.pth"),
    )
    assert code == 0, err
    assert "not verified" in out
    sd = torch.load(tmp_path / "soft.pth", weights_only=True)
    w = net[2].weight.detach()[0]
    assert torch.equal(sd["2.weight"], torch.stack([torch.zeros_like(w), w]))
    assert sd["2.weight"].dtype == torch.float64


def test_whole_pickled_modules_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed: int
) -> None:
    torch.save(_net(2, seed), tmp_path / "whole.pt")  # a pickled nn.Module
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "whole.pt"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "o.pt"),
    )
    _assert_error(
        code, err, "cannot be loaded safely", "weights_only=True", "state_dict()"
    )
    assert not (tmp_path / "o.pt").exists()


def test_a_file_that_is_not_a_state_dict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    torch.save(torch.zeros(3), tmp_path / "t.pt")
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "t.pt"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "o.pt"),
    )
    _assert_error(code, err, "holds a Tensor, not a state dict")
    (tmp_path / "bad.pt").write_bytes(b"PK\x03\x04 not really a zip file")
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "bad.pt"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "o.pt"),
    )
    _assert_error(code, err, "bad.pt")


def test_failed_verification_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # float32 rows of size 1e4 whose difference is O(1): the original's own logits
    # z1 - z0 lose about 1e-3 to rounding, more than float32's tolerance
    rng = np.random.default_rng(0)
    base = rng.normal(size=8) * 1e4
    weight = torch.tensor(
        np.stack([base, base + rng.normal(size=8) * 0.1]), dtype=torch.float32
    )
    torch.save({"fc.weight": weight, "fc.bias": torch.zeros(2)}, tmp_path / "big.pt")
    data = _csv(tmp_path / "d.csv", rng.normal(size=(50, 8)))
    code, out, err = _run(
        capsys,
        "convert",
        str(tmp_path / "big.pt"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "o.pt"),
        "--verify",
        str(data),
    )
    _assert_error(code, err, "verification failed", "Nothing was written", exit_code=1)
    assert out == ""
    assert not (tmp_path / "o.pt").exists()
    code, out, err = _run(
        capsys,
        "convert",
        str(tmp_path / "big.pt"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "o.pt"),
        "--verify",
        str(data),
        "--tol",
        "0.1",
    )
    assert code == 0, err
    assert "(tolerance 1e-01)" in out
    assert (tmp_path / "o.pt").exists()


# -------------------------------------------------------------------------- Keras
@pytest.mark.slow
def test_keras_file_round_trip(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed: int
) -> None:
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(8, "tanh"),
            keras.layers.Dense(2, "softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "m.keras")
    X = np.random.default_rng(seed).normal(size=(25, 5))
    data = _csv(tmp_path / "x.csv", X)
    code, out, err = _run(
        capsys,
        "convert",
        str(tmp_path / "m.keras"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "s.keras"),
        "--verify",
        str(data),
    )
    assert code == 0, err
    assert "out: Dense(2, activation='softmax')" in out
    assert "out: Dense(1, activation='sigmoid')" in out
    assert "verified on 25 rows" in out
    assert "not compiled" in out
    loaded = keras.saving.load_model(tmp_path / "s.keras", safe_mode=True)
    before = np.asarray(model(X.astype("float32")))[:, 1]
    after = np.asarray(loaded(X.astype("float32")))[:, 0]
    assert np.max(np.abs(before - after)) <= 1e-6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "s.keras", "x.csv"]


@pytest.mark.slow
def test_keras_files_with_code_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import keras

    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Lambda(lambda x: 2 * x),
            keras.layers.Dense(2, "softmax"),
        ]
    )
    model.save(tmp_path / "lam.keras")
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "lam.keras"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "o.keras"),
    )
    _assert_error(code, err, "cannot be loaded safely", "Lambda", "safe_mode=False")
    assert not (tmp_path / "o.keras").exists()
    (tmp_path / "junk.keras").write_text("not a zip")
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "junk.keras"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "o.keras"),
    )
    _assert_error(code, err, "junk.keras' is not a Keras 3 model file")
    with zipfile.ZipFile(tmp_path / "zip.keras", "w") as archive:
        archive.writestr("notes.txt", "no config.json here")
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "zip.keras"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "o.keras"),
    )
    _assert_error(code, err, "zip.keras' is not a loadable Keras model", "config.json")


# ----------------------------------------------------------------- softlogit JSON
def test_json_model_to_softmax(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rng: np.random.Generator
) -> None:
    X = pd.DataFrame(rng.normal(size=(80, 2)), columns=["size", "speed"])
    y = (X["size"] + rng.normal(size=80) > 0).astype(int)
    model = sl.LogisticRegression(C=2.0).fit(X, y)
    model.save(tmp_path / "m.json")
    data = tmp_path / "d.csv"
    X.assign(label=y, other="text").to_csv(data, index=False)  # extra columns ignored
    code, out, err = _run(
        capsys,
        "convert",
        str(tmp_path / "m.json"),
        "--to",
        "softmax",
        "--out",
        str(tmp_path / "s.json"),
        "--verify",
        str(data),
    )
    assert code == 0, err
    assert "LogisticRegression, coef_ (1, 2)" in out
    assert "SoftmaxRegression, coef_ (2, 2)" in out
    assert "tolerance 1e-12" in out
    soft = sl.load_model(tmp_path / "s.json")
    assert type(soft) is sl.SoftmaxRegression
    assert soft.C == 1.0
    assert np.max(np.abs(soft.predict_proba(X) - model.predict_proba(X))) <= 1e-15
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "m.json"),
        "--to",
        "softmax",
        "--head",
        "fc",
        "--out",
        str(tmp_path / "x.json"),
    )
    _assert_error(code, err, "`head` applies to PyTorch and Keras models only")
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "m.json"),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "x.json"),
    )
    _assert_error(code, err, "already is a sigmoid model")
    (tmp_path / "no.csv").write_text("size\n1.0\n")
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "m.json"),
        "--to",
        "softmax",
        "--out",
        str(tmp_path / "x.json"),
        "--verify",
        str(tmp_path / "no.csv"),
    )
    _assert_error(code, err, "lacks the feature column(s) ['speed']")
    (tmp_path / "bad.json").write_text("{}")
    code, _, err = _run(
        capsys,
        "convert",
        str(tmp_path / "bad.json"),
        "--to",
        "softmax",
        "--out",
        str(tmp_path / "x.json"),
    )
    _assert_error(code, err, "invalid model file")


# ------------------------------------------------------------------ output rules
@pytest.fixture
def state_dict(tmp_path: Path, seed: int) -> Path:
    path = tmp_path / "net.pt"
    torch.save(_net(2, seed).state_dict(), path)
    return path


def test_existing_outputs_need_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, state_dict: Path
) -> None:
    target = tmp_path / "o.pt"
    target.write_bytes(b"keep me")
    argv = ["convert", str(state_dict), "--to", "sigmoid", "--out", str(target)]
    code, _, err = _run(capsys, *argv)
    _assert_error(code, err, "already exists", "--force")
    assert target.read_bytes() == b"keep me"
    code, _, err = _run(capsys, *argv, "--force")
    assert code == 0, err
    assert torch.load(target, weights_only=True)["2.weight"].shape == (1, 8)


@pytest.mark.parametrize(
    ("model_name", "out_name", "fragments"),
    [
        ("m.pkl", "o.pkl", ["is a pickle file", "never loads"]),
        ("m.joblib", "o.pt", ["joblib (pickle) file"]),
        ("m.h5", "o.keras", ["legacy Keras 2 (HDF5) file"]),
        ("m.txt", "o.pt", ["unsupported suffix '.txt'", ".keras (Keras 3)"]),
        (
            "net.pt",
            "o.keras",
            ["--out", "must have the MODEL's format (torch: .pt, .pth)"],
        ),
        ("net.pt", "missing/o.pt", ["does not exist"]),
        ("absent.pt", "o.pt", ["MODEL", "absent.pt", "does not exist"]),
    ],
    ids=["pickle", "joblib", "h5", "txt", "out-format", "out-dir", "no-model"],
)
def test_refused_files(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    state_dict: Path,
    model_name: str,
    out_name: str,
    fragments: list[str],
) -> None:
    model = tmp_path / model_name
    if not model.exists() and model_name != "absent.pt":
        model.write_bytes(b"\x80\x04K\x01.")  # a pickle of 1: never opened
    code, _, err = _run(
        capsys,
        "convert",
        str(model),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / out_name),
    )
    _assert_error(code, err, *fragments)
    assert not (tmp_path / out_name).exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "does not exist"),
        ("", "is not a CSV file with a header"),
        ("a,b\nx,y\n", "numeric feature columns only"),
        ("a\nnan\n", "rows of finite numbers"),
    ],
    ids=["missing", "empty", "text", "nan"],
)
def test_bad_verify_files(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    state_dict: Path,
    content: str | None,
    fragment: str,
) -> None:
    data = tmp_path / "v.csv"
    if content is not None:
        data.write_text(content)
    code, _, err = _run(
        capsys,
        "convert",
        str(state_dict),
        "--to",
        "sigmoid",
        "--out",
        str(tmp_path / "o.pt"),
        "--verify",
        str(data),
    )
    _assert_error(code, err, "--verify", fragment)
    assert not (tmp_path / "o.pt").exists()
