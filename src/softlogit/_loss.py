"""Stateless losses on raw logits: the binomial and the multinomial cross-entropy.

Both classes share one signature, after scikit-learn's ``sklearn._loss`` module::

    loss(y, raw, sample_weight=None)                      -> per-sample losses
    gradient(y, raw, sample_weight=None)                  -> d loss / d raw
    loss_gradient(y, raw, sample_weight=None)             -> (loss, gradient)
    gradient_hessian_product(y, raw, sample_weight=None)  -> (gradient, hessp)

``raw`` holds the logits: shape ``(n_samples,)`` for :class:`BinomialLoss` (the log-odds
of class 1) and ``(n_samples, n_classes)`` for :class:`MultinomialLoss`. Outputs are per
sample and already multiplied by ``sample_weight``; summing and normalizing is the job of
:class:`softlogit.LinearModelLoss`. Every quantity is computed from the logits (never
from clipped probabilities) in the floating dtype of ``raw``: float32 in, float32 out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import numpy as np

from softlogit._special import (
    binary_cross_entropy_kernel,
    log_softmax64,
    sigmoid_exp,
    softmax,
    softmax_columns,
    softmax_parts,
)
from softlogit._typing import ArrayLike, FloatArray
from softlogit._validation import NONE, Integer, check_param, check_unit_interval
from softlogit.errors import InputTypeError, InputValueError

__all__ = ["BinomialLoss", "MultinomialLoss"]

HessP = Callable[[ArrayLike], FloatArray]


def _float_raw(raw: ArrayLike, ndim: int, name: str = "raw") -> FloatArray:
    arr = np.asarray(raw)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise InputTypeError(
            f"`{name}` must be a real numeric array; got dtype {arr.dtype}."
        )
    if arr.ndim != ndim:
        expected = "(n_samples,)" if ndim == 1 else "(n_samples, n_classes)"
        raise InputValueError(
            f"`{name}` must have shape {expected} ({ndim}-D); got shape {arr.shape}."
        )
    return arr


def _float_weight(
    sample_weight: ArrayLike | None, n_samples: int, dtype: np.dtype[np.floating]
) -> FloatArray | None:
    if sample_weight is None:
        return None
    sw = np.asarray(sample_weight)
    if sw.dtype.kind not in "biuf":
        raise InputTypeError(f"`sample_weight` must be numeric; got dtype {sw.dtype}.")
    if sw.shape != (n_samples,):
        raise InputValueError(
            f"`sample_weight` must have shape ({n_samples},); got shape {sw.shape}."
        )
    return sw.astype(dtype, copy=False)


def _labels(y: ArrayLike, n_samples: int, expected: str) -> np.ndarray:
    """``y`` as an array of ``n_samples`` numeric labels (``expected`` names them)."""
    t = np.asarray(y)
    if t.dtype.kind not in "biuf":
        raise InputTypeError(f"`y` must be {expected}; got dtype {t.dtype}.")
    if t.shape != (n_samples,):
        raise InputValueError(
            f"`y` must have shape ({n_samples},); got shape {t.shape}."
        )
    return t


def _check_labels(y: np.ndarray, n_classes: int) -> np.ndarray:
    """``y`` as integer class labels in ``[0, n_classes)`` (dtype ``intp``)."""
    if y.dtype.kind not in "biuf":
        raise InputTypeError(f"`y` must be integer class labels; got dtype {y.dtype}.")
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise InputValueError("`y` must hold integer class labels; got non-integers.")
    labels = y.astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise InputValueError(
            f"`y` labels must lie in [0, {n_classes - 1}]; got values in "
            f"[{labels.min()}, {labels.max()}]."
        )
    return labels


_Labels = TypeVar("_Labels", bound=np.ndarray)


def _all_finite(z: FloatArray) -> bool:
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.sum(z)) or np.all(np.isfinite(z)))


def _weighted(values: FloatArray, sw: FloatArray | None) -> FloatArray:
    """``values * sw`` per sample, 0 where the weight is 0 (even for an infinite loss)."""
    if sw is None:
        return values
    w = sw.reshape(sw.shape + (1,) * (values.ndim - 1))
    with np.errstate(invalid="ignore"):
        out: FloatArray = np.where(w == 0, 0.0, values * w).astype(values.dtype)
    return out


class _Loss(Generic[_Labels]):
    """The public methods :class:`BinomialLoss` and :class:`MultinomialLoss` share.

    A subclass validates the arguments in ``_parts`` and computes on the validated
    arrays in the private ``_loss``, ``_gradient`` and ``_loss_gradient`` (which
    :class:`softlogit.LinearModelLoss` calls directly).
    """

    def _parts(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[FloatArray, _Labels, FloatArray | None]:
        raise NotImplementedError

    def _loss(self, z: FloatArray, t: _Labels, sw: FloatArray | None) -> FloatArray:
        raise NotImplementedError

    def _gradient(self, z: FloatArray, t: _Labels, sw: FloatArray | None) -> FloatArray:
        raise NotImplementedError

    def _loss_gradient(
        self, z: FloatArray, t: _Labels, sw: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError

    def _limits(
        self, z: FloatArray, t: _Labels, sw: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        """Loss and gradient where some logits are infinite: their limits."""
        raise NotImplementedError

    def loss(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> FloatArray:
        """Per-sample losses.

        Parameters
        ----------
        y : array_like of shape (n_samples,)
            :class:`BinomialLoss`: labels 0/1 (or probabilities of class 1);
            :class:`MultinomialLoss`: integer class labels in ``[0, n_classes)``.
        raw : array_like of shape (n_samples,) or (n_samples, n_classes)
            :class:`BinomialLoss`: log-odds of class 1, shape (n_samples,);
            :class:`MultinomialLoss`: logits, shape (n_samples, n_classes).
        sample_weight : array_like of shape (n_samples,), optional
            Multiplies each sample's loss.

        Returns
        -------
        ndarray of shape (n_samples,)
            Same floating dtype as ``raw``.
        """
        z, t, sw = self._parts(y, raw, sample_weight)
        if _all_finite(z):
            return self._loss(z, t, sw)
        return self._limits(z, t, sw)[0]

    def gradient(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> FloatArray:
        """Per-sample derivatives with respect to ``raw`` (times ``sample_weight``).

        ``sigmoid(raw) - y`` for :class:`BinomialLoss`, ``softmax(raw) - onehot(y)``
        for :class:`MultinomialLoss`.

        Parameters
        ----------
        y, raw, sample_weight
            As in :meth:`loss`.

        Returns
        -------
        ndarray of the shape of ``raw``
        """
        z, t, sw = self._parts(y, raw, sample_weight)
        if _all_finite(z):
            return self._gradient(z, t, sw)
        return self._limits(z, t, sw)[1]

    def loss_gradient(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Per-sample losses and derivatives, sharing one exponential (or softmax).

        Parameters
        ----------
        y, raw, sample_weight
            As in :meth:`loss`.

        Returns
        -------
        loss : ndarray of shape (n_samples,)
        gradient : ndarray of the shape of ``raw``
            As :meth:`gradient`.
        """
        z, t, sw = self._parts(y, raw, sample_weight)
        if _all_finite(z):
            return self._loss_gradient(z, t, sw)
        return self._limits(z, t, sw)


