"""The experiment result: tidy frame, JSON, save/load round trip and validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from softlogit.errors import InputTypeError, InputValueError
from softlogit.experiment import (
    ExperimentResult,
    ExperimentSpec,
    PairComparison,
    Verdict,
    run_experiment,
)
from softlogit.experiment._comparisons import PAIR_METRICS

# A result saved (ExperimentResult.save) by softlogit 0.1.0, before verdicts were
# typed: synthetic data, Adam with coupled L2 (so 0 vs 1c has no exact prediction).
FORMAT_1 = Path(__file__).parent / "data" / "result-format-1"


@pytest.fixture(scope="module")
def result() -> ExperimentResult:
    spec = ExperimentSpec().replace(
        dataset="synthetic",
        n_samples=60,
        n_features=3,
        hidden=(4,),
        steps=40,
        record_every=10,
        weight_decay=0.01,
    )
    return run_experiment(spec)


def test_result_shapes(result: ExperimentResult) -> None:
    assert list(result.trajectories) == ["0", "1", "2", "1c", "0-ulp"]
    t = result.trajectories["0"]
    assert t.steps.tolist() == [0, 1, 10, 20, 30, 40]
    n = t.n_records
    assert t.params["base.0.weight"].shape == (n, 4, 3)
    assert t.params["head.weight"].shape == (n, 2, 4)
    assert result.trajectories["1"].params["head.weight"].shape == (n, 1, 4)
    assert t.proba_train.shape == (n, result.data.n_train, 2)
    np.testing.assert_allclose(t.proba_test.sum(axis=2), 1.0, atol=1e-15)
    assert [p.name for p in result.pairs] == [
        "0 vs 2",
        "0 vs 1",
        "2 vs 1",
        "0 vs 1c",
        "0 vs 0-ulp",
    ]
    for p in result.pairs:
        assert list(p.metrics) == list(PAIR_METRICS)
        assert all(v.shape == (n,) for v in p.metrics.values())
    assert {c.network for c in result.conserved} == {"0", "2"}
    assert set(result.answers) == {"networks_0_and_1", "networks_0_and_2"}
    assert result.engine == "numpy"
    assert result.timings["total"] >= result.timings["train"] > 0
    assert result.diverged == []


def test_pair_lookup(result: ExperimentResult) -> None:
    assert result.pair("2", "0") is result.pair("0", "2")
    with pytest.raises(KeyError, match=r"pair '1' vs '1c' was not compared"):
        result.pair("1", "1c")


def test_to_frame_is_tidy(result: ExperimentResult) -> None:
    frame = result.to_frame()
    assert list(frame.columns) == ["kind", "subject", "step", "metric", "value"]
    assert set(frame["kind"]) == {"network", "pair", "conserved"}
    loss = frame[(frame.subject == "1") & (frame.metric == "train_loss")]
    np.testing.assert_array_equal(loss["value"], result.trajectories["1"].train_loss)
    np.testing.assert_array_equal(loss["step"], result.trajectories["1"].steps)
    gap = frame[(frame.subject == "0 vs 1") & (frame.metric == "head_max_abs")]
    np.testing.assert_array_equal(
        gap["value"], result.pair("0", "1").metrics["head_max_abs"]
    )
    n = result.trajectories["0"].n_records
    expected_rows = 5 * 2 * n + 5 * len(PAIR_METRICS) * n + 2 * 2 * n
    assert len(frame) == expected_rows


def test_json_dict_is_strict_json(result: ExperimentResult) -> None:
    d = result.to_json_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert back["format_version"] == 1
    assert back["spec"] == result.spec.to_dict()
    assert [n["name"] for n in back["networks"]] == ["0", "1", "2", "1c", "0-ulp"]
    assert back["networks"][0]["final_test_accuracy"] == pytest.approx(
        result.trajectories["0"].test_accuracy[-1]
    )
    p = back["pairs"][0]
    assert p["verdict"] == "identical up to rounding"
    assert p["theorem"] == "T4"
    assert p["derivation_step"] == "linear-heads"
    assert set(p["metrics"]) == set(PAIR_METRICS)
    assert back["head_movements"][0]["left"] == "0"
    assert back["answers"] == result.answers


def test_save_load_round_trip(result: ExperimentResult, tmp_path: Path) -> None:
    out = result.save(tmp_path / "res")
    assert sorted(p.name for p in out.iterdir()) == [
        ".softlogit-result",
        "arrays.npz",
        "result.json",
    ]
    back = ExperimentResult.load(out)
    assert back.spec == result.spec
    assert back.data == result.data
    assert back.answers == result.answers
    assert back.timings == result.timings
    assert back.to_json_dict() == result.to_json_dict()
    for name, t in result.trajectories.items():
        u = back.trajectories[name]
        np.testing.assert_array_equal(u.steps, t.steps)
        np.testing.assert_array_equal(u.proba_test, t.proba_test)
        for key in t.params:
            np.testing.assert_array_equal(u.params[key], t.params[key])
    for c, d in zip(result.conserved, back.conserved, strict=True):
        np.testing.assert_array_equal(c.weight_sum, d.weight_sum)
        assert c.predicted_weight_sum is not None
        np.testing.assert_array_equal(c.predicted_weight_sum, d.predicted_weight_sum)
    # saving again over an earlier result is allowed; over anything else it is not
    result.save(out)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(FileExistsError, match=r"already exists"):
        result.save(other)
    result.save(other, force=True)
    assert (other / "result.json").is_file()


def test_load_validation(result: ExperimentResult, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"has no result.json"):
        ExperimentResult.load(tmp_path)
    out = result.save(tmp_path / "res")
    meta = json.loads((out / "result.json").read_text())

    meta["format_version"] = 99
    (out / "result.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"must have format_version 1; got 99"):
        ExperimentResult.load(out)

    meta["format_version"] = 1
    meta["networks"][0]["param_shapes"]["head.weight"] = [3, 4]
    (out / "result.json").write_text(json.dumps(meta))
    with pytest.raises(
        ValueError, match=r"'network/0/param/head.weight' must have shape"
    ):
        ExperimentResult.load(out)

    del meta["networks"][0]["param_shapes"]["head.weight"]
    del meta["answers"]
    (out / "result.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"incomplete or malformed.*answers"):
        ExperimentResult.load(out)

    (out / "result.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"is not valid JSON"):
        ExperimentResult.load(out)


def test_load_refuses_pickled_arrays(result: ExperimentResult, tmp_path: Path) -> None:
    out = result.save(tmp_path / "res")
    with np.load(out / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["network/0/steps"] = np.array([object()] * 6, dtype=object)
    np.savez(out / "arrays.npz", **arrays)
    with pytest.raises(ValueError, match=r"not a valid NPZ file|pickle"):
        ExperimentResult.load(out)


def test_load_rejects_wrong_array_kind(
    result: ExperimentResult, tmp_path: Path
) -> None:
    out = result.save(tmp_path / "res")
    with np.load(out / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["network/1/train_loss"] = np.zeros((2, 2))
    np.savez(out / "arrays.npz", **arrays)
    with pytest.raises(ValueError, match=r"'network/1/train_loss' must be a 1-D float"):
        ExperimentResult.load(out)


def test_repr_and_summary_are_short(result: ExperimentResult) -> None:
    text = repr(result)
    assert text.startswith("ExperimentResult(engine='numpy'")
    assert "0 vs 2: identical up to rounding" in text
    assert len(text) < 400
    assert repr(result.trajectories["1c"]).startswith("Trajectory(name='1c'")
    assert "verdict='different'" in repr(result.pair("0", "1"))
    summary = result.summary()
    assert "0 vs 1: different [T5; the theory predicts it]" in summary
    ratio = result.head_movements[0].ratio
    assert f"first-step head movement 0 / 1 (T5): {ratio:.6f}" in summary
    assert result.answers["networks_0_and_2"] in summary


def test_a_result_saved_before_typed_verdicts_loads(tmp_path: Path) -> None:
    saved = json.loads((FORMAT_1 / "result.json").read_text(encoding="utf-8"))
    result = ExperimentResult.load(FORMAT_1)
    # every key and value of the saved document comes back unchanged
    assert result.to_json_dict() == saved
    assert [p.verdict for p in result.pairs] == [
        Verdict.IDENTICAL,
        Verdict.DIFFERENT,
        Verdict.DIFFERENT,
    ]
    assert [p.expected for p in result.pairs] == [
        Verdict.IDENTICAL,
        Verdict.NOT_IDENTICAL,
        None,
    ]
    assert [p.agrees_with_theory for p in result.pairs] == [True, True, None]
    # the typed answers are decided from the loaded verdicts; the explanations are
    # the saved texts
    first, second = result.answer_details
    assert (first.key, first.verdict) == ("networks_0_and_1", Verdict.DIFFERENT)
    assert first.headline == "No, not at equal learning rates."
    assert first.explanation == saved["answers"]["networks_0_and_1"]
    assert first.derivation_step == "training-dynamics"
    assert first.steps == 6
    assert set(first.figures) == {
        "weight_gap",
        "probability_gap",
        "final_weight_gap",
        "final_probability_gap",
        "first_step_ratio",
        "corrected_weight_gap",
        "corrected_probability_gap",
        "corrected_final_weight_gap",
        "corrected_final_probability_gap",
        "threshold",
    }
    assert second.headline.startswith("The same network")
    # saved again, the document is the same
    again = ExperimentResult.load(result.save(tmp_path / "again"))
    assert again.to_json_dict() == saved


def _pair(verdict: object, expected: object) -> PairComparison:
    steps = np.array([0, 1])
    return PairComparison(
        left="0",
        right="2",
        steps=steps,
        metrics={m: np.zeros(2) for m in PAIR_METRICS},
        verdict=verdict,  # type: ignore[arg-type]
        expected=expected,  # type: ignore[arg-type]
        theorem="T4",
        derivation_step="linear-heads",
        explanation="",
        threshold=1e-13,
        function_threshold=1e-8,
    )


def test_verdicts_are_typed_and_read_as_text() -> None:
    pair = _pair("different", "not identical")
    assert pair.verdict is Verdict.DIFFERENT
    assert pair.expected is Verdict.NOT_IDENTICAL
    assert pair.verdict == "different"
    assert f"{pair.verdict}" == str(pair.verdict) == "different"
    assert json.dumps(pair.to_json_dict()["verdict"]) == '"different"'
    assert repr(pair) == (
        "PairComparison('0 vs 2', verdict='different', theorem='T4', "
        "expected='not identical')"
    )
    assert _pair(Verdict.NOT_COMPARED, Verdict.IDENTICAL).agrees_with_theory is None


@pytest.mark.parametrize(
    ("verdict", "expected", "error", "match"),
    [
        ("similar", None, InputValueError, r"`verdict` must be one of 'identical up"),
        ("not identical", None, InputValueError, r"`verdict` must be one of"),
        (3, None, InputTypeError, r"`verdict` must be one of .*; got 3"),
        (
            "different",
            "different",
            InputValueError,
            r"`expected` must be one of 'identical up to rounding', 'not identical'",
        ),
    ],
)
def test_verdicts_are_validated(
    verdict: object, expected: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        _pair(verdict, expected)


def test_load_rejects_an_unknown_verdict(
    result: ExperimentResult, tmp_path: Path
) -> None:
    out = result.save(tmp_path / "res")
    meta = json.loads((out / "result.json").read_text())
    meta["pairs"][0]["verdict"] = "close enough"
    (out / "result.json").write_text(json.dumps(meta))
    with pytest.raises(InputValueError, match=r"`verdict` must be one of"):
        ExperimentResult.load(out)


def _rewrite_npz(out: Path, edit: Any) -> None:
    raw = bytearray((out / "arrays.npz").read_bytes())
    (out / "arrays.npz").write_bytes(bytes(edit(raw)))


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: b"PK\x03\x04" + bytes(200), id="garbage"),
        pytest.param(lambda raw: raw[:100] + bytes(50) + raw[150:], id="zeroed-bytes"),
        pytest.param(lambda raw: b"", id="empty"),
    ],
)
def test_load_refuses_a_corrupt_npz(
    result: ExperimentResult, tmp_path: Path, edit: Any
) -> None:
    out = result.save(tmp_path / "res")
    _rewrite_npz(out, edit)
    with pytest.raises(InputValueError, match=r"arrays.npz' is not a valid NPZ file"):
        ExperimentResult.load(out)


def test_load_refuses_an_array_larger_than_its_member(
    result: ExperimentResult, tmp_path: Path
) -> None:
    """A header declaring 10**12 elements is refused before allocation."""
    import io
    import zipfile

    out = result.save(tmp_path / "res")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    with zipfile.ZipFile(out / "arrays.npz", "a") as archive:
        archive.writestr("bomb.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:])
    with pytest.raises(
        InputValueError, match=r"'bomb.npy' declares 8000000000000 bytes"
    ):
        ExperimentResult.load(out)


def test_load_refuses_malformed_fields_cleanly(
    result: ExperimentResult, tmp_path: Path
) -> None:
    out = result.save(tmp_path / "res")
    meta = json.loads((out / "result.json").read_text())
    for edit in (
        lambda m: m.update(networks="abc"),
        lambda m: m["networks"][0].update(head_lr_multiplier="fast"),
        lambda m: m["networks"][0].update(param_shapes=[1, 2]),
        lambda m: m["pairs"][0].update(steps=[[1], 2]),
    ):
        changed = json.loads(json.dumps(meta))
        edit(changed)
        (out / "result.json").write_text(json.dumps(changed))
        with pytest.raises(InputValueError, match=r"incomplete or malformed: \w+"):
            ExperimentResult.load(out)
    (out / "result.json").write_text("[" * 100_000)
    with pytest.raises(InputValueError, match=r"not valid JSON: RecursionError"):
        ExperimentResult.load(out)
    (out / "result.json").write_bytes(b"\xff{}")
    with pytest.raises(InputValueError, match=r"not valid JSON: UnicodeDecodeError"):
        ExperimentResult.load(out)


def test_load_refuses_a_pair_without_its_metrics(
    result: ExperimentResult, tmp_path: Path
) -> None:
    """Found by fuzzing: a pair missing a metric loaded, then summary() raised
    KeyError (accepted but inconsistent)."""
    out = result.save(tmp_path / "res")
    meta = json.loads((out / "result.json").read_text())
    del meta["pairs"][0]["metrics"]["base_max_rel"]
    (out / "result.json").write_text(json.dumps(meta))
    with pytest.raises(
        InputValueError, match=r"pair 0 lacks the metrics \['base_max_rel'\]"
    ):
        ExperimentResult.load(out)
