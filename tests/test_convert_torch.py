"""convert_head on PyTorch modules and state dicts built here (no downloaded weights).

Every architecture x both directions x float32/float64: the converted model's
probabilities of the positive class, computed by torch, agree with the original's
(also computed by torch) to 1e-12 in float64 and 1e-6 in float32, the reported
figure is that difference, the new head's parameters are the differences torch
computes, and the original is left untouched.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import softlogit as sl
from softlogit import InputTypeError, InputValueError

TOL = {torch.float32: 1e-6, torch.float64: 1e-12}
DTYPES = [
    pytest.param(torch.float32, id="float32"),
    pytest.param(torch.float64, id="float64"),
]
OUTPUTS = ["logits", "proba", "log_proba"]


def _activation(kind: str, output: str) -> list[nn.Module]:
    if output == "logits":
        return []
    if kind == "softmax":
        return [nn.Softmax(dim=1) if output == "proba" else nn.LogSoftmax(dim=-1)]
    return [nn.Sigmoid() if output == "proba" else nn.LogSigmoid()]


def _units(kind: str) -> int:
    return 2 if kind == "softmax" else 1


class ResNetLike(nn.Module):
    """torchvision's ResNet layout: a convolutional body, pooling, then ``.fc``."""

    def __init__(self, kind: str, output: str) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(6)
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(
            nn.Conv2d(6, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU()
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, _units(kind))
        self.post = nn.Sequential(*_activation(kind, output))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = x + self.layer1(x)
        return self.post(self.fc(torch.flatten(self.avgpool(x), 1)))


class ClassifierNet(nn.Module):
    """VGG/MobileNet's layout: ``.features``, then ``.classifier`` (a Sequential)."""

    def __init__(self, kind: str, output: str) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(5, 12), nn.ReLU())
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(12, _units(kind)), *_activation(kind, output)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class ViTLike(nn.Module):
    """torchvision's ViT layout: the head at the dotted path ``heads.head``."""

    def __init__(self, kind: str, output: str) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(5, 12), nn.GELU(), nn.LayerNorm(12))
        layers = [("head", nn.Linear(12, _units(kind)))]
        layers += [("act", a) for a in _activation(kind, output)]
        self.heads = nn.Sequential(OrderedDict(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.heads(self.encoder(x))


def _sequential(kind: str, output: str) -> nn.Module:
    return nn.Sequential(
        nn.Linear(5, 12),
        nn.Tanh(),
        nn.Linear(12, _units(kind)),
        *_activation(kind, output),
    )


def _nested(kind: str, output: str) -> nn.Module:
    return nn.Sequential(
        nn.Sequential(nn.Linear(5, 12), nn.Tanh()),
        nn.Sequential(
            nn.Dropout(0.2), nn.Linear(12, _units(kind)), *_activation(kind, output)
        ),
    )


def _no_bias(kind: str, output: str) -> nn.Module:
    return nn.Sequential(
        nn.Linear(5, 12),
        nn.Tanh(),
        nn.Linear(12, _units(kind), bias=False),
        *_activation(kind, output),
    )


# id -> (builder, head argument, head path, input shape)
ARCHITECTURES: dict[
    str, tuple[Callable[[str, str], nn.Module], str | None, str, tuple[int, ...]]
] = {
    "sequential": (_sequential, None, "2", (5,)),
    "nested-sequential": (_nested, None, "1.1", (5,)),
    "no-bias": (_no_bias, None, "2", (5,)),
    "resnet-fc": (ResNetLike, "fc", "fc", (3, 6, 6)),
    "classifier": (ClassifierNet, "classifier", "classifier.1", (5,)),
    "classifier.1": (ClassifierNet, "classifier.1", "classifier.1", (5,)),
    "vit-heads.head": (ViTLike, "heads.head", "heads.head", (5,)),
}
DIRECTIONS = [
    pytest.param("softmax", "sigmoid", id="softmax-to-sigmoid"),
    pytest.param("sigmoid", "softmax", id="sigmoid-to-softmax"),
]


def _build(
    arch: str, kind: str, output: str, dtype: torch.dtype, seed: int
) -> nn.Module:
    torch.manual_seed(seed)
    model = ARCHITECTURES[arch][0](kind, output).to(dtype)
    with torch.no_grad():  # larger head weights than the default init: p far from 1/2
        for p in model.parameters():
            p.mul_(3.0)
    return model


def _inputs(arch: str, dtype: torch.dtype, seed: int, n: int = 64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed + 1)
    return torch.randn((n, *ARCHITECTURES[arch][3]), generator=g, dtype=dtype)


def _positive_proba(
    model: nn.Module, X: torch.Tensor, kind: str, output: str
) -> np.ndarray:
    """P(positive class) by torch, in eval mode, on a copy (the model is not touched)."""
    m = copy.deepcopy(model).eval()
    with torch.no_grad():
        out = m(X)
    if output == "logits":
        p = torch.softmax(out, dim=1) if kind == "softmax" else torch.sigmoid(out)
    elif output == "log_proba":
        p = torch.exp(out)
    else:
        p = out
    column = p[:, 1] if kind == "softmax" else p[:, 0]
    return column.to(torch.float64).numpy()


def _snapshot(model: nn.Module) -> tuple[str, dict[str, torch.Tensor], list[bool]]:
    state = {k: v.clone() for k, v in model.state_dict().items()}
    return repr(model), state, [m.training for m in model.modules()]


def _assert_unchanged(model: nn.Module, snap: tuple[Any, ...]) -> None:
    text, state, modes = snap
    assert repr(model) == text
    now = model.state_dict()
    assert now.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(now[key], value), key
    assert [m.training for m in model.modules()] == modes


# ResNet applies no activation after `.fc` (its output is the logits); the others
# carry theirs inside the head's nn.Sequential.
CASES = [
    pytest.param(arch, output, id=f"{arch}-{output}")
    for arch in ARCHITECTURES
    for output in (["logits"] if arch == "resnet-fc" else OUTPUTS)
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("source", "target"), DIRECTIONS)
@pytest.mark.parametrize(("arch", "output"), CASES)
def test_every_architecture_converts_exactly(
    arch: str, output: str, source: str, target: str, dtype: torch.dtype, seed: int
) -> None:
    model = _build(arch, source, output, dtype, seed)
    X = _inputs(arch, dtype, seed)
    snap = _snapshot(model)
    head_arg, path = ARCHITECTURES[arch][1], ARCHITECTURES[arch][2]

    done = sl.convert_head(model, to=target, head=head_arg, verify=X)

    _assert_unchanged(model, snap)
    before = _positive_proba(model, X, source, output)
    after = _positive_proba(done.model, X, target, output)
    measured = float(np.max(np.abs(before - after)))
    assert measured <= TOL[dtype]
    assert done.max_diff == pytest.approx(measured, abs=torch.finfo(dtype).eps)
    assert done.tolerance == TOL[dtype]
    assert done.n_verified == X.shape[0]
    assert done.head == path
    assert done.dtype == str(dtype).removeprefix("torch.")

    old = model.get_submodule(path)
    new = done.model.get_submodule(path)
    assert isinstance(new, nn.Linear)
    assert new.out_features == _units(target)
    assert new.weight.dtype == dtype
    assert new.weight.device == old.weight.device
    assert (new.bias is None) == (old.bias is None)
    if target == "sigmoid":  # w = W1 - W0, computed by torch in the model's dtype
        assert torch.equal(new.weight[0], old.weight[1] - old.weight[0])
        if old.bias is not None:
            assert torch.equal(new.bias[0], old.bias[1] - old.bias[0])
    else:  # centered: rows -w/2, w/2 (exact)
        assert torch.equal(
            new.weight, torch.stack([-old.weight[0] / 2, old.weight[0] / 2])
        )
    # the copy shares no storage with the original
    old_ptrs = {p.data_ptr() for p in model.parameters()}
    assert not old_ptrs & {p.data_ptr() for p in done.model.parameters()}


@pytest.mark.parametrize("dtype", DTYPES)
def test_reference_gauge_and_positive_zero(dtype: torch.dtype, seed: int) -> None:
    model = _build("sequential", "sigmoid", "proba", dtype, seed)
    X = _inputs("sequential", dtype, seed)
    w, b = model[2].weight[0], model[2].bias[0]
    ref = sl.convert_head(model, to="softmax", gauge="reference", verify=X)
    assert torch.equal(ref.model[2].weight, torch.stack([torch.zeros_like(w), w]))
    assert torch.equal(ref.model[2].bias, torch.stack([torch.zeros_like(b), b]))
    flipped = sl.convert_head(model, to="softmax", positive=0, verify=X)
    assert torch.equal(flipped.model[2].weight, torch.stack([w / 2, -w / 2]))
    p_sigmoid = _positive_proba(model, X, "sigmoid", "proba")
    with torch.no_grad():
        p_unit0 = flipped.model.eval()(X)[:, 0].to(torch.float64).numpy()
    assert np.max(np.abs(p_sigmoid - p_unit0)) <= TOL[dtype]
    back = sl.convert_head(flipped.model, to="sigmoid", positive=0, verify=X)
    assert torch.equal(back.model[2].weight, model[2].weight)  # w/2 - (-w/2) = w
    assert back.max_diff is not None
    assert back.max_diff <= TOL[dtype]


def test_requires_grad_training_mode_and_round_trip(seed: int) -> None:
    model = _build("classifier", "softmax", "logits", torch.float64, seed)
    model.features.requires_grad_(False)
    model.classifier[1].bias.requires_grad_(False)
    model.eval()
    done = sl.convert_head(model, to="sigmoid", head="classifier")
    assert done.max_diff is None
    assert done.tolerance is None
    assert done.n_verified == 0
    head = done.model.classifier[1]
    assert head.weight.requires_grad
    assert not head.bias.requires_grad
    assert not done.model.features[0].weight.requires_grad
    assert not any(m.training for m in done.model.modules())
    again = sl.convert_head(done.model, to="softmax", head="classifier")
    X = _inputs("classifier", torch.float64, seed)
    before = _positive_proba(model, X, "softmax", "logits")
    after = _positive_proba(again.model, X, "softmax", "logits")
    assert np.max(np.abs(before - after)) <= 1e-12


def test_numpy_verify_data_are_cast_to_the_head_dtype(seed: int) -> None:
    model = _build("sequential", "softmax", "proba", torch.float32, seed)
    X = np.random.default_rng(seed).normal(size=(30, 5))  # float64
    done = sl.convert_head(model, to="sigmoid", verify=X)
    ref = _positive_proba(
        model, torch.as_tensor(X, dtype=torch.float32), "softmax", "proba"
    )
    new = _positive_proba(
        done.model, torch.as_tensor(X, dtype=torch.float32), "sigmoid", "proba"
    )
    assert done.max_diff == pytest.approx(float(np.max(np.abs(ref - new))), abs=1e-7)


# ------------------------------------------------------------------------ state dicts
def _head_inputs(model: nn.Module, path: str, X: torch.Tensor) -> torch.Tensor:
    """What the head receives on X (captured with a forward hook)."""
    seen: list[torch.Tensor] = []
    handle = model.get_submodule(path).register_forward_hook(
        lambda mod, args, out: seen.append(args[0].detach())
    )
    with torch.no_grad():
        model.eval()(X)
    handle.remove()
    return seen[0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("source", "target"), DIRECTIONS)
@pytest.mark.parametrize(
    ("arch", "head"),
    [
        ("sequential", None),
        ("sequential", "2"),
        ("resnet-fc", "fc"),
        ("classifier", "classifier.1"),
        ("vit-heads.head", "heads.head"),
        ("no-bias", None),
    ],
)
def test_state_dicts_load_into_the_converted_architecture(
    arch: str, head: str | None, source: str, target: str, dtype: torch.dtype, seed: int
) -> None:
    model = _build(arch, source, "logits", dtype, seed)
    X = _inputs(arch, dtype, seed)
    path = ARCHITECTURES[arch][2]
    features = _head_inputs(copy.deepcopy(model), path, X)
    sd = model.state_dict()
    snap = {k: v.clone() for k, v in sd.items()}

    done = sl.convert_head(sd, to=target, head=head, verify=features)

    assert list(done.model) == list(sd)
    for key, value in snap.items():
        assert torch.equal(sd[key], value)
        if not key.startswith(path + "."):
            assert torch.equal(done.model[key], value)
            assert done.model[key].data_ptr() != sd[key].data_ptr()
    assert done.model._metadata == sd._metadata  # type: ignore[attr-defined]
    # the new state dict loads into the architecture with the other head and
    # predicts what the original model predicts
    converted = _build(arch, target, "logits", dtype, seed + 7)
    converted.load_state_dict(done.model)
    before = _positive_proba(model, X, source, "logits")
    after = _positive_proba(converted, X, target, "logits")
    assert np.max(np.abs(before - after)) <= TOL[dtype]
    assert done.max_diff is not None
    assert done.max_diff <= TOL[dtype]
    assert done.head == path
    assert done.model[f"{path}.weight"].dtype == dtype


# ------------------------------------------------------------------------- errors
def test_a_module_that_is_not_sequential_needs_head(seed: int) -> None:
    model = _build("resnet-fc", "softmax", "logits", torch.float32, seed)
    with pytest.raises(
        InputValueError, match=r"ResNetLike, not an nn.Sequential.*'fc'"
    ):
        sl.convert_head(model, to="sigmoid")
    with pytest.raises(InputValueError, match=r"`head` 'fcc' is not a submodule.*'fc'"):
        sl.convert_head(model, to="sigmoid", head="fcc")


@pytest.mark.parametrize(
    ("model", "head", "message"),
    [
        (
            nn.Sequential(nn.Conv2d(3, 4, 3)),
            None,
            r"the last layer is Conv2d\(3, 4.*supported heads: nn.Linear\(n, 2\)",
        ),
        (
            nn.Sequential(nn.Flatten(), nn.Softmax(dim=1)),
            None,
            r"the layer before Softmax",
        ),
        (nn.Sequential(nn.Softmax(dim=1)), None, r"the last layer is Softmax"),
        (nn.Sequential(), None, r"is empty"),
        (nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=0)), None, r"dim=-1 \(or 1\)"),
        (nn.Sequential(nn.Linear(4, 3)), None, r"out_features=3.*supported heads"),
        (
            nn.Sequential(nn.Linear(4, 2), nn.Sigmoid()),
            None,
            r"Linear\(in_features=4, out_features=2, bias=True\) \+ Sigmoid\(\)",
        ),
        (
            nn.Sequential(nn.Linear(4, 1), nn.Softmax(dim=-1)),
            None,
            r"out_features=1.* \+ Softmax",
        ),
        (
            nn.Sequential(nn.Sequential(nn.Linear(4, 2), nn.ReLU())),
            None,
            r"the last layer of '0' is ReLU",
        ),
        (nn.Sequential(nn.Linear(4, 2), nn.ReLU()), "1", r"`head` '1' is ReLU\(\)"),
        (nn.Sequential(nn.LazyLinear(2)), None, r"uninitialized lazy layer"),
    ],
    ids=[
        "conv",
        "softmax-after-flatten",
        "lone-softmax",
        "empty",
        "softmax-dim0",
        "three-units",
        "two-sigmoids",
        "softmax-of-one",
        "nested-relu",
        "named-relu",
        "lazy",
    ],
)
def test_unsupported_heads_name_what_was_found(
    model: nn.Module, head: str | None, message: str
) -> None:
    with pytest.raises(InputValueError, match=message):
        sl.convert_head(model, to="sigmoid", head=head)


