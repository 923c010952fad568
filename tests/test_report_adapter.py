"""The reports' view of an experiment result, on a hand-built result with known values."""

from __future__ import annotations

import json

import numpy as np
import pytest

from softlogit._report._adapter import report_data
from softlogit._report._json import dumps, report_json
from softlogit.experiment import (
    ConservedSum,
    DataInfo,
    ExperimentResult,
    ExperimentSpec,
    HeadMovement,
    PairComparison,
    Trajectory,
    Verdict,
)
from softlogit.experiment._compare import reference_head as head_coordinates
from softlogit.experiment._comparisons import PAIR_METRICS

STEPS = np.array([0, 1, 2])


def _trajectory(
    name: str, head: str, weight: np.ndarray, bias: np.ndarray, **kw: object
) -> Trajectory:
    n = STEPS.size
    return Trajectory(
        name=name,
        description=f"network {name}",
        head=head,
        steps=STEPS,
        train_loss=np.array([0.7, 0.6, 0.5]),
        test_loss=np.array([0.7, 0.6, 0.55]),
        params={
            "base.0.weight": np.zeros((n, 2, 3)),
            "base.0.bias": np.zeros((n, 2)),
            "head.weight": weight,
            "head.bias": bias,
        },
        proba_train=np.full((n, 4, 2), 0.5),
        proba_test=np.full((n, 2, 2), 0.5),
        **kw,  # type: ignore[arg-type]
    )


def _pair(left: str, right: str, verdict: str, expected: str | None) -> PairComparison:
    metrics = {m: np.array([0.0, 1e-17, 2e-16]) for m in PAIR_METRICS}
    metrics["proba_test_max_abs"] = np.array([0.0, 3e-17, 4e-16])
    return PairComparison(
        left=left,
        right=right,
        steps=STEPS,
        metrics=metrics,
        verdict=verdict,
        expected=expected,
        theorem="T4",
        derivation_step="linear-heads",
        explanation="same function",
        threshold=1e-12,
        function_threshold=1e-9,
    )


def _result(diverged: bool = False) -> ExperimentResult:
    # two-unit head: rows w1, w2 over 3 steps; sigmoid head w = w2 - w1
    w1 = np.array([[[0.0, 1.0]], [[0.1, 1.0]], [[0.2, 1.5]]])
    w2 = np.array([[[1.0, 3.0]], [[1.5, 3.0]], [[2.0, 3.0]]])
    two = np.concatenate([w1, w2], axis=1)  # (3, 2, 2)
    b2 = np.array([[0.5, -0.5], [0.4, -0.4], [0.3, -0.2]])
    diff_w = w2 - w1  # (3, 1, 2)
    diff_b = (b2[:, 1] - b2[:, 0])[:, None]
    traj1_kw: dict[str, object] = {}
    if diverged:
        traj1_kw = {"diverged_at": 2, "message": "loss became inf at step 2"}
    trajectories = {
        "0": _trajectory("0", "difference", two, b2),
        "1": _trajectory("1", "sigmoid", diff_w * 0.5, diff_b, **traj1_kw),
        "2": _trajectory("2", "softmax", two, b2),
    }
    return ExperimentResult(
        spec=ExperimentSpec().replace(steps=2, hidden=(2,), networks=("0", "1", "2")),
        engine="numpy",
        data=DataInfo("toy", 4, 2, 3, 2, ("a", "b"), ("x", "y", "z")),
        trajectories=trajectories,
        pairs=[
            _pair("0", "2", "identical up to rounding", "identical up to rounding"),
            _pair("0", "1", "different", "not identical"),
        ],
        conserved=[
            ConservedSum(
                network="2",
                steps=STEPS,
                weight_sum=np.zeros((3, 2)),
                bias_sum=np.zeros(3),
                drift=np.array([0.0, 0.0, 1e-16]),
                predicted_weight_sum=None,
                predicted_bias_sum=None,
                deviation=None,
                verdict="drifts (no exact prediction)",
                explanation="no exact prediction",
                threshold=1e-12,
            )
        ],
        head_movements=[
            HeadMovement("0", "1", 2.0, 2.0, "twice as far", "T5", "training-dynamics")
        ],
        answers={
            "networks_0_and_1": "No. At equal rates they part. With 1c they agree.",
            "networks_0_and_2": "Same function and trajectory.",
        },
        timings={"total": 1.25},
    )


