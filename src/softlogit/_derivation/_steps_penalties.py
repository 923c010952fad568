"""The derivation's penalties: the L2-penalized optimum is centered, the L2 and
elastic-net maps between softmax and logistic regression (T7), and standard errors
in another gauge (T8)."""

from __future__ import annotations

import sympy as sp

from softlogit._derivation import _steps_generic as every_k
from softlogit._derivation._core import Step
from softlogit._derivation._notation import Partial, SqNorm
from softlogit._derivation._symbols import Symbols, frac, minus, plus, times

__all__ = ["penalties", "standard_errors"]


def _centered_optimum(s: Symbols) -> list[Step]:
    """With an L2 penalty the rows sum to zero at the optimum: the centered gauge."""
    lam, ws, vec_ws = s.lam, s.ws, s.vec_ws
    w_sum = plus(*ws)
    objective = plus(s.loss, lam / 2 * plus(*[wn**2 for wn in ws]))
    return [
        Step(
            "penalty-gradient",
            "The L2 penalty's gradient on the sum of the rows",
            "With J = L + (λ/2) Σⱼ wⱼ², the loss part cancels in Σₖ ∂J/∂wₖ (step "
            "row-sum-gradient) and only the penalty's λ Σₖ wₖ remains.",
            plus(*[Partial(s.objective, wn) for wn in ws]),
            lam * w_sum,
            where=(
                (s.objective, objective),
                (s.loss, s.cross_entropy),
                s.scalar_logits,
            ),
            given=(s.labels_sum_to_one,),
            ranges=s.ranges,
            generic=every_k.penalty_gradient,
        ),
        Step(
            "penalties",
            "The L2-penalized optimum is centered",
            "At a stationary point Σₖ ∂J/∂wₖ = 0, so λ Σₖ wₖ = 0 and, for λ > 0, "
            "the rows sum to zero: the penalty picks the centered gauge.",
            w_sum,
            sp.Integer(0),
            premise=(lam * w_sum, sp.Integer(0)),
            condition=sp.StrictGreaterThan(lam, 0, evaluate=False),
        ),
        Step(
            "penalty-split",
            "Why centered: the penalty splits into sum and difference",
            "For a fixed difference w₂ - w₁ (which fixes the predictions), "
            "‖w₁‖² + ‖w₂‖² is smallest when w₁ + w₂ = 0.",
            plus(SqNorm(vec_ws[0]), SqNorm(vec_ws[1])),
            frac(
                plus(
                    SqNorm(plus(vec_ws[0], vec_ws[1])),
                    SqNorm(minus(vec_ws[1], vec_ws[0])),
                ),
                sp.Integer(2),
            ),
        ),
    ]


def _penalty_maps(s: Symbols) -> list[Step]:
    """K = 2: the softmax L2 and elastic-net penalties as logistic ones (T7)."""
    lam, lam_p, alpha, alpha_p, ws, w = s.lam, s.lam_p, s.alpha, s.alpha_p, s.ws, s.w
    half = frac(minus(sp.Integer(1), alpha), sp.Integer(2))
    half_p = frac(minus(sp.Integer(1), alpha_p), sp.Integer(2))
    return [
        Step(
            "penalty-map",
            "K = 2: softmax with λ is logistic regression with λ' = λ/2",
            "At the centered optimum w₁ = -w/2, w₂ = w/2 the softmax L2 penalty is a "
            "logistic one with λ' = λ/2; in scikit-learn's C = 1/λ: C' = 2C.",
            lam / 2 * plus(SqNorm(s.vec_ws[0]), SqNorm(s.vec_ws[1])),
            lam_p / 2 * SqNorm(s.vec_w),
            given=(
                (s.vec_ws[0], -s.vec_w / 2),
                (s.vec_ws[1], s.vec_w / 2),
                (lam_p, lam / 2),
            ),
        ),
        Step(
            "elastic-net-map",
            "K = 2: the elastic-net map",
            "Per coordinate at the centered optimum, λ[(1-α)/2·‖·‖² + α‖·‖₁] on both "
            "rows equals the logistic penalty with λ' = λ(1+α)/2, α' = 2α/(1+α).",
            lam
            * plus(
                times(half, plus(ws[0] ** 2, ws[1] ** 2)),
                alpha * plus(sp.Abs(ws[0]), sp.Abs(ws[1])),
            ),
            times(lam_p, plus(times(half_p, w**2), times(alpha_p, sp.Abs(w)))),
            given=(
                (ws[0], -w / 2),
                (ws[1], w / 2),
                (lam_p, lam * (1 + alpha) / 2),
                (alpha_p, 2 * alpha / (1 + alpha)),
            ),
            domains={alpha: (0.01, 0.99)},
        ),
    ]


def penalties(s: Symbols) -> list[Step]:
    """The centered optimum of an L2 penalty and the penalty maps (T7)."""
    return _centered_optimum(s) + _penalty_maps(s)


def standard_errors(s: Symbols) -> list[Step]:
    """Standard errors map linearly from an identified gauge (T8)."""
    variance = sp.Symbol("V", positive=True)
    centering = sp.ImmutableMatrix([sp.Rational(-1, 2), sp.Rational(1, 2)])
    return [
        Step(
            "standard-errors",
            "Standard errors in another gauge",
            "Estimate in an identified gauge (the logistic w, i.e. reference class 1, "
            "with variance V) and map linearly, Cov ↦ A Cov Aᵀ: in the centered gauge "
            "(w₁, w₂) = A w with A = (-1/2, 1/2)ᵀ each row's standard error is half "
            "the logistic one, and the two rows are perfectly anti-correlated.",
            sp.MatMul(variance, centering, centering.T),
            sp.MatMul(
                frac(variance, sp.Integer(4)),
                sp.ImmutableMatrix([[1, -1], [-1, 1]]),
            ),
            where=(),
        )
    ]
