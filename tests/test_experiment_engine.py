"""The NumPy engine: hand-written gradients, heads, initialization, data, training."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from softlogit._testing.numdiff import gradient
from softlogit.experiment import ExperimentSpec, run_experiment
from softlogit.experiment._data import load_data
from softlogit.experiment._engine_numpy import batch_schedule, record_steps
from softlogit.experiment._networks import (
    backward,
    forward,
    head_units,
    init_params,
    logit_grad,
    loss_and_proba,
    network_def,
    param_factors,
)
from softlogit.experiment._spec import DataSpec, TrainingSpec

ACTIVATIONS = ["tanh", "relu", "sigmoid", "identity"]
HEADS = [("difference", 2), ("sigmoid", 2), ("softmax", 2), ("softmax", 3)]
HEADS += [("reference", 2), ("reference", 4)]


def _targets(head: str, y: np.ndarray, k: int) -> np.ndarray:
    if head in ("difference", "sigmoid"):
        return y.astype(np.float64)
    return np.eye(k)[y]


def _random_params(
    rng: np.random.Generator, widths: tuple[int, ...], units: int
) -> list[np.ndarray]:
    params = []
    for fan_in, fan_out in itertools.pairwise(widths):
        params += [rng.normal(size=(fan_out, fan_in)), rng.normal(size=fan_out)]
    return [*params, rng.normal(size=(units, widths[-1])), rng.normal(size=units)]


@pytest.mark.parametrize(("head", "k"), HEADS, ids=[f"{h}-K{k}" for h, k in HEADS])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    "hidden", [(), (4,), (3, 5)], ids=["depth0", "depth1", "depth2"]
)
def test_gradient_matches_finite_differences(
    head: str,
    k: int,
    activation: str,
    hidden: tuple[int, ...],
    rng: np.random.Generator,
) -> None:
    n, p = 9, 3
    X = rng.normal(size=(n, p))
    y = np.arange(n) % k
    params = _random_params(rng, (p, *hidden), head_units(head, k))
    acts, logits = forward([q.copy() for q in params], X, activation)
    grads = [np.empty_like(q) for q in params]
    backward(
        params, acts, logit_grad(head, logits, _targets(head, y, k)), activation, grads
    )

    def loss(ps: list[np.ndarray]) -> float:
        # the loss comes from softlogit._special, independent of the backward pass
        return loss_and_proba(head, forward(ps, X, activation)[1], y)[0]

    for i, q in enumerate(params):

        def loss_of(p: np.ndarray, i: int = i) -> float:
            return loss([*params[:i], p, *params[i + 1 :]])

        fd = gradient(loss_of, q)
        np.testing.assert_allclose(grads[i], fd, rtol=1e-6, atol=1e-9, err_msg=str(i))


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("init_from", ["softmax", "sigmoid"])
@pytest.mark.parametrize("gauge", ["centered", "reference"])
def test_equivalent_initialization(
    k: int, init_from: str, gauge: str, rng: np.random.Generator
) -> None:
    heads = (
        ["difference", "sigmoid", "softmax", "reference"]
        if k == 2
        else [
            "softmax",
            "reference",
        ]
    )
    inits = init_params(
        4,
        (5,),
        k,
        heads,
        init_from=init_from,
        gauge=gauge,
        rng=rng,
        dtype=np.dtype(np.float64),
    )
    X = rng.normal(size=(20, 4))
    y = np.arange(20) % k
    probas = [loss_and_proba(h, forward(inits[h], X, "tanh")[1], y)[1] for h in heads]
    for p in probas[1:]:
        np.testing.assert_allclose(p, probas[0], rtol=0, atol=1e-15)
    # the base is shared exactly
    for h in heads[1:]:
        np.testing.assert_array_equal(inits[h][0], inits[heads[0]][0])
    w = inits["softmax"][-2]
    if init_from == "sigmoid" and gauge == "centered":
        np.testing.assert_allclose(w.sum(axis=0), 0, atol=1e-15)
    if init_from == "sigmoid" and gauge == "reference":
        np.testing.assert_array_equal(w[0], 0)
    # PyTorch's nn.Linear rule: |w| <= 1/sqrt(fan_in)
    assert np.all(np.abs(inits["softmax"][0]) <= 1 / np.sqrt(4))


def test_heads_compute_the_textbook_probabilities(rng: np.random.Generator) -> None:
    z = rng.normal(size=(6, 2)) * 5
    y = np.array([0, 1, 0, 1, 1, 0])
    _, p_diff = loss_and_proba("difference", z, y)
    _, p_soft = loss_and_proba("softmax", z, y)
    e = np.exp(z)
    np.testing.assert_allclose(p_soft, e / e.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(p_diff, p_soft, rtol=1e-14)
    loss, p_sig = loss_and_proba("sigmoid", z[:, :1], y)
    q = 1 / (1 + np.exp(-z[:, 0]))
    np.testing.assert_allclose(p_sig[:, 1], q, rtol=1e-14)
    expected = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    assert loss == pytest.approx(expected, rel=1e-13)


def test_training_matches_torch_autograd(rng: np.random.Generator) -> None:
    """Network 2 trained by momentum SGD, against torch.nn + torch.optim."""
    spec = ExperimentSpec().replace(
        dataset="synthetic",
        n_samples=60,
        n_features=4,
        hidden=(5, 3),
        activation="tanh",
        optimizer="momentum",
        lr=0.2,
        steps=40,
        record_every=40,
        networks=("2",),
        pairs=(),
        seed=int(rng.integers(1000)),
    )
    result = run_experiment(spec)
    traj = result.trajectories["2"]
    data = load_data(spec.data, np.random.SeedSequence(spec.seed).spawn(3)[0])
    names = list(traj.params)
    tparams = [torch.tensor(traj.params[k][0], requires_grad=True) for k in names]
    opt = torch.optim.SGD(tparams, lr=0.2, momentum=0.9)
    X = torch.tensor(data.X_train)
    y = torch.tensor(data.y_train)
    for _ in range(40):
        opt.zero_grad()
        a = X
        for i in range(2):
            a = torch.tanh(a @ tparams[2 * i].T + tparams[2 * i + 1])
        logits = a @ tparams[-2].T + tparams[-1]
        torch.nn.functional.cross_entropy(logits, y).backward()
        opt.step()
    for k, tp in zip(names, tparams, strict=True):
        np.testing.assert_allclose(traj.params[k][-1], tp.detach().numpy(), atol=1e-13)
    assert not np.allclose(
        traj.params["head.weight"][-1], traj.params["head.weight"][0]
    )


@pytest.mark.parametrize("name", ["1", "1c"])
def test_param_factors(name: str) -> None:
    """Base arrays: the base factor and no decay change; head: both head factors."""
    tr = TrainingSpec(base_lr_multiplier=0.5, head_lr_multiplier=3.0)
    net = network_def(name, 2)
    # two hidden layers: 4 base arrays, then the head's weight and bias
    got = param_factors(net, tr, 6)
    head_lr, head_wd = (6.0, 0.5) if name == "1c" else (3.0, 1.0)
    assert got.lr == (0.5, 0.5, 0.5, 0.5, head_lr, head_lr)
    assert got.weight_decay == (1.0, 1.0, 1.0, 1.0, head_wd, head_wd)
    assert param_factors(net, tr, 2) == ((head_lr,) * 2, (head_wd,) * 2)


def test_record_steps_and_batches(rng: np.random.Generator) -> None:
    assert record_steps(5, 10).tolist() == [0, 1, 5]
    assert record_steps(20, 10).tolist() == [0, 1, 10, 20]
    assert batch_schedule(10, None, 5, rng) is None
    assert batch_schedule(10, 10, 5, rng) is None
    batches = batch_schedule(10, 4, 7, rng)
    assert batches is not None
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2, 4]
    # each epoch is a permutation of the samples
    assert sorted(np.concatenate(batches[:3]).tolist()) == list(range(10))
    assert sorted(np.concatenate(batches[3:6]).tolist()) == list(range(10))


def test_builtin_data_match_scikit_learn() -> None:
    from sklearn import datasets

    for name in ("breast_cancer", "iris", "wine", "digits"):
        data = load_data(
            DataSpec(dataset=name, standardize=False), np.random.SeedSequence(0)
        )
        bunch = getattr(datasets, f"load_{name}")()
        X = np.vstack([data.X_train, data.X_test])
        assert X.shape == bunch.data.shape
        # the split is a partition of the rows: compare sorted rows
        order = np.lexsort(X.T)
        ref = np.lexsort(bunch.data.T)
        np.testing.assert_array_equal(X[order], bunch.data[ref])
        assert data.info.feature_names == tuple(map(str, bunch.feature_names))
        assert data.info.classes == tuple(map(str, bunch.target_names))
        assert data.info.n_classes == len(bunch.target_names)


def test_split_is_stratified_and_standardized() -> None:
    data = load_data(DataSpec(), np.random.SeedSequence(1))
    n = data.info.n_train + data.info.n_test
    assert n == 569
    assert data.info.n_test == int(np.ceil(0.25 * 569))
    frac_train = data.y_train.mean()
    frac_test = data.y_test.mean()
    assert abs(frac_train - frac_test) < 0.01
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1, atol=1e-12)
    again = load_data(DataSpec(), np.random.SeedSequence(1))
    np.testing.assert_array_equal(again.X_test, data.X_test)


def test_synthetic_data(rng: np.random.Generator) -> None:
    spec = DataSpec(dataset="synthetic", n_samples=90, n_features=3, n_classes=4)
    data = load_data(spec, np.random.SeedSequence(int(rng.integers(1000))))
    assert data.info.n_classes == 4
    assert data.info.n_features == 3
    assert data.info.n_train + data.info.n_test == 90
    assert set(np.unique(data.y_train)) == {0, 1, 2, 3}


def test_csv_data(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        "a,b,label\n"
        + "".join(f"{i},{i % 3},{'yes' if i % 2 else 'no'}\n" for i in range(20))
    )
    spec = DataSpec(dataset="csv", csv=str(path), target="label")
    data = load_data(spec, np.random.SeedSequence(0))
    assert data.info.classes == ("no", "yes")
    assert data.info.feature_names == ("a", "b")
    assert data.info.n_train + data.info.n_test == 20


@pytest.mark.parametrize(
    ("text", "target", "error", "match"),
    [
        (
            "a,b\n1,0\n2,1\n",
            "y",
            ValueError,
            r"`target` 'y' is not a column .*'a', 'b'",
        ),
        (
            "a,y\n1,0\n2,0\n3,0\n4,0\n",
            "y",
            ValueError,
            r"`target` column .y. must have at least two classes \(K >= 2\)",
        ),
        (
            "a,y\n1,0\n,1\n3,0\n4,1\n",
            "y",
            ValueError,
            r"`csv` data must be finite; found 1",
        ),
        (
            "a,y\nx,0\ny,1\nz,0\nw,1\n",
            "y",
            ValueError,
            r"must be numeric; non-numeric: .a.",
        ),
        ("y\n0\n1\n0\n1\n", "y", ValueError, r"no feature columns"),
        (
            "a,y\n1,0\n2,1\n3,0\n4,\n",
            "y",
            ValueError,
            r"`target` column 'y' .* missing",
        ),
        (
            "a,y\n1,0\n2,1\n3,0\n4,0\n",
            "y",
            ValueError,
            r"`target` column .y.: every class needs at least two samples",
        ),
    ],
)
def test_csv_errors(
    tmp_path: Path, text: str, target: str, error: type[Exception], match: str
) -> None:
    path = tmp_path / "d.csv"
    path.write_text(text)
    spec = DataSpec(dataset="csv", csv=str(path), target=target)
    with pytest.raises(error, match=match):
        load_data(spec, np.random.SeedSequence(0))


def test_missing_csv_file(tmp_path: Path) -> None:
    spec = DataSpec(dataset="csv", csv=str(tmp_path / "none.csv"), target="y")
    with pytest.raises(FileNotFoundError, match=r"`csv` file .* does not exist"):
        load_data(spec, np.random.SeedSequence(0))


def test_divergence_stops_the_run_with_a_message() -> None:
    spec = ExperimentSpec().replace(
        dataset="synthetic",
        n_samples=60,
        n_features=4,
        hidden=(4,),
        activation="identity",
        lr=1e6,
        steps=200,
        record_every=1,
    )
    result = run_experiment(spec)
    for t in result.trajectories.values():
        assert t.diverged, t.name
        assert t.diverged_at is not None
        assert 0 < t.diverged_at <= 200
        assert "diverged at step" in str(t.message)
        assert np.all(np.isfinite(t.train_loss))
        assert t.steps[-1] < t.diverged_at
    for p in result.pairs:
        assert p.verdict == "not compared"
        assert "diverged" in p.explanation
    assert "could not be compared" in result.answers["networks_0_and_2"]


def test_float32_runs_in_float32() -> None:
    spec = ExperimentSpec().replace(
        dataset="synthetic",
        n_samples=60,
        n_features=4,
        hidden=(4,),
        steps=30,
        dtype="float32",
    )
    result = run_experiment(spec)
    t = result.trajectories["0"]
    assert t.params["head.weight"].dtype == np.float32
    assert t.proba_test.dtype == np.float32
    assert result.pair("0", "2").verdict == "identical up to rounding"
    assert result.pair("0", "2").threshold > 1e-6


def test_unknown_engine() -> None:
    with pytest.raises(ValueError, match=r"`engine` must be one of 'numpy'.*got 'jax'"):
        run_experiment(ExperimentSpec(), engine="jax")
    with pytest.raises(TypeError, match=r"`spec` must be an ExperimentSpec; got dict"):
        run_experiment({})  # type: ignore[arg-type]


def test_synthetic_data_small_and_many_classes() -> None:
    spec = DataSpec(dataset="synthetic", n_samples=40, n_features=2, n_classes=10)
    data = load_data(spec, np.random.SeedSequence(0))
    counts = np.bincount(np.concatenate([data.y_train, data.y_test]), minlength=10)
    assert counts.min() >= 2
    assert set(data.y_test) == set(range(10))
    with pytest.raises(
        ValueError, match=r"`n_samples` must be at least 4 \* n_classes"
    ):
        load_data(
            DataSpec(dataset="synthetic", n_samples=20, n_classes=6),
            np.random.SeedSequence(0),
        )
