"""Steps of a derivation as data, and their machine checks.

A :class:`Step` states one relation between SymPy expressions written in the notation of
:mod:`softlogit._derivation._notation`:

- an equality ``lhs = rhs`` (for every value of an index such as ``k = 1, …, K``,
  with substitutions ``where`` that define abbreviations and ``given`` equations that
  hold by assumption), or
- an implication ``premise ⇒ lhs = rhs`` under a side ``condition``.

:meth:`Step.check` proves an equality by expanding the notation and simplifying the
difference to zero with SymPy (``expand``, ``cancel``, ``simplify``, ``expand_log``); if
SymPy cannot decide, it evaluates both sides at random points with mpmath at 50 digits
and says so in :attr:`StepCheck.method`. An implication ``P ⇒ C`` is proved by writing
``P``'s difference as ``q`` times ``C``'s and showing that ``q ≠ 0`` under the condition
(from the symbols' assumptions, e.g. ``λ > 0``).

A step that holds for every number of classes carries the builder of its twin, a
:class:`._generic.Generic` statement with a symbolic ``K`` (built only when the step is
checked): SymPy proves the twin once, whatever ``K``, and the ``K``-specific statement
is checked to agree with it at random points (all index values in one compiled pass),
so that a large ``K`` costs no ``K``-sized symbolic work. Its method is
``"generic"``.
"""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import mpmath
import sympy as sp

from softlogit._derivation._generic import Generic, Relation, prove
from softlogit._derivation._notation import (
    Sub,
    Vector,
    coordinate,
    distinct_nodes,
    expand_notation,
)
from softlogit._validation import Integer, Options, check_param
from softlogit.errors import InputTypeError, InputValueError

__all__ = ["Relation", "RenderedSteps", "Step", "StepCheck"]

CheckMethod = Literal["auto", "symbolic", "numeric"]


@contextlib.contextmanager
def unicode_symbols() -> Iterator[None]:
    """Within the block SymPy draws with its Unicode symbols, whatever the terminal.

    SymPy decides at import whether ``sys.stdout`` can show Unicode and keeps a
    global flag; ``pretty(..., use_unicode=True)`` with the flag off mixes the
    two tables and fails (``KeyError: 'sum'`` under ``PYTHONIOENCODING=cp1252``).
    A document is Unicode text; the command line spells it for the stream.
    """
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    previous = pretty_use_unicode(True)
    try:
        yield
    finally:
        pretty_use_unicode(previous)


def pretty(expr: sp.Basic, **settings: Any) -> str:
    """``sympy.pretty`` with Unicode symbols (see :func:`unicode_symbols`)."""
    with unicode_symbols():
        text: str = sp.pretty(expr, use_unicode=True, **settings)
    return text


class RenderedSteps(Protocol):
    """What the renderers read of a derivation (:class:`softlogit.Derivation`)."""

    @property
    def title(self) -> str: ...

    @property
    def n_classes(self) -> int: ...

    @property
    def ids(self) -> list[str]: ...

    def __iter__(self) -> Iterator[Step]: ...

    def check(self) -> list[StepCheck]: ...


_DIGITS = 50
_TOLERANCE = mpmath.mpf(10) ** -40
_MAX_SYMBOLIC_OPS = 500


_LABELS = {"symbolic": "verified (SymPy)", "generic": "verified (SymPy, every K)"}


@dataclass(frozen=True)
class StepCheck:
    """The outcome of checking one :class:`Step`.

    Attributes
    ----------
    step_id : str
        The checked step's ``id``.
    passed : bool
        Whether the relation was verified.
    method : str
        How: ``"symbolic"`` (SymPy reduced the difference to zero), ``"generic"``
        (SymPy proved the statement for every ``K``; this ``K``'s statement agrees
        with it at random points), ``"numeric"`` (randomized mpmath evaluation) or
        ``"failed"``.
    detail : str
        A human-readable account, e.g. ``"SymPy simplify: difference = 0"`` or
        ``"checked numerically at 40 points, 50 digits"``.
    cases : int
        Number of index values checked (1 without an index).
    """

    step_id: str
    passed: bool
    method: str
    detail: str
    cases: int = 1

    @property
    def label(self) -> str:
        """A short badge text: ``"verified (SymPy)"``, ``"verified (SymPy, every K)"``,
        ``"verified (numeric)"``, ``"FAILED"``."""
        if not self.passed:
            return "FAILED"
        return _LABELS.get(self.method, "verified (numeric)")


