"""The bad-input matrix: every public entry point x every class of input that applies.

Each cell runs one call and asserts its documented outcome:

- ``ok``: a result, checked against an independent reference (50-digit mpmath for
  the stable functions and losses, with the conventions their ``Notes`` document at
  ``±inf`` and NaN; scikit-learn and closed forms for the estimators), and never a
  NaN the reference does not have;
- ``raises``: the documented exception type (softlogit's ``InputValueError`` /
  ``InputTypeError``, or a documented file error) with a message naming the
  argument;
- ``cli``: exit code 2 and exactly one ``error:`` line naming the option, no
  traceback (or exit 0 and a checked output).

Warnings are errors (a RuntimeWarning is a silent NaN in the making). The cells are
generated from tables below; ``CELLS`` is the whole matrix and
``tests/conftest.py`` prints its size and outcome table at the end of the run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pandas as pd
import pytest

import softlogit as sl
from softlogit._cli import main
from softlogit.errors import InputTypeError, InputValueError

mpmath.mp.dps = 50

# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Cell:
    """One call and its documented outcome."""

    target: str
    case: str
    run: Callable[[Path], Any]
    outcome: str  # "ok", "raises", "ok-or-raises", "cli-error", "cli-ok"
    check: Callable[[Any], None] | None = None
    error: tuple[type[BaseException], ...] = (InputValueError,)
    match: str = ""
    owner: str = "trustio"  # who makes it green: "trustnum" for their behaviours

    @property
    def id(self) -> str:
        return f"{self.target}[{self.case}]"


CELLS: list[Cell] = []


def ok(
    target: str,
    case: str,
    run: Callable[[Path], Any],
    check: Callable[[Any], None],
    **kw: Any,
) -> None:
    CELLS.append(Cell(target, case, run, "ok", check, **kw))


def raises(
    target: str,
    case: str,
    run: Callable[[Path], Any],
    error: type[BaseException] | tuple[type[BaseException], ...],
    match: str,
    **kw: Any,
) -> None:
    errors = error if isinstance(error, tuple) else (error,)
    CELLS.append(Cell(target, case, run, "raises", None, errors, match, **kw))


def ok_or_raises(
    target: str,
    case: str,
    run: Callable[[Path], Any],
    check: Callable[[Any], None],
    match: str,
    **kw: Any,
) -> None:
    CELLS.append(
        Cell(target, case, run, "ok-or-raises", check, (InputValueError,), match, **kw)
    )


# --------------------------------------------------------------------------- references
# Independent references: 50-digit mpmath with the documented conventions.


def _mp(v: float) -> Any:
    return mpmath.mpf(v)


def ref_sigmoid(x: float) -> float:
    if math.isnan(x):
        return math.nan
    if math.isinf(x):
        return 1.0 if x > 0 else 0.0
    return float(1 / (1 + mpmath.exp(-_mp(x))))


def ref_log_sigmoid(x: float) -> float:
    if math.isnan(x):
        return math.nan
    if math.isinf(x):
        return 0.0 if x > 0 else -math.inf
    return float(-mpmath.log1p(mpmath.exp(-_mp(x))))


def ref_softplus(x: float) -> float:
    if math.isnan(x):
        return math.nan
    if math.isinf(x):
        return math.inf if x > 0 else 0.0
    return float(mpmath.log1p(mpmath.exp(_mp(x))))


def ref_logsumexp(row: Sequence[float]) -> float:
    if any(math.isnan(v) for v in row):
        return math.nan
    if not row or all(v == -math.inf for v in row):
        return -math.inf
    if any(v == math.inf for v in row):
        return math.inf
    return float(
        mpmath.log(mpmath.fsum(mpmath.exp(_mp(v)) for v in row if v != -math.inf))
    )


def ref_softmax(row: Sequence[float]) -> list[float]:
    if any(math.isnan(v) for v in row) or all(v == -math.inf for v in row):
        return [math.nan] * len(row)
    infs = [v == math.inf for v in row]
    if any(infs):
        return [1.0 / sum(infs) if i else 0.0 for i in infs]
    total = mpmath.fsum(mpmath.exp(_mp(v)) for v in row if v != -math.inf)
    return [0.0 if v == -math.inf else float(mpmath.exp(_mp(v)) / total) for v in row]


def ref_log_softmax(row: Sequence[float]) -> list[float]:
    if any(math.isnan(v) for v in row) or all(v == -math.inf for v in row):
        return [math.nan] * len(row)
    infs = [v == math.inf for v in row]
    if any(infs):
        share = -math.log(sum(infs))
        return [share if i else -math.inf for i in infs]
    m = max(_mp(v) for v in row if v != -math.inf)
    # shifted by the maximum: 50 digits keep the difference of two huge logits
    lse = mpmath.log(mpmath.fsum(mpmath.exp(_mp(v) - m) for v in row if v != -math.inf))
    return [-math.inf if v == -math.inf else float((_mp(v) - m) - lse) for v in row]


def ref_bce(z: float, y: float) -> float:
    """softplus(z) - y z, with its limits at z = ±inf."""
    if math.isnan(z):
        return math.nan
    if math.isinf(z):
        pos = z > 0
        # softplus(z) - y z -> (1 - y) z for z -> inf, -y z for z -> -inf
        if (pos and y == 1) or (not pos and y == 0):
            return 0.0
        return math.inf
    zz, yy = _mp(z), _mp(y)
    # softplus(z) - y z without cancelling: (1 - y) z + log1p(exp(-z)) for z > 0
    if zz > 0:
        return float((1 - yy) * zz + mpmath.log1p(mpmath.exp(-zz)))
    return float(mpmath.log1p(mpmath.exp(zz)) - yy * zz)


def close_to(
    ref: Any, dtype: Any = np.float64, ulps: float = 4.0
) -> Callable[[Any], None]:
    """A check: same shape and dtype, NaN where the reference is NaN, infinities
    equal, finite values within ``ulps`` units in the last place (absolute floor at
    the dtype's smallest subnormal)."""
    with np.errstate(over="ignore"):  # the exact value rounded to the dtype
        want = np.asarray(ref, dtype=np.float64).astype(dtype).astype(np.float64)

    def check(got: Any) -> None:
        arr = np.asarray(got)
        assert arr.dtype == np.dtype(dtype), (arr.dtype, dtype)
        assert arr.shape == want.shape, (arr.shape, want.shape)
        g = arr.astype(np.float64)
        assert np.array_equal(np.isnan(g), np.isnan(want)), (g, want)
        inf = np.isinf(want)
        assert np.array_equal(g[inf], want[inf]), (g, want)
        fin = np.isfinite(want)
        info = np.finfo(dtype)
        with np.errstate(over="ignore"):  # the spacing at the largest value
            tol = ulps * np.spacing(np.abs(want[fin]).astype(dtype)).astype(np.float64)
        tol = np.where(
            np.isfinite(tol), tol, ulps * float(info.eps) * np.abs(want[fin])
        )
        tol = np.maximum(tol, float(info.smallest_subnormal) * ulps)
        assert np.all(np.abs(g[fin] - want[fin]) <= tol), (g, want)

    return check


# --------------------------------------------------------------------------- inputs
BAD_TYPES: dict[str, Any] = {
    "str": "abc",
    "None": None,
    "dict": {"a": 1.0},
    "list-of-str": ["a", "b"],
    "complex": np.array([1.0 + 1.0j, 2.0]),
    "object-numbers": np.array([1.0, 2.0], dtype=object),
    "object-strings": np.array(["a", "b"], dtype=object),
}
VALUES: dict[str, float] = {
    "zero": 0.0,
    "one": 1.0,
    "minus-one": -1.0,
    "100": 100.0,
    "-100": -100.0,
    "1e9": 1e9,
    "-1e9": -1e9,
    "huge": math.inf,  # replaced by the dtype's largest finite value
    "-huge": -math.inf,  # and its negative
    "subnormal": 5e-324,  # replaced by the dtype's smallest subnormal
    "-subnormal": -5e-324,
    "inf": math.inf,
    "-inf": -math.inf,
    "nan": math.nan,
}
DTYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16}


def _value(case: str, dtype: Any) -> float:
    info = np.finfo(dtype)
    if case in ("huge", "-huge"):
        v = float(info.max)
        return v if case == "huge" else -v
    if case in ("subnormal", "-subnormal"):
        v = float(info.smallest_subnormal)
        return v if case == "subnormal" else -v
    v = VALUES[case]
    return (
        v
        if abs(v) <= float(info.max) or not math.isfinite(v)
        else math.copysign(math.inf, v)
    )


# --------------------------------------------------------------------------- 1. unary
_UNARY = {
    "sigmoid": (sl.sigmoid, ref_sigmoid),
    "log_sigmoid": (sl.log_sigmoid, ref_log_sigmoid),
    "softplus": (sl.softplus, ref_softplus),
}


def _unary_cells() -> None:
    for name, (fn, ref) in _UNARY.items():
        for dname, dtype in DTYPES.items():
            for case in VALUES:
                x = np.array([_value(case, dtype)], dtype=dtype)
                want = [ref(float(x[0]))]
                ok(
                    name,
                    f"{dname}-{case}",
                    lambda _, f=fn, x=x: f(x),
                    close_to(want, dtype),
                )
        ints = {
            "int": np.array([3, -2]),
            "bool": np.array([True, False]),
            "uint64-max": np.array([2**64 - 1], dtype=np.uint64),
        }
        for case, x in ints.items():
            want = [ref(float(v)) for v in x.astype(np.float64)]
            ok(name, case, lambda _, f=fn, x=x: f(x), close_to(want))
        shapes = {
            "scalar": np.float64(0.5),
            "2-D": np.array([[0.5, -2.0], [3.0, 40.0]]),
            "3-D": np.full((2, 1, 2), -3.0),
            "empty": np.array([]),
            "empty-2-D": np.zeros((0, 3)),
        }
        for case, x in shapes.items():
            want = (
                np.vectorize(ref)(np.asarray(x, dtype=np.float64))
                if np.size(x)
                else np.zeros(np.shape(x))
            )
            ok(name, case, lambda _, f=fn, x=x: f(x), close_to(want))
        for case, x in BAD_TYPES.items():
            raises(
                name,
                case,
                lambda _, f=fn, x=x: f(x),
                InputTypeError,
                r"`x` must be a real numeric array",
            )
        raises(
            name,
            "generator",
            lambda _, f=fn: f(v for v in [1.0, 2.0]),
            InputTypeError,
            r"`x` must be",
        )


# --------------------------------------------------------------------------- 2. rows
ROWS: dict[str, list[float]] = {
    "zeros": [0.0, 0.0],
    "mixed": [1.0, -2.0, 0.5],
    "huge-equal": [math.inf, math.inf],  # replaced by the dtype's max
    "huge-opposite": [math.inf, -math.inf],
    "-huge-equal": [-math.inf, -math.inf],
    "1000": [1000.0, 1000.0, -1000.0],
    "+inf": [math.inf, 0.0],
    "+inf-twice": [math.inf, math.inf, 0.0],
    "-inf": [-math.inf, 0.0],
    "all--inf": [-math.inf, -math.inf],
    "+inf--inf": [math.inf, -math.inf],
    "nan": [math.nan, 0.0],
    "subnormal": [5e-324, 0.0],
    "cancel": [0.0, -1e-17, 1e-17],
}
_ROWWISE = {
    "logsumexp": (sl.logsumexp, lambda r: ref_logsumexp(r)),
    "softmax": (sl.softmax, ref_softmax),
    "log_softmax": (sl.log_softmax, ref_log_softmax),
}


