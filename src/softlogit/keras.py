r"""Keras helpers: train a converted head exactly like the head it came from.

The Keras counterpart of :func:`softlogit.torch.head_param_groups`. A Keras
optimizer has one learning rate for all variables; Keras' own mechanism for
per-variable optimizers, ``keras.optimizers.MultiOptimizer`` with an
``OptimizerMap`` (Keras >= 3.15), lets the head's variables use a copy of the
optimizer with the learning rate doubled and the weight decay halved (T5) while
the rest of the model uses the original. It works with ``model.fit``.

Keras is imported when a function runs; without it they raise
:class:`~softlogit.MissingExtraError` naming ``pip install 'softlogit[keras]'``.
"""

from __future__ import annotations

import re
from typing import Any

from softlogit._convert._common import Direction, head_factors, resolve_direction
from softlogit._convert._keras import head_dense, import_keras
from softlogit.errors import InputTypeError, InputValueError, MissingExtraError

__all__ = ["head_optimizer"]


def head_optimizer(
    model: Any,
    optimizer: Any,
    *,
    head: str | None = None,
    direction: Direction | None = None,
) -> Any:
    r"""An optimizer that trains a converted head like the head it came from.

    Parameters
    ----------
    model : keras.Model
        A Sequential or functional model whose one-unit sigmoid head was made from
        a two-unit softmax head (:func:`softlogit.convert_head`), or the reverse.
    optimizer : keras.optimizers.Optimizer
        The original network's optimizer (``SGD``, ``Adam``, ``AdamW``, with a
        constant learning rate), not yet used; it becomes the optimizer of every
        variable outside the head.
    head : str, optional
        The head's ``Dense`` layer, found as by :func:`softlogit.convert_head`.
    direction : {'softmax_to_sigmoid', 'sigmoid_to_softmax'}, optional
        The conversion the head came from; default the one its number of units
        implies (1 unit: ``'softmax_to_sigmoid'``).

    Returns
    -------
    keras.optimizers.MultiOptimizer
        ``optimizer`` for the base, and for the head's variables a copy of it
        (same class and configuration) with the learning rate multiplied by
        ``a = 2`` (``'softmax_to_sigmoid'``) or ``1/2`` and the weight decay divided
        by ``a``. Pass it to ``model.compile``.

    Raises
    ------
    InputTypeError
        If ``optimizer`` is not a Keras optimizer, or ``model`` not a Sequential
        or functional model.
    InputValueError
        If no supported head is found, ``direction`` contradicts the head, or the
        learning rate is a schedule.
    MissingExtraError
        If Keras is not installed, or is older than 3.15 (no ``MultiOptimizer``).

    Notes
    -----
    Keras' ``weight_decay`` is decoupled (:math:`\theta \leftarrow \theta -
    \eta\lambda\theta`), so halving it while the rate doubles keeps the decay per
    step; with the losses from logits (or Keras' cached logits behind a softmax or
    sigmoid activation), the converted network and the original then follow the
    same trajectory up to rounding under SGD (with or without momentum) and Adam
    (T5). L2 regularizers on the head's kernel (``kernel_regularizer``) are part
    of the loss, not of the optimizer: halve them for a sigmoid head. Variables
    excluded from weight decay with ``exclude_from_weight_decay`` are not
    excluded in the head's copy.

    Examples
    --------
    >>> import keras
    >>> import softlogit as sl
    >>> from softlogit.keras import head_optimizer
    >>> net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, "tanh"),
    ...                         keras.layers.Dense(2, "softmax")])
    >>> sig = sl.convert_head(net, to="sigmoid").model
    >>> opt = head_optimizer(sig, keras.optimizers.SGD(0.125, momentum=0.5))
    >>> [float(o.learning_rate) for o in opt.optimizers]
    [0.25, 0.125]
    >>> sig.compile(optimizer=opt, loss="binary_crossentropy")
    """
    keras = import_keras()
    if not hasattr(keras.optimizers, "MultiOptimizer"):  # pragma: no cover
        raise MissingExtraError(
            "Keras >= 3.15 (keras.optimizers.MultiOptimizer)", "keras"
        )
    if not isinstance(optimizer, keras.optimizers.Optimizer) or isinstance(
        optimizer,
        (keras.optimizers.MultiOptimizer, keras.optimizers.LossScaleOptimizer),
    ):
        raise InputTypeError(
            "`optimizer` must be a plain keras.optimizers.Optimizer (SGD, Adam, "
            f"AdamW, ...); got {type(optimizer).__name__}."
        )
    dense = head_dense(model, head)
    lr_factor, wd_factor = head_factors(
        resolve_direction(direction, int(dense.units), dense.name)
    )
    config = optimizer.get_config()
    lr = config["learning_rate"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise InputValueError(
            "`optimizer` has a learning-rate schedule; head_optimizer needs a "
            "constant learning rate (a schedule would be scaled per step)."
        )
    config["learning_rate"] = lr * lr_factor
    if config.get("weight_decay") is not None:
        config["weight_decay"] = config["weight_decay"] * wd_factor
    config["name"] = f"{optimizer.name}_head"
    head_copy = type(optimizer).from_config(config)
    pattern = "|".join(re.escape(v.path) for v in dense.weights)
    mapping = keras.optimizers.OptimizerMap(optimizer, {pattern: head_copy})
    return keras.optimizers.MultiOptimizer(mapping)
