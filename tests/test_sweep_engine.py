"""The batched trainer against the NumPy engine, and the one-ulp sensitivity control."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from softlogit.experiment import (
    ExperimentSpec,
    Verdict,
    prepare_experiment,
    rounding_tolerance,
    run_experiment,
)
from softlogit.experiment._batched import stack_key, train_batched
from softlogit.experiment._compare import explain_by_control
from softlogit.experiment._engine_numpy import train_numpy
from softlogit.experiment._networks import initial_params, network_def
from softlogit.experiment._sweep_rows import _jobs, _stacks, measure_rows

CASES = [
    {"optimizer": "sgd", "lr": 0.1, "batch_size": None},
    {"optimizer": "momentum", "lr": 0.05, "batch_size": 32},
    {"optimizer": "nesterov", "lr": 0.05, "batch_size": None, "weight_decay": 1e-3},
    {"optimizer": "adam", "lr": 0.01, "batch_size": 64},
    {"optimizer": "adamw", "lr": 0.01, "batch_size": None, "weight_decay": 1e-2},
    {"optimizer": "adam", "lr": 0.01, "batch_size": None, "weight_decay": 1e-3},
]


def _specs(case: dict[str, object]) -> list[ExperimentSpec]:
    base = ExperimentSpec().replace(steps=40, record_every=7, hidden=(6, 4), **case)
    lr = float(case["lr"])  # type: ignore[arg-type]
    return [base.replace(lr=v, seed=s) for v in (lr, 2 * lr) for s in (0, 3)]


def _assert_same(a, b, tol: float) -> None:  # type: ignore[no-untyped-def]
    assert a.name == b.name
    np.testing.assert_array_equal(a.steps, b.steps)
    assert a.diverged_at == b.diverged_at
    assert a.message == b.message
    for key in a.params:
        scale = max(1.0, float(np.max(np.abs(a.params[key]))))
        assert np.max(np.abs(a.params[key] - b.params[key])) <= tol * scale, key
    for name in ("proba_train", "proba_test", "train_loss", "test_loss"):
        assert np.max(np.abs(getattr(a, name) - getattr(b, name))) <= tol, name
    np.testing.assert_array_equal(a.test_accuracy, b.test_accuracy)


@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c['optimizer']}-{c['batch_size']}"
)
def test_batched_training_reproduces_the_numpy_engine(case: dict[str, object]) -> None:
    """Every network of every cell, trained in stacks, against run_experiment."""
    specs = _specs(case)
    jobs = [job for spec in specs for job in _jobs(spec)]
    trained = [None] * len(jobs)
    stacks = _stacks(jobs)
    assert max(len(s) for s in stacks) > 1  # networks of several cells train at once
    for idx in stacks:
        for i, t in zip(idx, train_batched([jobs[i] for i in idx]), strict=True):
            trained[i] = t
    tol = rounding_tolerance("float64", 40)
    for spec in specs:
        reference = run_experiment(spec)
        mine = {
            t.name: t for t, j in zip(trained, jobs, strict=False) if j.spec is spec
        }
        for name, traj in reference.trajectories.items():
            _assert_same(traj, mine[name], tol)
        # the baseline: network 1 from seed + 1's initialization, on this split
        prep = prepare_experiment(spec)
        other = prepare_experiment(spec.replace(seed=spec.seed + 1))
        ref = train_numpy(
            dataclasses.replace(network_def("1", 2), name="1r"),
            prep.data,
            spec,
            other.inits["sigmoid"],
            prep.batches,
        )
        _assert_same(
            ref, dataclasses.replace(mine["1r"], description=ref.description), tol
        )


def test_batched_training_records_divergence_like_the_engine() -> None:
    spec = ExperimentSpec().replace(
        steps=30, record_every=4, lr=1e10, hidden=(4,), activation="relu"
    )
    stable = spec.replace(lr=0.1)
    jobs = _jobs(spec) + _jobs(stable)
    out = []
    for idx in _stacks(jobs):
        out += list(zip(idx, train_batched([jobs[i] for i in idx]), strict=True))
    trained = dict(out)
    reference = run_experiment(spec)
    assert all(t.diverged for t in reference.trajectories.values())
    for i, job in enumerate(jobs[:5]):
        ref = reference.trajectories[job.net.name]
        assert trained[i].diverged_at == ref.diverged_at
        assert trained[i].message == ref.message
        np.testing.assert_array_equal(trained[i].steps, ref.steps)
    assert not any(trained[i].diverged for i in range(6, 12))


def test_stacks_need_one_key() -> None:
    spec = ExperimentSpec().replace(steps=3)
    jobs = _jobs(spec)
    assert stack_key(jobs[0]) != stack_key(jobs[1])  # two heads of different sizes
    with pytest.raises(ValueError, match="one stack key; got 2"):
        train_batched(jobs[:2])


def test_accuracy_is_the_fraction_of_correct_labels() -> None:
    spec = ExperimentSpec().replace(steps=20, hidden=(4,))
    result = run_experiment(spec)
    data = prepare_experiment(spec).data
    for t in result.trajectories.values():
        assert t.test_accuracy is not None
        assert t.train_accuracy is not None
        for i in range(t.n_records):
            assert t.test_accuracy[i] == pytest.approx(
                accuracy_score(data.y_test, t.proba_test[i].argmax(axis=1))
            )
            assert t.train_accuracy[i] == pytest.approx(
                accuracy_score(data.y_train, t.proba_train[i].argmax(axis=1))
            )


# full-batch Adam on breast_cancer: at lr 1 the training amplifies rounding (a
# one-ulp difference of one weight grows beyond the rounding level), at lr 0.01 not
CHAOTIC = ExperimentSpec().replace(optimizer="adam", lr=1.0, seed=1)
STABLE = ExperimentSpec().replace(optimizer="adam", lr=0.01, seed=1)


def _relative_gap(a, b) -> float:  # type: ignore[no-untyped-def]
    gap = max(float(np.max(np.abs(a.params[k] - b.params[k]))) for k in a.params)
    scale = max(float(np.max(np.abs(a.params[k]))) for k in a.params)
    return gap / scale


@pytest.mark.slow
def test_the_ulp_control_separates_a_chaotic_procedure_from_a_stable_one() -> None:
    tol = rounding_tolerance("float64", 2000)
    chaotic, stable = run_experiment(CHAOTIC), run_experiment(STABLE)
    # measured directly on the parameters: the control's drift
    gap_chaotic = _relative_gap(
        chaotic.trajectories["0"], chaotic.trajectories["0-ulp"]
    )
    gap_stable = _relative_gap(stable.trajectories["0"], stable.trajectories["0-ulp"])
    assert gap_chaotic > 1e3 * tol
    assert gap_stable < tol
    # and classified so
    assert chaotic.pair("0", "0-ulp").verdict is Verdict.AMPLIFIED
    assert stable.pair("0", "0-ulp").verdict is Verdict.IDENTICAL
    for pair in ("2", "1c"):
        assert chaotic.pair("0", pair).verdict is Verdict.AMPLIFIED
        assert chaotic.pair("0", pair).agrees_with_theory is True
        assert stable.pair("0", pair).verdict is Verdict.IDENTICAL
    assert chaotic.pair("0", "1").verdict is Verdict.DIFFERENT
    headline = chaotic.answer_details[1].headline
    assert headline == "The same network; this procedure amplifies rounding."
    # the atlas's rows say the same
    rows = measure_rows([CHAOTIC, STABLE])
    assert [r["ulp_verdict"] for r in rows] == ["amplified", "identical"]
    assert [r["0v2_verdict"] for r in rows] == ["amplified", "identical"]


def _pair(left, right, verdict, expected, gap):  # type: ignore[no-untyped-def]
    from softlogit.experiment import PairComparison
    from softlogit.experiment._comparisons import PAIR_METRICS

    metrics = {m: np.zeros(2) for m in PAIR_METRICS}
    metrics["head_max_rel"] = np.array([0.0, gap])
    return PairComparison(
        left=left,
        right=right,
        steps=np.array([0, 1]),
        metrics=metrics,
        verdict=verdict,
        expected=expected,
        theorem="T4",
        derivation_step="",
        explanation="x.",
        threshold=1e-13,
        function_threshold=1e-8,
    )


def test_explain_by_control_needs_a_drifting_control_as_far() -> None:
    same, A, D = Verdict.IDENTICAL, Verdict.AMPLIFIED, Verdict.DIFFERENT
    drifting = _pair("0", "0-ulp", A, None, 1e-3)
    out = explain_by_control([_pair("0", "2", D, same, 1e-2), drifting])
    assert out[0].verdict is A
    assert "grew a single rounding error to a gap of 0.001" in out[0].explanation
    # a gap more than six decades above the control's stays unexplained
    out = explain_by_control([_pair("0", "2", D, same, 1e4), drifting])
    assert out[0].verdict is D
    # a stable control explains nothing; pairs predicted different are kept
    steady = _pair("0", "0-ulp", same, None, 1e-16)
    assert explain_by_control([_pair("0", "2", D, same, 1e-2), steady])[0].verdict is D
    # ... but one just beyond rounding, within six decades of a steady control, is
    # grown from rounding
    out = explain_by_control([_pair("0", "2", D, same, 1e-12), steady])
    assert out[0].verdict is A
    kept = _pair("0", "1", D, Verdict.NOT_IDENTICAL, 1.0)
    assert explain_by_control([kept, drifting])[0] is kept


def test_the_control_runs_by_default_where_the_theory_predicts_identity() -> None:
    from softlogit.experiment import default_networks

    assert default_networks(2)[-1] == "0-ulp"
    assert default_networks(3, "sgd")[-1] == "softmax-ulp"
    assert "softmax-ulp" not in default_networks(3, "adam")
    result = run_experiment(ExperimentSpec().replace(dataset="iris", steps=20))
    control = result.pair("softmax", "softmax-ulp")
    assert control.verdict is Verdict.IDENTICAL
    assert control.expected is None
    moved = initial_params(
        network_def("softmax-ulp", 3),
        prepare_experiment(ExperimentSpec().replace(dataset="iris")).inits,
    )
    base = prepare_experiment(ExperimentSpec().replace(dataset="iris")).inits["softmax"]
    differ = [int(np.count_nonzero(m != b)) for m, b in zip(moved, base, strict=True)]
    assert differ == [0, 0, 1, 0]
    i = int(np.argmax(np.abs(base[2])))
    assert moved[2].flat[i] == np.nextafter(
        base[2].flat[i], np.copysign(np.inf, base[2].flat[i])
    )


@pytest.mark.parametrize(
    ("name", "weight_decay", "dtype"),
    [
        ("sgd", 0.0, "float64"),
        ("momentum", 0.0, "float64"),
        ("nesterov", 1e-2, "float64"),
        ("adam", 1e-2, "float64"),
        ("adamw", 1e-2, "float64"),
        ("momentum", 1e-2, "float32"),
        ("adam", 0.0, "float32"),
    ],
)
def test_the_stacked_optimizer_is_the_scalar_one_bit_for_bit(
    name: str, weight_decay: float, dtype: str
) -> None:
    """All arrays of all networks in one array, against one Optimizer per network."""
    from softlogit._optimizers import OptimizerSpec, make_optimizer
    from softlogit.experiment._batched_optim import StackedOptimizer, param_views

    rng = np.random.default_rng(5)
    shapes = [(4, 3), (4,), (2, 4), (2,)]
    sizes = [int(np.prod(s)) for s in shapes]
    lrs, head = [0.1, 0.03, 0.5], [1.0, 1.0, 2.0, 2.0]  # a head multiplier
    decays = [1.0, 1.0, 0.5, 0.5]
    spec = OptimizerSpec(name, lr=1.0, weight_decay=weight_decay)
    flat = rng.standard_normal((3, sum(sizes))).astype(dtype)
    scalar = [
        [np.array(v[0]) for v in param_views(flat[i : i + 1], shapes)] for i in range(3)
    ]
    reference = [
        make_optimizer(
            OptimizerSpec(name, lr=lr, weight_decay=weight_decay), p, head, decays
        )
        for lr, p in zip(lrs, scalar, strict=True)
    ]
    lr = np.array([np.repeat([r * h for h in head], sizes) for r in lrs])
    decay = np.array([np.repeat([weight_decay * d for d in decays], sizes)] * 3)
    stacked = StackedOptimizer(spec, flat, lr, decay)
    for _ in range(6):
        g = rng.standard_normal(flat.shape).astype(dtype)
        for i, opt in enumerate(reference):
            opt.step(
                scalar[i], [np.array(v[0]) for v in param_views(g[i : i + 1], shapes)]
            )
        stacked.step(flat, g)
    for i in range(3):
        mine = param_views(flat, shapes)
        for j in range(len(shapes)):
            np.testing.assert_array_equal(mine[j][i], scalar[i][j])
    # dropping a network keeps the others' state
    stacked.keep(np.array([True, False, True]))
    flat = flat[[0, 2]]
    g = rng.standard_normal(flat.shape).astype(dtype)
    for k, i in enumerate((0, 2)):
        reference[i].step(
            scalar[i], [np.array(v[0]) for v in param_views(g[k : k + 1], shapes)]
        )
    stacked.step(flat, g)  # overwrites g
    for k, i in enumerate((0, 2)):
        for j, p in enumerate(param_views(flat, shapes)):
            np.testing.assert_array_equal(p[k], scalar[i][j])


def test_a_network_trains_the_same_in_any_stack() -> None:
    """Stacks share data and buffers; each network's numbers stay its own."""
    specs = [
        ExperimentSpec().replace(steps=25, record_every=6, lr=lr, seed=seed, **kw)
        for lr in (0.05, 0.2)
        for seed in (0, 1)
        for kw in ({"batch_size": None}, {"batch_size": 32, "optimizer": "adam"})
    ]
    jobs = [job for spec in specs for job in _jobs(spec)]
    stacks = _stacks(jobs)
    # full-batch networks stack with the networks of their data only
    for idx in stacks:
        if jobs[idx[0]].batches is None:
            assert len({jobs[i].spec.seed for i in idx}) == 1
    assert max(len(s) for s in stacks) > 6
    for idx in stacks:
        together = train_batched([jobs[i] for i in idx])
        for i, t in zip(idx, together, strict=True):
            (alone,) = train_batched([jobs[i]])
            for key in t.params:
                np.testing.assert_array_equal(t.params[key], alone.params[key])
            np.testing.assert_array_equal(t.proba_test, alone.proba_test)
            np.testing.assert_array_equal(t.train_loss, alone.train_loss)


def test_the_bias_enters_the_product_only_where_the_bits_stay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Folding the first layer's bias into its product changes no bit."""
    from softlogit.experiment import _batched

    spec = ExperimentSpec().replace(steps=30, record_every=7, hidden=(6,), lr=0.1)
    jobs = [j for j in _jobs(spec) if j.net.head == "sigmoid"]
    folded = train_batched(jobs)
    folds = _batched._bias_folds(np.dtype("float64"), 426, 30, 6)
    if folds:  # the probe's verdict holds for other values of the shape
        rng = np.random.default_rng(11)
        X, w, b = (
            rng.normal(size=(426, 30)),
            rng.normal(size=(30, 6)),
            rng.normal(size=6),
        )
        ones = np.ones((426, 1))
        np.testing.assert_array_equal(
            np.hstack([X, ones]) @ np.vstack([w, b]), X @ w + b
        )
    monkeypatch.setattr(_batched, "_bias_folds", lambda *args: False)
    plain = train_batched(jobs)
    for a, b_ in zip(folded, plain, strict=True):
        for key in a.params:
            np.testing.assert_array_equal(a.params[key], b_.params[key])
        np.testing.assert_array_equal(a.proba_test, b_.proba_test)
