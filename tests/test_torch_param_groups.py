"""head_param_groups: a converted PyTorch network trains like its original (T5).

A network with a two-unit softmax head (CrossEntropyLoss) and its copy with the
converted one-unit sigmoid head (BCEWithLogitsLoss) are trained side by side for
500 steps in float64 with the same mini-batches. With the parameter groups of
:func:`softlogit.torch.head_param_groups` their base weights, the sigmoid head
against the difference of the softmax rows, and their probabilities agree to
rounding (<= 1e-10); with one learning rate for all parameters they do not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import softlogit as sl
from softlogit import InputTypeError, InputValueError
from softlogit.torch import head_param_groups

STEPS = 500


@pytest.fixture(autouse=True)
def one_thread() -> Any:
    """One intra-op thread: these tiny matrices only synchronize threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


OPTIMIZERS: dict[str, tuple[Callable[..., torch.optim.Optimizer], dict[str, Any]]] = {
    "sgd": (torch.optim.SGD, {"lr": 0.1}),
    "momentum-l2": (
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2},
    ),
    "nesterov-l2": (
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2},
    ),
    "adam": (torch.optim.Adam, {"lr": 0.01}),
    "adamw": (torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.05}),
}


def _data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(96, 6))
    y = (X @ rng.normal(size=6) + rng.normal(size=96) > 0).astype(np.int64)
    return torch.as_tensor(X), torch.as_tensor(y)


def _network(units: int, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, units)).double()


def _loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = model(X)
    if out.shape[1] == 2:
        return nn.functional.cross_entropy(out, y)
    return nn.functional.binary_cross_entropy_with_logits(out[:, 0], y.double())


def _train(
    model: nn.Module, opt: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor
) -> None:
    batches = torch.arange(X.shape[0]).reshape(-1, 32)  # the same order for both
    for step in range(STEPS):
        rows = batches[step % batches.shape[0]]
        opt.zero_grad()
        _loss(model, X[rows], y[rows]).backward()
        opt.step()


def _gaps(
    softmax_net: nn.Sequential, sigmoid_net: nn.Sequential, X: torch.Tensor
) -> dict[str, float]:
    """Distances between the two networks in the coordinates where they are equal."""
    with torch.no_grad():
        base = max(
            float((a - b).abs().max())
            for a, b in zip(
                softmax_net[0].parameters(), sigmoid_net[0].parameters(), strict=True
            )
        )
        W, b = softmax_net[2].weight, softmax_net[2].bias
        head = max(
            float((W[1] - W[0] - sigmoid_net[2].weight[0]).abs().max()),
            float((b[1] - b[0] - sigmoid_net[2].bias[0]).abs()),
        )
        p_soft = torch.softmax(softmax_net(X), dim=1)[:, 1]
        p_sig = torch.sigmoid(sigmoid_net(X))[:, 0]
        proba = float((p_soft - p_sig).abs().max())
    return {"base": base, "head": head, "proba": proba}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_sigmoid_head_trains_like_the_softmax_head_it_came_from(
    name: str, seed: int
) -> None:
    make, options = OPTIMIZERS[name]
    X, y = _data(seed)
    original = _network(2, seed)
    converted = sl.convert_head(original, to="sigmoid").model
    plain = sl.convert_head(original, to="sigmoid").model

    _train(original, make(original.parameters(), **options), X, y)
    groups = head_param_groups(
        converted, lr=options["lr"], weight_decay=options.get("weight_decay", 0.0)
    )
    others = {k: v for k, v in options.items() if k not in ("lr", "weight_decay")}
    _train(converted, make(groups, **others), X, y)
    _train(plain, make(plain.parameters(), **options), X, y)

    with_helper = _gaps(original, converted, X)
    without = _gaps(original, plain, X)
    assert max(with_helper.values()) <= 1e-10, with_helper
    assert without["head"] > 1e-3, without
    assert without["proba"] > 1e-4, without


