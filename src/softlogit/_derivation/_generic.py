"""Proofs for every number of classes at once: statements with a symbolic ``K``.

A step whose statement holds for every ``K`` (shift invariance, the gradient
``pₖ - yₖ``, the preconditioner ``P = I + 11ᵀ``…) carries a :class:`Generic` twin:
the same relation written with a symbolic ``K``, indexed symbols (``z[k]``) and
:class:`sympy.Sum` over the classes. :func:`prove` reduces the twin's difference to
zero once, whatever ``K``; the ``K``-specific statement is then only checked to agree
with it (numerically, :meth:`softlogit.Step.check`), so a large ``K`` costs no
``K``-sized symbolic work.

The reduction uses SymPy's ``expand``, ``exp(a + b) = exp(a)·exp(b)``, ``diff`` and
``cancel`` (sums are then opaque generators), and four rules of finite sums, each
valid for every ``K >= 1`` and applied innermost first:

- linearity: ``Σ (f + g) = Σ f + Σ g`` and ``Σ c·f = c·Σ f`` for ``c`` free of the
  summation index; ``Σⱼ c = (hi - lo + 1)·c``;
- a lower limit ``lo > 1`` is written from 1: ``Σ_{lo}^{hi} f = Σ_1^{hi} f - f(1) - …
  - f(lo - 1)``;
- Kronecker's delta: ``Σⱼ f(j)·δ(j, k) = f(k)`` when ``k``'s range (from the step's
  ``ranges``, or an enclosing sum's limits) provably lies within the sum's limits,
  and ``δ(p, q) = 0`` when the ranges of ``p`` and ``q`` provably do not meet;
- bound indices are renamed by depth, so that equal sums compare equal.

``given`` equations (``Σₙ yₙ = 1``) are substituted after each pass.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import NamedTuple

import sympy as sp

__all__ = ["Generic", "Relation", "prove"]

_PASSES = 6

Relation = tuple[sp.Basic, sp.Basic]

Ranges = Mapping[sp.Symbol, tuple[sp.Basic, sp.Basic]]


class Generic(NamedTuple):
    """A statement for every number of classes ``K``: ``lhs = rhs``.

    Attributes
    ----------
    lhs, rhs : sympy.Basic
        The two sides, with a symbolic ``K``, indexed symbols and sums over classes
        (derivatives may be left unevaluated: :func:`prove` evaluates them).
    given : tuple of (sympy.Basic, sympy.Basic)
        Assumed equations ``expression = value`` substituted during the proof, e.g.
        ``Σₙ yₙ = 1``.
    ranges : tuple of (sympy.Symbol, sympy.Basic, sympy.Basic)
        Free index symbols and their (symbolic) inclusive ranges, e.g.
        ``(k, 1, K)``.
    """

    lhs: sp.Basic
    rhs: sp.Basic
    given: tuple[Relation, ...] = ()
    ranges: tuple[tuple[sp.Symbol, sp.Basic, sp.Basic], ...] = ()


def _within(index: sp.Basic, low: sp.Basic, high: sp.Basic, ranges: Ranges) -> bool:
    """Whether ``low <= index <= high`` follows from the assumptions and ``ranges``."""
    span = _span(index, ranges)
    if span is None:
        return False
    return bool((span[0] - low).is_nonnegative and (high - span[1]).is_nonnegative)


def _span(index: sp.Basic, ranges: Ranges) -> tuple[sp.Basic, sp.Basic] | None:
    if index in ranges:
        return ranges[index]
    return (index, index) if index.is_Integer else None


def _apart(p: sp.Basic, q: sp.Basic, ranges: Ranges) -> bool:
    """Whether the ranges of ``p`` and ``q`` provably do not meet: ``δ(p, q) = 0``."""
    p_span, q_span = _span(p, ranges), _span(q, ranges)
    if p_span is None or q_span is None:
        return False
    return bool(
        (q_span[0] - p_span[1]).is_positive or (p_span[0] - q_span[1]).is_positive
    )


def _sum_rule(total: sp.Sum, ranges: Ranges) -> sp.Basic:
    """One of the module's rules applied to ``total`` at its top, or ``total``."""
    ((v, low, high),) = total.limits
    f = total.function
    if low.is_Integer and low > 1:
        first = [f.xreplace({v: sp.Integer(m)}) for m in range(1, int(low))]
        return sp.Sum(f, (v, 1, high)) - sp.Add(*first)
    if v not in f.free_symbols:
        return (high - low + 1) * f
    if isinstance(f, sp.Add):
        return sp.Add(*(sp.Sum(t, (v, low, high)) for t in f.args))
    factors = sp.Mul.make_args(f)
    constant = [a for a in factors if v not in a.free_symbols]
    if constant:
        rest = sp.Mul(*(a for a in factors if v in a.free_symbols))
        return sp.Mul(*constant) * sp.Sum(rest, (v, low, high))
    for delta in factors:
        if isinstance(delta, sp.KroneckerDelta) and v in delta.args:
            other = delta.args[1] if delta.args[0] == v else delta.args[0]
            if v not in other.free_symbols and _within(other, low, high, ranges):
                return (f / delta).xreplace({v: other})
    return total


