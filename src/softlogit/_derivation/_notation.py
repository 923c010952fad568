"""Notation for the derivation: SymPy objects that print like a textbook and expand.

Each class below is a SymPy ``Function`` (or ``Symbol``) that stays unevaluated, so a
step can be *shown* as ``softmax(z₁, z₂)₂ = σ(z₂ - z₁)``, and is *checked* after
:func:`expand_notation` replaced every notation by its definition (``σ(t) =
1/(1 + e^{-t})``, ``softmax(z)_k = e^{z_k} / Σ_j e^{z_j}``, ``u·v = Σ_i u_i v_i``, a
partial derivative by SymPy's ``diff``).

Every class prints itself in four ways: ``str``, Unicode (``sympy.pretty``), LaTeX and
presentation MathML (``sympy.printing.mathml.mathml(..., printer="presentation")``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pretty.stringpict import prettyForm

__all__ = [
    "BCE",
    "VECTOR_DIMENSION",
    "Dot",
    "Hat",
    "Increment",
    "Partial",
    "Primed",
    "Sigmoid",
    "Softmax",
    "SqNorm",
    "Sub",
    "Vector",
    "coordinate",
    "distinct_nodes",
    "expand_notation",
    "real",
]

# Vectors are checked with this many symbolic coordinates: every identity about them in
# the derivation is linear or bilinear, so it holds coordinate by coordinate.
VECTOR_DIMENSION = 3

_SUBSCRIPTS = str.maketrans(
    "0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"
)


def real(name: str) -> sp.Symbol:
    """A real SymPy symbol (the derivation's scalars are real)."""
    return sp.Symbol(name, real=True)


# --------------------------------------------------------------------------- helpers


def _mi(printer: Any, text: str, *, variant: str | None = None) -> Any:
    node = printer.dom.createElement("mi")
    if variant is not None:
        node.setAttribute("mathvariant", variant)
    node.appendChild(printer.dom.createTextNode(text))
    return node


def _mo(printer: Any, text: str) -> Any:
    node = printer.dom.createElement("mo")
    node.appendChild(printer.dom.createTextNode(text))
    return node


def _mrow(printer: Any, *children: Any) -> Any:
    row = printer.dom.createElement("mrow")
    for child in children:
        row.appendChild(child)
    return row


def _msub(printer: Any, base: Any, sub: Any) -> Any:
    node = printer.dom.createElement("msub")
    node.appendChild(base)
    node.appendChild(sub)
    return node


def _msup(printer: Any, base: Any, sup: Any) -> Any:
    node = printer.dom.createElement("msup")
    node.appendChild(base)
    node.appendChild(sup)
    return node


def _needs_parens(expr: sp.Basic) -> bool:
    return isinstance(expr, sp.Add) or (
        isinstance(expr, sp.Mul) and expr.could_extract_minus_sign()
    )


def _mathml_arguments(printer: Any, args: tuple[sp.Basic, ...]) -> Any:
    row = _mrow(printer, _mo(printer, "("))
    for i, arg in enumerate(args):
        if i:
            row.appendChild(_mo(printer, ","))
        row.appendChild(printer._print(arg))
    row.appendChild(_mo(printer, ")"))
    return row


def _unicode_subscript(text: str) -> str | None:
    translated = text.translate(_SUBSCRIPTS)
    return translated if all(ch not in _SUBSCRIPT_SOURCE for ch in translated) else None


_SUBSCRIPT_SOURCE = set("0123456789+-=()aehijklmnoprstuvx")


# --------------------------------------------------------------------------- symbols


class Vector(sp.Symbol):  # type: ignore[misc]
    """A vector (printed in bold in LaTeX and MathML); coordinates via :func:`coordinate`."""

    def __new__(cls, name: str) -> Vector:
        obj: Vector = super().__new__(cls, name, real=True)
        return obj

    def _latex(self, printer: Any) -> str:
        base, _, sub = self.name.partition("_")
        text = rf"\boldsymbol{{{printer._print(sp.Symbol(base))}}}"
        return f"{text}_{{{sub}}}" if sub else text

    def _mathml_presentation(self, printer: Any) -> Any:
        base, _, sub = self.name.partition("_")
        node = printer._print(sp.Symbol(base))
        node.setAttribute("mathvariant", "bold")
        if sub:
            node = _msub(printer, node, printer._print(sp.Symbol(sub)))
        return node


def coordinate(expr: sp.Expr, i: int) -> sp.Expr:
    """Coordinate ``i`` of a linear combination of :class:`Vector` symbols."""
    return expr.xreplace({v: real(f"{v.name}[{i}]") for v in expr.atoms(Vector)})


class Primed(sp.Symbol):  # type: ignore[misc]
    """A symbol printed with a prime: ``Primed("lambda")`` shows as λ′."""

    def __new__(cls, name: str, **assumptions: bool) -> Primed:
        obj: Primed = super().__new__(cls, name, **assumptions)
        return obj

    def _plain(self) -> sp.Symbol:
        return sp.Symbol(self.name)

    def _sympystr(self, printer: Any) -> str:
        return f"{self.name}'"

    def _latex(self, printer: Any) -> str:
        return f"{printer._print(self._plain())}'"

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(*printer._print(self._plain()).right("′"))

    def _mathml_presentation(self, printer: Any) -> Any:
        prime = _mo(printer, "′")
        prime.setAttribute("lspace", "0")
        prime.setAttribute("rspace", "0")
        return _mrow(printer, printer._print(self._plain()), prime)


class Hat(sp.Symbol):  # type: ignore[misc]
    """A symbol with a hat: ``Hat("m_1")`` shows as m̂₁ (a bias-corrected moment)."""

    def __new__(cls, name: str, **assumptions: bool) -> Hat:
        obj: Hat = super().__new__(cls, name, **assumptions)
        return obj

    def _parts(self) -> tuple[sp.Symbol, str]:
        base, _, sub = self.name.partition("_")
        return sp.Symbol(base), sub

    def _sympystr(self, printer: Any) -> str:
        return f"{self.name}_hat"

    def _latex(self, printer: Any) -> str:
        base, sub = self._parts()
        text = rf"\hat{{{printer._print(base)}}}"
        return f"{text}_{{{sub}}}" if sub else text

    def _pretty(self, printer: Any) -> prettyForm:
        base, sub = self._parts()
        text = f"{base.name}\u0302" + (
            _unicode_subscript(sub) or f"_{sub}" if sub else ""
        )
        return prettyForm(text)

    def _mathml_presentation(self, printer: Any) -> Any:
        base, sub = self._parts()
        over = printer.dom.createElement("mover")
        over.setAttribute("accent", "true")
        over.appendChild(printer._print(base))
        over.appendChild(_mo(printer, "^"))
        if sub:
            return _msub(printer, over, printer._print(sp.Symbol(sub)))
        return over


# --------------------------------------------------------------------------- notation


class Notation(sp.Function):  # type: ignore[misc]
    """Base class: an unevaluated function shown as notation, with a definition."""

    _name = ""
    # Printers parenthesize by precedence: a function call binds like an atom.
    precedence = PRECEDENCE["Func"]

    @classmethod
    def eval(cls, *args: sp.Basic) -> None:  # stay unevaluated
        return None

    def definition(self) -> sp.Basic:
        """The expression this notation stands for (its arguments already expanded)."""
        raise NotImplementedError

    def _sympystr(self, printer: Any) -> str:
        inner = ", ".join(printer._print(a) for a in self.args)
        return f"{self._name}({inner})"

    def _latex(self, printer: Any) -> str:
        inner = ", ".join(printer._print(a) for a in self.args)
        return rf"\operatorname{{{self._name}}}\left({inner}\right)"

    def _pretty(self, printer: Any) -> prettyForm:
        form: prettyForm = printer._helper_print_function(
            self.func, self.args, func_name=self._name
        )
        return form

    def _mathml_presentation(self, printer: Any) -> Any:
        return _mrow(
            printer, _mi(printer, self._name), _mathml_arguments(printer, self.args)
        )


class Sigmoid(Notation):
    """The logistic sigmoid ``σ(t) = 1 / (1 + e^{-t})``."""

    nargs = 1
    _name = "σ"

    def definition(self) -> sp.Basic:
        (t,) = self.args
        return 1 / (1 + sp.exp(-t))

    def _sympystr(self, printer: Any) -> str:
        return f"sigmoid({printer._print(self.args[0])})"

    def _latex(self, printer: Any) -> str:
        return rf"\sigma\left({printer._print(self.args[0])}\right)"


class Softmax(Notation):
    """Component ``k`` of the softmax: ``Softmax(k, z1, ..., zK)``.

    Shown as ``softmax(z₁, …, z_K)_k``; defined as ``e^{z_k} / Σ_j e^{z_j}`` once ``k``
    is an integer.
    """

    _name = "softmax"

    def definition(self) -> sp.Basic:
        k, *logits = self.args
        if not k.is_Integer:
            return self
        return sp.exp(logits[int(k) - 1]) / sp.Add(*(sp.exp(z) for z in logits))

    def _sympystr(self, printer: Any) -> str:
        k, *logits = self.args
        inner = ", ".join(printer._print(a) for a in logits)
        return f"softmax({inner})[{printer._print(k)}]"

    def _latex(self, printer: Any) -> str:
        k, *logits = self.args
        inner = ", ".join(printer._print(a) for a in logits)
        return rf"\operatorname{{softmax}}\left({inner}\right)_{{{printer._print(k)}}}"

    def _pretty(self, printer: Any) -> prettyForm:
        k, *logits = self.args
        form = printer._helper_print_function(
            self.func, tuple(logits), func_name="softmax"
        )
        sub = _unicode_subscript(str(k))
        tail = sub if sub is not None else f"_{k}"
        return prettyForm(*form.right(tail))

    def _mathml_presentation(self, printer: Any) -> Any:
        k, *logits = self.args
        body = _mrow(
            printer,
            _mi(printer, "softmax"),
            _mathml_arguments(printer, tuple(logits)),
        )
        return _msub(printer, body, printer._print(k))


class BCE(Notation):
    """Binary cross-entropy of a probability ``p`` and a label ``y``.

    ``BCE(p, y) = -y log p - (1 - y) log(1 - p)``.
    """

    nargs = 2
    _name = "BCE"

    def definition(self) -> sp.Basic:
        p, y = self.args
        return -y * sp.log(p) - (1 - y) * sp.log(1 - p)


class Dot(Notation):
    """The dot product ``u·v`` of two linear combinations of :class:`Vector` symbols."""

    nargs = 2
    precedence = PRECEDENCE["Mul"]

    def definition(self) -> sp.Basic:
        u, v = self.args
        return sp.Add(
            *(
                coordinate(u, i) * coordinate(v, i)
                for i in range(1, VECTOR_DIMENSION + 1)
            )
        )

    def _sympystr(self, printer: Any) -> str:
        u, v = (printer.parenthesize(a, 60) for a in self.args)
        return f"{u}.{v}"

    def _latex(self, printer: Any) -> str:
        u, v = (
            rf"\left({printer._print(a)}\right)"
            if _needs_parens(a)
            else printer._print(a)
            for a in self.args
        )
        return rf"{u} \cdot {v}"

    def _pretty(self, printer: Any) -> prettyForm:
        u, v = (
            prettyForm(*printer._print(a).parens())
            if _needs_parens(a)
            else printer._print(a)
            for a in self.args
        )
        return prettyForm(*u.right("⋅", v))

    def _mathml_presentation(self, printer: Any) -> Any:
        parts = []
        for a in self.args:
            node = printer._print(a)
            if _needs_parens(a):
                node = _mrow(printer, _mo(printer, "("), node, _mo(printer, ")"))
            parts.append(node)
        return _mrow(printer, parts[0], _mo(printer, "·"), parts[1])


class SqNorm(Notation):
    """The squared Euclidean norm ``‖u‖²`` (defined as ``u·u``)."""

    nargs = 1
    precedence = PRECEDENCE["Atom"]

    def definition(self) -> sp.Basic:
        (u,) = self.args
        return Dot(u, u)

    def _sympystr(self, printer: Any) -> str:
        return f"||{printer._print(self.args[0])}||^2"

    def _latex(self, printer: Any) -> str:
        return rf"\left\lVert {printer._print(self.args[0])} \right\rVert^{{2}}"

    def _pretty(self, printer: Any) -> prettyForm:
        form = prettyForm(*printer._print(self.args[0]).left("‖"))
        return prettyForm(*form.right("‖²"))

    def _mathml_presentation(self, printer: Any) -> Any:
        inner = _mrow(
            printer, _mo(printer, "‖"), printer._print(self.args[0]), _mo(printer, "‖")
        )
        two = printer.dom.createElement("mn")
        two.appendChild(printer.dom.createTextNode("2"))
        return _msup(printer, inner, two)


@functools.lru_cache(maxsize=4096)
def _derivative(f: sp.Basic, x: sp.Basic) -> sp.Basic:
    """``∂f/∂x`` by the sum, product, power and chain rules for ``exp`` and ``log``
    (``sympy.diff`` for anything else), each distinct subexpression once.

    The steps about gradients differentiate a K-class loss in which every term holds
    the same sum of exponentials; ``sympy.diff`` differentiates it once per term.
    """
    if f == x:
        return sp.Integer(1)
    if not f.args:
        return sp.Integer(0)
    if isinstance(f, sp.Add):
        return sp.Add(*(_derivative(term, x) for term in f.args))
    if isinstance(f, sp.Mul):
        factors = f.args
        return sp.Add(
            *(
                sp.Mul(*factors[:n], _derivative(factor, x), *factors[n + 1 :])
                for n, factor in enumerate(factors)
                if _derivative(factor, x) != 0
            )
        )
    if isinstance(f, sp.Pow) and _derivative(f.exp, x) == 0:
        base, power = f.args
        return power * base ** (power - 1) * _derivative(base, x)
    if isinstance(f, sp.exp):
        return f * _derivative(f.args[0], x)
    if isinstance(f, sp.log) and len(f.args) == 1:
        return _derivative(f.args[0], x) / f.args[0]
    return sp.diff(f, x)


class Partial(Notation):
    """The partial derivative ``∂f/∂x`` (SymPy's ``diff`` once ``f`` is expanded)."""

    nargs = 2
    precedence = PRECEDENCE["Mul"]

    def definition(self) -> sp.Basic:
        f, x = self.args
        return _derivative(f, x)

    def _sympystr(self, printer: Any) -> str:
        f, x = self.args
        return f"d({printer._print(f)})/d{printer._print(x)}"

    def _latex(self, printer: Any) -> str:
        f, x = self.args
        body = printer._print(f)
        if isinstance(f, sp.Add):
            body = rf"\left({body}\right)"
        return rf"\frac{{\partial}}{{\partial {printer._print(x)}}} {body}"

    def _pretty(self, printer: Any) -> prettyForm:
        f, x = self.args
        operator = prettyForm("∂") / prettyForm(*printer._print(x).left("∂"))
        body = printer._print(f)
        if isinstance(f, sp.Add):
            body = prettyForm(*body.parens())
        return prettyForm(*operator.right(" ", body))

    def _mathml_presentation(self, printer: Any) -> Any:
        f, x = self.args
        frac = printer.dom.createElement("mfrac")
        frac.appendChild(_mo(printer, "∂"))
        frac.appendChild(_mrow(printer, _mo(printer, "∂"), printer._print(x)))
        body = printer._print(f)
        if isinstance(f, sp.Add):
            body = _mrow(printer, _mo(printer, "("), body, _mo(printer, ")"))
        return _mrow(printer, frac, body)


class Sub(Notation):
    """An indexed scalar ``z_k``: ``Sub(z, k)`` is the symbol ``z_1`` once ``k = 1``."""

    nargs = 2
    precedence = PRECEDENCE["Atom"]

    def definition(self) -> sp.Basic:
        base, k = self.args
        if not k.is_Integer:
            return self
        name = f"{base.name}_{int(k)}"
        if isinstance(base, Vector):
            return Vector(name)
        return sp.Symbol(name, **base.assumptions0)

    def _sympystr(self, printer: Any) -> str:
        base, k = self.args
        return f"{printer._print(base)}_{printer._print(k)}"

    def _latex(self, printer: Any) -> str:
        base, k = self.args
        return f"{printer._print(base)}_{{{printer._print(k)}}}"

    def _pretty(self, printer: Any) -> prettyForm:
        base, k = self.args
        sub = _unicode_subscript(str(k))
        return prettyForm(*printer._print(base).right(sub if sub else f"_{k}"))

    def _mathml_presentation(self, printer: Any) -> Any:
        base, k = self.args
        return _msub(printer, printer._print(base), printer._print(k))


class Increment(Notation):
    """The change ``Δx`` of a quantity in one optimizer step (an opaque symbol)."""

    nargs = 1

    def definition(self) -> sp.Basic:
        return self

    def _sympystr(self, printer: Any) -> str:
        return f"Delta({printer._print(self.args[0])})"

    def _latex(self, printer: Any) -> str:
        (x,) = self.args
        body = printer._print(x)
        return rf"\Delta \left({body}\right)" if _needs_parens(x) else rf"\Delta {body}"

    def _pretty(self, printer: Any) -> prettyForm:
        (x,) = self.args
        body = printer._print(x)
        if _needs_parens(x):
            body = prettyForm(*body.parens())
        return prettyForm(*body.left("Δ"))

    def _mathml_presentation(self, printer: Any) -> Any:
        (x,) = self.args
        body = printer._print(x)
        if _needs_parens(x):
            body = _mrow(printer, _mo(printer, "("), body, _mo(printer, ")"))
        return _mrow(printer, _mi(printer, "Δ", variant="normal"), body)


def distinct_nodes(exprs: Iterable[sp.Basic]) -> list[sp.Basic]:
    """Every distinct subexpression of ``exprs``, each once.

    A walk of the expression graph: ``preorder_traversal`` visits a subexpression
    once per path to it, and the sides of a K-class gradient share most of theirs.
    """
    seen: set[sp.Basic] = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node.args)
    return list(seen)


def expand_notation(expr: sp.Basic) -> sp.Basic:
    """Replace every :class:`Notation` in ``expr`` by its definition, innermost first.

    Each distinct subexpression is rewritten once (``Basic.replace`` rewrites it once
    per path to it, and a K-class gradient repeats ``∂L/∂w₁`` and every logit).
    """
    for _ in range(50):
        expanded = _expanded(expr, {})
        if expanded == expr:
            return expr
        expr = expanded
    raise RuntimeError("notation did not expand in 50 rounds")


def _expanded(expr: sp.Basic, memo: dict[sp.Basic, sp.Basic]) -> sp.Basic:
    """One round of :func:`expand_notation`: children first, then the node."""
    done = memo.get(expr)
    if done is not None:
        return done
    if isinstance(expr, sp.MatrixBase):
        done = expr.applyfunc(lambda entry: _expanded(entry, memo))
    elif not expr.args:
        done = expr
    else:
        args = tuple(_expanded(arg, memo) for arg in expr.args)
        same = all(new is old for new, old in zip(args, expr.args, strict=True))
        done = expr if same else expr.func(*args)
        if isinstance(done, Notation):
            done = done.definition()
    memo[expr] = done
    return done