@dataclass(frozen=True)
class Step:
    """One checked step of a derivation.

    Parameters
    ----------
    id : str
        A stable identifier (``"shift-invariance"``); HTML anchors are ``step-<id>``.
    title : str
        A short heading.
    explanation : str
        One line saying what the step shows and why it matters.
    lhs, rhs : sympy.Basic
        The two sides of the equality (the conclusion of an implication).
    premise : tuple of (sympy.Basic, sympy.Basic), optional
        For an implication ``premise ⇒ lhs = rhs``: the premise's two sides.
    condition : sympy.Basic, optional
        The side condition of an implication (e.g. ``λ > 0``); its symbols must carry
        the matching SymPy assumptions, which the check relies on.
    where : sequence of (sympy.Basic, sympy.Basic)
        Abbreviations ``name = expression`` substituted (in order) before the notation
        is expanded, e.g. ``z_j = w_j·a + b_j``. An entry that contains an index symbol
        of ``ranges`` stands for every value of that index.
    given : sequence of (sympy.Basic, sympy.Basic)
        Assumed equations ``symbol = expression`` substituted after expansion (after
        derivatives are taken), e.g. equivalent initialization ``w = w₂ - w₁``.
    ranges : mapping of sympy.Symbol to (int, int)
        Index symbols and their inclusive ranges; the relation is checked for every
        combination of the indices that occur in it.
    method : {"auto", "symbolic", "numeric"}, default="auto"
        ``"auto"`` tries SymPy and falls back to the numeric check.
    points : int, default=40
        Number of random points of the numeric check.
    domains : mapping of sympy.Symbol to (float, float)
        Sampling intervals for the numeric check (default: ``(-3, 3)`` for real
        symbols, ``(0.1, 3)`` for positive ones, ``1..20`` for positive integers).
    notes : sequence of (sympy.Basic, sympy.Basic)
        Definitions ``notation ≔ formula`` shown with the step (not part of its
        check).
    generic : callable returning Generic, optional
        Builds the statement for every number of classes (see the module docstring);
        the step is then checked by proving it and comparing this statement with it
        at ``points`` random points. Not for implications.

    Examples
    --------
    >>> import sympy as sp
    >>> from softlogit import Step
    >>> t = sp.Symbol("t", real=True)
    >>> step = Step("symmetry", "Symmetry", "σ(-t) = 1 - σ(t).",
    ...             1 / (1 + sp.exp(t)), 1 - 1 / (1 + sp.exp(-t)))
    >>> step.check().passed
    True
    >>> wrong = Step("wrong", "Wrong", "Not an identity.", sp.exp(t), 1 + t)
    >>> wrong.check().label
    'FAILED'
    """

    id: str
    title: str
    explanation: str
    lhs: sp.Basic
    rhs: sp.Basic
    premise: Relation | None = None
    condition: sp.Basic | None = None
    where: tuple[Relation, ...] = ()
    given: tuple[Relation, ...] = ()
    ranges: Mapping[sp.Symbol, tuple[int, int]] = field(default_factory=dict)
    method: CheckMethod = "auto"
    points: int = 40
    domains: Mapping[sp.Symbol, tuple[float, float]] = field(default_factory=dict)
    notes: tuple[Relation, ...] = ()
    generic: Callable[[], Generic] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str):
            raise InputTypeError(f"`id` must be a non-empty string; got {self.id!r}.")
        if not self.id:
            raise InputValueError(f"`id` must be a non-empty string; got {self.id!r}.")
        check_param("method", self.method, Options(("auto", "symbolic", "numeric")))
        if self.generic is not None and self.premise is not None:
            raise InputValueError(
                "`generic` must be None for an implication (a step with a `premise`); "
                f"got {self.generic!r}."
            )
        check_param("points", self.points, Integer(low=1))
        object.__setattr__(self, "lhs", sp.sympify(self.lhs))
        object.__setattr__(self, "rhs", sp.sympify(self.rhs))

    @property
    def is_implication(self) -> bool:
        """Whether the step is an implication ``premise ⇒ lhs = rhs``."""
        return self.premise is not None

    def index_values(self) -> list[dict[sp.Symbol, int]]:
        """Every assignment of the index symbols that occur in the relation."""
        exprs: list[sp.Basic] = [self.lhs, self.rhs]
        if self.premise is not None:
            exprs.extend(self.premise)
        free: set[sp.Basic] = set().union(*(e.free_symbols for e in exprs))
        used = [s for s in self.ranges if s in free]
        cases: list[dict[sp.Symbol, int]] = [{}]
        for symbol in used:
            low, high = self.ranges[symbol]
            cases = [{**c, symbol: v} for c in cases for v in range(low, high + 1)]
        return cases

    # ------------------------------------------------------------------ checking

    def _expand(self, expr: sp.Basic, case: Mapping[sp.Symbol, int]) -> sp.Basic:
        expr = _canonical(
            _resolve(expr.xreplace({s: sp.Integer(v) for s, v in case.items()}))
        )
        expr = _substitute(expr, self._entries(self.where))
        expr = expand_notation(expr)
        given = (
            [
                _solved(expand_notation(name), expand_notation(value))
                for name, value in g
            ]
            for g in self._entries(self.given)
        )
        expr = _substitute(expr, given)
        if isinstance(expr, sp.MatrixExpr):
            expr = expr.doit()
            if isinstance(expr, sp.MatrixExpr):
                expr = expr.as_explicit()
        return expr

    def _entries(self, relations: Sequence[Relation]) -> Iterator[list[Relation]]:
        """``where``/``given`` entries: per relation, one per value of the index
        symbols it uses."""
        for name, value in relations:
            indices = [s for s in self.ranges if s in name.free_symbols]
            cases: list[dict[sp.Symbol, int]] = [{}]
            for symbol in indices:
                low, high = self.ranges[symbol]
                cases = [{**c, symbol: v} for c in cases for v in range(low, high + 1)]
            yield [
                (
                    _canonical(_resolve(name.xreplace(repl))),
                    _canonical(_resolve(value.xreplace(repl))),
                )
                for repl in ({s: sp.Integer(v) for s, v in c.items()} for c in cases)
            ]

    def check(self) -> StepCheck:
        """Verify the step; see the module docstring for the methods.

        Returns
        -------
        StepCheck
            ``passed`` is false if the relation is wrong or could not be verified.
        """
        if self.generic is not None:
            return self._check_generic()
        cases = self.index_values()
        methods: set[str] = set()
        details: list[str] = []
        for case in cases:
            try:
                ok, method, detail = self._check_case(case)
            except (TypeError, ValueError, ZeroDivisionError, RuntimeError) as exc:
                ok, method, detail = False, "failed", f"check raised {exc!r}"
            where = ", ".join(f"{s} = {v}" for s, v in case.items())
            if not ok:
                prefix = f"for {where}: " if where else ""
                return StepCheck(self.id, False, "failed", prefix + detail, len(cases))
            methods.add(method)
            details.append(detail)
        method = "numeric" if "numeric" in methods else "symbolic"
        numeric = [d for d in details if d.startswith("checked numerically")]
        detail = numeric[0] if numeric else details[0]
        if len(cases) > 1:
            detail += f" (each of {len(cases)} index values)"
        return StepCheck(self.id, True, method, detail, len(cases))

    def _check_generic(self) -> StepCheck:
        """Prove the statement for every ``K``; compare this ``K``'s with it."""
        assert self.generic is not None
        cases = self.index_values()
        try:
            how = prove(self.generic())
        except (TypeError, ValueError, ZeroDivisionError, RuntimeError) as exc:
            how, detail = None, f"the proof for every K raised {exc!r}"
        else:
            detail = "SymPy could not prove the statement for every K"
        if how is None:
            return StepCheck(self.id, False, "failed", detail, len(cases))
        try:
            ok, _, compared = self._numeric(self._instance_pairs(cases))
        except (TypeError, ValueError, ZeroDivisionError, RuntimeError) as exc:
            ok, compared = False, f"the check raised {exc!r}"
        if not ok:
            detail = f"proved for every K, but this K's statement differs: {compared}"
            return StepCheck(self.id, False, "failed", detail, len(cases))
        each = f", each of {len(cases)} index values" if len(cases) > 1 else ""
        detail = (
            f"SymPy for every K ({how}): difference = 0; this K's statement agrees "
            f"with it at {self.points} random points, {_DIGITS} digits{each}"
        )
        return StepCheck(self.id, True, "generic", detail, len(cases))

    def _instance_pairs(
        self, cases: Sequence[Mapping[sp.Symbol, int]]
    ) -> list[Relation]:
        """Both sides for every index value, matrices entry by entry."""
        pairs: list[Relation] = []
        for case in cases:
            lhs, rhs = self._expand(self.lhs, case), self._expand(self.rhs, case)
            if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
                lhs, rhs = sp.Matrix(lhs), sp.Matrix(rhs)
                if lhs.shape != rhs.shape:
                    raise ValueError(f"shapes differ: {lhs.shape} vs {rhs.shape}")
                pairs.extend(zip(lhs, rhs, strict=True))
            else:
                pairs.append((lhs, rhs))
        return pairs

    def _check_case(self, case: Mapping[sp.Symbol, int]) -> tuple[bool, str, str]:
        lhs = self._expand(self.lhs, case)
        rhs = self._expand(self.rhs, case)
        if self.premise is None:
            return self._check_equal(lhs, rhs)
        p_lhs = self._expand(self.premise[0], case)
        p_rhs = self._expand(self.premise[1], case)
        return self._check_implication(p_lhs - p_rhs, lhs - rhs)

    def _check_equal(self, lhs: sp.Basic, rhs: sp.Basic) -> tuple[bool, str, str]:
        if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
            lhs_m, rhs_m = sp.Matrix(lhs), sp.Matrix(rhs)
            if lhs_m.shape != rhs_m.shape:
                return False, "failed", f"shapes differ: {lhs_m.shape} vs {rhs_m.shape}"
            pairs = list(zip(lhs_m, rhs_m, strict=True))
        else:
            pairs = [(lhs, rhs)]
        how: str | None = None
        undecided: list[tuple[sp.Basic, sp.Basic]] = []
        for a, b in pairs:
            reduced = None if self.method == "numeric" else _symbolic_zero(a - b)
            if reduced is None:
                undecided.append((a, b))
            elif how is None:
                how = reduced
        if not undecided:
            return True, "symbolic", f"SymPy {how}: difference = 0"
        if self.method == "symbolic":
            return False, "failed", "SymPy could not reduce the difference to 0"
        # every entry SymPy could not decide is checked in one numeric pass
        return self._numeric(undecided)

    def _check_implication(
        self, premise: sp.Basic, conclusion: sp.Basic
    ) -> tuple[bool, str, str]:
        if sp.expand(conclusion) == 0:
            return True, "symbolic", "the conclusion holds identically"
        factor = sp.simplify(premise / conclusion)
        residual = sp.expand(premise - factor * conclusion)
        if residual != 0 and _symbolic_zero(residual) is None:
            return False, "failed", "the premise is not a multiple of the conclusion"
        if factor.free_symbols & conclusion.free_symbols - premise.free_symbols:
            return False, "failed", "the factor depends on the conclusion"
        if factor.is_zero is False:
            shown = pretty(factor)
            because = (
                f" since {pretty(self.condition)}" if self.condition is not None else ""
            )
            return (
                True,
                "symbolic",
                f"SymPy: premise = {shown}·(conclusion) and {shown} ≠ 0{because}",
            )
        return False, "failed", f"cannot show that the factor {factor} is nonzero"

    def _numeric(
        self, pairs: Sequence[tuple[sp.Basic, sp.Basic]]
    ) -> tuple[bool, str, str]:
        """Both sides of every pair at random points, 50 digits, one compiled function.

        The sides are compiled together with common subexpressions eliminated: the
        entries of a K-class gradient share the exponentials of every logit.
        """
        sides = [side for pair in pairs for side in pair]
        nodes = distinct_nodes(sides)
        if any(getattr(node, "bound_symbols", ()) for node in nodes):
            free: set[sp.Basic] = set().union(*(side.free_symbols for side in sides))
        else:
            free = {node for node in nodes if isinstance(node, sp.Symbol)}
        symbols = sorted(free, key=lambda s: str(s))
        if any(isinstance(node, sp.core.function.AppliedUndef) for node in nodes):
            return (
                False,
                "failed",
                "SymPy could not decide, and an undefined function prevents a "
                "numeric check",
            )
        rng = random.Random(f"softlogit-derivation:{self.id}")
        # Arguments named as Python identifiers (lambdify rewrites the sides once
        # per other name, ``w[1]``), no implemented functions to look up (a walk of
        # every path of the tree) and no docstring (a printout of the sides).
        names = {
            s: sp.Symbol(f"x_{n}", **s.assumptions0) for n, s in enumerate(symbols)
        }
        memo: dict[sp.Basic, sp.Basic] = {}
        evaluate = sp.lambdify(
            list(names.values()),
            [_replaced(side, names, memo) for side in sides],
            "mpmath",
            cse=True,
            use_imps=False,
            docstring_limit=0,
        )
        worst = mpmath.mpf(0)
        with mpmath.workdps(_DIGITS):
            for _ in range(self.points):
                values = [self._sample(s, rng) for s in symbols]
                results = [mpmath.mpmathify(v) for v in evaluate(*values)]
                for a, b in zip(results[::2], results[1::2], strict=True):
                    error = abs(a - b) / max(mpmath.mpf(1), abs(a), abs(b))
                    worst = max(worst, error)
                    if not error <= _TOLERANCE:
                        point = ", ".join(
                            f"{s} = {mpmath.nstr(v, 6)}"
                            for s, v in zip(symbols, values, strict=True)
                        )
                        return (
                            False,
                            "failed",
                            f"sides differ by {mpmath.nstr(abs(a - b), 6)} at {point}",
                        )
        return (
            True,
            "numeric",
            f"checked numerically at {self.points} points, {_DIGITS} digits "
            f"(max relative difference {mpmath.nstr(worst, 3)})",
        )

    def _sample(self, symbol: sp.Symbol, rng: random.Random) -> mpmath.mpf:
        if symbol in self.domains:
            low, high = self.domains[symbol]
        elif symbol.is_integer and symbol.is_positive:
            return mpmath.mpf(rng.randint(1, 20))
        elif symbol.is_positive:
            low, high = 0.1, 3.0
        else:
            low, high = -3.0, 3.0
        # 50 random digits, not a float's 16.
        fraction = mpmath.mpf((rng.getrandbits(170), -170))
        return mpmath.mpf(low) + (mpmath.mpf(high) - mpmath.mpf(low)) * fraction


