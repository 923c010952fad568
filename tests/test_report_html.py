"""The self-contained HTML report and the terminal report, on hand-made data."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import numpy as np

from softlogit._report._data import PairReport, ReportData
from softlogit._report._html import render_html
from softlogit._report._terminal import (
    make_console,
    print_report,
    progress_bar,
    status,
)
from softlogit.experiment import Answer, Verdict


def _data(**kwargs: object) -> ReportData:
    steps = np.arange(3.0)
    fields: dict[str, object] = {
        "title": "hand-made <run>",
        "settings": (("optimizer", "sgd"), ("steps", "2")),
        "steps": steps,
        "networks": ("0", "1", "2"),
        "descriptions": {"0": "two units", "1": "one unit", "2": "softmax"},
        "losses": {k: np.array([0.7, 0.6, 0.5]) for k in "012"},
        "head": {},
        "head_labels": (),
        "conserved": {},
        "pairs": (
            PairReport(
                "0",
                "2",
                Verdict.IDENTICAL,
                "T4",
                "same function",
                "t4",
                final={"max |Δ head|": 2.5e-16},
            ),
            PairReport(
                "0",
                "1",
                Verdict.SAME_FUNCTION,
                "T5",
                "twice the step",
                "t5",
                final={"max |Δ head|": 0.75},
            ),
        ),
        "answers": (
            Answer(
                "q01",
                "Do 0 and 1 agree?",
                "No.",
                "Twice the step.",
                derivation_step="t5",
            ),
        ),
    }
    fields.update(kwargs)
    return ReportData(**fields)  # type: ignore[arg-type]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def test_page_is_self_contained() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>plot</text></svg>'
    page = render_html(_data(), {"loss": svg, "differences": svg})
    tags = _parse(page).tags
    names = [t for t, _ in tags]
    assert "script" not in names
    assert "link" not in names
    assert "img" not in names  # plots are inline SVG
    for _, attrs in tags:
        for key in ("src", "href"):
            value = attrs.get(key)
            assert value is None or not re.match(r"(https?:)?//", value), value
    assert "@import" not in page
    assert "url(" not in page
    assert names.count("svg") == 2
    assert names.count("math") >= 1  # the identity, as MathML


def test_text_is_escaped() -> None:
    page = render_html(_data(notes=("a < b & c",)), {})
    assert "hand-made &lt;run&gt;" in page
    assert "a &lt; b &amp; c" in page


def test_verdicts_link_to_derivation_steps_when_it_is_included() -> None:
    derivation = (
        '<section id="derivation"><ol><li id="step-t4">T4</li>'
        '<li id="step-t5">T5</li></ol></section>'
    )
    page = render_html(_data(), {}, derivation)
    hrefs = [a.get("href") for t, a in _parse(page).tags if t == "a"]
    assert "#derivation" in hrefs  # the navigation
    assert hrefs.count("#step-t4") == 1
    assert hrefs.count("#step-t5") == 2  # the 0 vs 1 verdict and the answer
    # every internal link has a target on the page
    ids = {a.get("id") for _, a in _parse(page).tags}
    assert all(h[1:] in ids for h in hrefs if h and h.startswith("#"))
    assert 'class="badge ok"' in page
    assert 'class="badge warn"' in page


def test_no_dangling_links_without_derivation() -> None:
    page = render_html(_data(), {"loss": "<svg></svg>"})
    tags = _parse(page).tags
    hrefs = [a.get("href") or "" for t, a in tags if t == "a"]
    assert not [h for h in hrefs if h.startswith("#step-")]
    assert "#derivation" not in hrefs
    ids = {a.get("id") for _, a in tags}
    assert all(h[1:] in ids for h in hrefs), hrefs  # the navigation resolves
    assert 'id="derivation"' not in page


def test_theorem_labels_are_defined_on_hover_and_in_a_glossary() -> None:
    from softlogit._report._adapter import glossary
    from softlogit.experiment import THEOREM_STEPS, THEOREMS

    data = _data()
    answer = Answer("q01", "Do 0 and 1 agree?", "No.", "Twice the step (T5).")
    data = _data(answers=(answer,), glossary=glossary(list(data.pairs)))
    page = render_html(data, {}, '<section id="derivation"></section>')
    tags = _parse(page).tags
    titles = [a.get("title") for _, a in tags if a.get("title")]
    # the verdict's label and the answer's "(T5)" carry the definition
    assert f"T5: {THEOREMS['T5']}" in titles
    assert f"T4: {THEOREMS['T4']}" in titles
    assert titles.count(f"T5: {THEOREMS['T5']}") >= 2
    # the glossary section defines all eight, each linked to its step
    assert "#glossary" in [a.get("href") for t, a in tags if t == "a"]
    section = page.split('<section id="glossary">')[1].split("</section>")[0]
    for label, text in THEOREMS.items():
        assert f'<dt id="term-{label}">{label}</dt>' in section
        assert text.replace("'", "&#x27;") in section
        assert f'href="#step-{THEOREM_STEPS[label]}"' in section


def test_divergence_is_shown_instead_of_figures() -> None:
    page = render_html(_data(diverged={"1": "loss became nan at step 12"}), {})
    assert "Network 1 diverged." in page
    assert "loss became nan at step 12" in page


def test_terminal_report_has_pairs_verdicts_and_answers() -> None:
    buf = io.StringIO()
    print_report(_data(), make_console(buf, width=140))
    out = buf.getvalue()
    assert "\x1b[" not in out  # not a terminal: no colour codes
    assert "0 vs 2" in out
    assert "identical up to rounding" in out
    assert "same function, different trajectory" in out
    assert "2.5e-16" in out
    assert "0.75" in out
    assert "Do 0 and 1 agree?" in out
    assert "Twice the step." in out


def test_terminal_report_names_diverged_networks() -> None:
    buf = io.StringIO()
    print_report(_data(diverged={"1": "loss became inf"}), make_console(buf, width=100))
    assert "network 1 diverged: loss became inf" in buf.getvalue()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_is_off_when_not_a_terminal_or_quiet() -> None:
    for stream, enabled in ((io.StringIO(), True), (_Tty(), False)):
        with progress_bar(enabled=enabled, file=stream) as update:
            update("0", 5, 10)
        assert stream.getvalue() == ""


def test_progress_bar_draws_on_a_terminal() -> None:
    stream = _Tty()
    with progress_bar(enabled=True, file=stream) as update:
        update("0", 10, 10)
        update("1", 3, 10)
    drawn = stream.getvalue()
    assert "training network 0" in drawn
    assert "training network 1" in drawn


def test_progress_bar_shows_the_time_left() -> None:
    stream = _Tty()
    with progress_bar(enabled=True, file=stream, networks=2) as update:
        update("0", 10, 10)
        update("1", 3, 10)
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stream.getvalue())
    assert "training 2 networks" in drawn
    assert "13/20" in drawn  # the whole run: network 0 done, 3 steps of network 1
    assert "eta" in drawn
    # rich's TimeRemainingColumn: h:mm:ss, or -:--:-- before a rate is known
    assert re.search(r"eta\s+(\d+:\d\d:\d\d|-:--:--)", drawn)


def test_status_spinner_only_on_a_terminal() -> None:
    quiet = _Tty()
    with status("writing the report", enabled=False, file=quiet):
        pass
    assert quiet.getvalue() == ""
    tty = _Tty()
    with status("writing the report", enabled=True, file=tty):
        pass
    assert "writing the report" in tty.getvalue()


def test_terminal_report_fits_80_columns() -> None:
    buf = io.StringIO()
    print_report(_data(), make_console(buf, width=80))
    out = buf.getvalue()
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "identical up to rounding" in out  # the verdict is not wrapped
    assert "max |Δ head|" in out


def test_test_loss_and_accuracy_are_shown_for_every_network() -> None:
    """The learner cares whether the predictions differ: each network's held-out
    loss and accuracy stand beside its training loss, on the page and the terminal."""
    losses = {"0": 0.3125, "1": 0.4375, "2": 0.3125}
    accuracy = {"0": 0.875, "1": 0.8125, "2": 0.875}
    data = _data(test_losses=losses, test_accuracy=accuracy)
    page = render_html(data, {})
    body = page.split('<section id="networks">')[1].split("</section>")[0]
    for name in data.networks:
        row = body.split(f"</span>{name}</td>")[1].split("</tr>")[0]
        assert f'data-label="test loss">{losses[name]:.3g}</td>' in row
        assert f'data-label="test accuracy">{accuracy[name]:.3f}</td>' in row
    buf = io.StringIO()
    print_report(data, make_console(buf, width=120))
    lines = buf.getvalue().splitlines()
    header = next(line for line in lines if "test loss" in line)
    assert "test acc." in header
    for name in data.networks:
        row = next(line for line in lines if line.split()[:1] == [name])
        assert f"{losses[name]:.3g}" in row
        assert f"{accuracy[name]:.3f}" in row
