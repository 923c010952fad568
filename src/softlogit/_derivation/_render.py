"""Render a derivation (:class:`softlogit.Derivation`) as text, Markdown or LaTeX.

The text renderer uses SymPy's Unicode pretty printer, so the terminal output needs no
LaTeX engine. Markdown carries ``$$ … $$`` blocks; LaTeX is a complete ``amsmath``
document. The HTML renderer (MathML) lives in :mod:`._html`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from softlogit._derivation._core import (
    Relation,
    RenderedSteps,
    Step,
    StepCheck,
    pretty,
    unicode_symbols,
)
from softlogit.errors import InputValueError

__all__ = [
    "StepParts",
    "render_latex",
    "render_markdown",
    "render_text",
    "step_parts",
    "summary_line",
]

_WIDTH = 88


@dataclass(frozen=True)
class StepParts:
    """What a renderer shows of a step, independent of the output format."""

    relation: Relation
    premise: Relation | None
    condition: sp.Basic | None
    notes: tuple[Relation, ...]
    indices: tuple[tuple[sp.Symbol, int, int], ...]
    where: tuple[Relation, ...]
    given: tuple[Relation, ...]


def step_parts(step: Step) -> StepParts:
    """Split ``step`` into the parts every renderer shows."""
    exprs: list[sp.Basic] = [step.lhs, step.rhs]
    if step.premise is not None:
        exprs.extend(step.premise)
    free: set[sp.Basic] = set().union(*(e.free_symbols for e in exprs))
    indices = tuple(
        (s, low, high) for s, (low, high) in step.ranges.items() if s in free
    )
    return StepParts(
        relation=(step.lhs, step.rhs),
        premise=step.premise,
        condition=step.condition,
        notes=step.notes,
        indices=indices,
        where=step.where,
        given=step.given,
    )


def index_text(symbol: sp.Symbol, low: int, high: int) -> str:
    """``"k = 1, 2"`` or ``"k = 1, …, 5"``."""
    values = list(range(low, high + 1))
    shown = ", ".join(map(str, values)) if len(values) <= 3 else f"{low}, …, {high}"
    return f"{pretty(symbol)} = {shown}"


def summary_line(derivation: RenderedSteps, checks: Sequence[StepCheck]) -> str:
    """``"23 of 23 steps verified (21 by SymPy, 9 of them for every K, 2
    numerically); K = 2."``"""
    passed = [c for c in checks if c.passed]
    generic = sum(c.method == "generic" for c in passed)
    symbolic = sum(c.method == "symbolic" for c in passed) + generic
    numeric = len(passed) - symbolic
    failed = [c.step_id for c in checks if not c.passed]
    every_k = f", {generic} of them for every K" if generic else ""
    text = (
        f"{len(passed)} of {len(checks)} steps verified ({symbolic} by SymPy"
        f"{every_k}, {numeric} numerically); K = {derivation.n_classes}."
    )
    if failed:
        text += f" FAILED: {', '.join(failed)}."
    return text


def _checks_for(
    derivation: RenderedSteps, checks: Sequence[StepCheck] | None
) -> list[StepCheck]:
    if checks is None:
        return derivation.check()
    if [c.step_id for c in checks] != derivation.ids:
        raise InputValueError(
            "`checks` must hold one StepCheck per step, in order; got ids "
            f"{[c.step_id for c in checks]}."
        )
    return list(checks)


# --------------------------------------------------------------------------- text


def _pretty(expr: sp.Basic) -> str:
    return pretty(expr, order="none", num_columns=_WIDTH - 4)


def _pretty_relation(
    lhs: sp.Basic, rhs: sp.Basic, symbol: str = "=", indent: int = 4
) -> str:
    """Two pretty-printed sides joined by ``symbol`` on their common baseline."""
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.stringpict import prettyForm

    with unicode_symbols():
        printer = PrettyPrinter({"order": "none", "use_unicode": True})
        left = printer._print(lhs)
        right = printer._print(rhs)
        form = prettyForm(*left.right(f" {symbol} ", right))
        rendered: str = form.render(
            wrap_line=True, num_columns=_WIDTH - indent, use_unicode=True
        )
    return rendered


def _indent(text: str, prefix: str = "    ") -> str:
    return textwrap.indent(text, prefix)


def render_text(
    derivation: RenderedSteps, checks: Sequence[StepCheck] | None = None
) -> str:
    """Unicode text for a terminal: every step with its formula and check result."""
    checks = _checks_for(derivation, checks)
    out = [derivation.title, "=" * len(derivation.title), ""]
    for number, (step, check) in enumerate(zip(derivation, checks, strict=True), 1):
        parts = step_parts(step)
        mark = "✓" if check.passed else "✗"
        out.extend(
            textwrap.wrap(
                f"{number}. {step.title}  [{step.id}]", _WIDTH, subsequent_indent="   "
            )
        )
        out.extend(
            _indent(line, "   ") for line in textwrap.wrap(step.explanation, _WIDTH - 3)
        )
        out.append("")
        for name, value in parts.notes:
            out.append(_indent(_pretty_relation(name, value, "≔")))
            out.append("")
        if parts.premise is not None:
            condition = (
                f", {_pretty(parts.condition)}" if parts.condition is not None else ""
            )
            premise = _pretty_relation(*parts.premise)
            out.append(_indent(f"{premise}{condition}  ⟹"))
        out.append(_indent(_pretty_relation(*parts.relation)))
        for symbol, low, high in parts.indices:
            out.append(_indent(f"for {index_text(symbol, low, high)}"))
        for label, entries in (("where", parts.where), ("given", parts.given)):
            if entries:
                out.append(_indent(f"{label}:"))
                for name, value in entries:
                    out.append(
                        _indent(_pretty_relation(name, value, indent=6), " " * 6)
                    )
        out.append(_indent(f"{mark} {check.label}: {check.detail}", "   "))
        out.append("")
    out.append(summary_line(derivation, checks))
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------- LaTeX / Markdown


