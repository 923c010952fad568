"""The derivation's training steps: gradients and their zero sum (T3), one step of
SGD (the factor 2 of T5; the preconditioner P = I + 11ᵀ of T6), weight decay, and
the momentum and Adam updates."""

from __future__ import annotations

import sympy as sp

from softlogit._derivation import _steps_generic as every_k
from softlogit._derivation._core import Relation, Step
from softlogit._derivation._notation import (
    BCE,
    Hat,
    Increment,
    Partial,
    Primed,
    Sigmoid,
    Softmax,
    Sub,
    real,
)
from softlogit._derivation._symbols import Symbols, frac, minus, plus, times

__all__ = ["gradients", "optimizer_steps", "sgd_steps"]


def gradients(s: Symbols) -> list[Step]:
    """∂L/∂zₖ = pₖ - yₖ, which sums to zero: the rows' sum gets no gradient (T3)."""
    loss, zs, ws = s.loss, s.zs, s.ws
    return [
        Step(
            "gradients",
            "The gradient of the cross-entropy",
            "For labels y that sum to one, ∂L/∂zₖ = pₖ - yₖ: predicted minus "
            "observed probability.",
            Partial(loss, Sub(s.z, s.k)),
            minus(Softmax(s.k, *zs), Sub(s.y, s.k)),
            where=((loss, s.cross_entropy),),
            given=(s.labels_sum_to_one,),
            ranges=s.ranges,
            generic=every_k.gradients,
        ),
        Step(
            "zero-sum",
            "The gradient sums to zero",
            "Σₖ (pₖ - yₖ) = 1 - 1 = 0: the loss cannot move all logits together.",
            plus(*[Partial(loss, zn) for zn in zs]),
            sp.Integer(0),
            where=((loss, s.cross_entropy),),
            given=(s.labels_sum_to_one,),
            generic=every_k.zero_sum,
        ),
        Step(
            "row-sum-gradient",
            "The sum of the head's rows receives no gradient",
            "Per coordinate (zⱼ = wⱼ a + bⱼ), the rows' gradients (pⱼ - yⱼ) a sum "
            "to zero, so SGD without weight decay never changes w₁ + … + w_K (nor "
            "b₁ + … + b_K: take a = 1).",
            plus(*[Partial(loss, wn) for wn in ws]),
            sp.Integer(0),
            where=((loss, s.cross_entropy), s.scalar_logits),
            given=(s.labels_sum_to_one,),
            ranges=s.ranges,
            generic=every_k.row_sum_gradient,
        ),
    ]


def _one_hot(s: Symbols) -> tuple[Relation, ...]:
    """For K = 2 the one-hot labels (1 - y, y)."""
    return ((s.ys[0], minus(sp.Integer(1), s.y)), (s.ys[1], s.y))


def _sgd_two_classes(s: Symbols) -> list[Step]:
    """K = 2: w₂ - w₁ moves twice as far as w; with decay, rate 2η and decay λ/2."""
    eta, loss, loss_1, ws, bs, w, b = s.eta, s.loss, s.loss_1, s.ws, s.bs, s.w, s.b
    delta = Increment(minus(ws[1], ws[0]))
    network_1 = (loss_1, BCE(Sigmoid(plus(w * s.a, b)), s.y))
    equivalent = ((w, minus(ws[1], ws[0])), (b, minus(bs[1], bs[0])))
    eta_p = Primed("eta", positive=True)
    decay = sp.Symbol("lambda", positive=True)
    decay_p = Primed("lambda", positive=True)
    moved = Increment(w)
    decayed = [plus(Partial(loss, ws[n]), decay * ws[n]) for n in (1, 0)]
    return [
        Step(
            "training-dynamics",
            "One SGD step moves w₂ - w₁ twice as far as w",
            "From equivalent initialization (w = w₂ - w₁, b = b₂ - b₁) network 0's "
            "head difference moves by 2·Δw per step: the preconditioner P = 2. "
            "Network 1 with a doubled head learning rate follows network 0.",
            delta,
            2 * Increment(w),
            where=(
                (delta, -eta * minus(Partial(loss, ws[1]), Partial(loss, ws[0]))),
                (Increment(w), -eta * Partial(loss_1, w)),
                (loss, s.cross_entropy),
                network_1,
                *_one_hot(s),
                s.scalar_logits,
            ),
            given=equivalent,
            ranges=s.ranges,
        ),
        Step(
            "weight-decay",
            "With weight decay: network 1 needs learning rate 2η and decay λ/2",
            "Coupled weight decay adds λ wⱼ to each row's gradient, so w₂ - w₁ "
            "moves by -η(2g + λ(w₂ - w₁)): network 1 reproduces it with learning "
            "rate η' = 2η and decay λ' = λ/2 (T5's network 1c).",
            delta,
            moved,
            where=(
                (delta, -eta * minus(*decayed)),
                (moved, -eta_p * plus(Partial(loss_1, w), decay_p * w)),
                (loss, s.cross_entropy),
                network_1,
                *_one_hot(s),
                s.scalar_logits,
            ),
            given=((eta_p, 2 * eta), (decay_p, decay / 2), *equivalent),
            ranges=s.ranges,
        ),
    ]