def _mappings(
    groups: Iterable[Sequence[Relation]],
) -> Iterator[dict[sp.Basic, sp.Basic]]:
    """The replacements of each group (a relation for every index value) at once,
    when that is the same as one after the other: no name of the group occurs in
    another of its names or in its values; else one by one. A :class:`Vector` is
    also replaced coordinate by coordinate."""
    for group in groups:
        mappings = []
        for name, value in group:
            mapping: dict[sp.Basic, sp.Basic] = {name: value}
            if isinstance(name, Vector):
                for i in range(1, 10):
                    mapping[coordinate(name, i)] = coordinate(value, i)
            mappings.append(mapping)
        names = [name for mapping in mappings for name in mapping]
        inside = distinct_nodes(
            [
                *(v for m in mappings for v in m.values()),
                *(a for n in names for a in n.args),
            ]
        )
        values = {value for mapping in mappings for value in mapping.values()}
        if (
            len(set(names)) == len(names)
            and not set(names) & set(inside)
            and not values & set(distinct_nodes(names))
        ):
            yield {
                name: value for mapping in mappings for name, value in mapping.items()
            }
        else:
            yield from mappings


def _substitute(expr: sp.Basic, groups: Iterable[Sequence[Relation]]) -> sp.Basic:
    """Replace each ``name`` by its ``value``, in order (see :func:`_mappings`).

    Consecutive replacements are made in one pass over ``expr`` (the earlier values
    rewritten by the later replacements) when that is the same as making them one
    after the other: the later names are new and contain no earlier name or value,
    so no subtree can match a later name only because of an earlier replacement.
    """
    batch: dict[sp.Basic, sp.Basic] = {}
    for mapping in _mappings(groups):
        parts = {part for new in mapping for part in sp.preorder_traversal(new)}
        if any(old in parts or done in parts for old, done in batch.items()):
            expr, batch = _replaced(expr, batch, {}), {}
        memo: dict[sp.Basic, sp.Basic] = {}
        batch = {old: _replaced(done, mapping, memo) for old, done in batch.items()}
        batch.update(mapping)
    return _replaced(expr, batch, {}) if batch else expr


