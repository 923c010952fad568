"""The NumPy optimizers against ``torch.optim`` on random quadratics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from softlogit._optimizers import OptimizerSpec, make_optimizer
from softlogit.errors import InputTypeError, InputValueError

N_STEPS = 60


def _quadratic(rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Two parameter arrays and positive-definite curvature matrices for each."""
    shapes = [(3, 4), (5,)]
    params = [rng.normal(size=s) for s in shapes]
    mats = []
    for s in shapes:
        n = int(np.prod(s))
        a = rng.normal(size=(n, n)) / np.sqrt(n)
        mats.append(a @ a.T + 0.1 * np.eye(n))
    return params, mats


def _grad(p: np.ndarray, mat: np.ndarray, target: np.ndarray) -> np.ndarray:
    # gradient of 0.5 (p - t)^T A (p - t)
    return (mat @ (p.ravel() - target.ravel())).reshape(p.shape)


def _torch_optimizer(
    spec: OptimizerSpec,
    tparams: list[torch.Tensor],
    lr_mult: list[float],
    wd_mult: list[float],
) -> torch.optim.Optimizer:
    groups = [
        {"params": [p], "lr": spec.lr * lm, "weight_decay": spec.weight_decay * wm}
        for p, lm, wm in zip(tparams, lr_mult, wd_mult, strict=True)
    ]
    kw: dict[str, Any] = {}
    if spec.name == "sgd":
        return torch.optim.SGD(groups, lr=spec.lr)
    if spec.name in ("momentum", "nesterov"):
        return torch.optim.SGD(
            groups, lr=spec.lr, momentum=spec.momentum, nesterov=spec.name == "nesterov"
        )
    kw = {"betas": spec.betas, "eps": spec.eps}
    if spec.name == "adam":
        return torch.optim.Adam(
            groups,
            lr=spec.lr,
            decoupled_weight_decay=spec.decoupled_weight_decay,
            **kw,
        )
    return torch.optim.AdamW(groups, lr=spec.lr, **kw)


CASES = [
    pytest.param(OptimizerSpec("sgd", lr=0.1), id="sgd"),
    pytest.param(OptimizerSpec("sgd", lr=0.1, weight_decay=0.3), id="sgd-wd"),
    pytest.param(OptimizerSpec("momentum", lr=0.05, momentum=0.8), id="momentum"),
    pytest.param(
        OptimizerSpec("momentum", lr=0.05, momentum=0.9, weight_decay=0.2),
        id="momentum-wd",
    ),
    pytest.param(OptimizerSpec("nesterov", lr=0.05, momentum=0.7), id="nesterov"),
    pytest.param(
        OptimizerSpec("nesterov", lr=0.05, momentum=0.9, weight_decay=0.1),
        id="nesterov-wd",
    ),
    pytest.param(OptimizerSpec("adam", lr=0.01), id="adam"),
    pytest.param(
        OptimizerSpec("adam", lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        id="adam-wd",
    ),
    pytest.param(
        OptimizerSpec("adam", lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
        id="adam-decoupled",
    ),
    pytest.param(OptimizerSpec("adamw", lr=0.01, weight_decay=0.05), id="adamw"),
]


@pytest.mark.parametrize("spec", CASES)
@pytest.mark.parametrize("multipliers", [False, True], ids=["plain", "multipliers"])
def test_matches_torch(
    spec: OptimizerSpec, multipliers: bool, rng: np.random.Generator
) -> None:
    params, mats = _quadratic(rng)
    targets = [rng.normal(size=p.shape) for p in params]
    lr_mult = [2.0, 0.5] if multipliers else [1.0, 1.0]
    wd_mult = [0.5, 3.0] if multipliers else [1.0, 1.0]
    start = [p.copy() for p in params]
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    topt = _torch_optimizer(spec, tparams, lr_mult, wd_mult)
    opt = make_optimizer(
        spec,
        params,
        lr_multipliers=lr_mult if multipliers else None,
        weight_decay_multipliers=wd_mult if multipliers else None,
    )
    for _ in range(N_STEPS):
        grads = [_grad(p, a, t) for p, a, t in zip(params, mats, targets, strict=True)]
        opt.step(params, grads)
        for tp, a, t in zip(tparams, mats, targets, strict=True):
            tp.grad = torch.from_numpy(_grad(tp.detach().numpy(), a, t))
        topt.step()
    assert opt.n_steps == N_STEPS
    for p, tp in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=0, atol=2e-15)
    # the parameters moved far beyond the tolerance
    assert max(np.max(np.abs(p - s)) for p, s in zip(params, start, strict=True)) > 0.1


def test_float32_matches_torch(rng: np.random.Generator) -> None:
    spec = OptimizerSpec("adam", lr=0.01, weight_decay=0.1)
    p = rng.normal(size=(4, 3)).astype(np.float32)
    tp = torch.tensor(p.copy(), requires_grad=True)
    topt = torch.optim.Adam([tp], lr=0.01, weight_decay=0.1)
    opt = make_optimizer(spec, [p])
    for _ in range(20):
        g = (p - 1).astype(np.float32)
        opt.step([p], [g])
        tp.grad = tp.detach() - 1
        topt.step()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=0, atol=1e-6)