def _row_value(v: float, case: str, dtype: Any) -> float:
    info = np.finfo(dtype)
    if case.startswith(("huge", "-huge")) and math.isinf(v):
        return math.copysign(float(info.max), v)
    if case == "subnormal" and v:
        return float(info.smallest_subnormal)
    if case == "1000" and dtype is np.float16:
        return math.copysign(1000.0, v)
    return v


def _row_cells() -> None:
    for name, (fn, ref) in _ROWWISE.items():
        for dname, dtype in DTYPES.items():
            for case, row in ROWS.items():
                x = np.array([[_row_value(v, case, dtype) for v in row]], dtype=dtype)
                want = [ref([float(v) for v in x[0]])]
                if name == "logsumexp":
                    want = [want[0]]
                ok(
                    name,
                    f"{dname}-{case}",
                    lambda _, f=fn, x=x: f(x, axis=-1),
                    close_to(want, dtype, ulps=8),
                )
        x2 = np.array([[1.0, 2.0], [3.0, -4.0]])
        for axis in (0, 1, -1, -2):
            want = (
                [ref_logsumexp(list(r)) for r in np.moveaxis(x2, axis, -1)]
                if name == "logsumexp"
                else np.moveaxis(
                    np.array([ref(list(r)) for r in np.moveaxis(x2, axis, -1)]),
                    -1,
                    axis,
                )
            )
            ok(
                name,
                f"axis={axis}",
                lambda _, f=fn, a=axis, x=x2: f(x, axis=a),
                close_to(want, ulps=8),
            )
        for axis, error, match in (
            (1.0, InputTypeError, r"`axis` must be"),
            ("a", InputTypeError, r"`axis` must be"),
            (5, InputValueError, r"`axis`"),
            (-3, InputValueError, r"`axis`"),
            ((0, 0), InputValueError, r"`axis`"),
            (True, InputTypeError, r"`axis` must be"),
        ):
            raises(
                name,
                f"axis={axis!r}",
                lambda _, f=fn, a=axis, x=x2: f(x, axis=a),
                error,
                match,
            )
        for case, x in BAD_TYPES.items():
            raises(
                name,
                case,
                lambda _, f=fn, x=x: f(x),
                InputTypeError,
                r"`x` must be a real numeric array",
            )
        ok(
            name,
            "int",
            lambda _, f=fn: f(np.array([[1, 2]])),
            close_to(
                [ref([1.0, 2.0])]
                if name != "logsumexp"
                else [ref_logsumexp([1.0, 2.0])]
            ),
        )
        ok(
            name,
            "bool",
            lambda _, f=fn: f(np.array([[True, False]])),
            close_to(
                [ref([1.0, 0.0])]
                if name != "logsumexp"
                else [ref_logsumexp([1.0, 0.0])]
            ),
        )


# --------------------------------------------------------------------------- 3. losses
LOGITS = {
    "zero": 0.0,
    "1.5": 1.5,
    "-1.5": -1.5,
    "100": 100.0,
    "-100": -100.0,
    "1e308": 1e308,
    "-1e308": -1e308,
    "inf": math.inf,
    "-inf": -math.inf,
    "subnormal": 5e-324,
}
TARGETS = {"0": 0.0, "1": 1.0, "0.25": 0.25}


def _loss_cells() -> None:
    bce = sl.binary_cross_entropy
    for zc, z in LOGITS.items():
        for yc, y in TARGETS.items():
            want = ref_bce(z, y)
            owner = "trustnum" if math.isinf(z) else "trustio"
            ok(
                "binary_cross_entropy",
                f"z={zc}-y={yc}",
                lambda _, z=z, y=y: bce(np.array([z]), np.array([y]), reduction="none"),
                close_to([want], ulps=8),
                owner=owner,
            )
    z3 = np.array([0.5, -1.0, 2.0])
    y3 = np.array([1.0, 0.0, 1.0])
    raises(
        "binary_cross_entropy",
        "y-nan",
        lambda _: bce(np.array([0.0]), np.array([math.nan])),
        InputValueError,
        r"`y`",
        owner="trustnum",
    )
    raises(
        "binary_cross_entropy",
        "y-2",
        lambda _: bce(z3, np.array([0.0, 2.0, 1.0])),
        InputValueError,
        r"`y` must lie in \[0, 1\]",
    )
    raises(
        "binary_cross_entropy",
        "y--1",
        lambda _: bce(z3, np.array([0.0, -1.0, 1.0])),
        InputValueError,
        r"`y` must lie in \[0, 1\]",
    )
    raises(
        "binary_cross_entropy",
        "y-inf",
        lambda _: bce(z3, np.array([0.0, math.inf, 1.0])),
        InputValueError,
        r"`y`",
    )
    raises(
        "binary_cross_entropy",
        "y-str",
        lambda _: bce(z3, ["a", "b", "c"]),
        InputTypeError,
        r"`y`",
    )
    raises(
        "binary_cross_entropy",
        "y-mismatched",
        lambda _: bce(z3, y3[:2]),
        InputValueError,
        r"`y` must have the shape of `logits`",
    )
    raises(
        "binary_cross_entropy",
        "logits-str",
        lambda _: bce(["a"], [1.0]),
        InputTypeError,
        r"`logits`",
    )
    raises(
        "binary_cross_entropy",
        "logits-complex",
        lambda _: bce(np.array([1j]), [1.0]),
        InputTypeError,
        r"`logits`",
    )
    ok(
        "binary_cross_entropy",
        "logits-nan",
        lambda _: bce(np.array([math.nan]), np.array([1.0]), reduction="none"),
        close_to([math.nan]),
    )
    ok(
        "binary_cross_entropy",
        "empty-sum",
        lambda _: bce(np.array([]), np.array([]), reduction="sum"),
        close_to(0.0),
    )
    ok(
        "binary_cross_entropy",
        "y-bool",
        lambda _: bce(z3, y3.astype(bool), reduction="none"),
        close_to([ref_bce(a, b) for a, b in zip(z3, y3, strict=True)]),
    )
    _weight_cells(
        "binary_cross_entropy",
        lambda sw: bce(z3, y3, sw),
        [ref_bce(a, b) for a, b in zip(z3, y3, strict=True)],
    )
    _reduction_cells(
        "binary_cross_entropy",
        lambda r: bce(z3, y3, reduction=r),
        [ref_bce(a, b) for a, b in zip(z3, y3, strict=True)],
    )

    sce = sl.softmax_cross_entropy
    rows = {
        k: v
        for k, v in ROWS.items()
        if k in ("zeros", "mixed", "1000", "+inf", "-inf", "nan", "cancel")
    }
    for rc, row in rows.items():
        for label in (0, 1):
            lp = ref_log_softmax(row)
            want = math.nan if math.isnan(lp[label]) else -lp[label]
            owner = "trustnum" if any(math.isinf(v) for v in row) else "trustio"
            ok(
                "softmax_cross_entropy",
                f"{rc}-y={label}",
                lambda _, r=row, y=label: sce(
                    np.array([r]), np.array([y]), reduction="none"
                ),
                close_to([want], ulps=8),
                owner=owner,
            )
    Z = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 0.0]])
    yl = np.array([2, 0])
    raises(
        "softmax_cross_entropy",
        "y-out-of-range",
        lambda _: sce(Z, np.array([3, 0])),
        InputValueError,
        r"`y`",
    )
    raises(
        "softmax_cross_entropy",
        "y-negative",
        lambda _: sce(Z, np.array([-1, 0])),
        InputValueError,
        r"`y`",
    )
    raises(
        "softmax_cross_entropy",
        "y-fraction",
        lambda _: sce(Z, np.array([0.5, 1.0])),
        InputValueError,
        r"`y`",
    )
    raises(
        "softmax_cross_entropy",
        "y-nan",
        lambda _: sce(Z, np.array([math.nan, 1.0])),
        InputValueError,
        r"`y`",
    )
    raises(
        "softmax_cross_entropy",
        "y-str",
        lambda _: sce(Z, ["a", "b"]),
        InputTypeError,
        r"`y`",
    )
    raises(
        "softmax_cross_entropy",
        "y-mismatched",
        lambda _: sce(Z, np.array([1])),
        InputValueError,
        r"`y`",
    )
    # 1-D logits are one sample: its label is a scalar (or K probabilities)
    raises(
        "softmax_cross_entropy",
        "logits-1-D",
        lambda _: sce(np.array([1.0, 2.0]), np.array([1])),
        InputValueError,
        r"`y` must have shape \(\) \(labels\)",
    )
    ok(
        "softmax_cross_entropy",
        "logits-1-D-scalar-label",
        lambda _: sce(np.array([1.0, 2.0]), 1),
        close_to(-ref_log_softmax([1.0, 2.0])[1]),
    )
    raises(
        "softmax_cross_entropy",
        "logits-str",
        lambda _: sce([["a", "b"]], [0]),
        InputTypeError,
        r"`logits`",
    )
    per = [-ref_log_softmax(list(Z[0]))[2], -ref_log_softmax(list(Z[1]))[0]]
    _weight_cells("softmax_cross_entropy", lambda sw: sce(Z, yl, sw), per)
    _reduction_cells("softmax_cross_entropy", lambda r: sce(Z, yl, reduction=r), per)


def _weight_cells(
    target: str, call: Callable[[Any], Any], per: Sequence[float]
) -> None:
    n = len(per)
    ones = np.ones(n)
    ok(
        target,
        "weights-ones",
        lambda _: call(ones),
        close_to(float(np.mean(per)), ulps=8),
    )
    w = np.arange(1.0, n + 1)
    ok(
        target,
        "weights",
        lambda _: call(w),
        close_to(float(np.dot(w, per) / w.sum()), ulps=8),
    )
    raises(
        target,
        "weights-negative",
        lambda _: call(-ones),
        InputValueError,
        r"`sample_weight`",
    )
    raises(
        target,
        "weights-nan",
        lambda _: call(np.full(n, math.nan)),
        InputValueError,
        r"`sample_weight`",
    )
    raises(
        target,
        "weights-inf",
        lambda _: call(np.full(n, math.inf)),
        InputValueError,
        r"`sample_weight`",
    )
    raises(
        target,
        "weights-length",
        lambda _: call(np.ones(n + 1)),
        InputValueError,
        r"`sample_weight`",
    )
    raises(
        target,
        "weights-str",
        lambda _: call(["a"] * n),
        InputTypeError,
        r"`sample_weight`",
    )
    ok(
        target,
        "weights-1e308",
        lambda _: call(np.full(n, 1e308)),
        close_to(float(np.mean(per)), ulps=8),
        owner="trustnum",
    )


def _reduction_cells(
    target: str, call: Callable[[str], Any], per: Sequence[float]
) -> None:
    ok(target, "reduction-none", lambda _: call("none"), close_to(per, ulps=8))
    ok(
        target,
        "reduction-sum",
        lambda _: call("sum"),
        close_to(float(mpmath.fsum(per)), ulps=8),
    )
    ok(
        target,
        "reduction-mean",
        lambda _: call("mean"),
        close_to(float(mpmath.fsum(per) / len(per)), ulps=8),
    )
    raises(
        target,
        "reduction-bad",
        lambda _: call("median"),
        InputValueError,
        r"`reduction`",
    )
    raises(target, "reduction-type", lambda _: call(1), InputTypeError, r"`reduction`")


