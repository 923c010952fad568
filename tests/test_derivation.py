"""The derivation: every step checks, wrong steps fail, renderers and the CLI work."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

import softlogit
from softlogit import Derivation, Step, derivation
from softlogit._cli import main
from softlogit._derivation._core import _resolve
from softlogit._derivation._notation import (
    BCE,
    Sigmoid,
    Softmax,
    Vector,
    expand_notation,
    real,
)
from softlogit.errors import InputTypeError, InputValueError

# The ids the experiment's verdicts link to (theorems T1-T8 of the design).
THEOREM_STEPS = {
    "T1": "shift-invariance",
    "T2": "same-loss",
    "T3": "gradients",
    "T4": "linear-heads",
    "T5": "training-dynamics",
    "T6": "training-dynamics",
    "T7": "penalties",
    "T8": "gauge",
}
REQUIRED_IDS = {
    "definitions",
    "two-class-identity",
    "shift-invariance",
    "gauge",
    "reference-class",
    "linear-heads",
    "same-loss",
    "gradients",
    "training-dynamics",
    "penalties",
}


@pytest.fixture(scope="module")
def checks_k2() -> list[softlogit.StepCheck]:
    return derivation(2).check()


def test_every_step_of_the_two_class_derivation_is_verified(
    checks_k2: list[softlogit.StepCheck],
) -> None:
    failed = [(c.step_id, c.detail) for c in checks_k2 if not c.passed]
    assert failed == []
    assert all(c.method in ("symbolic", "generic", "numeric") for c in checks_k2)


@pytest.mark.parametrize(
    "n_classes", [3, pytest.param(4, marks=pytest.mark.slow, id="4")]
)
def test_every_step_of_the_k_class_derivation_is_verified(n_classes: int) -> None:
    d = derivation(n_classes)
    assert d.n_classes == n_classes
    failed = [(c.step_id, c.detail) for c in d.check() if not c.passed]
    assert failed == []


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_required_and_theorem_ids_exist(n_classes: int) -> None:
    ids = derivation(n_classes).ids
    assert set(ids) >= REQUIRED_IDS
    assert set(THEOREM_STEPS.values()) <= set(ids)
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)


def test_k_class_steps_are_specialized() -> None:
    k2, k4 = derivation(2), derivation(4)
    # The preconditioner P = I + 11^T is a 3x3 matrix for K = 4 and the number 2 for K = 2.
    rhs4 = k4["training-dynamics"].rhs
    assert isinstance(rhs4, sp.MatMul)
    matrix = next(a for a in rhs4.args if isinstance(a, sp.MatrixBase))
    assert matrix == sp.eye(3) + sp.ones(3, 3)
    assert k2["training-dynamics"].rhs.as_coeff_Mul()[0] == 2
    # Shift invariance is stated for all K logits.
    assert len(k4["shift-invariance"].lhs.args) == 1 + 4


def test_t8_is_proved_by_the_gauge_step() -> None:
    """T8 is about the weights: a vector added to every row (the gauge step), not a
    number added to every logit (shift invariance, which proves T1)."""
    from softlogit.experiment import THEOREM_STEPS as shipped

    assert shipped == THEOREM_STEPS
    step = derivation(3)[shipped["T8"]]
    shifted_rows = step.lhs.args[1:]
    assert all(Vector("v") in row.free_symbols for row in shifted_rows)
    assert Vector("v") not in step.rhs.free_symbols


# --------------------------------------------------------------- failure detection


def _mutations() -> list[tuple[str, Step]]:
    """Wrong versions of correct steps, built through the public Step API."""
    d = derivation(2)
    z1, z2 = real("z_1"), real("z_2")
    swapped = dataclasses.replace(
        d["two-class-identity"], rhs=Sigmoid(z1 - z2)
    )  # the sign error the seed's learners worried about
    factor_three = dataclasses.replace(
        d["training-dynamics"], rhs=3 * d["training-dynamics"].rhs / 2
    )
    wrong_map = dataclasses.replace(
        d["penalty-map"],
        given=(
            *d["penalty-map"].given[:2],
            (d["penalty-map"].given[2][0], d["penalty-map"].given[2][1] * 2),
        ),
    )
    no_condition = dataclasses.replace(
        d["penalties"], premise=(d["penalties"].premise[0] * 0 + 1, sp.Integer(1))
    )
    adam = d["adam-mirror"]
    adam_sign = dataclasses.replace(
        adam, rhs=sp.ImmutableMatrix([adam.rhs[0], -adam.rhs[1], adam.rhs[2]])
    )  # m₁′ = +m₂′ is false
    shift = d["shift-invariance"]
    scaled = dataclasses.replace(
        shift,
        lhs=shift.lhs.func(shift.lhs.args[0], *(2 * a for a in shift.lhs.args[1:])),
    )  # softmax is not scale invariant
    errors = d["standard-errors"]
    se_not_halved = dataclasses.replace(
        errors, rhs=sp.MatMul(sp.Symbol("V", positive=True), errors.rhs.args[-1])
    )  # centered standard errors are half the logistic ones, not equal
    decay = d["weight-decay"]
    lam_p, _ = decay.given[1]
    decay_not_halved = dataclasses.replace(
        decay,
        given=(
            decay.given[0],
            (lam_p, sp.Symbol("lambda", positive=True)),
            *decay.given[2:],
        ),
    )  # network 1c needs half the weight decay, not the same
    return [
        ("swapped-difference", swapped),
        ("weight-decay-not-halved", decay_not_halved),
        ("standard-errors-not-halved", se_not_halved),
        ("adam-moment-sign", adam_sign),
        ("scaling-is-not-shifting", scaled),
        ("factor-three", factor_three),
        ("penalty-map-lambda", wrong_map),
        ("implication-without-premise", no_condition),
    ]


@pytest.mark.parametrize(
    ("name", "step"), _mutations(), ids=[m[0] for m in _mutations()]
)
def test_wrong_steps_fail_their_check(name: str, step: Step) -> None:
    result = step.check()
    assert not result.passed, name
    assert result.label == "FAILED"
    assert result.method == "failed"


def test_numeric_check_is_labelled_and_catches_errors() -> None:
    t = sp.Symbol("t", real=True)
    # log(exp(t) + 1) - t - log(1 + exp(-t)) = 0: true; force the numeric path.
    good = Step(
        "softplus",
        "Softplus identity",
        "softplus(t) - t = softplus(-t).",
        sp.log(sp.exp(t) + 1) - t,
        sp.log(1 + sp.exp(-t)),
        method="numeric",
        points=25,
    )
    result = good.check()
    assert result.passed
    assert result.method == "numeric"
    assert "checked numerically at 25 points, 50 digits" in result.detail
    # An error of 1e-30 is invisible in float64 but not at 50 digits.
    bad = dataclasses.replace(good, rhs=good.rhs + sp.Float("1e-30", 50))
    assert not bad.check().passed


def test_cli_exits_1_when_a_step_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import softlogit._derivation as package

    real_build = package.derivation

    def broken(n_classes: int = 2) -> Derivation:
        d = real_build(n_classes)
        steps = list(d.steps)
        steps[1] = dataclasses.replace(steps[1], rhs=Sigmoid(real("z_1") - real("z_2")))
        return Derivation(tuple(steps), n_classes=d.n_classes)

    monkeypatch.setattr(package, "derivation", broken)
    assert main(["derive"]) == 1
    captured = capsys.readouterr()
    assert "FAILED" in captured.out
    assert "two-class-identity" in captured.err


# ------------------------------------------------------------ independent checks


def test_definitions_shown_match_the_definitions_checked() -> None:
    """The formulas shown in the 'definitions' step are what the checks expand to."""
    step = derivation(3)["definitions"]
    k = sp.Symbol("k", integer=True, positive=True)
    for name, shown in step.notes:
        for value in (1, 2, 3):
            notation = name.xreplace({k: value})
            formula = shown.xreplace({k: value})
            difference = expand_notation(_resolve(notation)) - _resolve(formula.doit())
            assert sp.simplify(difference) == 0, (name, value)


def test_notation_agrees_with_mpmath_and_softlogit() -> None:
    """Expanded notation evaluated at 50 digits equals mpmath and softlogit's functions."""
    z1, z2, y = real("z_1"), real("z_2"), real("y")
    values = {z1: sp.Rational(3, 7), z2: sp.Rational(-5, 3), y: 1}
    with mpmath.workdps(50):
        a, b = mpmath.mpf(3) / 7, mpmath.mpf(-5) / 3
        expected = mpmath.exp(b) / (mpmath.exp(a) + mpmath.exp(b))
        got = sp.N(expand_notation(Softmax(2, z1, z2)).subs(values), 50)
        assert abs(mpmath.mpf(str(got)) - expected) < mpmath.mpf(10) ** -45
        bce = sp.N(expand_notation(BCE(Sigmoid(z2 - z1), y)).subs(values), 50)
        assert abs(mpmath.mpf(str(bce)) + mpmath.log(expected)) < mpmath.mpf(10) ** -45
    sm = softlogit.softmax([[3 / 7, -5 / 3]])[0, 1]
    assert sm == pytest.approx(float(expected), rel=1e-15)