def test_hand_computed_steps() -> None:
    """Two steps of each rule on a scalar with a constant gradient g = 1."""
    lr, mu = 0.1, 0.5
    expected = {
        # sgd: 1 - 0.1 - 0.1
        "sgd": 0.8,
        # momentum: b1 = 1, b2 = 1.5: 1 - 0.1 - 0.15
        "momentum": 0.75,
        # nesterov: b1 = 1 -> step g + mu b1 = 1.5; b2 = 1.5 -> 1 + 0.75
        "nesterov": 1 - 0.15 - 0.175,
        # adam with constant gradient: m_hat = v_hat = 1, step ~ lr each time
        "adam": 1 - 2 * lr / (1 + 1e-8),
    }
    for name, value in expected.items():
        w = np.array([1.0])
        opt = make_optimizer(OptimizerSpec(name, lr=lr, momentum=mu), [w])  # type: ignore[arg-type]
        for _ in range(2):
            opt.step([w], [np.array([1.0])])
        assert w[0] == pytest.approx(value, abs=1e-15), name


def test_grads_are_not_modified() -> None:
    w = np.array([1.0, 2.0])
    g = np.array([0.5, -0.5])
    opt = make_optimizer(OptimizerSpec("momentum", lr=0.1, weight_decay=0.5), [w])
    opt.step([w], [g])
    opt.step([w], [g])
    np.testing.assert_array_equal(g, [0.5, -0.5])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"name": "rmsprop", "lr": 0.1},
            r"`optimizer` must be one of 'sgd'.*'rmsprop'",
        ),
        (
            {"name": "sgd", "lr": 0.0},
            r"`lr` must be a positive finite real number; got 0.0",
        ),
        ({"name": "sgd", "lr": -1.0}, r"`lr` must be a positive finite real number"),
        ({"name": "sgd", "lr": float("nan")}, r"`lr` must be a positive finite real"),
        (
            {"name": "momentum", "lr": 0.1, "momentum": 0.0},
            r"`momentum` must be a finite real number in \(0, 1\) for optimizer "
            r"'momentum'; got 0.0 \(use optimizer 'sgd' for no momentum\)",
        ),
        (
            {"name": "nesterov", "lr": 0.1, "momentum": 1.0},
            r"`momentum` must be a finite real number in \(0, 1\)",
        ),
        (
            {"name": "adam", "lr": 0.1, "betas": (0.9, 1.0)},
            r"`betas\[1\]` must be a finite real number in \[0, 1\)",
        ),
        ({"name": "adam", "lr": 0.1, "betas": (0.9,)}, r"`betas` must be a pair"),
        ({"name": "adam", "lr": 0.1, "eps": -1.0}, r"`eps` must be a non-negative"),
        ({"name": "sgd", "lr": 0.1, "weight_decay": -0.1}, r"`weight_decay` must be"),
    ],
)
def test_spec_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InputValueError, match=match):
        OptimizerSpec(**kwargs)


