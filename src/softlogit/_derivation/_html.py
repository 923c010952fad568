"""The derivation as HTML with MathML: rendered by the browser itself, no CDN, no script.

SymPy's presentation-MathML printer produces MathML Core (``mfrac``, ``msub``,
``msup``, ``msqrt``, ``mtable``, ``munderover``), which Chromium, Firefox and Safari
render natively. Two public helpers serve the experiment's report:

- :func:`derivation_html_section` returns a ``<section id="derivation">`` fragment in
  which every step is an element with ``id="step-<id>"`` (link to it with
  ``href="#step-<id>"``), with a check badge;
- :data:`DERIVATION_CSS` is the stylesheet that fragment uses (already included as a
  ``<style>`` element unless ``include_style=False``); every class starts with
  ``sl-d-``, so it does not collide with the page around it.

:func:`derivation_html_page` wraps the fragment into a standalone page
(``softlogit derive --format html``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from xml.dom import minidom
from xml.parsers.expat import ExpatError

import sympy as sp
from sympy.printing.mathml import mathml

from softlogit._derivation._core import Relation, RenderedSteps, Step, StepCheck
from softlogit._derivation._render import (
    _checks_for,
    step_parts,
    summary_line,
)
from softlogit._theorems import THEOREM_STEPS, THEOREMS

__all__ = [
    "DERIVATION_CSS",
    "derivation_html_page",
    "derivation_html_section",
    "expr_to_mathml",
    "step_anchor",
]

DERIVATION_CSS = """
.sl-d { --sl-d-ok: #1a7f37; --sl-d-ok-bg: #dafbe1; --sl-d-bad: #cf222e;
  --sl-d-bad-bg: #ffebe9; --sl-d-num: #0969da; --sl-d-num-bg: #ddf4ff;
  --sl-d-line: #d0d7de; --sl-d-muted: #57606a;
  max-width: 60rem; line-height: 1.5; }