# ----------------------------------------------------------------------- renderers


def test_text_rendering_is_unicode_without_latex(
    checks_k2: list[softlogit.StepCheck],
) -> None:
    text = derivation(2).to_text(checks_k2)
    assert "softmax(z₁, z₂)₂ = σ(z₂ - z₁)" in text
    assert "\\frac" not in text
    assert "\\sigma" not in text
    assert f"{len(checks_k2)} of {len(checks_k2)} steps verified" in text
    assert text.count("✓ verified") == len(checks_k2)


def test_markdown_and_latex_rendering(checks_k2: list[softlogit.StepCheck]) -> None:
    d = derivation(2)
    md = d.to_markdown(checks_k2)
    assert md.startswith("# ")
    assert md.count("$$") % 2 == 0
    assert '<a id="step-shift-invariance"></a>' in md
    tex = d.to_latex(checks_k2)
    assert tex.startswith("\\documentclass")
    assert tex.rstrip().endswith("\\end{document}")
    assert "\\label{step-same-loss}" in tex
    assert tex.count("\\begin{equation*}") == tex.count("\\end{equation*}")
    # pdflatex-safe: the Unicode of explanations is turned into LaTeX commands.
    assert [ch for ch in tex if ord(ch) > 127] == []
    assert "\\textsubscript{2}" in tex


