r"""Penalty strengths of equivalent two-class softmax and logistic regressions (T7).

A two-class softmax regression and a logistic regression describe the same models
(:math:`w = W_1 - W_0`). Their penalized objectives have the same optimum when the
penalty strengths correspond: the penalized softmax optimum is centered
(:math:`W = [-w/2, w/2]`), so an L2 strength ``l2`` on both rows acts as ``l2 / 2``
on their difference and an L1 strength is unchanged (theorem T7 of
``softlogit.experiment.THEOREMS``). The maps below state this in three
parametrizations: plain strengths, the elastic net of glmnet / Spark, and
scikit-learn's ``C``.
"""

from __future__ import annotations

import math

from softlogit._validation import Real
from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "sigmoid_C_to_softmax",
    "sigmoid_elastic_net_to_softmax",
    "sigmoid_penalty_to_softmax",
    "softmax_C_to_sigmoid",
    "softmax_elastic_net_to_sigmoid",
    "softmax_penalty_to_sigmoid",
]

_STRENGTH = Real(0, None)
_RATIO = Real(0, 1)
_C = Real(0, None, low_open=True, allow_inf=True)
_TINY = 2.2250738585072014e-308  # the smallest normal float64


def _check(name: str, value: float, constraint: Real, must: str) -> float:
    """``value`` as a float; the messages say what the argument ``must`` do."""
    if not constraint.accepts_type(value):
        raise InputTypeError(
            f"`{name}` must be a real number; got {type(value).__name__}."
        )
    if not constraint.accepts(value):
        raise InputValueError(f"`{name}` must {must}; got {value!r}.")
    return float(value)


def _check_strength(value: float, name: str) -> float:
    return _check(name, value, _STRENGTH, "be a non-negative number (finite)")


def _check_ratio(value: float, name: str) -> float:
    return _check(name, value, _RATIO, "lie in [0, 1]")


def _check_C(value: float) -> float:
    return _check("C", value, _C, "be positive (np.inf for no penalty)")


def _halved(name: str, value: float) -> float:
    """``value / 2``, refused where it is not a normal float64 number."""
    return _representable(name, value, value / 2)


def _doubled(name: str, value: float) -> float:
    """``2 * value``, refused where it overflows float64 (inf is kept: no penalty)."""
    return _representable(name, value, 2 * value)


def _representable(name: str, value: float, out: float) -> float:
    """``out``, the image of ``value``, refused if it overflowed or fell below the
    normal float64 range (subnormals keep too few digits: half of 5e-324 is 0)."""
    if math.isinf(out) and not math.isinf(value):
        raise InputValueError(
            f"`{name}` = {value!r} is too large: the equivalent parameter exceeds "
            "the float64 range (about 1.8e308)."
        )
    if (out != 0 and abs(out) < _TINY) or (out == 0 and value != 0):
        raise InputValueError(
            f"`{name}` = {value!r} is too small: the equivalent parameter ({out!r}) "
            "is below the normal float64 range (about 2.2e-308), where it cannot be "
            "given to float64 precision."
        )
    return out


