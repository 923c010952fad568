"""The derivation's forms: definitions, the two-class identity, shift invariance and
the gauge, the reference-class form, linear heads and the shared loss."""

from __future__ import annotations

import sympy as sp

from softlogit._derivation import _steps_generic as every_k
from softlogit._derivation._core import Step
from softlogit._derivation._notation import (
    BCE,
    Dot,
    Sigmoid,
    Softmax,
    Sub,
    Vector,
    real,
)
from softlogit._derivation._symbols import Symbols, frac, minus, plus

__all__ = [
    "definitions",
    "linear_heads",
    "reference_form",
    "same_loss",
    "shift_and_gauge",
]


def definitions(s: Symbols) -> list[Step]:
    """softmax, σ and the binary cross-entropy; the two-class identity (T1)."""
    K, k, j, zs, z1, z2 = s.K, s.k, s.j, s.zs, s.z1, s.z2
    return [
        Step(
            "definitions",
            "Definitions",
            "softmax turns K logits into probabilities and σ turns one logit into a "
            "probability; the K softmax outputs sum to one.",
            plus(*[Softmax(n, *zs) for n in range(1, K + 1)]),
            sp.Integer(1),
            notes=(
                (
                    Softmax(k, *zs),
                    frac(sp.exp(Sub(s.z, k)), sp.Sum(sp.exp(Sub(s.z, j)), (j, 1, K))),
                ),
                (
                    Sigmoid(s.t),
                    sp.Pow(plus(sp.Integer(1), sp.exp(-s.t)), -1, evaluate=False),
                ),
                (
                    BCE(s.p, s.y),
                    minus(
                        -s.y * sp.log(s.p), minus(sp.Integer(1), s.y) * sp.log(1 - s.p)
                    ),
                ),
            ),
        ),
        Step(
            "two-class-identity",
            "The two-class identity",
            "A 2-class softmax is the sigmoid of the logit difference: divide "
            "numerator and denominator by exp(z₂).",
            Softmax(2, z1, z2),
            Sigmoid(minus(z2, z1)),
        ),
        Step(
            "two-class-identity-first",
            "The same identity for the first class",
            "The first class gets σ(z₁ - z₂): which difference appears depends only "
            "on which class is called positive.",
            Softmax(1, z1, z2),
            Sigmoid(minus(z1, z2)),
        ),
        Step(
            "sigmoid-symmetry",
            "Both forms agree",
            "σ(z₁ - z₂) = 1 - σ(z₂ - z₁): the two class probabilities add up to one.",
            Sigmoid(minus(z1, z2)),
            minus(sp.Integer(1), Sigmoid(minus(z2, z1))),
        ),
    ]


def shift_and_gauge(s: Symbols) -> list[Step]:
    """Shift invariance of softmax (T1), and the gauge of the softmax rows (T8)."""
    K, k, zs, vec_ws, vec_a, bs = s.K, s.k, s.zs, s.vec_ws, s.vec_a, s.bs
    return [
        Step(
            "shift-invariance",
            "Shift invariance",
            "Adding the same c to every logit leaves every probability unchanged, so "
            "K logits carry only K - 1 numbers' worth of information.",
            Softmax(k, *[plus(zn, s.c) for zn in zs]),
            Softmax(k, *zs),
            ranges=s.ranges,
            generic=every_k.shift_invariance,
        ),
        Step(
            "gauge",
            "The gauge: rows are identified only up to a common shift",
            "Adding a vector v to every weight row and u to every bias adds v·a + u "
            "to every logit, which changes no probability: K softmax rows are "
            "over-parametrized, only their differences are identified.",
            Softmax(
                k,
                *[
                    plus(Dot(plus(vec_ws[n], s.vec_v), vec_a), bs[n], s.u)
                    for n in range(K)
                ],
            ),
            Softmax(k, *[plus(Dot(vec_ws[n], vec_a), bs[n]) for n in range(K)]),
            ranges=s.ranges,
            generic=every_k.gauge,
        ),
    ]


