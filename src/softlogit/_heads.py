r"""Parametrizations of linear heads, gauges and exact conversions between them.

A *head* maps features :math:`x` to class logits. Three parametrizations are provided,
each a small frozen dataclass holding read-only float64 arrays:

- :class:`SigmoidHead` -- one logit :math:`z = w \cdot x + b`, with
  :math:`P(y = 1 \mid x) = \sigma(z)`;
- :class:`SoftmaxHead` -- one row per class, :math:`z_k = W_k \cdot x + b_k` and
  :math:`P(y = k \mid x) = \operatorname{softmax}(z)_k`;
- :class:`ReferenceHead` -- rows for the non-reference classes only; the logit of the
  reference class is fixed at zero (the parametrization of statsmodels' ``MNLogit``).

Softmax probabilities are unchanged when the same vector is added to every row of
:math:`W` (and the same number to every bias): the softmax parametrization has a
*gauge* freedom. A function that must pick one representative takes the gauge
explicitly: ``"centered"`` (rows sum to zero, for two classes :math:`\pm w/2`) or
``"reference"`` (the reference class's row is zero, for two classes :math:`0, w`).

The penalty strengths of equivalent softmax and logistic regressions are mapped by
:mod:`softlogit._penalties`; every change of gauge is the one map of
:mod:`softlogit._gauge`.

Accuracy of conversions: :func:`sigmoid_to_softmax` is exact in both gauges (halving
and negating are exact), and so is inserting or removing a reference row of zeros.
Conversions that subtract rows (:func:`softmax_to_sigmoid`, :func:`to_reference`,
:func:`center`) round each new parameter once, so they round-trip to about 1e-16
relative, and the probabilities they predict move by at most
:math:`2 p (1 - p)\, u \sum_j |W_{kj} x_j|` (:math:`u = 2^{-53}`) -- below 1e-14
absolute for logits up to 700 except at near ties between large logits, where no
float64 parametrization can do better.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from softlogit._gauge import to_gauge_rows
from softlogit._special import (
    linear_logits,
    log_softmax_scaled,
    logits_value,
    sigmoid,
    softmax_scaled,
)
from softlogit._typing import GAUGES, ArrayLike, FloatArray, Gauge, IntArray
from softlogit._validation import Options, check_param, finite_copy, real_array
from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "ReferenceHead",
    "SigmoidHead",
    "SoftmaxHead",
    "center",
    "from_reference",
    "sigmoid_to_softmax",
    "softmax_to_sigmoid",
    "to_gauge",
    "to_reference",
]

# The gauges that pick a representative (GAUGES also has "none": no choice).
_PICKING: tuple[str, ...] = ("centered", "reference")


# --------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------


def _frozen(arr: FloatArray) -> FloatArray:
    arr.setflags(write=False)
    return arr


def _check_gauge(gauge: str, allowed: tuple[str, ...]) -> None:
    check_param("gauge", gauge, Options(allowed))


def _check_class_index(value: object, name: str, n_classes: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(
            f"`{name}` must be an integer; got {type(value).__name__}."
        )
    index = int(value)
    if not 0 <= index < n_classes:
        raise InputValueError(
            f"`{name}` must be a class index in [0, {n_classes - 1}]; got {index}."
        )
    return index


def _check_X(X: ArrayLike, n_features: int) -> FloatArray:
    arr = real_array("X", X)
    if arr.ndim != 2:
        raise InputValueError(
            f"`X` must be 2-D of shape (n_samples, {n_features}); got shape "
            f"{arr.shape}."
        )
    if arr.shape[1] != n_features:
        raise InputValueError(
            f"`X` must have {n_features} features (columns); got shape {arr.shape}."
        )
    return arr.astype(np.float64, copy=False)


def _close(a: FloatArray, b: FloatArray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _check_rows(
    weight: ArrayLike, bias: ArrayLike, rows: str, min_rows: int
) -> tuple[FloatArray, FloatArray]:
    """Validated float64 copies of a row-per-class ``weight`` and its ``bias``.

    ``rows`` names the number of rows in the messages (``"n_classes"`` or
    ``"n_classes - 1"``); ``weight`` needs at least ``min_rows`` of them, which is two
    classes either way.
    """
    w = finite_copy("weight", weight)
    if w.ndim != 2 or w.shape[0] < min_rows:
        raise InputValueError(
            f"`weight` must be 2-D of shape ({rows}, n_features) with "
            f"n_classes >= 2; got shape {w.shape}."
        )
    b = finite_copy("bias", bias)
    if b.shape != w.shape[:1]:
        raise InputValueError(
            f"`bias` must have shape ({rows},) = {w.shape[:1]}; got shape {b.shape}."
        )
    return w, b


def _same_parameters(
    a: SigmoidHead | SoftmaxHead | ReferenceHead,
    b: SigmoidHead | SoftmaxHead | ReferenceHead,
    rtol: float,
    atol: float,
) -> bool:
    """Whether two heads' weights and biases have equal shapes and close values."""
    return _close(a.weight, b.weight, rtol, atol) and _close(
        np.asarray(a.bias), np.asarray(b.bias), rtol, atol
    )


