"""The symbols of the derivation, and display helpers for building its expressions.

Every topic of the derivation (:mod:`._steps_forms`, :mod:`._steps_training`,
:mod:`._steps_penalties`) writes its steps with the same :class:`Symbols`, so that the
same letter is the same SymPy symbol in every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from softlogit._derivation._core import Relation
from softlogit._derivation._notation import Dot, Primed, Softmax, Sub, Vector, real

__all__ = ["Symbols", "frac", "minus", "plus", "symbols", "times"]


def minus(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    """``a - b`` kept in this order for display (SymPy would sort it as ``-b + a``)."""
    return sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False)


def plus(*terms: sp.Basic) -> sp.Basic:
    """A sum kept in the given order for display."""
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def times(*factors: sp.Basic) -> sp.Basic:
    """A product kept in the given order for display."""
    return sp.Mul(*factors, evaluate=False)


def frac(numerator: sp.Basic, denominator: sp.Basic) -> sp.Basic:
    """``numerator / denominator`` shown as a fraction, unsimplified."""
    return sp.Mul(numerator, sp.Pow(denominator, -1, evaluate=False), evaluate=False)


@dataclass(frozen=True)
class Symbols:
    """The symbols and recurring expressions of the derivation for ``K`` classes.

    Indices: ``k`` (the class of a statement), ``j`` (a class in a definition),
    ``i`` (a non-reference class, 2..K). Bold vectors: weight rows ``vec_ws``, a
    common shift ``vec_v``, activations ``vec_a``. Scalars ``w``, ``ws``: one
    coordinate of each weight row (``a`` is the matching activation; the rest of the
    logit is absorbed in the bias).
    """

    K: int
    k: sp.Symbol
    j: sp.Symbol
    i: sp.Symbol
    ranges: dict[sp.Symbol, tuple[int, int]]
    z: sp.Symbol
    y: sp.Symbol
    c: sp.Symbol
    u: sp.Symbol
    a: sp.Symbol
    t: sp.Symbol
    p: sp.Symbol
    eta: sp.Symbol
    lam: sp.Symbol
    lam_p: sp.Symbol
    alpha: sp.Symbol
    alpha_p: sp.Symbol
    zs: list[sp.Symbol]
    ys: list[sp.Symbol]
    z1: sp.Symbol
    z2: sp.Symbol
    vec_a: sp.Symbol
    vec_v: sp.Symbol
    vec_w: sp.Symbol
    vec_ws: list[sp.Symbol]
    vec_theta: sp.Symbol
    beta: sp.Symbol
    b: sp.Symbol
    bs: list[sp.Symbol]
    w: sp.Symbol
    ws: list[sp.Symbol]
    theta: sp.Symbol
    loss: sp.Symbol
    loss_1: sp.Symbol
    loss_ref: sp.Symbol
    objective: sp.Symbol
    labels_sum_to_one: Relation
    cross_entropy: sp.Basic
    vector_logits: Relation
    scalar_logits: Relation


def symbols(K: int) -> Symbols:
    """The :class:`Symbols` of the derivation for ``K`` classes."""
    k = sp.Symbol("k", integer=True, positive=True)
    j = sp.Symbol("j", integer=True, positive=True)
    i = sp.Symbol("i", integer=True, positive=True)
    z, y, a = real("z"), real("y"), real("a")
    zs = [real(f"z_{n}") for n in range(1, K + 1)]
    ys = [real(f"y_{n}") for n in range(1, K + 1)]
    vec_a, vec_w = Vector("a"), Vector("w")
    b, w = real("b"), real("w")
    return Symbols(
        K=K,
        k=k,
        j=j,
        i=i,
        ranges={k: (1, K), j: (1, K), i: (2, K)},
        z=z,
        y=y,
        c=real("c"),
        u=real("u"),
        a=a,
        t=real("t"),
        p=sp.Symbol("p", positive=True),
        eta=sp.Symbol("eta", positive=True),
        lam=sp.Symbol("lambda", positive=True),
        lam_p=Primed("lambda", positive=True),
        alpha=sp.Symbol("alpha", positive=True),
        alpha_p=Primed("alpha", positive=True),
        zs=zs,
        ys=ys,
        z1=real("z_1"),
        z2=real("z_2"),
        vec_a=vec_a,
        vec_v=Vector("v"),
        vec_w=vec_w,
        vec_ws=[Vector(f"w_{n}") for n in range(1, K + 1)],
        vec_theta=Vector("theta"),
        beta=real("beta"),
        b=b,
        bs=[real(f"b_{n}") for n in range(1, K + 1)],
        w=w,
        ws=[real(f"w_{n}") for n in range(1, K + 1)],
        theta=real("theta"),
        loss=sp.Symbol("L"),
        loss_1=sp.Symbol("L_1"),
        loss_ref=sp.Symbol("L_ref"),
        objective=sp.Symbol("J"),
        labels_sum_to_one=(plus(*ys), sp.Integer(1)),
        cross_entropy=-plus(*[ys[n] * sp.log(Softmax(n + 1, *zs)) for n in range(K)]),
        vector_logits=(Sub(z, j), plus(Dot(Sub(vec_w, j), vec_a), Sub(b, j))),
        scalar_logits=(Sub(z, j), plus(Sub(w, j) * a, Sub(b, j))),
    )
