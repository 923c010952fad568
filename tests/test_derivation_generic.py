"""Steps proved for every number of classes: the twins with a symbolic K state their
steps, SymPy proves them, and wrong twins or wrong instances fail."""

from __future__ import annotations

import dataclasses
import random

import mpmath
import pytest
import sympy as sp

from softlogit import Step, derivation
from softlogit._derivation import _steps_generic as every_k
from softlogit._derivation._generic import Generic, prove
from softlogit._derivation._notation import VECTOR_DIMENSION, Softmax, real
from softlogit._derivation._render import summary_line
from softlogit.errors import InputValueError

K, k, i, j, m = every_k.K, every_k.k, every_k.i, every_k.j, every_k.m
z = every_k.z

# step id -> its twin's builder (the steps of derivation(K) that carry one)
TWINS = {
    "shift-invariance": every_k.shift_invariance,
    "gauge": every_k.gauge,
    "reference-class": every_k.reference_class,
    "linear-heads": every_k.linear_heads,
    "gradients": every_k.gradients,
    "zero-sum": every_k.zero_sum,
    "row-sum-gradient": every_k.row_sum_gradient,
    "penalty-gradient": every_k.penalty_gradient,
    "training-dynamics": every_k.training_dynamics,
}


def _named(expr: sp.Basic) -> sp.Basic:
    """The twin's indexed symbols as the steps name them: ``z[2]`` is ``z_2``,
    ``w[2, 1]`` is coordinate 1 of the vector ``w_2`` and ``a[1]`` of ``a``."""

    def name(x: sp.Indexed) -> sp.Symbol:
        base, idx = str(x.base), [int(v) for v in x.indices]
        if len(idx) == 2:
            return real(f"{base}_{idx[0]}[{idx[1]}]")
        return real(f"{base}[{idx[0]}]" if base in ("a", "v") else f"{base}_{idx[0]}")

    return expr.replace(lambda x: isinstance(x, sp.Indexed), name)


def _at(expr: sp.Basic, point: dict[str, sp.Rational]) -> mpmath.mpf:
    """``expr`` at an exact point given by symbol names (the twin's ``η`` is real,
    the step's positive: the same letter, another SymPy symbol), to 50 digits."""
    values = {s: point[str(s)] for s in expr.free_symbols}
    with mpmath.workdps(50):
        return mpmath.mpf(sp.N(expr.xreplace(values), 50))


@pytest.mark.parametrize("n_classes", [2, 3, 4])
def test_every_twin_states_its_step(n_classes: int) -> None:
    """At K = 2, 3, 4 the twin, its sums written out, takes the values of the step
    (the K-specific statement, as checked) at random points with labels that sum to
    one: both left sides agree, and both right sides."""
    d = derivation(n_classes)
    rng = random.Random(n_classes)
    twins = {s.id: s.generic() for s in d if s.generic is not None}
    two_class = {"linear-heads", "training-dynamics"}  # K = 2: σ, and the factor 2
    assert set(twins) == set(TWINS) - (two_class if n_classes == 2 else set())
    for step_id, twin in twins.items():
        assert d[step_id].generic is TWINS[step_id]
        step = d[step_id]
        for case in step.index_values():
            sides = [step._expand(step.lhs, case), step._expand(step.rhs, case)]
            if isinstance(sides[0], sp.MatrixBase):  # rows i = 2, ..., K
                rows = [
                    ({i: r + 2}, [sp.Matrix(s)[r] for s in sides])
                    for r in range(n_classes - 1)
                ]
            else:
                named = {str(s): v for s, v in case.items()}
                rows = [({k: named["k"]} if "k" in named else {}, sides)]
            for index, ours in rows:
                _compare(step_id, n_classes, twin, index, ours, rng)


def _compare(
    step_id: str,
    n_classes: int,
    twin: Generic,
    index: dict[sp.Symbol, int],
    ours: list[sp.Basic],
    rng: random.Random,
) -> None:
    sizes = {K: n_classes, every_k.D: VECTOR_DIMENSION}
    theirs = [
        _named(side.xreplace({**sizes, **index}).doit())
        for side in (twin.lhs, twin.rhs)
    ]
    free = set().union(*(s.free_symbols for s in ours + theirs))
    point = {str(s): sp.Rational(rng.randint(-2000, 2000), 1000) for s in free}
    labels = [f"y_{n}" for n in range(1, n_classes + 1)]
    point[labels[-1]] = 1 - sum(point.get(y, 0) for y in labels[:-1])
    for a, b in zip(ours, theirs, strict=True):
        assert abs(_at(a, point) - _at(b, point)) < 1e-40, (step_id, index)


@pytest.mark.parametrize("name", sorted(TWINS))
def test_every_twin_is_proved(name: str) -> None:
    assert prove(TWINS[name]()) is not None


def _doubled_sum() -> Generic:
    """P = I + 2·11ᵀ instead of I + 11ᵀ."""
    twin = every_k.training_dynamics()
    rhs = twin.rhs.replace(lambda x: isinstance(x, sp.Sum), lambda x: 2 * x)
    return twin._replace(rhs=rhs)