# --------------------------------------------------------------------------- 4. heads
def _proba_ref_sigmoid(w: Sequence[float], b: float, x: Sequence[float]) -> float:
    z = mpmath.fsum(_mp(a) * _mp(c) for a, c in zip(w, x, strict=True)) + _mp(b)
    return float(1 / (1 + mpmath.exp(-z)))


def _two(w: Sequence[float], b: float, x: Sequence[float]) -> list[float]:
    p = _proba_ref_sigmoid(w, b, x)
    q = float(
        1
        / (
            1
            + mpmath.exp(
                mpmath.fsum(_mp(a) * _mp(c) for a, c in zip(w, x, strict=True)) + _mp(b)
            )
        )
    )
    return [q, p]


def _head_cells() -> None:
    H = sl.SigmoidHead
    good = H(weight=[2.0, -1.0], bias=0.5)
    X = np.array([[0.3, -1.2], [2.0, 5.0]])
    ok(
        "SigmoidHead.predict_proba",
        "finite",
        lambda _: good.predict_proba(X),
        _proba_check([_two([2.0, -1.0], 0.5, r) for r in X]),
    )
    ok(
        "SigmoidHead.predict_proba",
        "intermediate-overflow",
        lambda _: H(weight=[2.0, 2.0], bias=0.0).predict_proba([[1e308, -1e308]]),
        _proba_check([[0.5, 0.5]]),
        owner="trustnum",
    )
    ok(
        "SigmoidHead.predict_proba",
        "1e307",
        lambda _: good.predict_proba([[1e307, 0.0]]),
        _proba_check([[0.0, 1.0]]),
        owner="trustnum",
    )
    for case, weight in {
        "weight-nan": [math.nan, 1.0],
        "weight-inf": [math.inf, 1.0],
        "weight-2-D": [[1.0, 2.0]],
    }.items():
        raises(
            "SigmoidHead",
            case,
            lambda _, w=weight: H(weight=w, bias=0.0),
            InputValueError,
            r"`weight`",
        )
    raises(
        "SigmoidHead",
        "weight-str",
        lambda _: H(weight=["a"], bias=0.0),
        InputTypeError,
        r"`weight`",
    )
    raises(
        "SigmoidHead",
        "weight-complex",
        lambda _: H(weight=[1j], bias=0.0),
        InputTypeError,
        r"`weight`",
    )
    raises(
        "SigmoidHead",
        "bias-nan",
        lambda _: H(weight=[1.0], bias=math.nan),
        InputValueError,
        r"`bias`",
    )
    raises(
        "SigmoidHead",
        "bias-list",
        lambda _: H(weight=[1.0], bias=[1.0, 2.0]),
        (InputValueError, InputTypeError),
        r"`bias`",
    )
    raises(
        "SigmoidHead",
        "bias-str",
        lambda _: H(weight=[1.0], bias="a"),
        InputTypeError,
        r"`bias`",
    )
    # NaN propagates, as in the stable functions
    ok(
        "SigmoidHead.predict_proba",
        "X-nan",
        lambda _: good.predict_proba([[math.nan, 1.0]]),
        close_to([[math.nan, math.nan]]),
    )
    ok(
        "SigmoidHead.predict_proba",
        "weight-empty",
        lambda _: H(weight=[], bias=0.5).predict_proba(np.zeros((1, 0))),
        close_to([[ref_sigmoid(-0.5), ref_sigmoid(0.5)]]),
    )
    for case, x in {
        "X-wrong-width": [[1.0, 2.0, 3.0]],
        "X-3-D": np.zeros((1, 1, 2)),
    }.items():
        raises(
            "SigmoidHead.predict_proba",
            case,
            lambda _, x=x: good.predict_proba(x),
            InputValueError,
            r"`X`",
        )
    raises(
        "SigmoidHead.predict_proba",
        "X-str",
        lambda _: good.predict_proba([["a", "b"]]),
        InputTypeError,
        r"`X`",
    )

    S = sl.SoftmaxHead
    soft = S(weight=[[0.5, -1.0], [2.0, 1.0]], bias=[0.1, -0.2])
    for case, (w, b) in {
        "weight-nan": ([[math.nan, 1.0], [0.0, 0.0]], [0.0, 0.0]),
        "weight-1-D": ([1.0, 2.0], [0.0, 0.0]),
        "weight-one-row": ([[1.0, 2.0]], [0.0]),
        "bias-length": ([[1.0, 2.0], [0.0, 0.0]], [0.0]),
        "bias-inf": ([[1.0, 2.0], [0.0, 0.0]], [math.inf, 0.0]),
    }.items():
        raises(
            "SoftmaxHead",
            case,
            lambda _, w=w, b=b: S(weight=w, bias=b),
            InputValueError,
            r"`(weight|bias)`",
        )
    raises(
        "SoftmaxHead",
        "weight-str",
        lambda _: S(weight=[["a", "b"], ["c", "d"]], bias=[0, 0]),
        InputTypeError,
        r"`weight`",
    )
    for gauge in ("bad", 3):
        error = InputValueError if isinstance(gauge, str) else InputTypeError
        # a wrong type is an InputTypeError (softlogit._validation's rule); the
        # heads' own _check_gauge (in _heads.py, the numerics owner's file) says
        # InputValueError for gauge=3
        owner = "trustio" if isinstance(gauge, str) else "trustnum"
        raises(
            "sigmoid_to_softmax",
            f"gauge={gauge!r}",
            lambda _, g=gauge: sl.sigmoid_to_softmax(good, gauge=g),
            error,
            r"`gauge`",
            owner=owner,
        )
        raises(
            "from_reference",
            f"gauge={gauge!r}",
            lambda _, g=gauge: sl.from_reference(sl.to_reference(soft), gauge=g),
            error,
            r"`gauge`",
            owner=owner,
        )
        raises(
            "to_gauge",
            f"gauge={gauge!r}",
            lambda _, g=gauge: sl.to_gauge(soft, gauge=g),
            error,
            r"`gauge`",
            owner=owner,
        )
    for ref in (2, -3, 1.0, "a"):
        error = InputValueError if isinstance(ref, int) else InputTypeError
        raises(
            "to_reference",
            f"reference={ref!r}",
            lambda _, r=ref: sl.to_reference(soft, reference=r),
            error,
            r"`reference`",
        )
        raises(
            "softmax_to_sigmoid",
            f"positive={ref!r}",
            lambda _, r=ref: sl.softmax_to_sigmoid(soft, positive=r),
            error,
            r"`positive`",
        )
    for fn in (sl.softmax_to_sigmoid, sl.to_reference, sl.center, sl.to_gauge):
        raises(
            fn.__name__,
            "head-wrong-type",
            lambda _, f=fn: f(good),
            InputTypeError,
            r"`head`",
        )
        raises(
            fn.__name__, "head-None", lambda _, f=fn: f(None), InputTypeError, r"`head`"
        )
    raises(
        "sigmoid_to_softmax",
        "head-wrong-type",
        lambda _: sl.sigmoid_to_softmax(soft),
        InputTypeError,
        r"`head`",
    )
    raises(
        "from_reference",
        "head-wrong-type",
        lambda _: sl.from_reference(soft),
        InputTypeError,
        r"`head`",
    )
    three = S(weight=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], bias=[0.0, 0.0, 0.0])
    raises(
        "softmax_to_sigmoid",
        "three-classes",
        lambda _: sl.softmax_to_sigmoid(three),
        InputValueError,
        r"two|2",
    )
    ok(
        "softmax_to_sigmoid",
        "exact",
        lambda _: sl.softmax_to_sigmoid(soft).weight,
        close_to([1.5, 2.0]),
    )


def _proba_check(ref: Any) -> Callable[[Any], None]:
    want = np.asarray(ref, dtype=np.float64)

    def check(got: Any) -> None:
        arr = np.asarray(got, dtype=np.float64)
        assert np.all(np.isfinite(arr)), arr
        assert np.all((arr >= 0) & (arr <= 1)), arr
        np.testing.assert_allclose(arr, want, rtol=1e-12, atol=1e-300)

    return check


# --------------------------------------------------------------------------- 5. penalties
def _exact_or_refused(exact: Callable[[Any], Any]) -> Callable[[Any], None]:
    """The result equals the exact (mpmath) value to 1e-15 relative, finite, and a
    C stays positive."""

    def check(got: Any) -> None:
        want = exact(None)
        values = got if isinstance(got, tuple) else (got,)
        wants = want if isinstance(want, tuple) else (want,)
        for g, w in zip(values, wants, strict=True):
            assert math.isfinite(g), (got, want)
            if w == 0:
                assert g == 0, (got, want)
            else:
                assert abs(_mp(g) - w) <= abs(w) * mpmath.mpf("1e-15"), (got, want)

    return check


def _penalty_cells() -> None:
    maps_c = {
        "softmax_C_to_sigmoid": (sl.softmax_C_to_sigmoid, 2),
        "sigmoid_C_to_softmax": (sl.sigmoid_C_to_softmax, mpmath.mpf(1) / 2),
    }
    for name, (fn, factor) in maps_c.items():
        for case, C in {
            "1": 1.0,
            "0.3": 0.3,
            "inf": math.inf,
            "1e308": 1e308,
            "5e-324": 5e-324,
            "1e-300": 1e-300,
        }.items():
            if math.isinf(C):
                ok(
                    name,
                    case,
                    lambda _, f=fn, c=C: f(c),
                    lambda g: _assert(g == math.inf, g),
                )
                continue
            owner = "trustnum" if case in ("1e308", "5e-324") else "trustio"
            ok_or_raises(
                name,
                case,
                lambda _, f=fn, c=C: f(c),
                _exact_or_refused(lambda _, c=C, k=factor: _mp(c) * k),
                r"`C`",
                owner=owner,
            )
        for case, C in {
            "0": 0.0,
            "-1": -1.0,
            "nan": math.nan,
            "-inf": -math.inf,
        }.items():
            raises(name, case, lambda _, f=fn, c=C: f(c), InputValueError, r"`C`")
        for case, C in {"str": "a", "None": None, "list": [1.0], "bool": True}.items():
            raises(name, case, lambda _, f=fn, c=C: f(c), InputTypeError, r"`C`")
    en = {
        "softmax_elastic_net_to_sigmoid": (
            sl.softmax_elastic_net_to_sigmoid,
            lambda s, a: (_mp(s) * (1 + _mp(a)) / 2, 2 * _mp(a) / (1 + _mp(a))),
        ),
        "sigmoid_elastic_net_to_softmax": (
            sl.sigmoid_elastic_net_to_softmax,
            lambda s, a: (_mp(s) * (2 - _mp(a)), _mp(a) / (2 - _mp(a))),
        ),
    }
    for name, (fn, exact) in en.items():
        for case, (s, a) in {
            "1-0.5": (1.0, 0.5),
            "0-0": (0.0, 0.0),
            "2-1": (2.0, 1.0),
            "1e308-1": (1e308, 1.0),
            "5e-324-0.5": (5e-324, 0.5),
        }.items():
            owner = "trustnum" if "e308" in case or "e-324" in case else "trustio"
            ok_or_raises(
                name,
                case,
                lambda _, f=fn, s=s, a=a: f(s, a),
                _exact_or_refused(lambda _, s=s, a=a, e=exact: e(s, a)),
                r"`strength`",
                owner=owner,
            )
        for case, (s, a) in {
            "strength-neg": (-1.0, 0.5),
            "strength-nan": (math.nan, 0.5),
            "ratio-2": (1.0, 2.0),
            "ratio-neg": (1.0, -0.1),
            "ratio-nan": (1.0, math.nan),
        }.items():
            raises(
                name,
                case,
                lambda _, f=fn, s=s, a=a: f(s, a),
                InputValueError,
                r"`(strength|l1_ratio)`",
            )
        raises(
            name,
            "strength-str",
            lambda _, f=fn: f("a", 0.5),
            InputTypeError,
            r"`strength`",
        )
        raises(
            name,
            "ratio-str",
            lambda _, f=fn: f(1.0, "a"),
            InputTypeError,
            r"`l1_ratio`",
        )
    for name, fn in {
        "softmax_penalty_to_sigmoid": sl.softmax_penalty_to_sigmoid,
        "sigmoid_penalty_to_softmax": sl.sigmoid_penalty_to_softmax,
    }.items():
        for case, kw in {
            "l2-neg": {"l2": -1.0},
            "l1-nan": {"l1": math.nan},
            "l2-inf": {"l2": math.inf},
        }.items():
            raises(
                name, case, lambda _, f=fn, k=kw: f(**k), InputValueError, r"`(l1|l2)`"
            )
        raises(name, "l2-str", lambda _, f=fn: f(l2="a"), InputTypeError, r"`l2`")