def softmax_penalty_to_sigmoid(
    *, l2: float = 0.0, l1: float = 0.0
) -> tuple[float, float]:
    r"""Penalty strengths of the logistic regression equivalent to a K = 2 softmax one.

    The two-class softmax objective

    .. math:: \frac{1}{n}\sum_i \ell_i(z_{i1} - z_{i0}) + \frac{\lambda_2}{2}\|W\|_F^2
       + \lambda_1 \|W\|_1

    depends on the data only through the row difference :math:`w = W_1 - W_0`. For a
    fixed :math:`w`, the penalty is smallest at the centered split
    :math:`W = [-w/2, w/2]`, where it equals :math:`\frac{\lambda_2/2}{2}\|w\|^2 +
    \lambda_1\|w\|_1`. Hence the softmax optimum is centered and its difference is the
    optimum of the logistic objective with :math:`\lambda_2' = \lambda_2 / 2` and
    :math:`\lambda_1' = \lambda_1` (T7). Intercepts are unpenalized in both.

    Parameters
    ----------
    l2 : float, default=0.0
        L2 strength :math:`\lambda_2 \ge 0` of the softmax problem (on
        :math:`\frac12\|W\|_F^2`).
    l1 : float, default=0.0
        L1 strength :math:`\lambda_1 \ge 0` of the softmax problem.

    Returns
    -------
    l2, l1 : tuple of float
        Strengths of the equivalent logistic problem, ``(l2 / 2, l1)``.

    Raises
    ------
    ValueError
        If a strength is negative, infinite or NaN, or the result leaves the
        normal float64 range.
    TypeError
        If a strength is not a real number.

    Notes
    -----
    With ``l2 == 0`` and ``l1 > 0`` the softmax optimum is not unique (any split of
    :math:`w` with rows of opposite signs attains the minimal L1 norm), though its
    decision function is; with ``l2 > 0`` it is the centered one.

    Examples
    --------
    >>> from softlogit import softmax_penalty_to_sigmoid
    >>> softmax_penalty_to_sigmoid(l2=0.5, l1=0.1)
    (0.25, 0.1)
    """
    l2 = _check_strength(l2, "l2")
    l1 = _check_strength(l1, "l1")
    return _halved("l2", l2), l1


def sigmoid_penalty_to_softmax(
    *, l2: float = 0.0, l1: float = 0.0
) -> tuple[float, float]:
    """Inverse of :func:`softmax_penalty_to_sigmoid`: ``(2 * l2, l1)``.

    Parameters
    ----------
    l2 : float, default=0.0
        L2 strength of the logistic problem (on :math:`\\frac12\\|w\\|^2`).
    l1 : float, default=0.0
        L1 strength of the logistic problem.

    Returns
    -------
    l2, l1 : tuple of float
        Strengths of the equivalent two-class softmax problem.

    Raises
    ------
    ValueError
        If a strength is negative, infinite or NaN, or the result leaves the
        normal float64 range.
    TypeError
        If a strength is not a real number.

    Examples
    --------
    >>> from softlogit import sigmoid_penalty_to_softmax
    >>> sigmoid_penalty_to_softmax(l2=0.25, l1=0.1)
    (0.5, 0.1)
    """
    l2 = _check_strength(l2, "l2")
    l1 = _check_strength(l1, "l1")
    return _doubled("l2", l2), l1


def softmax_elastic_net_to_sigmoid(
    strength: float, l1_ratio: float
) -> tuple[float, float]:
    r"""Elastic-net parameters of the logistic regression equivalent to K = 2 softmax.

    In the glmnet / Spark parametrization, the penalty is
    :math:`\lambda[\frac{1-\alpha}{2}\|W\|^2 + \alpha\|W\|_1]`, i.e.
    :math:`\lambda_2 = \lambda(1-\alpha)` and :math:`\lambda_1 = \lambda\alpha`.
    Applying :func:`softmax_penalty_to_sigmoid` and re-parametrizing gives

    .. math:: \lambda' = \frac{\lambda(1 + \alpha)}{2}, \qquad
       \alpha' = \frac{2\alpha}{1 + \alpha}.

    Parameters
    ----------
    strength : float
        :math:`\lambda \ge 0` of the softmax problem.
    l1_ratio : float
        :math:`\alpha \in [0, 1]` of the softmax problem.

    Returns
    -------
    strength, l1_ratio : tuple of float
        :math:`(\lambda', \alpha')` of the logistic problem.

    Raises
    ------
    ValueError
        If ``strength`` is negative or not finite, or ``l1_ratio`` is outside [0, 1],
        or the result leaves the normal float64 range.
    TypeError
        If an argument is not a real number.

    Notes
    -----
    In scikit-learn's parametrization (``C``, ``l1_ratio``), :math:`\lambda = 1/(S C)`
    with :math:`S` the sum of sample weights, so the same map reads
    :math:`C' = 2C / (1 + \alpha)`, :math:`\alpha' = 2\alpha / (1 + \alpha)`.

    Examples
    --------
    >>> from softlogit import softmax_elastic_net_to_sigmoid
    >>> softmax_elastic_net_to_sigmoid(1.0, 0.5)
    (0.75, 0.6666666666666666)
    >>> softmax_elastic_net_to_sigmoid(1.0, 0.0)
    (0.5, 0.0)
    """
    lam = _check_strength(strength, "strength")
    alpha = _check_ratio(l1_ratio, "l1_ratio")
    # (1 + alpha) / 2 <= 1 first: lam times it cannot overflow.
    out = _representable("strength", lam, lam * ((1 + alpha) / 2))
    return out, 2 * alpha / (1 + alpha)