class _RowsHead(Protocol):
    @property
    def weight(self) -> FloatArray: ...

    @property
    def bias(self) -> FloatArray: ...

    def _scaled_logits(self, X: ArrayLike) -> tuple[FloatArray, IntArray | None]: ...


class _MultinomialMixin:
    """What :class:`SoftmaxHead` and :class:`ReferenceHead` compute alike.

    Both store one weight row and one bias per (non-reference) class and turn their
    :meth:`logits` into probabilities with a softmax over classes.
    """

    @property
    def n_features(self: _RowsHead) -> int:
        """Number of input features."""
        return int(self.weight.shape[1])

    def _affine(self: _RowsHead, X: ArrayLike) -> tuple[FloatArray, IntArray | None]:
        """``X @ weight.T + bias`` after checking ``X`` (one column per row), as
        ``(z, e)`` of :func:`softlogit._special.linear_logits` (no intermediate
        overflow; rows beyond the float range kept in units of ``2**e``)."""
        X_arr = _check_X(X, int(self.weight.shape[1]))
        return linear_logits(X_arr, self.weight, self.bias)

    def _scaled_logits(
        self: _RowsHead, X: ArrayLike
    ) -> tuple[FloatArray, IntArray | None]:
        return _MultinomialMixin._affine(self, X)

    def predict_proba(self: _RowsHead, X: ArrayLike) -> FloatArray:
        """Class probabilities, the softmax of :meth:`logits` over classes.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return softmax_scaled(*self._scaled_logits(X))

    def predict_log_proba(self: _RowsHead, X: ArrayLike) -> FloatArray:
        """Log class probabilities, the log-softmax of :meth:`logits`.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return log_softmax_scaled(*self._scaled_logits(X))


