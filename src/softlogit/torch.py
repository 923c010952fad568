r"""PyTorch helpers: train a converted head exactly like the head it came from.

A one-unit sigmoid head :math:`w = w_2 - w_1` computes what the two-unit softmax
head :math:`(w_1, w_2)` computes, but it does not *train* the same way: the loss
gradient reaches the difference :math:`w_2 - w_1` once through each row, so per
step it moves twice as far as :math:`w` does (T5). Doubling the head's learning
rate and halving its weight decay (so that their product, the decoupled decay per
step, is unchanged) makes the sigmoid network follow the softmax network's
trajectory up to rounding; the inverse factors make a softmax head converted from
a sigmoid head follow the sigmoid network. :func:`head_param_groups` builds the
PyTorch parameter groups that do this.

PyTorch is imported when a function runs; without it they raise
:class:`~softlogit.MissingExtraError` naming ``pip install 'softlogit[torch]'``.
"""

from __future__ import annotations

from typing import Any

from softlogit._convert._common import Direction, head_factors, resolve_direction
from softlogit._validation import Real, check_param
from softlogit.errors import InputTypeError, MissingExtraError

__all__ = ["head_param_groups"]


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is installed in CI
        raise MissingExtraError("PyTorch", "torch") from None
    return torch


def head_param_groups(
    model: Any,
    *,
    lr: float,
    weight_decay: float = 0.0,
    head: str | None = None,
    direction: Direction | None = None,
) -> list[dict[str, Any]]:
    r"""Parameter groups that train a converted head like the head it came from.

    Parameters
    ----------
    model : torch.nn.Module
        A model with a one-unit sigmoid head made from a two-unit softmax head
        (:func:`softlogit.convert_head`), or the reverse.
    lr : float
        The learning rate of the original network (all of its parameters).
    weight_decay : float, default=0.0
        Its weight decay (coupled L2 for ``SGD``/``Adam``, decoupled for ``AdamW``).
    head : str, optional
        The head's submodule, found as by :func:`softlogit.convert_head` (default:
        the last ``nn.Linear`` of an ``nn.Sequential``).
    direction : {'softmax_to_sigmoid', 'sigmoid_to_softmax'}, optional
        The conversion the head came from; default the one its number of units
        implies (1 unit: ``'softmax_to_sigmoid'``).

    Returns
    -------
    list of dict
        ``[{"params": base, "lr": lr, "weight_decay": weight_decay}, {"params":
        head, "lr": lr * a, "weight_decay": weight_decay / a}]`` with ``a = 2``
        (``'softmax_to_sigmoid'``) or ``1/2``; pass it to ``torch.optim.SGD``,
        ``Adam`` or ``AdamW`` with the original's other options. The base group
        (every parameter outside the head) is left out when empty.

    Raises
    ------
    InputTypeError
        If ``model`` is not an ``nn.Module``, or an option has a wrong type.
    InputValueError
        If no supported head is found, ``direction`` contradicts the head, or
        ``lr`` or ``weight_decay`` is out of range.
    MissingExtraError
        If PyTorch is not installed.

    Notes
    -----
    With the losses from logits (``CrossEntropyLoss`` on the two units,
    ``BCEWithLogitsLoss`` on the one, mean reduction, no class weights), the
    converted network and the original then have the same trajectory up to
    rounding under SGD (with momentum, dampening or Nesterov) and AdamW, and under
    Adam without weight decay: the two softmax rows receive opposite gradients,
    so their difference moves twice as far per step (T3, T5). Adam's *coupled*
    weight decay adds :math:`\lambda w_k` to each row's gradient, which keeps the
    rows' moments mirror images only when the softmax rows are centered
    (:math:`w_1 = -w_2`, :math:`b_1 = -b_2`): the softmax head made with
    ``gauge="centered"``, or an original softmax head that is centered. Gradient
    clipping by norm, and optimizers other than these, are not covered by the
    derivation.

    Examples
    --------
    >>> import torch
    >>> import softlogit as sl
    >>> from softlogit.torch import head_param_groups
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
    ...                           torch.nn.Linear(8, 2))
    >>> sig = sl.convert_head(net, to="sigmoid").model
    >>> groups = head_param_groups(sig, lr=0.1, weight_decay=1e-3)
    >>> [(len(g["params"]), g["lr"], g["weight_decay"]) for g in groups]
    [(2, 0.1, 0.001), (2, 0.2, 0.0005)]
    >>> opt = torch.optim.SGD(groups, momentum=0.9)
    """
    torch = _import_torch()
    if not isinstance(model, torch.nn.Module):
        raise InputTypeError(
            f"`model` must be a torch.nn.Module; got {type(model).__name__}."
        )
    lr = check_param("lr", lr, Real(0, None, low_open=True))
    weight_decay = check_param("weight_decay", weight_decay, Real(0, None))
    from softlogit._convert._torch import head_linear

    path, linear = head_linear(model, head)
    lr_factor, wd_factor = head_factors(
        resolve_direction(direction, int(linear.out_features), path)
    )
    head_params = list(linear.parameters())
    ids = {id(p) for p in head_params}
    base = [p for p in model.parameters() if id(p) not in ids]
    groups = [
        {
            "params": head_params,
            "lr": lr * lr_factor,
            "weight_decay": weight_decay * wd_factor,
        }
    ]
    if base:
        groups.insert(0, {"params": base, "lr": lr, "weight_decay": weight_decay})
    return groups