@pytest.mark.parametrize("name", ["momentum-l2", "adam-l2", "adamw"])
def test_softmax_head_trains_like_the_sigmoid_head_it_came_from(
    name: str, seed: int
) -> None:
    """The inverse factors; Adam's coupled L2 is exact from the centered gauge."""
    make, options = {
        "momentum-l2": OPTIMIZERS["momentum-l2"],
        "adam-l2": (torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.05}),
        "adamw": OPTIMIZERS["adamw"],
    }[name]
    X, y = _data(seed)
    original = _network(1, seed)
    converted = sl.convert_head(original, to="softmax", gauge="centered").model

    _train(original, make(original.parameters(), **options), X, y)
    groups = head_param_groups(
        converted,
        lr=options["lr"],
        weight_decay=options["weight_decay"],
        direction="sigmoid_to_softmax",
    )
    assert [g["lr"] for g in groups] == [options["lr"], options["lr"] / 2]
    assert [g["weight_decay"] for g in groups] == [
        options["weight_decay"],
        options["weight_decay"] * 2,
    ]
    others = {k: v for k, v in options.items() if k not in ("lr", "weight_decay")}
    _train(converted, make(groups, **others), X, y)

    gaps = _gaps(converted, original, X)
    assert max(gaps.values()) <= 1e-10, gaps


@pytest.mark.parametrize("centered", [True, False], ids=["centered", "not-centered"])
def test_adam_with_coupled_decay_needs_a_centered_softmax_head(
    centered: bool, seed: int
) -> None:
    """Adam's L2 term adds lambda * w_k to each row's gradient: the rows' moments
    stay mirror images (and the factors exact) only for centered rows."""
    X, y = _data(seed)
    original = _network(2, seed)
    if centered:
        with torch.no_grad():
            for p in (original[2].weight, original[2].bias):
                p.sub_(p.mean(dim=0))
    converted = sl.convert_head(original, to="sigmoid").model
    options = {"lr": 0.01, "weight_decay": 0.05}
    _train(original, torch.optim.Adam(original.parameters(), **options), X, y)
    _train(converted, torch.optim.Adam(head_param_groups(converted, **options)), X, y)
    gaps = _gaps(original, converted, X)
    if centered:
        assert max(gaps.values()) <= 1e-10, gaps
    else:
        assert gaps["head"] > 1e-4, gaps


def test_groups_hold_every_parameter_once(seed: int) -> None:
    model = sl.convert_head(_network(2, seed), to="sigmoid").model
    groups = head_param_groups(model, lr=0.5, weight_decay=0.25)
    assert [(g["lr"], g["weight_decay"]) for g in groups] == [(0.5, 0.25), (1.0, 0.125)]
    assert groups[1]["params"] == [model[2].weight, model[2].bias]
    listed = [id(p) for g in groups for p in g["params"]]
    assert sorted(listed) == sorted(id(p) for p in model.parameters())
    only_head = nn.Sequential(nn.Linear(3, 1))
    assert len(head_param_groups(only_head, lr=0.1)) == 1


def test_a_named_head_of_any_module() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Linear(3, 4)
            self.fc = nn.Linear(4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(torch.relu(self.body(x)))

    net = Net()
    groups = head_param_groups(net, head="fc", lr=0.1)
    assert groups[1]["params"] == [net.fc.weight, net.fc.bias]
    assert groups[1]["lr"] == 0.2
    with pytest.raises(InputValueError, match=r"not an nn.Sequential: name its head"):
        head_param_groups(net, lr=0.1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": 0.0}, InputValueError, r"`lr` must be a positive"),
        ({"lr": "0.1"}, InputTypeError, r"`lr` must be a positive"),
        (
            {"lr": 0.1, "weight_decay": -1.0},
            InputValueError,
            r"`weight_decay` must be a non-negative",
        ),
        (
            {"lr": 0.1, "direction": "up"},
            InputValueError,
            r"`direction` must be one of",
        ),
        (
            {"lr": 0.1, "direction": "sigmoid_to_softmax"},
            InputValueError,
            r"makes a softmax head, but the head '2' has 1 unit",
        ),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type, message: str) -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with pytest.raises(error, match=message):
        head_param_groups(model, **kwargs)


def test_the_model_must_be_a_module() -> None:
    with pytest.raises(
        InputTypeError, match=r"`model` must be a torch.nn.Module; got dict"
    ):
        head_param_groups({}, lr=0.1)
