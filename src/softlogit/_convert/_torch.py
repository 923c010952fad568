"""PyTorch heads: ``nn.Module`` models and plain state dicts.

The head of an ``nn.Sequential`` is its last ``nn.Linear`` with one or two outputs,
optionally followed by the matching activation (``nn.Softmax``/``nn.LogSoftmax``
over the last dimension after two units, ``nn.Sigmoid``/``nn.LogSigmoid`` after
one); a trailing ``nn.Sequential`` is searched the same way. Any other module
names its head: ``head="fc"``, ``"classifier"`` (an ``nn.Sequential``, searched as
above) or a dotted path such as ``"heads.head"``. The converted model is a deep
copy whose head ``nn.Linear`` (and activation) are replaced by new ones with the
original's dtype, device, ``requires_grad`` and training mode.

In a state dict the head is the ``<prefix>.weight`` / ``<prefix>.bias`` pair named
by ``head="<prefix>"``, by default the last two-dimensional ``*.weight`` entry. A
state dict carries no activation: the conversion changes the parameters only.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from softlogit._convert._common import (
    FoundHead,
    HeadConversion,
    Kind,
    Output,
    Request,
    new_parameters,
    positive_column,
    units_of,
    verified,
)
from softlogit._typing import FloatArray
from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "convert_module",
    "convert_state_dict",
    "head_linear",
    "is_state_dict",
    "is_torch_module",
]

SUPPORTED_TORCH = (
    "nn.Linear(n, 2) [+ nn.Softmax(dim=-1) or nn.LogSoftmax(dim=-1)], "
    "nn.Linear(n, 1) [+ nn.Sigmoid() or nn.LogSigmoid()]"
)


def _defined_in(obj: object, package: str) -> bool:
    return any((c.__module__ or "").split(".")[0] == package for c in type(obj).__mro__)


def is_torch_module(obj: object) -> bool:
    """Whether ``obj`` is an ``nn.Module`` (without importing torch)."""
    return _defined_in(obj, "torch") and hasattr(obj, "named_modules")


def is_state_dict(obj: object) -> bool:
    """Whether ``obj`` is a mapping holding at least one torch tensor."""
    return isinstance(obj, Mapping) and any(
        _defined_in(v, "torch") and hasattr(v, "ndim") for v in obj.values()
    )


# ------------------------------------------------------------------ locating heads
@dataclass(frozen=True)
class _Location:
    """The head's ``nn.Linear`` and its activation (or None), with their paths."""

    linear_path: str
    linear: Any
    act_path: str | None
    act: Any


def _activation_output(nn: Any, act: Any) -> tuple[int, Output] | None:
    """``(units, output)`` of a supported activation module, None for others."""
    table: list[tuple[Any, int, Output]] = [
        (nn.Softmax, 2, "proba"),
        (nn.LogSoftmax, 2, "log_proba"),
        (nn.Sigmoid, 1, "proba"),
        (nn.LogSigmoid, 1, "log_proba"),
    ]
    for cls, units, output in table:
        if type(act) is cls:
            if units == 2 and getattr(act, "dim", None) not in (1, -1):
                raise InputValueError(
                    f"the head's activation {act!r} does not normalize over the "
                    "classes; supported: dim=-1 (or 1)."
                )
            return units, output
    return None


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _unsupported(what: str, shown: object) -> InputValueError:
    """The error for an unsupported head: ``what`` is ``shown`` (a module or text)."""
    text = shown if isinstance(shown, str) else repr(shown)
    return InputValueError(f"{what} is {text}; supported heads: {SUPPORTED_TORCH}.")


def _tail(nn: Any, seq: Any, prefix: str) -> _Location:
    """The head at the end of an ``nn.Sequential``."""
    children = list(seq.named_children())
    if not children:
        raise InputValueError(f"the nn.Sequential {prefix or 'model'!r} is empty.")
    name, last = children[-1]
    if isinstance(last, nn.Sequential):
        return _tail(nn, last, _join(prefix, name))
    where = f"the last layer of {prefix!r}" if prefix else "the last layer"
    if isinstance(last, nn.Linear):
        return _Location(_join(prefix, name), last, None, None)
    if _activation_output(nn, last) is None or len(children) < 2:
        raise _unsupported(where, last)
    lin_name, linear = children[-2]
    if not isinstance(linear, nn.Linear):
        raise _unsupported(f"the layer before {last!r}", linear)
    return _Location(_join(prefix, lin_name), linear, _join(prefix, name), last)


