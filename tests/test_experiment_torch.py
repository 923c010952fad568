"""The PyTorch engine against the NumPy engine: same spec, same trajectories."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from softlogit.experiment import ExperimentSpec, available_engines, run_experiment

SMALL = {
    "dataset": "synthetic",
    "n_samples": 60,
    "n_features": 4,
    "hidden": (5,),
    "steps": 60,
    "record_every": 20,
}
CASES: list[tuple[str, dict[str, Any]]] = [
    ("sgd", {"optimizer": "sgd", "lr": 0.3}),
    ("momentum-wd", {"optimizer": "momentum", "lr": 0.1, "weight_decay": 0.05}),
    (
        "nesterov-decoupled",
        {
            "optimizer": "nesterov",
            "lr": 0.1,
            "weight_decay": 0.05,
            "weight_decay_mode": "decoupled",
        },
    ),
    ("adam-minibatch", {"optimizer": "adam", "lr": 0.02, "batch_size": 16}),
    ("adam-l2", {"optimizer": "adam", "lr": 0.02, "weight_decay": 0.1}),
    (
        "adamw-relu",
        {"optimizer": "adamw", "lr": 0.02, "weight_decay": 0.1, "activation": "relu"},
    ),
    ("k3-sgd", {"n_classes": 3, "lr": 0.3, "activation": "sigmoid"}),
    (
        "k3-adam-deep",
        {"n_classes": 3, "optimizer": "adam", "lr": 0.02, "hidden": (4, 3)},
    ),
    ("no-hidden", {"hidden": (), "optimizer": "momentum", "lr": 0.1}),
]


def test_torch_engine_is_available() -> None:
    assert available_engines()[:2] == ("numpy", "torch")


@pytest.mark.parametrize("options", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_engines_agree_to_rounding(options: dict[str, Any], seed: int) -> None:
    spec = ExperimentSpec().replace(**{**SMALL, **options, "seed": seed})
    a = run_experiment(spec, engine="numpy")
    b = run_experiment(spec, engine="torch")
    assert b.engine == "torch"
    assert list(a.trajectories) == list(b.trajectories)
    for name, ta in a.trajectories.items():
        tb = b.trajectories[name]
        np.testing.assert_array_equal(ta.steps, tb.steps)
        for key in ta.params:
            np.testing.assert_allclose(
                ta.params[key], tb.params[key], rtol=0, atol=1e-13, err_msg=name + key
            )
        np.testing.assert_allclose(ta.train_loss, tb.train_loss, rtol=1e-13)
        np.testing.assert_allclose(ta.proba_test, tb.proba_test, rtol=0, atol=1e-13)
        # training moved the parameters far beyond the tolerance
        assert (
            np.max(np.abs(ta.params["head.weight"][-1] - ta.params["head.weight"][0]))
            > 1e-3
        )
    assert [p.verdict for p in a.pairs] == [p.verdict for p in b.pairs]


def test_torch_engine_float32_and_divergence() -> None:
    spec = ExperimentSpec().replace(**{**SMALL, "dtype": "float32"})
    result = run_experiment(spec, engine="torch")
    assert result.trajectories["0"].params["head.weight"].dtype == np.float32
    assert result.pair("0", "2").verdict == "identical up to rounding"
    bad = ExperimentSpec().replace(
        **{
            **SMALL,
            "activation": "identity",
            "lr": 1e6,
            "steps": 200,
            "record_every": 1,
        }
    )
    result = run_experiment(bad, engine="torch")
    for t in result.trajectories.values():
        assert t.diverged
        assert "diverged at step" in str(t.message)
        assert np.all(np.isfinite(t.train_loss))