def test_head_coordinates_are_reference_class_coordinates() -> None:
    result = _result()
    w, b = head_coordinates(result.trajectories["0"])
    # w2 - w1 and b2 - b1, by hand
    np.testing.assert_array_equal(w[:, 0, :], [[1.0, 2.0], [1.4, 2.0], [1.8, 1.5]])
    np.testing.assert_array_equal(b[:, 0], [-1.0, -0.8, -0.5])
    w1, b1 = head_coordinates(result.trajectories["1"])
    np.testing.assert_array_equal(w1[:, 0, :], [[0.5, 1.0], [0.7, 1.0], [0.9, 0.75]])
    np.testing.assert_array_equal(b1[:, 0], [-1.0, -0.8, -0.5])


def test_report_data_from_a_result() -> None:
    data = report_data(_result())
    assert data.networks == ("0", "1", "2")
    np.testing.assert_array_equal(data.steps, [0, 1, 2])
    # both weights of the first network moved; labels name them, then the bias
    assert data.head_labels == ("w[0]", "w[1]", "b")
    np.testing.assert_array_equal(data.head["0"][:, 2], [-1.0, -0.8, -0.5])
    p02, p01 = data.pairs
    assert (p02.verdict, p02.agrees) == (Verdict.IDENTICAL, True)
    # "not identical" is predicted: "different" agrees with it
    assert (p01.verdict, p01.expected, p01.agrees) == (
        Verdict.DIFFERENT,
        Verdict.NOT_IDENTICAL,
        True,
    )
    assert p02.step_id == "linear-heads"
    assert p02.final["max |Δ proba|"] == 4e-16
    np.testing.assert_array_equal(
        p02.curves["predicted probabilities"], [0.0, 3e-17, 4e-16]
    )
    # the disagreement with the theory is called out
    assert data.notes == ()  # verdicts agree with the theory: nothing to call out
    first, second = data.answers
    assert first.question == "Do networks 0 and 1 end with very similar weights?"
    # the experiment decides the headline from the measured verdicts; the
    # explanation is the result's saved text
    assert first.headline == "No, not at equal learning rates."
    assert first.explanation == "No. At equal rates they part. With 1c they agree."
    assert second.headline.startswith("The same network")
    assert second.derivation_step == "linear-heads"
    assert (
        "T3, network 2",
        "w1 + w2, b1 + b2 drifts (no exact prediction) (largest drift 1e-16, "
        "threshold 1e-12)",
    ) in data.facts
    assert (
        "T5, 0 / 1",
        "first-step head movement ratio 2.000000, predicted 2",
    ) in data.facts
    assert data.diverged == {}


def test_a_verdict_against_the_theory_is_called_out() -> None:
    result = _result()
    result.pairs[0] = _pair("0", "2", "different", "identical up to rounding")
    data = report_data(result)
    assert data.pairs[0].agrees is False
    assert data.notes == (
        "0 vs 2: measured 'different' but T4 predicts 'identical up to rounding'.",
    )


def test_divergence_reaches_the_report() -> None:
    data = report_data(_result(diverged=True))
    assert data.diverged == {"1": "loss became inf at step 2"}


def test_summary_json_is_strict_json() -> None:
    data = report_data(_result())
    doc = report_json(data)
    text = dumps(doc)
    assert json.loads(text)["pairs"][1]["agrees_with_theory"] is True
    with pytest.raises(ValueError, match="Out of range float values"):
        dumps({"x": float("nan")})