def test_a_head_of_the_requested_kind_is_refused() -> None:
    model = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
    with pytest.raises(
        InputValueError, match=r"already is a sigmoid head.*to='softmax'"
    ):
        sl.convert_head(model, to="sigmoid")


def test_verification_catches_a_forward_that_is_not_the_head(seed: int) -> None:
    class Doubled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            z = self.fc(x)
            return torch.cat([z, z], dim=1)[:, 1:3]  # mixes the units

    torch.manual_seed(seed)
    model = Doubled().double()
    X = torch.randn(20, 3, dtype=torch.float64)
    with pytest.raises(InputValueError, match=r"verification failed.*differ.*'fc'"):
        sl.convert_head(model, to="sigmoid", head="fc", verify=X)
    nan = torch.full((2, 3), float("nan"), dtype=torch.float64)
    with pytest.raises(InputValueError, match=r"non-finite probabilities"):
        sl.convert_head(nn.Sequential(model.fc), to="sigmoid", verify=nan)


def test_verification_catches_an_activation_outside_the_head(seed: int) -> None:
    # the softmax sits in another submodule: converting `.fc` alone leaves a
    # softmax over one unit (always 1), which the verification reports
    model = _build("resnet-fc", "softmax", "logits", torch.float64, seed)
    model.post = nn.Sequential(nn.Softmax(dim=1))
    X = _inputs("resnet-fc", torch.float64, seed)
    with pytest.raises(InputValueError, match=r"verification failed.*'fc'"):
        sl.convert_head(model, to="sigmoid", head="fc", verify=X)
    assert sl.convert_head(model, to="sigmoid", head="fc").max_diff is None


