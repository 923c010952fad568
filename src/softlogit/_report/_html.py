"""One self-contained ``report.html``: no network access, no external CSS or JavaScript.

The page is plain HTML with one inline stylesheet; the plots are inline SVG (text kept
as text, so it is crisp and selectable) and the derivation's math is MathML, which every
current browser renders natively. Each verdict links to the derivation step that
explains it (``#step-<id>``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from softlogit._report._data import VERDICT_BADGES, ReportData, Term, format_number
from softlogit._report._plots import FIGURES, NETWORK_COLORS, caption
from softlogit.experiment import Answer

__all__ = ["render_html"]

_CSS = """
:root {
  --ink: #1d2330; --muted: #5a6274; --faint: #8a92a3; --line: #e3e6ec;
  --paper: #ffffff; --wash: #f6f7f9; --accent: #1f5fa8;
  --ok: #1d7a46; --ok-bg: #e3f4e9; --warn: #8a5a00; --warn-bg: #fdf1d8;
  --bad: #b42318; --bad-bg: #fde7e5; --info: #2c5282; --info-bg: #e4edf9;
  --serif: "Charter", "Bitstream Charter", "Iowan Old Style", "Source Serif Pro",
    "Georgia", "DejaVu Serif", serif;
  --sans: system-ui, -apple-system, "Segoe UI", "Inter", "Helvetica Neue",
    "DejaVu Sans", Arial, sans-serif;
  --mono: ui-monospace, "SFMono-Regular", "JetBrains Mono", "DejaVu Sans Mono",
    Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--wash); color: var(--ink);
  font: 16px/1.6 var(--sans); font-feature-settings: "kern", "liga", "tnum";
}
main { max-width: 1080px; margin: 0 auto; padding: 0 28px 64px; }
header.hero {
  background: linear-gradient(135deg, #16233b 0%, #1f3f6e 60%, #245a8f 100%);
  color: #f4f7fb; padding: 44px 0 38px; margin-bottom: 28px;
}
header.hero .inner { max-width: 1080px; margin: 0 auto; padding: 0 28px; }
header.hero .kicker {
  text-transform: uppercase; letter-spacing: .14em; font-size: 12px;
  color: #a9c3e6; font-weight: 600;
}
header.hero h1 {
  font: 600 34px/1.2 var(--serif); margin: 8px 0 10px; letter-spacing: -.01em;
}
header.hero .identity {
  font-size: 20px; margin: 6px 0 14px; color: #dfe9f6; overflow-x: auto;
  overflow-y: hidden; max-width: 100%;
}
header.hero .identity math { font-size: 1.12em; }
math { font-family: "Latin Modern Math", "STIX Two Math", "DejaVu Serif", serif; }
header.hero .meta { color: #b9cbe3; font-size: 14px; }
nav.toc {
  position: sticky; top: 0; z-index: 10; background: #16233b;
  box-shadow: 0 1px 4px rgba(16, 24, 40, .25); margin: -28px 0 28px;
}
nav.toc .inner {
  max-width: 1080px; margin: 0 auto; padding: 8px 28px; display: flex; gap: 6px;
  overflow-x: auto; scrollbar-width: thin;
}
nav.toc a {
  color: #e8f0fa; font-size: 13px; font-weight: 600; padding: 4px 12px;
  border: 1px solid rgba(255, 255, 255, .28); border-radius: 999px;
  white-space: nowrap; flex: none;
}
nav.toc a:hover { background: rgba(255, 255, 255, .12); text-decoration: none; }
section[id], figure[id], dt[id] { scroll-margin-top: 56px; }
.sl-d li.sl-d-step { scroll-margin-top: 56px; }
header.hero .meta span + span::before { content: "·"; margin: 0 .6em; color: #6f8db5; }
h2 {
  font: 600 24px/1.25 var(--serif); margin: 44px 0 14px; letter-spacing: -.005em;
}
h2 small { font: 500 13px var(--sans); color: var(--faint); margin-left: .6em; }
h3 { font: 600 17px/1.3 var(--sans); margin: 0 0 6px; }
p { margin: 0 0 12px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: var(--mono); font-size: .9em; }
.card {
  background: var(--paper); border: 1px solid var(--line); border-radius: 12px;
  padding: 20px 22px; box-shadow: 0 1px 2px rgba(16, 24, 40, .04);
}
.answers { display: grid; grid-template-columns: 1fr; gap: 18px; }
.answer .q {
  font: italic 16px/1.5 var(--serif); color: var(--muted); margin-bottom: 10px;
}
.answer .q::before { content: "“"; } .answer .q::after { content: "”"; }
.answer .short { font: 600 21px/1.3 var(--serif); margin: 0 0 4px; }
.answer .more { font: 600 16px/1.4 var(--serif); color: var(--muted); margin: 0 0 8px; }
.answer .why { font-size: 14px; margin-top: 8px; }
.notes .note {
  border-left: 4px solid var(--bad); background: var(--bad-bg); color: #5c1410;
  padding: 12px 16px; border-radius: 6px; margin: 0 0 10px;
}
.notes .note.info { border-color: var(--info); background: var(--info-bg); color: #1a365d; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 9px 12px; text-align: left; vertical-align: top; }
thead th {
  font-size: 12px; text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); border-bottom: 2px solid var(--line); font-weight: 600;
}
tbody tr + tr td { border-top: 1px solid var(--line); }
table.verdicts tbody + tbody tr.main td { border-top: 1px solid var(--line); }
table.verdicts tbody tr + tr td { border-top: 0; }
table.verdicts tr.main td { padding-top: 14px; padding-bottom: 4px; }
table.verdicts tr.why td {
  color: var(--muted); font-size: 13.5px; line-height: 1.55; padding-top: 2px;
  padding-bottom: 14px;
}
td.num { text-align: right; font-family: var(--mono); font-size: 13px; white-space: nowrap; }
th.num { text-align: right; }
td.pair { font-weight: 600; }
table:not(.verdicts) td.pair { white-space: nowrap; }
.card.table { overflow-x: auto; }
table.verdicts th, table.verdicts td { padding-left: 8px; padding-right: 8px; }
.badge {
  display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12.5px;
  font-weight: 600; line-height: 1.5;
}
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.info { color: var(--info); background: var(--info-bg); }
.theorem {
  display: inline-block; font: 600 12px var(--mono); color: var(--accent);
  border: 1px solid #c7d7ee; border-radius: 6px; padding: 0 6px; margin-top: 4px;
}
.agree { color: var(--ok); font-size: 12px; font-weight: 600; margin-left: 4px; }
.disagree { color: var(--bad); font-size: 12px; font-weight: 600; margin-left: 4px; }
.measured { color: var(--info); font-size: 12px; margin-left: 4px; }
dl.facts { margin: 16px 0 0; display: grid; grid-template-columns: max-content 1fr;
  gap: 6px 20px; font-size: 14px; }
dl.facts dt { color: var(--muted); font-weight: 600; }
dl.facts dd { margin: 0; }
abbr.term { text-decoration: underline dotted; cursor: help; }
dl.glossary { margin: 0; display: grid; grid-template-columns: max-content 1fr;
  gap: 6px 18px; font-size: 14px; }
dl.glossary dt { font: 600 13px var(--mono); color: var(--accent); }
dl.glossary dd { margin: 0; }
dl.glossary .proof { color: var(--muted); font-size: 13px; }
.swatch {
  display: inline-block; width: 22px; height: 4px; border-radius: 2px;
  vertical-align: middle; margin-right: 8px;
}
figure { margin: 0 0 22px; }
figure .plot svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 13.5px; color: var(--muted); margin-top: 8px; }
figcaption b { color: var(--ink); }
dl.settings {
  display: grid; grid-template-columns: max-content 1fr; gap: 4px 24px; margin: 0;
  font-size: 14px;
}
dl.settings dt { color: var(--muted); }
dl.settings dd {
  margin: 0; font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere;
}
@media (max-width: 760px) {
  .card { padding: 16px 14px; }
  /* tables become one block per row, each figure labelled by its column */
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; }
  table.stack tr + tr td, table.verdicts tbody + tbody tr.main td { border-top: 0; }
  table.stack tbody tr:not(.why), table.stack > tbody > tr {
    border-top: 1px solid var(--line); padding: 6px 0; }
  table.stack td { padding: 2px 0; }
  table.stack td:empty { display: none; }
  table.stack td[data-label] { display: flex; justify-content: space-between;
    gap: 12px; text-align: right; }
  table.stack td[data-label]::before { content: attr(data-label); color: var(--muted);
    font: 600 12px var(--sans); text-transform: uppercase; letter-spacing: .04em;
    text-align: left; }
}
.derivation .sl-d { max-width: none; }
.derivation math { font-size: 1.08em; }
pre.cmd {
  background: #0f1724; color: #dce6f3; padding: 12px 16px; border-radius: 8px;
  overflow-x: auto; font: 13px/1.5 var(--mono);
}
footer { color: var(--faint); font-size: 13px; margin-top: 48px; }
@media (max-width: 760px) {
  .answers { grid-template-columns: 1fr; }
  header.hero h1 { font-size: 27px; }
  .answer .short { font-size: 18px; }
  .answer .more { font-size: 15px; }
  nav.toc .inner { padding-left: 16px; padding-right: 16px; }
  header.hero .identity { font-size: 16px; }
  main, header.hero .inner { padding-left: 16px; padding-right: 16px; }
}
@media print {
  nav.toc { display: none; }
  .card.table { overflow: visible; }
  body { background: #fff; }
  header.hero { background: none; color: var(--ink); }
  header.hero .identity, header.hero .meta, header.hero .kicker { color: var(--muted); }
  .card { box-shadow: none; }
}
"""

# softmax(z1, z2)_2 = sigmoid(z2 - z1), in MathML (rendered natively, no fonts needed)
_OPEN, _CLOSE = "<mo stretchy='false'>(</mo>", "<mo stretchy='false'>)</mo>"
_IDENTITY_MATHML = (
    '<math display="inline"><msub><mi>softmax</mi><mn>2</mn></msub>'
    f"{_OPEN}<msub><mi>z</mi><mn>1</mn></msub><mo>,</mo>"
    f"<msub><mi>z</mi><mn>2</mn></msub>{_CLOSE}<mo>=</mo>"
    "<mfrac><msup><mi>e</mi><msub><mi>z</mi><mn>2</mn></msub></msup>"
    "<mrow><msup><mi>e</mi><msub><mi>z</mi><mn>1</mn></msub></msup><mo>+</mo>"
    "<msup><mi>e</mi><msub><mi>z</mi><mn>2</mn></msub></msup></mrow></mfrac>"
    f"<mo>=</mo><mi>σ</mi>{_OPEN}<msub><mi>z</mi><mn>2</mn></msub><mo>−</mo>"
    f"<msub><mi>z</mi><mn>1</mn></msub>{_CLOSE}</math>"
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_LABEL = re.compile(r"\bT[1-8]\b")


def _title(term: Term) -> str:
    return f"{term.label}: {term.text}"


def _terms(text: str, terms: Mapping[str, Term]) -> str:
    """Escape ``text``; every theorem label in it gets its definition on hover.

    Examples
    --------
    >>> _terms("a & b (T4)", {"T4": Term("T4", "same function")})
    'a &amp; b (<abbr class="term" title="T4: same function">T4</abbr>)'
    """

    def define(match: re.Match[str]) -> str:
        term = terms.get(match.group(0))
        if term is None:
            return match.group(0)
        return f'<abbr class="term" title="{_e(_title(term))}">{term.label}</abbr>'

    return _LABEL.sub(define, _e(text))


def _step_link(
    step_id: str | None, text: str, *, have: bool, title: str | None = None
) -> str:
    hover = f' title="{_e(title)}"' if title else ""
    if step_id is None:
        return f"<span{hover}>{_e(text)}</span>" if title else _e(text)
    if not have:
        hover = f' title="{_e(title or "")} (derivation step {_e(step_id)})"'
        return f"<span{hover}>{_e(text)}</span>"
    return f'<a href="#step-{_e(step_id)}"{hover}>{_e(text)}</a>'


#: a first sentence longer than this is cut after its colon: two lines on a phone
_HEADLINE = 48


def _split_headline(headline: str) -> tuple[str, str]:
    """The first sentence (or clause) of a headline, shown large, and the rest.

    Examples
    --------
    >>> _split_headline("No, not at equal learning rates. With 1c: yes.")
    ('No, not at equal learning rates.', 'With 1c: yes.')
    >>> _split_headline("Yes: identical up to rounding.")
    ('Yes: identical up to rounding.', '')
    >>> _split_headline("Not at equal rates; with P, up to rounding.")
    ('Not at equal rates;', 'with P, up to rounding.')
    >>> _split_headline("The same network: same function, same trajectory up to rounding.")
    ('The same network:', 'same function, same trajectory up to rounding.')
    """
    parts = re.split(r"(?<=\.)\s+(?=[A-Z])|(?<=;)\s+", headline, maxsplit=1)
    short, more = parts[0], parts[1] if len(parts) > 1 else ""
    if len(short) > _HEADLINE and ": " in short:
        short, rest = short.split(": ", 1)
        short, more = f"{short}:", f"{rest} {more}".strip()
    return short, more


def _answers(
    answers: Sequence[Answer], have_derivation: bool, terms: Mapping[str, Term]
) -> str:
    if not answers:
        return ""
    cards = []
    for ans in answers:
        why = ""
        if ans.derivation_step is not None:
            link = _step_link(
                ans.derivation_step, "why: the derivation →", have=have_derivation
            )
            why = f'<p class="why">{link}</p>'
        short, more = _split_headline(ans.headline)
        more_html = f'<p class="more">{_terms(more, terms)}</p>' if more else ""
        cards.append(
            '<div class="card answer">'
            f'<div class="q">{_e(ans.question)}</div>'
            f'<p class="short">{_terms(short, terms)}</p>{more_html}'
            f"<p>{_terms(ans.explanation, terms)}</p>{why}</div>"
        )
    return (
        '<section id="answers"><h2>The seed’s two questions</h2>'
        f'<div class="answers">{"".join(cards)}</div></section>'
    )


def _notes(data: ReportData) -> str:
    items = [
        f'<div class="note"><b>Network {_e(name)} diverged.</b> {_e(msg)}</div>'
        for name, msg in sorted(data.diverged.items())
    ]
    items += [f'<div class="note info">{_e(note)}</div>' for note in data.notes]
    if not items:
        return ""
    return f'<section class="notes" id="notes">{"".join(items)}</section>'


def _networks(data: ReportData) -> str:
    rows = []
    for name in data.networks:
        color = NETWORK_COLORS.get(name, "#4a5568")
        loss = data.losses.get(name)
        final = (
            format_number(float(loss[-1])) if loss is not None and loss.size else "—"
        )
        status = (
            '<span class="badge bad">diverged</span>'
            if name in data.diverged
            else '<span class="badge ok">trained</span>'
        )
        test_loss = data.test_losses.get(name)
        test_acc = data.test_accuracy.get(name)
        tests = (
            '<td class="num" data-label="test loss">'
            f"{'—' if test_loss is None else format_number(test_loss)}</td>"
            '<td class="num" data-label="test accuracy">'
            f"{'—' if test_acc is None else f'{test_acc:.3f}'}</td>"
        )
        rows.append(
            f'<tr><td class="pair"><span class="swatch" style="background:{color}">'
            f"</span>{_e(name)}</td><td>{_e(data.descriptions.get(name, ''))}</td>"
            f'<td class="num" data-label="final loss">{final}</td>{tests}'
            f"<td>{status}</td></tr>"
        )
    return (
        '<section id="networks"><h2>The networks<small>losses and accuracy at the '
        'last step; test: the held-out samples</small></h2><div class="card table">'
        '<table class="stack"><thead><tr><th>network</th><th>head</th>'
        '<th class="num">final loss</th><th class="num">test loss</th>'
        '<th class="num">test accuracy</th><th>status</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _verdicts(data: ReportData, have_derivation: bool) -> str:
    terms = data.terms
    pairs = data.pairs
    if not pairs:
        return ""
    columns: list[str] = []
    for pair in pairs:
        for key in pair.final:
            if key not in columns:
                columns.append(key)
    head = "".join(f'<th class="num">{_e(c)}</th>' for c in columns)
    rows = []
    for pair in pairs:
        text, cls = pair.badge
        theorem = ""
        if pair.theorem:
            term = terms.get(pair.theorem)
            link = _step_link(
                pair.step_id,
                pair.theorem,
                have=have_derivation,
                title=None if term is None else _title(term),
            )
            theorem = f'<br><span class="theorem">{link}</span>'
            if pair.agrees is True:
                theorem += ' <span class="agree">✓ as predicted</span>'
            elif pair.agrees is False:
                predicted = (
                    "?" if pair.expected is None else VERDICT_BADGES[pair.expected][0]
                )
                theorem += (
                    f' <span class="disagree">✗ predicted: {_e(predicted)}</span>'
                )
            else:
                theorem += ' <span class="measured">no exact prediction</span>'
        cells = "".join(
            f'<td class="num" data-label="{_e(c)}">'
            f"{format_number(pair.final[c]) if c in pair.final else '—'}</td>"
            for c in columns
        )
        explanation = (
            f'<tr class="why"><td></td><td colspan="{len(columns) + 1}">'
            f"{_terms(pair.explanation, terms)}</td></tr>"
            if pair.explanation
            else ""
        )
        rows.append(
            f'<tbody id="pair-{_e(pair.a)}-{_e(pair.b)}"><tr class="main">'
            f'<td class="pair">{_e(pair.label)}</td>'
            f'<td><span class="badge {cls}">{_e(text)}</span>{theorem}</td>'
            f"{cells}</tr>{explanation}</tbody>"
        )
    fact_rows = [*data.facts, *([("time", data.time_text)] if data.time_text else [])]
    facts = "".join(
        f"<dt>{_terms(k, terms)}</dt><dd>{_terms(v, terms)}</dd>" for k, v in fact_rows
    )
    facts_html = f'<dl class="facts">{facts}</dl>' if facts else ""
    return (
        '<section id="verdicts"><h2>Verdicts<small>figures at the last recorded '
        'step</small></h2><div class="card table">'
        f'<table class="verdicts stack"><thead><tr><th>pair</th><th>verdict</th>{head}'
        f"</tr></thead>{''.join(rows)}</table>{facts_html}</div></section>"
    )


def _glossary(data: ReportData, have_derivation: bool) -> str:
    """The theorems T1-T8 (and the control), one line each, linked to their steps."""
    if not data.glossary:
        return ""
    items = []
    for term in data.glossary:
        proof = ""
        if term.step_id is not None:
            link = _step_link(
                term.step_id, f"derivation step {term.step_id}", have=have_derivation
            )
            proof = f' <span class="proof">({link})</span>'
        items.append(
            f'<dt id="term-{_e(term.label)}">{_e(term.label)}</dt>'
            f"<dd>{_e(term.text)}{proof}</dd>"
        )
    return (
        '<section id="glossary"><h2>What T1–T8 mean<small>the theorems the verdicts '
        'cite</small></h2><div class="card"><dl class="glossary">'
        f"{''.join(items)}</dl></div></section>"
    )


def _figures(data: ReportData, svgs: Mapping[str, str]) -> str:
    if not svgs:
        return ""
    parts = []
    for stem in FIGURES:
        svg = svgs.get(stem)
        if svg is None:
            continue
        parts.append(
            f'<figure class="card" id="fig-{_e(stem)}"><div class="plot">{svg}</div>'
            f"<figcaption>{_e(caption(stem, data))}</figcaption></figure>"
        )
    return (
        f'<section id="plots"><h2>Training, side by side</h2>{"".join(parts)}</section>'
    )


def _settings(data: ReportData, command: str | None) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in data.settings)
    cmd = f'<pre class="cmd">$ {_e(command)}</pre>' if command else ""
    return (
        '<section id="settings"><h2>Settings</h2><div class="card">'
        f'<dl class="settings">{items}</dl></div>{cmd}</section>'
    )


def _nav(data: ReportData, have_derivation: bool, have_plots: bool) -> str:
    links = [("answers", "Questions")] if data.answers else []
    links += [("networks", "Networks")]
    links += [("verdicts", "Verdicts")] if data.pairs else []
    links += [("glossary", "T1–T8")] if data.glossary else []
    links += [("plots", "Plots")] if have_plots else []
    links += [("settings", "Settings")]
    links += [("derivation", "Derivation")] if have_derivation else []
    items = "".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in links)
    return (
        f'<nav class="toc" aria-label="Contents"><div class="inner">{items}</div></nav>'
    )


def render_html(
    data: ReportData,
    svgs: Mapping[str, str],
    derivation: str | None = None,
    *,
    command: str | None = None,
    version: str = "",
) -> str:
    """Render the whole report as one self-contained HTML document.

    Parameters
    ----------
    data : ReportData
        The experiment.
    svgs : mapping of str to str
        Inline SVG documents of the figures, keyed by the stems of
        :data:`softlogit._report._plots.FIGURES`.
    derivation : str or None
        An HTML fragment of the derivation (its own ``<section id="derivation">``
        with a heading) whose steps have the ids ``step-<id>``; without it the
        verdicts name their steps but do not link.
    command : str or None
        The command line that produced the report, shown for reproducibility.
    version : str
        softlogit's version, for the footer.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> import numpy as np
    >>> from softlogit._report._data import ReportData
    >>> data = ReportData(
    ...     title="demo", settings=(("steps", "2"),), steps=np.arange(3.0),
    ...     networks=("0",), descriptions={"0": "two units"},
    ...     losses={"0": np.array([0.7, 0.6, 0.5])}, head={}, head_labels=(),
    ...     conserved={}, pairs=(), answers=())
    >>> page = render_html(data, {})
    >>> page.startswith("<!DOCTYPE html>") and "http" not in page.split("<body")[0]
    True
    """
    have = derivation is not None
    meta = "".join(f"<span>{_e(v)}</span>" for _, v in data.settings[:4])
    derivation_section = f'<div class="derivation">{derivation}</div>' if have else ""
    body = "".join(
        [
            _notes(data),
            _answers(data.answers, have, data.terms),
            _networks(data),
            _verdicts(data, have),
            _glossary(data, have),
            _figures(data, svgs),
            _settings(data, command),
            derivation_section,
        ]
    )
    footer = (
        f"<footer>Made by softlogit {_e(version)}. This file is self-contained: "
        "it needs no network access.</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(data.title)}</title><style>{_CSS}</style></head><body>"
        '<header class="hero"><div class="inner">'
        '<div class="kicker">softlogit · softmax vs sigmoid heads</div>'
        f"<h1>{_e(data.title)}</h1>"
        f'<div class="identity">{_IDENTITY_MATHML}</div>'
        f'<div class="meta">{meta}</div></div></header>'
        f"{_nav(data, have, bool(svgs))}<main>{body}{footer}</main></body></html>\n"
    )