def test_html_section_has_anchors_and_badges(
    checks_k2: list[softlogit.StepCheck],
) -> None:
    from softlogit._derivation._html import DERIVATION_CSS, derivation_html_section

    d = derivation(2)
    fragment = derivation_html_section(derivation=d, checks=checks_k2)
    assert fragment.startswith('<section id="derivation"')
    assert fragment.rstrip().endswith("</section>")
    for step_id in d.ids:
        assert f'id="step-{step_id}"' in fragment
    assert fragment.count("<math") >= len(d)
    assert "&ExponentialE;" not in fragment
    assert "\\frac" not in fragment
    assert DERIVATION_CSS.strip() in fragment
    bare = derivation_html_section(derivation=d, checks=checks_k2, include_style=False)
    assert "<style>" not in bare


def test_renderers_reject_mismatched_checks(
    checks_k2: list[softlogit.StepCheck],
) -> None:
    with pytest.raises(
        InputValueError, match="`checks` must hold one StepCheck per step"
    ):
        derivation(3).to_text(checks_k2)


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize("value", [1, 0, -3, 13])
def test_derivation_rejects_bad_class_counts(value: int) -> None:
    with pytest.raises(InputValueError, match="`n_classes` must be between 2 and 12"):
        derivation(value)


def test_derivation_accepts_numpy_integers() -> None:
    assert derivation(np.int64(3)).n_classes == 3  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [2.0, "2", True])
def test_derivation_rejects_non_integers(value: object) -> None:
    with pytest.raises(InputTypeError, match="`n_classes` must be an integer"):
        derivation(value)  # type: ignore[arg-type]


def test_step_rejects_bad_arguments() -> None:
    t = real("t")
    with pytest.raises(InputValueError, match="`id` must be a non-empty string"):
        Step("", "x", "x", t, t)
    with pytest.raises(InputTypeError, match="`id` must be a non-empty string"):
        Step(3, "x", "x", t, t)  # type: ignore[arg-type]
    with pytest.raises(InputValueError, match="`method` must be one of"):
        Step("a", "x", "x", t, t, method="guess")  # type: ignore[arg-type]
    with pytest.raises(InputValueError, match="`points` must be an integer >= 1"):
        Step("a", "x", "x", t, t, points=0)
    with pytest.raises(InputTypeError, match="`points` must be an integer >= 1"):
        Step("a", "x", "x", t, t, points=2.5)  # type: ignore[arg-type]
    step = Step("a", "x", "x", t, t)
    with pytest.raises(InputValueError, match="`steps` must have unique ids"):
        Derivation((step, step))
    with pytest.raises(KeyError, match="no step with id 'nope'"):
        Derivation((step,))["nope"]


# --------------------------------------------------------------------------- CLI


def test_cli_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive"]) == 0
    out = capsys.readouterr().out
    assert "The two-class identity" in out
    assert "FAILED" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["derive", "--classes", "1"], "--classes must be an integer >= 2; got 1"),
        (
            ["derive", "--classes", "two"],
            "--classes must be an integer >= 2; got 'two'",
        ),
        (
            ["derive", "--classes", "2.5"],
            "--classes must be an integer >= 2; got '2.5'",
        ),
        (["derive", "--classes", "40"], "--classes must be between 2 and 12; got 40"),
        (["derive", "--format", "pdf"], "--format must be one of text, markdown"),
    ],
)
def test_cli_bad_input_exits_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err


