"""The solvers on objectives with closed-form minimizers."""

from __future__ import annotations

import numpy as np
import pytest

from softlogit._solvers import first_order, lbfgs, newton_cholesky


class Quadratic:
    """F(x) = (x - m)^T A (x - m) / 2 + sum(log cosh(x - m)): minimizer m."""

    def __init__(self, rng: np.random.Generator, n: int = 6) -> None:
        B = rng.normal(size=(n, n))
        self.A = B @ B.T / n + 0.5 * np.eye(n)
        self.m = rng.normal(size=n)

    def loss(self, x: np.ndarray) -> float:
        d = x - self.m
        return float(0.5 * d @ self.A @ d + np.sum(np.logaddexp(d, -d) - np.log(2)))

    def loss_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        d = x - self.m
        return self.loss(x), self.A @ d + np.tanh(d)

    def gradient_hessian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = x - self.m
        return self.A @ d + np.tanh(d), self.A + np.diag(1 - np.tanh(d) ** 2)


def test_newton_converges_quadratically(rng: np.random.Generator) -> None:
    obj = Quadratic(rng)
    res = newton_cholesky(obj, np.full(6, 5.0), tol=1e-12, max_iter=50)
    assert res.converged
    assert res.n_iter <= 12
    np.testing.assert_allclose(res.x, obj.m, atol=1e-11)
    assert res.criterion <= 1e-12
    assert np.max(np.abs(res.gradient)) <= 1e-12


def test_newton_reuses_the_factor_in_the_quadratic_phase(
    rng: np.random.Generator,
) -> None:
    """Once a step shrinks the gradient a hundredfold the next step reuses the last
    Hessian: fewer Hessians than steps, the same minimizer (the closed form m), and
    the last Hessian and its point are reported with the result."""
    obj = Quadratic(rng)
    points: list[np.ndarray] = []
    gradient_hessian = obj.gradient_hessian

    def counted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        points.append(x.copy())
        return gradient_hessian(x)

    obj.gradient_hessian = counted  # type: ignore[method-assign]
    res = newton_cholesky(obj, np.full(6, 5.0), tol=1e-12, max_iter=50)
    assert res.converged
    np.testing.assert_allclose(res.x, obj.m, atol=1e-11)
    assert len(points) < res.n_iter
    assert res.hessian_at is not None
    assert res.hessian is not None
    np.testing.assert_array_equal(res.hessian_at, points[-1])
    np.testing.assert_array_equal(res.hessian, gradient_hessian(points[-1])[1])
    np.testing.assert_array_equal(res.gradient, obj.loss_gradient(res.x)[1])


def test_newton_reports_non_convergence(rng: np.random.Generator) -> None:
    obj = Quadratic(rng)
    res = newton_cholesky(obj, np.full(6, 50.0), tol=1e-12, max_iter=1)
    assert not res.converged
    assert res.n_iter == 1
    assert "maximum number of iterations" in res.message


def test_newton_damps_an_indefinite_hessian() -> None:
    """A wrong (indefinite) Hessian still gives descent through damping/fallback."""

    class Bad(Quadratic):
        def gradient_hessian(self, x):
            g, H = super().gradient_hessian(x)
            return g, -H

    obj = Bad(np.random.default_rng(0))
    res = newton_cholesky(obj, np.zeros(6), tol=1e-6, max_iter=2000)
    assert obj.loss(res.x) < obj.loss(np.zeros(6))


def test_lbfgs(rng: np.random.Generator) -> None:
    obj = Quadratic(rng)
    res = lbfgs(obj, np.zeros(6), tol=1e-10, max_iter=500)
    assert res.converged
    np.testing.assert_allclose(res.x, obj.m, atol=1e-8)


@pytest.mark.parametrize(
    ("method", "lr"), [("gd", 0.3), ("momentum", 0.05), ("adam", 0.05)]
)
def test_first_order(rng: np.random.Generator, method: str, lr: float) -> None:
    obj = Quadratic(rng)
    res = first_order(obj, np.zeros(6), method=method, lr=lr, tol=1e-7, max_iter=50_000)
    assert res.converged, res.message
    np.testing.assert_allclose(res.x, obj.m, atol=1e-5)


def test_first_order_stops_on_divergence(rng: np.random.Generator) -> None:
    obj = Quadratic(rng)
    with np.errstate(over="ignore", invalid="ignore"):
        res = first_order(obj, np.ones(6), method="gd", lr=1e3, tol=1e-7, max_iter=5000)
    assert not res.converged
    assert "diverged" in res.message


class Rescaled:
    """An objective in units ``u = x / D``: F(D u) for a diagonal D."""

    def __init__(self, inner: Quadratic, D: np.ndarray) -> None:
        self.inner, self.D = inner, D

    def loss(self, u: np.ndarray) -> float:
        return self.inner.loss(self.D * u)

    def loss_gradient(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = self.inner.loss_gradient(self.D * u)
        return f, self.D * g

    def gradient_hessian(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g, H = self.inner.gradient_hessian(self.D * u)
        return self.D * g, H * np.outer(self.D, self.D)


def test_newton_is_invariant_to_the_units_of_the_parameters(
    rng: np.random.Generator,
) -> None:
    """Parameters in units from 1e-9 to 1e9: the same steps (the decrement does not
    change), the same minimizer m / D (closed form) to rounding."""
    obj = Quadratic(rng)
    D = 10.0 ** np.array([-9.0, -6.0, -3.0, 3.0, 6.0, 9.0])
    start = np.full(6, 5.0)
    plain = newton_cholesky(obj, start, tol=1e-4, max_iter=50)
    scaled = newton_cholesky(Rescaled(obj, D), start / D, tol=1e-4, max_iter=50)
    assert scaled.converged
    assert plain.converged
    assert scaled.n_iter == plain.n_iter
    assert scaled.criterion == pytest.approx(plain.criterion, rel=1e-6)
    np.testing.assert_allclose(scaled.x * D, obj.m, rtol=1e-7, atol=1e-9)


def test_newton_polish_reaches_machine_precision(rng: np.random.Generator) -> None:
    """polish=True: past tol to the rounding level; the Hessian returned is the one
    at hessian_at, within the polish decrement of x (in the Hessian's metric)."""
    from softlogit._solvers import POLISH_DECREMENT

    obj = Quadratic(rng)
    loose = newton_cholesky(obj, np.full(6, 5.0), tol=1e-2, max_iter=50)
    res = newton_cholesky(obj, np.full(6, 5.0), tol=1e-2, max_iter=50, polish=True)
    assert res.converged
    assert res.polished
    assert not loose.polished
    assert res.n_iter > loose.n_iter
    np.testing.assert_allclose(res.x, obj.m, rtol=1e-14, atol=1e-15)
    assert res.hessian is not None
    assert res.hessian_at is not None
    np.testing.assert_array_equal(res.hessian, obj.gradient_hessian(res.hessian_at)[1])
    step = res.x - res.hessian_at
    assert np.sqrt(step @ res.hessian @ step) <= POLISH_DECREMENT