def _assert(cond: bool, what: Any) -> None:
    assert cond, what


# --------------------------------------------------------------------------- 6. estimators
def _data(k: int = 2, n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    W = rng.normal(size=(k, 2)) * 1.5
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, k)), axis=1)
    return X, y


def _sklearn_check(
    est_name: str, X: Any, y: Any, C: float = 1.0
) -> Callable[[Any], None]:
    """The fitted model's probabilities equal scikit-learn's (same objective)."""

    def check(model: Any) -> None:
        from sklearn.linear_model import LogisticRegression as SkLR

        Xf = np.asarray(X, dtype=np.float64)
        labels = np.asarray(y)
        # T7: a two-class softmax with C is a logistic regression with 2C
        two = np.unique(labels).size == 2 and est_name == "SoftmaxRegression"
        sk = SkLR(C=2 * C if two else C, tol=1e-12, max_iter=10_000).fit(Xf, labels)
        Xm = X if hasattr(X, "columns") else Xf
        np.testing.assert_allclose(
            model.predict_proba(Xm), sk.predict_proba(Xf), atol=1e-7
        )

    return check


ESTIMATORS = {
    "LogisticRegression": sl.LogisticRegression,
    "SoftmaxRegression": sl.SoftmaxRegression,
}


def _fit_X_cells(name: str, cls: type) -> None:
    X, y = _data()
    tgt = f"{name}.fit"
    for case, bad in {"X-str": "abc", "X-None": None, "X-dict": {"a": [1, 2]}}.items():
        raises(tgt, case, lambda _, b=bad: cls().fit(b, y), InputTypeError, r"`X`")
    for case, bad in {
        "X-1-D": X[:, 0],
        "X-3-D": X[:, :, None],
        "X-empty": np.zeros((0, 2)),
        "X-no-features": np.zeros((60, 0)),
        "X-nan": np.where(X > 1.5, np.nan, X),
        "X-inf": np.where(X > 1.5, np.inf, X),
        "X--inf": np.where(X > 1.5, -np.inf, X),
        "X-1e308": np.where(X > 1.5, 1e308, X),
        "X-ragged": [[1.0, 2.0], [1.0]] * 30,
        "X-object-strings": np.array([["a", "b"]] * 60, dtype=object),
        "X-scalar": 3.0,
    }.items():
        yy = y[:0] if case == "X-empty" else y
        raises(
            tgt, case, lambda _, b=bad, yy=yy: cls().fit(b, yy), InputValueError, r"`X`"
        )
    raises(
        tgt,
        "X-complex",
        lambda _: cls().fit(X + 1j, y),
        (InputValueError, InputTypeError),
        r"`X`",
    )
    # sparse X is fitted as it is (penalized), and refused unpenalized
    ok(
        tgt,
        "X-sparse",
        lambda _: cls(C=1.0, tol=1e-10).fit(
            __import__("scipy.sparse").sparse.csr_matrix(X), y
        ),
        _sklearn_check(name, X, y),
    )
    raises(
        tgt,
        "X-sparse-unpenalized",
        lambda _: cls(C=np.inf).fit(__import__("scipy.sparse").sparse.csr_matrix(X), y),
        InputValueError,
        r"`X` is sparse and C=np.inf",
    )
    raises(
        tgt,
        "X-generator",
        lambda _: cls().fit((r for r in X), y),
        InputTypeError,
        r"`X`",
    )
    raises(
        tgt,
        "X-frame-str-column",
        lambda _: cls().fit(pd.DataFrame({"a": X[:, 0], "b": ["x"] * 60}), y),
        InputValueError,
        r"`X` column 'b'",
    )
    for case, good in {
        "X-float32": X.astype(np.float32),
        "X-float16": X.astype(np.float16),
        "X-int": np.round(X * 3).astype(np.int64),
        "X-bool": X > 0,
        "X-list": X.tolist(),
        "X-object-numbers": X.astype(object),
        "X-subnormal-scale": X * 1e-300,
        "X-frame-markup": pd.DataFrame(X, columns=["dose[mg]", "[/]"]),
    }.items():
        ref_X = np.asarray(good, dtype=np.float64)
        if case == "X-subnormal-scale":
            ok(
                tgt,
                case,
                lambda _, g=good: cls(C=1.0, tol=1e-10).fit(g, y),
                lambda m, r=ref_X: _proba_sane(m, r),
                owner="trustnum",
            )
            continue
        ok(
            tgt,
            case,
            lambda _, g=good: cls(C=1.0, tol=1e-10).fit(g, y),
            _sklearn_check(name, good if hasattr(good, "columns") else ref_X, y),
        )


def _proba_sane(model: Any, X: Any) -> None:
    p = model.predict_proba(X)
    assert np.all(np.isfinite(p)), p
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


def _fit_y_cells(name: str, cls: type) -> None:
    X, y = _data()
    tgt = f"{name}.fit"
    for case, bad in {
        "y-single-class": np.zeros(60),
        "y-continuous": np.linspace(0, 1, 60),
        "y-nan": np.where(y == 1, np.nan, 0.0),
        "y-inf": np.where(y == 1, np.inf, 0.0),
        "y-None": None,
        "y-short": y[:40],
        "y-long": np.r_[y, y],
        "y-2-D": np.c_[y, y],
        "y-mixed-types": np.array([0, "a"] * 30, dtype=object),
    }.items():
        raises(tgt, case, lambda _, b=bad: cls().fit(X, b), InputValueError, r"`y`")
    raises(
        tgt,
        "y-generator",
        lambda _: cls().fit(X, (v for v in y)),
        InputTypeError,
        r"`y`",
    )
    for case, labels in {
        "y-str": np.array(["ant", "bee"])[y],
        "y-bool": y.astype(bool),
        "y-integral-float": y.astype(np.float64) * 2.0,
        "y-negative": y - 5,
        "y-markup": np.array(["[/]", "[bold]b"])[y],
    }.items():
        ok(
            tgt,
            case,
            lambda _, lab=labels: cls(C=1.0, tol=1e-10).fit(X, lab),
            _sklearn_check(name, X, labels),
        )
    X3, y3 = _data(k=3)
    if name == "LogisticRegression":
        raises(
            tgt,
            "y-three-classes",
            lambda _: cls().fit(X3, y3),
            InputValueError,
            r"`y` must have exactly 2 classes",
        )
    else:
        ok(
            tgt,
            "y-three-classes",
            lambda _: cls(C=1.0, tol=1e-10).fit(X3, y3),
            _sklearn_check(name, X3, y3),
        )


def _fit_weight_cells(name: str, cls: type) -> None:
    X, y = _data()
    tgt = f"{name}.fit"
    for case, sw in {
        "weights-negative": np.where(y == 1, -1.0, 1.0),
        "weights-zero": np.zeros(60),
        "weights-nan": np.full(60, math.nan),
        "weights-inf": np.where(y == 1, np.inf, 1.0),
        "weights-length": np.ones(59),
        "weights-2-D": np.ones((60, 1)),
    }.items():
        raises(
            tgt,
            case,
            lambda _, s=sw: cls().fit(X, y, sample_weight=s),
            InputValueError,
            r"`sample_weight`",
        )
    raises(
        tgt,
        "weights-str",
        lambda _: cls().fit(X, y, sample_weight=["a"] * 60),
        InputTypeError,
        r"`sample_weight`",
    )
    raises(
        tgt,
        "weights-one-positive",
        lambda _: cls().fit(X, y, sample_weight=np.r_[1.0, np.zeros(59)]),
        InputValueError,
        r"`sample_weight`",
        owner="trustnum",
    )

    def same_as_unweighted(scale: float) -> Callable[[Any], None]:
        def check(model: Any) -> None:
            # scaling every weight by b equals scaling C by b (scikit-learn's rule)
            from sklearn.linear_model import LogisticRegression as SkLR

            two_rows = name == "SoftmaxRegression"  # T7: softmax C = logistic 2C
            sk = SkLR(C=scale * (2 if two_rows else 1), tol=1e-12, max_iter=10_000)
            sk.fit(X, y)
            np.testing.assert_allclose(
                model.predict_proba(X), sk.predict_proba(X), atol=1e-7
            )

        return check

    ok(
        tgt,
        "weights-scalar",
        lambda _: cls(C=1.0, tol=1e-10).fit(X, y, sample_weight=2.0),
        same_as_unweighted(2.0),
    )
    ok(
        tgt,
        "weights-ones",
        lambda _: cls(C=1.0, tol=1e-10).fit(X, y, sample_weight=np.ones(60)),
        same_as_unweighted(1.0),
    )
    ok(
        tgt,
        "weights-1e308",
        lambda _: cls(C=np.inf).fit(X, y, sample_weight=np.full(60, 1e308)),
        _unpenalized_check(X, y),
        owner="trustnum",
    )


def _unpenalized_check(X: Any, y: Any) -> Callable[[Any], None]:
    def check(model: Any) -> None:
        import statsmodels.api as sm

        ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
        p = ref.predict(sm.add_constant(X))
        np.testing.assert_allclose(model.predict_proba(X)[:, 1], p, atol=1e-6)

    return check