def _rewrite(expr: sp.Basic, ranges: Ranges, depth: int = 0) -> sp.Basic:
    """The sum rules, innermost first, with bound indices renamed by depth."""
    if not expr.args or expr.is_Atom:
        return expr
    if isinstance(expr, sp.Sum | sp.Product) and len(expr.limits) == 1:
        ((v, low, high),) = expr.limits
        bound = sp.Symbol(f"_i{depth}", integer=True)
        inner = {**ranges, bound: (low, high)}
        body = _rewrite(expr.function.xreplace({v: bound}), inner, depth + 1)
        rebuilt = expr.func(body, (bound, low, high))
        if isinstance(rebuilt, sp.Sum):
            result = _sum_rule(rebuilt, ranges)
            if result != rebuilt:
                return _rewrite(result, ranges, depth)
        return rebuilt
    rebuilt = expr.func(*(_rewrite(a, ranges, depth) for a in expr.args))
    if isinstance(rebuilt, sp.KroneckerDelta):
        p, q = rebuilt.args[:2]
        if _apart(p, q, ranges):
            return sp.Integer(0)
    return rebuilt


def _split_exp(expr: sp.Basic) -> sp.Basic:
    """``exp(a + b) = exp(a)·exp(b)``, keeping ``exp(Σ f)`` whole.

    SymPy's ``expand(power_exp=True)`` turns ``exp(Σ f)`` into ``Π exp(f)``, a product
    that no longer cancels against ``exp(-Σ f)``; this rule does not.
    """
    return expr.replace(
        lambda x: isinstance(x, sp.exp) and isinstance(x.args[0], sp.Add),
        lambda x: sp.Mul(*(sp.exp(term) for term in x.args[0].args)),
    )


def _normal(expr: sp.Basic, statement: Generic) -> sp.Basic:
    ranges: Ranges = {s: (low, high) for s, low, high in statement.ranges}
    given = {
        _rewrite(_split_exp(sp.expand(a, power_exp=False, log=False)), ranges): b
        for a, b in statement.given
    }
    expr = expr.replace(
        lambda e: isinstance(e, sp.Derivative), lambda e: e.doit(deep=False)
    )
    for _ in range(_PASSES):
        previous = expr
        expr = _split_exp(
            sp.expand(expr, power_exp=False, log=False, multinomial=False)
        )
        expr = _rewrite(expr, ranges).xreplace(given)
        if expr == previous:
            break
    return expr


@functools.lru_cache(maxsize=64)
def prove(statement: Generic) -> str | None:
    """Name how SymPy reduced the statement's difference to 0, or None if it could not.

    Cached per statement: a statement for every ``K`` is proved once per process.

    Examples
    --------
    >>> import sympy as sp
    >>> K = sp.Symbol("K", integer=True, positive=True)
    >>> j, k = sp.symbols("j k", integer=True, positive=True)
    >>> z, c = sp.IndexedBase("z", real=True), sp.Symbol("c", real=True)
    >>> softmax = lambda f: sp.exp(f(k)) / sp.Sum(sp.exp(f(j)), (j, 1, K))
    >>> shift = Generic(softmax(lambda i: z[i] + c), softmax(lambda i: z[i]))
    >>> prove(shift)
    'sum rules'
    >>> prove(Generic(softmax(lambda i: 2 * z[i]), softmax(lambda i: z[i]))) is None
    True
    """
    difference = _normal(statement.lhs - statement.rhs, statement)
    if difference == 0:
        return "sum rules"
    if sp.cancel(sp.together(difference)) == 0:
        return "sum rules + cancel"
    return None