# --------------------------------------------------------------------------------------
# heads
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, init=False)
class SigmoidHead:
    r"""A binary logistic head: :math:`P(y = 1 \mid x) = \sigma(w \cdot x + b)`.

    Parameters
    ----------
    weight : array_like of shape (n_features,)
        Coefficients :math:`w`; stored as a read-only float64 copy.
    bias : float
        Intercept :math:`b`.

    Raises
    ------
    ValueError
        If ``weight`` is not 1-D, ``bias`` is not a scalar, or either is not finite.
    TypeError
        If either is not real numeric.

    Notes
    -----
    Instances compare by identity; use :meth:`allclose` to compare values.
    Class order is ``[negative, positive]``: column 1 of :meth:`predict_proba` is
    :math:`\sigma(z)`.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit import SigmoidHead
    >>> head = SigmoidHead(weight=[2.0, -1.0], bias=0.5)
    >>> head.n_features, head.n_classes
    (2, 2)
    >>> head.logits([[1.0, 1.0], [0.0, 0.0]])
    array([1.5, 0.5])
    >>> head.predict_proba([[0.0, 0.5]])
    array([[0.5, 0.5]])
    """

    weight: FloatArray
    bias: float

    def __init__(self, weight: ArrayLike, bias: float) -> None:
        weight = finite_copy("weight", weight)
        if weight.ndim != 1:
            raise InputValueError(
                f"`weight` must be 1-D of shape (n_features,); got shape "
                f"{weight.shape}."
            )
        b = finite_copy("bias", bias)
        if b.ndim != 0:
            raise InputValueError(f"`bias` must be a scalar; got shape {b.shape}.")
        object.__setattr__(self, "weight", _frozen(weight))
        object.__setattr__(self, "bias", float(b))

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return int(self.weight.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of classes (always 2)."""
        return 2

    def logits(self, X: ArrayLike) -> FloatArray:
        """The logit :math:`z = X w + b` of the positive class.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        ndarray of shape (n_samples,)
            One logit per sample; ``+-inf`` where it exceeds the float range
            (computed without intermediate overflow: ``[2, 2] . [1e308, -1e308]``
            is 0).
        """
        z, e = linear_logits(
            _check_X(X, self.n_features),
            self.weight[None, :],
            np.array([self.bias]),
        )
        return logits_value(z, e)[:, 0]

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Class probabilities ``[1 - sigmoid(z), sigmoid(z)]``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Column 0 is :math:`\\sigma(-z)` and column 1 is :math:`\\sigma(z)`, each
            computed directly (no ``1 - p`` cancellation).
        """
        z = self.logits(X)
        return np.stack([sigmoid(-z), sigmoid(z)], axis=-1)

    def allclose(
        self, other: object, *, rtol: float = 1e-12, atol: float = 0.0
    ) -> bool:
        """Whether ``other`` is a :class:`SigmoidHead` with close parameters.

        Parameters
        ----------
        other : object
            Anything; a non-:class:`SigmoidHead` is never close.
        rtol, atol : float
            Tolerances as in :func:`numpy.allclose`.

        Returns
        -------
        bool
        """
        return isinstance(other, SigmoidHead) and _same_parameters(
            self, other, rtol, atol
        )


@dataclass(frozen=True, eq=False, init=False)
class SoftmaxHead(_MultinomialMixin):
    r"""A multinomial head: :math:`P(y = k \mid x) = \operatorname{softmax}(Wx + b)_k`.

    Parameters
    ----------
    weight : array_like of shape (n_classes, n_features)
        One coefficient row per class, ``n_classes >= 2``; stored as a read-only
        float64 copy.
    bias : array_like of shape (n_classes,)
        One intercept per class.

    Raises
    ------
    ValueError
        If the shapes are wrong or disagree, ``n_classes < 2``, or a value is not
        finite.
    TypeError
        If either is not real numeric.

    Notes
    -----
    The parameters are identified only up to a gauge: adding a vector :math:`v` to
    every row and a number :math:`c` to every bias leaves :meth:`predict_proba`
    unchanged. See :func:`center`, :func:`to_gauge` and :func:`to_reference`.
    Instances compare by identity; use :meth:`allclose` to compare values.

    Examples
    --------
    >>> from softlogit import SoftmaxHead
    >>> head = SoftmaxHead(weight=[[-1.0, 0.5], [1.0, -0.5]], bias=[0.0, 0.0])
    >>> head.n_classes, head.n_features
    (2, 2)
    >>> head.predict_proba([[0.0, 0.0]])
    array([[0.5, 0.5]])
    """

    weight: FloatArray
    bias: FloatArray

    def __init__(self, weight: ArrayLike, bias: ArrayLike) -> None:
        w, b = _check_rows(weight, bias, "n_classes", 2)
        object.__setattr__(self, "weight", _frozen(w))
        object.__setattr__(self, "bias", _frozen(b))

    @property
    def n_classes(self) -> int:
        """Number of classes (rows of ``weight``)."""
        return int(self.weight.shape[0])

    def logits(self, X: ArrayLike) -> FloatArray:
        """Class logits :math:`X W^\\top + b`.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``+-inf`` where a logit exceeds the float range (computed without
            intermediate overflow).
        """
        return logits_value(*self._affine(X))

    def allclose(
        self, other: object, *, rtol: float = 1e-12, atol: float = 0.0
    ) -> bool:
        """Whether ``other`` is a :class:`SoftmaxHead` with close parameters.

        The comparison is of the stored parameters, not of the functions: two heads
        that differ by a gauge shift are not close (compare ``center(a)`` with
        ``center(b)`` for that).

        Parameters
        ----------
        other : object
            Anything; a non-:class:`SoftmaxHead` is never close.
        rtol, atol : float
            Tolerances as in :func:`numpy.allclose`.

        Returns
        -------
        bool
        """
        return isinstance(other, SoftmaxHead) and _same_parameters(
            self, other, rtol, atol
        )


@dataclass(frozen=True, eq=False, init=False)
class ReferenceHead(_MultinomialMixin):
    r"""A multinomial head with a reference class whose logit is fixed at zero.

    Parameters
    ----------
    weight : array_like of shape (n_classes - 1, n_features)
        Rows of the non-reference classes, in increasing class order.
    bias : array_like of shape (n_classes - 1,)
        Intercepts of the non-reference classes.
    reference : int, default=0
        Index of the reference class in ``[0, n_classes - 1]``.

    Raises
    ------
    ValueError
        If the shapes are wrong or disagree, a value is not finite, or ``reference`` is
        out of range.
    TypeError
        If the arrays are not real numeric or ``reference`` is not an integer.

    Notes
    -----
    This parametrization is identified (no gauge freedom); it is the one in which
    statsmodels' ``MNLogit`` reports coefficients (with reference class 0) and in
    which standard errors are computed. Instances compare by identity; use
    :meth:`allclose` to compare values.

    Examples
    --------
    >>> from softlogit import ReferenceHead
    >>> head = ReferenceHead(weight=[[1.0], [2.0]], bias=[0.0, 0.0], reference=1)
    >>> head.n_classes
    3
    >>> head.logits([[1.0]])
    array([[1., 0., 2.]])
    """

    weight: FloatArray
    bias: FloatArray
    reference: int = 0

    def __init__(self, weight: ArrayLike, bias: ArrayLike, reference: int = 0) -> None:
        w, b = _check_rows(weight, bias, "n_classes - 1", 1)
        reference = _check_class_index(reference, "reference", w.shape[0] + 1)
        object.__setattr__(self, "weight", _frozen(w))
        object.__setattr__(self, "bias", _frozen(b))
        object.__setattr__(self, "reference", reference)

    @property
    def n_classes(self) -> int:
        """Number of classes, including the reference class."""
        return int(self.weight.shape[0]) + 1

    def full_weight(self) -> FloatArray:
        """The ``(n_classes, n_features)`` weight with the reference row of zeros.

        Returns
        -------
        ndarray of shape (n_classes, n_features)
        """
        return np.insert(self.weight, self.reference, 0.0, axis=0)

    def full_bias(self) -> FloatArray:
        """The ``(n_classes,)`` bias with a zero at the reference class.

        Returns
        -------
        ndarray of shape (n_classes,)
        """
        return np.insert(self.bias, self.reference, 0.0)

    def logits(self, X: ArrayLike) -> FloatArray:
        """Class logits, with the reference column identically zero.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return logits_value(*self._scaled_logits(X))

    def _scaled_logits(self, X: ArrayLike) -> tuple[FloatArray, IntArray | None]:
        z, e = self._affine(X)
        # 0 in any units: the reference logit
        return np.insert(z, self.reference, 0.0, axis=-1), e

    def allclose(
        self, other: object, *, rtol: float = 1e-12, atol: float = 0.0
    ) -> bool:
        """Whether ``other`` is a :class:`ReferenceHead` with the same reference class
        and close parameters.

        Parameters
        ----------
        other : object
            Anything; a non-:class:`ReferenceHead` is never close.
        rtol, atol : float
            Tolerances as in :func:`numpy.allclose`.

        Returns
        -------
        bool
        """
        return (
            isinstance(other, ReferenceHead)
            and self.reference == other.reference
            and _same_parameters(self, other, rtol, atol)
        )


def _check_head(head: object, cls: type, name: str = "head") -> None:
    if not isinstance(head, cls):
        raise InputTypeError(
            f"`{name}` must be a {cls.__name__}; got {type(head).__name__}."
        )


# --------------------------------------------------------------------------------------
# conversions
# --------------------------------------------------------------------------------------


def softmax_to_sigmoid(head: SoftmaxHead, positive: int = 1) -> SigmoidHead:
    r"""The logistic head of a two-class softmax head (T1).

    .. math:: \operatorname{softmax}(z_0, z_1)_1 = \sigma(z_1 - z_0),
       \qquad w = W_{1} - W_{0}, \quad b = b_{1} - b_{0}.

    Parameters
    ----------
    head : SoftmaxHead
        A head with exactly two classes.
    positive : {0, 1}, default=1
        The class whose probability the sigmoid gives.

    Returns
    -------
    SigmoidHead
        A new head with ``weight = W[positive] - W[1 - positive]``.

    Raises
    ------
    ValueError
        If ``head`` does not have two classes or ``positive`` is not 0 or 1.
    TypeError
        If ``head`` is not a :class:`SoftmaxHead`.

    Notes
    -----
    The map forgets the gauge (the sum of the two rows), so it is many-to-one; its
    right inverses are :func:`sigmoid_to_softmax` with either gauge.

    Examples
    --------
    >>> from softlogit import SoftmaxHead, softmax_to_sigmoid
    >>> head = SoftmaxHead(weight=[[1.0, 2.0], [4.0, 0.0]], bias=[0.5, 1.5])
    >>> sig = softmax_to_sigmoid(head)
    >>> sig.weight, sig.bias
    (array([ 3., -2.]), 1.0)
    """
    _check_head(head, SoftmaxHead)
    if head.n_classes != 2:
        raise InputValueError(
            "`head` must have n_classes == 2 to become a sigmoid head; got "
            f"n_classes={head.n_classes}."
        )
    pos = _check_class_index(positive, "positive", 2)
    neg = 1 - pos
    return SigmoidHead(
        weight=head.weight[pos] - head.weight[neg],
        bias=float(head.bias[pos] - head.bias[neg]),
    )


def sigmoid_to_softmax(head: SigmoidHead, gauge: Gauge = "centered") -> SoftmaxHead:
    r"""A two-class softmax head with the probabilities of a logistic head (T1).

    Parameters
    ----------
    head : SigmoidHead
        The logistic head :math:`(w, b)`.
    gauge : {'centered', 'reference'}, default='centered'
        ``'centered'`` gives rows :math:`[-w/2, w/2]` and biases :math:`[-b/2, b/2]`
        (the optimum of an L2-penalized two-class softmax regression, T7);
        ``'reference'`` gives rows :math:`[0, w]` and biases :math:`[0, b]`.

    Returns
    -------
    SoftmaxHead
        A new head with class order ``[negative, positive]``.

    Raises
    ------
    ValueError
        If ``gauge`` is unknown.
    TypeError
        If ``head`` is not a :class:`SigmoidHead`.

    Notes
    -----
    Both gauges are exact: halving and negating are exact in binary floating point
    (barring underflow to subnormals), so ``softmax_to_sigmoid`` recovers ``head``
    bit for bit.

    Examples
    --------
    >>> from softlogit import SigmoidHead, sigmoid_to_softmax
    >>> head = SigmoidHead(weight=[3.0, -2.0], bias=1.0)
    >>> sigmoid_to_softmax(head).weight
    array([[-1.5,  1. ],
           [ 1.5, -1. ]])
    >>> sigmoid_to_softmax(head, gauge="reference").bias
    array([0., 1.])
    """
    _check_head(head, SigmoidHead)
    _check_gauge(gauge, _PICKING)
    w, b = head.weight, head.bias
    if gauge == "centered":
        return SoftmaxHead(weight=np.stack([-w / 2, w / 2]), bias=[-b / 2, b / 2])
    return SoftmaxHead(weight=np.stack([np.zeros_like(w), w]), bias=[0.0, b])


def to_reference(head: SoftmaxHead, reference: int = 0) -> ReferenceHead:
    r"""The reference-class parametrization of a softmax head (T6, T8).

    .. math:: \tilde W_k = W_k - W_r, \quad \tilde b_k = b_k - b_r \quad (k \ne r).

    Parameters
    ----------
    head : SoftmaxHead
        Any softmax head.
    reference : int, default=0
        The class :math:`r` whose logit becomes zero.

    Returns
    -------
    ReferenceHead
        A new head with the same probabilities.

    Raises
    ------
    ValueError
        If ``reference`` is out of range.
    TypeError
        If ``head`` is not a :class:`SoftmaxHead` or ``reference`` not an integer.

    Examples
    --------
    >>> from softlogit import SoftmaxHead, to_reference
    >>> head = SoftmaxHead(weight=[[1.0], [2.0], [4.0]], bias=[0.0, 1.0, 3.0])
    >>> ref = to_reference(head, reference=1)
    >>> ref.weight.ravel().tolist(), ref.bias.tolist()
    ([-1.0, 2.0], [-1.0, 2.0])
    """
    _check_head(head, SoftmaxHead)
    r = _check_class_index(reference, "reference", head.n_classes)
    keep = np.arange(head.n_classes) != r
    return ReferenceHead(
        weight=head.weight[keep] - head.weight[r],
        bias=head.bias[keep] - head.bias[r],
        reference=r,
    )


def from_reference(head: ReferenceHead, gauge: Gauge = "centered") -> SoftmaxHead:
    """A softmax head with the probabilities of a reference-class head.

    Parameters
    ----------
    head : ReferenceHead
        The head to expand.
    gauge : {'centered', 'reference'}, default='centered'
        ``'reference'`` inserts the zero row (and zero bias) of the reference class;
        ``'centered'`` then subtracts the mean row and mean bias.

    Returns
    -------
    SoftmaxHead
        A new head with ``n_classes`` rows.

    Raises
    ------
    ValueError
        If ``gauge`` is unknown.
    TypeError
        If ``head`` is not a :class:`ReferenceHead`.

    Examples
    --------
    >>> from softlogit import ReferenceHead, from_reference
    >>> head = ReferenceHead(weight=[[3.0]], bias=[1.0], reference=0)
    >>> from_reference(head, gauge="reference").weight.ravel().tolist()
    [0.0, 3.0]
    >>> from_reference(head).weight.ravel().tolist()
    [-1.5, 1.5]
    """
    _check_head(head, ReferenceHead)
    _check_gauge(gauge, _PICKING)
    out = SoftmaxHead(weight=head.full_weight(), bias=head.full_bias())
    return center(out) if gauge == "centered" else out


def center(head: SoftmaxHead) -> SoftmaxHead:
    r"""The centered representative of a softmax head's gauge orbit.

    Subtracts the mean row from every row and the mean bias from every bias, so that
    :math:`\sum_k W_k = 0` and :math:`\sum_k b_k = 0` (up to rounding). This is the
    gauge of scikit-learn's multinomial ``coef_`` and of every L2-penalized optimum.

    Parameters
    ----------
    head : SoftmaxHead
        Any softmax head.

    Returns
    -------
    SoftmaxHead
        A new head with the same probabilities.

    Raises
    ------
    TypeError
        If ``head`` is not a :class:`SoftmaxHead`.

    Examples
    --------
    >>> from softlogit import SoftmaxHead, center
    >>> head = SoftmaxHead(weight=[[1.0, 0.0], [3.0, 2.0]], bias=[5.0, 7.0])
    >>> c = center(head)
    >>> c.weight.tolist(), c.bias.tolist()
    ([[-1.0, -1.0], [1.0, 1.0]], [-1.0, 1.0])
    """
    _check_head(head, SoftmaxHead)
    return _moved(head, "centered")


def to_gauge(
    head: SoftmaxHead, gauge: Gauge = "centered", reference: int = 0
) -> SoftmaxHead:
    """Move a softmax head to a gauge, keeping its probabilities.

    Parameters
    ----------
    head : SoftmaxHead
        Any softmax head.
    gauge : {'centered', 'reference', 'none'}, default='centered'
        ``'centered'``: rows and biases sum to zero (:func:`center`);
        ``'reference'``: the row and bias of class ``reference`` are zero;
        ``'none'``: an unchanged copy.
    reference : int, default=0
        The reference class for ``gauge='reference'`` (validated for every gauge).

    Returns
    -------
    SoftmaxHead
        A new head.

    Raises
    ------
    ValueError
        If ``gauge`` is unknown or ``reference`` is out of range.
    TypeError
        If ``head`` is not a :class:`SoftmaxHead`.

    Examples
    --------
    >>> from softlogit import SoftmaxHead, to_gauge
    >>> head = SoftmaxHead(weight=[[1.0], [3.0]], bias=[5.0, 7.0])
    >>> to_gauge(head, "reference", reference=1).weight.ravel().tolist()
    [-2.0, 0.0]
    """
    _check_head(head, SoftmaxHead)
    _check_gauge(gauge, GAUGES)
    r = _check_class_index(reference, "reference", head.n_classes)
    return _moved(head, gauge, r)


def _moved(head: SoftmaxHead, gauge: Gauge, reference: int = 0) -> SoftmaxHead:
    """``head`` moved to ``gauge`` by the gauge map (weights and biases together)."""
    rows = to_gauge_rows(np.column_stack([head.weight, head.bias]), gauge, reference)
    return SoftmaxHead(weight=rows[:, :-1], bias=rows[:, -1])