def _sgd_k_classes(s: Symbols) -> list[Step]:
    """K > 2: the softmax head is the reference head preconditioned by P = I + 11ᵀ."""
    K, eta, loss, ws, a = s.K, s.eta, s.loss, s.ws, s.a
    deltas = [Increment(minus(ws[n], ws[0])) for n in range(1, K)]
    thetas = [real(f"theta_{n}") for n in range(2, K + 1)]
    betas = [real(f"beta_{n}") for n in range(2, K + 1)]
    precond = sp.ImmutableMatrix(K - 1, K - 1, lambda r, c: 2 if r == c else 1)
    ref_logits = [sp.Integer(0), *[plus(thetas[n] * a, betas[n]) for n in range(K - 1)]]
    reference_loss = -plus(
        *[s.ys[n] * sp.log(Softmax(n + 1, *ref_logits)) for n in range(K)]
    )
    return [
        Step(
            "training-dynamics",
            "One SGD step: the softmax head is the reference head preconditioned "
            "by P = I + 11ᵀ",
            "From equivalent initialization (θᵢ = wᵢ - w₁, βᵢ = bᵢ - b₁), the "
            "row differences of the softmax head move by P times the reference "
            "head's step; for K = 2, P = 2.",
            sp.ImmutableMatrix(deltas),
            sp.MatMul(precond, sp.ImmutableMatrix([Increment(t) for t in thetas])),
            where=(
                *[
                    (
                        deltas[n - 1],
                        -eta * minus(Partial(loss, ws[n]), Partial(loss, ws[0])),
                    )
                    for n in range(1, K)
                ],
                *[
                    (Increment(thetas[n]), -eta * Partial(s.loss_ref, thetas[n]))
                    for n in range(K - 1)
                ],
                (loss, s.cross_entropy),
                (s.loss_ref, reference_loss),
                s.scalar_logits,
            ),
            given=(
                (Sub(s.theta, s.i), minus(Sub(s.w, s.i), ws[0])),
                (Sub(s.beta, s.i), minus(Sub(s.b, s.i), s.bs[0])),
                s.labels_sum_to_one,
            ),
            ranges=s.ranges,
            generic=every_k.training_dynamics,
        )
    ]


def sgd_steps(s: Symbols) -> list[Step]:
    """One SGD step from equivalent initialization (T5 for K = 2, T6 for K > 2)."""
    return _sgd_two_classes(s) if s.K == 2 else _sgd_k_classes(s)


def _momentum(s: Symbols) -> Step:
    mu = sp.Symbol("mu", positive=True)
    # Heavy-ball buffers ("velocities") v and gradients g of w₂ - w₁ (δ) and w.
    m_d, g_d, m_w, g_w = (real(n) for n in ("v_delta", "g_delta", "v_w", "g_w"))
    return Step(
        "momentum",
        "Heavy-ball momentum keeps the factor 2",
        "The buffer v ← μv + g is linear in the gradients: if network 0's "
        "difference has twice network 1's gradient and buffer (true at the "
        "zero start), its next buffer is twice network 1's too.",
        plus(times(mu, m_d), g_d),
        times(2, plus(times(mu, m_w), g_w)),
        given=((m_d, 2 * m_w), (g_d, 2 * g_w)),
    )