def _candidates(nn: Any, model: Any) -> str:
    names = [
        name
        for name, m in model.named_modules()
        if isinstance(m, nn.Linear) and m.out_features in (1, 2)
    ]
    return ", ".join(repr(n) for n in names) if names else "none"


def _submodule(nn: Any, model: Any, head: str) -> Any:
    try:
        return model.get_submodule(head)
    except AttributeError:
        raise InputValueError(
            f"`head` {head!r} is not a submodule of the {type(model).__name__}; "
            f"nn.Linear(n, 1 or 2) submodules: {_candidates(nn, model)}."
        ) from None


def _locate(nn: Any, model: Any, head: str | None) -> _Location:
    if head is None:
        if not isinstance(model, nn.Sequential):
            raise InputValueError(
                f"`model` is a {type(model).__name__}, not an nn.Sequential: name "
                f"its head with `head` (a submodule path); nn.Linear(n, 1 or 2) "
                f"submodules: {_candidates(nn, model)}."
            )
        return _tail(nn, model, "")
    sub = _submodule(nn, model, head)
    if isinstance(sub, nn.Sequential):
        return _tail(nn, sub, head)
    if not isinstance(sub, nn.Linear):
        raise _unsupported(f"`head` {head!r}", sub)
    parent_path, _, name = head.rpartition(".")
    parent = model.get_submodule(parent_path)
    if isinstance(parent, nn.Sequential):
        names = [n for n, _ in parent.named_children()]
        if names.index(name) == len(names) - 2:
            act = getattr(parent, names[-1])
            if _activation_output(nn, act) is not None:
                return _Location(head, sub, _join(parent_path, names[-1]), act)
    return _Location(head, sub, None, None)


def _describe(loc: _Location) -> str:
    return repr(loc.linear) + ("" if loc.act is None else f" + {loc.act!r}")


def _found(torch: Any, loc: _Location) -> FoundHead:
    nn = torch.nn
    linear = loc.linear
    if isinstance(linear.weight, nn.parameter.UninitializedParameter):
        raise InputValueError(
            f"the head {loc.linear_path!r} is an uninitialized lazy layer; run the "
            "model once before converting it."
        )
    units = int(linear.out_features)
    output: Output = "logits"
    if loc.act is not None:
        act_units, output = _activation_output(nn, loc.act)  # type: ignore[misc]
        if act_units != units:
            raise _unsupported(f"the head {loc.linear_path!r}", _describe(loc))
    if units not in (1, 2):
        raise _unsupported(f"the head {loc.linear_path!r}", linear)
    return FoundHead(
        path=loc.linear_path,
        kind="softmax" if units == 2 else "sigmoid",
        output=output,
        weight=_numpy(torch, linear.weight),
        bias=None if linear.bias is None else _numpy(torch, linear.bias),
        dtype=str(linear.weight.dtype).removeprefix("torch."),
        description=_describe(loc),
    )


def _numpy(torch: Any, tensor: Any) -> FloatArray:
    out: FloatArray = tensor.detach().to("cpu", torch.float64).numpy().copy()
    return out


def head_linear(model: Any, head: str | None) -> tuple[str, Any]:
    """The path and ``nn.Linear`` of a module's head (for parameter groups)."""
    import torch

    loc = _locate(torch.nn, model, head)
    found = _found(torch, loc)
    return found.path, loc.linear


# --------------------------------------------------------------------- converting
def _tensor(torch: Any, values: FloatArray, like: Any) -> Any:
    return torch.as_tensor(values, dtype=like.dtype).to(like.device)


def _set_submodule(model: Any, path: str, module: Any) -> None:
    parent_path, _, name = path.rpartition(".")
    setattr(model.get_submodule(parent_path), name, module)