def _latex(expr: sp.Basic) -> str:
    text: str = sp.latex(expr, order="none")
    return text


def _latex_index(symbol: sp.Symbol, low: int, high: int) -> str:
    values = list(range(low, high + 1))
    shown = (
        ", ".join(map(str, values)) if len(values) <= 3 else rf"{low}, \dots, {high}"
    )
    return rf"{_latex(symbol)} = {shown}"


def _latex_blocks(step: Step) -> list[str]:
    parts = step_parts(step)
    blocks = [rf"{_latex(n)} \coloneqq {_latex(v)}" for n, v in parts.notes]
    main = rf"{_latex(parts.relation[0])} = {_latex(parts.relation[1])}"
    if parts.premise is not None:
        condition = (
            rf",\ {_latex(parts.condition)}" if parts.condition is not None else ""
        )
        main = (
            rf"{_latex(parts.premise[0])} = {_latex(parts.premise[1])}{condition}"
            rf" \implies {main}"
        )
    if parts.indices:
        main += r"\qquad \text{for } " + r",\ ".join(
            _latex_index(*ix) for ix in parts.indices
        )
    blocks.append(main)
    return blocks


def _latex_side(step: Step, wrap: Callable[[str], str]) -> list[str]:
    parts = step_parts(step)
    lines = []
    for label, entries in (("where", parts.where), ("given", parts.given)):
        if entries:
            formulas = ", ".join(
                wrap(rf"{_latex(n)} = {_latex(v)}") for n, v in entries
            )
            lines.append(f"{label.capitalize()} {formulas}.")
    return lines


def render_markdown(
    derivation: RenderedSteps, checks: Sequence[StepCheck] | None = None
) -> str:
    """Markdown with ``$$ … $$`` display math and ``$ … $`` inline math."""
    checks = _checks_for(derivation, checks)
    out = [f"# {derivation.title}", "", f"*{summary_line(derivation, checks)}*", ""]
    for number, (step, check) in enumerate(zip(derivation, checks, strict=True), 1):
        mark = "✅" if check.passed else "❌"
        out.append(f'## {number}. {step.title} <a id="step-{step.id}"></a>')
        out.append("")
        out.append(step.explanation)
        out.append("")
        for block in _latex_blocks(step):
            out.extend(["$$", block, "$$", ""])
        side = _latex_side(step, lambda s: f"${s}$")
        if side:
            out.extend([*side, ""])
        out.append(f"{mark} **{check.label}** — {check.detail} (`{step.id}`)")
        out.append("")
    return "\n".join(out)


def render_latex(
    derivation: RenderedSteps, checks: Sequence[StepCheck] | None = None
) -> str:
    """A complete LaTeX document (``amsmath``, ``mathtools``, ``amssymb``)."""
    checks = _checks_for(derivation, checks)
    out = [
        r"\documentclass{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{amsmath,amssymb,mathtools}",
        r"\usepackage[margin=2.5cm]{geometry}",
        r"\DeclareMathOperator{\softmax}{softmax}",
        rf"\title{{{_escape(derivation.title)}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        _escape(summary_line(derivation, checks)),
        "",
    ]
    for step, check in zip(derivation, checks, strict=True):
        out.append(rf"\section{{{_escape(step.title)}}}\label{{step-{step.id}}}")
        out.append(_escape(step.explanation))
        for block in _latex_blocks(step):
            out.extend([r"\begin{equation*}", block, r"\end{equation*}"])
        out.extend(_latex_side(step, lambda s: f"${s}$"))
        out.append("")
        out.append(
            rf"\textit{{{_escape(check.label)}: {_escape(check.detail)}}} "
            rf"(\texttt{{{_escape(step.id)}}})"
        )
        out.append("")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


# Unicode in explanations and check details, as pdflatex-safe ASCII.
_LATEX_UNICODE = {
    "²": r"\textsuperscript{2}",
    "·": r"\textperiodcentered{}",
    "…": r"\ldots{}",
    "‖": r"$\Vert$",
    "ᵀ": r"\textsuperscript{T}",
    "←": r"$\leftarrow$",
    "↦": r"$\mapsto$",
    "⟹": r"$\Longrightarrow$",
    "−": "-",
    "′": "'",
    "∂": r"$\partial$",
    "∈": r"$\in$",
    "≠": r"$\neq$",
    "Σ": r"$\Sigma$",
    "Δ": r"$\Delta$",
    "α": r"$\alpha$",
    "β": r"$\beta$",
    "δ": r"$\delta$",
    "ε": r"$\varepsilon$",
    "η": r"$\eta$",
    "θ": r"$\theta$",
    "λ": r"$\lambda$",
    "μ": r"$\mu$",
    "σ": r"$\sigma$",
    "✓": "",
    "✗": "",
}
_LATEX_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉ᵢⱼₖ", "0123456789ijk", strict=True))


def _escape(text: str) -> str:
    """Escape LaTeX's special characters in running text; Unicode math becomes ASCII
    LaTeX, so the document compiles with pdflatex as well as with LuaLaTeX."""
    out = []
    for ch in text:
        if ch in _LATEX_SPECIAL:
            out.append(_LATEX_SPECIAL[ch])
        elif ch in _LATEX_UNICODE:
            out.append(_LATEX_UNICODE[ch])
        elif ch in _LATEX_SUBSCRIPTS:
            out.append(rf"\textsubscript{{{_LATEX_SUBSCRIPTS[ch]}}}")
        else:
            out.append(ch)
    return "".join(out)
