"""The solver policy (plan_solver) and the estimators' input checks at its boundary."""

from __future__ import annotations

import numpy as np
import pytest

from softlogit import InputTypeError, InputValueError, SoftmaxRegression
from softlogit._objectives import (
    NEWTON_MAX_PARAMS,
    NEWTON_SWITCH_MAX_PARAMS,
    Problem,
    SolverPlan,
    plan_solver,
    solve,
)


@pytest.mark.parametrize(
    ("solver", "n_free", "max_iter", "expected"),
    [
        # auto: Newton up to NEWTON_MAX_PARAMS free parameters
        ("auto", 1, 100, SolverPlan("newton", 100)),
        ("auto", NEWTON_MAX_PARAMS, 100, SolverPlan("newton", 100)),
        # beyond: L-BFGS for max(50, n_free // 4), at most max_iter // 2, then Newton
        ("auto", NEWTON_MAX_PARAMS + 1, 100, SolverPlan("lbfgs", 50, True)),
        ("auto", 400, 1000, SolverPlan("lbfgs", 100, True)),
        ("auto", 400, 60, SolverPlan("lbfgs", 30, True)),
        ("auto", NEWTON_SWITCH_MAX_PARAMS, 10_000, SolverPlan("lbfgs", 500, True)),
        # beyond NEWTON_SWITCH_MAX_PARAMS: L-BFGS alone
        ("auto", NEWTON_SWITCH_MAX_PARAMS + 1, 100, SolverPlan("lbfgs", 100)),
        # any named solver runs alone for max_iter
        ("newton", 5000, 7, SolverPlan("newton", 7)),
        ("lbfgs", 3, 7, SolverPlan("lbfgs", 7)),
        ("gd", 3, 7, SolverPlan("gd", 7)),
        ("momentum", 3, 7, SolverPlan("momentum", 7)),
        ("adam", 3, 7, SolverPlan("adam", 7)),
    ],
)
def test_plan_follows_the_documented_policy(
    solver: str, n_free: int, max_iter: int, expected: SolverPlan
) -> None:
    assert plan_solver(solver, n_free, max_iter) == expected


def test_auto_on_a_large_problem_hands_over_to_newton_exactly_as_planned(
    rng: np.random.Generator,
) -> None:
    """A plan whose L-BFGS budget is too small ends in Newton's method; the total
    iterations are those of both solvers, and the optimum is the one of Newton's
    method alone (same objective, same minimizer)."""
    n, p, k = 300, 4, 3
    X = rng.normal(size=(n, p))
    y = np.argmax(X @ rng.normal(size=(p, k)) + rng.gumbel(size=(n, k)), axis=1)
    problem = Problem.build(
        X, y, np.ones(n), n_rows=k, multinomial=True, fit_intercept=True, C=1.0
    )
    x0 = problem.start(None)
    coef, res, name = solve(problem, SolverPlan("lbfgs", 2, True), x0, 1e-10, 100)
    assert name == "lbfgs+newton"
    assert res.converged
    newton, _, _ = solve(problem, SolverPlan("newton", 100), x0, 1e-10, 100)
    np.testing.assert_allclose(coef, newton, rtol=1e-8, atol=1e-10)


def test_scikit_learn_input_errors_are_softlogit_errors() -> None:
    """Errors of scikit-learn's validate_data are re-raised as softlogit's own,
    with scikit-learn's message."""
    with pytest.raises(InputValueError, match="Expected 2D array"):
        SoftmaxRegression().fit(np.arange(4.0), [0, 1, 0, 1])
    model = SoftmaxRegression().fit(
        np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 1, 0, 1]
    )
    with pytest.raises(InputValueError, match=r"X has 2 features, but .* expecting 1"):
        model.predict(np.ones((2, 2)))


def test_non_convertible_entries_are_type_errors() -> None:
    X = np.array([[1.0, [1, 2]], [3.0, 4.0]], dtype=object)
    with pytest.raises(InputTypeError, match=r"`X` must be numeric; column 1, row 0"):
        SoftmaxRegression().fit(X, [0, 1])
