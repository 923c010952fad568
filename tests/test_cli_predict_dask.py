"""`softlogit predict` on Parquet globs through Dask: --keep and --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from softlogit import SoftmaxRegression


@pytest.fixture
def parts(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, pd.DataFrame, Path]:
    """Three Parquet files with an identifier, a date and two features, the whole
    data set, and a model fitted on it (written by SoftmaxRegression.save)."""
    n = 240
    X = rng.normal(size=(n, 2))
    y = np.argmax(X @ rng.normal(size=(3, 2)).T + rng.gumbel(size=(n, 3)), axis=1)
    whole = pd.DataFrame(
        {
            "id": np.arange(1000, 1000 + n),
            "day": pd.date_range("2024-01-01", periods=n, freq="D"),
            "size": X[:, 0],
            "speed": X[:, 1],
            "kind": np.array(["ant", "bee", "cat"])[y],
        }
    )
    for i in range(3):
        whole.iloc[80 * i : 80 * (i + 1)].to_parquet(
            tmp_path / f"part{i}.parquet", index=False
        )
    model = SoftmaxRegression(C=1.0).fit(whole[["size", "speed"]], whole["kind"])
    return tmp_path, whole, model.save(tmp_path / "model.json")


def _expected(whole: pd.DataFrame, model_path: Path) -> pd.DataFrame:
    from softlogit import load_model

    model = load_model(model_path)
    X = whole[["size", "speed"]]
    proba = model.predict_proba(X)
    return pd.DataFrame(
        {
            **{f"proba_{c}": proba[:, k] for k, c in enumerate(model.classes_)},
            "predicted": model.predict(X),
        }
    )


def test_keep_carries_columns_partition_by_partition(
    parts: tuple[Path, pd.DataFrame, Path], run_cli: Any
) -> None:
    tmp, whole, model_path = parts
    glob = str(tmp / "part*.parquet")
    expected = _expected(whole, model_path)
    # to standard output, the default keeps every column that is not a feature
    code, out, err = run_cli("predict", str(model_path), glob)
    assert code == 0, err
    got = pd.read_csv(pd.io.common.StringIO(out))
    assert list(got.columns) == ["id", "day", "kind", *expected.columns]
    assert got["id"].tolist() == whole["id"].tolist()
    assert got["day"].tolist() == whole["day"].dt.strftime("%Y-%m-%d").tolist()
    np.testing.assert_allclose(got[expected.columns[:3]], expected.iloc[:, :3])
    # into a directory: one file per partition, each with its rows' identifiers
    code, _, err = run_cli(
        "predict", str(model_path), glob, "--keep", "id", "--out",
        str(tmp / "out"),
    )  # fmt: skip
    assert code == 0, err
    files = sorted((tmp / "out").glob("part-*.csv"))
    assert files  # as many as Dask made partitions (it may join small files)
    got = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    assert got["id"].tolist() == whole["id"].tolist()
    assert list(got.columns) == ["id", *expected.columns]
    assert got["predicted"].tolist() == expected["predicted"].tolist()
    # --keep none: the predictions only
    code, out, _ = run_cli("predict", str(model_path), glob, "--keep", "none")
    assert out.splitlines()[0] == "proba_ant,proba_bee,proba_cat,predicted"


def test_keep_errors_through_dask_are_the_in_memory_ones(
    parts: tuple[Path, pd.DataFrame, Path], run_cli: Any
) -> None:
    tmp, _, model_path = parts
    glob = str(tmp / "part*.parquet")
    code, out, err = run_cli("predict", str(model_path), glob, "--keep", "id,x")
    assert code == 2
    assert out == ""
    assert err.startswith("error: --keep must name columns of DATA")
    assert "Traceback" not in err


def test_json_through_dask_is_one_document(
    parts: tuple[Path, pd.DataFrame, Path], run_cli: Any
) -> None:
    tmp, whole, model_path = parts
    glob = str(tmp / "part*.parquet")
    out_file = tmp / "pred.json"
    code, _, err = run_cli(
        "predict", str(model_path), glob, "--keep", "id,day", "--json",
        "--out", str(out_file),
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    expected = _expected(whole, model_path)
    assert doc["kept"] == ["id", "day"]
    assert doc["n_rows"] == len(whole) == len(doc["rows"])
    for k in (0, 117, len(whole) - 1):
        row = doc["rows"][k]
        assert row["id"] == int(whole["id"].iloc[k])
        assert row["day"].startswith(str(whole["day"].iloc[k].date()))
        assert [row["proba"][c] for c in ("ant", "bee", "cat")] == pytest.approx(
            expected.iloc[k, :3].tolist(), rel=1e-12
        )
        assert row["predicted"] == expected["predicted"].iloc[k]
    # data larger than the memory fraction: one JSON document could not be read
    code, out, err = run_cli(
        "predict", str(model_path), glob, "--json", "--memory-fraction", "0"
    )
    assert code == 2
    assert out == ""
    assert err.startswith("error: --json writes one JSON document")
    assert "larger than --memory-fraction 0 of the memory" in err
    assert "Traceback" not in err