def _replaced(
    expr: sp.Basic, mapping: Mapping[sp.Basic, sp.Basic], memo: dict[sp.Basic, sp.Basic]
) -> sp.Basic:
    """``expr.xreplace(mapping)``, each distinct subexpression rewritten once.

    ``xreplace`` rewrites a subexpression once per path to it; the entries of a
    K-class gradient share the logits' exponentials and sums.
    """
    if expr in mapping:
        return mapping[expr]
    done = memo.get(expr)
    if done is not None:
        return done
    if isinstance(expr, sp.MatrixBase):
        done = expr.applyfunc(lambda entry: _replaced(entry, mapping, memo))
    elif not expr.args:
        done = expr
    else:
        args = tuple(_replaced(arg, mapping, memo) for arg in expr.args)
        same = all(new is old for new, old in zip(args, expr.args, strict=True))
        done = expr if same else expr.func(*args)
    memo[expr] = done
    return done


def _canonical(expr: sp.Basic) -> sp.Basic:
    """Rebuild ``expr`` with evaluation, so display forms (``z₂ - z₁`` kept unsorted)
    match the canonical forms SymPy builds."""
    if not expr.args or isinstance(expr, sp.MatrixBase):
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(_canonical)
        return expr
    return expr.func(*(_canonical(a) for a in expr.args))