def _param_cells(name: str, cls: type) -> None:
    X, y = _data()
    tgt = f"{name}.fit"
    params: list[tuple[str, dict[str, Any], type[BaseException], str]] = [
        ("C=-5", {"C": -5}, InputValueError, r"`C` must be"),
        ("C=0", {"C": 0.0}, InputValueError, r"`C` must be"),
        ("C=nan", {"C": math.nan}, InputValueError, r"`C` must be"),
        ("C=-inf", {"C": -math.inf}, InputValueError, r"`C` must be"),
        ("C=1e-320", {"C": 1e-320}, InputValueError, r"`C` must be"),
        ("C=str", {"C": "1"}, InputTypeError, r"`C` must be"),
        ("C=None", {"C": None}, InputTypeError, r"`C` must be"),
        ("C=bool", {"C": True}, InputTypeError, r"`C` must be"),
        ("tol=0", {"tol": 0.0}, InputValueError, r"`tol` must be"),
        ("tol=-1", {"tol": -1.0}, InputValueError, r"`tol` must be"),
        ("tol=nan", {"tol": math.nan}, InputValueError, r"`tol` must be"),
        ("tol=str", {"tol": "a"}, InputTypeError, r"`tol` must be"),
        ("max_iter=-1", {"max_iter": -1}, InputValueError, r"`max_iter` must be"),
        ("max_iter=2.5", {"max_iter": 2.5}, InputTypeError, r"`max_iter` must be"),
        ("max_iter=str", {"max_iter": "10"}, InputTypeError, r"`max_iter` must be"),
        ("max_iter=bool", {"max_iter": True}, InputTypeError, r"`max_iter` must be"),
        (
            "solver=rm",
            {"solver": "rm -rf /"},
            InputValueError,
            r"`solver` must be one of",
        ),
        ("solver=int", {"solver": 3}, InputTypeError, r"`solver` must be one of"),
        (
            "fit_intercept=str",
            {"fit_intercept": "yes"},
            InputTypeError,
            r"`fit_intercept` must be",
        ),
        (
            "fit_intercept=int",
            {"fit_intercept": 2},
            InputTypeError,
            r"`fit_intercept` must be",
        ),
        (
            "warm_start=str",
            {"warm_start": "no"},
            InputTypeError,
            r"`warm_start` must be",
        ),
        (
            "store_covariance=None",
            {"store_covariance": None},
            InputTypeError,
            r"`store_covariance` must be",
        ),
    ]
    if name == "SoftmaxRegression":
        params += [
            ("gauge=bad", {"gauge": "bad"}, InputValueError, r"`gauge` must be one of"),
            ("gauge=int", {"gauge": 1}, InputTypeError, r"`gauge` must be one of"),
            (
                "reference_class=unseen",
                {"gauge": "reference", "reference_class": 7},
                InputValueError,
                r"`reference_class`",
            ),
        ]
    for case, kw, error, match in params:
        raises(tgt, case, lambda _, k=kw: cls(**k).fit(X, y), error, match)
    for solver in ("newton", "lbfgs"):
        ok(
            tgt,
            f"solver={solver}",
            lambda _, s=solver: cls(C=1.0, solver=s, tol=1e-10).fit(X, y),
            _sklearn_check(name, X, y),
        )


def _method_cells(name: str, cls: type) -> None:
    X, y = _data()
    model = cls(C=1.0, tol=1e-10).fit(X, y)
    frame_model = cls(C=1.0, tol=1e-10).fit(pd.DataFrame(X, columns=["a", "b"]), y)
    for method in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ):
        tgt = f"{name}.{method}"
        call = lambda x, m=method: getattr(model, m)(x)  # noqa: E731
        for case, bad in {
            "X-wrong-width": np.zeros((3, 3)),
            "X-1-D": np.zeros(2),
            "X-nan": np.array([[math.nan, 0.0]]),
            "X-inf": np.array([[math.inf, 0.0]]),
            "X-empty": np.zeros((0, 2)),
            "X-ragged": [[1.0], [1.0, 2.0]],
        }.items():
            raises(
                tgt, case, lambda _, b=bad, c=call: c(b), InputValueError, r"`X`|X has"
            )
        raises(tgt, "X-str", lambda _, c=call: c([["a", "b"]]), InputValueError, r"`X`")
        raises(
            tgt,
            "X-generator",
            lambda _, c=call: c(r for r in X),
            InputTypeError,
            r"`X`",
        )
        raises(
            tgt,
            "X-complex",
            lambda _, c=call: c(X + 1j),
            (InputValueError, InputTypeError),
            r"`X`",
        )
        raises(
            tgt,
            "unfitted",
            lambda _, m=method: getattr(cls(), m)(X),
            __import__("sklearn.exceptions").exceptions.NotFittedError,
            r"not fitted",
        )
        raises(
            tgt,
            "frame-wrong-names",
            lambda _, m=method: getattr(frame_model, m)(
                pd.DataFrame(X, columns=["b", "a"])
            ),
            InputValueError,
            r"feature names",
        )
        ok(
            tgt,
            "X-float32",
            lambda _, c=call: c(X.astype(np.float32)),
            _same_as(
                lambda m=method: getattr(model, m)(
                    X.astype(np.float32).astype(np.float64)
                )
            ),
        )
        ok(
            tgt,
            "X-int",
            lambda _, c=call: c(np.array([[1, -2]])),
            _same_as(lambda m=method: getattr(model, m)(np.array([[1.0, -2.0]]))),
        )
        ok(
            tgt,
            "X-1e307",
            lambda _, c=call: c(np.array([[1e307, 0.0]])),
            _extreme_check(model, method, [1e307, 0.0]),
            owner="trustnum",
        )


def _same_as(ref: Callable[[], Any]) -> Callable[[Any], None]:
    def check(got: Any) -> None:
        want = ref()
        if np.asarray(want).dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=1e-6)
        else:
            assert np.array_equal(got, want)

    return check


def _extreme_check(
    model: Any, method: str, x: Sequence[float]
) -> Callable[[Any], None]:
    """At a feature of 1e307 the logits overflow; the probabilities are their
    limits, computed here in mpmath from the coefficients."""
    coef = np.atleast_2d(model.coef_)
    b = np.atleast_1d(model.intercept_)
    z = [
        mpmath.fsum(_mp(c) * _mp(v) for c, v in zip(row, x, strict=True)) + _mp(bb)
        for row, bb in zip(coef, b, strict=True)
    ]
    if len(z) == 1:
        z = [mpmath.mpf(0), z[0]]
    m = max(z)
    total = mpmath.fsum(mpmath.exp(v - m) for v in z)
    proba = [float(mpmath.exp(v - m) / total) for v in z]

    def check(got: Any) -> None:
        if method == "predict":
            assert got[0] == model.classes_[int(np.argmax(proba))]
        elif method == "predict_proba":
            _proba_check([proba])(got)
        elif method == "predict_log_proba":
            want = [float(v - m - mpmath.log(total)) for v in z]
            np.testing.assert_allclose(got, [want], rtol=1e-12)
        else:
            assert np.all(~np.isnan(got)), got

    return check


def _summary_cells(name: str, cls: type) -> None:
    X, y = _data(n=200, seed=3)
    model = cls(C=np.inf).fit(X, y)
    tgt = f"{name}.summary"
    for case, alpha in {
        "alpha=0": 0.0,
        "alpha=1": 1.0,
        "alpha=nan": math.nan,
        "alpha=-0.1": -0.1,
    }.items():
        raises(
            tgt,
            case,
            lambda _, a=alpha: model.summary(alpha=a),
            InputValueError,
            r"`alpha` must be",
        )
    raises(
        tgt,
        "alpha=str",
        lambda _: model.summary(alpha="a"),
        InputTypeError,
        r"`alpha` must be",
    )
    raises(
        tgt,
        "penalized",
        lambda _: cls(C=1.0, tol=1e-10).fit(X, y).summary(),
        InputValueError,
        r"unpenalized|C=np.inf",
    )
    raises(
        tgt,
        "store_covariance=False",
        lambda _: cls(C=np.inf, store_covariance=False).fit(X, y).summary(),
        InputValueError,
        r"store_covariance",
    )
    ok(
        tgt,
        "alpha=1e-17",
        lambda _: model.summary(alpha=1e-17),
        _interval_check(1e-17),
        owner="trustnum",
    )
    # with default settings the printed digits agree with statsmodels
    ok(
        tgt,
        "alpha=0.05",
        lambda _: model.summary(alpha=0.05),
        _statsmodels_summary_check(X, y),
        owner="trustnum",
    )
    if name == "SoftmaxRegression":
        raises(
            tgt,
            "gauge=none",
            lambda _: model.summary(gauge="none"),
            InputValueError,
            r"gauge='none'",
        )
        raises(
            tgt,
            "gauge=bad",
            lambda _: model.summary(gauge="bad"),
            InputValueError,
            r"`gauge`",
        )
        raises(
            tgt,
            "reference_class=unseen",
            lambda _: model.summary(gauge="reference", reference_class=9),
            InputValueError,
            r"`reference_class`",
        )
    else:
        raises(
            tgt,
            "gauge-on-logistic",
            lambda _: model.summary(gauge="reference"),
            InputValueError,
            r"`gauge`",
        )


def _interval_check(alpha: float) -> Callable[[Any], None]:
    def check(s: Any) -> None:
        from scipy.stats import norm

        crit = float(norm.isf(alpha / 2))
        np.testing.assert_allclose(s.conf_high, s.coef + crit * s.std_err, rtol=1e-12)
        assert np.all(np.isfinite(s.conf_low)), s.conf_low

    return check


def _statsmodels_summary_check(X: Any, y: Any) -> Callable[[Any], None]:
    def check(s: Any) -> None:
        import statsmodels.api as sm

        ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
        sign = 1.0 if s.gauge is None else (1.0 if s.classes[0] == 1 else -1.0)
        row = (
            0 if s.gauge is None else list(s.classes).index(1) if 1 in s.classes else 0
        )
        if s.gauge == "centered":  # rows ±w/2 for two classes
            np.testing.assert_allclose(
                2 * np.abs(s.coef[row]), np.abs(ref.params), rtol=1e-6
            )
        else:
            np.testing.assert_allclose(sign * s.coef[row], ref.params, rtol=1e-6)
            np.testing.assert_allclose(s.std_err[row], ref.bse, rtol=1e-6)

    return check


def _convert_cells() -> None:
    X, y = _data()
    X3, y3 = _data(k=3)
    soft3 = sl.SoftmaxRegression(C=1.0).fit(X3, y3)
    raises(
        "SoftmaxRegression.to_logistic",
        "three-classes",
        lambda _: soft3.to_logistic(),
        InputValueError,
        r"two-class|2 classes|two classes",
    )
    logit = sl.LogisticRegression(C=1.0).fit(X, y)
    raises(
        "LogisticRegression.to_softmax",
        "gauge=bad",
        lambda _: logit.to_softmax(gauge="bad"),
        InputValueError,
        r"`gauge`",
    )
    ok(
        "LogisticRegression.to_softmax",
        "centered",
        lambda _: logit.to_softmax().predict_proba(X),
        close_to(logit.predict_proba(X), ulps=64),
    )
    raises(
        "convert_head",
        "to=bad",
        lambda _: sl.convert_head(logit, to="bad"),
        InputValueError,
        r"`to`",
    )
    raises(
        "convert_head",
        "model=str",
        lambda _: sl.convert_head("model", to="softmax"),
        InputTypeError,
        r"`model`|model",
    )
    raises(
        "convert_head",
        "model=None",
        lambda _: sl.convert_head(None, to="softmax"),
        InputTypeError,
        r"`model`|model",
    )


def _same_answer(got: Any, expected: Any) -> None:
    assert type(got) is type(expected), (got, expected)
    assert repr(got) == repr(expected), (got, expected)


