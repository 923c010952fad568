"""Keras 3 heads: Sequential and functional models.

The head is the model's output layer: a ``Dense(2)`` with activation ``softmax``,
``log_softmax`` or none (``linear``: logits for a loss with ``from_logits=True``), or
a ``Dense(1)`` with ``sigmoid``, ``log_sigmoid`` or none; a linear ``Dense``
followed by an ``Activation`` layer counts as the same head. ``head`` names the
``Dense`` layer (or its ``Activation``) if you want to be explicit; it must produce
the model's only output. Subclassed models cannot be rebuilt from their
configuration and are refused.

The converted model is a new model (``keras.models.clone_model``) with the same
layers, configurations and weights up to the head, whose ``Dense`` has the new
number of units and activation and the converted weights. Keras stores a ``Dense``
kernel as ``(n_features, units)``, the transpose of a row-per-unit head; the
conversion handles the layout. The dtype policy of every layer is kept.
"""

from __future__ import annotations

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
from softlogit.errors import InputTypeError, InputValueError, MissingExtraError

__all__ = ["convert_keras", "head_dense", "import_keras", "is_keras_model"]

SUPPORTED_KERAS = (
    "Dense(2) with activation 'softmax', 'log_softmax' or none, Dense(1) with "
    "'sigmoid', 'log_sigmoid' or none (a trailing Activation layer counts too)"
)
# activation name -> (units it goes with, or None for any; what the model outputs)
_ACTIVATIONS: dict[str, tuple[int | None, Output]] = {
    "linear": (None, "logits"),
    "softmax": (2, "proba"),
    "log_softmax": (2, "log_proba"),
    "sigmoid": (1, "proba"),
    "log_sigmoid": (1, "log_proba"),
}
_NEW_ACTIVATION: dict[tuple[Kind, Output], str] = {
    ("softmax", "logits"): "linear",
    ("softmax", "proba"): "softmax",
    ("softmax", "log_proba"): "log_softmax",
    ("sigmoid", "logits"): "linear",
    ("sigmoid", "proba"): "sigmoid",
    ("sigmoid", "log_proba"): "log_sigmoid",
}


def import_keras() -> Any:
    """The ``keras`` module, or :class:`MissingExtraError` naming the extra."""
    try:
        import keras
    except ImportError:  # pragma: no cover - keras is installed in CI
        raise MissingExtraError("Keras 3", "keras") from None
    return keras


def is_keras_model(obj: object) -> bool:
    """Whether ``obj`` is a Keras model (without importing keras)."""
    return any(
        c.__name__ == "Model" and (c.__module__ or "").startswith("keras.")
        for c in type(obj).__mro__
    )


@dataclass(frozen=True)
class _Location:
    dense: Any
    act: Any  # the trailing Activation layer, or None


def _activation_name(layer: Any) -> str:
    name = layer.get_config().get("activation")
    return name if isinstance(name, str) else repr(name)


def _describe(loc: _Location) -> str:
    d = loc.dense
    text = f"{d.name}: Dense({d.units}, activation={_activation_name(d)!r})"
    if loc.act is not None:
        text += f" + {loc.act.name}: Activation({_activation_name(loc.act)!r})"
    return text


def _check_structure(keras: Any, model: Any) -> None:
    graph = isinstance(model, keras.Sequential) or any(
        c.__name__ == "Functional" for c in type(model).__mro__
    )
    if not graph:
        raise InputTypeError(
            f"`model` is a subclassed keras.Model ({type(model).__name__}); only "
            "Sequential and functional models can be rebuilt with a new head."
        )
    if not model.built:
        raise InputValueError(
            "`model` is not built: give it a keras.Input (or call it once)."
        )
    if len(model.outputs) != 1:
        raise InputValueError(
            f"`model` has {len(model.outputs)} outputs; the head must produce the "
            "only output."
        )


def _dense_candidates(keras: Any, model: Any) -> str:
    names = [
        layer.name
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense) and layer.units in (1, 2)
    ]
    return ", ".join(repr(n) for n in names) if names else "none"


def _locate(keras: Any, model: Any, head: str | None) -> _Location:
    _check_structure(keras, model)
    last = model.layers[-1]
    act = None
    if isinstance(last, keras.layers.Activation) and len(model.layers) > 1:
        act, last = last, model.layers[-2]
    if not isinstance(last, keras.layers.Dense) or (
        act is not None and _activation_name(last) != "linear"
    ):
        found = f"a {type(model.layers[-1]).__name__}"
        if act is not None:
            found = f"an Activation after {last.name!r}, a {type(last).__name__}"
            if isinstance(last, keras.layers.Dense):
                found += f" with activation {_activation_name(last)!r}"
        raise InputValueError(
            f"the last layer {model.layers[-1].name!r} is {found}; supported heads: "
            f"{SUPPORTED_KERAS}."
        )
    if head is not None and head not in {last.name, getattr(act, "name", None)}:
        raise InputValueError(
            f"`head` {head!r} is not the model's output layer {last.name!r}: the "
            f"head must produce the model's output (Dense layers with 1 or 2 units: "
            f"{_dense_candidates(keras, model)})."
        )
    return _Location(last, act)