def reference_form(s: Symbols) -> list[Step]:
    """The reference-class form with K - 1 logit differences; for K = 2, σ."""
    zs, z1, z2 = s.zs, s.z1, s.z2
    return [
        Step(
            "reference-class",
            "Reference-class form",
            "Shifting by c = -z₁ (class 1 is the reference) writes the softmax with "
            "K - 1 logit differences; the reference class gets exp(0) = 1.",
            Softmax(s.k, *zs),
            frac(
                sp.exp(minus(Sub(s.z, s.k), z1)),
                plus(sp.Integer(1), *[sp.exp(minus(zn, z1)) for zn in zs[1:]]),
            ),
            ranges=s.ranges,
            generic=every_k.reference_class,
        ),
        Step(
            "reference-class-sigmoid",
            "K = 2: the reference form is the sigmoid",
            "With two classes there is one logit difference, and the reference form "
            "is the logistic function of it.",
            frac(sp.exp(minus(z2, z1)), plus(sp.Integer(1), sp.exp(minus(z2, z1)))),
            Sigmoid(minus(z2, z1)),
        ),
    ]


def linear_heads(s: Symbols) -> list[Step]:
    """Linear heads: a logit difference is one linear unit (T4; K > 2: T6)."""
    k, vec_ws, vec_a, bs = s.k, s.vec_ws, s.vec_a, s.bs
    steps = [
        Step(
            "logit-difference",
            "Linear heads: the logit difference is one linear unit",
            "With zⱼ = wⱼ·a + bⱼ on the same activations a, a logit difference is a "
            "linear unit with weights wₖ - w₁ and bias bₖ - b₁.",
            minus(Sub(s.z, k), s.z1),
            plus(
                Dot(minus(Sub(s.vec_w, k), vec_ws[0]), vec_a), minus(Sub(s.b, k), bs[0])
            ),
            where=(s.vector_logits,),
            ranges=s.ranges,
        )
    ]
    if s.K == 2:
        steps.append(
            Step(
                "linear-heads",
                "Network 0 (or 2) is network 1 with w = w₂ - w₁, b = b₂ - b₁",
                "Both heads compute the same probability. Must z₁, z₂ match anything? "
                "No: only the difference z₂ - z₁ is identified, not the two values.",
                Softmax(2, s.z1, s.z2),
                Sigmoid(plus(Dot(s.vec_w, vec_a), s.b)),
                where=(s.vector_logits,),
                given=(
                    (s.vec_w, minus(vec_ws[1], vec_ws[0])),
                    (s.b, minus(bs[1], bs[0])),
                ),
                ranges=s.ranges,
            )
        )
        return steps
    steps.append(
        Step(
            "linear-heads",
            "A K-unit softmax head is a (K - 1)-unit reference head",
            "With θᵢ = wᵢ - w₁ and βᵢ = bᵢ - b₁ the reference head gives the "
            "same probabilities; the K rows themselves are not identified.",
            Softmax(k, *s.zs),
            Softmax(
                k,
                sp.Integer(0),
                *[
                    plus(Dot(Vector(f"theta_{n}"), vec_a), real(f"beta_{n}"))
                    for n in range(2, s.K + 1)
                ],
            ),
            where=(
                s.vector_logits,
                (Sub(s.vec_theta, s.i), minus(Sub(s.vec_w, s.i), vec_ws[0])),
                (Sub(s.beta, s.i), minus(Sub(s.b, s.i), bs[0])),
            ),
            ranges=s.ranges,
            generic=every_k.linear_heads,
        )
    )
    return steps


def same_loss(s: Symbols) -> list[Step]:
    """The softmax cross-entropy is the binary cross-entropy of σ (T2)."""
    z1, z2, y, ys, zs = s.z1, s.z2, s.y, s.ys, s.zs
    steps = [
        Step(
            "same-loss",
            "The same loss",
            "With y ∈ {0, 1} (one-hot (1 - y, y)), the softmax cross-entropy of "
            "network 2 is the binary cross-entropy of network 0's sigmoid output.",
            -plus(
                minus(sp.Integer(1), y) * sp.log(Softmax(1, z1, z2)),
                y * sp.log(Softmax(2, z1, z2)),
            ),
            BCE(Sigmoid(minus(z2, z1)), y),
        )
    ]
    if s.K > 2:
        steps.append(
            Step(
                "same-loss-reference",
                "The same loss in reference form",
                "The K-class cross-entropy depends on the logits only through the "
                "differences zᵢ - z₁.",
                s.cross_entropy,
                -plus(
                    *[
                        ys[n]
                        * sp.log(
                            Softmax(
                                n + 1,
                                sp.Integer(0),
                                *[minus(zm, z1) for zm in zs[1:]],
                            )
                        )
                        for n in range(s.K)
                    ]
                ),
            )
        )
    return steps