def _separation_cells() -> None:
    X, y = _data()
    cs = sl.check_separation
    tn = {"owner": "trustnum"}
    raises(
        "check_separation",
        "y-short",
        lambda _: cs(X, y[:40]),
        InputValueError,
        r"`y",
        **tn,
    )
    raises(
        "check_separation",
        "X-nan",
        lambda _: cs(np.where(X > 1, np.nan, X), y),
        InputValueError,
        r"`X`",
        **tn,
    )
    # labels are encoded as fit encodes them: -1 and 0 are two classes, the answer
    # that of the labels 0 and 1
    ok(
        "check_separation",
        "y-negative",
        lambda _: cs(X, y - 1),
        lambda got: _same_answer(got, cs(X, y)),
        **tn,
    )
    raises(
        "check_separation",
        "y-float",
        lambda _: cs(X, y + 0.5),
        InputValueError,
        r"`y",
        **tn,
    )
    raises(
        "check_separation",
        "X-1-D",
        lambda _: cs(X[:, 0], y),
        InputValueError,
        r"`X`",
        **tn,
    )
    raises(
        "check_separation",
        "X-str",
        lambda _: cs("abc", y),
        InputTypeError,
        r"`X`",
        **tn,
    )
    raises(
        "check_separation",
        "weights-length",
        lambda _: cs(X, y, np.ones(3)),
        InputValueError,
        r"`sample_weight`",
        **tn,
    )
    ok(
        "check_separation",
        "overlapping",
        lambda _: cs(X, y),
        lambda v: _assert(v is True, v),
    )
    Xs = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    raises(
        "check_separation",
        "separated",
        lambda _: cs(Xs, np.array([0, 0, 1, 1])),
        sl.SeparationError,
        r"completely separated",
    )


# --------------------------------------------------------------------------- 7. loaders
def _saved_model(tmp: Path) -> tuple[Path, dict[str, Any]]:
    X, y = _data(n=120, k=3, seed=5)
    path = sl.SoftmaxRegression(C=np.inf).fit(X, y).save(tmp / "m.json")
    return path, json.loads(path.read_text())


def _model_file(edit: Callable[[dict[str, Any]], Any]) -> Callable[[Path], Any]:
    def run(tmp: Path) -> Any:
        path, doc = _saved_model(tmp)
        result = edit(doc)
        path.write_text(result if isinstance(result, str) else json.dumps(doc))
        return sl.load_model(path)

    return run


def _set(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        target = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


def _loader_cells() -> None:
    corrupt: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
        "format": (_set("format", value="pickle"), r"field `format`"),
        "version-newer": (_set("format_version", value=3), r"newer softlogit"),
        "estimator": (_set("estimator", value="os.system"), r"field `estimator`"),
        "unknown-field": (_set("evil", value=1), r"unknown field"),
        "missing-field": (lambda d: d.pop("coef"), r"missing field"),
        "C=-5": (_set("params", "C", value=-5), r"`C` must be"),
        "solver=rm": (_set("params", "solver", value="rm -rf /"), r"`solver` must be"),
        "tol=str": (_set("params", "tol", value="a"), r"`tol` must be"),
        "coef-nan": (
            lambda d: json.dumps(d).replace('"coef": [[', '"coef": [[NaN, ', 1),
            r"finite JSON number",
        ),
        "coef-shape": (_set("coef", value=[[1.0]]), r"field `coef`"),
        "coef-str": (_set("coef", 0, 0, value="1"), r"field `coef`"),
        "intercept-shape": (_set("intercept", value=[0.0]), r"field `intercept`"),
        "classes-dup": (_set("classes", "values", value=[0, 0, 1]), r"classes.values"),
        "classes-unsorted": (
            _set("classes", "values", value=[2, 1, 0]),
            r"classes.values",
        ),
        "classes-wide-dtype": (
            _set(
                "classes",
                value={
                    "dtype": "<U999999",
                    "values": [f"{i:04d}" for i in range(3000)],
                },
            ),
            r"classes",
        ),
        "n_iter-int32": (_set("n_iter", value=[2147483648]), r"`n_iter`"),
        "n_iter-negative": (_set("n_iter", value=-1), r"`n_iter`"),
        "cov-negative-variance": (
            lambda d: d["inference"]["cov"][0].__setitem__(
                0, -d["inference"]["cov"][0][0]
            ),
            r"inference.cov",
        ),
        "cov-shape": (_set("inference", "cov", value=[[1.0]]), r"inference.cov"),
        "cov-asymmetric": (
            lambda d: d["inference"]["cov"][0].__setitem__(1, 5.0),
            r"inference.cov",
        ),
        "reference": (_set("inference", "reference", value=9), r"inference.reference"),
        "loglik-positive": (
            _set("inference", "log_likelihood", value=3.0),
            r"inference.log_likelihood",
        ),
        "inference-for-penalized": (
            _set("params", "C", value=1.0),
            r"field `inference`",
        ),
        "feature-names": (_set("feature_names_in", value=["a"]), r"feature_names_in"),
        "deep-nesting": (lambda d: "[" * 100_000 + "]" * 100_000, r"nested too deeply"),
        "huge-integer": (
            lambda d: json.dumps(d).replace(
                '"n_features_in": 2', '"n_features_in": ' + "9" * 5000
            ),
            r"digits",
        ),
        "not-json": (lambda d: "{not json", r"not JSON"),
        "top-level-list": (lambda d: "[1, 2]", r"top level"),
        "empty": (lambda d: "", r"not JSON"),
        "non-finite-constant": (
            lambda d: json.dumps(d).replace('"tol": 0.0001', '"tol": Infinity'),
            r"finite JSON number",
        ),
    }
    for case, (edit, match) in corrupt.items():
        raises("load_model", case, _model_file(edit), InputValueError, match)

    def non_utf8(tmp: Path) -> Any:
        (tmp / "m.json").write_bytes(b"\xff\xfe{}")
        return sl.load_model(tmp / "m.json")

    raises("load_model", "non-utf8", non_utf8, InputValueError, r"not UTF-8")
    raises(
        "load_model",
        "missing",
        lambda tmp: sl.load_model(tmp / "nope.json"),
        FileNotFoundError,
        r"does not exist",
    )
    raises(
        "load_model",
        "directory",
        lambda tmp: sl.load_model(tmp),
        FileNotFoundError,
        r"does not exist",
    )
    ok(
        "load_model",
        "valid",
        lambda tmp: sl.load_model(_saved_model(tmp)[0]),
        _loaded_model_works,
    )

    # save
    X, y = _data()
    model = sl.LogisticRegression(C=1.0).fit(X, y)
    raises(
        "LogisticRegression.save",
        "existing",
        lambda tmp: (model.save(tmp / "a.json"), model.save(tmp / "a.json")),
        FileExistsError,
        r"already exists",
    )
    raises(
        "LogisticRegression.save",
        "missing-dir",
        lambda tmp: model.save(tmp / "no" / "a.json"),
        FileNotFoundError,
        r"does not exist",
    )
    raises(
        "LogisticRegression.save",
        "directory",
        lambda tmp: model.save(tmp, force=True),
        IsADirectoryError,
        r"is a directory",
    )
    raises(
        "LogisticRegression.save",
        "unfitted",
        lambda tmp: sl.LogisticRegression().save(tmp / "a.json"),
        __import__("sklearn.exceptions").exceptions.NotFittedError,
        r"not fitted",
    )

    # experiment result
    for case, (fname, content, match) in {
        "result-not-json": ("result.json", b"{not json", r"not valid JSON"),
        "result-deep": ("result.json", b"[" * 100_000, r"not valid JSON"),
        "result-non-utf8": ("result.json", b"\xff{}", r"not valid JSON"),
        "result-version": ("result.json", b'{"format_version": 99}', r"format_version"),
        "result-fields": (
            "result.json",
            b'{"format_version": 1, "networks": "x"}',
            r"incomplete or malformed",
        ),
        "npz-garbage": ("arrays.npz", b"PK\x03\x04" + bytes(100), r"not a valid NPZ"),
        "npz-empty": ("arrays.npz", b"", r"not a valid NPZ"),
        "npz-text": ("arrays.npz", b"hello", r"not a valid NPZ"),
    }.items():
        raises(
            "ExperimentResult.load",
            case,
            _result_file(fname, content),
            InputValueError,
            match,
        )
    raises(
        "ExperimentResult.load",
        "missing",
        lambda tmp: sl.ExperimentResult.load(tmp / "nope"),
        FileNotFoundError,
        r"has no result.json",
    )

    # experiment spec
    spec_cases: dict[str, tuple[str | bytes, type[BaseException], str]] = {
        "not-toml": ("[model\nhidden = ", InputValueError, r"not valid TOML"),
        "non-utf8": (b"\xff\xfe", InputValueError, r"not valid TOML"),
        "unknown-option": (
            "[model]\nwidth = 3\n",
            InputValueError,
            r"unknown option 'width'",
        ),
        "unknown-top": ("colour = 3\n", InputValueError, r"unknown option 'colour'"),
        "steps-0": ("[training]\nsteps = 0\n", InputValueError, r"`steps` must be"),
        "steps-huge": (
            "[training]\nsteps = 100000000000000000000\n",
            InputValueError,
            r"`steps` must be",
        ),
        "steps-str": (
            '[training]\nsteps = "ten"\n',
            InputTypeError,
            r"`steps` must be",
        ),
        "steps-float": (
            "[training]\nsteps = 2.5\n",
            InputTypeError,
            r"`steps` must be",
        ),
        "lr-negative": ("[training]\nlr = -1.0\n", InputValueError, r"`lr` must be"),
        "lr-nan": ("[training]\nlr = nan\n", InputValueError, r"`lr` must be"),
        "lr-inf": ("[training]\nlr = inf\n", InputValueError, r"`lr` must be"),
        "hidden-zero": (
            "[model]\nhidden = [0]\n",
            InputValueError,
            r"`hidden` must be",
        ),
        "hidden-str": (
            '[model]\nhidden = ["a"]\n',
            InputTypeError,
            r"`hidden` must be",
        ),
        "hidden-nested": (
            "[model]\nhidden = [[1]]\n",
            InputTypeError,
            r"`hidden` must be",
        ),
        "dataset-bad": (
            '[data]\ndataset = "mnist"\n',
            InputValueError,
            r"`dataset` must be one of",
        ),
        "section-not-table": ("model = 3\n", InputTypeError, r"section \[model\]"),
        "optimizer-int": (
            "[training]\noptimizer = 3\n",
            InputTypeError,
            r"`optimizer` must be one of",
        ),
        "networks-bad": ('networks = ["9"]\n', InputValueError, r"`networks`"),
        "pairs-bad": ('pairs = ["0-1"]\n', InputValueError, r"`pairs`"),
        "test-size-1": (
            "[data]\ntest_size = 1.0\n",
            InputValueError,
            r"`test_size` must be",
        ),
        "momentum-1": (
            '[training]\noptimizer = "momentum"\nmomentum = 1.0\n',
            InputValueError,
            r"`momentum` must be",
        ),
        "adamw-coupled": (
            '[training]\noptimizer = "adamw"\nweight_decay_mode = "coupled"\n',
            InputValueError,
            r"`weight_decay_mode`",
        ),
        "features-not-csv": (
            '[data]\nfeatures = ["a"]\n',
            InputValueError,
            r"`features`",
        ),
        "deep-array": (
            "a = " + "[" * 2000 + "]" * 2000 + "\n",
            InputValueError,
            r"not valid TOML|too deeply",
        ),
    }
    for case, (text, error, match) in spec_cases.items():
        raises("ExperimentSpec.from_toml", case, _toml_file(text), error, match)
    raises(
        "ExperimentSpec.from_toml",
        "missing",
        lambda tmp: sl.ExperimentSpec.from_toml(tmp / "nope.toml"),
        FileNotFoundError,
        r"does not exist",
    )
    raises(
        "ExperimentSpec.from_dict",
        "not-mapping",
        lambda _: sl.ExperimentSpec.from_dict([1, 2]),
        InputTypeError,
        r"mapping",
    )
    raises(
        "ExperimentSpec.replace",
        "unknown-option",
        lambda _: sl.ExperimentSpec().replace(colour=3),
        InputValueError,
        r"unknown option 'colour'",
    )
    raises(
        "run_experiment",
        "spec-wrong-type",
        lambda _: sl.run_experiment({"steps": 3}),
        InputTypeError,
        r"`spec`",
    )
    raises(
        "run_experiment",
        "engine-bad",
        lambda _: sl.run_experiment(engine="jax"),
        InputValueError,
        r"`engine`",
    )
    raises(
        "run_experiment",
        "hidden-1e9",
        lambda _: sl.run_experiment(sl.ExperimentSpec().replace(hidden=10**9)),
        InputValueError,
        r"of memory",
    )
    for case, k, error in (
        ("1", 1, InputValueError),
        ("2.5", 2.5, InputTypeError),
        ("str", "3", InputTypeError),
        ("bool", True, InputTypeError),
    ):
        raises(
            "derivation",
            f"n_classes={case}",
            lambda _, k=k: sl.derivation(k),
            error,
            r"`n_classes`",
        )