def _new_activation(nn: Any, kind: Kind, output: Output) -> Any:
    if kind == "softmax":
        return nn.Softmax(dim=-1) if output == "proba" else nn.LogSoftmax(dim=-1)
    return nn.Sigmoid() if output == "proba" else nn.LogSigmoid()


def _rebuild(
    torch: Any,
    model: Any,
    loc: _Location,
    found: FoundHead,
    to: Kind,
    params: tuple[FloatArray, FloatArray | None],
) -> tuple[Any, str]:
    nn = torch.nn
    old = loc.linear
    new_model = copy.deepcopy(model)
    linear = nn.Linear(
        old.in_features,
        units_of(to),
        bias=old.bias is not None,
        device=old.weight.device,
        dtype=old.weight.dtype,
    )
    weight, bias = params
    with torch.no_grad():
        linear.weight.copy_(_tensor(torch, weight, old.weight))
        linear.weight.requires_grad_(old.weight.requires_grad)
        if bias is not None:
            linear.bias.copy_(_tensor(torch, bias, old.bias))
            linear.bias.requires_grad_(old.bias.requires_grad)
    linear.train(old.training)
    _set_submodule(new_model, loc.linear_path, linear)
    after = repr(linear)
    if loc.act_path is not None:
        act = _new_activation(nn, to, found.output)
        act.train(loc.act.training)
        _set_submodule(new_model, loc.act_path, act)
        after += f" + {act!r}"
    return new_model, after


def _input(torch: Any, verify: Any, like: Any) -> Any:
    """``verify`` as a tensor: as given if a tensor, else in the head's dtype."""
    if isinstance(verify, torch.Tensor):
        return verify.to(like.device)
    arr = np.asarray(verify)
    if arr.dtype.kind not in "biuf":
        raise InputTypeError(
            f"`verify` must be a real numeric array or a torch.Tensor; got dtype "
            f"{arr.dtype}."
        )
    return torch.as_tensor(arr, dtype=like.dtype).to(like.device)


def _positive_proba(
    torch: Any, out: Any, kind: Kind, output: Output, positive: int, what: str
) -> FloatArray:
    """The positive class's probability from a model's output, computed by torch."""
    units = units_of(kind)
    if kind == "sigmoid" and getattr(out, "ndim", None) == 1:
        out = out[:, None]
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[1] != units:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out)
        raise InputValueError(
            f"verification: {what} returns {shape}, not the head's output of shape "
            f"(n_samples, {units}); verify only models whose output is the head's."
        )
    if output == "logits":
        p = torch.softmax(out, dim=-1) if kind == "softmax" else torch.sigmoid(out)
    else:
        p = torch.exp(out) if output == "log_proba" else out
    return positive_column(_numpy(torch, p), kind, positive)


def _run(torch: Any, model: Any, X: Any) -> Any:
    """``model(X)`` in eval mode without gradients; the modes are restored."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            return model(X)
    finally:
        for m, training in modes:
            m.training = training


def convert_module(model: Any, req: Request) -> HeadConversion:
    """Convert the head of an ``nn.Module`` (see :func:`softlogit.convert_head`)."""
    import torch

    loc = _locate(torch.nn, model, req.head)
    found = _found(torch, loc)
    params = new_parameters(found, req)
    new_model, after = _rebuild(torch, model, loc, found, req.to, params)
    result = HeadConversion(
        new_model, found.path, found.description, after, found.dtype
    )
    if req.verify is None:
        return result
    X = _input(torch, req.verify, loc.linear.weight)
    before = _positive_proba(
        torch, _run(torch, model, X), found.kind, found.output, req.positive, "`model`"
    )
    after_p = _positive_proba(
        torch,
        _run(torch, new_model, X),
        req.to,
        found.output,
        req.positive,
        "the converted model",
    )
    return verified(result, before, after_p, req.tol)


# ---------------------------------------------------------------------- state dicts
def _state_dict_keys(torch: Any, sd: Mapping[str, Any], head: str | None) -> str:
    """The head's key prefix (``""`` for top-level ``weight``/``bias`` keys)."""
    nested = [k for k, v in sd.items() if isinstance(v, Mapping)]
    if nested:
        raise InputValueError(
            f"`model` looks like a training checkpoint (entries {nested[:3]} are "
            "dictionaries); pass its model state dict (str -> tensor) instead."
        )
    if head is None:
        weights = [
            k
            for k, v in sd.items()
            if k.rpartition(".")[2] == "weight"
            and isinstance(v, torch.Tensor)
            and v.ndim == 2
        ]
        if not weights:
            raise InputValueError(
                "the state dict has no two-dimensional '*.weight' entry; name the "
                "head's key prefix with `head`."
            )
        return weights[-1].rpartition(".")[0]
    key = _join(head, "weight")
    if not isinstance(sd.get(key), torch.Tensor):
        weights = [k for k in sd if k.endswith("weight")]
        raise InputValueError(
            f"`head` {head!r}: the state dict has no tensor {key!r}; its weights: "
            f"{weights}."
        )
    return head


