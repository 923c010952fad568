"""The verdict of a pair comparison, and whether it is the one the theory predicts.

A :class:`Verdict` is decided once, by the comparison
(:func:`softlogit.experiment._compare.compare_pair`); reports and the command line only
show it. Its members are strings (their display text), so a verdict compares equal to,
prints as and is saved in ``result.json`` as that text.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Verdict"]


class Verdict(str, Enum):
    """The measured verdict of two trajectories, or the theory's expectation.

    Members
    -------
    IDENTICAL
        ``'identical up to rounding'``: parameters and probabilities within the
        rounding tolerance at every recorded step.
    SAME_FUNCTION
        ``'same function, different trajectory'``: the parameters differ beyond
        rounding, the final probabilities agree to the function tolerance and no
        sample is labelled differently.
    DIFFERENT
        ``'different'``.
    NOT_COMPARED
        ``'not compared'``: a run diverged.
    AMPLIFIED
        ``'same network; this procedure amplifies rounding'``: two networks that exact
        arithmetic keeps identical drifted apart, and so did the one-ulp control
        (network 0 against itself with one initial weight moved by one unit in the
        last place): the training procedure amplifies rounding errors, so the gap
        says nothing about the networks. Met by an expectation of
        :attr:`IDENTICAL`.
    NOT_IDENTICAL
        ``'not identical'``: an expectation only (either of the two measured verdicts
        that are not :attr:`IDENTICAL`), never a measured verdict.

    Examples
    --------
    >>> from softlogit.experiment import Verdict
    >>> Verdict("different") is Verdict.DIFFERENT, Verdict.IDENTICAL.key
    (True, 'identical')
    >>> Verdict.SAME_FUNCTION == "same function, different trajectory"
    True
    >>> print(f"{Verdict.NOT_COMPARED} | {Verdict.DIFFERENT!r}")
    not compared | 'different'
    """

    IDENTICAL = "identical up to rounding"
    SAME_FUNCTION = "same function, different trajectory"
    DIFFERENT = "different"
    NOT_COMPARED = "not compared"
    AMPLIFIED = "same network; this procedure amplifies rounding"
    NOT_IDENTICAL = "not identical"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)

    def __repr__(self) -> str:
        return repr(str(self.value))

    @property
    def key(self) -> str:
        """A short identifier: ``'identical'``, ``'same_function'``, ``'different'``,
        ``'not_compared'``, ``'amplified'``, ``'not_identical'`` (the report's JSON
        uses it)."""
        return self.name.lower()

    def agrees_with(self, expected: Verdict | None) -> bool | None:
        """Whether this verdict is what ``expected`` predicts; None without one.

        :attr:`NOT_IDENTICAL` is met by :attr:`SAME_FUNCTION` and :attr:`DIFFERENT`;
        :attr:`IDENTICAL` by itself and by :attr:`AMPLIFIED` (the same network, whose
        training amplified rounding); any other expectation only by itself (so a pair
        that was not compared does not meet a prediction).

        Examples
        --------
        >>> from softlogit.experiment import Verdict
        >>> Verdict.DIFFERENT.agrees_with(Verdict.NOT_IDENTICAL)
        True
        >>> Verdict.NOT_COMPARED.agrees_with(Verdict.IDENTICAL)
        False
        >>> Verdict.AMPLIFIED.agrees_with(Verdict.IDENTICAL)
        True
        >>> print(Verdict.DIFFERENT.agrees_with(None))
        None
        """
        if expected is None:
            return None
        if expected is Verdict.NOT_IDENTICAL:
            return self in (Verdict.SAME_FUNCTION, Verdict.DIFFERENT)
        if expected is Verdict.IDENTICAL:
            return self in (Verdict.IDENTICAL, Verdict.AMPLIFIED)
        return self is expected