def sigmoid_elastic_net_to_softmax(
    strength: float, l1_ratio: float
) -> tuple[float, float]:
    r"""Inverse of :func:`softmax_elastic_net_to_sigmoid`.

    .. math:: \alpha = \frac{\alpha'}{2 - \alpha'}, \qquad
       \lambda = \frac{2\lambda'}{1 + \alpha}.

    Parameters
    ----------
    strength : float
        :math:`\lambda' \ge 0` of the logistic problem.
    l1_ratio : float
        :math:`\alpha' \in [0, 1]` of the logistic problem.

    Returns
    -------
    strength, l1_ratio : tuple of float
        :math:`(\lambda, \alpha)` of the equivalent two-class softmax problem.

    Raises
    ------
    ValueError
        If ``strength`` is negative or not finite, or ``l1_ratio`` is outside [0, 1],
        or the result leaves the normal float64 range.
    TypeError
        If an argument is not a real number.

    Examples
    --------
    >>> from softlogit import sigmoid_elastic_net_to_softmax
    >>> sigmoid_elastic_net_to_softmax(0.75, 2 / 3)
    (1.0, 0.5)
    """
    lam = _check_strength(strength, "strength")
    alpha_p = _check_ratio(l1_ratio, "l1_ratio")
    alpha = alpha_p / (2 - alpha_p)
    # 2 / (1 + alpha) <= 2 first: no intermediate overflow.
    return _representable("strength", lam, lam * (2 / (1 + alpha))), alpha


def softmax_C_to_sigmoid(C: float) -> float:
    r"""scikit-learn ``C`` of the logistic regression equivalent to K = 2 softmax.

    scikit-learn minimizes :math:`\frac{1}{S}\sum_i s_i \ell_i + \frac{1}{2 S C}
    \|W\|^2`, so :math:`\lambda_2 = 1/(S C)` and :func:`softmax_penalty_to_sigmoid`
    gives :math:`C' = 2C` (pure L2; intercepts unpenalized).

    Parameters
    ----------
    C : float
        Inverse L2 strength of the softmax problem, ``C > 0``; ``np.inf`` means no
        penalty.

    Returns
    -------
    float
        ``2 * C`` (``inf`` for ``inf``).

    Raises
    ------
    ValueError
        If ``C`` is not positive or is NaN, or the result leaves the normal
        float64 range.
    TypeError
        If ``C`` is not a real number.

    Examples
    --------
    >>> from softlogit import softmax_C_to_sigmoid
    >>> softmax_C_to_sigmoid(0.5)
    1.0
    >>> softmax_C_to_sigmoid(float("inf"))
    inf
    """
    return _doubled("C", _check_C(C))


def sigmoid_C_to_softmax(C: float) -> float:
    """Inverse of :func:`softmax_C_to_sigmoid`: ``C / 2``.

    Parameters
    ----------
    C : float
        Inverse L2 strength of the logistic problem, ``C > 0``; ``np.inf`` means no
        penalty.

    Returns
    -------
    float
        ``C / 2`` (``inf`` for ``inf``).

    Raises
    ------
    ValueError
        If ``C`` is not positive or is NaN, or the result leaves the normal
        float64 range.
    TypeError
        If ``C`` is not a real number.

    Examples
    --------
    >>> from softlogit import sigmoid_C_to_softmax
    >>> sigmoid_C_to_softmax(1.0)
    0.5
    """
    return _halved("C", _check_C(C))