def test_verification_needs_the_head_output_shape() -> None:
    class Squeezed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x).sum(dim=1)

    with pytest.raises(InputValueError, match=r"returns \(4,\), not the head's output"):
        sl.convert_head(Squeezed(), to="sigmoid", head="fc", verify=np.zeros((4, 3)))


def test_verify_must_be_numeric() -> None:
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(InputTypeError, match=r"`verify` must be a real numeric array"):
        sl.convert_head(model, to="sigmoid", verify=[["a", "b"]])


@pytest.mark.parametrize(
    ("state", "head", "message"),
    [
        (
            {"model": {"w": torch.zeros(2, 2)}, "x": torch.zeros(1)},
            None,
            r"training checkpoint",
        ),
        ({"a.bias": torch.zeros(2)}, None, r"no two-dimensional '\*.weight'"),
        (
            {"fc.weight": torch.zeros(2, 3)},
            "head",
            r"no tensor 'head.weight'.*'fc.weight'",
        ),
        ({"fc.weight": torch.zeros(3, 4)}, None, r"'fc.weight' has shape \(3, 4\)"),
        (
            {"fc.weight": torch.zeros(2, 4), "fc.bias": torch.zeros(3)},
            None,
            r"'fc.bias' has shape \(3,\); expected \(2,\)",
        ),
    ],
    ids=["checkpoint", "no-weight", "wrong-prefix", "three-rows", "bias-shape"],
)
def test_state_dict_errors(
    state: dict[str, Any], head: str | None, message: str
) -> None:
    with pytest.raises(InputValueError, match=message):
        sl.convert_head(state, to="sigmoid", head=head)