def test_cli_writes_files_atomically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "derivation.html"
    assert main(["derive", "--format", "html", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert 'id="step-training-dynamics"' in page
    assert "http://" not in page.replace("http://www.w3.org", "")
    # Refuses to overwrite without --force, then overwrites with it.
    assert main(["derive", "--format", "markdown", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == page
    assert main(["derive", "--format", "markdown", "--out", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8").startswith("# ")
    assert [p.name for p in tmp_path.iterdir()] == ["derivation.html"]


def test_cli_missing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "d.md"
    assert main(["derive", "--out", str(target)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_text_wraps_long_formulas() -> None:
    """K = 6 formulas are wider than a terminal: SymPy's wrapping keeps lines short."""
    d = derivation(6)
    checks = [softlogit.StepCheck(i, True, "symbolic", "not run") for i in d.ids]
    text = d.to_text(checks)
    assert "↪" in text  # SymPy's continuation mark
    assert max(len(line) for line in text.splitlines()) <= 88


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_checked_notation_is_the_library_numerics(
    n_classes: int, rng: np.random.Generator
) -> None:
    """The formulas the derivation checks are the ones softlogit computes: softmax,
    its cross-entropy and its gradient p - y agree with softlogit's float64 functions
    at random logits (the derivation's expressions evaluated at 50 digits)."""
    zs = [real(f"z_{i}") for i in range(1, n_classes + 1)]
    logits = rng.normal(scale=3.0, size=n_classes)
    label = int(rng.integers(n_classes))
    values = {z: sp.Float(float(v), 50) for z, v in zip(zs, logits, strict=True)}
    proba = softlogit.softmax(logits)
    loss = softlogit.softmax_cross_entropy(logits[None, :], [label])
    cross_entropy = -sp.log(Softmax(label + 1, *zs))
    for k in range(1, n_classes + 1):
        p_k = expand_notation(Softmax(k, *zs)).evalf(50, subs=values)
        assert float(p_k) == pytest.approx(proba[k - 1], rel=1e-13, abs=1e-300)
        grad = sp.diff(expand_notation(cross_entropy), zs[k - 1]).evalf(50, subs=values)
        expected = proba[k - 1] - (1.0 if k == label + 1 else 0.0)
        assert float(grad) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    value = expand_notation(cross_entropy).evalf(50, subs=values)
    assert float(value) == pytest.approx(float(loss), rel=1e-13)
    if n_classes == 2:
        z = logits[1] - logits[0]
        bce = expand_notation(BCE(Sigmoid(zs[1] - zs[0]), label)).evalf(50, subs=values)
        reference = softlogit.binary_cross_entropy(np.array([z]), np.array([label]))
        assert float(bce) == pytest.approx(float(reference), rel=1e-13)


def test_html_page_has_an_introduction_contents_and_theorem_map() -> None:
    from softlogit.experiment import THEOREM_STEPS, THEOREMS

    d = derivation(2)
    page = d.to_html(d.check())
    assert 'class="sl-d-intro"' in page
    assert "softmax(z₁, z₂)₂ = σ(z₂ − z₁)" in page
    contents = page.split('<nav class="sl-d-toc"')[1].split("</nav>")[0]
    assert re.findall(r'href="#step-([^"]+)"', contents) == d.ids
    theorems = page.split('<section class="sl-d-theorems">')[1].split("</section>")[0]
    for label in THEOREMS:
        step = THEOREM_STEPS[label]
        number = d.ids.index(step) + 1
        assert f'<tr id="theorem-{label}"><th>{label}</th>' in theorems
        assert f'<a href="#step-{step}">step {number}</a>' in theorems


def test_long_equations_are_broken_between_terms() -> None:
    """Step 12 for K = 3 (the loss in reference form) is shown on several lines, and
    the lines say the same as the one-line equation: their terms, joined, are the
    sums of both sides."""
    from softlogit._derivation._html import _broken

    step = derivation(3)["same-loss-reference"]
    for side in (step.lhs, step.rhs):
        lines = _broken(side, "")
        assert len(lines) >= 2
        assert lines[1].startswith('<mspace width="1em"/><mo>−</mo>')
    short = derivation(2)["two-class-identity"]
    assert len(_broken(short.rhs, "<mo>=</mo>")) == 1
