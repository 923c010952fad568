"""The derivation's steps for every number of classes: their :class:`Generic` twins.

Each function returns the statement of one step with a symbolic ``K``: classes are
indices of :class:`sympy.IndexedBase` symbols (``z[k]``), a vector of dimension ``D``
has coordinates ``w[k, d]`` and a sum over the classes is a :class:`sympy.Sum`. The
derivatives are taken here, with SymPy's ``diff`` (a sum's derivative by ``z[k]``
brings Kronecker's delta, which :func:`._generic.prove` resolves); equivalent
initializations (``θᵢ = wᵢ - w₁``) are substituted after them, as the ``given`` of
the ``K``-specific steps are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import sympy as sp

from softlogit._derivation._generic import Generic

__all__ = [
    "gauge",
    "gradients",
    "linear_heads",
    "penalty_gradient",
    "reference_class",
    "row_sum_gradient",
    "shift_invariance",
    "training_dynamics",
    "zero_sum",
]

Logit = Callable[[sp.Basic], sp.Basic]


def _index(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


K, D = _index("K"), _index("D")
k, i, j, m, n, q, e = (_index(s) for s in "kijmnqe")
z, y, a, v, b, w = (sp.IndexedBase(s, real=True) for s in "zyavbw")
theta, beta = sp.IndexedBase("theta", real=True), sp.IndexedBase("beta", real=True)
c, u, t, eta, lam = (sp.Symbol(s, real=True) for s in ("c", "u", "a", "eta", "lambda"))
_CLASSES = ((k, sp.Integer(1), K),)
_LABELS = ((sp.Sum(y[n], (n, 1, K)), sp.Integer(1)),)


def _softmax(index: sp.Basic, logit: Logit) -> sp.Basic:
    return sp.exp(logit(index)) / sp.Sum(sp.exp(logit(j)), (j, 1, K))


def _dot(row: Callable[[sp.Basic], sp.Basic]) -> sp.Basic:
    """``row · a`` for a row of dimension ``D``."""
    return sp.Sum(row(e) * a[e], (e, 1, D))


def _cross_entropy(logit: Logit) -> sp.Basic:
    return -sp.Sum(y[n] * sp.log(_softmax(n, logit)), (n, 1, K))


def _linear(index: sp.Basic) -> sp.Basic:
    """Per coordinate: ``z_j = w_j a + b_j``."""
    return w[index] * t + b[index]


@functools.cache
def shift_invariance() -> Generic:
    """``softmax(z + c)ₖ = softmax(z)ₖ``."""
    return Generic(
        _softmax(k, lambda r: z[r] + c), _softmax(k, lambda r: z[r]), ranges=_CLASSES
    )


@functools.cache
def gauge() -> Generic:
    """Rows ``wⱼ + v`` and biases ``bⱼ + u`` give the probabilities of ``wⱼ, bⱼ``."""
    return Generic(
        _softmax(k, lambda r: _dot(lambda d: w[r, d] + v[d]) + b[r] + u),
        _softmax(k, lambda r: _dot(lambda d: w[r, d]) + b[r]),
        ranges=_CLASSES,
    )


@functools.cache
def reference_class() -> Generic:
    """``softmax(z)ₖ = exp(zₖ - z₁) / (1 + Σᵢ₌₂ exp(zᵢ - z₁))``."""
    tail = sp.Sum(sp.exp(z[i] - z[1]), (i, 2, K))
    return Generic(
        _softmax(k, lambda r: z[r]), sp.exp(z[k] - z[1]) / (1 + tail), ranges=_CLASSES
    )


@functools.cache
def linear_heads() -> Generic:
    """Rows ``wⱼ``, biases ``bⱼ``: the reference head ``θᵢ = wᵢ - w₁, βᵢ = bᵢ - b₁``
    (its class 1 has the logit ``(w₁ - w₁)·a + b₁ - b₁ = 0``)."""

    def reference(r: sp.Basic) -> sp.Basic:
        return _dot(lambda d: w[r, d] - w[1, d]) + b[r] - b[1]

    tail = sp.Sum(sp.exp(reference(i)), (i, 2, K))
    return Generic(
        _softmax(k, lambda r: _dot(lambda d: w[r, d]) + b[r]),
        sp.exp(reference(k)) / (1 + tail),
        ranges=_CLASSES,
    )


@functools.cache
def gradients() -> Generic:
    """``∂L/∂zₖ = softmax(z)ₖ - yₖ`` for labels that sum to one."""
    loss = _cross_entropy(lambda r: z[r])
    return Generic(
        sp.diff(loss, z[k]),
        _softmax(k, lambda r: z[r]) - y[k],
        given=_LABELS,
        ranges=_CLASSES,
    )


@functools.cache
def zero_sum() -> Generic:
    """``Σₖ ∂L/∂zₖ = 0``."""
    loss = _cross_entropy(lambda r: z[r])
    return Generic(sp.Sum(sp.diff(loss, z[k]), (k, 1, K)), sp.Integer(0), _LABELS)


@functools.cache
def row_sum_gradient() -> Generic:
    """``Σₖ ∂L/∂wₖ = 0`` with ``zⱼ = wⱼ a + bⱼ``."""
    loss = _cross_entropy(_linear)
    return Generic(sp.Sum(sp.diff(loss, w[k]), (k, 1, K)), sp.Integer(0), _LABELS)


@functools.cache
def penalty_gradient() -> Generic:
    """``Σₖ ∂J/∂wₖ = λ Σₖ wₖ`` for ``J = L + (λ/2) Σⱼ wⱼ²``."""
    objective = _cross_entropy(_linear) + lam / 2 * sp.Sum(w[j] ** 2, (j, 1, K))
    return Generic(
        sp.Sum(sp.diff(objective, w[k]), (k, 1, K)),
        lam * sp.Sum(w[k], (k, 1, K)),
        _LABELS,
    )


@functools.cache
def training_dynamics() -> Generic:
    """For ``i = 2, …, K``: ``Δ(wᵢ - w₁) = Δθᵢ + Σₘ₌₂ Δθₘ``, row ``i`` of
    ``(I + 11ᵀ) Δθ``, from ``θₘ = wₘ - w₁``, ``βₘ = bₘ - b₁``."""
    loss = _cross_entropy(_linear)
    logits = sp.Sum(sp.exp(theta[q] * t + beta[q]), (q, 2, K))
    reference = -(
        y[1] * sp.log(1 / (1 + logits))
        + sp.Sum(
            y[n] * sp.log(sp.exp(theta[n] * t + beta[n]) / (1 + logits)), (n, 2, K)
        )
    )

    def step(r: sp.Basic) -> sp.Basic:
        return -eta * sp.diff(reference, theta[r])

    rhs = (step(i) + sp.Sum(step(m), (m, 2, K))).replace(
        lambda x: isinstance(x, sp.Indexed) and x.base in (theta, beta),
        lambda x: (
            (w if x.base == theta else b)[x.indices[0]]
            - (w if x.base == theta else b)[1]
        ),
    )
    return Generic(
        -eta * (sp.diff(loss, w[i]) - sp.diff(loss, w[1])),
        rhs,
        _LABELS,
        ranges=((i, sp.Integer(2), K),),
    )