.sl-d h2 { margin-bottom: 0.2rem; }
.sl-d .sl-d-summary { color: var(--sl-d-muted); margin-top: 0; }
.sl-d ol.sl-d-steps { list-style: none; padding: 0; margin: 1rem 0; }
.sl-d li.sl-d-step { border: 1px solid var(--sl-d-line); border-left: 4px solid
  var(--sl-d-ok); border-radius: 6px; padding: 0.6rem 1rem 0.5rem;
  margin: 0 0 0.9rem; background: #fff; }
.sl-d li.sl-d-step.sl-d-failed { border-left-color: var(--sl-d-bad);
  background: var(--sl-d-bad-bg); }
.sl-d li.sl-d-step:target { box-shadow: 0 0 0 3px #fff8c5; border-color: #d4a72c; }
.sl-d .sl-d-head { display: flex; align-items: baseline; gap: 0.6rem;
  flex-wrap: wrap; }
.sl-d .sl-d-number { color: var(--sl-d-muted); font-variant-numeric: tabular-nums;
  min-width: 1.6rem; }
.sl-d h3.sl-d-title { font-size: 1.05rem; margin: 0; flex: 1 1 20rem; }
.sl-d .sl-d-badge { font-size: 0.8rem; font-weight: 600; border-radius: 1rem;
  padding: 0.1rem 0.6rem; white-space: nowrap; background: var(--sl-d-ok-bg);
  color: var(--sl-d-ok); }
.sl-d .sl-d-badge.sl-d-numeric { background: var(--sl-d-num-bg);
  color: var(--sl-d-num); }
.sl-d .sl-d-badge.sl-d-bad { background: var(--sl-d-bad); color: #fff; }
.sl-d a.sl-d-anchor { color: var(--sl-d-muted); text-decoration: none;
  font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.8rem; }
.sl-d a.sl-d-anchor:hover { text-decoration: underline; }
.sl-d .sl-d-explanation { margin: 0.3rem 0 0.2rem; }
.sl-d math { font-family: "Latin Modern Math", "STIX Two Math", "DejaVu Serif",
  serif; }
.sl-d li.sl-d-step > * { max-width: 100%; }
.sl-d .sl-d-check, .sl-d .sl-d-explanation { overflow-wrap: anywhere; }
.sl-d .sl-d-math { overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0; }
.sl-d math[display="block"] { font-size: 1.15em; margin: 0.35rem 0; }
.sl-d .sl-d-line { margin: 0.15rem 0; font-size: 1.15em; white-space: nowrap; }
.sl-d .sl-d-side { display: flex; gap: 0.8rem; align-items: baseline;
  margin: 0.15rem 0; }
.sl-d .sl-d-label { color: var(--sl-d-muted); font-size: 0.9rem; min-width: 5.5rem;
  text-align: right; }
.sl-d .sl-d-side ul { list-style: none; margin: 0; padding: 0; display: flex;
  flex-wrap: wrap; column-gap: 2.2rem; row-gap: 0.35rem; align-items: baseline;
  flex: 1 1 auto; min-width: 0; }
.sl-d .sl-d-side li { max-width: 100%; overflow-x: auto; overflow-y: hidden; }
.sl-d .sl-d-check { color: var(--sl-d-muted); font-size: 0.85rem; margin: 0.3rem 0 0; }
"""

_PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #24292f; background: #f6f8fa; margin: 0; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
.sl-d h2 { font-size: 1.25rem; }
.sl-d .sl-d-intro p { max-width: 46rem; }
.sl-d-toc ol { columns: 2 18rem; column-gap: 2rem; padding-left: 1.8rem;
  margin: 0.4rem 0 1rem; }
.sl-d-toc li { break-inside: avoid; margin: 0.1rem 0; }
.sl-d-toc a, .sl-d-theorems a { color: #0969da; text-decoration: none; }
.sl-d-theorems table { border-collapse: collapse; margin: 0.4rem 0 1.2rem; }
.sl-d-theorems th, .sl-d-theorems td { text-align: left; vertical-align: top;
  padding: 0.25rem 0.8rem 0.25rem 0; border-top: 1px solid #d0d7de; }
.sl-d-theorems th { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.sl-d-theorems td:last-child { white-space: nowrap; }
li.sl-d-step { scroll-margin-top: 0.5rem; }
"""

_ENTITIES = {
    "&InvisibleTimes;": "&#x2062;",
    "&ExponentialE;": "e",
    "&ImaginaryI;": "&#x2148;",
}


def step_anchor(step_id: str) -> str:
    """The HTML ``id`` of a step: ``"step-<id>"`` (link with ``#step-<id>``)."""
    return f"step-{step_id}"


def expr_to_mathml(expr: sp.Basic) -> str:
    """Presentation MathML (the content of a ``<math>`` element) for ``expr``.

    Named entities are replaced by characters, so the result is valid in HTML and XML,
    and bold vectors use Unicode mathematical bold letters (MathML Core renders
    ``mathvariant`` only as ``normal``).

    Examples
    --------
    >>> import sympy as sp
    >>> expr_to_mathml(sp.exp(sp.Symbol("x")))
    '<msup><mi mathvariant="normal">e</mi><mi>x</mi></msup>'
    """
    text: str = mathml(expr, printer="presentation", order="none")
    text = text.replace("<mi>&ExponentialE;</mi>", '<mi mathvariant="normal">e</mi>')
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    text = re.sub(r'<mi mathvariant="bold">([^<]*)</mi>', _bold, text)
    return _polish(text)


# Elements that make a parenthesized group taller than a line of text.
_TALL = ("mfrac", "mtable", "munderover", "msqrt", "mroot")


def _polish(text: str) -> str:
    """Typographic fixes: a true minus sign, and parentheses that stretch only
    around tall content (Chromium otherwise grows them around every subscript)."""
    try:
        document = minidom.parseString(f"<math>{text}</math>")
    except ExpatError:  # pragma: no cover - SymPy's output is well-formed
        return text
    for mo in document.getElementsByTagName("mo"):
        content = _text_of(mo)
        if content == "-":
            _set_text(mo, "\u2212")
        elif content == "(":
            row = mo.parentNode
            if not isinstance(row, minidom.Element):
                continue
            closing = row.lastChild
            if (
                row.firstChild is mo
                and isinstance(closing, minidom.Element)
                and closing.tagName == "mo"
                and _text_of(closing) == ")"
                and not any(row.getElementsByTagName(tag) for tag in _TALL)
            ):
                mo.setAttribute("stretchy", "false")
                closing.setAttribute("stretchy", "false")
    for mn in document.getElementsByTagName("mn"):
        content = _text_of(mn)
        if content is not None and content.startswith("-"):
            _set_text(mn, "\u2212" + content[1:])
    root = document.documentElement
    assert root is not None
    return "".join(child.toxml() for child in root.childNodes)


def _set_text(element: minidom.Element, content: str) -> None:
    node = element.childNodes[0]
    assert isinstance(node, minidom.Text)
    node.data = content


def _text_of(element: minidom.Element) -> str | None:
    """The text of an element with a single text child, else ``None``."""
    children = element.childNodes
    if len(children) == 1 and isinstance(children[0], minidom.Text):
        return str(children[0].data)
    return None


def _bold(match: re.Match[str]) -> str:
    letters = html.unescape(match.group(1))
    return f"<mi>{''.join(_bold_letter(ch) for ch in letters)}</mi>"


def _bold_letter(ch: str) -> str:
    """The Unicode mathematical bold italic letter (𝒘, 𝜽) for ``ch``."""
    if "a" <= ch <= "z":
        return chr(0x1D482 + ord(ch) - ord("a"))
    if "A" <= ch <= "Z":
        return chr(0x1D468 + ord(ch) - ord("A"))
    if "α" <= ch <= "ω":
        return chr(0x1D736 + ord(ch) - ord("α"))
    return ch


def _math(*pieces: str, display: bool = False, displaystyle: bool = False) -> str:
    attrs = ' display="block"' if display else ""
    if displaystyle:
        attrs += ' displaystyle="true"'
    return f"<math{attrs}><mrow>{''.join(pieces)}</mrow></math>"


def _relation(lhs: sp.Basic, rhs: sp.Basic, symbol: str = "=") -> str:
    return f"{expr_to_mathml(lhs)}<mo>{symbol}</mo>{expr_to_mathml(rhs)}"


def _index_mathml(symbol: sp.Symbol, low: int, high: int) -> str:
    values = list(range(low, high + 1))
    if len(values) <= 3:
        shown = "<mo>,</mo>".join(f"<mn>{v}</mn>" for v in values)
    else:
        shown = f"<mn>{low}</mn><mo>,</mo><mi>…</mi><mo>,</mo><mn>{high}</mn>"
    return f"{expr_to_mathml(symbol)}<mo>=</mo>{shown}"


def _side(
    label: str, entries: Sequence[Relation], symbol: str = "=", tall: bool = False
) -> str:
    items = "".join(
        f"<li>{_math(_relation(n, v, symbol), displaystyle=tall)}</li>"
        for n, v in entries
    )
    return _side_row(label, items)


def _side_row(label: str, items: str) -> str:
    return (
        f'<div class="sl-d-side"><span class="sl-d-label">{html.escape(label)}</span>'
        f"<ul>{items}</ul></div>"
    )


def _step_html(number: int, step: Step, check: StepCheck) -> str:
    parts = step_parts(step)
    if check.passed:
        badge_class = (
            "sl-d-badge sl-d-numeric" if check.method == "numeric" else "sl-d-badge"
        )
        badge = f"✓ {check.label}"
    else:
        badge_class, badge = "sl-d-badge sl-d-bad", "✗ FAILED"
    rows = [
        f'<li class="sl-d-step{"" if check.passed else " sl-d-failed"}" '
        f'id="{step_anchor(step.id)}" data-step="{html.escape(step.id)}" '
        f'data-check="{"passed" if check.passed else "failed"}">',
        '<div class="sl-d-head">',
        f'<span class="sl-d-number">{number}.</span>',
        f'<h3 class="sl-d-title">{html.escape(step.title)}</h3>',
        f'<span class="{badge_class}" title="{html.escape(check.detail)}">'
        f"{html.escape(badge)}</span>",
        f'<a class="sl-d-anchor" href="#{step_anchor(step.id)}">#{html.escape(step.id)}</a>',
        "</div>",
        f'<p class="sl-d-explanation">{html.escape(_typeset(step.explanation))}</p>',
    ]
    if parts.notes:
        rows.append(_side("definitions", parts.notes, "≔", tall=True))
    rows.append('<div class="sl-d-math">')
    main = _relation(*parts.relation)
    if parts.premise is None and _too_long(*parts.relation):
        # one side per line, long sums broken between terms: a long equation reads
        # without scrolling
        lhs, rhs = parts.relation
        lines = _broken(lhs, "") + _broken(rhs, "<mo>=</mo>")
        rows.extend(
            f'<div class="sl-d-line">{_math(line, displaystyle=True)}</div>'
            for line in lines
        )
        main = ""
    if main and parts.premise is not None:
        condition = (
            f'<mo>,</mo><mspace width="0.5em"/>{expr_to_mathml(parts.condition)}'
            if parts.condition is not None
            else ""
        )
        main = (
            f"{_relation(*parts.premise)}{condition}"
            f'<mspace width="1em"/><mo>⟹</mo><mspace width="1em"/>{main}'
        )
    if main:
        rows.append(_math(main, display=True))
    rows.append("</div>")
    if parts.indices:
        indices = "".join(
            f"<li>{_math(_index_mathml(*ix))}</li>" for ix in parts.indices
        )
        rows.append(_side_row("for", indices))
    if parts.where:
        rows.append(_side("where", parts.where))
    if parts.given:
        rows.append(_side("given", parts.given))
    rows.append(f'<p class="sl-d-check">Check: {html.escape(check.detail)}.</p>')
    rows.append("</li>")
    return "\n".join(rows)


#: characters of SymPy's string form of both sides beyond which an equation is
#: shown one side per line
_ONE_LINE = 110


def _too_long(lhs: sp.Basic, rhs: sp.Basic) -> bool:
    """Whether ``lhs = rhs`` is too long for one line of a step's card."""
    return len(sp.sstr(lhs)) + len(sp.sstr(rhs)) > _ONE_LINE


#: characters of SymPy's string form on one line of a broken equation
_LINE = 80


def _broken(expr: sp.Basic, prefix: str) -> list[str]:
    """``expr`` as MathML lines: a long sum is cut between its terms.

    The first line starts with ``prefix``; a line that starts with a negative term
    starts with its minus sign, the others with a plus.
    """
    if not isinstance(expr, sp.Add) or len(sp.sstr(expr)) <= _LINE:
        return [prefix + expr_to_mathml(expr)]
    chunks: list[list[sp.Basic]] = [[]]
    width = 0
    for term in expr.args:
        size = len(sp.sstr(term)) + 3
        if chunks[-1] and width + size > _LINE:
            chunks.append([])
            width = 0
        chunks[-1].append(term)
        width += size
    lines = []
    for n, chunk in enumerate(chunks):
        first, rest = chunk[0], chunk[1:]
        sign = ""
        if n and first.could_extract_minus_sign():
            sign, first = "<mo>\u2212</mo>", -first
        elif n:
            sign = "<mo>+</mo>"
        body = expr_to_mathml(sp.Add(first, *rest, evaluate=False) if rest else first)
        lines.append((prefix if n == 0 else '<mspace width="1em"/>') + sign + body)
    return lines


def _typeset(text: str) -> str:
    """Running text with a true minus sign between spaced operands."""
    return text.replace(" - ", " \u2212 ").replace("(1-", "(1\u2212")


def derivation_html_section(
    derivation: RenderedSteps,
    checks: Sequence[StepCheck] | None = None,
    *,
    include_style: bool = True,
    heading: str | None = None,
) -> str:
    """An HTML fragment ``<section id="derivation">`` with every step and its check.

    Parameters
    ----------
    derivation : Derivation
        The derivation to render (:func:`softlogit.derivation`).
    checks : sequence of StepCheck, optional
        Results of ``derivation.check()``; computed if omitted.
    include_style : bool, default=True
        Prepend a ``<style>`` element with :data:`DERIVATION_CSS`.
    heading : str, optional
        The ``<h2>`` text (default: the derivation's title).

    Returns
    -------
    str
        The fragment. Step ``s`` is the element with ``id="step-<s.id>"``.

    Examples
    --------
    >>> from softlogit import derivation
    >>> fragment = derivation_html_section(derivation(2))
    >>> fragment.startswith('<section id="derivation"')
    True
    >>> 'id="step-shift-invariance"' in fragment
    True
    """
    checks = _checks_for(derivation, checks)
    title = heading if heading is not None else derivation.title
    ok = all(c.passed for c in checks)
    parts = [
        f'<section id="derivation" class="sl-d" data-classes="{derivation.n_classes}" '
        f'data-check="{"passed" if ok else "failed"}">',
    ]
    if include_style:
        parts.append(f"<style>{DERIVATION_CSS}</style>")
    parts.extend(
        [
            f"<h2>{html.escape(title)}</h2>",
            f'<p class="sl-d-summary">{html.escape(summary_line(derivation, checks))} '
            "Each step is checked by SymPy (or, where marked, at random points with "
            "50-digit mpmath arithmetic); a step marked “every K” is proved by SymPy "
            "for a symbolic number of classes K, and the statement shown for this K "
            "is checked against it at random points.</p>",
            '<ol class="sl-d-steps">',
        ]
    )
    parts.extend(
        _step_html(number, step, check)
        for number, (step, check) in enumerate(zip(derivation, checks, strict=True), 1)
    )
    parts.extend(["</ol>", "</section>"])
    return "\n".join(parts)


_INTRO = (
    "For two classes, softmax(z₁, z₂)₂ = σ(z₂ − z₁): a softmax regression with two "
    "classes is a logistic regression on the difference of its logits. This page "
    "derives that identity and what follows from it for models and for training, "
    "one small step at a time. Each step states one equation (for every value of "
    "its index, with the abbreviations under “where” and the assumptions under "
    "“given”), and the badge says how the computer checked it: SymPy reduced the "
    "difference of the two sides to zero; “every K”: SymPy proved the equation for "
    "a symbolic number of classes K, and the equation shown for this K agreed with "
    "it at random points in 50-digit arithmetic; or, where SymPy cannot decide, both "
    "sides agreed at random points in 50-digit arithmetic."
)


def _contents(derivation: RenderedSteps) -> str:
    """The table of contents: every step, numbered, linked to its anchor."""
    items = "".join(
        f'<li><a href="#{step_anchor(step.id)}">{html.escape(step.title)}</a></li>'
        for step in derivation
    )
    return (
        '<nav class="sl-d-toc" aria-label="Steps"><h2>Steps</h2>'
        f'<ol class="sl-d-toc-list">{items}</ol></nav>'
    )


def _theorem_map(derivation: RenderedSteps) -> str:
    """Which step proves each theorem T1-T8 the experiment's reports cite."""
    number = {step_id: n for n, step_id in enumerate(derivation.ids, 1)}
    rows = []
    for label, text in THEOREMS.items():
        step_id = THEOREM_STEPS[label]
        where = (
            f'<a href="#{step_anchor(step_id)}">step {number[step_id]}</a>'
            if step_id in number
            else "not in this derivation"
        )
        rows.append(
            f'<tr id="theorem-{label}"><th>{label}</th>'
            f"<td>{html.escape(_typeset(text))}</td><td>{where}</td></tr>"
        )
    return (
        '<section class="sl-d-theorems"><h2>The theorems T1–T8 and their steps</h2>'
        "<p>The reports of <code>softlogit compare</code> cite these labels; each is "
        "proved by the step named here.</p>"
        f"<table><tbody>{''.join(rows)}</tbody></table></section>"
    )


def derivation_html_page(
    derivation: RenderedSteps, checks: Sequence[StepCheck] | None = None
) -> str:
    """A standalone HTML page (UTF-8, no external resources) showing ``derivation``.

    The page opens with an introduction, a table of contents of the steps and the
    map from the theorem labels T1-T8 to the steps that prove them.
    """
    section = derivation_html_section(derivation, checks)
    intro = (
        f'<header class="sl-d-intro"><p>{html.escape(_INTRO)}</p></header>'
        f"{_contents(derivation)}{_theorem_map(derivation)}"
    )
    section = section.replace(
        '<ol class="sl-d-steps">', f'{intro}<ol class="sl-d-steps">', 1
    )
    title = html.escape(f"{derivation.title} (K = {derivation.n_classes})")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_PAGE_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{section}\n</main>\n</body>\n</html>\n"
    )