def _found(keras: Any, loc: _Location) -> FoundHead:
    dense = loc.dense
    act_name = _activation_name(loc.act if loc.act is not None else dense)
    entry = _ACTIVATIONS.get(act_name)
    units = int(dense.units)
    if units not in (1, 2) or entry is None or entry[0] not in (None, units):
        raise InputValueError(
            f"the head is {_describe(loc)}; supported heads: {SUPPORTED_KERAS}."
        )
    kernel = keras.ops.convert_to_numpy(dense.kernel)
    return FoundHead(
        path=dense.name,
        kind="softmax" if units == 2 else "sigmoid",
        output=entry[1],
        weight=np.asarray(kernel, dtype=np.float64).T.copy(),
        bias=(
            None
            if dense.bias is None
            else np.asarray(keras.ops.convert_to_numpy(dense.bias), np.float64)
        ),
        dtype=str(dense.compute_dtype),
        description=_describe(loc),
    )


def head_dense(model: Any, head: str | None) -> Any:
    """The ``Dense`` layer of a model's head (for per-variable optimizers)."""
    keras = import_keras()
    loc = _locate(keras, model, head)
    _found(keras, loc)
    return loc.dense


def _rebuild(
    keras: Any,
    model: Any,
    loc: _Location,
    found: FoundHead,
    to: Kind,
    params: tuple[FloatArray, FloatArray | None],
) -> Any:
    activation = _NEW_ACTIVATION[(to, found.output)]

    def clone(layer: Any) -> Any:
        config = layer.get_config()
        if layer is loc.dense:
            config["units"] = units_of(to)
            if loc.act is None:
                config["activation"] = activation
        elif layer is loc.act:
            config["activation"] = activation
        return layer.__class__.from_config(config)

    new = keras.models.clone_model(model, clone_function=clone)
    weight, bias = params
    for old_layer, new_layer in zip(model.layers, new.layers, strict=True):
        if old_layer is loc.dense:
            dtype = keras.backend.standardize_dtype(old_layer.kernel.dtype)
            values = [np.asarray(weight.T, dtype=dtype)]
            if bias is not None:
                values.append(np.asarray(bias, dtype=dtype))
            new_layer.set_weights(values)
        else:
            new_layer.set_weights(old_layer.get_weights())
    return new


def _positive_proba(
    keras: Any, model: Any, X: Any, kind: Kind, output: Output, positive: int
) -> FloatArray:
    ops = keras.ops
    out = model(X, training=False)
    units = units_of(kind)
    if len(out.shape) != 2 or out.shape[1] != units:  # pragma: no cover - located
        raise InputValueError(
            f"verification: the model returns shape {tuple(out.shape)}, not "
            f"(n_samples, {units})."
        )
    if output == "logits":
        p = ops.softmax(out, axis=-1) if kind == "softmax" else ops.sigmoid(out)
    else:
        p = ops.exp(out) if output == "log_proba" else out
    values = np.asarray(ops.convert_to_numpy(p), dtype=np.float64)
    return positive_column(values, kind, positive)


def convert_keras(model: Any, req: Request) -> HeadConversion:
    """Convert the head of a Keras model (see :func:`softlogit.convert_head`)."""
    keras = import_keras()
    loc = _locate(keras, model, req.head)
    found = _found(keras, loc)
    params = new_parameters(found, req)
    new = _rebuild(keras, model, loc, found, req.to, params)
    new_loc = _Location(
        new.get_layer(loc.dense.name),
        None if loc.act is None else new.get_layer(loc.act.name),
    )
    result = HeadConversion(
        new, found.path, found.description, _describe(new_loc), found.dtype
    )
    if req.verify is None:
        return result
    arr = np.asarray(req.verify)
    if arr.dtype.kind not in "biuf":
        raise InputTypeError(
            f"`verify` must be a real numeric array; got dtype {arr.dtype}."
        )
    X = arr.astype(keras.backend.standardize_dtype(model.inputs[0].dtype))
    before = _positive_proba(keras, model, X, found.kind, found.output, req.positive)
    after = _positive_proba(keras, new, X, req.to, found.output, req.positive)
    return verified(result, before, after, req.tol)
