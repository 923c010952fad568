"""The derivation softmax -> sigmoid, step by step, as data.

The steps are written by topic: the forms (:mod:`._steps_forms`), training
(:mod:`._steps_training`) and penalties (:mod:`._steps_penalties`), all with the
same symbols (:mod:`._symbols`).
"""

from __future__ import annotations

import numbers

from softlogit._derivation._core import Step
from softlogit._derivation._document import Derivation
from softlogit._derivation._steps_forms import (
    definitions,
    linear_heads,
    reference_form,
    same_loss,
    shift_and_gauge,
)
from softlogit._derivation._steps_penalties import penalties, standard_errors
from softlogit._derivation._steps_training import gradients, optimizer_steps, sgd_steps
from softlogit._derivation._symbols import symbols
from softlogit.errors import InputTypeError, InputValueError

__all__ = ["derivation"]

_MAX_CLASSES = 12


def derivation(n_classes: int = 2) -> Derivation:
    """The machine-checked derivation from softmax to sigmoid, as a sequence of steps.

    It covers the definitions, the two-class identity ``softmax(z₁, z₂)₂ = σ(z₂ - z₁)``,
    shift invariance and the gauge, the reference-class form for ``K`` classes, linear
    heads, the shared loss, gradients and their zero sum, one step of SGD, momentum and
    Adam (the factor 2 and the preconditioner ``P = I + 11ᵀ``), and the L2 and
    elastic-net penalty maps. Each step carries its own check (SymPy, or a labelled
    50-digit numeric check where SymPy cannot decide).

    Parameters
    ----------
    n_classes : int, default=2
        The number of classes ``K`` the K-class steps are written for (2 to 12).

    Returns
    -------
    Derivation
        Steps with stable ids; ``Derivation.check()`` verifies them.

    Raises
    ------
    InputTypeError
        If ``n_classes`` is not an integer (a ``TypeError``).
    InputValueError
        If ``n_classes`` is smaller than 2 or larger than 12 (a ``ValueError``).

    Examples
    --------
    >>> import softlogit
    >>> d = softlogit.derivation()
    >>> d.ids[:3]
    ['definitions', 'two-class-identity', 'two-class-identity-first']
    >>> d["two-class-identity"].check().label
    'verified (SymPy)'
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral):
        raise InputTypeError(
            f"`n_classes` must be an integer; got {type(n_classes).__name__} "
            f"{n_classes!r}."
        )
    if not 2 <= n_classes <= _MAX_CLASSES:
        raise InputValueError(
            f"`n_classes` must be between 2 and {_MAX_CLASSES}; got {n_classes}."
        )
    n_classes = int(n_classes)
    return Derivation(tuple(_steps(n_classes)), n_classes=n_classes)


def _steps(K: int) -> list[Step]:
    """Every step for ``K`` classes, in reading order."""
    s = symbols(K)
    topics = (
        definitions,
        shift_and_gauge,
        reference_form,
        linear_heads,
        same_loss,
        gradients,
        sgd_steps,
        optimizer_steps,
        penalties,
        standard_errors,
    )
    return [step for topic in topics for step in topic(s)]