def _wrong_twins() -> list[tuple[str, Generic]]:
    shift = every_k.shift_invariance()
    reference = every_k.reference_class()
    gradient = every_k.gradients()
    heads = every_k.linear_heads()
    gauge = every_k.gauge()
    softmax_k = shift.rhs
    numerator, denominator = sp.fraction(gauge.lhs)
    denominator = denominator.subs(every_k.u, 0)
    return [
        ("preconditioner-2", _doubled_sum()),
        ("gradient-sign", gradient._replace(rhs=-gradient.rhs)),
        ("scaling-is-not-shifting", shift._replace(lhs=softmax_k.subs(z[k], 2 * z[k]))),
        # the reference sum from class 1 counts the reference class twice
        (
            "reference-sum-from-1",
            reference._replace(
                rhs=reference.rhs.replace(
                    lambda x: isinstance(x, sp.Sum),
                    lambda x: sp.Sum(x.function, (x.limits[0][0], 1, K)),
                )
            ),
        ),
        ("heads-bias-not-shifted", heads._replace(rhs=heads.rhs.subs(every_k.b[1], 0))),
        # the bias shift u in the numerator only: not a shift of every row
        ("gauge-one-row-shifted", gauge._replace(lhs=numerator / denominator)),
    ]


@pytest.mark.parametrize(
    ("name", "twin"), _wrong_twins(), ids=[w[0] for w in _wrong_twins()]
)
def test_wrong_twins_are_not_proved(name: str, twin: Generic) -> None:
    assert prove(twin) is None, name


def test_kronecker_delta_needs_the_index_range() -> None:
    """Σⱼ₌₂ z[j]·δ(j, k) is z[k] only for k ≥ 2, and δ(1, i) is 0 only for i ≥ 2."""
    picked = sp.Sum(z[j] * sp.KroneckerDelta(j, k), (j, 2, K))
    assert prove(Generic(picked, z[k], ranges=((k, sp.Integer(2), K),))) is not None
    assert prove(Generic(picked, z[k], ranges=((k, sp.Integer(1), K),))) is None
    delta = sp.KroneckerDelta(1, i)
    assert prove(Generic(delta, 0, ranges=((i, sp.Integer(2), K),))) is not None
    assert prove(Generic(delta, 0, ranges=((i, sp.Integer(1), K),))) is None


def test_sum_rules_match_sums_written_out() -> None:
    """The lower-limit and constant rules agree with SymPy's own summation."""
    c = sp.Symbol("c", real=True)
    low_three = sp.Sum(z[j] + c, (j, 3, K))
    written = sp.Sum(z[j], (j, 1, K)) - z[1] - z[2] + (K - 2) * c
    assert prove(Generic(low_three, written)) is not None
    for n in (3, 5):
        values = {z[q]: q**2 for q in range(1, n + 1)} | {c: 7}
        direct = low_three.subs(K, n).doit().xreplace(values)
        assert direct == written.subs(K, n).doit().xreplace(values)


@pytest.mark.parametrize("n_classes", [4, 12])
def test_a_wrong_instance_fails_although_its_twin_holds(n_classes: int) -> None:
    d = derivation(n_classes)
    gauge = d["gauge"]
    lhs = gauge.lhs
    # v added to every row but the last: not a gauge shift
    rows = [*lhs.args[1:-1], lhs.args[-1].subs(real("u"), 0)]
    wrong = dataclasses.replace(gauge, lhs=lhs.func(lhs.args[0], *rows))
    result = wrong.check()
    assert not result.passed
    assert result.method == "failed"
    assert "proved for every K, but this K's statement differs" in result.detail
    dynamics = d["training-dynamics"]
    precond = dynamics.rhs.args[0]
    assert precond == sp.eye(n_classes - 1) + sp.ones(n_classes - 1, n_classes - 1)
    doubled = sp.eye(n_classes - 1) + 2 * sp.ones(n_classes - 1, n_classes - 1)
    wrong = dataclasses.replace(
        dynamics, rhs=sp.MatMul(sp.ImmutableMatrix(doubled), dynamics.rhs.args[1])
    )
    assert not wrong.check().passed


def test_an_unproved_twin_fails_the_step() -> None:
    step = derivation(3)["shift-invariance"]
    wrong = dataclasses.replace(step, generic=lambda: _wrong_twins()[2][1])
    result = wrong.check()
    assert not result.passed
    assert result.detail == "SymPy could not prove the statement for every K"


def test_twin_checks_are_labelled() -> None:
    d = derivation(3)
    checks = d.check()
    by_id = {c.step_id: c for c in checks}
    assert {s for s, c in by_id.items() if c.method == "generic"} == set(TWINS)
    check = by_id["gradients"]
    assert check.label == "verified (SymPy, every K)"
    assert check.detail.startswith("SymPy for every K (sum rules): difference = 0")
    assert "each of 3 index values" in check.detail
    symbolic = sum(c.method in ("symbolic", "generic") for c in checks)
    assert summary_line(d, checks) == (
        f"{len(checks)} of {len(checks)} steps verified ({symbolic} by SymPy, "
        f"{len(TWINS)} of them for every K, {len(checks) - symbolic} numerically); "
        "K = 3."
    )


def test_a_twin_is_only_for_equalities() -> None:
    lam = sp.Symbol("lambda", positive=True)
    with pytest.raises(InputValueError, match="`generic` must be None for an impl"):
        Step(
            "implication",
            "An implication",
            "λx = 0 ⇒ x = 0.",
            real("x"),
            sp.Integer(0),
            premise=(lam * real("x"), sp.Integer(0)),
            generic=every_k.zero_sum,
        )


def test_k12_is_checked_with_twins() -> None:
    """K = 12 in one test: every step passes, the K-sized ones through their twins."""
    d = derivation(12)
    checks = d.check()
    assert [c.step_id for c in checks if not c.passed] == []
    assert {c.step_id for c in checks if c.method == "generic"} == set(TWINS)
    assert isinstance(d["shift-invariance"].lhs, Softmax)