def _loaded_model_works(model: Any) -> None:
    """A loaded model predicts, summarizes and saves (never accepted but broken)."""
    X = np.zeros((2, model.n_features_in_))
    _proba_sane(model, X)
    model.summary()
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        again = sl.load_model(model.save(Path(d) / "again.json"))
        assert np.array_equal(again.predict_proba(X), model.predict_proba(X))


def _result_file(fname: str, content: bytes) -> Callable[[Path], Any]:
    def run(tmp: Path) -> Any:
        result = _small_result()
        out = result.save(tmp / "res")
        (out / fname).write_bytes(content)
        return sl.ExperimentResult.load(out)

    return run


_RESULT: list[Any] = []


def _small_result() -> Any:
    if not _RESULT:
        _RESULT.append(
            sl.run_experiment(sl.ExperimentSpec().replace(steps=3, hidden=(2,)))
        )
    return _RESULT[0]


def _toml_file(text: str | bytes) -> Callable[[Path], Any]:
    def run(tmp: Path) -> Any:
        path = tmp / "spec.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return sl.ExperimentSpec.from_toml(path)

    return run


# --------------------------------------------------------------------------- 8. CLI
@dataclass(frozen=True)
class CliCase:
    argv: list[str]
    match: str
    files: dict[str, str | bytes] = field(default_factory=dict)


def _csv_text(rng_seed: int = 0, n: int = 40) -> str:
    X, y = _data(n=n, seed=rng_seed)
    frame = pd.DataFrame(
        {"a": X[:, 0], "b": X[:, 1], "kind": np.array(["ant", "bee"])[y]}
    )
    return frame.to_csv(index=False)


GOOD_CSV = _csv_text()


