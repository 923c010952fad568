"""The derivation softmax -> sigmoid, step by step, as data."""

from __future__ import annotations

import numbers

import sympy as sp

from softlogit._derivation._core import Derivation, Step
from softlogit._derivation._notation import (
    BCE,
    Dot,
    Hat,
    Increment,
    Partial,
    Primed,
    Sigmoid,
    Softmax,
    SqNorm,
    Sub,
    Vector,
    real,
)
from softlogit.errors import InputTypeError, InputValueError

__all__ = ["derivation"]

_MAX_CLASSES = 12


def _minus(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    """``a - b`` kept in this order for display (SymPy would sort it as ``-b + a``)."""
    return sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False)


def _plus(*terms: sp.Basic) -> sp.Basic:
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def derivation(n_classes: int = 2) -> Derivation:
    """The machine-checked derivation from softmax to sigmoid, as a sequence of steps.

    It covers the definitions, the two-class identity ``softmax(z₁, z₂)₂ = σ(z₂ - z₁)``,
    shift invariance and the gauge, the reference-class form for ``K`` classes, linear
    heads, the shared loss, gradients and their zero sum, one step of SGD, momentum and
    Adam (the factor 2 and the preconditioner ``P = I + 11ᵀ``), and the L2 and
    elastic-net penalty maps. Each step carries its own check (SymPy, or a labelled
    50-digit numeric check where SymPy cannot decide).

    Parameters
    ----------
    n_classes : int, default=2
        The number of classes ``K`` the K-class steps are written for (2 to 12).

    Returns
    -------
    Derivation
        Steps with stable ids; ``Derivation.check()`` verifies them.

    Raises
    ------
    InputTypeError
        If ``n_classes`` is not an integer (a ``TypeError``).
    InputValueError
        If ``n_classes`` is smaller than 2 or larger than 12 (a ``ValueError``).

    Examples
    --------
    >>> import softlogit
    >>> d = softlogit.derivation()
    >>> d.ids[:3]
    ['definitions', 'two-class-identity', 'two-class-identity-first']
    >>> d["two-class-identity"].check().label
    'verified (SymPy)'
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral):
        raise InputTypeError(
            f"`n_classes` must be an integer; got {type(n_classes).__name__} "
            f"{n_classes!r}."
        )
    if not 2 <= n_classes <= _MAX_CLASSES:
        raise InputValueError(
            f"`n_classes` must be between 2 and {_MAX_CLASSES}; got {n_classes}."
        )
    n_classes = int(n_classes)
    return Derivation(tuple(_steps(n_classes)), n_classes=n_classes)


def _steps(K: int) -> list[Step]:
    # Indices: k (the class of a statement), j (a class in a definition), i (a
    # non-reference class, 2..K).
    k = sp.Symbol("k", integer=True, positive=True)
    j = sp.Symbol("j", integer=True, positive=True)
    i = sp.Symbol("i", integer=True, positive=True)
    ranges = {k: (1, K), j: (1, K), i: (2, K)}

    z, y, c, u, a = real("z"), real("y"), real("c"), real("u"), real("a")
    t, p = real("t"), sp.Symbol("p", positive=True)
    eta = sp.Symbol("eta", positive=True)
    lam = sp.Symbol("lambda", positive=True)
    lam_p = Primed("lambda", positive=True)
    alpha = sp.Symbol("alpha", positive=True)
    alpha_p = Primed("alpha", positive=True)
    zs = [real(f"z_{n}") for n in range(1, K + 1)]
    ys = [real(f"y_{n}") for n in range(1, K + 1)]
    z1, z2 = real("z_1"), real("z_2")

    # Vectors (bold): weight rows w_j, a common shift v, activations a.
    vec_a, vec_v, vec_w = Vector("a"), Vector("v"), Vector("w")
    vec_ws = [Vector(f"w_{n}") for n in range(1, K + 1)]
    vec_theta, beta = Vector("theta"), real("beta")
    b = real("b")
    bs = [real(f"b_{n}") for n in range(1, K + 1)]
    # Scalars: one coordinate of each weight row (a is the matching activation; the
    # rest of the logit is absorbed in the bias).
    w = real("w")
    ws = [real(f"w_{n}") for n in range(1, K + 1)]
    theta = real("theta")

    loss, loss_1, loss_ref, objective = (
        sp.Symbol("L"),
        sp.Symbol("L_1"),
        sp.Symbol("L_ref"),
        sp.Symbol("J"),
    )
    labels_sum_to_one = (_plus(*ys), sp.Integer(1))
    cross_entropy = -_plus(*[ys[n] * sp.log(Softmax(n + 1, *zs)) for n in range(K)])
    vector_logits = (Sub(z, j), _plus(Dot(Sub(vec_w, j), vec_a), Sub(b, j)))
    scalar_logits = (Sub(z, j), _plus(Sub(w, j) * a, Sub(b, j)))

    steps: list[Step] = []
    add = steps.append

    # ---------------------------------------------------------------- 1. definitions
    add(
        Step(
            "definitions",
            "Definitions",
            "softmax turns K logits into probabilities and σ turns one logit into a "
            "probability; the K softmax outputs sum to one.",
            _plus(*[Softmax(n, *zs) for n in range(1, K + 1)]),
            sp.Integer(1),
            notes=(
                (
                    Softmax(k, *zs),
                    _frac(sp.exp(Sub(z, k)), sp.Sum(sp.exp(Sub(z, j)), (j, 1, K))),
                ),
                (
                    Sigmoid(t),
                    sp.Pow(_plus(sp.Integer(1), sp.exp(-t)), -1, evaluate=False),
                ),
                (
                    BCE(p, y),
                    _minus(-y * sp.log(p), _minus(sp.Integer(1), y) * sp.log(1 - p)),
                ),
            ),
        )
    )
    # ------------------------------------------------------ 2. the two-class identity
    add(
        Step(
            "two-class-identity",
            "The two-class identity",
            "A 2-class softmax is the sigmoid of the logit difference: divide "
            "numerator and denominator by exp(z₂).",
            Softmax(2, z1, z2),
            Sigmoid(_minus(z2, z1)),
        )
    )
    add(
        Step(
            "two-class-identity-first",
            "The same identity for the first class",
            "The first class gets σ(z₁ - z₂): which difference appears depends only "
            "on which class is called positive.",
            Softmax(1, z1, z2),
            Sigmoid(_minus(z1, z2)),
        )
    )
    add(
        Step(
            "sigmoid-symmetry",
            "Both forms agree",
            "σ(z₁ - z₂) = 1 - σ(z₂ - z₁): the two class probabilities add up to one.",
            Sigmoid(_minus(z1, z2)),
            _minus(sp.Integer(1), Sigmoid(_minus(z2, z1))),
        )
    )
    # ------------------------------------------------ 3. shift invariance, the gauge
    add(
        Step(
            "shift-invariance",
            "Shift invariance",
            "Adding the same c to every logit leaves every probability unchanged, so "
            "K logits carry only K - 1 numbers' worth of information.",
            Softmax(k, *[_plus(zn, c) for zn in zs]),
            Softmax(k, *zs),
            ranges=ranges,
        )
    )
    add(
        Step(
            "gauge",
            "The gauge: rows are identified only up to a common shift",
            "Adding a vector v to every weight row and u to every bias adds v·a + u "
            "to every logit, which changes no probability: K softmax rows are "
            "over-parametrized, only their differences are identified.",
            Softmax(
                k,
                *[
                    _plus(Dot(_plus(vec_ws[n], vec_v), vec_a), bs[n], u)
                    for n in range(K)
                ],
            ),
            Softmax(k, *[_plus(Dot(vec_ws[n], vec_a), bs[n]) for n in range(K)]),
            ranges=ranges,
        )
    )
    # --------------------------------------------------- 4. the reference-class form
    add(
        Step(
            "reference-class",
            "Reference-class form",
            "Shifting by c = -z₁ (class 1 is the reference) writes the softmax with "
            "K - 1 logit differences; the reference class gets exp(0) = 1.",
            Softmax(k, *zs),
            _frac(
                sp.exp(_minus(Sub(z, k), z1)),
                _plus(sp.Integer(1), *[sp.exp(_minus(zn, z1)) for zn in zs[1:]]),
            ),
            ranges=ranges,
        )
    )
    add(
        Step(
            "reference-class-sigmoid",
            "K = 2: the reference form is the sigmoid",
            "With two classes there is one logit difference, and the reference form "
            "is the logistic function of it.",
            _frac(sp.exp(_minus(z2, z1)), _plus(sp.Integer(1), sp.exp(_minus(z2, z1)))),
            Sigmoid(_minus(z2, z1)),
        )
    )
    # ----------------------------------------------------------- 5. linear heads
    add(
        Step(
            "logit-difference",
            "Linear heads: the logit difference is one linear unit",
            "With zⱼ = wⱼ·a + bⱼ on the same activations a, a logit difference is a "
            "linear unit with weights wₖ - w₁ and bias bₖ - b₁.",
            _minus(Sub(z, k), z1),
            _plus(
                Dot(_minus(Sub(vec_w, k), vec_ws[0]), vec_a), _minus(Sub(b, k), bs[0])
            ),
            where=(vector_logits,),
            ranges=ranges,
        )
    )
    if K == 2:
        add(
            Step(
                "linear-heads",
                "Network 0 (or 2) is network 1 with w = w₂ - w₁, b = b₂ - b₁",
                "Both heads compute the same probability. Must z₁, z₂ match anything? "
                "No: only the difference z₂ - z₁ is identified, not the two values.",
                Softmax(2, z1, z2),
                Sigmoid(_plus(Dot(vec_w, vec_a), b)),
                where=(vector_logits,),
                given=(
                    (vec_w, _minus(vec_ws[1], vec_ws[0])),
                    (b, _minus(bs[1], bs[0])),
                ),
                ranges=ranges,
            )
        )
    else:
        add(
            Step(
                "linear-heads",
                "A K-unit softmax head is a (K - 1)-unit reference head",
                "With θᵢ = wᵢ - w₁ and βᵢ = bᵢ - b₁ the reference head gives the "
                "same probabilities; the K rows themselves are not identified.",
                Softmax(k, *zs),
                Softmax(
                    k,
                    sp.Integer(0),
                    *[
                        _plus(Dot(Vector(f"theta_{n}"), vec_a), real(f"beta_{n}"))
                        for n in range(2, K + 1)
                    ],
                ),
                where=(
                    vector_logits,
                    (Sub(vec_theta, i), _minus(Sub(vec_w, i), vec_ws[0])),
                    (Sub(beta, i), _minus(Sub(b, i), bs[0])),
                ),
                ranges=ranges,
            )
        )
    # -------------------------------------------------------------- 6. the same loss
    add(
        Step(
            "same-loss",
            "The same loss",
            "With y ∈ {0, 1} (one-hot (1 - y, y)), the softmax cross-entropy of "
            "network 2 is the binary cross-entropy of network 0's sigmoid output.",
            -_plus(
                _minus(sp.Integer(1), y) * sp.log(Softmax(1, z1, z2)),
                y * sp.log(Softmax(2, z1, z2)),
            ),
            BCE(Sigmoid(_minus(z2, z1)), y),
        )
    )
    if K > 2:
        add(
            Step(
                "same-loss-reference",
                "The same loss in reference form",
                "The K-class cross-entropy depends on the logits only through the "
                "differences zᵢ - z₁.",
                cross_entropy,
                -_plus(
                    *[
                        ys[n]
                        * sp.log(
                            Softmax(
                                n + 1,
                                sp.Integer(0),
                                *[_minus(zm, z1) for zm in zs[1:]],
                            )
                        )
                        for n in range(K)
                    ]
                ),
            )
        )
    # ---------------------------------------------------------------- 7. gradients
    add(
        Step(
            "gradients",
            "The gradient of the cross-entropy",
            "For labels y that sum to one, ∂L/∂zₖ = pₖ - yₖ: predicted minus "
            "observed probability.",
            Partial(loss, Sub(z, k)),
            _minus(Softmax(k, *zs), Sub(y, k)),
            where=((loss, cross_entropy),),
            given=(labels_sum_to_one,),
            ranges=ranges,
        )
    )
    add(
        Step(
            "zero-sum",
            "The gradient sums to zero",
            "Σₖ (pₖ - yₖ) = 1 - 1 = 0: the loss cannot move all logits together.",
            _plus(*[Partial(loss, zn) for zn in zs]),
            sp.Integer(0),
            where=((loss, cross_entropy),),
            given=(labels_sum_to_one,),
        )
    )
    add(
        Step(
            "row-sum-gradient",
            "The sum of the head's rows receives no gradient",
            "Per coordinate (zⱼ = wⱼ a + bⱼ), the rows' gradients (pⱼ - yⱼ) a sum "
            "to zero, so SGD without weight decay never changes w₁ + … + w_K (nor "
            "b₁ + … + b_K: take a = 1).",
            _plus(*[Partial(loss, wn) for wn in ws]),
            sp.Integer(0),
            where=((loss, cross_entropy), scalar_logits),
            given=(labels_sum_to_one,),
            ranges=ranges,
        )
    )
    # -------------------------------------------------------- 8. training dynamics
    one_hot = ((ys[0], _minus(sp.Integer(1), y)), (ys[1], y)) if K == 2 else ()
    if K == 2:
        delta = Increment(_minus(ws[1], ws[0]))
        add(
            Step(
                "training-dynamics",
                "One SGD step moves w₂ - w₁ twice as far as w",
                "From equivalent initialization (w = w₂ - w₁, b = b₂ - b₁) network 0's "
                "head difference moves by 2·Δw per step: the preconditioner P = 2. "
                "Network 1 with a doubled head learning rate follows network 0.",
                delta,
                2 * Increment(w),
                where=(
                    (delta, -eta * _minus(Partial(loss, ws[1]), Partial(loss, ws[0]))),
                    (Increment(w), -eta * Partial(loss_1, w)),
                    (loss, cross_entropy),
                    (loss_1, BCE(Sigmoid(_plus(w * a, b)), y)),
                    *one_hot,
                    scalar_logits,
                ),
                given=((w, _minus(ws[1], ws[0])), (b, _minus(bs[1], bs[0]))),
                ranges=ranges,
            )
        )
        eta_p = Primed("eta", positive=True)
        decay = sp.Symbol("lambda", positive=True)
        decay_p = Primed("lambda", positive=True)
        moved = Increment(w)
        add(
            Step(
                "weight-decay",
                "With weight decay: network 1 needs learning rate 2η and decay λ/2",
                "Coupled weight decay adds λ wⱼ to each row's gradient, so w₂ - w₁ "
                "moves by -η(2g + λ(w₂ - w₁)): network 1 reproduces it with learning "
                "rate η' = 2η and decay λ' = λ/2 (T5's network 1c).",
                delta,
                moved,
                where=(
                    (
                        delta,
                        -eta
                        * _minus(
                            _plus(Partial(loss, ws[1]), decay * ws[1]),
                            _plus(Partial(loss, ws[0]), decay * ws[0]),
                        ),
                    ),
                    (moved, -eta_p * _plus(Partial(loss_1, w), decay_p * w)),
                    (loss, cross_entropy),
                    (loss_1, BCE(Sigmoid(_plus(w * a, b)), y)),
                    *one_hot,
                    scalar_logits,
                ),
                given=(
                    (eta_p, 2 * eta),
                    (decay_p, decay / 2),
                    (w, _minus(ws[1], ws[0])),
                    (b, _minus(bs[1], bs[0])),
                ),
                ranges=ranges,
            )
        )
    else:
        deltas = [Increment(_minus(ws[n], ws[0])) for n in range(1, K)]
        thetas = [real(f"theta_{n}") for n in range(2, K + 1)]
        betas = [real(f"beta_{n}") for n in range(2, K + 1)]
        precond = sp.ImmutableMatrix(K - 1, K - 1, lambda r, s: 2 if r == s else 1)
        ref_logits = [
            sp.Integer(0),
            *[_plus(thetas[n] * a, betas[n]) for n in range(K - 1)],
        ]
        add(
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
                            -eta * _minus(Partial(loss, ws[n]), Partial(loss, ws[0])),
                        )
                        for n in range(1, K)
                    ],
                    *[
                        (Increment(thetas[n]), -eta * Partial(loss_ref, thetas[n]))
                        for n in range(K - 1)
                    ],
                    (loss, cross_entropy),
                    (
                        loss_ref,
                        -_plus(
                            *[
                                ys[n] * sp.log(Softmax(n + 1, *ref_logits))
                                for n in range(K)
                            ]
                        ),
                    ),
                    scalar_logits,
                ),
                given=(
                    (Sub(theta, i), _minus(Sub(w, i), ws[0])),
                    (Sub(beta, i), _minus(Sub(b, i), bs[0])),
                    labels_sum_to_one,
                ),
                ranges=ranges,
            )
        )
    steps.extend(
        _optimizer_steps(K, eta, loss, loss_1, cross_entropy, y, a, w, b, ws, bs)
    )
    # ---------------------------------------------------------------- 9. penalties
    w_sum = _plus(*ws)
    add(
        Step(
            "penalty-gradient",
            "The L2 penalty's gradient on the sum of the rows",
            "With J = L + (λ/2) Σⱼ wⱼ², the loss part cancels in Σₖ ∂J/∂wₖ (step "
            "row-sum-gradient) and only the penalty's λ Σₖ wₖ remains.",
            _plus(*[Partial(objective, wn) for wn in ws]),
            lam * w_sum,
            where=(
                (
                    objective,
                    _plus(loss, lam / 2 * _plus(*[wn**2 for wn in ws])),
                ),
                (loss, cross_entropy),
                scalar_logits,
            ),
            given=(labels_sum_to_one,),
            ranges=ranges,
        )
    )
    add(
        Step(
            "penalties",
            "The L2-penalized optimum is centered",
            "At a stationary point Σₖ ∂J/∂wₖ = 0, so λ Σₖ wₖ = 0 and, for λ > 0, "
            "the rows sum to zero: the penalty picks the centered gauge.",
            w_sum,
            sp.Integer(0),
            premise=(lam * w_sum, sp.Integer(0)),
            condition=sp.StrictGreaterThan(lam, 0, evaluate=False),
        )
    )
    add(
        Step(
            "penalty-split",
            "Why centered: the penalty splits into sum and difference",
            "For a fixed difference w₂ - w₁ (which fixes the predictions), "
            "‖w₁‖² + ‖w₂‖² is smallest when w₁ + w₂ = 0.",
            _plus(SqNorm(vec_ws[0]), SqNorm(vec_ws[1])),
            _frac(
                _plus(
                    SqNorm(_plus(vec_ws[0], vec_ws[1])),
                    SqNorm(_minus(vec_ws[1], vec_ws[0])),
                ),
                sp.Integer(2),
            ),
        )
    )
    add(
        Step(
            "penalty-map",
            "K = 2: softmax with λ is logistic regression with λ' = λ/2",
            "At the centered optimum w₁ = -w/2, w₂ = w/2 the softmax L2 penalty is a "
            "logistic one with λ' = λ/2; in scikit-learn's C = 1/λ: C' = 2C.",
            lam / 2 * _plus(SqNorm(vec_ws[0]), SqNorm(vec_ws[1])),
            lam_p / 2 * SqNorm(vec_w),
            given=(
                (vec_ws[0], -vec_w / 2),
                (vec_ws[1], vec_w / 2),
                (lam_p, lam / 2),
            ),
        )
    )
    add(
        Step(
            "elastic-net-map",
            "K = 2: the elastic-net map",
            "Per coordinate at the centered optimum, λ[(1-α)/2·‖·‖² + α‖·‖₁] on both "
            "rows equals the logistic penalty with λ' = λ(1+α)/2, α' = 2α/(1+α).",
            lam
            * _plus(
                _times(
                    _frac(_minus(sp.Integer(1), alpha), sp.Integer(2)),
                    _plus(ws[0] ** 2, ws[1] ** 2),
                ),
                alpha * _plus(sp.Abs(ws[0]), sp.Abs(ws[1])),
            ),
            _times(
                lam_p,
                _plus(
                    _times(_frac(_minus(sp.Integer(1), alpha_p), sp.Integer(2)), w**2),
                    _times(alpha_p, sp.Abs(w)),
                ),
            ),
            given=(
                (ws[0], -w / 2),
                (ws[1], w / 2),
                (lam_p, lam * (1 + alpha) / 2),
                (alpha_p, 2 * alpha / (1 + alpha)),
            ),
            domains={alpha: (0.01, 0.99)},
        )
    )
    variance = sp.Symbol("V", positive=True)
    centering = sp.ImmutableMatrix([sp.Rational(-1, 2), sp.Rational(1, 2)])
    add(
        Step(
            "standard-errors",
            "Standard errors in another gauge",
            "Estimate in an identified gauge (the logistic w, i.e. reference class 1, "
            "with variance V) and map linearly, Cov ↦ A Cov Aᵀ: in the centered gauge "
            "(w₁, w₂) = A w with A = (-1/2, 1/2)ᵀ each row's standard error is half "
            "the logistic one, and the two rows are perfectly anti-correlated.",
            sp.MatMul(variance, centering, centering.T),
            sp.MatMul(
                _frac(variance, sp.Integer(4)),
                sp.ImmutableMatrix([[1, -1], [-1, 1]]),
            ),
            where=(),
        )
    )
    return steps


def _optimizer_steps(
    K: int,
    eta: sp.Symbol,
    loss: sp.Symbol,
    loss_1: sp.Symbol,
    cross_entropy: sp.Basic,
    y: sp.Symbol,
    a: sp.Symbol,
    w: sp.Symbol,
    b: sp.Symbol,
    ws: list[sp.Symbol],
    bs: list[sp.Symbol],
) -> list[Step]:
    """Momentum and Adam: the factor 2 (K = 2) carries over to the optimizer states."""
    mu = sp.Symbol("mu", positive=True)
    j = sp.Symbol("j", integer=True, positive=True)
    steps: list[Step] = []
    if K == 2:
        # Heavy-ball buffers ("velocities") v and gradients g of w₂ - w₁ (δ) and w.
        m_d, g_d, m_w, g_w = (real(n) for n in ("v_delta", "g_delta", "v_w", "g_w"))
        steps.append(
            Step(
                "momentum",
                "Heavy-ball momentum keeps the factor 2",
                "The buffer v ← μv + g is linear in the gradients: if network 0's "
                "difference has twice network 1's gradient and buffer (true at the "
                "zero start), its next buffer is twice network 1's too.",
                _plus(_times(mu, m_d), g_d),
                _times(2, _plus(_times(mu, m_w), g_w)),
                given=((m_d, 2 * m_w), (g_d, 2 * g_w)),
            )
        )
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
        moves = [Increment(wn) for wn in ws]
        where: list[tuple[sp.Basic, sp.Basic]] = []
        for n in range(2):
            where.append(
                (
                    moves[n],
                    -eta * m_hat[n] / (sp.sqrt(v_hat[n]) + eps),
                )
            )
        for n in range(2):
            where.append(
                (m_hat[n], _frac(m_new[n], _minus(sp.Integer(1), beta1**step_t)))
            )
            where.append(
                (v_hat[n], _frac(v_new[n], _minus(sp.Integer(1), beta2**step_t)))
            )
        for n in range(2):
            where.append(
                (m_new[n], _plus(_times(beta1, ms[n]), _times(1 - beta1, gs[n])))
            )
            where.append(
                (v_new[n], _plus(_times(beta2, vs[n]), _times(1 - beta2, gs[n] ** 2)))
            )
        steps.append(
            Step(
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
        )
        steps.append(
            Step(
                "adam-same-gradient",
                "Adam: network 1 sees row 2's gradient",
                "From equivalent initialization ∂L₁/∂w = ∂L/∂w₂, so network 1's Adam "
                "state equals row 2's, Δw = Δw₂ and Δ(w₂ - w₁) = 2Δw: the factor 2 "
                "holds for Adam as well (K = 2 only).",
                Partial(loss_1, w),
                Partial(loss, ws[1]),
                where=(
                    (loss, cross_entropy),
                    (loss_1, BCE(Sigmoid(_plus(w * a, b)), y)),
                    (real("y_1"), _minus(sp.Integer(1), y)),
                    (real("y_2"), y),
                    (Sub(real("z"), j), _plus(Sub(w, j) * a, Sub(b, j))),
                ),
                given=((w, _minus(ws[1], ws[0])), (b, _minus(bs[1], bs[0]))),
                ranges={j: (1, 2)},
            )
        )
    return steps


def _times(*factors: sp.Basic) -> sp.Basic:
    """A product kept in the given order for display."""
    return sp.Mul(*factors, evaluate=False)


def _frac(numerator: sp.Basic, denominator: sp.Basic) -> sp.Basic:
    """``numerator / denominator`` shown as a fraction, unsimplified."""
    return sp.Mul(numerator, sp.Pow(denominator, -1, evaluate=False), evaluate=False)
