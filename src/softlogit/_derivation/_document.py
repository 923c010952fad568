"""A derivation: checked steps in reading order, rendered as text, Markdown, LaTeX
or HTML.

The steps and their checks are :mod:`._core`'s; the renderers (:mod:`._render`,
:mod:`._html`) read any sequence of steps, so they depend on the core and not on
this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from softlogit._derivation._core import Step, StepCheck
from softlogit._derivation._html import derivation_html_page
from softlogit._derivation._render import render_latex, render_markdown, render_text
from softlogit.errors import InputValueError

__all__ = ["Derivation"]


@dataclass(frozen=True)
class Derivation:
    """A sequence of checked steps; see :func:`softlogit.derivation`.

    Attributes
    ----------
    steps : tuple of Step
        The steps in reading order.
    n_classes : int
        The number of classes ``K`` the K-class steps are specialized to.
    title : str
        A heading for renderers.

    Examples
    --------
    >>> from softlogit import derivation
    >>> d = derivation(3)
    >>> d["reference-class"].title
    'Reference-class form'
    >>> result = d["training-dynamics"].check()
    >>> result.passed, result.method
    (True, 'generic')
    >>> print(d.to_text()[:50])
    Softmax regression generalizes logistic regression
    """

    steps: tuple[Step, ...]
    n_classes: int = 2
    title: str = "Softmax regression generalizes logistic regression"

    def __post_init__(self) -> None:
        ids = [s.id for s in self.steps]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise InputValueError(
                f"`steps` must have unique ids; repeated: {duplicates}."
            )

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        """One line: the number of steps, K and the first and last step ids.

        Examples
        --------
        >>> from softlogit import derivation
        >>> derivation(3)
        <Derivation: 22 steps for K = 3 (definitions … standard-errors); .check() verifies them>
        """
        span = f" ({self.steps[0].id} … {self.steps[-1].id})" if self.steps else ""
        return (
            f"<Derivation: {len(self)} steps for K = {self.n_classes}{span}; "
            ".check() verifies them>"
        )

    def _repr_html_(self) -> str:
        """Notebooks show every step rendered, with its check (cached on disk)."""
        from softlogit._derivation._cache import checked
        from softlogit._derivation._html import derivation_html_section

        checks, _ = checked(self)
        return derivation_html_section(self, checks)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __getitem__(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"no step with id {step_id!r}; ids: {[s.id for s in self]}")

    @property
    def ids(self) -> list[str]:
        """The step ids in order."""
        return [s.id for s in self.steps]

    def check(self) -> list[StepCheck]:
        """Check every step; return one :class:`StepCheck` per step, in order."""
        return [step.check() for step in self.steps]

    def to_text(self, checks: Sequence[StepCheck] | None = None) -> str:
        """Render as Unicode text for a terminal; see :mod:`._render`."""
        return render_text(self, checks)

    def to_markdown(self, checks: Sequence[StepCheck] | None = None) -> str:
        """Render as Markdown with ``$$ … $$`` LaTeX blocks."""
        return render_markdown(self, checks)

    def to_latex(self, checks: Sequence[StepCheck] | None = None) -> str:
        """Render as a standalone LaTeX document (``amsmath``)."""
        return render_latex(self, checks)

    def to_html(self, checks: Sequence[StepCheck] | None = None) -> str:
        """Render as a standalone HTML page with MathML (no network access needed)."""
        return derivation_html_page(self, checks)
