r"""Bring your own model: exact head conversions for PyTorch, Keras and scikit-learn.

:func:`convert_head` turns the two-unit softmax head of a trained model into the
one-unit sigmoid head with the same probabilities (:math:`w = w_2 - w_1`,
:math:`b = b_2 - b_1`, T1) or back (rows :math:`\mp w/2` or :math:`0, w`: the
inverse picks a gauge), on a copy of the model in its own framework, dtype and
device. :mod:`softlogit._convert._sklearn` converts scikit-learn's
``LogisticRegression`` to and from softlogit's estimators.
"""

from __future__ import annotations

from typing import Any, Literal

from softlogit._convert._common import HeadConversion, check_request
from softlogit._convert._sklearn import from_sklearn, to_sklearn
from softlogit._typing import Gauge
from softlogit.errors import InputTypeError

__all__ = ["HeadConversion", "convert_head", "from_sklearn", "to_sklearn"]

_SUPPORTED_MODELS = (
    "a torch.nn.Module, a PyTorch state dict, a Keras 3 Sequential or functional "
    "model, a scikit-learn or softlogit LogisticRegression / SoftmaxRegression, or "
    "a softlogit SigmoidHead / SoftmaxHead"
)


def convert_head(
    model: Any,
    to: Literal["sigmoid", "softmax"],
    *,
    head: str | None = None,
    gauge: Gauge = "centered",
    positive: int = 1,
    verify: Any = None,
    tol: float | None = None,
) -> HeadConversion:
    r"""Convert a model's two-unit softmax head to a one-unit sigmoid head, or back.

    For two classes :math:`\operatorname{softmax}(z_0, z_1)_1 = \sigma(z_1 - z_0)`
    (T1), so the softmax head :math:`(W, b)` and the sigmoid head :math:`w = W_1 -
    W_0`, :math:`b = b_1 - b_0` give the same probabilities. The way back is not
    unique; ``gauge`` picks rows :math:`-w/2, w/2` (``"centered"``, the optimum of
    an L2-penalized softmax) or :math:`0, w` (``"reference"``). The original
    model is never modified.

    Parameters
    ----------
    model : object
        A ``torch.nn.Module`` whose head is the last ``nn.Linear(n, 2)`` [+
        ``nn.Softmax``/``nn.LogSoftmax``] or ``nn.Linear(n, 1)`` [+ ``nn.Sigmoid``/
        ``nn.LogSigmoid``] of an ``nn.Sequential``, or is named by ``head``; a
        PyTorch state dict (``head`` names the key prefix; default the last 2-D
        ``*.weight``); a Keras 3 Sequential or functional model whose output layer
        is ``Dense(2, softmax)``, ``Dense(1, sigmoid)`` or a linear ``Dense`` (for
        ``from_logits=True`` losses); a fitted scikit-learn or softlogit
        ``LogisticRegression`` / ``SoftmaxRegression`` with two classes; a
        :class:`~softlogit.SigmoidHead` or two-class :class:`~softlogit.SoftmaxHead`.
    to : {'sigmoid', 'softmax'}
        The head to make.
    head : str, optional
        Where the head is: a submodule path (``"fc"``, ``"classifier"``,
        ``"heads.head"``), a state-dict key prefix, or a Keras layer name.
    gauge : {'centered', 'reference'}, default='centered'
        The softmax rows made from a sigmoid head (``to="softmax"``).
    positive : {0, 1}, default=1
        The softmax unit whose probability the sigmoid gives: ``w = W[positive] -
        W[1 - positive]``, and with ``to="softmax"`` the sigmoid's probability
        becomes unit ``positive``. Estimators take their positive class from
        ``classes_`` and accept only 1.
    verify : array_like or torch.Tensor, optional
        Inputs on which both models are run (in eval mode, without gradients);
        their probabilities of the positive class, each computed by the framework,
        must agree to ``tol``. A NumPy array is cast to the head's dtype (pass a
        tensor to choose). For a state dict: the head's inputs, shape
        ``(n_samples, n_features)``.
    tol : float, optional
        The largest difference ``verify`` accepts; default 1e-12 for float64
        heads, 1e-6 for float32, 1e-2 for float16 and bfloat16.

    Returns
    -------
    HeadConversion
        ``model`` (the new model, same framework, dtype and device; a two-class
        softmax made from a scikit-learn model is a softlogit
        :class:`~softlogit.SoftmaxRegression`, which scikit-learn >= 1.8 cannot
        hold), ``head``, ``before``/``after`` (descriptions), ``dtype`` and, with
        ``verify``, ``max_diff``, ``tolerance`` and ``n_verified``.

    Raises
    ------
    InputTypeError
        If ``model`` is of no supported kind, or an option has a wrong type.
    InputValueError
        If no supported head is found (the message names the layer found and the
        supported heads), the head already is of kind ``to``, an option has a
        wrong value, or the verification fails.
    MissingExtraError
        If the model's framework is not installed (never for a model object).

    Notes
    -----
    Each new parameter is rounded once, to the head's dtype: the sigmoid weights
    are differences computed in float64, the centered softmax rows halves (exact).
    For a sigmoid head to *train* like the softmax head it came from, its
    learning rate must double and its weight decay halve (T5): see
    :func:`softlogit.torch.head_param_groups` and
    :func:`softlogit.keras.head_optimizer`.

    Examples
    --------
    >>> import softlogit as sl
    >>> head = sl.SoftmaxHead(weight=[[1.0, -2.0], [3.0, 0.5]], bias=[0.5, -0.5])
    >>> done = sl.convert_head(head, to="sigmoid", verify=[[1.0, 2.0], [0.0, -1.0]])
    >>> done.model.weight.tolist(), done.model.bias, done.max_diff
    ([2.0, 2.5], -1.0, 0.0)
    >>> sl.convert_head(done.model, to="softmax").model.weight.tolist()
    [[-1.0, -1.25], [1.0, 1.25]]
    """
    req = check_request(to, head, gauge, positive, verify, tol)
    from softlogit._convert import _keras, _sklearn, _torch
    from softlogit._heads import SigmoidHead, SoftmaxHead

    if _torch.is_torch_module(model):
        return _torch.convert_module(model, req)
    if _torch.is_state_dict(model):
        return _torch.convert_state_dict(model, req)
    if _keras.is_keras_model(model):
        return _keras.convert_keras(model, req)
    is_data = isinstance(model, (SigmoidHead, SoftmaxHead))
    if not (
        is_data
        or _sklearn.is_sklearn_logistic(model)
        or _sklearn.is_softlogit_estimator(model)
    ):
        raise InputTypeError(
            f"`model` must be {_SUPPORTED_MODELS}; got {type(model).__name__}."
        )
    if head is not None:
        raise InputTypeError(
            "`head` applies to PyTorch and Keras models only; `model` is a "
            f"{type(model).__name__}."
        )
    if is_data:
        return _sklearn.convert_head_data(model, req)
    return _sklearn.convert_estimator(model, req)