def test_spec_type_errors() -> None:
    with pytest.raises(
        InputTypeError, match=r"`lr` must be a positive finite real number; got '0.1'"
    ):
        OptimizerSpec("sgd", lr="0.1")  # type: ignore[arg-type]
    with pytest.raises(
        InputTypeError, match=r"`decoupled_weight_decay` must be a bool"
    ):
        OptimizerSpec("sgd", lr=0.1, decoupled_weight_decay=1)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match=r"`betas` must be a pair"):
        OptimizerSpec("adam", lr=0.1, betas=0.9)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match=r"`spec` must be an OptimizerSpec"):
        make_optimizer("sgd", [np.zeros(2)])  # type: ignore[arg-type]


def test_make_optimizer_validation() -> None:
    spec = OptimizerSpec("sgd", lr=0.1)
    w = np.zeros(3)
    with pytest.raises(ValueError, match=r"`lr_multipliers` must have one entry"):
        make_optimizer(spec, [w], lr_multipliers=[1.0, 2.0])
    with pytest.raises(
        InputValueError, match=r"`lr_multipliers\[0\]` must be a positive finite"
    ):
        make_optimizer(spec, [w], lr_multipliers=[0.0])
    with pytest.raises(
        InputValueError,
        match=r"`weight_decay_multipliers\[0\]` must be a non-negative finite",
    ):
        make_optimizer(spec, [w], weight_decay_multipliers=[-1.0])
    with pytest.raises(InputTypeError, match=r"`lr_multipliers\[0\]` must be a"):
        make_optimizer(spec, [w], lr_multipliers=["2"])  # type: ignore[list-item]
    with pytest.raises(
        InputTypeError, match=r"`params\[0\]` must be a floating ndarray"
    ):
        make_optimizer(spec, [np.zeros(3, dtype=np.int64)])


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["sgd", "momentum", "nesterov", "adam", "adamw"]),
    lr=st.floats(1e-4, 0.2),
    momentum=st.floats(0.01, 0.99),
    beta1=st.floats(0.5, 0.99),
    beta2=st.floats(0.9, 0.9999),
    weight_decay=st.sampled_from([0.0, 1e-3, 0.1]),
    data=st.integers(0, 2**32 - 1),
)
def test_matches_torch_for_any_hyperparameters(
    name: str,
    lr: float,
    momentum: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
    data: int,
) -> None:
    spec = OptimizerSpec(
        name,  # type: ignore[arg-type]
        lr=lr,
        momentum=momentum,
        betas=(beta1, beta2),
        weight_decay=weight_decay,
    )
    rng = np.random.default_rng(data)
    params, mats = _quadratic(rng)
    targets = [rng.normal(size=p.shape) for p in params]
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    topt = _torch_optimizer(spec, tparams, [1.0, 1.0], [1.0, 1.0])
    opt = make_optimizer(spec, params)
    for _ in range(10):
        opt.step(
            params,
            [_grad(p, a, t) for p, a, t in zip(params, mats, targets, strict=True)],
        )
        for tp, a, t in zip(tparams, mats, targets, strict=True):
            tp.grad = torch.from_numpy(_grad(tp.detach().numpy(), a, t))
        topt.step()
    # Looser than test_matches_torch: Adam's normalized step can amplify one-ulp
    # differences between PyTorch's vectorized kernels and NumPy (seen: 2e-14 after
    # 10 steps at beta1 = 0, beta2 = 0.5, lr = 0.25, outside the ranges drawn here).
    for p, tp in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12, atol=1e-12)