def _resolve(expr: sp.Basic) -> sp.Basic:
    """Turn indexed notation with a numeric index (``z_k`` at ``k = 1``) into symbols."""
    return expr.replace(
        lambda e: isinstance(e, Sub) and e.args[1].is_Integer,
        lambda e: e.definition(),
    )


@functools.lru_cache(maxsize=256)
def _solved(name: sp.Basic, value: sp.Basic) -> Relation:
    """Turn an assumed equation into a substitution ``symbol -> expression``.

    ``y₁ + y₂ = 1`` becomes ``y₂ -> 1 - y₁`` (solved for the last symbol by name).
    """
    if isinstance(name, sp.Symbol):
        return name, value
    target = max(name.free_symbols, key=str)
    solutions = sp.solve(sp.Eq(name, value), target)
    if len(solutions) != 1:
        raise ValueError(f"cannot solve the assumption {name} = {value} for {target}")
    return target, solutions[0]


def _symbolic_zero(difference: sp.Basic) -> str | None:
    """Name the first SymPy transformation that reduces ``difference`` to 0, if any.

    Differences larger than ``_MAX_SYMBOLIC_OPS`` operations (K-class gradients for
    K >= 4) are left to the numeric check: SymPy's rational simplification of them
    takes minutes.
    """
    if sp.count_ops(difference) > _MAX_SYMBOLIC_OPS:
        return None
    if sp.expand(difference) == 0:
        return "expand"
    if sp.cancel(sp.together(difference)) == 0:
        return "cancel"
    if sp.simplify(difference) == 0:
        return "simplify"
    if sp.simplify(sp.expand_log(difference, force=False)) == 0:
        return "expand_log + simplify"
    rewritten = sp.powsimp(sp.expand(difference.rewrite(sp.exp)), combine="exp")
    if sp.simplify(rewritten) == 0:
        return "rewrite(exp) + simplify"
    return None