def _found_in_state_dict(torch: Any, sd: Mapping[str, Any], prefix: str) -> FoundHead:
    w_key, b_key = _join(prefix, "weight"), _join(prefix, "bias")
    weight = sd[w_key]
    bias = sd.get(b_key)
    if weight.ndim != 2 or weight.shape[0] not in (1, 2):
        raise InputValueError(
            f"the head's weight {w_key!r} has shape {tuple(weight.shape)}; supported "
            "heads: (2, n) [softmax], (1, n) [sigmoid] and their (units,) bias."
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise InputValueError(
            f"the head's bias {b_key!r} has shape {tuple(bias.shape)}; expected "
            f"({weight.shape[0]},) for the weight {w_key!r}."
        )
    desc = f"{w_key} {tuple(weight.shape)}" + (
        "" if bias is None else f" + {b_key} {tuple(bias.shape)}"
    )
    return FoundHead(
        path=prefix,
        kind="softmax" if weight.shape[0] == 2 else "sigmoid",
        output="logits",
        weight=_numpy(torch, weight),
        bias=None if bias is None else _numpy(torch, bias),
        dtype=str(weight.dtype).removeprefix("torch."),
        description=desc,
    )


def convert_state_dict(sd: Mapping[str, Any], req: Request) -> HeadConversion:
    """Convert the head of a state dict; ``verify`` holds the head's inputs."""
    import torch

    prefix = _state_dict_keys(torch, sd, req.head)
    found = _found_in_state_dict(torch, sd, prefix)
    weight, bias = new_parameters(found, req)
    w_key, b_key = _join(prefix, "weight"), _join(prefix, "bias")
    replaced = {w_key: weight} if bias is None else {w_key: weight, b_key: bias}
    new: OrderedDict[str, Any] = OrderedDict()
    for key, value in sd.items():
        if key in replaced:
            new[key] = _tensor(torch, replaced[key], value)
        else:
            new[key] = value.clone() if isinstance(value, torch.Tensor) else value
    if hasattr(sd, "_metadata"):
        new._metadata = copy.deepcopy(sd._metadata)  # type: ignore[attr-defined]
    after = f"{w_key} {tuple(new[w_key].shape)}" + (
        "" if bias is None else f" + {b_key} {tuple(new[b_key].shape)}"
    )
    result = HeadConversion(new, prefix, found.description, after, found.dtype)
    if req.verify is None:
        return result
    X = _input(torch, req.verify, sd[w_key])
    if X.ndim != 2 or X.shape[1] != found.n_features:
        raise InputValueError(
            f"`verify` must hold the head's inputs, of shape (n_samples, "
            f"{found.n_features}), for a state dict; got shape {tuple(X.shape)}."
        )

    def proba(d: Mapping[str, Any], kind: Kind) -> FloatArray:
        logits = torch.nn.functional.linear(X, d[w_key], d.get(b_key))
        return _positive_proba(torch, logits, kind, "logits", req.positive, "the head")

    return verified(result, proba(sd, found.kind), proba(new, req.to), req.tol)
