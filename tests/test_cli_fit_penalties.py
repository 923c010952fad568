"""`softlogit fit` with --l1-ratio, --class-weight, --cv and --path/--plot, run
in-process through main(); fits checked against scikit-learn."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV

from softlogit import load_model
from softlogit._cli import main

FEATURES = ["a", "b", "c", "d"]


@pytest.fixture
def csv(tmp_path: Path, rng: np.random.Generator) -> Path:
    X = rng.normal(size=(300, 4))
    keep = rng.random(300) < 0.6
    y = (X @ [1.0, -1.0, 0.0, 0.5] + rng.logistic(size=300) > 0.8) | ~keep
    frame = pd.DataFrame(X, columns=FEATURES)
    frame["y"] = np.where(y, "yes", "no")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def _Xy(csv: Path) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_csv(csv)
    return frame[FEATURES].to_numpy(), frame["y"].to_numpy()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _sk(**kw: object) -> SkLogisticRegression:
    return SkLogisticRegression(tol=1e-12, max_iter=100_000, **kw)


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_l1_ratio_fit_equals_saga(capsys, csv, tmp_path):
    out = tmp_path / "m.json"
    code, stdout, err = _run(
        capsys, "fit", str(csv), "--target", "y", "--model", "logistic",
        "--C", "0.02", "--l1-ratio", "1", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert "C=0.02, l1_ratio=1" in stdout
    X, y = _Xy(csv)
    sk = _fit(_sk(C=0.02, l1_ratio=1.0, solver="saga"), X, y)
    model = load_model(out)
    assert model.l1_ratio == 1.0
    np.testing.assert_allclose(model.coef_, sk.coef_, atol=1e-6)
    assert np.count_nonzero(sk.coef_) < 4  # the lasso zeroes a weight: shown as 0
    assert re.search(r"│ c\s+│\s+0 │", stdout)


@pytest.mark.parametrize("weights", ["balanced", '{"yes": 3, "no": 0.5}'])
def test_class_weight_equals_sklearn(capsys, csv, tmp_path, weights):
    out = tmp_path / "m.json"
    code, _, err = _run(
        capsys, "fit", str(csv), "--target", "y", "--model", "logistic",
        "--C", "0.5", "--class-weight", weights, "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    X, y = _Xy(csv)
    cw = "balanced" if weights == "balanced" else {"yes": 3.0, "no": 0.5}
    sk = _fit(_sk(C=0.5, class_weight=cw, solver="lbfgs"), X, y)
    model = load_model(out)
    np.testing.assert_allclose(model.coef_, sk.coef_, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, sk.intercept_, atol=1e-6)


def test_cv_prints_sklearns_choice_and_curve(capsys, csv, tmp_path):
    out = tmp_path / "m.json"
    code, stdout, err = _run(
        capsys, "fit", str(csv), "--target", "y", "--model", "logistic",
        "--cv", "3", "--Cs", "6", "--scoring", "neg_log_loss", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    X, y = _Xy(csv)
    sk = _fit(
        SkLogisticRegressionCV(
            Cs=6, cv=3, l1_ratios=(0.0,), scoring="neg_log_loss",
            use_legacy_attributes=False, tol=1e-12, max_iter=10_000,
        ),
        X, y,
    )  # fmt: skip
    assert f"chosen C = {sk.C_:.6g}" in stdout
    means = sk.scores_[:, 0, :].mean(axis=0)
    for C, mean in zip(sk.Cs_, means, strict=True):
        row = rf"{re.escape(f'{C:12.4g}')}\s+{re.escape(f'{mean:12.6g}')}"
        assert re.search(row, stdout), (C, mean, stdout)
    assert abs(load_model(out).C - sk.C_) <= 1e-12 * sk.C_


def test_path_prints_the_table_and_plots(capsys, csv, tmp_path):
    plot = tmp_path / "path.png"
    code, stdout, err = _run(
        capsys, "fit", str(csv), "--target", "y", "--model", "logistic",
        "--path", "--l1-ratio", "1", "--Cs", "5", "--plot", str(plot),
    )  # fmt: skip
    assert code == 0, err
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    X, y = _Xy(csv)
    yy = (y == "yes").astype(float)
    # glmnet's start: 1 / C0 = max |X^T (y - ybar)| (scikit-learn's scaling).
    C0 = 1 / np.abs(X.T @ (yy - yy.mean())).max()
    first = stdout.splitlines()[2].split()
    assert float(first[0]) == pytest.approx(C0, rel=1e-3)
    assert first[1] == "0"
    assert len(stdout.splitlines()) == 2 + 5


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--l1-ratio", "2", "--C", "1"], ["--l1-ratio must be a number in [0, 1]"]),
        (["--l1-ratio", "0.5"], ["--l1-ratio needs a finite --C"]),
        (["--cv", "1"], ["--cv must be an integer >= 2"]),
        (["--cv", "3", "--C", "1"], ["--C is chosen by --cv"]),
        (["--cv", "3", "--path"], ["--cv and --path exclude each other"]),
        (["--plot", "x.png"], ["--plot draws the path of --path"]),
        (["--path", "--out", "m.json"], ["--path fits many models"]),
        (["--path", "--plot", "p.gif"], ["--plot must end in .png, .svg or .pdf"]),
        (["--C", "1", "--class-weight", "heavy"], ["--class-weight must be 'bal"]),
        (["--C", "1", "--class-weight", "[1, 2]"], ["--class-weight must be 'bal"]),
        (
            ["--C", "1", "--class-weight", '{"maybe": 2}'],
            ["names 'maybe'", "(no, yes)"],
        ),
        (["--C", "1", "--class-weight", '{"yes": "x"}'], ["weight of 'yes' must be"]),
        (["--C", "1", "--class-weight", '{"yes": -1}'], ["class_weight['yes']"]),
        (["--cv", "3", "--scoring", "best"], ["`scoring` must be a scorer name"]),
    ],
)
def test_penalty_option_errors(capsys, csv, tmp_path, monkeypatch, argv, fragments):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "fit", str(csv), "--target", "y", *argv)
    assert code == 2
    assert err.startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert not (tmp_path / "x.png").exists()