def _adam_mirror(s: Symbols) -> Step:
    step_t = sp.Symbol("t", integer=True, positive=True)
    beta1, beta2 = (
        sp.Symbol("beta_1", positive=True),
        sp.Symbol("beta_2", positive=True),
    )
    eps = sp.Symbol("epsilon", positive=True)
    ms = [real(f"m_{n}") for n in (1, 2)]
    vs = [sp.Symbol(f"v_{n}", positive=True) for n in (1, 2)]
    gs = [real(f"g_{n}") for n in (1, 2)]
    m_new = [Primed(f"m_{n}", real=True) for n in (1, 2)]
    v_new = [Primed(f"v_{n}", positive=True) for n in (1, 2)]
    m_hat = [Hat(f"m_{n}", real=True) for n in (1, 2)]
    v_hat = [Hat(f"v_{n}", positive=True) for n in (1, 2)]
    moves = [Increment(wn) for wn in s.ws]
    where: list[Relation] = [
        (moves[n], -s.eta * m_hat[n] / (sp.sqrt(v_hat[n]) + eps)) for n in range(2)
    ]
    for n in range(2):
        where.append((m_hat[n], frac(m_new[n], minus(sp.Integer(1), beta1**step_t))))
        where.append((v_hat[n], frac(v_new[n], minus(sp.Integer(1), beta2**step_t))))
    for n in range(2):
        where.append((m_new[n], plus(times(beta1, ms[n]), times(1 - beta1, gs[n]))))
        where.append(
            (v_new[n], plus(times(beta2, vs[n]), times(1 - beta2, gs[n] ** 2)))
        )
    return Step(
        "adam-mirror",
        "Adam: the two rows' moments are mirror images",
        "The rows' gradients are opposite (g₁ = -g₂, step zero-sum), so by "
        "induction m₁ = -m₂ and v₁ = v₂, and the two rows move in opposite "
        "directions by the same amount.",
        sp.ImmutableMatrix([moves[0], m_new[0], v_new[0]]),
        sp.ImmutableMatrix([-moves[1], -m_new[1], v_new[1]]),
        where=tuple(where),
        given=((gs[0], -gs[1]), (ms[0], -ms[1]), (vs[0], vs[1])),
        domains={beta1: (0.5, 0.99), beta2: (0.5, 0.999)},
    )


def _adam_same_gradient(s: Symbols) -> Step:
    j, w, b, ws, bs = s.j, s.w, s.b, s.ws, s.bs
    return Step(
        "adam-same-gradient",
        "Adam: network 1 sees row 2's gradient",
        "From equivalent initialization ∂L₁/∂w = ∂L/∂w₂, so network 1's Adam "
        "state equals row 2's, Δw = Δw₂ and Δ(w₂ - w₁) = 2Δw: the factor 2 "
        "holds for Adam as well (K = 2 only).",
        Partial(s.loss_1, w),
        Partial(s.loss, ws[1]),
        where=(
            (s.loss, s.cross_entropy),
            (s.loss_1, BCE(Sigmoid(plus(w * s.a, b)), s.y)),
            (real("y_1"), minus(sp.Integer(1), s.y)),
            (real("y_2"), s.y),
            (Sub(real("z"), j), plus(Sub(w, j) * s.a, Sub(b, j))),
        ),
        given=((w, minus(ws[1], ws[0])), (b, minus(bs[1], bs[0]))),
        ranges={j: (1, 2)},
    )


def optimizer_steps(s: Symbols) -> list[Step]:
    """Momentum and Adam: the factor 2 (K = 2) carries over to the optimizer states."""
    if s.K != 2:
        return []
    return [_momentum(s), _adam_mirror(s), _adam_same_gradient(s)]