class BinomialLoss(_Loss[FloatArray]):
    r"""Binary cross-entropy on the log-odds ``raw``, with labels ``y`` in [0, 1].

    .. math::

        \ell(y, z) = \operatorname{softplus}(z) - y z, \qquad
        \frac{\partial \ell}{\partial z} = \sigma(z) - y, \qquad
        \frac{\partial^2 \ell}{\partial z^2} = \sigma(z)\,\sigma(-z).

    Per-sample outputs are multiplied by ``sample_weight`` when given.

    Notes
    -----
    With :math:`a = \log1p(e^{-|z|})`, :math:`\operatorname{softplus}(z) = \max(z, 0) + a`
    and :math:`\operatorname{softplus}(-z) = \max(-z, 0) + a`; the loss is evaluated as
    :math:`(1 - y)\operatorname{softplus}(z) + y \operatorname{softplus}(-z)`, a sum of
    non-negative terms without cancellation (it equals :math:`\operatorname{softplus}(z)
    - y z` because :math:`\operatorname{softplus}(z) - \operatorname{softplus}(-z) = z`).
    It is the two-class :class:`MultinomialLoss` at logits ``[0, z]`` or
    ``[-z/2, z/2]`` (shift invariance of the softmax).

    At infinite logits the public methods give the limits: loss 0 where the label
    matches the sign (``y = 1`` at ``+inf``), ``+inf`` otherwise, gradient
    :math:`\sigma(\pm\infty) - y`; a zero sample weight gives 0 even for an
    infinite loss. NaN propagates. Targets outside [0, 1] (NaN included) raise.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit import BinomialLoss
    >>> loss = BinomialLoss()
    >>> loss.loss(y=[1.0, 0.0, 1.0], raw=np.array([0.0, 1000.0, -1000.0])).tolist()
    [0.6931471805599453, 1000.0, 1000.0]
    >>> loss.gradient(y=[1.0, 0.0], raw=np.array([0.0, 0.0])).tolist()
    [-0.5, 0.5]
    """

    n_classes: int = 2

    def _parts(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        z = _float_raw(raw, 1)
        t = self._targets(y, z.shape[0], z.dtype)
        return z, t, _float_weight(sample_weight, z.shape[0], z.dtype)

    @staticmethod
    def _targets(y: ArrayLike, n_samples: int, dtype: np.dtype[Any]) -> FloatArray:
        """``y`` checked as ``n_samples`` labels in [0, 1], as floats of ``dtype``."""
        t: FloatArray = _labels(y, n_samples, "numeric labels in [0, 1]").astype(
            dtype, copy=False
        )
        check_unit_interval("y", t)
        return t

    # The private methods below take validated arrays; LinearModelLoss calls them.
    @staticmethod
    def _loss(z: FloatArray, t: FloatArray, sw: FloatArray | None) -> FloatArray:
        out = binary_cross_entropy_kernel(z, t)
        return out if sw is None else out * sw

    @staticmethod
    def _gradient(z: FloatArray, t: FloatArray, sw: FloatArray | None) -> FloatArray:
        g, _ = sigmoid_exp(z)
        g -= t
        return g if sw is None else g * sw

    @staticmethod
    def _loss_gradient(
        z: FloatArray, t: FloatArray, sw: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        g, e = sigmoid_exp(z)
        loss = binary_cross_entropy_kernel(z, t, e)
        g -= t
        if sw is not None:
            loss, g = loss * sw, g * sw
        return loss, g

    @staticmethod
    def _limits(
        z: FloatArray, t: FloatArray, sw: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        g, e = sigmoid_exp(z)
        with np.errstate(invalid="ignore"):
            loss = binary_cross_entropy_kernel(z, t, e)
            # softplus(z) - t z -> 0 at z = +inf with t = 1 (at -inf with t = 0), where
            # the formula multiplies an infinity by zero; +inf for other targets.
            loss = np.where(np.isinf(z) & (t == (z > 0)), 0.0, loss).astype(z.dtype)
        g -= t
        return _weighted(loss, sw), _weighted(g, sw)

    @staticmethod
    def _gradient_hessian(
        z: FloatArray, t: FloatArray, sw: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        g, e = sigmoid_exp(z)
        g -= t
        # sigmoid(z) sigmoid(-z) = e / (1 + e)^2 with e = exp(-|z|): symmetric in z.
        h = e / (1 + e) ** 2
        if sw is not None:
            g, h = g * sw, h * sw
        return g, h

    def gradient_hessian(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Per-sample first and second derivatives.

        Parameters
        ----------
        y, raw, sample_weight
            As in :meth:`loss`.

        Returns
        -------
        gradient, hessian : ndarray of shape (n_samples,)
            ``sigmoid(raw) - y`` and ``sigmoid(raw) * sigmoid(-raw)``, times
            ``sample_weight``.
        """
        return self._gradient_hessian(*self._parts(y, raw, sample_weight))

    def gradient_hessian_product(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[FloatArray, HessP]:
        """Per-sample gradient and a function applying the per-sample Hessian.

        Parameters
        ----------
        y, raw, sample_weight
            As in :meth:`loss`.

        Returns
        -------
        gradient : ndarray of shape (n_samples,)
        hessp : callable
            ``hessp(v)`` with ``v`` of shape (n_samples,) returns ``hessian * v``.
        """
        g, h = self._gradient_hessian(*self._parts(y, raw, sample_weight))

        def hessp(v: ArrayLike) -> FloatArray:
            return h * _float_raw(v, 1, "v")

        return g, hessp

    def predict_proba(self, raw: ArrayLike) -> FloatArray:
        """Class probabilities ``[sigmoid(-raw), sigmoid(raw)]``.

        Parameters
        ----------
        raw : array_like of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        z = _float_raw(raw, 1)
        p, _ = sigmoid_exp(z)
        q, _ = sigmoid_exp(-z)
        # 1 - sigmoid(z) is computed as sigmoid(-z) to keep its relative accuracy.
        return np.stack([q, p], axis=1)


class MultinomialLoss(_Loss[np.ndarray]):
    r"""Softmax cross-entropy on logits ``raw`` of shape (n_samples, n_classes).

    .. math::

        \ell(y, z) = \operatorname{logsumexp}(z) - z_y, \qquad
        \frac{\partial \ell}{\partial z_k} = p_k - [y = k], \qquad
        \frac{\partial^2 \ell}{\partial z_k \partial z_l} = p_k [k = l] - p_k p_l,

    with :math:`p = \operatorname{softmax}(z)` and integer labels
    :math:`y \in \{0, \dots, K-1\}`. Per-sample outputs are multiplied by
    ``sample_weight`` when given.

    Parameters
    ----------
    n_classes : int, optional
        If given, ``raw`` must have this many columns.

    Notes
    -----
    With :math:`m = \max_k z_k`, :math:`d = z - m \le 0` and :math:`1 + r = \sum_k
    e^{d_k} \in [1, K]` (:math:`r` summed over the non-maximal entries), the loss is
    :math:`\log1p(r) - d_y` (logsumexp minus the true logit, both shifted by :math:`m`;
    no overflow, and small losses keep their relative accuracy) and
    :math:`p = e^{d} / (1 + r)`. The gradient rows sum to
    zero (the softmax is shift invariant), which is why the sum of a softmax head's weight
    rows receives no gradient (T3 in :data:`softlogit.experiment.THEOREMS`).

    At infinite logits the public methods give the limits: the ``+inf`` logits of a
    row share its probability equally and ``-inf`` ones get none, so the loss is
    ``log(count)`` on a ``+inf`` label and ``+inf`` on a label of probability 0; a
    zero sample weight gives 0 even for an infinite loss. A row of all ``-inf``
    has no limit and gives NaN, as NaN logits do.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit import MultinomialLoss
    >>> loss = MultinomialLoss()
    >>> raw = np.array([[0.0, 0.0], [0.0, 1000.0]])
    >>> loss.loss(y=[1, 0], raw=raw).tolist()
    [0.6931471805599453, 1000.0]
    >>> loss.gradient(y=[1, 0], raw=raw).tolist()
    [[0.5, -0.5], [-1.0, 1.0]]
    """

    def __init__(self, n_classes: int | None = None) -> None:
        self.n_classes: int | None = check_param(
            "n_classes", n_classes, (Integer(low=2), NONE)
        )

    def __repr__(self) -> str:
        return f"MultinomialLoss(n_classes={self.n_classes!r})"

    def _parts(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None
    ) -> tuple[FloatArray, np.ndarray, FloatArray | None]:
        z = _float_raw(raw, 2)
        n, k = z.shape
        if self.n_classes is not None and k != self.n_classes:
            raise InputValueError(
                f"`raw` must have {self.n_classes} columns (n_classes); got {k}."
            )
        if k < 2:
            raise InputValueError(f"`raw` must have at least 2 columns; got {k}.")
        labels = _check_labels(_labels(y, n, "integer class labels"), k)
        return z, labels, _float_weight(sample_weight, n, z.dtype)

    @staticmethod
    def _loss(z: FloatArray, labels: np.ndarray, sw: FloatArray | None) -> FloatArray:
        d, _, r = softmax_parts(z)
        # logsumexp(z) - z_y = log1p(r) - d_y.
        out: FloatArray = np.log1p(r[:, 0]) - d[np.arange(z.shape[0]), labels]
        return out if sw is None else out * sw

    @staticmethod
    def _loss_gradient(
        z: FloatArray, labels: np.ndarray, sw: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        d, e, r = softmax_parts(z)
        rows = np.arange(z.shape[0])
        # logsumexp(z) - z_y = log1p(r) - d_y.
        loss = np.log1p(r[:, 0]) - d[rows, labels]
        g = e / (1 + r)
        g[rows, labels] -= 1
        if sw is not None:
            loss = loss * sw
            g *= sw[:, None]
        return loss, g

    @staticmethod
    def _loss_gradient_fast(
        zt: FloatArray, labels: np.ndarray, sw: FloatArray | None
    ) -> tuple[float, FloatArray]:
        """Summed loss and per-sample gradient from transposed logits, for the solvers.

        ``zt`` holds the logits transposed, shape ``(n_classes, n_samples)``, and is
        overwritten by the gradient (also transposed), which is returned: the softmax
        of :func:`softlogit._special.softmax_columns` minus the one-hot labels. Its
        loss, ``log(s) - d_y``, differs from :meth:`_loss_gradient`'s
        ``log1p(r) - d_y`` by about one ulp of 1 (a loss below 1e-16 is not resolved).
        """
        zt = np.ascontiguousarray(zt)  # ``flat`` below must be a view
        n = zt.shape[1]
        flat = zt.reshape(-1)
        at_label = labels * n + np.arange(n)
        loss = softmax_columns(zt, at_label)
        flat[at_label] -= 1.0
        if sw is None:
            return float(loss.sum()), zt
        zt *= sw
        return float(loss @ sw), zt

    @classmethod
    def _gradient(
        cls, z: FloatArray, labels: np.ndarray, sw: FloatArray | None
    ) -> FloatArray:
        return cls._loss_gradient(z, labels, sw)[1]

    @staticmethod
    def _limits(
        z: FloatArray, labels: np.ndarray, sw: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        rows = np.arange(z.shape[0])
        # log_softmax and softmax give +inf entries equal shares, -inf entries
        # nothing: the loss -log p_y is log(count) on a +inf label, +inf on a
        # label of zero probability. A row of all -inf (no limit) stays NaN.
        loss = 0.0 - log_softmax64(z, -1)[rows, labels].astype(z.dtype)
        g = _proba_limits(z)
        g[rows, labels] -= 1
        return _weighted(loss, sw), _weighted(g, sw)

    @staticmethod
    def _gradient_proba(
        z: FloatArray, labels: np.ndarray, sw: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        if not _all_finite(z):
            _, g = MultinomialLoss._limits(z, labels, sw)
            return g, _proba_limits(z)
        _, e, r = softmax_parts(z)
        p = e / (1 + r)
        g = p.copy()
        g[np.arange(z.shape[0]), labels] -= 1
        if sw is not None:
            g *= sw[:, None]
        return g, p

    def gradient_proba(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Per-sample gradients and the softmax probabilities (unweighted).

        Parameters
        ----------
        y, raw, sample_weight
            As in :meth:`loss`.

        Returns
        -------
        gradient, proba : ndarray of shape (n_samples, n_classes)
        """
        return self._gradient_proba(*self._parts(y, raw, sample_weight))

    def gradient_hessian_product(
        self, y: ArrayLike, raw: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[FloatArray, HessP]:
        r"""Per-sample gradients and a function applying the per-sample Hessians.

        Parameters
        ----------
        y, raw, sample_weight
            As in :meth:`loss`.

        Returns
        -------
        gradient : ndarray of shape (n_samples, n_classes)
        hessp : callable
            ``hessp(v)`` with ``v`` of shape (n_samples, n_classes) returns, row by row,
            :math:`s_i (\operatorname{diag}(p_i) - p_i p_i^\top) v_i
            = s_i\, p_i \odot (v_i - p_i^\top v_i)`.
        """
        z, labels, sw = self._parts(y, raw, sample_weight)
        g, p = self._gradient_proba(z, labels, sw)

        def hessp(v: ArrayLike) -> FloatArray:
            arr = _float_raw(v, 2, "v")
            if arr.shape != p.shape:
                raise InputValueError(
                    f"`v` must have shape {p.shape}; got {arr.shape}."
                )
            out = _multinomial_hessp(p, arr)
            return out if sw is None else out * sw[:, None]

        return g, hessp

    def predict_proba(self, raw: ArrayLike) -> FloatArray:
        """Class probabilities ``softmax(raw)``.

        Parameters
        ----------
        raw : array_like of shape (n_samples, n_classes)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``+inf`` logits of a row share its mass equally, ``-inf`` ones get 0
            (the limits); a row of all ``-inf`` has none and gives NaN.
        """
        z = _float_raw(raw, 2)
        if not _all_finite(z):
            return _proba_limits(z)
        _, e, r = softmax_parts(z)
        out: FloatArray = e / (1 + r)
        return out


def _proba_limits(z: FloatArray) -> FloatArray:
    """The softmax of logits with infinities (see ``predict_proba``)."""
    out: FloatArray = softmax(z, axis=-1).astype(z.dtype, copy=False)
    return out


def _multinomial_hessp(p: FloatArray, v: FloatArray) -> FloatArray:
    # (diag(p) - p p^T) v = p * (v - <p, v>), row by row.
    out: FloatArray = p * (v - np.sum(p * v, axis=1, keepdims=True))
    return out
