"""Declarative parameter constraints: accepted values, and TypeError vs ValueError."""

from __future__ import annotations

import math

import numpy as np
import pytest

from softlogit._validation import (
    ANY,
    NONE,
    Boolean,
    Integer,
    Options,
    Real,
    check_param,
    check_params,
    describe,
)
from softlogit.errors import InputTypeError, InputValueError, SoftlogitError

POSITIVE_OR_INF = Real(0, None, low_open=True, allow_inf=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0),
        (0.5, 0.5),
        (np.float32(2.0), 2.0),
        (np.int64(3), 3.0),
        (math.inf, math.inf),
    ],
)
def test_real_accepts_and_converts(value: object, expected: float) -> None:
    out = check_param("C", value, POSITIVE_OR_INF)
    assert type(out) is float
    assert out == expected


@pytest.mark.parametrize("value", [0, -1.0, math.nan, -math.inf, 5e-324 * 0])
def test_real_bad_value_is_value_error(value: float) -> None:
    with pytest.raises(
        InputValueError, match=r"^`C` must be a positive real number or inf; got"
    ):
        check_param("C", value, POSITIVE_OR_INF)


@pytest.mark.parametrize("value", ["1", True, np.bool_(False), None, [1.0], 1j])
def test_real_bad_type_is_type_error(value: object) -> None:
    with pytest.raises(
        InputTypeError, match=r"^`C` must be a positive real number or inf"
    ):
        check_param("C", value, POSITIVE_OR_INF)


def test_real_bounds_and_infinity() -> None:
    unit = Real(0, 1)
    assert check_param("r", 0, unit) == 0.0
    assert check_param("r", 1, unit) == 1.0
    with pytest.raises(
        InputValueError, match=r"a finite real number in \[0, 1\]; got 1.5"
    ):
        check_param("r", 1.5, unit)
    with pytest.raises(InputValueError, match="finite"):
        check_param("lr", math.inf, Real(0, None, low_open=True))
    # +inf is allowed only where the upper side is unbounded
    with pytest.raises(InputValueError):
        check_param("x", math.inf, Real(0, 10, allow_inf=True))
    assert check_param("x", -math.inf, Real(None, 0, allow_inf=True)) == -math.inf


def test_integer() -> None:
    assert check_param("n", np.int32(4), Integer(low=1)) == 4
    with pytest.raises(InputValueError, match=r"`n` must be an integer >= 1; got 0\."):
        check_param("n", 0, Integer(low=1))
    for bad in (2.0, True, "3"):
        with pytest.raises(InputTypeError, match="`n` must be an integer >= 1"):
            check_param("n", bad, Integer(low=1))
    with pytest.raises(InputValueError, match=r"an integer in \[0, 3\]"):
        check_param("k", 4, Integer(0, 3))


def test_options_and_boolean_and_none() -> None:
    solver = Options(("auto", "newton"))
    assert check_param("solver", "newton", solver) == "newton"
    with pytest.raises(
        InputValueError, match=r"one of 'auto', 'newton'; got 'rm -rf /'"
    ):
        check_param("solver", "rm -rf /", solver)
    with pytest.raises(InputTypeError, match="`solver` must be one of"):
        check_param("solver", 3, solver)
    assert check_param("fit_intercept", np.bool_(True), Boolean()) is True
    with pytest.raises(InputTypeError, match="`fit_intercept` must be a bool; got 1"):
        check_param("fit_intercept", 1, Boolean())
    assert check_param("seed", None, (Integer(low=0), NONE)) is None
    assert check_param("label", ("any", 1), ANY) == ("any", 1)
    assert describe((Integer(low=1), NONE)) == "an integer >= 1 or None"


def test_errors_are_softlogit_errors_and_builtins() -> None:
    with pytest.raises(SoftlogitError):
        check_param("n", "x", Integer())
    with pytest.raises(TypeError):
        check_param("n", "x", Integer())
    with pytest.raises(ValueError):  # noqa: PT011 - the builtin base is the point
        check_param("n", -1, Integer(low=0))


def test_long_values_are_abbreviated() -> None:
    with pytest.raises(InputTypeError, match=r"got 'x+\.\.\.\.$"):
        check_param("n", "x" * 1000, Integer())


def test_check_params_table() -> None:
    table = {"C": POSITIVE_OR_INF, "max_iter": Integer(low=0)}
    assert check_params({"max_iter": 3, "C": 2, "other": "x"}, table) == {
        "C": 2.0,
        "max_iter": 3,
    }
    with pytest.raises(InputValueError, match="`max_iter`"):
        check_params({"C": 1.0, "max_iter": -1}, table)


# ------------------------------------------------------------- check_finite by blocks


def test_check_finite_by_blocks_names_first_entry_and_counts_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import softlogit._validation as validation

    # Blocks of 8 rows of 5 float64 (320 bytes): the bad entries span three blocks.
    monkeypatch.setattr(validation, "_FINITE_BLOCK_BYTES", 8 * 5 * 8)
    X = np.zeros((50, 5))
    X[19, 3] = np.inf
    X[17, 4] = np.nan
    X[33, 0] = -np.inf
    X[49, 1] = np.nan
    expected = np.argwhere(~np.isfinite(X))  # the reference: NumPy on the whole array
    i, j = expected[0]
    with pytest.raises(
        InputValueError,
        match=rf"`Z` contains NaN at row {i}, column {j} \({len(expected)} "
        r"non-finite entries in all",
    ):
        validation.check_finite(X, "Z")
    X[17, 4] = 0.0
    with pytest.raises(InputValueError, match=r"`X` contains infinity at row 19"):
        validation.check_finite(X)
    X[:] = 1.0
    validation.check_finite(X)  # finite: no error
    validation.check_finite(np.zeros((0, 5)))  # no rows


def test_check_finite_bound_on_magnitude_by_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``max_abs``: the first large entry is named, by row and column, and a
    non-finite entry anywhere is reported before it (one pass over the blocks)."""
    import softlogit._validation as validation

    monkeypatch.setattr(validation, "_FINITE_BLOCK_BYTES", 8 * 5 * 8)
    X = np.zeros((50, 5))
    X[21, 2] = -1e200
    X[40, 0] = 1e180
    i, j = np.argwhere(np.abs(X) > 1e150)[0]  # the reference: NumPy on the whole array
    with pytest.raises(
        InputValueError, match=rf"`X` holds -1e\+200 at row {i}, column {j}; a fit"
    ):
        validation.check_finite(X, max_abs=1e150)
    X[45, 3] = np.nan  # in a later block than the large entries: still reported
    with pytest.raises(InputValueError, match=r"`X` contains NaN at row 45, column 3"):
        validation.check_finite(X, max_abs=1e150)
    X[45, 3] = 0.0
    validation.check_finite(X, max_abs=1e201)  # within the bound: no error


def test_check_finite_makes_no_full_size_temporary() -> None:
    import tracemalloc

    from softlogit._validation import check_finite

    X = np.ones((50_000, 100))  # 40 MB; np.isfinite(X) alone would be 5 MB
    tracemalloc.start()
    try:
        check_finite(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.size // 4  # a quarter of the whole boolean mask
