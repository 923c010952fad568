"""A derivation from softmax to sigmoid in which every step is checked by SymPy."""

from __future__ import annotations

from softlogit._derivation._core import Step, StepCheck
from softlogit._derivation._document import Derivation
from softlogit._derivation._steps import derivation

__all__ = ["Derivation", "Step", "StepCheck", "derivation"]