def test_state_dict_verify_holds_the_head_inputs() -> None:
    sd = {"weight": torch.zeros(2, 4), "bias": torch.zeros(2)}
    done = sl.convert_head(sd, to="sigmoid", verify=np.zeros((3, 4)))
    assert done.head == ""
    assert done.max_diff == 0.0
    with pytest.raises(
        InputValueError, match=r"the head's inputs, of shape \(n_samples, 4\)"
    ):
        sl.convert_head(sd, to="sigmoid", verify=np.zeros((3, 5)))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"to": "logistic"},
            InputValueError,
            r"`to` must be one of 'sigmoid', 'softmax'",
        ),
        (
            {"to": "softmax", "gauge": "none"},
            InputValueError,
            r"`gauge` must be one of",
        ),
        (
            {"to": "sigmoid", "positive": 2},
            InputValueError,
            r"`positive` must be an integer in \[0, 1\]",
        ),
        ({"to": "sigmoid", "positive": 1.0}, InputTypeError, r"`positive` must be"),
        ({"to": "sigmoid", "tol": -1.0}, InputValueError, r"`tol` must be a positive"),
        ({"to": "sigmoid", "head": 3}, InputTypeError, r"`head` must be a string"),
    ],
)
def test_options_are_validated(
    kwargs: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        sl.convert_head(nn.Sequential(nn.Linear(2, 2)), **kwargs)


def test_unsupported_objects_are_named() -> None:
    with pytest.raises(
        InputTypeError, match=r"`model` must be a torch.nn.Module.*got list"
    ):
        sl.convert_head([1, 2], to="sigmoid")
    head = sl.SigmoidHead([1.0], 0.0)
    with pytest.raises(InputTypeError, match=r"`head` applies to PyTorch and Keras"):
        sl.convert_head(head, to="softmax", head="fc")