def _cli_cells() -> None:
    fit = "fit DATA --target kind"
    cases: dict[str, dict[str, CliCase]] = {
        "fit": {
            "missing-file": CliCase(
                ["fit", "{tmp}/nope.csv", "--target", "kind"], r"DATA .* does not exist"
            ),
            "directory": CliCase(
                ["fit", "{tmp}", "--target", "kind"], r"DATA .* is not a file"
            ),
            "empty-file": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"], r"is empty", {"d.csv": ""}
            ),
            "header-only": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"],
                r"no data rows",
                {"d.csv": "a,kind\n"},
            ),
            "non-numeric": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"],
                r"column 'a' .* not numeric",
                {"d.csv": "a,kind\nx,1\n2,0\n"},
            ),
            "nan-feature": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"],
                r"column 'a' .* missing value",
                {"d.csv": "a,kind\n,1\n2,0\n"},
            ),
            "inf-feature": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"],
                r"column 'a' .* infinite",
                {"d.csv": "a,kind\ninf,1\n2,0\n"},
            ),
            "huge-feature": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--C", "1"],
                r"`X` holds 1e\+308",
                {"d.csv": "a,kind\n1e308,1\n2,0\n-3,1\n1,0\n"},
            ),
            "target-missing": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "nope"],
                r"--target 'nope' is not a column",
                {"d.csv": GOOD_CSV},
            ),
            "target-nan": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"],
                r"target column 'kind' has a missing value",
                {"d.csv": "a,kind\n1,\n2,0\n"},
            ),
            "single-class": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"],
                r"single class",
                {"d.csv": "a,kind\n1,x\n2,x\n"},
            ),
            "ragged-csv": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"],
                r"not a valid CSV file",
                {"d.csv": 'a,kind\n1,2,3,4\n"\n'},
            ),
            "non-utf8-csv": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"],
                r"not a valid CSV file",
                {"d.csv": b"a,kind\n\xff\xfe,1\n"},
            ),
            "C=-1": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--C", "-1"],
                r"--C must be",
                {"d.csv": GOOD_CSV},
            ),
            "C=0": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--C", "0"],
                r"--C must be",
                {"d.csv": GOOD_CSV},
            ),
            "C=nan": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--C", "nan"],
                r"--C must be",
                {"d.csv": GOOD_CSV},
            ),
            "C=abc": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--C", "abc"],
                r"--C must be",
                {"d.csv": GOOD_CSV},
            ),
            "C=1e-320": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--C", "1e-320"],
                r"--C must be",
                {"d.csv": GOOD_CSV},
            ),
            "tol=0": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--tol", "0"],
                r"--tol must be",
                {"d.csv": GOOD_CSV},
            ),
            "tol=abc": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--tol", "abc"],
                r"--tol",
                {"d.csv": GOOD_CSV},
            ),
            "max-iter=0": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--max-iter", "0"],
                r"--max-iter",
                {"d.csv": GOOD_CSV},
            ),
            "max-iter=-1": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--max-iter", "-1"],
                r"--max-iter",
                {"d.csv": GOOD_CSV},
            ),
            "alpha=1.5": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--alpha", "1.5"],
                r"--alpha must be",
                {"d.csv": GOOD_CSV},
            ),
            "alpha=nan": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--alpha", "nan"],
                r"--alpha must be",
                {"d.csv": GOOD_CSV},
            ),
            "gauge-logistic": CliCase(
                [
                    "fit",
                    "{tmp}/d.csv",
                    "--target",
                    "kind",
                    "--model",
                    "logistic",
                    "--gauge",
                    "reference",
                ],
                r"--gauge",
                {"d.csv": GOOD_CSV},
            ),
            "reference-unseen": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--reference", "cat"],
                r"--reference must be one of",
                {"d.csv": GOOD_CSV},
            ),
            "model-bad": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--model", "tree"],
                r"--model",
                {"d.csv": GOOD_CSV},
            ),
            "out-exists": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--out", "{tmp}/d.csv"],
                r"already exists",
                {"d.csv": GOOD_CSV},
            ),
            "out-directory": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--out", "{tmp}", "--force"],
                r"is a directory",
                {"d.csv": GOOD_CSV},
            ),
            "out-missing-dir": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--out", "{tmp}/no/m.json"],
                r"does not exist",
                {"d.csv": GOOD_CSV},
            ),
            "features-absent": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--features", "zzz"],
                r"--features",
                {"d.csv": GOOD_CSV},
            ),
            "features-target": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--features", "a,kind"],
                r"--features must not include",
                {"d.csv": GOOD_CSV},
            ),
            "features-twice": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--features", "a,a"],
                r"--features names a column twice",
                {"d.csv": GOOD_CSV},
            ),
            "logistic-3-classes": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--model", "logistic"],
                r"exactly 2 classes",
                {"d.csv": "a,kind\n1,x\n2,y\n3,z\n4,x\n"},
            ),
            "separated": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind"],
                r"--C 1",
                {"d.csv": "a,kind\n-2,x\n-1,x\n1,y\n2,y\n"},
            ),
            "no-target-option": CliCase(
                ["fit", "{tmp}/d.csv"], r"--target", {"d.csv": GOOD_CSV}
            ),
            "unknown-option": CliCase(
                ["fit", "{tmp}/d.csv", "--target", "kind", "--colour", "red"],
                r"--colour",
                {"d.csv": GOOD_CSV},
            ),
        },
        "predict": {
            "missing-model": CliCase(
                ["predict", "{tmp}/nope.json", "{tmp}/d.csv"],
                r"MODEL .* does not exist",
                {"d.csv": GOOD_CSV},
            ),
            "corrupt-model": CliCase(
                ["predict", "{tmp}/m.json", "{tmp}/d.csv"],
                r"invalid model file",
                {"d.csv": GOOD_CSV, "m.json": "{}"},
            ),
            "deep-model": CliCase(
                ["predict", "{tmp}/m.json", "{tmp}/d.csv"],
                r"nested too deeply",
                {"d.csv": GOOD_CSV, "m.json": "[" * 100_000},
            ),
            "n_iter-overflow": CliCase(
                ["predict", "{tmp}/m.json", "{tmp}/d.csv"],
                r"`n_iter`",
                {"d.csv": GOOD_CSV, "m.json": "@model:n_iter=[2147483648]"},
            ),
            "missing-columns": CliCase(
                ["predict", "{tmp}/m.json", "{tmp}/d.csv"],
                r"lacks the feature column",
                {"d.csv": "x,y\n1,2\n", "m.json": "@model"},
            ),
            "nan-feature": CliCase(
                ["predict", "{tmp}/m.json", "{tmp}/d.csv"],
                r"missing value",
                {"d.csv": "a,b\n,2\n", "m.json": "@model"},
            ),
            "non-numeric": CliCase(
                ["predict", "{tmp}/m.json", "{tmp}/d.csv"],
                r"not numeric",
                {"d.csv": "a,b\nx,2\n", "m.json": "@model"},
            ),
            "out-exists": CliCase(
                ["predict", "{tmp}/m.json", "{tmp}/d.csv", "--out", "{tmp}/d.csv"],
                r"already exists",
                {"d.csv": GOOD_CSV, "m.json": "@model"},
            ),
            "missing-data": CliCase(
                ["predict", "{tmp}/m.json", "{tmp}/nope.csv"],
                r"does not exist",
                {"m.json": "@model"},
            ),
        },
        "compare": {
            "steps=0": CliCase(["compare", "--steps", "0"], r"`--steps` must be"),
            "steps=-5": CliCase(["compare", "--steps", "-5"], r"`--steps` must be"),
            "steps=1e20": CliCase(
                ["compare", "--steps", "100000000000000000000"], r"`--steps` must be"
            ),
            "steps=abc": CliCase(["compare", "--steps", "abc"], r"--steps"),
            "lr=0": CliCase(["compare", "--lr", "0"], r"`--lr` must be"),
            "lr=nan": CliCase(["compare", "--lr", "nan"], r"`--lr` must be"),
            "lr=inf": CliCase(["compare", "--lr", "inf"], r"`--lr` must be"),
            "hidden=x": CliCase(["compare", "--hidden", "x"], r"`--hidden` must be"),
            "hidden=0,1": CliCase(
                ["compare", "--hidden", "0,1"], r"`--hidden` must be"
            ),
            "hidden=1e9": CliCase(
                ["compare", "--hidden", "1000000000"], r"of memory.*`--hidden`"
            ),
            "n-samples=1e12": CliCase(
                ["compare", "--dataset", "synthetic", "--n-samples", "1000000000000"],
                r"of memory.*`--n-samples`",
            ),
            "n-samples=2": CliCase(
                ["compare", "--dataset", "synthetic", "--n-samples", "2"],
                r"`--n-samples` must be",
            ),
            "dataset=bad": CliCase(["compare", "--dataset", "mnist"], r"--dataset"),
            "optimizer=bad": CliCase(
                ["compare", "--optimizer", "lion"], r"--optimizer"
            ),
            "batch-size=0": CliCase(
                ["compare", "--batch-size", "0"], r"`--batch-size` must be"
            ),
            "test-size=1.5": CliCase(
                ["compare", "--test-size", "1.5"], r"`--test-size` must be"
            ),
            "momentum=1": CliCase(
                ["compare", "--optimizer", "momentum", "--momentum", "1"],
                r"`--momentum` must be",
            ),
            "networks=bad": CliCase(["compare", "--networks", "9"], r"`--networks`"),
            "pair=bad": CliCase(["compare", "--pair", "0-1"], r"`--pair` must be"),
            "pair=same": CliCase(["compare", "--pair", "0:0"], r"`--pair`|`pairs`"),
            "config-missing": CliCase(
                ["compare", "--config", "{tmp}/nope.toml"], r"does not exist"
            ),
            "config-malformed": CliCase(
                ["compare", "--config", "{tmp}/c.toml"],
                r"not valid TOML",
                {"c.toml": "[model\n"},
            ),
            "config-bad-value": CliCase(
                ["compare", "--config", "{tmp}/c.toml"],
                r"`steps` must be",
                {"c.toml": "[training]\nsteps = 0\n"},
            ),
            "csv-missing": CliCase(
                ["compare", "--csv", "{tmp}/nope.csv", "--target", "kind"],
                r"does not exist",
            ),
            "csv-non-numeric": CliCase(
                ["compare", "--csv", "{tmp}/d.csv", "--target", "kind"],
                r"numeric",
                {"d.csv": "a,kind\nx,1\ny,0\nz,1\nw,0\n"},
            ),
            "csv-nan": CliCase(
                ["compare", "--csv", "{tmp}/d.csv", "--target", "kind"],
                r"finite",
                {"d.csv": "a,kind\n,1\n2,0\n3,1\n4,0\n"},
            ),
            "csv-single-class": CliCase(
                ["compare", "--csv", "{tmp}/d.csv", "--target", "kind"],
                r"two classes",
                {"d.csv": "a,kind\n1,x\n2,x\n3,x\n4,x\n"},
            ),
            "csv-no-target": CliCase(
                ["compare", "--csv", "{tmp}/d.csv"], r"`--target`", {"d.csv": GOOD_CSV}
            ),
            "csv-target-absent": CliCase(
                ["compare", "--csv", "{tmp}/d.csv", "--target", "zzz"],
                r"`--target` 'zzz'",
                {"d.csv": GOOD_CSV},
            ),
            "csv-features-absent": CliCase(
                [
                    "compare",
                    "--csv",
                    "{tmp}/d.csv",
                    "--target",
                    "kind",
                    "--features",
                    "zzz",
                ],
                r"`--features`",
                {"d.csv": GOOD_CSV},
            ),
            "out-file": CliCase(
                ["compare", "--out", "{tmp}/d.csv"],
                r"'--out'.* is a file",
                {"d.csv": GOOD_CSV},
            ),
            "out-cwd": CliCase(["compare", "--out", "."], r"current directory"),
            "out-foreign": CliCase(
                ["compare", "--out", "{tmp}"], r"not a softlogit report"
            ),
            "engine=bad": CliCase(["compare", "--engine", "jax"], r"`--engine`"),
            "decoupled-contradiction": CliCase(
                ["compare", "--decoupled", "--weight-decay-mode", "coupled"],
                r"`--decoupled`",
            ),
        },
        "derive": {
            "classes=1": CliCase(["derive", "--classes", "1"], r"--classes must be"),
            "classes=abc": CliCase(
                ["derive", "--classes", "abc"], r"--classes must be"
            ),
            "format=bad": CliCase(["derive", "--format", "pdf"], r"--format must be"),
            "out-exists": CliCase(
                ["derive", "--out", "{tmp}/d.txt"], r"already exists", {"d.txt": "x"}
            ),
            "out-directory": CliCase(
                ["derive", "--out", "{tmp}", "--force"], r"is a directory"
            ),
            "out-missing-dir": CliCase(
                ["derive", "--out", "{tmp}/no/d.txt"], r"does not exist"
            ),
        },
        "convert": {
            "missing-file": CliCase(
                [
                    "convert",
                    "{tmp}/nope.json",
                    "--to",
                    "sigmoid",
                    "--out",
                    "{tmp}/o.json",
                ],
                r"does not exist",
            ),
            "to-bad": CliCase(
                ["convert", "{tmp}/m.json", "--to", "tanh", "--out", "{tmp}/o.json"],
                r"--to",
                {"m.json": "@model"},
            ),
            "corrupt-model": CliCase(
                ["convert", "{tmp}/m.json", "--to", "sigmoid", "--out", "{tmp}/o.json"],
                r"invalid model file",
                {"m.json": "{}"},
            ),
            "out-exists": CliCase(
                ["convert", "{tmp}/m.json", "--to", "sigmoid", "--out", "{tmp}/m.json"],
                r"already exists",
                {"m.json": "@model"},
            ),
            "unknown-format": CliCase(
                ["convert", "{tmp}/m.xyz", "--to", "sigmoid", "--out", "{tmp}/o.xyz"],
                r"format|MODEL",
                {"m.xyz": "x"},
            ),
        },
    }
    del fit
    for command, table in cases.items():
        for case, cli_case in table.items():
            CELLS.append(
                Cell(
                    f"softlogit {command}",
                    case,
                    _cli_runner(cli_case),
                    "cli-error",
                    None,
                    (),
                    cli_case.match,
                )
            )
    # the same commands succeed on good input (and print names as written)
    ok_cli = {
        "fit": CliCase(
            ["fit", "{tmp}/d.csv", "--target", "kind", "--C", "1"],
            r"ant|bee",
            {"d.csv": GOOD_CSV},
        ),
        "fit-markup": CliCase(
            ["fit", "{tmp}/d.csv", "--target", "[k]", "--C", "1"],
            r"dose\[mg\]",
            {
                "d.csv": "dose[mg],[k]\n"
                + "\n".join(f"{i % 7 - 3},{'[/]' if i % 3 else 'x'}" for i in range(30))
                + "\n"
            },
        ),
        "predict": CliCase(
            ["predict", "{tmp}/m.json", "{tmp}/d.csv"],
            r"proba_",
            {"d.csv": GOOD_CSV, "m.json": "@model"},
        ),
        "convert": CliCase(
            ["convert", "{tmp}/m.json", "--to", "softmax", "--out", "{tmp}/o.json"],
            r"",
            {"m.json": "@model"},
        ),
    }
    for case, cli_case in ok_cli.items():
        CELLS.append(
            Cell(
                "softlogit " + cli_case.argv[0],
                f"ok-{case}",
                _cli_runner(cli_case),
                "cli-ok",
                None,
                (),
                cli_case.match,
            )
        )


def _model_json(tmp: Path, **fields: Any) -> str:
    X, y = _data()
    frame = pd.DataFrame(X, columns=["a", "b"])
    path = (
        sl.LogisticRegression(C=1.0)
        .fit(frame, np.array(["ant", "bee"])[y])
        .save(tmp / "_m.json")
    )
    doc = json.loads(path.read_text())
    path.unlink()
    doc.update(fields)
    return json.dumps(doc)


def _cli_runner(case: CliCase) -> Callable[[Path], Any]:
    def run(tmp: Path) -> tuple[int, str, str]:
        for name, content in case.files.items():
            if isinstance(content, str) and content.startswith("@model"):
                fields = {}
                if ":" in content:
                    key, value = content.split(":", 1)[1].split("=", 1)
                    fields[key] = json.loads(value)
                content = _model_json(tmp, **fields)
            path = tmp / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        argv = [a.replace("{tmp}", str(tmp)) for a in case.argv]
        if "--no-report" not in argv and argv[0] == "compare" and "--out" not in argv:
            argv += ["--no-report"]
        return main(argv), "", ""

    return run


# --------------------------------------------------------------------------- build
for _name, _cls in ESTIMATORS.items():
    _fit_X_cells(_name, _cls)
    _fit_y_cells(_name, _cls)
    _fit_weight_cells(_name, _cls)
    _param_cells(_name, _cls)
    _method_cells(_name, _cls)
    _summary_cells(_name, _cls)
_unary_cells()
_row_cells()
_loss_cells()
_head_cells()
_penalty_cells()
_convert_cells()
_separation_cells()
_loader_cells()
_cli_cells()


def outcome_table() -> dict[str, int]:
    """Cells by outcome class (what ``conftest.py`` prints)."""
    table: dict[str, int] = {}
    for cell in CELLS:
        table[cell.outcome] = table.get(cell.outcome, 0) + 1
    return table


def _ids() -> Iterator[str]:
    seen: dict[str, int] = {}
    for cell in CELLS:
        n = seen.get(cell.id, 0)
        seen[cell.id] = n + 1
        yield cell.id if n == 0 else f"{cell.id}#{n}"


@pytest.mark.parametrize("cell", CELLS, ids=list(_ids()))
def test_cell(cell: Cell, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if cell.outcome in ("cli-error", "cli-ok"):
        code, _, _ = cell.run(tmp_path)
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        if cell.outcome == "cli-ok":
            assert code == 0, err
            import re

            assert re.search(cell.match, out + err), (out, err)
            return
        assert code == 2, (code, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("try '")), (
            err
        )
        assert lines[0].startswith("error: "), err
        import re

        assert re.search(cell.match, lines[0]), (cell.match, lines[0])
        return
    if cell.outcome == "raises":
        with pytest.raises(cell.error, match=cell.match):
            cell.run(tmp_path)
        return
    if cell.outcome == "ok-or-raises":
        import re

        try:
            value = cell.run(tmp_path)
        except cell.error as exc:
            message = str(exc)
        else:
            assert cell.check is not None
            cell.check(value)
            return
        assert re.search(cell.match, message), (cell.match, message)
        return
    value = cell.run(tmp_path)
    assert cell.check is not None
    cell.check(value)


def test_the_matrix_is_large_enough() -> None:
    table = outcome_table()
    print(f"bad-input matrix: {len(CELLS)} cells {table}")
    assert len(CELLS) >= 800, len(CELLS)
    assert len({c.target for c in CELLS}) >= 50
