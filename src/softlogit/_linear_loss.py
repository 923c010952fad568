"""The penalized objective of a linear model: a loss on logits, ``X``, intercept and L2.

:class:`LinearModelLoss` turns a stateless loss on logits (:class:`BinomialLoss`,
:class:`MultinomialLoss`) into the objective of logistic or softmax regression,

.. math::

    F(W, b) = \\frac{1}{S} \\sum_i s_i\\, \\ell(y_i, W x_i + b)
              + \\frac{\\lambda}{2} \\lVert W \\rVert_F^2,
    \\qquad S = \\sum_i s_i,

scikit-learn's objective with :math:`\\lambda = 1 / (C S)`; the intercept :math:`b` is
not penalized. Logits of all classes are computed at once as ``X @ W.T + b`` and the
gradient as ``G.T @ X``: two matrix products per evaluation (BLAS), not a loop over
samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from softlogit._gram import (
    add_weighted_gram,
    class_pair_information,
    in_row_ranges,
    weighted_gram,
)
from softlogit._loss import (
    BinomialLoss,
    MultinomialLoss,
    _check_labels,
    _float_weight,
    _multinomial_hessp,
)
from softlogit._rows import (
    PREFETCH_FEATURES,
    add_class_gradient,
    class_logits_t,
    float64_rows,
    prefetch,
    rows_matmul,
    rows_tmatmul,
)
from softlogit._sparse import is_sparse
from softlogit._typing import ArrayLike, FloatArray
from softlogit._validation import real_array
from softlogit.errors import InputTypeError, InputValueError

__all__ = ["LinearModelLoss"]

HessP = Callable[[ArrayLike], FloatArray]


def _hessian_rows(X: FloatArray) -> int:
    """Rows per block of the Hessian passes: ``_HESSIAN_BLOCK_ROWS``, or for float32
    ``X`` (each block converted to float64) those of :func:`_block_rows`."""
    if isinstance(X, np.ndarray) and X.dtype == np.float32:
        return min(_HESSIAN_BLOCK_ROWS, _block_rows(X))
    return _HESSIAN_BLOCK_ROWS


def _block_rows(X: FloatArray, n_classes: int = 0) -> int:
    """Rows per block for :meth:`LinearModelLoss._loss_gradient_blocked` (~4 MiB).

    At least 1024 rows, so that per-block Python and ufunc overhead stays small;
    about 4 MiB of ``X`` in float64 and of the block's per-class arrays (logits and
    gradients, two per class: ``n_classes``), so that a block read once stays in
    cache for its second use (timings: ``benchmarks/results/fit_notes.md``). float32
    blocks are converted. A sparse ``X`` is one block, used as it is (slicing it
    would copy its entries).
    """
    if is_sparse(X):
        # A slice of a sparse matrix is a copy of its rows' entries: one block.
        return max(1, int(X.shape[0]))
    return max(1024, (1 << 22) // ((max(1, int(X.shape[1])) + 2 * n_classes) * 8))


# Rows per block of the Hessian passes (gradient_hessian): the per-sample arrays of a
# block (logits, probabilities, weights: 512 KiB per class) stay small next to X
# while each block still has enough rows for class_pair_information's threads.
_HESSIAN_BLOCK_ROWS = 1 << 16


def _blocks(
    X: Any, rows: slice, step: int, *, sweep: bool = True
) -> Iterator[tuple[slice, Any]]:
    """The blocks of ``step`` rows of ``X[rows]`` for a pass over the data: each
    block's rows and the block in float64 (:func:`float64_rows`), read in one sweep
    first (:func:`prefetch`) with ``sweep`` unless converted (then it is in cache
    already). ``X`` itself when one block is all of it: a sparse ``X`` is never
    sliced (a slice copies its entries)."""
    if rows.start == 0 and rows.stop >= X.shape[0] and step >= X.shape[0]:
        blocks = [rows]
    else:
        blocks = [
            slice(start, min(start + step, rows.stop))
            for start in range(rows.start, rows.stop, step)
        ]
    for r in blocks:
        Xb = X if r.start == 0 and r.stop >= X.shape[0] else X[r]
        converted = float64_rows(Xb)
        if sweep and converted is Xb:
            prefetch(Xb)
        yield r, converted


class LinearModelLoss:
    r"""Penalized loss of a linear model, with gradient and Hessian in the coefficients.

    Parameters
    ----------
    base_loss : BinomialLoss or MultinomialLoss
        The loss on logits.
    fit_intercept : bool, default=True
        Whether ``coef`` carries an intercept in its last column.

    Notes
    -----
    **Coefficient layout.** For :class:`BinomialLoss`, ``coef`` has ``n_features``
    entries, plus the intercept last when ``fit_intercept`` (any shape with that many
    entries, e.g. ``(n_dof,)`` or ``(1, n_dof)``). For :class:`MultinomialLoss`,
    ``coef`` has shape ``(n_classes, n_dof)``, row ``k`` being ``[w_k, b_k]``, or is that
    array flattened in C order; ``n_classes`` is read from its size. Gradients have the
    shape of ``coef``.

    **Objective.** ``F = sum_i s_i loss_i / S + l2_reg_strength / 2 * ||W||^2`` with
    ``S = sum_i s_i`` (``n_samples`` without weights). Multiplying every weight by an
    integer is the same as repeating the samples.

    **Gauge.** The multinomial loss is invariant under adding one vector to all rows of
    ``coef``; the penalty is not (except for the intercepts). :meth:`gradient_hessian`
    with ``reference_index`` removes this freedom (see there).

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit import LinearModelLoss, MultinomialLoss
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> y = np.array([0, 1, 2])
    >>> lml = LinearModelLoss(MultinomialLoss(), fit_intercept=True)
    >>> coef = np.zeros((3, 3))
    >>> round(lml.loss(coef, X, y), 6)  # log(3): uniform probabilities
    1.098612
    >>> lml.gradient(coef, X, y, l2_reg_strength=1.0).sum(axis=0)  # rows sum to 0
    array([0., 0., 0.])
    """

    def __init__(
        self, base_loss: BinomialLoss | MultinomialLoss, fit_intercept: bool = True
    ) -> None:
        if not isinstance(base_loss, (BinomialLoss, MultinomialLoss)):
            raise InputTypeError(
                "`base_loss` must be a BinomialLoss or MultinomialLoss; got "
                f"{type(base_loss).__name__}."
            )
        self.base_loss = base_loss
        self.fit_intercept = bool(fit_intercept)

    def __repr__(self) -> str:
        return (
            f"LinearModelLoss(base_loss={self.base_loss!r}, "
            f"fit_intercept={self.fit_intercept})"
        )

    @property
    def is_multinomial(self) -> bool:
        """Whether the base loss is the multinomial (softmax) loss."""
        return isinstance(self.base_loss, MultinomialLoss)

    # ------------------------------------------------------------------ layout
    def init_zero_coef(self, X: ArrayLike, n_classes: int = 2) -> FloatArray:
        """Zero coefficients of the right shape for ``X``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        n_classes : int, default=2
            Used by the multinomial loss only.

        Returns
        -------
        ndarray
            ``(n_dof,)`` for the binomial loss, ``(n_classes, n_dof)`` for the
            multinomial loss, with ``n_dof = n_features + fit_intercept``.
        """
        n_dof = np.shape(X)[1] + self.fit_intercept
        if self.is_multinomial:
            return np.zeros((n_classes, n_dof))
        return np.zeros(n_dof)

    def weight_intercept(
        self, coef: ArrayLike, n_features: int
    ) -> tuple[FloatArray, FloatArray]:
        """Split ``coef`` into weights and intercept.

        Parameters
        ----------
        coef : array_like
            Coefficients in the layout described in the class notes.
        n_features : int

        Returns
        -------
        weights : ndarray
            ``(n_features,)`` (binomial) or ``(n_classes, n_features)`` (multinomial).
        intercept : ndarray
            ``()`` (binomial) or ``(n_classes,)``; zeros without ``fit_intercept``.
        """
        c = self._shaped(np.asarray(coef, dtype=float), n_features)
        if self.is_multinomial:
            if self.fit_intercept:
                return c[:, :-1], c[:, -1]
            return c, np.zeros(c.shape[0], dtype=c.dtype)
        if self.fit_intercept:
            return c[:-1], c[-1]
        return c, np.zeros((), dtype=c.dtype)

    def _shaped(self, coef: FloatArray, n_features: int) -> FloatArray:
        n_dof = n_features + self.fit_intercept
        if not self.is_multinomial:
            if coef.size != n_dof:
                raise InputValueError(
                    f"`coef` must have n_features + fit_intercept = {n_dof} entries; "
                    f"got shape {coef.shape}."
                )
            return coef.reshape(n_dof)
        if coef.ndim == 2:
            if coef.shape[1] != n_dof or coef.shape[0] < 2:
                raise InputValueError(
                    f"`coef` must have shape (n_classes >= 2, {n_dof}); "
                    f"got shape {coef.shape}."
                )
            return coef
        if coef.ndim != 1 or n_dof == 0 or coef.size % n_dof or coef.size < 2 * n_dof:
            raise InputValueError(
                f"`coef` must have shape (n_classes, {n_dof}) or be that array "
                f"flattened; got shape {coef.shape}."
            )
        return coef.reshape(-1, n_dof)

    def _prepare(
        self,
        coef: ArrayLike,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None,
        l2_reg_strength: float,
    ) -> tuple[FloatArray, FloatArray, np.ndarray, FloatArray | None, float, float]:
        """Validate the arguments; return coef (shaped), X, y, sw, S and l2."""
        # scipy.sparse features stay sparse: every product below accepts them.
        X_arr: Any = X if is_sparse(X) else real_array("X", X)
        if X_arr.ndim != 2:
            raise InputValueError(f"`X` must be 2-D; got shape {X_arr.shape}.")
        if X_arr.dtype.kind != "f":
            X_arr = X_arr.astype(np.float64)
        n, p = X_arr.shape
        c = real_array("coef", coef)
        c = self._shaped(c.astype(np.result_type(c.dtype, np.float32)), p)
        z_dtype = np.result_type(X_arr.dtype, c.dtype)
        y_arr = np.asarray(y)
        if y_arr.shape != (n,):
            raise InputValueError(
                f"`y` must have shape ({n},); got shape {y_arr.shape}."
            )
        if self.is_multinomial:
            k = c.shape[0]
            if self.base_loss.n_classes is not None and k != self.base_loss.n_classes:
                raise InputValueError(
                    f"`coef` must have {self.base_loss.n_classes} rows (n_classes); "
                    f"got {k}."
                )
            y_arr = _check_labels(y_arr, k)
        else:
            # The labels alone are checked: no logits of the size of y are formed.
            y_arr = BinomialLoss._targets(y_arr, n, z_dtype)
        sw = _float_weight(sample_weight, n, z_dtype)
        sw_sum = float(n) if sw is None else float(np.sum(sw))
        if not sw_sum > 0:
            raise InputValueError(
                f"`sample_weight` must have a positive sum; got {sw_sum!r}."
                if sample_weight is not None
                else "`X` has no samples."
            )
        l2 = float(l2_reg_strength)
        if not (np.isfinite(l2) and l2 >= 0):
            raise InputValueError(
                f"`l2_reg_strength` must be finite and >= 0; got {l2_reg_strength!r}."
            )
        return c, X_arr, y_arr, sw, sw_sum, l2

    def _raw(self, c: FloatArray, X: FloatArray) -> FloatArray:
        """Logits: ``X @ w + b`` (binomial) or ``X @ W.T + b`` (multinomial)."""
        if self.is_multinomial:
            if self.fit_intercept:
                return rows_matmul(X, c[:, :-1].T) + c[:, -1]
            return rows_matmul(X, c.T)
        if self.fit_intercept:
            out: FloatArray = rows_matmul(X, c[:-1]) + c[-1]
            return out
        return rows_matmul(X, c)

    def _weights(self, c: FloatArray) -> FloatArray:
        if self.fit_intercept:
            return c[..., :-1]
        return c

    def _backprop(
        self, G: FloatArray, X: FloatArray, c: FloatArray, sw_sum: float, l2: float
    ) -> FloatArray:
        """Gradient in ``coef`` from the per-sample gradient ``G`` in the logits."""
        if self.is_multinomial:
            gw = rows_tmatmul(G, X) / sw_sum
            gb = G.sum(axis=0) / sw_sum
        else:
            gw = rows_tmatmul(G, X, x_first=True) / sw_sum
            gb = G.sum() / sw_sum
        return self._penalized(gw, gb, c, l2, np.result_type(G.dtype, c.dtype))

    def _penalized(
        self,
        gw: FloatArray,
        gb: FloatArray | float,
        c: FloatArray,
        l2: float,
        dtype: np.dtype[Any],
    ) -> FloatArray:
        """The gradient in ``coef`` from the mean loss's gradients ``gw`` and ``gb``."""
        grad = np.empty_like(c, dtype=dtype)
        if self.fit_intercept:
            grad[..., :-1] = gw + l2 * c[..., :-1]
            grad[..., -1] = gb
        else:
            grad[...] = gw + l2 * c
        return grad

    # ------------------------------------------------------------------ public
    def loss(
        self,
        coef: ArrayLike,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        l2_reg_strength: float = 0.0,
    ) -> float:
        """The penalized objective ``F`` at ``coef``.

        Parameters
        ----------
        coef : array_like
            Coefficients (layout in the class notes).
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Labels: 0/1 (binomial) or integers in ``[0, n_classes)`` (multinomial).
        sample_weight : array_like of shape (n_samples,), optional
        l2_reg_strength : float, default=0.0
            :math:`\\lambda`; scikit-learn's ``C`` corresponds to ``1 / (C S)``.

        Returns
        -------
        float
        """
        c, X_arr, y_arr, sw, sw_sum, l2 = self._prepare(
            coef, X, y, sample_weight, l2_reg_strength
        )
        losses = self.base_loss._loss(self._raw(c, X_arr), y_arr, sw)
        w = self._weights(c)
        return float(np.sum(losses) / sw_sum + 0.5 * l2 * np.sum(w * w))

    def loss_gradient(
        self,
        coef: ArrayLike,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        l2_reg_strength: float = 0.0,
    ) -> tuple[float, FloatArray]:
        """The objective and its gradient in ``coef``.

        Parameters
        ----------
        coef, X, y, sample_weight, l2_reg_strength
            As in :meth:`loss`.

        Returns
        -------
        loss : float
        gradient : ndarray
            Shape of ``coef``.
        """
        c, X_arr, y_arr, sw, sw_sum, l2 = self._prepare(
            coef, X, y, sample_weight, l2_reg_strength
        )
        w = self._weights(c)
        if self.is_multinomial:
            total, grad = self._loss_gradient_blocked(c, X_arr, y_arr, sw, sw_sum, l2)
        else:
            total, grad = self._binomial_loss_gradient(c, X_arr, y_arr, sw, sw_sum, l2)
        value = float(total / sw_sum + 0.5 * l2 * np.sum(w * w))
        return value, grad.reshape(np.shape(coef))

    def _loss_gradient_blocked(
        self,
        c: FloatArray,
        X: FloatArray,
        y: np.ndarray,
        sw: FloatArray | None,
        sw_sum: float,
        l2: float,
    ) -> tuple[float, FloatArray]:
        """Summed multinomial loss and the objective's gradient, by blocks of rows.

        Each block of ``X`` (a few MiB, see :func:`_block_rows`) is read from memory
        once and used twice while it is still in cache: for the transposed logits
        ``W @ X_b.T`` and for ``G_b @ X_b``. The logits are kept transposed,
        ``(n_classes, rows)``, so that the softmax's reductions over the classes run
        between contiguous rows (:meth:`MultinomialLoss._loss_gradient_fast`). Both
        products go by sub-blocks of rows that BLAS takes as small products
        (:func:`softlogit._rows.class_logits_t`).
        """
        W = self._weights(c)
        bias = c[:, -1:] if self.fit_intercept else None
        dtype = np.result_type(X.dtype, c.dtype)

        def part(rows: slice) -> tuple[float, FloatArray, FloatArray]:
            gw = np.zeros(W.shape, dtype=dtype)
            gb = np.zeros(W.shape[0], dtype=dtype)
            total = 0.0
            for r, Xb in _blocks(X, rows, _block_rows(X, W.shape[0])):
                zt = class_logits_t(Xb, W, bias)
                loss, G = MultinomialLoss._loss_gradient_fast(
                    zt, y[r], None if sw is None else sw[r]
                )
                total += loss
                add_class_gradient(gw, G, Xb)
                if bias is not None:
                    gb += G.sum(axis=1)
            return total, gw, gb

        parts = in_row_ranges(
            part, X, X.shape[0] * X.shape[1] * W.shape[0], _block_rows(X, W.shape[0])
        )
        total = math.fsum(t for t, _, _ in parts)
        gw = np.sum([g for _, g, _ in parts], axis=0)
        gb = np.sum([g for _, _, g in parts], axis=0)
        return total, self._penalized(gw / sw_sum, gb / sw_sum, c, l2, gw.dtype)

    def _binomial_loss_gradient(
        self,
        c: FloatArray,
        X: FloatArray,
        y: np.ndarray,
        sw: FloatArray | None,
        sw_sum: float,
        l2: float,
    ) -> tuple[float, FloatArray]:
        """Summed binomial loss and the objective's gradient, by blocks of rows.

        As :meth:`_loss_gradient_blocked`: each block of ``X`` is read from memory
        once for the logits ``X_b w + b`` and ``X_b^T g_b``, and the per-sample
        arrays are those of one block, not of all samples.
        """
        w = self._weights(c)
        dtype = np.result_type(X.dtype, c.dtype)

        def part(rows: slice) -> tuple[float, FloatArray, float]:
            gw = np.zeros(w.shape, dtype=dtype)
            gb = total = 0.0
            for r, Xb in _blocks(X, rows, _block_rows(X)):
                losses, G = BinomialLoss._loss_gradient(
                    self._raw(c, Xb), y[r], None if sw is None else sw[r]
                )
                total += float(np.sum(losses))
                gw += rows_tmatmul(G, Xb)
                gb += float(np.sum(G))
            return total, gw, gb

        parts = in_row_ranges(part, X, X.shape[0] * X.shape[1], _block_rows(X))
        total = math.fsum(t for t, _, _ in parts)
        gw = np.sum([g for _, g, _ in parts], axis=0)
        gb = math.fsum(g for _, _, g in parts)
        return total, self._penalized(gw / sw_sum, gb / sw_sum, c, l2, gw.dtype)

    def gradient(
        self,
        coef: ArrayLike,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        l2_reg_strength: float = 0.0,
    ) -> FloatArray:
        """The gradient of the objective in ``coef``.

        Parameters
        ----------
        coef, X, y, sample_weight, l2_reg_strength
            As in :meth:`loss`.

        Returns
        -------
        ndarray
            Shape of ``coef``.
        """
        return self.loss_gradient(coef, X, y, sample_weight, l2_reg_strength)[1]

    def gradient_hessian_product(
        self,
        coef: ArrayLike,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        l2_reg_strength: float = 0.0,
    ) -> tuple[FloatArray, HessP]:
        """The gradient and a function computing Hessian-vector products at ``coef``.

        Parameters
        ----------
        coef, X, y, sample_weight, l2_reg_strength
            As in :meth:`loss`.

        Returns
        -------
        gradient : ndarray
            Shape of ``coef``.
        hessp : callable
            ``hessp(s)`` with ``s`` of the shape of ``coef`` returns the Hessian of the
            objective applied to ``s`` (same shape), at a cost of two matrix products.
        """
        c, X_arr, y_arr, sw, sw_sum, l2 = self._prepare(
            coef, X, y, sample_weight, l2_reg_strength
        )
        shape = np.shape(coef)
        raw = self._raw(c, X_arr)
        if self.is_multinomial:
            G, P = MultinomialLoss._gradient_proba(raw, y_arr, sw)
            h: FloatArray | None = None
        else:
            G, h = BinomialLoss._gradient_hessian(raw, y_arr, sw)
        grad = self._backprop(G, X_arr, c, sw_sum, l2)

        def hessp(s: ArrayLike) -> FloatArray:
            s_arr = np.asarray(s, dtype=grad.dtype)
            if s_arr.size != c.size:
                raise InputValueError(
                    f"`s` must have the shape of `coef` {shape}; got {s_arr.shape}."
                )
            s_arr = s_arr.reshape(c.shape)
            # d raw = X s_W^T + s_b; the Hessian of the mean loss is X^T H_raw X / S.
            r = self._raw(s_arr, X_arr)
            if h is None:
                Q = _multinomial_hessp(P, r)
                if sw is not None:
                    Q *= sw[:, None]
            else:
                Q = h * r
            return self._backprop(Q, X_arr, s_arr, sw_sum, l2).reshape(shape)

        return grad.reshape(shape), hessp

    def gradient_hessian(
        self,
        coef: ArrayLike,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        l2_reg_strength: float = 0.0,
        *,
        reference_index: int | None = None,
        reference_class: int | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        r"""The gradient and the exact Hessian matrix, for Newton's method.

        Parameters
        ----------
        coef, X, y, sample_weight, l2_reg_strength
            As in :meth:`loss`.
        reference_index : int, optional
            Multinomial loss only: the index (row of ``coef``) of the reference
            class. Without it, the Hessian is that of the full
            ``n_classes * n_dof`` parametrization, singular along the gauge
            directions. With it, the gauge is eliminated: the result is the gradient
            and Hessian of the reduced objective

            .. math:: \phi \mapsto F(\operatorname{center}(E_r \phi)),

            where :math:`E_r` inserts a zero row for class :math:`r` and
            ``center`` subtracts the class mean of every column. :math:`\phi` holds the
            other ``n_classes - 1`` rows of ``coef - coef[r]``; the loss does not
            change under the map and the penalty becomes the minimum of
            :math:`\|W\|^2` over the gauge, :math:`\sum_k \|V_k\|^2 - \|\sum_k
            V_k\|^2 / K`. The reduced Hessian is positive definite for any positive
            L2 strength (and without a penalty on non-separable data of full rank).
        reference_class : int, optional
            Deprecated alias of ``reference_index`` (an index, not a label), kept
            for one release; it warns with a ``DeprecationWarning``.

        Returns
        -------
        gradient : ndarray
            Shape of ``coef``; with ``reference_index``, ``(n_classes - 1, n_dof)``.
        hessian : ndarray of shape (m, m)
            ``m`` is the size of the returned gradient, which it indexes in C order.
        """
        if reference_class is not None:
            import warnings

            warnings.warn(
                "LinearModelLoss.gradient_hessian(reference_class=...) is deprecated "
                "and will be removed in the next release; pass reference_index=... "
                "(the same class index).",
                DeprecationWarning,
                stacklevel=2,
            )
            if reference_index is None:
                reference_index = reference_class
        c, X_arr, y_arr, sw, sw_sum, l2 = self._prepare(
            coef, X, y, sample_weight, l2_reg_strength
        )
        n_features = X_arr.shape[1]
        if not self.is_multinomial:
            if reference_index is not None:
                raise InputValueError(
                    "`reference_index` applies to the multinomial loss only; got "
                    f"{reference_index!r} with BinomialLoss."
                )
            grad, H = self._binomial_gradient_hessian(c, X_arr, y_arr, sw, sw_sum, l2)
            return grad.reshape(np.shape(coef)), H

        n_classes, n_dof = c.shape
        if reference_index is None:
            keep = list(range(n_classes))
            c_eval = c
            pen = np.eye(n_classes)
        else:
            r = _check_reference(reference_index, n_classes)
            keep = [k for k in range(n_classes) if k != r]
            c_eval = c - c[r]
            c_eval = c_eval - c_eval.mean(axis=0)
            # d/dphi of ||center(E phi)_W||^2 / 2 is the centering projector I - J/K.
            pen = np.eye(n_classes - 1) - 1.0 / n_classes
        grad, H = self._multinomial_gradient_hessian(
            c_eval, keep, X_arr, y_arr, sw, sw_sum, l2
        )
        n_w = np.arange(n_features)
        for a in range(len(keep)):
            for b in range(len(keep)):
                if pen[a, b]:
                    H[a * n_dof + n_w, b * n_dof + n_w] += l2 * pen[a, b]
        if reference_index is None:
            return grad.reshape(np.shape(coef)), H
        return grad, H

    def _binomial_gradient_hessian(
        self,
        c: FloatArray,
        X: FloatArray,
        y: np.ndarray,
        sw: FloatArray | None,
        sw_sum: float,
        l2: float,
    ) -> tuple[FloatArray, FloatArray]:
        """Gradient and Hessian of the binomial objective, summed over row blocks.

        A dense ``X`` with :data:`~softlogit._rows.PREFETCH_FEATURES` features or
        more goes in blocks of about 1 MiB, each read from memory once for its
        logits, gradient and Gram matrix (:func:`_blocks`), in row ranges in
        threads, each on one BLAS thread (:func:`in_row_ranges`); otherwise in
        blocks of ``_HESSIAN_BLOCK_ROWS`` (per-sample arrays of one block at a time;
        with fewer features the products stream well and the smaller blocks were
        slower, timings in ``benchmarks/results/fit_notes.md``).
        """
        w = self._weights(c)
        dtype = np.result_type(X.dtype, c.dtype)
        n_dof = X.shape[1] + self.fit_intercept
        read_once = not is_sparse(X) and X.shape[1] >= PREFETCH_FEATURES
        step = _hessian_rows(X)
        if read_once:
            step = min(step, max(256, (1 << 20) // (8 * n_dof)))

        def part(rows: slice) -> tuple[FloatArray, float, FloatArray]:
            gw, gb, H = np.zeros(w.shape, dtype=dtype), 0.0, np.zeros((n_dof,) * 2)
            buf = np.empty((step, n_dof)) if read_once else None
            for r, Xb in _blocks(X, rows, step):
                G, h = BinomialLoss._gradient_hessian(
                    self._raw(c, Xb), y[r], None if sw is None else sw[r]
                )
                gw += rows_tmatmul(G, Xb)
                gb += float(np.sum(G))
                if buf is None:
                    H += weighted_gram(Xb, h / sw_sum, self.fit_intercept)
                else:
                    add_weighted_gram(H, Xb, h / sw_sum, self.fit_intercept, buf)
            return gw, gb, H

        if read_once:
            work = X.shape[0] * n_dof * n_dof
            parts = in_row_ranges(part, X, work, step, one_blas_thread=True)
        else:
            parts = [part(slice(0, X.shape[0]))]
        gw = np.sum([g for g, _, _ in parts], axis=0)
        gb = math.fsum(g for _, g, _ in parts)
        H = np.sum([h for _, _, h in parts], axis=0)
        H[np.arange(X.shape[1]), np.arange(X.shape[1])] += l2
        return self._penalized(gw / sw_sum, gb / sw_sum, c, l2, gw.dtype), H

    def _multinomial_gradient_hessian(
        self,
        c: FloatArray,
        keep: list[int],
        X: FloatArray,
        y: np.ndarray,
        sw: FloatArray | None,
        sw_sum: float,
        l2: float,
    ) -> tuple[FloatArray, FloatArray]:
        """Gradient (rows ``keep``) and Hessian (classes ``keep``, without the
        penalty) of the multinomial objective at ``c``, summed over row blocks."""
        W = self._weights(c)
        gw = np.zeros(W.shape, dtype=np.result_type(X.dtype, c.dtype))
        gb = np.zeros(W.shape[0], dtype=gw.dtype)
        m = len(keep) * (X.shape[1] + self.fit_intercept)
        H = np.zeros((m, m))
        # (blocks of many rows, which do not stay in cache: not swept first)
        for r, Xb in _blocks(X, slice(0, X.shape[0]), _hessian_rows(X), sweep=False):
            swb = None if sw is None else sw[r]
            G, P = MultinomialLoss._gradient_proba(self._raw(c, Xb), y[r], swb)
            gw += rows_tmatmul(G, Xb)
            gb += G.sum(axis=0)
            swn = (np.ones(Xb.shape[0]) if swb is None else swb) / sw_sum
            H += _multinomial_hessian(Xb, P[:, keep], swn, self.fit_intercept)
        grad = self._penalized(gw / sw_sum, gb / sw_sum, c, l2, gw.dtype)
        return grad[keep], H


def _check_reference(reference_index: int, n_classes: int) -> int:
    if isinstance(reference_index, bool) or not isinstance(
        reference_index, (int, np.integer)
    ):
        raise InputTypeError(
            "`reference_index` must be an integer; got "
            f"{type(reference_index).__name__}."
        )
    if not 0 <= reference_index < n_classes:
        raise InputValueError(
            f"`reference_index` must lie in [0, {n_classes - 1}]; "
            f"got {reference_index}."
        )
    return int(reference_index)


def _multinomial_hessian(
    X: FloatArray, P: FloatArray, swn: FloatArray, fit_intercept: bool
) -> FloatArray:
    """Hessian of the weighted mean multinomial loss in the rows of the columns of P.

    Block ``(k, l)`` is ``Xa^T diag(swn * (p_k [k = l] - p_k p_l)) Xa`` with
    ``Xa = [X, 1]``: :func:`~softlogit._gram.class_pair_information` (one symmetric
    Gram matrix per pair of classes).
    """
    info = class_pair_information(X, P, swn, fit_intercept)
    m, q = info.shape[:2]
    out: FloatArray = info.reshape(m * q, m * q)
    return out
